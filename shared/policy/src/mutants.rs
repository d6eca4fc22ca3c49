//! Mutants of a policy: each number and date in force nudged one at a time (a threshold or an age in a
//! condition, a compared date, an amount, a parameter's current value and the date it took effect), so
//! a test suite can show that some case notices every such change. Pure: a list of (description,
//! mutated policy); [`crate::TestSuite::mutation_report`] runs a suite against each.

use std::sync::Arc;

use chrono::{Days, NaiveDate};

use crate::catalog::{self, Scope};
use crate::cond::{Cond, FactRef, Leaf, Rhs, OPS};
use crate::params::ParamValue;
use crate::policy::{AmountC, Policy};

/// One mutated policy and what was changed, e.g. "program `health_check`: person.age gte 50 → 51".
#[derive(Debug, Clone)]
pub struct Mutant {
    pub description: String,
    pub policy: Policy,
}

/// The outcome of running a test suite against every mutant of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutationReport {
    pub tenant: String,
    pub mutants: usize,
    /// The descriptions of the mutants no case noticed (every case still passed).
    pub survivors: Vec<String>,
}

impl std::fmt::Display for MutationReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for s in &self.survivors {
            writeln!(f, "SURVIVED {s}")?;
        }
        writeln!(
            f,
            "{}: {} mutants, {} noticed, {} survived",
            self.tenant,
            self.mutants,
            self.mutants - self.survivors.len(),
            self.survivors.len()
        )
    }
}

/// A number or date of the policy, reachable for change.
enum Slot<'a> {
    Int(&'a mut i64),
    Date(&'a mut NaiveDate),
    /// A parameter value's effective date, with the earliest date it may move to (after the previous
    /// value's) and the policy's first day (a start on or before it takes effect on that day).
    Start {
        date: &'a mut NaiveDate,
        after: Option<NaiveDate>,
        from: NaiveDate,
    },
}

/// Visits every number and date in force, in a fixed order, with a description of where it is.
fn visit(policy: &mut Policy, f: &mut dyn FnMut(&str, Slot<'_>)) {
    let from = policy.legal_basis.in_force_from;
    for p in &mut policy.params {
        let after = p
            .values
            .len()
            .checked_sub(2)
            .and_then(|i| p.values.get(i))
            .map(|e| e.effective_from);
        if let Some(last) = p.values.last_mut() {
            let at = format!("parameter `{}` (from {})", p.name, last.effective_from);
            if let ParamValue::Int(v) = &mut last.value {
                f(&format!("{at} value"), Slot::Int(v));
            }
            f(
                &format!("{at} start"),
                Slot::Start {
                    date: &mut last.effective_from,
                    after,
                    from,
                },
            );
        }
    }
    for d in &mut policy.defs {
        visit_cond(&format!("definition `{}`", d.name), &mut d.cond, f);
    }
    for program in &mut policy.programs {
        let cp = Arc::make_mut(&mut program.compiled);
        let at = format!("program `{}`", program.code);
        visit_cond(&at, &mut cp.when, f);
        for c in &mut cp.payers {
            if let Some(w) = &mut c.when {
                visit_cond(&format!("{at} payer `{}` when", c.value), w, f);
            }
        }
        for c in &mut cp.amounts {
            if let Some(w) = &mut c.when {
                visit_cond(&format!("{at} amount when"), w, f);
            }
            if let AmountC::Fixed(v) = &mut c.value {
                f(&format!("{at} amount"), Slot::Int(v));
            }
        }
    }
}

fn visit_cond(at: &str, c: &mut Cond, f: &mut dyn FnMut(&str, Slot<'_>)) {
    match c {
        Cond::All(items) | Cond::Any(items) => items.iter_mut().for_each(|i| visit_cond(at, i, f)),
        Cond::Not(inner) => visit_cond(at, inner, f),
        Cond::Ref(_) => {}
        Cond::Leaf(Leaf { fact, op, rhs }) => {
            let op = OPS.iter().find(|(_, o)| *o == *op).map_or("?", |(n, _)| n);
            let here = format!("{at}: {} {op}", fact_name(*fact));
            match rhs {
                Rhs::Int(v) => f(&here, Slot::Int(v)),
                Rhs::Date(d) => f(&here, Slot::Date(d)),
                _ => {}
            }
        }
    }
}

fn fact_name(f: FactRef) -> String {
    let name = catalog::info(f.attr).name;
    match f.scope {
        Scope::Family => name.to_string(),
        Scope::Mother => format!("mother.{name}"),
        Scope::Father => format!("father.{name}"),
        Scope::Person => format!("person.{name}"),
    }
}

/// The value a nudge gives a slot (`up`: one more / one day later), or `None` when the change cannot
/// be told apart on any day in force (a start moved within the days before the policy's first) or
/// would not be a valid policy (a negative number, a start on or before the previous value's).
fn nudged(slot: &Slot<'_>, up: bool) -> Option<(String, String)> {
    let day = |d: NaiveDate| {
        if up {
            d.checked_add_days(Days::new(1))
        } else {
            d.checked_sub_days(Days::new(1))
        }
    };
    match slot {
        Slot::Int(v) => {
            let n = if up {
                v.checked_add(1)?
            } else {
                v.checked_sub(1)?
            };
            (n >= 0).then(|| (v.to_string(), n.to_string()))
        }
        Slot::Date(d) => day(**d).map(|n| (d.to_string(), n.to_string())),
        Slot::Start { date, after, from } => {
            let n = day(**date)?;
            let in_force = |d: NaiveDate| d.max(*from);
            let distinct = after.is_none_or(|a| n > a);
            (distinct && in_force(n) != in_force(**date)).then(|| (date.to_string(), n.to_string()))
        }
    }
}

fn apply(slot: Slot<'_>, up: bool) {
    let step = |d: NaiveDate| {
        if up {
            d.checked_add_days(Days::new(1))
        } else {
            d.checked_sub_days(Days::new(1))
        }
    };
    match slot {
        Slot::Int(v) => *v += if up { 1 } else { -1 },
        Slot::Date(d) | Slot::Start { date: d, .. } => {
            if let Some(n) = step(*d) {
                *d = n;
            }
        }
    }
}

impl Policy {
    /// Every mutant of this policy: each number and date in force, one more and one less (a day later
    /// and a day earlier), one at a time. Changes no day in force could show are left out.
    pub fn mutants(&self) -> Vec<Mutant> {
        let mut sites: Vec<(String, bool)> = Vec::new();
        visit(&mut self.clone(), &mut |at, slot| {
            for up in [true, false] {
                if let Some((old, new)) = nudged(&slot, up) {
                    sites.push((format!("{at} {old} → {new}"), up));
                } else {
                    sites.push((String::new(), up));
                }
            }
        });
        let mut out = Vec::new();
        for (i, (description, up)) in sites.into_iter().enumerate() {
            if description.is_empty() {
                continue;
            }
            let mut policy = self.clone();
            let mut seen = 0;
            visit(&mut policy, &mut |_, slot| {
                // Two nudges per slot: slot i / 2, direction as recorded.
                if seen == i / 2 {
                    apply(slot, up);
                }
                seen += 1;
            });
            out.push(Mutant {
                description,
                policy,
            });
        }
        out
    }
}
