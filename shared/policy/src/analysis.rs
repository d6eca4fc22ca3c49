//! Register-wide computations on top of [`evaluate`]: next year's cost forecast, the impact of a policy
//! change, and what changed for one family between two evaluations (newly eligible / no longer
//! eligible). All stream: families are added one at a time, so memory does not grow with the register
//! (except the per-family impact list, which holds only families whose entitlements change).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::eval::{evaluate_with, Detail, Entitlement, Evaluation};
use crate::facts::{FamilyFacts, Role};
use crate::policy::{Period, Policy};

impl Period {
    /// How many times a year an entitlement of this period is paid, for annual costs: 12 for
    /// `month`, 1 otherwise (`once` and `event` count once in the year they arise).
    pub fn per_year(self) -> i64 {
        match self {
            Period::Month => 12,
            _ => 1,
        }
    }
}

/// Cost of one program and payer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CostLine {
    pub program: String,
    pub payer: String,
    /// Beneficiaries (households or persons) entitled at least once in the year.
    pub beneficiaries: u64,
    /// Whole yuan over the year.
    pub amount_cny: i64,
    /// Beneficiaries whose amount is not configured (parameter without value): not in `amount_cny`.
    pub unpriced: u64,
}

/// Next year's cost by program and payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forecast {
    pub tenant: String,
    pub year: i32,
    pub families: u64,
    pub lines: Vec<CostLine>,
    pub total_cny: i64,
}

/// Builds a [`Forecast`] for a calendar year: each family is evaluated on the first day of every
/// month of the year (ages and "this year" move forward with the date); a monthly entitlement costs
/// its amount for every month it is held, any other entitlement its amount once in the year.
/// `once` programs are counted in the year they are due; whether they were already paid in an earlier
/// year is for the ledger to know. A program given its own date ([`ForecastBuilder::on_own_date`], a
/// holiday visit on its festival) is evaluated on that day only, under the policy in force then.
pub struct ForecastBuilder<'p> {
    policy: &'p Policy,
    year: i32,
    months: Vec<NaiveDate>,
    /// Programs evaluated on their own day of the year (`None`: the year has no such day).
    own_dates: Vec<(String, Option<NaiveDate>)>,
    lines: BTreeMap<(&'p str, &'p str), CostLine>,
    families: u64,
    buf: Evaluation<'p>,
    seen: Vec<(&'p str, Option<Role>)>,
}

impl<'p> ForecastBuilder<'p> {
    pub fn new(policy: &'p Policy, year: i32) -> Self {
        let months = (1..=12)
            .filter_map(|m| NaiveDate::from_ymd_opt(year, m, 1))
            .collect();
        ForecastBuilder {
            policy,
            year,
            months,
            own_dates: Vec::new(),
            lines: BTreeMap::new(),
            families: 0,
            buf: Evaluation::default(),
            seen: Vec::new(),
        }
    }

    /// Evaluates `program` on `date` only instead of on the first of each month; `None` counts it
    /// nowhere (the year has no such day).
    pub fn on_own_date(mut self, program: &str, date: Option<NaiveDate>) -> Self {
        self.own_dates.push((program.to_owned(), date));
        self
    }

    pub fn add(&mut self, facts: &FamilyFacts) {
        self.families += 1;
        self.seen.clear();
        let own_dates = std::mem::take(&mut self.own_dates);
        let has_own_date = |program: &str| own_dates.iter().any(|(p, _)| p == program);
        for i in 0..self.months.len() {
            self.tally(facts, self.months[i], |program| !has_own_date(program));
        }
        for (program, date) in &own_dates {
            if let Some(date) = *date {
                self.tally(facts, date, |p| p == program);
            }
        }
        self.own_dates = own_dates;
    }

    /// Evaluates the family on `on` and counts the entitlements of the programs `counted` keeps.
    fn tally(&mut self, facts: &FamilyFacts, on: NaiveDate, counted: impl Fn(&str) -> bool) {
        evaluate_with(
            self.policy,
            facts,
            on,
            Detail::ENTITLEMENTS_ONLY,
            &mut self.buf,
        );
        for e in self.buf.entitlements.iter().filter(|e| counted(e.program)) {
            let first_time = !self
                .seen
                .iter()
                .any(|(p, who)| std::ptr::eq(*p, e.program) && *who == e.person);
            if e.period != Period::Month && !first_time {
                continue;
            }
            let line = self
                .lines
                .entry((e.program, e.payer))
                .or_insert_with(|| CostLine {
                    program: e.program.to_string(),
                    payer: e.payer.to_string(),
                    ..CostLine::default()
                });
            if first_time {
                line.beneficiaries += 1;
                if e.amount_cny.is_none() && program_has_amount(self.policy, e.program) {
                    line.unpriced += 1;
                }
                self.seen.push((e.program, e.person));
            }
            line.amount_cny += e.amount_cny.unwrap_or(0);
        }
    }

    pub fn finish(self) -> Forecast {
        let lines: Vec<CostLine> = self.lines.into_values().collect();
        Forecast {
            tenant: self.policy.tenant().to_string(),
            year: self.year,
            families: self.families,
            total_cny: lines.iter().map(|l| l.amount_cny).sum(),
            lines,
        }
    }
}

fn program_has_amount(policy: &Policy, code: &str) -> bool {
    policy
        .program(code)
        .is_some_and(|p| p.amount != crate::policy::AmountSpec::Service)
}

/// One entitlement as compared between two evaluations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntitlementRef {
    pub program: String,
    pub person: Option<Role>,
    pub amount_cny: Option<i64>,
    pub period: Period,
}

impl From<&Entitlement<'_>> for EntitlementRef {
    fn from(e: &Entitlement<'_>) -> Self {
        EntitlementRef {
            program: e.program.to_string(),
            person: e.person,
            amount_cny: e.amount_cny,
            period: e.period,
        }
    }
}

/// What changed between two evaluations of one family (two dates, or two policy versions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EntitlementChanges {
    /// Entitled after, not before (newly eligible).
    pub gained: Vec<EntitlementRef>,
    /// Entitled before, not after (exits).
    pub lost: Vec<EntitlementRef>,
    /// Entitled both times with a different amount: (before, after).
    pub amount_changed: Vec<(EntitlementRef, EntitlementRef)>,
}

impl EntitlementChanges {
    pub fn is_empty(&self) -> bool {
        self.gained.is_empty() && self.lost.is_empty() && self.amount_changed.is_empty()
    }

    /// Annual cost difference (after − before) in whole yuan, unconfigured amounts counted as 0.
    pub fn annual_cost_difference(&self) -> i64 {
        let annual = |e: &EntitlementRef| e.amount_cny.unwrap_or(0) * e.period.per_year();
        self.gained.iter().map(annual).sum::<i64>() - self.lost.iter().map(annual).sum::<i64>()
            + self
                .amount_changed
                .iter()
                .map(|(b, a)| annual(a) - annual(b))
                .sum::<i64>()
    }
}

/// Compares two evaluations by (program, person).
pub fn compare(before: &Evaluation<'_>, after: &Evaluation<'_>) -> EntitlementChanges {
    let mut out = EntitlementChanges::default();
    for a in &after.entitlements {
        match before
            .entitlements
            .iter()
            .find(|b| b.program == a.program && b.person == a.person)
        {
            None => out.gained.push(a.into()),
            Some(b) if b.amount_cny != a.amount_cny || b.period != a.period => {
                out.amount_changed.push((b.into(), a.into()))
            }
            Some(_) => {}
        }
    }
    for b in &before.entitlements {
        if !after
            .entitlements
            .iter()
            .any(|a| a.program == b.program && a.person == b.person)
        {
            out.lost.push(b.into());
        }
    }
    out
}

/// The changes of one family under a policy change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilyImpact {
    pub family: String,
    pub changes: EntitlementChanges,
}

/// Annual cost difference of one program under a policy change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProgramImpact {
    pub program: String,
    pub gained: u64,
    pub lost: u64,
    pub amount_changed: u64,
    pub annual_cost_difference_cny: i64,
}

/// The impact of replacing `before` with `after` (a second policy version) over a register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    pub as_of: NaiveDate,
    pub families: u64,
    pub families_changed: Vec<FamilyImpact>,
    pub by_program: Vec<ProgramImpact>,
    pub annual_cost_difference_cny: i64,
}

/// Streams families through two policy versions on one date.
pub struct ImpactBuilder<'p> {
    before: &'p Policy,
    after: &'p Policy,
    as_of: NaiveDate,
    families: u64,
    changed: Vec<FamilyImpact>,
    by_program: BTreeMap<String, ProgramImpact>,
    buf_before: Evaluation<'p>,
    buf_after: Evaluation<'p>,
}

impl<'p> ImpactBuilder<'p> {
    pub fn new(before: &'p Policy, after: &'p Policy, as_of: NaiveDate) -> Self {
        ImpactBuilder {
            before,
            after,
            as_of,
            families: 0,
            changed: Vec::new(),
            by_program: BTreeMap::new(),
            buf_before: Evaluation::default(),
            buf_after: Evaluation::default(),
        }
    }

    /// Adds one family, identified by `family` (e.g. its registry id) in the report.
    pub fn add(&mut self, family: impl Into<String>, facts: &FamilyFacts) {
        self.families += 1;
        let d = Detail::ENTITLEMENTS_ONLY;
        evaluate_with(self.before, facts, self.as_of, d, &mut self.buf_before);
        evaluate_with(self.after, facts, self.as_of, d, &mut self.buf_after);
        let changes = compare(&self.buf_before, &self.buf_after);
        if changes.is_empty() {
            return;
        }
        let annual = |e: &EntitlementRef| e.amount_cny.unwrap_or(0) * e.period.per_year();
        for g in &changes.gained {
            let p = self.line(&g.program);
            p.gained += 1;
            p.annual_cost_difference_cny += annual(g);
        }
        for l in &changes.lost {
            let p = self.line(&l.program);
            p.lost += 1;
            p.annual_cost_difference_cny -= annual(l);
        }
        for (b, a) in &changes.amount_changed {
            let p = self.line(&a.program);
            p.amount_changed += 1;
            p.annual_cost_difference_cny += annual(a) - annual(b);
        }
        self.changed.push(FamilyImpact {
            family: family.into(),
            changes,
        });
    }

    fn line(&mut self, program: &str) -> &mut ProgramImpact {
        self.by_program
            .entry(program.to_string())
            .or_insert_with(|| ProgramImpact {
                program: program.to_string(),
                ..ProgramImpact::default()
            })
    }

    pub fn finish(self) -> Impact {
        let by_program: Vec<ProgramImpact> = self.by_program.into_values().collect();
        Impact {
            as_of: self.as_of,
            families: self.families,
            annual_cost_difference_cny: by_program
                .iter()
                .map(|p| p.annual_cost_difference_cny)
                .sum(),
            families_changed: self.changed,
            by_program,
        }
    }
}
