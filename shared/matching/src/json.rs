//! The JSON contract of `nuanxin matching solve`:
//! `{"unassigned_cost": N, "tasks": [{"id", "demand"?: 1, "unassigned_cost"?: N}], "helpers": [{"id",
//! "capacity"}], "arcs": [{"task", "helper", "cost"}]}` in, `{"cost", "assignments": [{"task", "helper"}],
//! "unassigned": [{"task", "missing"}]}` out.
//!
//! Parsing borrows ids from the input and turns them into indices at once, so 200,000 arcs cost no String
//! allocation. The first pass tracks no path; only a file that fails is parsed again to name the place.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::problem::{Arc, Helper, Problem, ProblemError, Task};
use crate::solve::{solve, Solution};

/// Parses the contract's JSON into a checked problem; every error names its place (`arcs[17].cost`).
pub fn parse(input: &[u8]) -> Result<Problem, ProblemError> {
    let raw: RawProblem<'_> = serde_json::from_slice(input).map_err(|e| locate(input, e))?;
    let mut tasks = Vec::with_capacity(raw.tasks.len());
    let mut task_index = HashMap::with_capacity(raw.tasks.len());
    for (i, t) in raw.tasks.iter().enumerate() {
        let unassigned_cost =
            t.unassigned_cost
                .or(raw.unassigned_cost)
                .ok_or_else(|| ProblemError::Malformed {
                    place: format!("tasks[{i}].unassigned_cost"),
                    reason: "missing, and the file has no unassigned_cost for every task".into(),
                })?;
        // A repeated id is reported by Problem::new, which checks every list the same way.
        task_index.insert(t.id.as_ref(), i);
        tasks.push(Task {
            id: t.id.to_string(),
            demand: t.demand.map_or(1, |d| d.0),
            unassigned_cost: unassigned_cost.0,
        });
    }
    let mut helpers = Vec::with_capacity(raw.helpers.len());
    let mut helper_index = HashMap::with_capacity(raw.helpers.len());
    for (i, h) in raw.helpers.iter().enumerate() {
        helper_index.insert(h.id.as_ref(), i);
        helpers.push(Helper {
            id: h.id.to_string(),
            capacity: h.capacity.0,
        });
    }
    let mut arcs = Vec::with_capacity(raw.arcs.len());
    for (i, a) in raw.arcs.iter().enumerate() {
        let task = *task_index
            .get(a.task.as_ref())
            .ok_or_else(|| ProblemError::UnknownTask {
                place: format!("arcs[{i}].task"),
                id: a.task.to_string(),
            })?;
        let helper =
            *helper_index
                .get(a.helper.as_ref())
                .ok_or_else(|| ProblemError::UnknownHelper {
                    place: format!("arcs[{i}].helper"),
                    id: a.helper.to_string(),
                })?;
        arcs.push(Arc {
            task,
            helper,
            cost: a.cost.0,
        });
    }
    Problem::new(tasks, helpers, arcs)
}

/// The contract's output for a solution of `problem`.
pub fn solution_json(problem: &Problem, solution: &Solution) -> String {
    let tasks = problem.tasks();
    let output = Output {
        cost: solution.cost,
        assignments: solution
            .assignments
            .iter()
            .map(|&i| {
                let arc = problem.arcs()[i];
                Pair {
                    task: &tasks[arc.task].id,
                    helper: &problem.helpers()[arc.helper].id,
                }
            })
            .collect(),
        unassigned: tasks
            .iter()
            .zip(&solution.missing)
            .filter(|(_, &missing)| missing > 0)
            .map(|(task, &missing)| Missing {
                task: &task.id,
                missing,
            })
            .collect(),
    };
    // Serializing plain structs of strings and integers into memory cannot fail.
    serde_json::to_string(&output).unwrap_or_default()
}

/// Parses, solves and renders: the whole of `nuanxin matching solve` but reading the file.
pub fn solve_json(input: &[u8]) -> Result<String, ProblemError> {
    let problem = parse(input)?;
    Ok(solution_json(&problem, &solve(&problem)))
}

/// Parses a failed input again, tracking the path, to say where it went wrong.
fn locate(input: &[u8], first: serde_json::Error) -> ProblemError {
    let de = &mut serde_json::Deserializer::from_slice(input);
    let (path, reason) = match serde_path_to_error::deserialize::<_, RawProblem<'_>>(de) {
        Err(e) => (e.path().to_string(), e.into_inner().to_string()),
        // Only trailing characters after a valid document fail the first pass alone.
        Ok(_) => (String::new(), first.to_string()),
    };
    // The path ends in `?` where the input ended inside an element whose field is not known yet.
    let path = path.trim_end_matches(".?");
    ProblemError::Malformed {
        place: if path.is_empty() || path == "." || path == "?" {
            "the file".into()
        } else {
            path.into()
        },
        reason,
    }
}

#[derive(Deserialize)]
#[serde(expecting = "an object with tasks, helpers and arcs")]
struct RawProblem<'a> {
    #[serde(default)]
    unassigned_cost: Option<Count>,
    #[serde(borrow)]
    tasks: Vec<RawTask<'a>>,
    #[serde(borrow)]
    helpers: Vec<RawHelper<'a>>,
    #[serde(borrow)]
    arcs: Vec<RawArc<'a>>,
}

#[derive(Deserialize)]
#[serde(expecting = "a task {\"id\", \"demand\"?, \"unassigned_cost\"?}")]
struct RawTask<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default)]
    demand: Option<Count>,
    #[serde(default)]
    unassigned_cost: Option<Count>,
}

#[derive(Deserialize)]
#[serde(expecting = "a helper {\"id\", \"capacity\"}")]
struct RawHelper<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    capacity: Count,
}

#[derive(Deserialize)]
#[serde(expecting = "an arc {\"task\", \"helper\", \"cost\"}")]
struct RawArc<'a> {
    #[serde(borrow)]
    task: Cow<'a, str>,
    #[serde(borrow)]
    helper: Cow<'a, str>,
    cost: Count,
}

/// A non-negative integer; `-1`, `1.5` and `2.0` are refused with what was given.
#[derive(Clone, Copy)]
struct Count(u64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl Visitor<'_> for CountVisitor {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a non-negative integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                u64::try_from(v)
                    .map(Count)
                    .map_err(|_| E::custom(format!("must be a non-negative integer, not {v}")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                Err(E::custom(format!(
                    "must be a non-negative integer, not {v:?} (no fractions, no exponents, at most {})",
                    u64::MAX
                )))
            }
        }
        deserializer.deserialize_u64(CountVisitor)
    }
}

#[derive(Serialize)]
struct Output<'a> {
    cost: u64,
    assignments: Vec<Pair<'a>>,
    unassigned: Vec<Missing<'a>>,
}

#[derive(Serialize)]
struct Pair<'a> {
    task: &'a str,
    helper: &'a str,
}

#[derive(Serialize)]
struct Missing<'a> {
    task: &'a str,
    missing: u64,
}
