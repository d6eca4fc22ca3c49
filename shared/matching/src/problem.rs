//! The problem: tasks with a demand, helpers with a capacity, candidate pairs with a cost; checked once,
//! so the solver can trust every index and never overflow.

use std::collections::HashMap;

/// A task that wants `demand` distinct helpers; each helper it does not get costs `unassigned_cost`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Unique among the tasks.
    pub id: String,
    /// How many distinct helpers the task wants.
    pub demand: u64,
    /// The cost of each helper it wants and does not get.
    pub unassigned_cost: u64,
}

/// A helper (a volunteer, or an organization's slot) who can take up to `capacity` tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helper {
    /// Unique among the helpers.
    pub id: String,
    /// How many tasks the helper can take.
    pub capacity: u64,
}

/// A candidate pair: `helper` may serve `task` at `cost`. Indices are into the problem's tasks and helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arc {
    /// Index into `Problem::tasks`.
    pub task: usize,
    /// Index into `Problem::helpers`.
    pub helper: usize,
    /// What it costs that this helper serves this task.
    pub cost: u64,
}

/// Why a problem was refused, with the place it names (`arcs[17].cost`, `tasks[3].id`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemError {
    /// The input is not the contract's JSON: a syntax error, a wrong type, a negative or fractional number.
    #[error("{place}: {reason}")]
    Malformed { place: String, reason: String },
    /// Two tasks (or two helpers) with one id.
    #[error("{place}: repeated id \"{id}\" (already at {first})")]
    RepeatedId {
        place: String,
        first: String,
        id: String,
    },
    /// An arc naming a task id that no task has.
    #[error("{place}: no task has the id \"{id}\"")]
    UnknownTask { place: String, id: String },
    /// An arc naming a helper id that no helper has.
    #[error("{place}: no helper has the id \"{id}\"")]
    UnknownHelper { place: String, id: String },
    /// An arc's task or helper index past the end of its list.
    #[error("{place}: index {index} is out of range (there are {len})")]
    OutOfRange {
        place: String,
        index: usize,
        len: usize,
    },
    /// A second arc for one (task, helper) pair.
    #[error("{place}: repeats the pair of {first} (a task takes a helper at most once)")]
    RepeatedPair { place: String, first: String },
    /// Numbers so large that the total or the solver's potentials could overflow 64 bits.
    #[error("{place}: {reason}")]
    TooLarge { place: String, reason: String },
}

impl ProblemError {
    /// The place in the input the error names.
    pub fn place(&self) -> &str {
        match self {
            Self::Malformed { place, .. }
            | Self::RepeatedId { place, .. }
            | Self::UnknownTask { place, .. }
            | Self::UnknownHelper { place, .. }
            | Self::OutOfRange { place, .. }
            | Self::RepeatedPair { place, .. }
            | Self::TooLarge { place, .. } => place,
        }
    }
}

/// A checked problem: unique ids, arcs within range, no pair twice, numbers that cannot overflow.
#[derive(Debug, Clone)]
pub struct Problem {
    tasks: Vec<Task>,
    helpers: Vec<Helper>,
    arcs: Vec<Arc>,
}

impl Problem {
    /// Checks and builds a problem. Errors name the first offending place.
    pub fn new(
        tasks: Vec<Task>,
        helpers: Vec<Helper>,
        arcs: Vec<Arc>,
    ) -> Result<Self, ProblemError> {
        check_unique("tasks", tasks.iter().map(|t| t.id.as_str()))?;
        check_unique("helpers", helpers.iter().map(|h| h.id.as_str()))?;
        for (name, len) in [
            ("tasks", tasks.len()),
            ("helpers", helpers.len()),
            ("arcs", arcs.len()),
        ] {
            // The solver indexes nodes and arcs with u32 (half the memory traffic of usize).
            if len >= u32::MAX as usize / 2 {
                return Err(ProblemError::TooLarge {
                    place: name.into(),
                    reason: format!("{len} entries; at most {} are supported", u32::MAX / 2 - 1),
                });
            }
        }
        for (i, arc) in arcs.iter().enumerate() {
            for (field, index, len) in [
                ("task", arc.task, tasks.len()),
                ("helper", arc.helper, helpers.len()),
            ] {
                if index >= len {
                    return Err(ProblemError::OutOfRange {
                        place: format!("arcs[{i}].{field}"),
                        index,
                        len,
                    });
                }
            }
        }
        check_pairs(tasks.len(), helpers.len(), &arcs)?;
        check_magnitudes(&tasks, helpers.len(), &arcs)?;
        Ok(Self {
            tasks,
            helpers,
            arcs,
        })
    }

    /// The tasks, in input order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The helpers, in input order.
    pub fn helpers(&self) -> &[Helper] {
        &self.helpers
    }

    /// The candidate pairs, in input order (solutions refer to them by index).
    pub fn arcs(&self) -> &[Arc] {
        &self.arcs
    }
}

fn check_unique<'a>(list: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), ProblemError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.enumerate() {
        if let Some(first) = seen.insert(id, i) {
            return Err(ProblemError::RepeatedId {
                place: format!("{list}[{i}].id"),
                first: format!("{list}[{first}]"),
                id: id.to_owned(),
            });
        }
    }
    Ok(())
}

/// Finds a repeated (task, helper) pair in linear time: arcs bucketed by task, then a per-helper stamp.
fn check_pairs(tasks: usize, helpers: usize, arcs: &[Arc]) -> Result<(), ProblemError> {
    let by_task = bucket(tasks, arcs.iter().map(|a| a.task));
    // seen[h] = (task + 1, arc index) of the last arc to helper h.
    let mut seen = vec![(0usize, 0usize); helpers];
    for t in 0..tasks {
        for &i in &by_task.items[by_task.start[t]..by_task.start[t + 1]] {
            let i = i as usize;
            let slot = &mut seen[arcs[i].helper];
            if slot.0 == t + 1 {
                let (first, repeat) = (slot.1.min(i), slot.1.max(i));
                return Err(ProblemError::RepeatedPair {
                    place: format!("arcs[{repeat}]"),
                    first: format!("arcs[{first}]"),
                });
            }
            *slot = (t + 1, i);
        }
    }
    Ok(())
}

/// Refuses numbers that could overflow. The optimum costs at most what leaving everything unfilled costs,
/// and the solver's distances and potentials stay within (nodes + 2) × the largest cost (README, "Bounds").
fn check_magnitudes(tasks: &[Task], helpers: usize, arcs: &[Arc]) -> Result<(), ProblemError> {
    let limit = i64::MAX as u128;
    let mut all_unfilled: u128 = 0;
    for (i, task) in tasks.iter().enumerate() {
        all_unfilled += u128::from(task.demand) * u128::from(task.unassigned_cost);
        if all_unfilled > limit {
            return Err(ProblemError::TooLarge {
                place: format!("tasks[{i}]"),
                reason: "the demands times the unassigned costs, summed up to this task, exceed 2^63 - 1"
                    .into(),
            });
        }
    }
    let nodes = (tasks.len() + helpers + 3) as u128;
    let max_cost = limit / nodes;
    let too_large = |place: String, cost: u64| ProblemError::TooLarge {
        place,
        reason: format!(
            "{cost} is above {max_cost}, the largest cost safe with this many tasks and helpers"
        ),
    };
    if let Some((i, t)) = tasks
        .iter()
        .enumerate()
        .find(|(_, t)| u128::from(t.unassigned_cost) > max_cost)
    {
        return Err(too_large(
            format!("tasks[{i}].unassigned_cost"),
            t.unassigned_cost,
        ));
    }
    if let Some((i, a)) = arcs
        .iter()
        .enumerate()
        .find(|(_, a)| u128::from(a.cost) > max_cost)
    {
        return Err(too_large(format!("arcs[{i}].cost"), a.cost));
    }
    Ok(())
}

/// Items grouped by a key in `0..keys`, stable within a group (a counting sort).
pub(crate) struct Buckets {
    /// `start[k]..start[k + 1]` is key k's range in `items`.
    pub start: Vec<usize>,
    /// The input positions, grouped by key.
    pub items: Vec<u32>,
}

pub(crate) fn bucket(keys: usize, of: impl Iterator<Item = usize> + Clone) -> Buckets {
    let mut start = vec![0usize; keys + 1];
    for k in of.clone() {
        start[k + 1] += 1;
    }
    for k in 0..keys {
        start[k + 1] += start[k];
    }
    let mut next = start.clone();
    let mut items = vec![0u32; start[keys]];
    for (i, k) in of.enumerate() {
        items[next[k]] = i as u32;
        next[k] += 1;
    }
    Buckets { start, items }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str) -> Task {
        Task {
            id: id.into(),
            demand: 1,
            unassigned_cost: 10,
        }
    }

    fn helper(id: &str) -> Helper {
        Helper {
            id: id.into(),
            capacity: 1,
        }
    }

    fn arc(task: usize, helper: usize, cost: u64) -> Arc {
        Arc { task, helper, cost }
    }

    #[test]
    fn a_repeated_task_id_names_both_places() {
        let err = Problem::new(vec![task("a"), task("b"), task("a")], vec![], vec![]).unwrap_err();
        assert_eq!(err.place(), "tasks[2].id");
        assert_eq!(
            err.to_string(),
            "tasks[2].id: repeated id \"a\" (already at tasks[0])"
        );
    }

    #[test]
    fn a_task_and_a_helper_may_share_an_id() {
        assert!(Problem::new(vec![task("x")], vec![helper("x")], vec![arc(0, 0, 1)]).is_ok());
    }

    #[test]
    fn a_repeated_pair_names_the_later_arc() {
        let arcs = vec![arc(0, 0, 1), arc(1, 0, 1), arc(0, 1, 1), arc(0, 0, 5)];
        let err = Problem::new(
            vec![task("a"), task("b")],
            vec![helper("x"), helper("y")],
            arcs,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ProblemError::RepeatedPair {
                place: "arcs[3]".into(),
                first: "arcs[0]".into()
            }
        );
    }

    #[test]
    fn an_arc_out_of_range_is_refused() {
        let err = Problem::new(vec![task("a")], vec![helper("x")], vec![arc(0, 1, 1)]).unwrap_err();
        assert_eq!(err.place(), "arcs[0].helper");
    }

    #[test]
    fn costs_that_could_overflow_are_refused() {
        let err = Problem::new(
            vec![task("a")],
            vec![helper("x")],
            vec![arc(0, 0, u64::MAX / 2)],
        )
        .unwrap_err();
        assert_eq!(err.place(), "arcs[0].cost");
        let big = Task {
            demand: 1 << 40,
            unassigned_cost: 1 << 30,
            ..task("a")
        };
        let err = Problem::new(vec![task("z"), big], vec![], vec![]).unwrap_err();
        assert_eq!(err.place(), "tasks[1]");
    }

    #[test]
    fn buckets_keep_input_order_within_a_key() {
        let b = bucket(3, [2usize, 0, 2, 1, 0].into_iter());
        assert_eq!(b.start, vec![0, 2, 3, 5]);
        assert_eq!(b.items, vec![1, 4, 3, 0, 2]);
    }
}
