//! Where the time of `nuanxin matching solve` goes: parse, check, solve, render, each the best of 5 runs.
//!
//!     python3 shared/matching/bench/gen.py > /tmp/matching.json
//!     cargo bench -p nuanxin-matching --bench solve -- /tmp/matching.json
//!
//! The side-by-side run against OR-Tools is `deploy/bench-matching.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use nuanxin_matching::json::{parse, solution_json};
use nuanxin_matching::{solve, Problem};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .expect("usage: cargo bench -p nuanxin-matching --bench solve -- FILE.json");
    let (read, input) = best_of(5, || std::fs::read(&path).unwrap());
    let (parsed, problem) = best_of(5, || parse(&input).unwrap());
    let (checked, _) = best_of(5, || {
        Problem::new(
            problem.tasks().to_vec(),
            problem.helpers().to_vec(),
            problem.arcs().to_vec(),
        )
        .unwrap()
    });
    let (solved, solution) = best_of(5, || solve(&problem));
    let (rendered, output) = best_of(5, || solution_json(&problem, &solution));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} tasks, {} helpers, {} arcs: cost {}, {} assignments, {} tasks short",
        problem.tasks().len(),
        problem.helpers().len(),
        problem.arcs().len(),
        solution.cost,
        solution.assignments.len(),
        solution.missing.iter().filter(|&&m| m > 0).count()
    );
    println!(
        "read {:.1} ms, parse and check {:.1} ms (checking a copy again: {:.1} ms), solve {:.1} ms, render {:.1} ms ({} bytes)",
        ms(read),
        ms(parsed),
        ms(checked),
        ms(solved),
        ms(rendered),
        output.len()
    );
}
