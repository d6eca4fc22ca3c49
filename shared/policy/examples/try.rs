use nuanxin_policy::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let src = std::fs::read_to_string(&args[1]).unwrap();
    let p = match Policy::parse(&args[1], &src) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let facts: FamilyFacts =
        serde_json::from_str(&std::fs::read_to_string(&args[2]).unwrap()).unwrap();
    let d = chrono::NaiveDate::parse_from_str(&args[3], "%Y-%m-%d").unwrap();
    let e = evaluate(&p, &facts, d);
    println!(
        "{}",
        serde_json::to_string_pretty(&e.to_explained_json(p.tenant(), d)).unwrap()
    );
}
