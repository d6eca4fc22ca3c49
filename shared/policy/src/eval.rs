//! Evaluating a family's facts on a date into entitlements, with reasons, and the programs it missed.

use std::cell::RefCell;

use chrono::NaiveDate;
use serde::Serialize;

use crate::cond::Env;
use crate::facts::{FamilyFacts, Role};
use crate::policy::{AmountC, CompiledProgram, Period, Policy, Unit};
use crate::reason::Reason;

/// One benefit or service a family (or one parent of it) is entitled to. Its texts are borrowed from
/// the policy it was evaluated against (`'p`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entitlement<'p> {
    pub program: &'p str,
    /// `None` for household programs.
    pub person: Option<Role>,
    /// Whole yuan; `None` for a service, or when the amount's parameter has no value on the date.
    pub amount_cny: Option<i64>,
    pub period: Period,
    pub payer: &'p str,
    /// Document number and clause, e.g. "张卫字〔2020〕134号 三（二）".
    pub basis: &'p str,
    /// Which facts met which conditions, as Chinese sentences.
    pub reasons: Vec<Reason<'p>>,
}

/// A program the family (or one parent) did not get, and the condition it failed.
///
/// Serializes as `{"program", "person", "reasons": [..]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss<'p> {
    pub program: &'p str,
    pub person: Option<Role>,
    /// The failed condition as a sentence with the fact's value, e.g. "母亲未满45周岁（44岁）".
    pub reason: Reason<'p>,
    /// Further failed conditions, only when none of several alternatives held.
    pub more: Vec<Reason<'p>>,
}

impl<'p> Miss<'p> {
    /// All failed-condition sentences.
    pub fn reasons(&self) -> impl Iterator<Item = &Reason<'p>> {
        std::iter::once(&self.reason).chain(self.more.iter())
    }

    /// The failed condition(s) as one sentence (alternatives joined by "；").
    pub fn sentence(&self) -> String {
        self.reasons()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("；")
    }
}

impl Serialize for Miss<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct All<'a, 'p>(&'a Miss<'p>);
        impl Serialize for All<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.reasons())
            }
        }
        let mut st = s.serialize_struct("Miss", 3)?;
        st.serialize_field("program", self.program)?;
        st.serialize_field("person", &self.person)?;
        st.serialize_field("reasons", &All(self))?;
        st.end()
    }
}

/// The result of evaluating one family on one date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evaluation<'p> {
    pub notices: Vec<String>,
    pub entitlements: Vec<Entitlement<'p>>,
    pub missed: Vec<Miss<'p>>,
}

impl<'p> Evaluation<'p> {
    /// `{"tenant","as_of","notices","entitlements"}` exactly as SPEC's CLI and API answer.
    pub fn to_output_json(&self, tenant: &str, as_of: NaiveDate) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("tenant".into(), serde_json::Value::from(tenant));
        m.insert(
            "as_of".into(),
            serde_json::Value::from(as_of.format("%Y-%m-%d").to_string()),
        );
        m.insert(
            "notices".into(),
            serde_json::to_value(&self.notices).unwrap_or_default(),
        );
        m.insert(
            "entitlements".into(),
            serde_json::to_value(&self.entitlements).unwrap_or_default(),
        );
        serde_json::Value::Object(m)
    }

    /// The output JSON plus `"missed"`: the programs not granted and the condition each failed.
    pub fn to_explained_json(&self, tenant: &str, as_of: NaiveDate) -> serde_json::Value {
        let mut v = self.to_output_json(tenant, as_of);
        if let serde_json::Value::Object(m) = &mut v {
            m.insert(
                "missed".into(),
                serde_json::to_value(&self.missed).unwrap_or_default(),
            );
        }
        v
    }

    /// The entitlement of `program` for `person`, if granted.
    pub fn entitlement(&self, program: &str, person: Option<Role>) -> Option<&Entitlement<'p>> {
        self.entitlements
            .iter()
            .find(|e| e.program == program && e.person == person)
    }
}

/// Evaluates `facts` against `policy` on `as_of`.
pub fn evaluate<'p>(policy: &'p Policy, facts: &FamilyFacts, as_of: NaiveDate) -> Evaluation<'p> {
    let n = policy.programs.len() * 2;
    let mut out = Evaluation {
        notices: Vec::new(),
        entitlements: Vec::with_capacity(n),
        missed: Vec::with_capacity(n),
    };
    evaluate_into(policy, facts, as_of, &mut out);
    out
}

/// How much an evaluation explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// Build the reasons of each entitlement.
    pub reasons: bool,
    /// List the programs missed, with the failed condition.
    pub missed: bool,
}

impl Detail {
    /// Reasons and misses (what [`evaluate`] gives).
    pub const FULL: Detail = Detail {
        reasons: true,
        missed: true,
    };
    /// Entitlements (program, person, amount, period, payer, basis) with empty `reasons` and no
    /// `missed`: for computing a whole register (cycles, forecasts) where sentences are not shown.
    pub const ENTITLEMENTS_ONLY: Detail = Detail {
        reasons: false,
        missed: false,
    };
}

/// Like [`evaluate`], reusing `out`'s buffers (cleared first); for evaluating a whole register.
pub fn evaluate_into<'p>(
    policy: &'p Policy,
    facts: &FamilyFacts,
    as_of: NaiveDate,
    out: &mut Evaluation<'p>,
) {
    evaluate_with(policy, facts, as_of, Detail::FULL, out);
}

/// Evaluates with the given [`Detail`], reusing `out`'s buffers (cleared first).
pub fn evaluate_with<'p>(
    policy: &'p Policy,
    facts: &FamilyFacts,
    as_of: NaiveDate,
    detail: Detail,
    out: &mut Evaluation<'p>,
) {
    out.notices.clear();
    out.entitlements.clear();
    out.missed.clear();
    if !policy.in_force_on(as_of) {
        out.notices.push(policy.out_of_force_notice(as_of));
        return;
    }
    // Reason buffers kept per thread between evaluations (cleared after each), so explaining a
    // register does not grow fresh buffers for every family.
    let (explained, scratch) = BUFFERS.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let (explained, mut scratch) = (recycle(explained), recycle(scratch));
    let mut env = Env::new(facts, &policy.params, &policy.defs, as_of, explained);
    let mut seen_roles = [false, false];
    for p in &facts.parents {
        let i = match p.role {
            Role::Mother => 0,
            Role::Father => 1,
        };
        if seen_roles[i] {
            out.notices.push(format!(
                "家庭事实中有多于一位{}，只按第一位计算",
                p.role.label()
            ));
        }
        seen_roles[i] = true;
    }
    for program in &policy.programs {
        let cp = &*program.compiled;
        match cp.unit {
            Unit::Household => {
                env.set_person(None);
                evaluate_program(policy, cp, &env, None, out, &mut scratch, detail);
            }
            Unit::Person => {
                for (role, parent) in [(Role::Mother, env.mother), (Role::Father, env.father)] {
                    if parent.is_some_and(|p| p.alive) {
                        env.set_person(Some(role));
                        evaluate_program(policy, cp, &env, Some(role), out, &mut scratch, detail);
                    }
                }
                env.set_person(None);
            }
        }
    }
    let buffers = (recycle(env.into_buffer()), recycle(scratch));
    BUFFERS.with(|b| *b.borrow_mut() = buffers);
}

thread_local! {
    /// Per thread: the (empty) definition-explanation arena and scratch list of reasons, kept between
    /// evaluations for their capacity.
    static BUFFERS: RefCell<(Vec<Reason<'static>>, Vec<Reason<'static>>)> =
        const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Empties a list of reasons and gives its allocation to a list of another lifetime: the emptied
/// iterator is collected in place (same layout), so the capacity is kept without unsafe code.
fn recycle<'b>(mut v: Vec<Reason<'_>>) -> Vec<Reason<'b>> {
    v.clear();
    // `filter` cannot change the item type, which is the point here.
    #[allow(clippy::unnecessary_filter_map)]
    v.into_iter().filter_map(|_| None).collect()
}

fn evaluate_program<'p>(
    policy: &'p Policy,
    cp: &'p CompiledProgram,
    env: &Env<'p, '_>,
    person: Option<Role>,
    out: &mut Evaluation<'p>,
    scratch: &mut Vec<Reason<'p>>,
    detail: Detail,
) {
    scratch.clear();
    if !env.holds(&cp.when) {
        if !detail.missed {
            return;
        }
        env.explain_fail(&cp.when, scratch);
        if scratch.len() > 1 {
            dedupe(scratch);
        }
        let more = if scratch.len() > 1 {
            scratch.drain(1..).collect()
        } else {
            Vec::new()
        };
        let reason = scratch.pop().unwrap_or_else(|| Reason::text("不符合条件"));
        out.missed.push(Miss {
            program: &cp.code,
            person,
            reason,
            more,
        });
        return;
    }
    let explain = detail.reasons;
    if explain {
        env.explain_pass(&cp.when, scratch);
    }
    // The payer and amount alternatives: the first whose `when` holds, else the last. The reasons of the
    // choice are given too (for the last: why the earlier ones did not apply).
    let payer = choose(&cp.payers, env, scratch, explain).as_str();
    let amount = choose(&cp.amounts, env, scratch, explain).clone();
    if cp.may_repeat_reasons {
        dedupe(scratch);
    }
    // Exactly sized; the scratch buffer keeps its capacity for the next program.
    let mut reasons = Vec::with_capacity(scratch.len());
    #[allow(clippy::extend_with_drain)]
    reasons.extend(scratch.drain(..));
    let amount_cny = match amount {
        AmountC::Service => None,
        AmountC::Fixed(v) => Some(v),
        AmountC::Param(i) => {
            let v = policy.params.get(i).and_then(|p| p.value_on(env.as_of));
            if v.is_none() {
                if let Some(notice) = cp.unconfigured_notices.get(&i) {
                    if !out.notices.iter().any(|n| n == notice) {
                        out.notices.push(notice.clone());
                    }
                }
            }
            v
        }
    };
    out.entitlements.push(Entitlement {
        program: &cp.code,
        person,
        amount_cny,
        period: cp.period,
        payer,
        basis: &cp.basis,
        reasons,
    });
}

fn choose<'p, T>(
    choices: &'p [crate::policy::Choice<T>],
    env: &Env<'p, '_>,
    reasons: &mut Vec<Reason<'p>>,
    explain: bool,
) -> &'p T {
    let mut skipped = 0;
    for (i, c) in choices.iter().enumerate() {
        match &c.when {
            Some(w) if env.holds(w) => {
                if explain {
                    env.explain_pass(w, reasons);
                }
                return &c.value;
            }
            Some(_) => skipped = i + 1,
            None if !explain => return &c.value,
            None => {
                for prev in &choices[..skipped] {
                    if let Some(w) = &prev.when {
                        env.explain_fail(w, reasons);
                    }
                }
                return &c.value;
            }
        }
    }
    // Unreachable for parsed policies (the last alternative has no `when`); fall back to the last.
    &choices[choices.len().saturating_sub(1)].value
}

/// Drops repeated sentences (a fact met by two branches is said once).
fn dedupe(reasons: &mut Vec<Reason<'_>>) {
    if reasons.len() < 2 {
        return;
    }
    let mut i = 1;
    while i < reasons.len() {
        if reasons[..i].contains(&reasons[i]) {
            reasons.remove(i);
        } else {
            i += 1;
        }
    }
}
