//! A district's policy: legal basis, dated parameters, named conditions and programs.

use std::sync::Arc;

use chrono::NaiveDate;
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;
use serde::{Deserialize, Serialize};

use crate::cond::{Compiler, Cond, Definition};
use crate::params::{valid_code, ParamEntry, ParamUnit, ParamValue, Parameter};
use crate::reason::CnDate;
use crate::yaml::{is_null, line_of, scalar_line, Ctx, ErrorKind, PolicyError, Result};

/// The document the policy rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalBasis {
    /// e.g. "张卫字〔2020〕134号".
    pub document_number: String,
    pub title: String,
    pub in_force_from: NaiveDate,
    /// Inclusive; `None` = no end date.
    pub in_force_until: Option<NaiveDate>,
}

impl LegalBasis {
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        date >= self.in_force_from && self.in_force_until.is_none_or(|u| date <= u)
    }
}

/// Who a program's entitlement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// One entitlement per family (`person: null`).
    Household,
    /// One entitlement per living parent (`person: "mother" | "father"`).
    Person,
}

nuanxin_text_enum::text_enum! {
    /// How often a program's entitlement arises.
    #[derive(PartialOrd, Ord)]
    pub enum Period {
        Once = "once",
        Year = "year",
        Month = "month",
        /// Each time the event happens (a service used, a request made).
        Event = "event",
    }
}

/// How a program's amount is fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountSpec {
    /// A service without money (`amount_cny: null`).
    Service,
    /// Whole yuan.
    Fixed(i64),
    /// The value in force of a dated parameter (null with a notice when none is configured).
    Parameter(String),
    /// The first alternative whose condition holds.
    Conditional(Vec<AmountSpec>),
}

/// A program as the policy states it.
#[derive(Debug, Clone)]
pub struct Program {
    pub code: String,
    pub title: String,
    /// Clause of the document, e.g. "三（二）".
    pub clause: String,
    /// Document number and clause, e.g. "张卫字〔2020〕134号 三（二）".
    pub basis: String,
    pub unit: Unit,
    pub period: Period,
    /// The paying / delivering department; alternatives joined by "/" when it depends on the facts.
    pub payer: String,
    pub payers: Vec<String>,
    pub must_apply: bool,
    pub amount: AmountSpec,
    /// Human description of the amount, e.g. "每户300元".
    pub amount_description: String,
    pub note: Option<String>,
    /// Line of the program in the policy file.
    pub line: usize,
    pub(crate) compiled: Arc<CompiledProgram>,
}

#[derive(Debug, Clone)]
pub(crate) struct Choice<T> {
    pub when: Option<Cond>,
    pub value: T,
}

#[derive(Debug, Clone)]
pub(crate) enum AmountC {
    Service,
    Fixed(i64),
    Param(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledProgram {
    /// Entitlements borrow these texts from the policy (no copy, no reference count).
    pub code: String,
    pub basis: String,
    pub unit: Unit,
    pub period: Period,
    pub when: Cond,
    pub payers: Vec<Choice<String>>,
    pub amounts: Vec<Choice<AmountC>>,
    /// The notice for an amount parameter without a value on the evaluation date, by parameter index.
    pub unconfigured_notices: std::collections::BTreeMap<usize, String>,
    /// The payer/amount alternatives have conditions whose sentences may repeat the program's.
    pub may_repeat_reasons: bool,
}

/// A parsed, checked, immutable policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) file: String,
    pub(crate) tenant: String,
    pub(crate) district_name: String,
    pub(crate) legal_basis: LegalBasis,
    pub(crate) params: Vec<Parameter>,
    pub(crate) defs: Vec<Definition>,
    pub(crate) programs: Vec<Program>,
}

const TOP_KEYS: &[&str] = &[
    "tenant",
    "district",
    "legal_basis",
    "parameters",
    "definitions",
    "programs",
];
const PROGRAM_KEYS: &[&str] = &[
    "code",
    "title",
    "clause",
    "unit",
    "period",
    "payer",
    "must_apply",
    "amount",
    "amount_description",
    "note",
    "when",
];

impl Policy {
    /// Parses and checks a policy. Errors name the file, the 1-based line and the problem.
    pub fn parse(file_name: &str, source: &str) -> std::result::Result<Policy, PolicyError> {
        let ctx = Ctx { file: file_name };
        let root = ctx.load(source)?;
        ctx.check_keys(
            &root,
            TOP_KEYS,
            &["tenant", "legal_basis", "programs"],
            "the policy",
        )?;
        let tenant_node = root.get_node("tenant");
        let tenant = tenant_node
            .map(|n| ctx.string(n, "`tenant`"))
            .transpose()?
            .unwrap_or_default();
        if !valid_code(&tenant) {
            return Err(ctx.err(
                tenant_node.map(line_of).unwrap_or(1),
                ErrorKind::BadValue,
                format!("tenant slug `{tenant}` must be lowercase ASCII"),
            ));
        }
        let district_name = root
            .get_node("district")
            .map(|n| ctx.string(n, "`district`"))
            .transpose()?
            .unwrap_or_else(|| tenant.clone());
        let legal_basis = match root.get_node("legal_basis") {
            Some(n) => parse_legal_basis(ctx, ctx.mapping(n, "`legal_basis`")?)?,
            None => return Err(ctx.err(1, ErrorKind::MissingField, "missing `legal_basis`")),
        };
        let params = match root.get_node("parameters") {
            Some(n) if !is_null(n) => Parameter::parse_all(ctx, ctx.mapping(n, "`parameters`")?)?,
            _ => Vec::new(),
        };
        let mut defs: Vec<Definition> = Vec::new();
        if let Some(n) = root.get_node("definitions") {
            if !is_null(n) {
                for (k, v) in ctx.mapping(n, "`definitions`")?.iter() {
                    let name = k.as_str().to_string();
                    if !valid_code(&name) {
                        return Err(ctx.err(
                            scalar_line(k),
                            ErrorKind::BadValue,
                            format!("definition name `{name}` must be snake_case ASCII"),
                        ));
                    }
                    let cond = Compiler {
                        ctx,
                        params: &params,
                        defs: &defs,
                        person_allowed: true,
                    }
                    .compile(v)?;
                    if defs.iter().any(|d| d.name == name) {
                        return Err(ctx.err(
                            scalar_line(k),
                            ErrorKind::BadValue,
                            format!("definition `{name}` is defined twice"),
                        ));
                    }
                    let uses_person = cond.uses_person(&defs);
                    defs.push(Definition {
                        name,
                        cond,
                        uses_person,
                    });
                }
            }
        }
        let mut programs: Vec<Program> = Vec::new();
        let prog_node = root
            .get_node("programs")
            .ok_or_else(|| ctx.err(1, ErrorKind::MissingField, "missing `programs`"))?;
        for pn in ctx.sequence(prog_node, "`programs`")?.iter() {
            let p = parse_program(ctx, pn, &legal_basis, &params, &defs)?;
            if let Some(first) = programs.iter().find(|q| q.code == p.code) {
                return Err(ctx.err(
                    p.line,
                    ErrorKind::DuplicateProgram,
                    format!(
                        "duplicate program code `{}` (first defined at line {})",
                        p.code, first.line
                    ),
                ));
            }
            programs.push(p);
        }
        Ok(Policy {
            file: file_name.to_string(),
            tenant,
            district_name,
            legal_basis,
            params,
            defs,
            programs,
        })
    }

    /// The tenant slug, e.g. "xicheng".
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The district's Chinese name, e.g. "西城区".
    pub fn district_name(&self) -> &str {
        &self.district_name
    }

    /// The file name the policy was parsed from.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    pub fn legal_basis(&self) -> &LegalBasis {
        &self.legal_basis
    }

    pub fn programs(&self) -> &[Program] {
        &self.programs
    }

    pub fn program(&self, code: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.code == code)
    }

    pub fn parameters(&self) -> &[Parameter] {
        &self.params
    }

    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Whether the policy is in force on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.legal_basis.in_force_on(date)
    }

    /// Adds a published value of a dated parameter (e.g. a new Beijing minimum wage) and returns the new
    /// policy; rejects unknown parameter names and a date already present, naming the problem.
    pub fn with_parameter_value(
        &self,
        name: &str,
        effective_from: NaiveDate,
        value: ParamValue,
    ) -> std::result::Result<Policy, PolicyError> {
        let ctx = Ctx { file: &self.file };
        let Some(idx) = self.params.iter().position(|p| p.name == name) else {
            return Err(ctx.err(
                0,
                ErrorKind::UnknownParameter,
                format!(
                    "unknown parameter `{name}` (this policy declares: {})",
                    self.params
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let param = &self.params[idx];
        if param
            .values
            .iter()
            .any(|e| e.effective_from == effective_from)
        {
            return Err(ctx.err(
                param.line,
                ErrorKind::OverlappingDates,
                format!("overlapping parameter dates: `{name}` already has a value taking effect on {effective_from}"),
            ));
        }
        if let ParamValue::Int(v) = value {
            if v < 0 && param.unit != ParamUnit::Count {
                return Err(ctx.err(
                    param.line,
                    ErrorKind::BadValue,
                    format!("`{name}` cannot be negative ({v})"),
                ));
            }
        }
        let mut next = self.clone();
        let values = &mut next.params[idx].values;
        values.push(ParamEntry {
            effective_from,
            value,
        });
        values.sort_by_key(|e| e.effective_from);
        Ok(next)
    }

    /// The notice given for a date outside the in-force period.
    pub(crate) fn out_of_force_notice(&self, as_of: NaiveDate) -> String {
        let lb = &self.legal_basis;
        let period = match lb.in_force_until {
            Some(u) => format!("有效期为{}至{}", CnDate(lb.in_force_from), CnDate(u)),
            None => format!("自{}起实施", CnDate(lb.in_force_from)),
        };
        format!(
            "评估日期{}不在《{}》（{}）的有效期内（{}），{}无有效政策，不产生任何待遇。",
            CnDate(as_of),
            lb.title,
            lb.document_number,
            period,
            self.district_name
        )
    }
}

fn parse_legal_basis(ctx: Ctx<'_>, m: &MarkedMappingNode) -> Result<LegalBasis> {
    ctx.check_keys(
        m,
        &[
            "document_number",
            "title",
            "in_force_from",
            "in_force_until",
        ],
        &["document_number", "title", "in_force_from"],
        "`legal_basis`",
    )?;
    let get = |k: &str| m.get_node(k);
    let document_number = ctx.string(
        get("document_number").unwrap_or(&Node::from("")),
        "`document_number`",
    )?;
    let title = ctx.string(get("title").unwrap_or(&Node::from("")), "`title`")?;
    let from_node = get("in_force_from");
    let in_force_from = match from_node {
        Some(n) => ctx.date(n, "`in_force_from`")?,
        None => return Err(ctx.err(0, ErrorKind::MissingField, "missing `in_force_from`")),
    };
    let in_force_until = match get("in_force_until") {
        Some(n) if !is_null(n) => {
            let d = ctx.date(n, "`in_force_until`")?;
            if d < in_force_from {
                return Err(ctx.err(
                    line_of(n),
                    ErrorKind::BadValue,
                    "`in_force_until` is before `in_force_from`",
                ));
            }
            Some(d)
        }
        _ => None,
    };
    if document_number.trim().is_empty() {
        return Err(ctx.err(
            line_of(get("document_number").unwrap_or(&Node::from(""))),
            ErrorKind::BadValue,
            "`document_number` is empty",
        ));
    }
    Ok(LegalBasis {
        document_number,
        title,
        in_force_from,
        in_force_until,
    })
}

fn parse_program(
    ctx: Ctx<'_>,
    node: &Node,
    lb: &LegalBasis,
    params: &[Parameter],
    defs: &[Definition],
) -> Result<Program> {
    let line = line_of(node);
    let m = ctx.mapping(node, "a program")?;
    ctx.check_keys(m, PROGRAM_KEYS, &["code"], "a program")?;
    let code = ctx.string(m.get_node("code").unwrap_or(&Node::from("")), "`code`")?;
    if !valid_code(&code) {
        return Err(ctx.err(
            line,
            ErrorKind::BadValue,
            format!("program code `{code}` must be snake_case ASCII"),
        ));
    }
    let what = format!("program `{code}`");
    // Required fields, with the program named in the message.
    for req in [
        "title",
        "unit",
        "period",
        "payer",
        "must_apply",
        "amount",
        "when",
    ] {
        if m.get_node(req).is_none() {
            return Err(ctx.err(
                line,
                ErrorKind::MissingField,
                format!("{what} is missing the required field `{req}`"),
            ));
        }
    }
    let clause = match m.get_node("clause") {
        Some(n) if !is_null(n) => ctx.string(n, "`clause`")?,
        _ => String::new(),
    };
    if clause.trim().is_empty() {
        return Err(ctx.err(
            m.get_node("clause").map(line_of).unwrap_or(line),
            ErrorKind::MissingClause,
            format!("{what} has no clause citation (`clause`, e.g. 三（二）)"),
        ));
    }
    let title = ctx.string(m.get_node("title").unwrap_or(&Node::from("")), "`title`")?;
    let unit_node = m.get_node("unit").unwrap_or(node);
    let unit = match ctx.string(unit_node, "`unit`")?.as_str() {
        "household" => Unit::Household,
        "person" => Unit::Person,
        other => {
            return Err(ctx.err(
                line_of(unit_node),
                ErrorKind::BadUnit,
                format!("{what}: unit `{other}` is not `household` or `person`"),
            ))
        }
    };
    let period_node = m.get_node("period").unwrap_or(node);
    let period = match ctx.string(period_node, "`period`")?.as_str() {
        "once" => Period::Once,
        "year" => Period::Year,
        "month" => Period::Month,
        "event" => Period::Event,
        other => {
            return Err(ctx.err(
                line_of(period_node),
                ErrorKind::BadPeriod,
                format!("{what}: period `{other}` is not one of once, year, month, event"),
            ))
        }
    };
    let must_apply = ctx.boolean(m.get_node("must_apply").unwrap_or(node), "`must_apply`")?;
    let compiler = Compiler {
        ctx,
        params,
        defs,
        person_allowed: unit == Unit::Person,
    };
    let when = compiler.compile(m.get_node("when").unwrap_or(node))?;

    // payer: a code, or a list of {when?, payer}
    let payer_node = m.get_node("payer").unwrap_or(node);
    let payers: Vec<Choice<String>> = choices(ctx, &compiler, payer_node, "payer", |n| {
        let s = ctx.string(n, "`payer`")?;
        if !valid_code(&s) {
            return Err(ctx.err(
                line_of(n),
                ErrorKind::BadValue,
                format!("payer `{s}` must be a snake_case department code"),
            ));
        }
        Ok(s)
    })?;

    // amount: integer yuan, null (service), {param: NAME}, or a list of {when?, amount}
    let amount_node = m.get_node("amount").unwrap_or(node);
    let amounts: Vec<Choice<AmountC>> = choices(ctx, &compiler, amount_node, "amount", |n| {
        if is_null(n) {
            return Ok(AmountC::Service);
        }
        if let Some(pm) = n.as_mapping() {
            ctx.check_keys(pm, &["param"], &["param"], "an amount reference")?;
            let pn = pm.get_node("param").unwrap_or(n);
            let pname = ctx.string(pn, "`param`")?;
            let idx = params.iter().position(|p| p.name == pname).ok_or_else(|| {
                ctx.err(
                    line_of(pn),
                    ErrorKind::UnknownParameter,
                    format!("{what}: reference to unknown parameter `{pname}`"),
                )
            })?;
            if params[idx].unit != ParamUnit::Cny {
                return Err(ctx.err(
                    line_of(pn),
                    ErrorKind::TypeMismatch,
                    format!("{what}: amount parameter `{pname}` must have unit cny"),
                ));
            }
            return Ok(AmountC::Param(idx));
        }
        let v = ctx.int(n, "`amount`")?;
        if v < 0 {
            return Err(ctx.err(
                line_of(n),
                ErrorKind::BadValue,
                "an amount cannot be negative",
            ));
        }
        Ok(AmountC::Fixed(v))
    })?;

    let to_spec = |a: &AmountC| match a {
        AmountC::Service => AmountSpec::Service,
        AmountC::Fixed(v) => AmountSpec::Fixed(*v),
        AmountC::Param(i) => AmountSpec::Parameter(params[*i].name.clone()),
    };
    let amount = if amounts.len() == 1 {
        to_spec(&amounts[0].value)
    } else {
        AmountSpec::Conditional(amounts.iter().map(|c| to_spec(&c.value)).collect())
    };
    let amount_description = match m.get_node("amount_description") {
        Some(n) => ctx.string(n, "`amount_description`")?,
        None => describe(&amount),
    };
    let note = m
        .get_node("note")
        .map(|n| ctx.string(n, "`note`"))
        .transpose()?;
    let payer_list: Vec<String> = payers.iter().map(|c| c.value.to_string()).collect();
    let basis = format!("{} {}", lb.document_number, clause);
    let mut unconfigured_notices = std::collections::BTreeMap::new();
    for c in &amounts {
        if let AmountC::Param(i) = c.value {
            let p = &params[i];
            unconfigured_notices.insert(
                i,
                format!(
                    "{title}（{code}）的金额取决于参数“{}”（{}），该参数在评估日期没有配置取值，金额记为空（amount_cny: null），请区管理员按有关标准配置。",
                    p.label, p.name
                ),
            );
        }
    }
    let may_repeat_reasons =
        payers.iter().any(|c| c.when.is_some()) || amounts.iter().any(|c| c.when.is_some());
    let compiled = CompiledProgram {
        may_repeat_reasons,
        unconfigured_notices,
        code: code.clone(),
        basis: basis.clone(),
        unit,
        period,
        when,
        payers,
        amounts,
    };
    Ok(Program {
        code,
        title,
        clause,
        basis,
        unit,
        period,
        payer: payer_list.join("/"),
        payers: payer_list,
        must_apply,
        amount,
        amount_description,
        note,
        line,
        compiled: Arc::new(compiled),
    })
}

fn describe(a: &AmountSpec) -> String {
    match a {
        AmountSpec::Service => "服务（无金额）".to_string(),
        AmountSpec::Fixed(v) => format!("{v}元"),
        AmountSpec::Parameter(p) => format!("按参数 {p}"),
        AmountSpec::Conditional(items) => {
            items.iter().map(describe).collect::<Vec<_>>().join(" / ")
        }
    }
}

/// A value, or a list of `{when?: COND, <key>: value}` alternatives of which the last has no `when`.
fn choices<T>(
    ctx: Ctx<'_>,
    compiler: &Compiler<'_>,
    node: &Node,
    key: &str,
    value: impl Fn(&Node) -> Result<T>,
) -> Result<Vec<Choice<T>>> {
    let Some(seq) = node.as_sequence() else {
        return Ok(vec![Choice {
            when: None,
            value: value(node)?,
        }]);
    };
    if seq.is_empty() {
        return Err(ctx.err(
            line_of(node),
            ErrorKind::BadValue,
            format!("`{key}` alternatives list is empty"),
        ));
    }
    let mut out = Vec::new();
    for (i, item) in seq.iter().enumerate() {
        let m = ctx.mapping(item, &format!("a `{key}` alternative"))?;
        ctx.check_keys(m, &["when", key], &[key], &format!("a `{key}` alternative"))?;
        let when = m
            .get_node("when")
            .map(|w| compiler.compile(w))
            .transpose()?;
        let last = i + 1 == seq.len();
        if last && when.is_some() {
            return Err(ctx.err(
                line_of(item),
                ErrorKind::BadValue,
                format!("the last `{key}` alternative must have no `when` (it applies otherwise)"),
            ));
        }
        if !last && when.is_none() {
            return Err(ctx.err(
                line_of(item),
                ErrorKind::BadValue,
                format!("only the last `{key}` alternative may omit `when`"),
            ));
        }
        let v = value(m.get_node(key).unwrap_or(item))?;
        out.push(Choice { when, value: v });
    }
    Ok(out)
}
