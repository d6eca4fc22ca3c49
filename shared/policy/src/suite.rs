//! Policy tests beside the policy (like OpenFisca's YAML tests).
//!
//! ```yaml
//! tenant: zhangdian
//! families:                      # named base families (canonical facts)
//!   bereaved_couple: { kind: bereaved, hukou_district: zhangdian, child: {...}, parents: [...], household: {...} }
//! cases:
//!   - name: 母亲满45周岁当天起享受特别扶助
//!     family: bereaved_couple     # optional base
//!     facts:                      # the facts, or (with `family`) a JSON merge patch of the base (null removes);
//!       mother: {birth_date: 1980-06-01}   # `mother:` / `father:` patch that parent (null removes it)
//!     as_of: 2025-06-01
//!     expect:
//!       entitlements: [...]       # exactly these (program, person, and any of amount_cny/payer/period given)
//!       includes: [...]           # at least these
//!       excludes: [code, {program: code, person: mother}]
//!       missed: [{program: code, person: mother, reason_contains: 未满45周岁}]
//!       notices_contain: [未配置]
//!       no_notices: true
//! ```

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;
use serde_json::Value;

use crate::eval::{evaluate, Evaluation};
use crate::facts::{FamilyFacts, Role};
use crate::policy::{Period, Policy};
use crate::yaml::{is_null, line_of, to_json, Ctx, ErrorKind, PolicyError, Result};

#[derive(Debug, Clone)]
struct ExpectedEntitlement {
    program: String,
    person: Option<Role>,
    amount_cny: Option<Option<i64>>,
    payer: Option<String>,
    period: Option<Period>,
    reasons_contain: Vec<String>,
}

#[derive(Debug, Clone)]
struct ExpectedMiss {
    program: String,
    person: Option<Role>,
    reason_contains: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct Expect {
    exact: Option<Vec<ExpectedEntitlement>>,
    includes: Vec<ExpectedEntitlement>,
    excludes: Vec<(String, Option<Option<Role>>)>,
    missed: Vec<ExpectedMiss>,
    notices_contain: Vec<String>,
    no_notices: bool,
}

#[derive(Debug, Clone)]
struct Case {
    name: String,
    line: usize,
    as_of: NaiveDate,
    facts: FamilyFacts,
    expect: Expect,
}

/// A parsed file of policy test cases.
#[derive(Debug, Clone)]
pub struct TestSuite {
    file: String,
    tenant: Option<String>,
    cases: Vec<Case>,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub name: String,
    /// Line of the case in the test file.
    pub line: usize,
    pub passed: bool,
    /// Readable differences between expected and actual (empty when passed).
    pub diff: Vec<String>,
}

/// The outcome of a test file against a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestReport {
    pub file: String,
    pub tenant: String,
    pub results: Vec<CaseResult>,
    pub passed: usize,
    pub failed: usize,
}

impl TestReport {
    pub fn all_passed(&self) -> bool {
        self.failed == 0
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            let mark = if r.passed { "ok  " } else { "FAIL" };
            writeln!(f, "{mark} {}:{} {}", self.file, r.line, r.name)?;
            for d in &r.diff {
                writeln!(f, "       {d}")?;
            }
        }
        writeln!(
            f,
            "{}: {} passed, {} failed",
            self.tenant, self.passed, self.failed
        )
    }
}

fn role_of(ctx: Ctx<'_>, n: &Node) -> Result<Option<Role>> {
    if is_null(n) {
        return Ok(None);
    }
    match ctx.string(n, "`person`")?.as_str() {
        "mother" => Ok(Some(Role::Mother)),
        "father" => Ok(Some(Role::Father)),
        other => Err(ctx.err(
            line_of(n),
            ErrorKind::BadValue,
            format!("person `{other}` is not mother, father or null"),
        )),
    }
}

fn show_role(r: Option<Role>) -> &'static str {
    match r {
        Some(r) => r.as_str(),
        None => "household",
    }
}

fn show_amount(a: Option<i64>) -> String {
    match a {
        Some(v) => v.to_string(),
        None => "null".to_string(),
    }
}

impl TestSuite {
    pub fn parse(file_name: &str, source: &str) -> std::result::Result<TestSuite, PolicyError> {
        let ctx = Ctx { file: file_name };
        let root = ctx.load(source)?;
        ctx.check_keys(
            &root,
            &["tenant", "families", "cases"],
            &["cases"],
            "a test file",
        )?;
        let tenant = root
            .get_node("tenant")
            .map(|n| ctx.string(n, "`tenant`"))
            .transpose()?;
        let mut families: HashMap<String, Value> = HashMap::new();
        if let Some(fnode) = root.get_node("families") {
            for (k, v) in ctx.mapping(fnode, "`families`")?.iter() {
                let json = to_json(v);
                // A base family must itself be valid facts.
                facts_from(ctx, json.clone(), line_of(v))?;
                families.insert(k.as_str().to_string(), json);
            }
        }
        let mut cases = Vec::new();
        for cn in ctx
            .sequence(root.get_node("cases").unwrap_or(&Node::from("")), "`cases`")?
            .iter()
        {
            cases.push(parse_case(ctx, cn, &families)?);
        }
        Ok(TestSuite {
            file: file_name.to_string(),
            tenant,
            cases,
        })
    }

    pub fn len(&self) -> usize {
        self.cases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// For each program code the cases mention: (cases expecting it granted, cases expecting it not
    /// granted). Lets CI check that every program has both sides of its boundary tested.
    pub fn coverage(&self) -> std::collections::BTreeMap<String, (usize, usize)> {
        let mut out: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
        for case in &self.cases {
            let x = &case.expect;
            let mut granted: Vec<&str> = x.includes.iter().map(|i| i.program.as_str()).collect();
            if let Some(exact) = &x.exact {
                granted.extend(exact.iter().map(|i| i.program.as_str()));
            }
            let mut missed: Vec<&str> = x.excludes.iter().map(|(p, _)| p.as_str()).collect();
            missed.extend(x.missed.iter().map(|m| m.program.as_str()));
            granted.sort_unstable();
            granted.dedup();
            missed.sort_unstable();
            missed.dedup();
            for g in granted {
                out.entry(g.to_string()).or_default().0 += 1;
            }
            for m in missed {
                out.entry(m.to_string()).or_default().1 += 1;
            }
        }
        out
    }

    /// Runs the cases against every mutant of `policy` ([`Policy::mutants`]) and reports the mutants
    /// under which every case still passes: changes of the policy that no case notices.
    pub fn mutation_report(&self, policy: &Policy) -> crate::MutationReport {
        let mutants = policy.mutants();
        let survivors = mutants
            .iter()
            .filter(|m| self.run(&m.policy).all_passed())
            .map(|m| m.description.clone())
            .collect();
        crate::MutationReport {
            tenant: policy.tenant().to_string(),
            mutants: mutants.len(),
            survivors,
        }
    }

    /// Runs every case against `policy`.
    pub fn run(&self, policy: &Policy) -> TestReport {
        let mut results = Vec::new();
        for case in &self.cases {
            let mut diff = Vec::new();
            if let Some(t) = &self.tenant {
                if t != policy.tenant() {
                    diff.push(format!(
                        "test file is for tenant `{t}`, policy is `{}`",
                        policy.tenant()
                    ));
                }
            }
            let eval = evaluate(policy, &case.facts, case.as_of);
            check(&case.expect, &eval, &mut diff);
            results.push(CaseResult {
                name: case.name.clone(),
                line: case.line,
                passed: diff.is_empty(),
                diff,
            });
        }
        let passed = results.iter().filter(|r| r.passed).count();
        TestReport {
            file: self.file.clone(),
            tenant: policy.tenant().to_string(),
            failed: results.len() - passed,
            passed,
            results,
        }
    }
}

fn facts_from(ctx: Ctx<'_>, json: Value, line: usize) -> Result<FamilyFacts> {
    serde_json::from_value::<FamilyFacts>(json).map_err(|e| {
        ctx.err(
            line,
            ErrorKind::BadFacts,
            format!("family facts do not fit the canonical schema: {e}"),
        )
    })
}

/// Deep-merges `patch` into `base` (JSON merge patch: objects merge, null removes, anything else
/// replaces); `mother` / `father` keys patch the parent with that role (null removes the parent).
fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                if k == "mother" || k == "father" {
                    merge_parent(b, k, v);
                    continue;
                }
                if v.is_null() {
                    // JSON merge patch (RFC 7396): null removes the key.
                    b.remove(k);
                    continue;
                }
                match b.get_mut(k) {
                    Some(slot) if v.is_object() && slot.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

fn merge_parent(family: &mut serde_json::Map<String, Value>, role: &str, patch: &Value) {
    let parents = family
        .entry("parents")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(list) = parents else {
        return;
    };
    let pos = list
        .iter()
        .position(|p| p.get("role").and_then(Value::as_str) == Some(role));
    match (pos, patch) {
        (Some(i), Value::Null) => {
            list.remove(i);
        }
        (Some(i), p) => merge(&mut list[i], p),
        (None, Value::Null) => {}
        (None, p) => {
            let mut v = serde_json::json!({ "role": role });
            merge(&mut v, p);
            list.push(v);
        }
    }
}

fn parse_case(ctx: Ctx<'_>, node: &Node, families: &HashMap<String, Value>) -> Result<Case> {
    let line = line_of(node);
    let m = ctx.mapping(node, "a test case")?;
    ctx.check_keys(
        m,
        &["name", "family", "facts", "as_of", "expect"],
        &["name", "as_of", "expect"],
        "a test case",
    )?;
    let name = ctx.string(m.get_node("name").unwrap_or(node), "`name`")?;
    let as_of = ctx.date(m.get_node("as_of").unwrap_or(node), "`as_of`")?;
    let mut json = match m.get_node("family") {
        Some(f) => {
            let fname = ctx.string(f, "`family`")?;
            families.get(&fname).cloned().ok_or_else(|| {
                ctx.err(
                    line_of(f),
                    ErrorKind::BadValue,
                    format!("unknown family `{fname}` (declare it under `families`)"),
                )
            })?
        }
        None => Value::Object(serde_json::Map::new()),
    };
    if let Some(p) = m.get_node("facts") {
        merge(&mut json, &to_json(p));
    }
    let facts = facts_from(ctx, json, line)?;
    let em = ctx.mapping(m.get_node("expect").unwrap_or(node), "`expect`")?;
    let expect = parse_expect(ctx, em)?;
    Ok(Case {
        name,
        line,
        as_of,
        facts,
        expect,
    })
}

fn parse_expect(ctx: Ctx<'_>, m: &MarkedMappingNode) -> Result<Expect> {
    ctx.check_keys(
        m,
        &[
            "entitlements",
            "includes",
            "excludes",
            "missed",
            "notices_contain",
            "no_notices",
        ],
        &[],
        "`expect`",
    )?;
    let mut e = Expect::default();
    if let Some(n) = m.get_node("entitlements") {
        let list = if is_null(n) {
            Vec::new()
        } else {
            ctx.sequence(n, "`entitlements`")?
                .iter()
                .map(|i| parse_expected(ctx, i))
                .collect::<Result<Vec<_>>>()?
        };
        e.exact = Some(list);
    }
    if let Some(n) = m.get_node("includes") {
        e.includes = ctx
            .sequence(n, "`includes`")?
            .iter()
            .map(|i| parse_expected(ctx, i))
            .collect::<Result<Vec<_>>>()?;
    }
    if let Some(n) = m.get_node("excludes") {
        for i in ctx.sequence(n, "`excludes`")?.iter() {
            if let Some(im) = i.as_mapping() {
                ctx.check_keys(
                    im,
                    &["program", "person"],
                    &["program"],
                    "an `excludes` item",
                )?;
                let program = ctx.string(im.get_node("program").unwrap_or(i), "`program`")?;
                let person = im.get_node("person").map(|p| role_of(ctx, p)).transpose()?;
                e.excludes.push((program, person));
            } else {
                e.excludes.push((ctx.string(i, "a program code")?, None));
            }
        }
    }
    if let Some(n) = m.get_node("missed") {
        for i in ctx.sequence(n, "`missed`")?.iter() {
            let im = ctx.mapping(i, "a `missed` item")?;
            ctx.check_keys(
                im,
                &["program", "person", "reason_contains"],
                &["program"],
                "a `missed` item",
            )?;
            e.missed.push(ExpectedMiss {
                program: ctx.string(im.get_node("program").unwrap_or(i), "`program`")?,
                person: im
                    .get_node("person")
                    .map(|p| role_of(ctx, p))
                    .transpose()?
                    .flatten(),
                reason_contains: im
                    .get_node("reason_contains")
                    .map(|r| ctx.string(r, "`reason_contains`"))
                    .transpose()?,
            });
        }
    }
    if let Some(n) = m.get_node("notices_contain") {
        for i in ctx.sequence(n, "`notices_contain`")?.iter() {
            e.notices_contain.push(ctx.string(i, "a notice fragment")?);
        }
    }
    if let Some(n) = m.get_node("no_notices") {
        e.no_notices = ctx.boolean(n, "`no_notices`")?;
    }
    Ok(e)
}

fn parse_expected(ctx: Ctx<'_>, node: &Node) -> Result<ExpectedEntitlement> {
    let m = ctx.mapping(node, "an expected entitlement")?;
    ctx.check_keys(
        m,
        &[
            "program",
            "person",
            "amount_cny",
            "payer",
            "period",
            "reasons_contain",
        ],
        &["program"],
        "an expected entitlement",
    )?;
    let amount_cny = match m.get_node("amount_cny") {
        None => None,
        Some(n) if is_null(n) => Some(None),
        Some(n) => Some(Some(ctx.int(n, "`amount_cny`")?)),
    };
    let period = match m.get_node("period") {
        None => None,
        Some(n) => Some(match ctx.string(n, "`period`")?.as_str() {
            "once" => Period::Once,
            "year" => Period::Year,
            "month" => Period::Month,
            "event" => Period::Event,
            other => {
                return Err(ctx.err(
                    line_of(n),
                    ErrorKind::BadPeriod,
                    format!("period `{other}` is not one of once, year, month, event"),
                ))
            }
        }),
    };
    let mut reasons_contain = Vec::new();
    if let Some(n) = m.get_node("reasons_contain") {
        for i in ctx.sequence(n, "`reasons_contain`")?.iter() {
            reasons_contain.push(ctx.string(i, "a reason fragment")?);
        }
    }
    Ok(ExpectedEntitlement {
        program: ctx.string(m.get_node("program").unwrap_or(node), "`program`")?,
        person: m
            .get_node("person")
            .map(|p| role_of(ctx, p))
            .transpose()?
            .flatten(),
        amount_cny,
        payer: m
            .get_node("payer")
            .map(|p| ctx.string(p, "`payer`"))
            .transpose()?,
        period,
        reasons_contain,
    })
}

fn check_one(x: &ExpectedEntitlement, eval: &Evaluation, diff: &mut Vec<String>) {
    let who = format!("{}({})", x.program, show_role(x.person));
    let Some(e) = eval.entitlement(&x.program, x.person) else {
        let why = eval
            .missed
            .iter()
            .find(|m| *m.program == *x.program && m.person == x.person)
            .map(|m| format!(" — missed because: {}", m.sentence()))
            .unwrap_or_default();
        diff.push(format!("expected entitlement {who}, not granted{why}"));
        return;
    };
    if let Some(a) = x.amount_cny {
        if a != e.amount_cny {
            diff.push(format!(
                "{who} amount_cny: expected {}, got {}",
                show_amount(a),
                show_amount(e.amount_cny)
            ));
        }
    }
    if let Some(p) = &x.payer {
        if **p != *e.payer {
            diff.push(format!("{who} payer: expected {p}, got {}", e.payer));
        }
    }
    if let Some(p) = x.period {
        if p != e.period {
            diff.push(format!(
                "{who} period: expected {}, got {}",
                p.as_str(),
                e.period.as_str()
            ));
        }
    }
    if !x.reasons_contain.is_empty() {
        let text = e
            .reasons
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("；");
        for frag in &x.reasons_contain {
            if !text.contains(frag.as_str()) {
                diff.push(format!(
                    "{who} reasons: expected to contain “{frag}”, got “{text}”"
                ));
            }
        }
    }
}

fn check(x: &Expect, eval: &Evaluation, diff: &mut Vec<String>) {
    if let Some(exact) = &x.exact {
        for item in exact {
            check_one(item, eval, diff);
        }
        for e in &eval.entitlements {
            if !exact
                .iter()
                .any(|i| *i.program == *e.program && i.person == e.person)
            {
                diff.push(format!(
                    "unexpected entitlement {}({}) amount_cny {}",
                    e.program,
                    show_role(e.person),
                    show_amount(e.amount_cny)
                ));
            }
        }
    }
    for item in &x.includes {
        check_one(item, eval, diff);
    }
    for (program, person) in &x.excludes {
        for e in &eval.entitlements {
            if *e.program == **program && person.is_none_or(|p| p == e.person) {
                let why = e
                    .reasons
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join("；");
                diff.push(format!(
                    "expected no {}({}), but it was granted: {why}",
                    program,
                    show_role(e.person)
                ));
            }
        }
    }
    for m in &x.missed {
        match eval
            .missed
            .iter()
            .find(|a| *a.program == *m.program && a.person == m.person)
        {
            None => diff.push(format!(
                "expected {}({}) to be missed, but it is not in the missed list",
                m.program,
                show_role(m.person)
            )),
            Some(a) => {
                if let Some(frag) = &m.reason_contains {
                    let s = a.sentence();
                    if !s.contains(frag.as_str()) {
                        diff.push(format!(
                            "{}({}) missed reason: expected to contain “{frag}”, got “{s}”",
                            m.program,
                            show_role(m.person)
                        ));
                    }
                }
            }
        }
    }
    for frag in &x.notices_contain {
        if !eval.notices.iter().any(|n| n.contains(frag.as_str())) {
            diff.push(format!(
                "expected a notice containing “{frag}”, got {:?}",
                eval.notices
            ));
        }
    }
    if x.no_notices && !eval.notices.is_empty() {
        diff.push(format!("expected no notices, got {:?}", eval.notices));
    }
}
