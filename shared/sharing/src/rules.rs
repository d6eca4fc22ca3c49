//! Sharing rules as district configuration (`tenants/<slug>/sharing.yaml`), checked on load with
//! `file:line: problem` errors.

use std::collections::BTreeSet;

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{LoaderOptions, Node};

use crate::catalogue::{undone_masks, Field, Mode};

/// The largest `sharing.yaml` accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;

/// The deepest nesting of mappings and lists accepted (a rules file nests 4 deep).
pub const MAX_DEPTH: usize = 16;

/// A filter a rule may allow on requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FilterKind {
    Kind,
    Street,
    AgeBand,
    Program,
}

impl FilterKind {
    /// The code in `sharing.yaml` and in a request's `filter`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Kind => "kind",
            Self::Street => "street",
            Self::AgeBand => "age_band",
            Self::Program => "program",
        }
    }

    /// The filter for a code.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Kind, Self::Street, Self::AgeBand, Self::Program]
            .into_iter()
            .find(|f| f.code() == code)
    }
}

/// The codes a district's rules may name: its org units, streets and programs (from `tenant.yaml`
/// and `policy.yaml`, which the caller has loaded).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub org_units: BTreeSet<String>,
    pub streets: BTreeSet<String>,
    pub programs: BTreeSet<String>,
}

/// The legal basis of a rule: the document and the clause in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basis {
    pub document: String,
    pub clause: String,
}

/// One rule: what one org unit may receive for one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The requesting org unit's code (`civil_affairs`).
    pub org_unit: String,
    /// The purpose, in Chinese (`家庭经济状况核查`).
    pub purpose: String,
    pub basis: Basis,
    /// The fields in the file's order, each with its mode.
    pub fields: Vec<(Field, Mode)>,
    /// The longest period of a release, in days.
    pub max_days: u32,
    pub filters: BTreeSet<FilterKind>,
    /// Whether only families that consented may be released (sharing beyond the documents' basis).
    pub consent_required: bool,
    /// Program codes the unit may ask yes/no verification queries about.
    pub verifications: BTreeSet<String>,
    /// The rule's line in the file, for messages that point at it.
    pub line: usize,
}

impl Rule {
    /// The mode a field is released in under this rule, if the rule releases it.
    pub fn mode_of(&self, field: Field) -> Option<Mode> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| *m)
    }
}

/// A district's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharingRules {
    pub tenant: String,
    /// Aggregate cells with fewer families than this are suppressed (`threshold:`, default 5).
    pub threshold: u64,
    pub rules: Vec<Rule>,
}

/// The district's aggregate threshold when `sharing.yaml` names none.
pub const DEFAULT_THRESHOLD: u64 = 5;

/// A load error: the file, the 1-based line (0 when none applies) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RulesError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

type Result<T> = std::result::Result<T, RulesError>;

fn line_of(node: &Node) -> usize {
    node.span().start().map(|m| m.line()).unwrap_or(0)
}

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    fn err(&self, line: usize, message: impl Into<String>) -> RulesError {
        RulesError {
            file: self.file.to_string(),
            line,
            message: message.into(),
        }
    }

    fn keys(
        &self,
        m: &MarkedMappingNode,
        allowed: &[&str],
        required: &[&str],
        what: &str,
    ) -> Result<()> {
        for (k, _) in m.iter() {
            if !allowed.contains(&k.as_str()) {
                return Err(self.err(
                    k.span().start().map(|s| s.line()).unwrap_or(0),
                    format!(
                        "unknown field `{}` in {what} (expected one of: {})",
                        k.as_str(),
                        allowed.join(", ")
                    ),
                ));
            }
        }
        for r in required {
            if m.get_node(r).is_none() {
                let line = m.span().start().map(|s| s.line()).unwrap_or(0);
                return Err(self.err(line, format!("{what} is missing the required field `{r}`")));
            }
        }
        Ok(())
    }

    /// A key `keys` has already required.
    fn req<'n>(&self, m: &'n MarkedMappingNode, key: &str) -> Result<&'n Node> {
        m.get_node(key).ok_or_else(|| {
            self.err(
                m.span().start().map(|s| s.line()).unwrap_or(0),
                format!("missing `{key}`"),
            )
        })
    }

    fn text(&self, node: &Node, what: &str) -> Result<String> {
        match node.as_scalar().map(|s| s.as_str().trim()) {
            Some(s) if !s.is_empty() && s != "~" && s != "null" => Ok(s.to_string()),
            _ => Err(self.err(line_of(node), format!("{what} must be a non-empty text"))),
        }
    }

    fn texts(&self, node: &Node, what: &str) -> Result<Vec<(String, usize)>> {
        let seq = node
            .as_sequence()
            .ok_or_else(|| self.err(line_of(node), format!("{what} must be a list")))?;
        let mut seen = BTreeSet::new();
        seq.iter()
            .map(|n| {
                let t = self.text(n, what)?;
                if !seen.insert(t.clone()) {
                    return Err(self.err(line_of(n), format!("`{t}` is listed twice in {what}")));
                }
                Ok((t, line_of(n)))
            })
            .collect()
    }
}

impl SharingRules {
    /// Parses and checks `source` (the contents of `file`) against the district's codes.
    ///
    /// Refused: unknown keys, unknown org units, fields, modes, filters or programs; a mode the field
    /// does not allow; a rule without a clause or with `max_days` outside 1–366; two rules for the same
    /// org unit and purpose; and a rule whose fields together undo one of its masks.
    pub fn parse(file: &str, source: &str, dir: &Directory) -> Result<SharingRules> {
        let cx = Ctx { file };
        if source.len() > MAX_SOURCE_BYTES {
            return Err(cx.err(
                0,
                format!("the file is larger than {MAX_SOURCE_BYTES} bytes"),
            ));
        }
        check_depth(&cx, source)?;
        let opts = LoaderOptions::default().error_on_duplicate_keys(true);
        let root = match marked_yaml::parse_yaml_with_options(0, source, opts) {
            Ok(Node::Mapping(m)) => m,
            Ok(other) => return Err(cx.err(line_of(&other), "the file must be a YAML mapping")),
            Err(e) => return Err(cx.err(load_error_line(&e), format!("YAML error: {e}"))),
        };
        cx.keys(
            &root,
            &["tenant", "threshold", "rules"],
            &["tenant", "rules"],
            "the file",
        )?;
        let tenant = cx.text(cx.req(&root, "tenant")?, "`tenant`")?;
        let threshold = match root.get_node("threshold") {
            None => DEFAULT_THRESHOLD,
            Some(n) => n
                .as_scalar()
                .and_then(|s| s.as_str().trim().parse::<u64>().ok())
                .filter(|t| (2..=100).contains(t))
                .ok_or_else(|| {
                    cx.err(
                        line_of(n),
                        "`threshold` must be a whole number of families from 2 to 100",
                    )
                })?,
        };
        let rules_node = cx.req(&root, "rules")?;
        let seq = rules_node
            .as_sequence()
            .ok_or_else(|| cx.err(line_of(rules_node), "`rules` must be a list"))?;
        let mut rules: Vec<Rule> = Vec::new();
        for node in seq.iter() {
            let rule = parse_rule(&cx, node, dir)?;
            if let Some(prev) = rules
                .iter()
                .find(|r| r.org_unit == rule.org_unit && r.purpose == rule.purpose)
            {
                return Err(cx.err(
                    rule.line,
                    format!(
                        "a second rule for `{}` · {} (the first is at line {})",
                        rule.org_unit, rule.purpose, prev.line
                    ),
                ));
            }
            rules.push(rule);
        }
        Ok(SharingRules {
            tenant,
            threshold,
            rules,
        })
    }

    /// The rules an org unit may request under, in the file's order.
    pub fn for_org_unit<'a>(&'a self, org_unit: &'a str) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules.iter().filter(move |r| r.org_unit == org_unit)
    }
}

/// Refuses nesting deeper than [`MAX_DEPTH`] before the tree is built: marked-yaml builds and drops
/// it recursively, one stack frame per level, while the event parser keeps its own stack. Syntax
/// errors are left to the loader, which words them.
fn check_depth(cx: &Ctx<'_>, source: &str) -> Result<()> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(source);
    let mut depth = 0usize;
    loop {
        match parser.next_token() {
            Ok((Event::SequenceStart(..) | Event::MappingStart(..), mark)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(cx.err(
                        mark.line(),
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
            }
            Ok((Event::SequenceEnd | Event::MappingEnd, _)) => depth = depth.saturating_sub(1),
            Ok((Event::StreamEnd, _)) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

fn load_error_line(e: &marked_yaml::LoadError) -> usize {
    use marked_yaml::LoadError as L;
    match e {
        L::TopLevelMustBeMapping(m)
        | L::TopLevelMustBeSequence(m)
        | L::UnexpectedAnchor(m)
        | L::MappingKeyMustBeScalar(m)
        | L::UnexpectedTag(m)
        | L::ScanError(m, _) => m.line(),
        L::DuplicateKey(d) => d.key.span().start().map(|s| s.line()).unwrap_or(0),
    }
}

fn parse_rule(cx: &Ctx<'_>, node: &Node, dir: &Directory) -> Result<Rule> {
    let line = line_of(node);
    let m = node
        .as_mapping()
        .ok_or_else(|| cx.err(line, "each rule must be a mapping"))?;
    cx.keys(
        m,
        &[
            "org_unit",
            "purpose",
            "basis",
            "fields",
            "max_days",
            "filters",
            "consent",
            "verifications",
        ],
        &[
            "org_unit", "purpose", "basis", "fields", "max_days", "consent",
        ],
        "a rule",
    )?;
    let get = |k: &str| cx.req(m, k);
    let org_node = get("org_unit")?;
    let org_unit = cx.text(org_node, "`org_unit`")?;
    if !dir.org_units.contains(&org_unit) {
        return Err(cx.err(
            line_of(org_node),
            format!("`{org_unit}` is not an org unit of the district (tenant.yaml)"),
        ));
    }
    let purpose = cx.text(get("purpose")?, "`purpose`")?;

    let basis_node = get("basis")?;
    let bm = basis_node.as_mapping().ok_or_else(|| {
        cx.err(
            line_of(basis_node),
            "`basis` must be a mapping with `document` and `clause`",
        )
    })?;
    cx.keys(
        bm,
        &["document", "clause"],
        &["document", "clause"],
        "`basis`",
    )?;
    let basis = Basis {
        document: cx.text(cx.req(bm, "document")?, "`basis.document`")?,
        clause: cx.text(cx.req(bm, "clause")?, "`basis.clause`")?,
    };

    let fields_node = get("fields")?;
    let fm = fields_node.as_mapping().ok_or_else(|| {
        cx.err(
            line_of(fields_node),
            "`fields` must map field codes to modes",
        )
    })?;
    if fm.is_empty() {
        return Err(cx.err(
            line_of(fields_node),
            "`fields` must release at least one field",
        ));
    }
    let mut fields = Vec::new();
    for (k, v) in fm.iter() {
        let kline = k.span().start().map(|s| s.line()).unwrap_or(0);
        let field = Field::parse(k.as_str()).ok_or_else(|| {
            cx.err(
                kline,
                format!("`{}` is not a field of the catalogue", k.as_str()),
            )
        })?;
        let mode_text = cx.text(v, "a field's mode")?;
        let mode = Mode::parse(&mode_text).ok_or_else(|| {
            cx.err(
                line_of(v),
                format!("`{mode_text}` is not a mode (full, masked, year, pseudonym)"),
            )
        })?;
        if !field.modes().contains(&mode) {
            let allowed: Vec<&str> = field.modes().iter().map(|m| m.as_str()).collect();
            return Err(cx.err(
                line_of(v),
                format!(
                    "`{field}` cannot be released `{mode}` (allowed: {})",
                    allowed.join(", ")
                ),
            ));
        }
        fields.push((field, mode));
    }
    if let Some(u) = undone_masks(&fields).first() {
        return Err(cx.err(
            line_of(fields_node),
            format!(
                "`{}: {}` together with `{}: {}` undoes the mask: the second reveals {}, which the first hides",
                u.masked.0,
                u.masked.1,
                u.revealer.0,
                u.revealer.1,
                u.piece.describe()
            ),
        ));
    }

    let days_node = get("max_days")?;
    let max_days = days_node
        .as_scalar()
        .and_then(|s| s.as_str().trim().parse::<u32>().ok())
        .filter(|d| (1..=366).contains(d))
        .ok_or_else(|| {
            cx.err(
                line_of(days_node),
                "`max_days` must be a whole number of days from 1 to 366",
            )
        })?;

    let mut filters = BTreeSet::new();
    if let Some(n) = m.get_node("filters") {
        for (code, l) in cx.texts(n, "`filters`")? {
            filters.insert(FilterKind::parse(&code).ok_or_else(|| {
                cx.err(
                    l,
                    format!("`{code}` is not a filter (kind, street, age_band, program)"),
                )
            })?);
        }
    }
    let consent_node = get("consent")?;
    let consent_required = match consent_node.as_scalar().map(|s| s.as_str().trim()) {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(cx.err(line_of(consent_node), "`consent` must be true or false")),
    };
    let mut verifications = BTreeSet::new();
    if let Some(n) = m.get_node("verifications") {
        for (code, l) in cx.texts(n, "`verifications`")? {
            if !dir.programs.contains(&code) {
                return Err(cx.err(
                    l,
                    format!("`{code}` is not a program of the district's policy"),
                ));
            }
            verifications.insert(code);
        }
    }
    Ok(Rule {
        org_unit,
        purpose,
        basis,
        fields,
        max_days,
        filters,
        consent_required,
        verifications,
        line,
    })
}
