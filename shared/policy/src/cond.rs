//! The condition language: a typed tree compiled from YAML, evaluated against a family's facts.
//!
//! ```yaml
//! when:
//!   all:                                   # every item holds
//!     - ref: bereaved_family               # a named condition from `definitions`
//!     - {fact: person.age, gte: 60}        # comparison on a fact
//!     - {fact: household.monthly_income_per_capita_cny, lt: {param: beijing_min_wage}}
//!     - {fact: child.died_on, in_year: current}
//!     - any: [...]                         # at least one item holds
//!     - not: {...}                         # the item does not hold
//! ```

use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;

use crate::catalog::{self, Attr, FactType, Scope};
use crate::facts::{age_on, days_between, Care, Child, FamilyFacts, Kind, Parent, Role, SelfCare};
use crate::params::{ParamUnit, Parameter};
use crate::reason::{Cmp, Op, PolicyText, RLabel, RVal, Reason, Subject};
use crate::yaml::{is_null, line_of, scalar_line, Ctx, ErrorKind, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FactRef {
    pub scope: Scope,
    pub attr: Attr,
}

#[derive(Debug, Clone)]
pub(crate) enum Rhs {
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    Sym(u8),
    Text(String),
    SymSet(u32),
    TextSet(Vec<String>),
    Param(usize),
    Fact(FactRef),
    /// InYear offset.
    Year(i32),
}

#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub fact: FactRef,
    pub op: Op,
    pub rhs: Rhs,
}

#[derive(Debug, Clone)]
pub(crate) enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Leaf(Leaf),
    /// A named condition from `definitions` (evaluated once per family / person and cached).
    Ref(usize),
}

impl Cond {
    pub fn uses_person(&self, defs: &[Definition]) -> bool {
        match self {
            Cond::All(items) | Cond::Any(items) => items.iter().any(|c| c.uses_person(defs)),
            Cond::Not(inner) => inner.uses_person(defs),
            Cond::Ref(i) => defs.get(*i).is_some_and(|d| d.uses_person),
            Cond::Leaf(l) => {
                l.fact.scope == Scope::Person
                    || matches!(
                        l.rhs,
                        Rhs::Fact(FactRef {
                            scope: Scope::Person,
                            ..
                        })
                    )
            }
        }
    }
}

/// A named condition from `definitions`.
#[derive(Debug, Clone)]
pub(crate) struct Definition {
    pub name: String,
    pub cond: Cond,
    pub uses_person: bool,
}

/// Definitions beyond this many are not cached (still correct, only slower).
pub(crate) const DEF_CACHE: usize = 48;

pub(crate) struct Compiler<'a> {
    pub ctx: Ctx<'a>,
    pub params: &'a [Parameter],
    pub defs: &'a [Definition],
    /// `person.*` facts are allowed (person programs and definitions).
    pub person_allowed: bool,
}

pub(crate) const OPS: &[(&str, Op)] = &[
    ("eq", Op::Eq),
    ("ne", Op::Ne),
    ("lt", Op::Lt),
    ("lte", Op::Lte),
    ("gt", Op::Gt),
    ("gte", Op::Gte),
    ("in", Op::In),
    ("not_in", Op::NotIn),
    ("is_set", Op::IsSet),
    ("in_year", Op::InYear),
];

fn param_unit_fits(ty: FactType, unit: ParamUnit) -> bool {
    matches!(
        (ty, unit),
        (FactType::Age, ParamUnit::Years)
            | (FactType::Money, ParamUnit::Cny)
            | (FactType::Days, ParamUnit::Days)
            | (FactType::Grade, ParamUnit::Count)
    )
}

fn is_numeric(ty: FactType) -> bool {
    matches!(
        ty,
        FactType::Age | FactType::Money | FactType::Days | FactType::Grade
    )
}

impl Compiler<'_> {
    pub fn compile(&self, node: &Node) -> Result<Cond> {
        let ctx = self.ctx;
        let line = line_of(node);
        let m = ctx.mapping(
            node,
            "a condition (all / any / not / ref / {fact: NAME, OP: VALUE})",
        )?;
        if m.get_node("fact").is_some() {
            return self.leaf(m, line);
        }
        if m.len() != 1 {
            return Err(ctx.err(
                line,
                ErrorKind::BadValue,
                "a condition has exactly one of `all`, `any`, `not`, `ref`, or `fact` with one operator",
            ));
        }
        let Some((key, value)) = m.iter().next() else {
            return Err(ctx.err(line, ErrorKind::BadValue, "empty condition"));
        };
        match key.as_str() {
            "all" | "any" => {
                let seq = ctx.sequence(value, &format!("`{}`", key.as_str()))?;
                if seq.is_empty() {
                    return Err(ctx.err(
                        scalar_line(key),
                        ErrorKind::BadValue,
                        format!("`{}` needs at least one condition", key.as_str()),
                    ));
                }
                let items = seq
                    .iter()
                    .map(|n| self.compile(n))
                    .collect::<Result<Vec<_>>>()?;
                if key.as_str() == "all" {
                    Ok(Cond::All(items))
                } else {
                    Ok(Cond::Any(items))
                }
            }
            "not" => Ok(Cond::Not(Box::new(self.compile(value)?))),
            "ref" => {
                let name = ctx.string(value, "`ref`")?;
                let idx = self.defs.iter().position(|d| d.name == name).ok_or_else(|| {
                    ctx.err(
                        line_of(value),
                        ErrorKind::UnknownDefinition,
                        format!("unknown definition `{name}` (definitions must be declared, above their use, under `definitions`)"),
                    )
                })?;
                if !self.person_allowed && self.defs[idx].uses_person {
                    return Err(ctx.err(
                        line_of(value),
                        ErrorKind::UnknownFact,
                        format!("definition `{name}` uses `person.*` facts, which exist only in programs with `unit: person`"),
                    ));
                }
                Ok(Cond::Ref(idx))
            }
            other => Err(ctx.err(
                scalar_line(key),
                ErrorKind::UnknownField,
                format!("unknown condition `{other}` (expected all, any, not, ref, or fact with an operator)"),
            )),
        }
    }

    fn fact(&self, name: &str, line: usize) -> Result<(FactRef, &'static catalog::FactInfo)> {
        let ctx = self.ctx;
        let (scope, info) = catalog::lookup(name).ok_or_else(|| {
            ctx.err(
                line,
                ErrorKind::UnknownFact,
                format!(
                    "condition on unknown fact `{name}`; known facts: {}",
                    catalog::all_names()
                ),
            )
        })?;
        if scope == Scope::Person && !self.person_allowed {
            return Err(ctx.err(
                line,
                ErrorKind::UnknownFact,
                format!("fact `{name}` exists only in programs with `unit: person` (use mother.* / father.* in household programs)"),
            ));
        }
        Ok((
            FactRef {
                scope,
                attr: info.attr,
            },
            info,
        ))
    }

    fn leaf(&self, m: &MarkedMappingNode, line: usize) -> Result<Cond> {
        let ctx = self.ctx;
        let mut fact_node = None;
        let mut op: Option<(Op, &Node, usize)> = None;
        for (k, v) in m.iter() {
            let key = k.as_str();
            if key == "fact" {
                fact_node = Some(v);
                continue;
            }
            let Some((_, o)) = OPS.iter().find(|(n, _)| *n == key) else {
                return Err(ctx.err(
                    scalar_line(k),
                    ErrorKind::UnknownField,
                    format!(
                        "unknown operator `{key}` (expected one of: {})",
                        OPS.iter().map(|o| o.0).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            if op.is_some() {
                return Err(ctx.err(
                    scalar_line(k),
                    ErrorKind::BadValue,
                    "a comparison has exactly one operator; combine several with `all`",
                ));
            }
            op = Some((*o, v, scalar_line(k)));
        }
        let fact_node =
            fact_node.ok_or_else(|| ctx.err(line, ErrorKind::MissingField, "missing `fact`"))?;
        let name = ctx.string(fact_node, "`fact`")?;
        let (fact, info) = self.fact(&name, line_of(fact_node))?;
        let Some((op, value, op_line)) = op else {
            return Err(ctx.err(
                line,
                ErrorKind::MissingField,
                format!(
                    "comparison on `{name}` has no operator (one of: {})",
                    OPS.iter().map(|o| o.0).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        let vline = line_of(value).max(op_line);
        let mismatch = |msg: String| ctx.err(vline, ErrorKind::TypeMismatch, msg);
        let rhs = match op {
            Op::IsSet => Rhs::Bool(ctx.boolean(value, "`is_set`")?),
            Op::InYear => {
                if info.ty != FactType::Date {
                    return Err(mismatch(format!(
                        "`in_year` needs a date fact; `{name}` is not a date"
                    )));
                }
                match ctx.string(value, "`in_year`")?.as_str() {
                    "current" => Rhs::Year(0),
                    "previous" => Rhs::Year(-1),
                    other => {
                        return Err(ctx.err(
                            vline,
                            ErrorKind::BadValue,
                            format!("`in_year` is `current` or `previous`, not `{other}`"),
                        ))
                    }
                }
            }
            Op::In | Op::NotIn => {
                let seq = ctx.sequence(value, "the value of `in` / `not_in`")?;
                match info.ty {
                    FactType::Enum(values) => {
                        let mut bits = 0u32;
                        for item in seq.iter() {
                            let s = ctx.string(item, "a value")?;
                            bits |= 1 << self.sym(values, &s, &name, line_of(item))?;
                        }
                        Rhs::SymSet(bits)
                    }
                    FactType::Text => {
                        let items = seq
                            .iter()
                            .map(|i| ctx.string(i, "a value"))
                            .collect::<Result<Vec<String>>>()?;
                        Rhs::TextSet(items)
                    }
                    _ => {
                        return Err(mismatch(format!(
                            "`in` / `not_in` apply to coded or text facts; `{name}` is not one"
                        )))
                    }
                }
            }
            Op::Eq | Op::Ne | Op::Lt | Op::Lte | Op::Gt | Op::Gte => {
                let ordered = !matches!(op, Op::Eq | Op::Ne);
                if let Some(refmap) = value.as_mapping() {
                    self.reference(refmap, info, &name, vline)?
                } else {
                    match info.ty {
                        ty if is_numeric(ty) => Rhs::Int(ctx.int(value, "the compared value")?),
                        FactType::Date => Rhs::Date(ctx.date(value, "the compared value")?),
                        FactType::Bool if !ordered => {
                            Rhs::Bool(ctx.boolean(value, "the compared value")?)
                        }
                        FactType::Enum(values) if !ordered => {
                            let s = ctx.string(value, "the compared value")?;
                            Rhs::Sym(self.sym(values, &s, &name, vline)?)
                        }
                        FactType::Text if !ordered => {
                            Rhs::Text(ctx.string(value, "the compared value")?)
                        }
                        _ => {
                            return Err(mismatch(format!(
                                "`{name}` cannot be compared with lt/lte/gt/gte; use eq / ne"
                            )))
                        }
                    }
                }
            }
        };
        if is_null(value) && op != Op::IsSet {
            return Err(ctx.err(
                vline,
                ErrorKind::BadValue,
                "compare with a value, not null; use `is_set: false`",
            ));
        }
        Ok(Cond::Leaf(Leaf { fact, op, rhs }))
    }

    fn sym(&self, values: &[(&str, &str)], s: &str, fact: &str, line: usize) -> Result<u8> {
        values
            .iter()
            .position(|(code, _)| *code == s)
            .and_then(|i| u8::try_from(i).ok())
            .ok_or_else(|| {
                self.ctx.err(
                    line,
                    ErrorKind::BadValue,
                    format!(
                        "`{s}` is not a value of `{fact}` (expected one of: {})",
                        values.iter().map(|v| v.0).collect::<Vec<_>>().join(", ")
                    ),
                )
            })
    }

    /// `{param: NAME}` or `{fact: NAME}` on the right-hand side.
    fn reference(
        &self,
        m: &MarkedMappingNode,
        info: &catalog::FactInfo,
        name: &str,
        line: usize,
    ) -> Result<Rhs> {
        let ctx = self.ctx;
        ctx.check_keys(m, &["param", "fact"], &[], "a reference")?;
        if let Some(p) = m.get_node("param") {
            let pname = ctx.string(p, "`param`")?;
            let idx = self
                .params
                .iter()
                .position(|x| x.name == pname)
                .ok_or_else(|| {
                    ctx.err(
                        line_of(p),
                        ErrorKind::UnknownParameter,
                        format!("reference to unknown parameter `{pname}` (declare it under `parameters`)"),
                    )
                })?;
            let unit = self.params[idx].unit;
            if !param_unit_fits(info.ty, unit) {
                return Err(ctx.err(
                    line_of(p),
                    ErrorKind::TypeMismatch,
                    format!(
                        "`{name}` cannot be compared with parameter `{pname}` (unit {})",
                        unit.as_str()
                    ),
                ));
            }
            return Ok(Rhs::Param(idx));
        }
        if let Some(f) = m.get_node("fact") {
            let fname = ctx.string(f, "`fact`")?;
            let (fref, finfo) = self.fact(&fname, line_of(f))?;
            if finfo.ty != info.ty {
                return Err(ctx.err(
                    line_of(f),
                    ErrorKind::TypeMismatch,
                    format!("`{name}` and `{fname}` are of different kinds and cannot be compared"),
                ));
            }
            return Ok(Rhs::Fact(fref));
        }
        Err(ctx.err(
            line,
            ErrorKind::BadValue,
            "a reference is {param: NAME} or {fact: NAME}",
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Val<'a> {
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    Sym(u8),
    Text(&'a str),
    Missing,
    /// The fact is recorded with a date after the evaluation date (the dated fact named): on that date
    /// it had not happened, so it compares like [`Val::Missing`] and is worded with its date.
    NotYet(Attr, NaiveDate),
}

impl Val<'_> {
    /// No value on the evaluation date (missing, or dated after it).
    fn is_absent(self) -> bool {
        matches!(self, Val::Missing | Val::NotYet(..))
    }
}

/// The facts of one family on one date, with the derived facts computed once.
/// `'p` is the policy's lifetime (reasons borrow its texts), `'f` the facts'.
pub(crate) struct Env<'p, 'f> {
    pub facts: &'f FamilyFacts,
    pub params: &'p [Parameter],
    pub defs: &'p [Definition],
    /// Per definition: 0 = not evaluated yet, 1 = false, 2 = true.
    cache: [Cell<u8>; DEF_CACHE],
    /// Per definition and direction (`2 * i + pass`): where its explanation is kept in `explained`
    /// (`start > end` = not explained yet).
    spans: [Cell<(u32, u32)>; 2 * DEF_CACHE],
    /// The explanations of the definitions explained so far, so each is built once per family / person.
    explained: RefCell<Vec<Reason<'p>>>,
    pub as_of: NaiveDate,
    pub year: i32,
    pub mother: Option<&'f Parent>,
    pub father: Option<&'f Parent>,
    pub mother_age: i64,
    pub father_age: i64,
    pub widowed: bool,
    /// The child's death or disability certification when it is dated after the evaluation date: the
    /// family was not (yet) of its kind then.
    child_not_yet: Option<(Attr, NaiveDate)>,
    /// The parent being evaluated in a person program.
    pub person: Option<Role>,
}

impl<'p, 'f> Env<'p, 'f> {
    pub fn new(
        facts: &'f FamilyFacts,
        params: &'p [Parameter],
        defs: &'p [Definition],
        as_of: NaiveDate,
        explained: Vec<Reason<'p>>,
    ) -> Env<'p, 'f> {
        let mother = facts.parent(Role::Mother);
        let father = facts.parent(Role::Father);
        let alive = facts.parents.iter().filter(|p| p.alive).count();
        let dead = facts.parents.len() - alive;
        let child_not_yet = match facts.child {
            Child::Deceased { died_on } if died_on > as_of => Some((Attr::ChildDiedOn, died_on)),
            Child::Disabled {
                certified_on: Some(d),
                ..
            } if d > as_of => Some((Attr::ChildCertifiedOn, d)),
            _ => None,
        };
        Env {
            facts,
            params,
            defs,
            cache: std::array::from_fn(|_| Cell::new(0)),
            spans: std::array::from_fn(|_| Cell::new(NOT_EXPLAINED)),
            explained: RefCell::new(explained),
            as_of,
            year: as_of.year(),
            mother,
            father,
            mother_age: mother.map(|p| age_on(p.birth_date, as_of)).unwrap_or(0),
            father_age: father.map(|p| age_on(p.birth_date, as_of)).unwrap_or(0),
            widowed: alive >= 1 && dead >= 1,
            child_not_yet,
            person: None,
        }
    }

    fn parent(&self, scope: Scope) -> Option<(&'f Parent, i64, Role)> {
        let role = match scope {
            Scope::Mother => Role::Mother,
            Scope::Father => Role::Father,
            Scope::Person => self.person?,
            Scope::Family => return None,
        };
        match role {
            Role::Mother => self.mother.map(|p| (p, self.mother_age, role)),
            Role::Father => self.father.map(|p| (p, self.father_age, role)),
        }
    }

    pub fn subject(&self, scope: Scope) -> Subject {
        match scope {
            Scope::Family => Subject::Family,
            Scope::Mother => Subject::Mother,
            Scope::Father => Subject::Father,
            Scope::Person => match self.person {
                Some(Role::Father) => Subject::Father,
                _ => Subject::Mother,
            },
        }
    }

    /// The fact's value on the evaluation date. A dated fact (the child's death or certification, a
    /// re-birth, a hospital stay, a treatment start) counts only from its date: one dated after the
    /// evaluation date is [`Val::NotYet`], and so is what rests on it (the family's kind, the child's
    /// status and grade, the treatment's length).
    pub fn get(&self, f: FactRef) -> Val<'f> {
        let facts = self.facts;
        if f.scope == Scope::Family {
            if let (
                Attr::Kind
                | Attr::ChildStatus
                | Attr::ChildDiedOn
                | Attr::ChildGrade
                | Attr::ChildCertifiedOn,
                Some((attr, d)),
            ) = (f.attr, self.child_not_yet)
            {
                return Val::NotYet(attr, d);
            }
            return match f.attr {
                Attr::Kind => Val::Sym(match facts.kind {
                    Kind::Bereaved => 0,
                    Kind::Disabled => 1,
                }),
                Attr::Hukou => Val::Text(&facts.hukou_district),
                Attr::Widowed => Val::Bool(self.widowed),
                Attr::ChildStatus => Val::Sym(match facts.child {
                    Child::Deceased { .. } => 0,
                    Child::Disabled { .. } => 1,
                }),
                Attr::ChildDiedOn => match facts.child {
                    Child::Deceased { died_on } => Val::Date(died_on),
                    Child::Disabled { .. } => Val::Missing,
                },
                Attr::ChildGrade => match facts.child {
                    Child::Disabled {
                        disability_grade, ..
                    } => Val::Int(i64::from(disability_grade)),
                    Child::Deceased { .. } => Val::Missing,
                },
                Attr::ChildCertifiedOn => match facts.child {
                    Child::Disabled {
                        certified_on: Some(d),
                        ..
                    } => Val::Date(d),
                    _ => Val::Missing,
                },
                Attr::Income => Val::Int(facts.household.monthly_income_per_capita_cny),
                Attr::PriorIncome => Val::Int(facts.household.prior_year_total_income_cny),
                Attr::RebirthOn => self.dated(
                    Attr::RebirthOn,
                    facts.rebirth.assisted_reproduction_birth_on,
                ),
                _ => Val::Missing,
            };
        }
        let Some((p, age, role)) = self.parent(f.scope) else {
            return Val::Missing;
        };
        match f.attr {
            Attr::Role => Val::Sym(match role {
                Role::Mother => 0,
                Role::Father => 1,
            }),
            Attr::Age => Val::Int(age),
            Attr::BirthDate => Val::Date(p.birth_date),
            Attr::Alive => Val::Bool(p.alive),
            Attr::SelfCare => Val::Sym(match p.self_care {
                SelfCare::Full => 0,
                SelfCare::Partial => 1,
                SelfCare::None => 2,
            }),
            Attr::Sanwu => Val::Bool(p.sanwu),
            Attr::Care => Val::Sym(match p.care {
                Care::Home => 0,
                Care::NursingHome => 1,
            }),
            Attr::NursingHomeInDistrict => Val::Bool(p.nursing_home_in_district),
            Attr::IllnessOn => self.dated(Attr::IllnessOn, p.major_illness_hospitalized_on),
            Attr::OutOfPocket => Val::Int(p.out_of_pocket_medical_cny),
            Attr::FertilitySince => self.dated(Attr::FertilitySince, p.fertility_treatment_since),
            Attr::FertilityDays => {
                match self.dated(Attr::FertilitySince, p.fertility_treatment_since) {
                    Val::Date(d) => Val::Int(days_between(d, self.as_of)),
                    other => other,
                }
            }
            Attr::WantsHomeServices => Val::Bool(p.wants_home_services),
            _ => Val::Missing,
        }
    }

    /// A date fact as of the evaluation date: missing when unset, [`Val::NotYet`] when later.
    fn dated(&self, attr: Attr, d: Option<NaiveDate>) -> Val<'f> {
        match d {
            Some(d) if d > self.as_of => Val::NotYet(attr, d),
            Some(d) => Val::Date(d),
            None => Val::Missing,
        }
    }

    fn rhs<'v>(&'v self, rhs: &'v Rhs) -> Val<'v> {
        match rhs {
            Rhs::Int(n) => Val::Int(*n),
            Rhs::Bool(b) => Val::Bool(*b),
            Rhs::Date(d) => Val::Date(*d),
            Rhs::Sym(s) => Val::Sym(*s),
            Rhs::Text(t) => Val::Text(t.as_str()),
            Rhs::Param(i) => match self.params.get(*i).and_then(|p| p.value_on(self.as_of)) {
                Some(v) => Val::Int(v),
                None => Val::Missing,
            },
            Rhs::Fact(f) => self.get(*f),
            Rhs::Year(off) => Val::Int(i64::from(self.year) + i64::from(*off)),
            Rhs::SymSet(_) | Rhs::TextSet(_) => Val::Missing,
        }
    }

    fn leaf_holds(&self, leaf: &'p Leaf) -> bool {
        let lhs = self.get(leaf.fact);
        match (leaf.op, &leaf.rhs) {
            (Op::IsSet, Rhs::Bool(want)) => lhs.is_absent() != *want,
            (Op::InYear, Rhs::Year(off)) => match lhs {
                Val::Date(d) => d.year() == self.year + off,
                _ => false,
            },
            (Op::In | Op::NotIn, set) => {
                let inside = match (lhs, set) {
                    (Val::Sym(s), Rhs::SymSet(bits)) => bits & (1u32 << s) != 0,
                    (Val::Text(t), Rhs::TextSet(items)) => items.iter().any(|i| i == t),
                    _ => return false,
                };
                inside == (leaf.op == Op::In)
            }
            (op, rhs) => {
                let rhs = self.rhs(rhs);
                let ord = match (lhs, rhs) {
                    (Val::Int(a), Val::Int(b)) => a.cmp(&b),
                    (Val::Date(a), Val::Date(b)) => a.cmp(&b),
                    (Val::Bool(a), Val::Bool(b)) => a.cmp(&b),
                    (Val::Sym(a), Val::Sym(b)) => a.cmp(&b),
                    (Val::Text(a), Val::Text(b)) => a.cmp(b),
                    _ => return false,
                };
                match op {
                    Op::Eq => ord.is_eq(),
                    Op::Ne => ord.is_ne(),
                    Op::Lt => ord.is_lt(),
                    Op::Lte => ord.is_le(),
                    Op::Gt => ord.is_gt(),
                    Op::Gte => ord.is_ge(),
                    _ => false,
                }
            }
        }
    }

    /// The buffer of definition explanations, emptied, for the next family.
    pub fn into_buffer(self) -> Vec<Reason<'p>> {
        let mut b = self.explained.into_inner();
        b.clear();
        b
    }

    /// Sets the parent evaluated by person programs (and forgets cached person-dependent definitions).
    pub fn set_person(&mut self, person: Option<Role>) {
        if self.person == person {
            return;
        }
        self.person = person;
        for (i, (d, c)) in self.defs.iter().zip(self.cache.iter()).enumerate() {
            if d.uses_person {
                c.set(0);
                for s in self.spans.get(2 * i..2 * i + 2).unwrap_or_default() {
                    s.set(NOT_EXPLAINED);
                }
            }
        }
    }

    fn def_holds(&self, i: usize) -> bool {
        let Some(def) = self.defs.get(i) else {
            return false;
        };
        match self.cache.get(i) {
            Some(c) => match c.get() {
                1 => false,
                2 => true,
                _ => {
                    let v = self.holds(&def.cond);
                    c.set(if v { 2 } else { 1 });
                    v
                }
            },
            None => self.holds(&def.cond),
        }
    }

    pub fn holds(&self, c: &'p Cond) -> bool {
        match c {
            Cond::Ref(i) => self.def_holds(*i),
            Cond::All(items) => items.iter().all(|i| self.holds(i)),
            Cond::Any(items) => items.iter().any(|i| self.holds(i)),
            Cond::Not(inner) => !self.holds(inner),
            Cond::Leaf(l) => self.leaf_holds(l),
        }
    }

    /// Appends the explanation of definition `i` in direction `pass`, built once and then copied.
    fn explain_def(&self, i: usize, pass: bool, out: &mut Vec<Reason<'p>>) {
        let Some(d) = self.defs.get(i) else {
            return;
        };
        let slot = self.spans.get(2 * i + usize::from(pass));
        if let Some(slot) = slot {
            let (start, end) = slot.get();
            if start <= end {
                let explained = self.explained.borrow();
                if let Some(rs) = explained.get(span(start, end)) {
                    out.extend_from_slice(rs);
                    return;
                }
            }
        }
        let from = out.len();
        if pass {
            self.explain_pass(&d.cond, out);
        } else {
            self.explain_fail(&d.cond, out);
        }
        if let (Some(slot), Some(new)) = (slot, out.get(from..)) {
            let mut explained = self.explained.borrow_mut();
            let start = explained.len();
            explained.extend_from_slice(new);
            if let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(explained.len())) {
                slot.set((start, end));
            }
        }
    }

    /// Appends the sentences that show why `c` holds (call only when it does).
    pub fn explain_pass(&self, c: &'p Cond, out: &mut Vec<Reason<'p>>) {
        match c {
            Cond::Ref(i) => self.explain_def(*i, true, out),
            Cond::All(items) => items.iter().for_each(|i| self.explain_pass(i, out)),
            Cond::Any(items) => {
                if let Some(i) = items.iter().find(|i| self.holds(i)) {
                    self.explain_pass(i, out);
                }
            }
            Cond::Not(inner) => self.explain_fail(inner, out),
            Cond::Leaf(l) => out.push(self.leaf_reason(l, true)),
        }
    }

    /// Appends the sentences that show why `c` does not hold (call only when it does not).
    pub fn explain_fail(&self, c: &'p Cond, out: &mut Vec<Reason<'p>>) {
        match c {
            Cond::Ref(i) => self.explain_def(*i, false, out),
            Cond::All(items) => {
                if let Some(i) = items.iter().find(|i| !self.holds(i)) {
                    self.explain_fail(i, out);
                }
            }
            Cond::Any(items) => items.iter().for_each(|i| self.explain_fail(i, out)),
            Cond::Not(inner) => self.explain_pass(inner, out),
            Cond::Leaf(l) => out.push(self.leaf_reason(l, false)),
        }
    }

    fn leaf_reason(&self, l: &'p Leaf, pass: bool) -> Reason<'p> {
        let lhs = self.get(l.fact);
        let (rhs, rhs_label) = match &l.rhs {
            Rhs::Param(i) => {
                let rhs = owned(self.rhs(&l.rhs), None);
                match self.params.get(*i) {
                    Some(p) => (rhs, RLabel::Param(&p.label)),
                    None => (rhs, RLabel::Literal),
                }
            }
            Rhs::Fact(f) => (
                owned(self.get(*f), None),
                RLabel::Fact(self.subject(f.scope), f.attr),
            ),
            Rhs::Year(off) => (owned(self.rhs(&l.rhs), None), RLabel::Year(*off)),
            Rhs::SymSet(bits) => (RVal::SymSet(*bits), RLabel::Literal),
            Rhs::TextSet(items) => (RVal::TextSet(items), RLabel::Literal),
            Rhs::Text(t) => (RVal::Text(t), RLabel::Literal),
            other => (owned(self.rhs(other), None), RLabel::Literal),
        };
        // Reuse the policy's text when the fact equals it (no allocation on the common path).
        let same_text = match (&l.rhs, lhs) {
            (Rhs::Text(t), Val::Text(v)) if t == v => Some(t),
            (Rhs::TextSet(items), Val::Text(v)) => items.iter().find(|i| *i == v),
            _ => None,
        };
        Reason::cmp(Cmp {
            subject: self.subject(l.fact.scope),
            attr: l.fact.attr,
            op: l.op,
            pass,
            lhs: owned(lhs, same_text),
            rhs,
            rhs_label,
        })
    }
}

/// A definition's explanation that is not built yet.
const NOT_EXPLAINED: (u32, u32) = (1, 0);

fn span(start: u32, end: u32) -> Range<usize> {
    start as usize..end as usize
}

fn owned<'p>(v: Val<'_>, text: Option<PolicyText<'p>>) -> RVal<'p> {
    match v {
        Val::Int(n) => RVal::Int(n),
        Val::Bool(b) => RVal::Bool(b),
        Val::Date(d) => RVal::Date(d),
        Val::Sym(s) => RVal::Sym(s),
        Val::Text(t) => match text {
            Some(s) => RVal::Text(s),
            None => RVal::FactText(Arc::new(t.to_string())),
        },
        Val::Missing => RVal::Missing,
        Val::NotYet(attr, d) => RVal::NotYet(attr, d),
    }
}
