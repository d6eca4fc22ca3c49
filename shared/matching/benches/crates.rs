//! This engine beside the crates.io alternatives on the same problems, in one run (README "Why our own
//! solver"): `mcmf` (LEMON's network simplex in C++) and `pathfinding`'s Kuhn–Munkres (dense, O(n³), for
//! plain assignment problems only: every demand and capacity 1).
//!
//!     python3 shared/matching/bench/gen.py --tasks 1000 --helpers 1000 --arcs 20000 --unit > /tmp/unit.json
//!     cargo bench -p nuanxin-matching --features compare --bench crates -- /tmp/unit.json /tmp/matching.json
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mcmf::{Capacity, Cost, GraphBuilder, Vertex};
use nuanxin_matching::{json::parse, solve, Problem};
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

/// The largest matrix Kuhn–Munkres is given here (8 bytes an entry: 400 MB).
const MAX_ENTRIES: usize = 50_000_000;

/// The best of 3 runs: the machine is shared, and the best run is the one least disturbed.
fn timed<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut value = None;
    for _ in 0..3 {
        let start = Instant::now();
        value = Some(f());
        best = best.min(start.elapsed());
    }
    (best, value.expect("three runs"))
}

/// LEMON's network simplex through `mcmf`, on the engine's network (costs and the total must fit in i32).
fn with_mcmf(problem: &Problem) -> Option<u64> {
    let nt = problem.tasks().len() as u32;
    // mcmf's answer is wrong once the total passes 2^31 - 1; leaving everything unfilled bounds the total.
    let worst: u64 = problem
        .tasks()
        .iter()
        .map(|t| t.demand * t.unassigned_cost)
        .sum();
    i32::try_from(worst).ok()?;
    let small = |v: u64| i32::try_from(v).ok();
    let mut graph: GraphBuilder<u32> = GraphBuilder::new();
    for (t, task) in problem.tasks().iter().enumerate() {
        let demand = small(task.demand)?;
        graph.add_edge(
            Vertex::Source,
            Vertex::Node(t as u32),
            Capacity(demand),
            Cost(0),
        );
        graph.add_edge(
            Vertex::Node(t as u32),
            Vertex::Sink,
            Capacity(demand),
            Cost(small(task.unassigned_cost)?),
        );
    }
    for (h, helper) in problem.helpers().iter().enumerate() {
        graph.add_edge(
            Vertex::Node(nt + h as u32),
            Vertex::Sink,
            Capacity(small(helper.capacity)?),
            Cost(0),
        );
    }
    for arc in problem.arcs() {
        let (t, h) = (arc.task as u32, nt + arc.helper as u32);
        graph.add_edge(
            Vertex::Node(t),
            Vertex::Node(h),
            Capacity(1),
            Cost(small(arc.cost)?),
        );
    }
    let (cost, _paths) = graph.mcmf();
    u64::try_from(cost).ok()
}

/// Kuhn–Munkres on tasks × (helpers + one "unfilled" column per task), maximizing the negated cost.
fn with_kuhn_munkres(problem: &Problem) -> Result<u64, String> {
    if problem.tasks().iter().any(|t| t.demand > 1)
        || problem.helpers().iter().any(|h| h.capacity > 1)
    {
        return Err("not a plain assignment problem (a demand or capacity above 1)".into());
    }
    let rows: Vec<usize> = (0..problem.tasks().len())
        .filter(|&t| problem.tasks()[t].demand == 1)
        .collect();
    let nh = problem.helpers().len();
    let cols = nh + rows.len();
    if rows.len() * cols > MAX_ENTRIES {
        return Err(format!(
            "its matrix would have {} entries",
            rows.len() * cols
        ));
    }
    // Dearer than leaving every task unfilled, so a forbidden cell is never in the optimum.
    let forbidden = -1
        - problem
            .tasks()
            .iter()
            .map(|t| t.unassigned_cost as i64)
            .sum::<i64>();
    let mut row_of = vec![usize::MAX; problem.tasks().len()];
    rows.iter().enumerate().for_each(|(r, &t)| row_of[t] = r);
    let mut weights = Matrix::new(rows.len(), cols, forbidden);
    for (r, &t) in rows.iter().enumerate() {
        weights[(r, nh + r)] = -(problem.tasks()[t].unassigned_cost as i64);
    }
    for arc in problem.arcs() {
        if row_of[arc.task] != usize::MAX && problem.helpers()[arc.helper].capacity == 1 {
            weights[(row_of[arc.task], arc.helper)] = -(arc.cost as i64);
        }
    }
    let (total, _) = kuhn_munkres(&weights);
    Ok((-total) as u64)
}

fn main() {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    for path in std::env::args().skip(1).filter(|a| !a.starts_with("--")) {
        let problem = parse(&std::fs::read(&path).unwrap()).unwrap();
        println!(
            "{path}: {} tasks, {} helpers, {} arcs",
            problem.tasks().len(),
            problem.helpers().len(),
            problem.arcs().len()
        );
        let (ours, solution) = timed(|| solve(&problem));
        println!(
            "  nuanxin-matching   {:>10}  cost {}",
            ms(ours),
            solution.cost
        );
        match timed(|| with_mcmf(&problem)) {
            (took, Some(cost)) => println!("  mcmf (LEMON)       {:>10}  cost {cost}", ms(took)),
            (_, None) => println!("  mcmf (LEMON)       skipped: a number does not fit in i32"),
        }
        match timed(|| with_kuhn_munkres(&problem)) {
            (took, Ok(cost)) => println!("  pathfinding KM     {:>10}  cost {cost}", ms(took)),
            (_, Err(why)) => println!("  pathfinding KM     skipped: {why}"),
        }
    }
}
