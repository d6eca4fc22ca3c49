//! The solver's answer is feasible and optimal: equal to a brute force over every feasible assignment on
//! small problems, and free of negative residual cycles (the optimality condition of a min-cost flow) on
//! larger ones, including scarce helpers that force long alternating paths.
#![allow(clippy::unwrap_used)]

use nuanxin_matching::{solve, Arc, Helper, Problem, Solution, Task};
use proptest::prelude::*;

/// Checks the solution against the problem's constraints and returns its recomputed cost.
fn check_feasible(problem: &Problem, solution: &Solution) -> u64 {
    let tasks = problem.tasks();
    let mut got = vec![0u64; tasks.len()];
    let mut load = vec![0u64; problem.helpers().len()];
    let mut seen = std::collections::HashSet::new();
    let mut cost = 0;
    for &i in &solution.assignments {
        let arc = problem.arcs()[i];
        assert!(seen.insert((arc.task, arc.helper)), "pair used twice");
        got[arc.task] += 1;
        load[arc.helper] += 1;
        cost += arc.cost;
    }
    for (t, task) in tasks.iter().enumerate() {
        assert_eq!(
            got[t] + solution.missing[t],
            task.demand,
            "tasks[{t}]: demand"
        );
        cost += solution.missing[t] * task.unassigned_cost;
    }
    for (h, helper) in problem.helpers().iter().enumerate() {
        assert!(load[h] <= helper.capacity, "helpers[{h}]: over capacity");
    }
    assert_eq!(cost, solution.cost, "the reported cost is the assignment's");
    cost
}

/// The least cost over every feasible assignment, by enumeration.
fn brute_force(problem: &Problem) -> u64 {
    let arcs_of: Vec<Vec<Arc>> = (0..problem.tasks().len())
        .map(|t| {
            problem
                .arcs()
                .iter()
                .copied()
                .filter(|a| a.task == t)
                .collect()
        })
        .collect();
    let mut load = vec![0u64; problem.helpers().len()];
    let mut best = u64::MAX;
    search(problem, &arcs_of, 0, 0, &mut load, &mut best);
    best
}

fn search(
    problem: &Problem,
    arcs_of: &[Vec<Arc>],
    t: usize,
    cost: u64,
    load: &mut [u64],
    best: &mut u64,
) {
    if t == arcs_of.len() {
        *best = (*best).min(cost);
        return;
    }
    let task = &problem.tasks()[t];
    let arcs = &arcs_of[t];
    for subset in 0u32..(1 << arcs.len()) {
        let chosen: Vec<&Arc> = (0..arcs.len())
            .filter(|&k| subset & (1 << k) != 0)
            .map(|k| &arcs[k])
            .collect();
        if chosen.len() as u64 > task.demand
            || chosen
                .iter()
                .any(|a| load[a.helper] + 1 > problem.helpers()[a.helper].capacity)
        {
            continue;
        }
        let here: u64 = chosen.iter().map(|a| a.cost).sum::<u64>()
            + (task.demand - chosen.len() as u64) * task.unassigned_cost;
        chosen.iter().for_each(|a| load[a.helper] += 1);
        search(problem, arcs_of, t + 1, cost + here, load, best);
        chosen.iter().for_each(|a| load[a.helper] -= 1);
    }
}

/// True when the residual network of the solution has a cycle of negative cost (so it is not optimal).
fn has_negative_cycle(problem: &Problem, solution: &Solution) -> bool {
    let (nt, nh) = (problem.tasks().len(), problem.helpers().len());
    let sink = nt + nh;
    let mut used = vec![false; problem.arcs().len()];
    solution.assignments.iter().for_each(|&i| used[i] = true);
    let mut load = vec![0u64; nh];
    let mut edges: Vec<(usize, usize, i64)> = Vec::new();
    for (i, arc) in problem.arcs().iter().enumerate() {
        let (t, h, c) = (arc.task, nt + arc.helper, arc.cost as i64);
        if used[i] {
            load[arc.helper] += 1;
            edges.push((h, t, -c));
        } else {
            edges.push((t, h, c));
        }
    }
    for (h, helper) in problem.helpers().iter().enumerate() {
        if load[h] < helper.capacity {
            edges.push((nt + h, sink, 0));
        }
        if load[h] > 0 {
            edges.push((sink, nt + h, 0));
        }
    }
    for (t, task) in problem.tasks().iter().enumerate() {
        let u = task.unassigned_cost as i64;
        if solution.missing[t] < task.demand {
            edges.push((t, sink, u));
        }
        if solution.missing[t] > 0 {
            edges.push((sink, t, -u));
        }
    }
    // Bellman–Ford from a virtual source joined to every node: still improving after n rounds means a cycle.
    let mut dist = vec![0i64; sink + 1];
    for _ in 0..=sink {
        let mut changed = false;
        for &(u, v, c) in &edges {
            if dist[u] + c < dist[v] {
                dist[v] = dist[u] + c;
                changed = true;
            }
        }
        if !changed {
            return false;
        }
    }
    true
}

/// A random problem: each pair present with probability `density` (in percent).
fn problem(
    max_tasks: usize,
    max_helpers: usize,
    max_demand: u64,
    max_capacity: u64,
    density: u32,
) -> impl Strategy<Value = Problem> {
    (1..=max_tasks, 1..=max_helpers).prop_flat_map(move |(nt, nh)| {
        (
            proptest::collection::vec((0..=max_demand, 0u64..=30), nt),
            proptest::collection::vec(0..=max_capacity, nh),
            proptest::collection::vec((0u32..100, 0u64..=40), nt * nh),
        )
            .prop_map(move |(tasks, helpers, pairs)| {
                let tasks = tasks
                    .into_iter()
                    .enumerate()
                    .map(|(i, (demand, unassigned_cost))| Task {
                        id: format!("t{i}"),
                        demand,
                        unassigned_cost,
                    })
                    .collect();
                let helpers = helpers
                    .into_iter()
                    .enumerate()
                    .map(|(i, capacity)| Helper {
                        id: format!("h{i}"),
                        capacity,
                    })
                    .collect();
                let arcs = pairs
                    .into_iter()
                    .enumerate()
                    .filter(|(_, (p, _))| *p < density)
                    .map(|(k, (_, cost))| Arc {
                        task: k / nh,
                        helper: k % nh,
                        cost,
                    })
                    .collect();
                Problem::new(tasks, helpers, arcs).unwrap()
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn small_problems_cost_what_the_brute_force_finds(p in problem(5, 4, 2, 2, 60)) {
        let solution = solve(&p);
        let cost = check_feasible(&p, &solution);
        prop_assert_eq!(cost, brute_force(&p));
    }

    #[test]
    fn scarce_helpers_and_large_demands_still_match_the_brute_force(p in problem(5, 3, 3, 3, 80)) {
        let solution = solve(&p);
        prop_assert_eq!(check_feasible(&p, &solution), brute_force(&p));
    }

    #[test]
    fn larger_problems_leave_no_negative_residual_cycle(p in problem(40, 25, 3, 3, 25)) {
        let solution = solve(&p);
        check_feasible(&p, &solution);
        prop_assert!(!has_negative_cycle(&p, &solution));
    }
}

#[test]
fn the_checker_sees_a_suboptimal_solution() {
    // Leaving the task unfilled (cost 10) when a pair costs 3 is not optimal: the checker must say so.
    let p = Problem::new(
        vec![Task {
            id: "t".into(),
            demand: 1,
            unassigned_cost: 10,
        }],
        vec![Helper {
            id: "h".into(),
            capacity: 1,
        }],
        vec![Arc {
            task: 0,
            helper: 0,
            cost: 3,
        }],
    )
    .unwrap();
    let bad = Solution {
        cost: 10,
        assignments: vec![],
        missing: vec![1],
    };
    assert!(has_negative_cycle(&p, &bad));
    assert!(!has_negative_cycle(&p, &solve(&p)));
}

#[test]
fn a_helper_moves_to_the_task_that_needs_it_more() {
    // t0 reaches h0 (cost 1) and h1 (cost 2); t1 reaches only h0 (cost 1). Greedy in order gives t0 h0 and
    // leaves t1 unfilled (100); the optimum moves t0 to h1.
    let p = Problem::new(
        vec![
            Task {
                id: "t0".into(),
                demand: 1,
                unassigned_cost: 100,
            },
            Task {
                id: "t1".into(),
                demand: 1,
                unassigned_cost: 100,
            },
        ],
        vec![
            Helper {
                id: "h0".into(),
                capacity: 1,
            },
            Helper {
                id: "h1".into(),
                capacity: 1,
            },
        ],
        vec![
            Arc {
                task: 0,
                helper: 0,
                cost: 1,
            },
            Arc {
                task: 0,
                helper: 1,
                cost: 2,
            },
            Arc {
                task: 1,
                helper: 0,
                cost: 1,
            },
        ],
    )
    .unwrap();
    let s = solve(&p);
    assert_eq!(s.cost, 3);
    assert_eq!(s.assignments, vec![1, 2]);
    assert_eq!(s.missing, vec![0, 0]);
}

#[test]
fn a_huge_demand_is_missing_in_one_step() {
    let p = Problem::new(
        vec![Task {
            id: "t".into(),
            demand: 1 << 40,
            unassigned_cost: 7,
        }],
        vec![Helper {
            id: "h".into(),
            capacity: 5,
        }],
        vec![Arc {
            task: 0,
            helper: 0,
            cost: 2,
        }],
    )
    .unwrap();
    let s = solve(&p);
    assert_eq!(s.missing, vec![(1 << 40) - 1]);
    assert_eq!(s.cost, 2 + ((1u64 << 40) - 1) * 7);
}

#[test]
fn a_pair_dearer_than_leaving_the_task_unfilled_is_not_used() {
    let p = Problem::new(
        vec![Task {
            id: "t".into(),
            demand: 2,
            unassigned_cost: 5,
        }],
        vec![
            Helper {
                id: "a".into(),
                capacity: 1,
            },
            Helper {
                id: "b".into(),
                capacity: 1,
            },
        ],
        vec![
            Arc {
                task: 0,
                helper: 0,
                cost: 6,
            },
            Arc {
                task: 0,
                helper: 1,
                cost: 5,
            },
        ],
    )
    .unwrap();
    let s = solve(&p);
    assert_eq!(s.cost, 10);
    assert!(!s.assignments.contains(&0));
}
