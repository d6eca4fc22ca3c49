//! `nuanxin matching solve FILE.json` as an outside check runs it: the answer on stdout with exit 0, or the
//! place of the bad input on stderr, a non-zero exit and nothing on stdout.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn run_on(name: &str, contents: &str) -> Output {
    let path: PathBuf = std::env::temp_dir().join(format!(
        "nuanxin-matching-{}-{name}.json",
        std::process::id()
    ));
    std::fs::write(&path, contents).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_nuanxin"))
        .args(["matching", "solve"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    output
}

#[test]
fn solve_prints_the_optimum_as_json() {
    let output = run_on(
        "ok",
        r#"{"unassigned_cost": 50, "tasks": [{"id": "a", "demand": 2}, {"id": "b"}],
            "helpers": [{"id": "x", "capacity": 1}, {"id": "y", "capacity": 2}],
            "arcs": [{"task": "a", "helper": "x", "cost": 4}, {"task": "a", "helper": "y", "cost": 6},
                     {"task": "b", "helper": "x", "cost": 1}]}"#,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // b takes x (1), a gets y (6) and misses one (50): 57, less than a taking x and y with b unfilled (60).
    assert_eq!(
        out,
        serde_json::json!({
            "cost": 57,
            "assignments": [{"task": "a", "helper": "y"}, {"task": "b", "helper": "x"}],
            "unassigned": [{"task": "a", "missing": 1}]
        })
    );
}

#[test]
fn bad_input_names_the_place_on_stderr_and_prints_nothing() {
    for (name, file, place) in [
        (
            "negative",
            r#"{"unassigned_cost": 5, "tasks": [{"id": "a"}], "helpers": [{"id": "x", "capacity": 1}],
                "arcs": [{"task": "a", "helper": "x", "cost": -3}]}"#,
            "arcs[0].cost",
        ),
        (
            "unknown",
            r#"{"unassigned_cost": 5, "tasks": [{"id": "a"}], "helpers": [{"id": "x", "capacity": 1}],
                "arcs": [{"task": "a", "helper": "z", "cost": 3}]}"#,
            "arcs[0].helper",
        ),
        ("malformed", r#"{"unassigned_cost": 5, "tasks": ["#, "tasks"),
    ] {
        let output = run_on(name, file);
        assert!(!output.status.success(), "{name}");
        assert!(output.stdout.is_empty(), "{name}: stdout must stay empty");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(place), "{name}: {stderr}");
    }
}
