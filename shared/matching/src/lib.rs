//! The matching engine: the exact minimum-cost assignment of service tasks to helpers.
//!
//! Each task wants a number of distinct helpers and has a cost for each one it does not get; each helper can
//! take a number of tasks; candidate pairs carry integer costs. [`solve`] returns an assignment whose total
//! (pairs' costs plus missing helpers' unassigned costs) is the minimum over every feasible one. No I/O: the
//! service layer builds a [`Problem`] from its cost model, the CLI from the JSON contract ([`json`]).

pub mod json;
mod problem;
mod solve;

pub use problem::{Arc, Helper, Problem, ProblemError, Task};
pub use solve::{solve, Solution};
