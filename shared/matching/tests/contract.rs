//! The JSON contract of `nuanxin matching solve`: JSON in, JSON out, and bad input refused with its place.
#![allow(clippy::unwrap_used)]

use nuanxin_matching::json::{parse, solve_json};
use serde_json::{json, Value};

fn solve(input: Value) -> Value {
    serde_json::from_str(&solve_json(input.to_string().as_bytes()).unwrap()).unwrap()
}

fn refusal(input: &str) -> String {
    solve_json(input.as_bytes()).unwrap_err().to_string()
}

#[test]
fn the_output_lists_assignments_and_what_stays_unfilled() {
    let out = solve(json!({
        "unassigned_cost": 100,
        "tasks": [{"id": "送餐-1", "demand": 2}, {"id": "陪同就医-1"}, {"id": "巡视-1", "unassigned_cost": 5}],
        "helpers": [{"id": "张", "capacity": 2}, {"id": "李", "capacity": 1}],
        "arcs": [
            {"task": "送餐-1", "helper": "张", "cost": 10},
            {"task": "送餐-1", "helper": "李", "cost": 20},
            {"task": "陪同就医-1", "helper": "李", "cost": 1},
            {"task": "巡视-1", "helper": "张", "cost": 9}
        ]
    }));
    // 陪同就医 takes 李 (1), so 送餐 gets only 张 (10) and misses one (100); 巡视 is cheaper unfilled (5 < 9).
    assert_eq!(
        out,
        json!({
            "cost": 116,
            "assignments": [{"task": "送餐-1", "helper": "张"}, {"task": "陪同就医-1", "helper": "李"}],
            "unassigned": [{"task": "送餐-1", "missing": 1}, {"task": "巡视-1", "missing": 1}]
        })
    );
}

#[test]
fn the_total_is_the_minimum_not_the_greedy_choice() {
    let out = solve(json!({
        "unassigned_cost": 1000,
        "tasks": [{"id": "a"}, {"id": "b"}],
        "helpers": [{"id": "x", "capacity": 1}, {"id": "y", "capacity": 1}],
        "arcs": [
            {"task": "a", "helper": "x", "cost": 1},
            {"task": "a", "helper": "y", "cost": 3},
            {"task": "b", "helper": "x", "cost": 2}
        ]
    }));
    assert_eq!(out["cost"], 5);
    assert_eq!(out["unassigned"], json!([]));
}

#[test]
fn no_arcs_leaves_every_task_unfilled_and_zero_demand_needs_nothing() {
    let out = solve(json!({
        "unassigned_cost": 7,
        "tasks": [{"id": "a", "demand": 3}, {"id": "b", "demand": 0}],
        "helpers": [],
        "arcs": []
    }));
    assert_eq!(
        out,
        json!({"cost": 21, "assignments": [], "unassigned": [{"task": "a", "missing": 3}]})
    );
}

#[test]
fn negative_fractional_and_exponent_costs_are_refused_at_their_place() {
    let file = |cost: &str| {
        format!(
            r#"{{"unassigned_cost": 5, "tasks": [{{"id": "a"}}], "helpers": [{{"id": "x", "capacity": 1}}],
            "arcs": [{{"task": "a", "helper": "x", "cost": 1}}, {{"task": "a", "helper": "x", "cost": {cost}}}]}}"#
        )
    };
    for bad in [
        "-1",
        "1.5",
        "2.0",
        "1e3",
        "\"3\"",
        "null",
        "18446744073709551616",
    ] {
        let message = refusal(&file(bad));
        assert!(message.starts_with("arcs[1].cost: "), "{bad}: {message}");
    }
    assert!(refusal(&file("-1")).contains("must be a non-negative integer, not -1"));
    assert!(refusal(&file("1.5")).contains("not 1.5"));
}

#[test]
fn unknown_ids_are_refused_with_the_arc_and_the_id() {
    let base = r#"{"unassigned_cost": 5, "tasks": [{"id": "a"}], "helpers": [{"id": "x", "capacity": 1}], "arcs": ARCS}"#;
    let unknown_task = base.replace(
        "ARCS",
        r#"[{"task": "a", "helper": "x", "cost": 1}, {"task": "b", "helper": "x", "cost": 1}]"#,
    );
    assert_eq!(
        refusal(&unknown_task),
        "arcs[1].task: no task has the id \"b\""
    );
    let unknown_helper = base.replace("ARCS", r#"[{"task": "a", "helper": "y", "cost": 1}]"#);
    assert_eq!(
        refusal(&unknown_helper),
        "arcs[0].helper: no helper has the id \"y\""
    );
}

#[test]
fn a_repeated_pair_and_a_repeated_id_are_refused() {
    let pair = r#"{"unassigned_cost": 5, "tasks": [{"id": "a"}], "helpers": [{"id": "x", "capacity": 1}],
        "arcs": [{"task": "a", "helper": "x", "cost": 1}, {"task": "a", "helper": "x", "cost": 2}]}"#;
    assert_eq!(
        refusal(pair),
        "arcs[1]: repeats the pair of arcs[0] (a task takes a helper at most once)"
    );
    let id = r#"{"unassigned_cost": 5, "tasks": [{"id": "a"}, {"id": "b"}, {"id": "a"}], "helpers": [], "arcs": []}"#;
    assert_eq!(
        refusal(id),
        "tasks[2].id: repeated id \"a\" (already at tasks[0])"
    );
}

#[test]
fn malformed_json_and_missing_fields_name_their_place() {
    let truncated = r#"{"unassigned_cost": 5, "tasks": [{"id": "a"}], "helpers": [{"id": "x", "capacity": 1}], "arcs": [{"task": "a", "#;
    assert!(
        refusal(truncated).starts_with("arcs[0]"),
        "{}",
        refusal(truncated)
    );
    assert!(
        refusal("not json").starts_with("the file: expected"),
        "{}",
        refusal("not json")
    );
    let no_capacity =
        r#"{"unassigned_cost": 5, "tasks": [], "helpers": [{"id": "x"}], "arcs": []}"#;
    assert_eq!(
        parse(no_capacity.as_bytes()).unwrap_err().place(),
        "helpers[0]"
    );
    let number_id = r#"{"unassigned_cost": 5, "tasks": [{"id": 7}], "helpers": [], "arcs": []}"#;
    assert_eq!(
        parse(number_id.as_bytes()).unwrap_err().place(),
        "tasks[0].id"
    );
    let trailing = r#"{"unassigned_cost": 5, "tasks": [], "helpers": [], "arcs": []} x"#;
    assert!(
        refusal(trailing).starts_with("the file: trailing characters"),
        "{}",
        refusal(trailing)
    );
}

#[test]
fn a_task_without_any_unassigned_cost_is_refused() {
    let file =
        r#"{"tasks": [{"id": "a", "unassigned_cost": 3}, {"id": "b"}], "helpers": [], "arcs": []}"#;
    assert_eq!(
        parse(file.as_bytes()).unwrap_err().place(),
        "tasks[1].unassigned_cost"
    );
    let own_costs = r#"{"tasks": [{"id": "a", "unassigned_cost": 3}], "helpers": [], "arcs": []}"#;
    assert_eq!(
        solve_json(own_costs.as_bytes()).unwrap(),
        r#"{"cost":3,"assignments":[],"unassigned":[{"task":"a","missing":1}]}"#
    );
}

#[test]
fn escaped_ids_are_matched_and_written_back_escaped() {
    let out = solve(json!({
        "unassigned_cost": 9,
        "tasks": [{"id": "a\"\n\u{4e00}"}],
        "helpers": [{"id": "\\x", "capacity": 1}],
        "arcs": [{"task": "a\"\n\u{4e00}", "helper": "\\x", "cost": 1}]
    }));
    assert_eq!(
        out["assignments"],
        json!([{"task": "a\"\n\u{4e00}", "helper": "\\x"}])
    );
}
