//! The exact solver: a min-cost flow by successive shortest paths with node potentials.
//!
//! The network: each task t has a supply of its demand; an arc t→h (capacity 1, the pair's cost) per
//! candidate pair; h→sink (capacity = the helper's capacity, cost 0); t→sink, the "unfilled" arc (capacity =
//! demand, the task's unassigned cost). Sending every unit to the sink at least cost is the optimum.
//!
//! Why this algorithm: one Dijkstra per unit of demand, started at that unit's task and stopped as soon as the
//! sink is settled. While helpers are plentiful the first free helper settles it after a handful of nodes,
//! so the work is near-linear in the arcs; where helpers compete, the search walks the alternating paths
//! (take h from t', give t' another helper or leave it unfilled) exactly as far as the optimum needs. The
//! potentials keep every residual arc's reduced cost non-negative, which is both what lets Dijkstra run and
//! the certificate that the flow is optimal at every step.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::problem::{bucket, Problem};

/// The optimum: which pairs are used, how many helpers each task misses, and the total cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// The assignments' costs plus each missing helper's unassigned cost: the minimum over every feasible
    /// assignment.
    pub cost: u64,
    /// Indices into `Problem::arcs` of the pairs used, ordered by task, then by their order in the input.
    pub assignments: Vec<usize>,
    /// Per task (same order as `Problem::tasks`), how many of its demanded helpers it did not get.
    pub missing: Vec<u64>,
}

/// Solves the problem exactly.
pub fn solve(problem: &Problem) -> Solution {
    let mut network = Network::new(problem);
    for t in 0..network.tasks {
        while network.excess[t] > 0 {
            network.augment_from(t);
        }
    }
    network.solution(problem)
}

/// Marks in a predecessor: how the sink was reached.
#[derive(Clone, Copy)]
enum SinkVia {
    /// The task's unfilled arc.
    Unfilled(u32),
    /// The helper's arc to the sink.
    Helper(u32),
}

struct Network {
    tasks: usize,
    /// Task-major arcs ("slots"): task t's are `start[t]..start[t + 1]`.
    start: Vec<u32>,
    slot_helper: Vec<u32>,
    slot_task: Vec<u32>,
    slot_cost: Vec<i64>,
    /// The input index of the slot's arc.
    slot_arc: Vec<u32>,
    /// Whether the slot carries flow (the pair is assigned).
    used: Vec<bool>,
    /// The slots each helper holds: helper h's are `held[held_start[h]..held_start[h] + load[h]]`. A search
    /// at a helper walks only these (at most its capacity), not every pair it is a candidate for.
    held_start: Vec<u32>,
    held: Vec<u32>,
    /// Per task: the units still to route, what the unfilled arc carries and may carry, its cost.
    excess: Vec<u32>,
    unfilled: Vec<u32>,
    unfilled_cap: Vec<u32>,
    unassigned_cost: Vec<i64>,
    /// Per helper: tasks taken and the capacity that can be used.
    load: Vec<u32>,
    capacity: Vec<u32>,
    /// Node potentials: tasks, then helpers, then the sink (whose potential stays 0).
    potential: Vec<i64>,
    /// Dijkstra's state, reset after each search through `touched`.
    dist: Vec<i64>,
    settled: Vec<bool>,
    /// The slot by which a task or helper node was reached.
    pred: Vec<u32>,
    touched: Vec<u32>,
    settled_order: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

impl Network {
    fn new(problem: &Problem) -> Self {
        let tasks = problem.tasks().len();
        let helpers = problem.helpers().len();
        // A pair dearer than leaving its task unfilled is in no optimum: dropping it saves the difference.
        let kept: Vec<u32> = (0..problem.arcs().len() as u32)
            .filter(|&i| {
                let arc = &problem.arcs()[i as usize];
                arc.cost <= problem.tasks()[arc.task].unassigned_cost
            })
            .collect();
        let arc = |i: u32| &problem.arcs()[i as usize];
        let by_task = bucket(tasks, kept.iter().map(|&i| arc(i).task));
        let slot_arc: Vec<u32> = by_task.items.iter().map(|&k| kept[k as usize]).collect();
        let slot_helper: Vec<u32> = slot_arc.iter().map(|&i| arc(i).helper as u32).collect();
        let slot_task: Vec<u32> = slot_arc.iter().map(|&i| arc(i).task as u32).collect();
        // Costs were checked to fit (nodes + 3) × cost in i64, so these conversions are exact.
        let slot_cost: Vec<i64> = slot_arc.iter().map(|&i| arc(i).cost as i64).collect();
        let mut helper_degree = vec![0u64; helpers];
        slot_helper
            .iter()
            .for_each(|&h| helper_degree[h as usize] += 1);
        let degree = |start: &[usize], k: usize| (start[k + 1] - start[k]) as u64;
        // A task cannot take more helpers than it has pairs, nor a helper more tasks: capping both keeps
        // every count in u32 and routes the rest of a huge demand in one step over the unfilled arc.
        let demand: Vec<u32> = (0..tasks)
            .map(|t| problem.tasks()[t].demand.min(degree(&by_task.start, t)) as u32)
            .collect();
        let capacity: Vec<u32> = (0..helpers)
            .map(|h| problem.helpers()[h].capacity.min(helper_degree[h]) as u32)
            .collect();
        let mut held_start = Vec::with_capacity(helpers);
        let mut total = 0u32;
        for &c in &capacity {
            held_start.push(total);
            total += c;
        }
        let nodes = tasks + helpers + 1;
        Self {
            tasks,
            start: by_task.start.iter().map(|&s| s as u32).collect(),
            used: vec![false; slot_arc.len()],
            slot_helper,
            slot_task,
            slot_cost,
            slot_arc,
            held_start,
            held: vec![0; total as usize],
            excess: demand.clone(),
            unfilled: vec![0; tasks],
            unfilled_cap: demand,
            unassigned_cost: problem
                .tasks()
                .iter()
                .map(|t| t.unassigned_cost as i64)
                .collect(),
            load: vec![0; helpers],
            capacity,
            potential: vec![0; nodes],
            dist: vec![i64::MAX; nodes],
            settled: vec![false; nodes],
            pred: vec![0; nodes],
            touched: Vec::new(),
            settled_order: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn sink(&self) -> usize {
        self.potential.len() - 1
    }

    /// Lowers a node's tentative distance. A node no nearer than the sink's tentative distance is not queued:
    /// the search ends when the sink is settled, before such a node could be.
    fn relax(&mut self, node: usize, d: i64, pred: u32) {
        if d < self.dist[node] && d < self.dist[self.sink()] {
            if self.dist[node] == i64::MAX {
                self.touched.push(node as u32);
            }
            self.dist[node] = d;
            self.pred[node] = pred;
            self.heap.push(Reverse((d, node as u32)));
        }
    }

    /// Routes one unit of task `src`'s excess (or all of it, when leaving it unfilled is cheapest) along a
    /// shortest residual path to the sink, then updates the potentials so reduced costs stay non-negative.
    fn augment_from(&mut self, src: usize) {
        let sink = self.sink();
        let h0 = self.tasks;
        let mut sink_via = SinkVia::Unfilled(src as u32);
        self.relax(src, 0, u32::MAX);
        let mut reached = i64::MAX;
        while let Some(Reverse((d, v))) = self.heap.pop() {
            let v = v as usize;
            if self.settled[v] || d > self.dist[v] {
                continue;
            }
            self.settled[v] = true;
            self.settled_order.push(v as u32);
            if v == sink {
                reached = d;
                break;
            }
            let pv = self.potential[v];
            if v < h0 {
                for slot in self.start[v] as usize..self.start[v + 1] as usize {
                    if !self.used[slot] {
                        let h = h0 + self.slot_helper[slot] as usize;
                        let nd = d + self.slot_cost[slot] + pv - self.potential[h];
                        self.relax(h, nd, slot as u32);
                    }
                }
                if self.unfilled[v] < self.unfilled_cap[v] {
                    let nd = d + self.unassigned_cost[v] + pv - self.potential[sink];
                    if nd < self.dist[sink] {
                        sink_via = SinkVia::Unfilled(v as u32);
                    }
                    self.relax(sink, nd, 0);
                }
            } else {
                let h = v - h0;
                let first = self.held_start[h] as usize;
                for i in first..first + self.load[h] as usize {
                    let slot = self.held[i] as usize;
                    let t = self.slot_task[slot] as usize;
                    let nd = d - self.slot_cost[slot] + pv - self.potential[t];
                    self.relax(t, nd, slot as u32);
                }
                if self.load[h] < self.capacity[h] {
                    let nd = d + pv - self.potential[sink];
                    if nd < self.dist[sink] {
                        sink_via = SinkVia::Helper(h as u32);
                    }
                    self.relax(sink, nd, 0);
                }
            }
        }
        // The unfilled arc of `src` is always residual while it has excess, so the sink is always reached.
        debug_assert!(reached < i64::MAX, "the sink is always reachable");
        for &v in &self.settled_order {
            let v = v as usize;
            self.potential[v] -= reached - self.dist[v];
        }
        self.augment(src, sink_via);
        for &v in &self.touched {
            let v = v as usize;
            self.dist[v] = i64::MAX;
            self.settled[v] = false;
        }
        self.touched.clear();
        self.settled_order.clear();
        self.heap.clear();
    }

    /// Pushes flow back from the sink along the predecessors to `src`.
    fn augment(&mut self, src: usize, via: SinkVia) {
        let h0 = self.tasks;
        let mut task = match via {
            SinkVia::Unfilled(t) if t as usize == src => {
                // Straight to unfilled: nothing on the way limits it, so all of the excess goes.
                self.unfilled[src] += self.excess[src];
                self.excess[src] = 0;
                return;
            }
            SinkVia::Unfilled(t) => {
                self.unfilled[t as usize] += 1;
                t as usize
            }
            SinkVia::Helper(h) => {
                let h = h as usize;
                let slot = self.pred[h0 + h];
                self.used[slot as usize] = true;
                self.held[(self.held_start[h] + self.load[h]) as usize] = slot;
                self.load[h] += 1;
                self.slot_task[slot as usize] as usize
            }
        };
        // Walk back: each task on the path was reached from a helper it held; that helper now goes to the
        // path's previous task, in the same place of the helper's held list.
        while task != src {
            let given_up = self.pred[task];
            let h = self.slot_helper[given_up as usize] as usize;
            let taken = self.pred[h0 + h];
            self.used[given_up as usize] = false;
            self.used[taken as usize] = true;
            let first = self.held_start[h] as usize;
            let held = &mut self.held[first..first + self.load[h] as usize];
            let entry = held.iter_mut().find(|s| **s == given_up);
            debug_assert!(
                entry.is_some(),
                "a helper on the path holds the pair it gives up"
            );
            if let Some(entry) = entry {
                *entry = taken;
            }
            task = self.slot_task[taken as usize] as usize;
        }
        self.excess[src] -= 1;
    }

    fn solution(&self, problem: &Problem) -> Solution {
        let mut assigned = vec![0u64; self.tasks];
        let mut cost: u64 = 0;
        let mut assignments = Vec::new();
        for (slot, _) in self.used.iter().enumerate().filter(|(_, &u)| u) {
            assignments.push(self.slot_arc[slot] as usize);
            assigned[self.slot_task[slot] as usize] += 1;
            cost += self.slot_cost[slot] as u64;
        }
        let missing: Vec<u64> = problem
            .tasks()
            .iter()
            .zip(&assigned)
            .map(|(task, &got)| task.demand - got)
            .collect();
        // Bounded by what leaving every task unfilled costs, checked to fit in i64 when the problem was built.
        cost += problem
            .tasks()
            .iter()
            .zip(&missing)
            .map(|(task, &m)| task.unassigned_cost * m)
            .sum::<u64>();
        Solution {
            cost,
            assignments,
            missing,
        }
    }
}
