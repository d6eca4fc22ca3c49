//! Errors and small helpers over the line-marked YAML tree.

use chrono::NaiveDate;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};
use marked_yaml::{LoaderOptions, Node};

/// What went wrong, for callers that want to branch on it (the message says it for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not valid YAML, or a duplicate key in a mapping.
    Syntax,
    /// A key that this place of the file does not have.
    UnknownField,
    /// A required key is missing.
    MissingField,
    /// A value of the wrong shape (not a date, not an integer, an unknown code ...).
    BadValue,
    /// A condition names a fact that does not exist.
    UnknownFact,
    /// A reference to a parameter that is not declared.
    UnknownParameter,
    /// A `ref:` to an unknown (or not yet defined) named condition.
    UnknownDefinition,
    /// A comparison whose two sides do not fit (age against money, `in_year` on a number ...).
    TypeMismatch,
    /// A program without a clause citation.
    MissingClause,
    /// Two programs with the same code.
    DuplicateProgram,
    /// Two values of one parameter with the same effective date.
    OverlappingDates,
    /// `unit` is not household / person.
    BadUnit,
    /// `period` is not once / year / month / event.
    BadPeriod,
    /// Family facts in a test case do not fit the canonical schema.
    BadFacts,
    /// The file is larger, or nests deeper, than a policy or test file can need.
    TooLarge,
}

/// The largest policy or test file accepted, in bytes (the districts' files are below 40 KB).
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// The deepest nesting of mappings and sequences accepted (the districts' files nest at most 12 deep).
pub const MAX_DEPTH: usize = 64;

/// A load error: the file, the 1-based line (0 when no line applies) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub kind: ErrorKind,
    pub message: String,
}

pub(crate) type Result<T> = std::result::Result<T, PolicyError>;

pub(crate) fn line_of(node: &Node) -> usize {
    node.span().start().map(|m| m.line()).unwrap_or(0)
}

pub(crate) fn scalar_line(node: &MarkedScalarNode) -> usize {
    node.span().start().map(|m| m.line()).unwrap_or(0)
}

/// Parsing context: the file name for error messages.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
}

impl<'a> Ctx<'a> {
    pub fn err(&self, line: usize, kind: ErrorKind, message: impl Into<String>) -> PolicyError {
        PolicyError {
            file: self.file.to_string(),
            line,
            kind,
            message: message.into(),
        }
    }

    pub fn load(&self, source: &str) -> Result<MarkedMappingNode> {
        self.check_bounds(source)?;
        let opts = LoaderOptions::default().error_on_duplicate_keys(true);
        match marked_yaml::parse_yaml_with_options(0, source, opts) {
            Ok(Node::Mapping(m)) => Ok(m),
            Ok(other) => Err(self.err(
                line_of(&other),
                ErrorKind::Syntax,
                "the file must be a YAML mapping",
            )),
            Err(e) => {
                use marked_yaml::LoadError as L;
                let (line, msg) = match &e {
                    L::TopLevelMustBeMapping(m) => {
                        (m.line(), "the file must be a YAML mapping".to_string())
                    }
                    L::TopLevelMustBeSequence(m) => (m.line(), "unexpected top level".to_string()),
                    L::UnexpectedAnchor(m) => (
                        m.line(),
                        "YAML anchors/aliases are not supported; use `definitions` and `ref:`"
                            .to_string(),
                    ),
                    L::MappingKeyMustBeScalar(m) => {
                        (m.line(), "mapping keys must be plain scalars".to_string())
                    }
                    L::UnexpectedTag(m) => (m.line(), "YAML tags are not supported".to_string()),
                    L::ScanError(m, se) => (m.line(), format!("YAML syntax error: {}", se.info())),
                    L::DuplicateKey(d) => (
                        scalar_line(&d.key),
                        format!(
                            "duplicate key `{}` (first at line {})",
                            d.key.as_str(),
                            scalar_line(&d.prev_key)
                        ),
                    ),
                };
                if let L::DuplicateKey(d) = &e {
                    if is_date(d.key.as_str()) {
                        return Err(self.err(
                            line,
                            ErrorKind::OverlappingDates,
                            format!(
                                "overlapping parameter dates: a value taking effect on {} is already given at line {}",
                                d.key.as_str(),
                                scalar_line(&d.prev_key)
                            ),
                        ));
                    }
                }
                Err(self.err(line, ErrorKind::Syntax, msg))
            }
        }
    }

    /// Rejects a source over [`MAX_SOURCE_BYTES`] or nesting deeper than [`MAX_DEPTH`], before the
    /// recursive tree is built: the event parser keeps its own stack, so any depth is safe to count.
    /// Syntax errors are left to the loader, which words them.
    fn check_bounds(&self, source: &str) -> Result<()> {
        use yaml_rust2::parser::{Event, Parser};
        if source.len() > MAX_SOURCE_BYTES {
            return Err(self.err(
                0,
                ErrorKind::TooLarge,
                format!(
                    "the file is {} bytes; at most {MAX_SOURCE_BYTES} bytes are accepted",
                    source.len()
                ),
            ));
        }
        let mut parser = Parser::new_from_str(source);
        let too_deep = |line: usize| {
            self.err(
                line,
                ErrorKind::TooLarge,
                format!(
                    "nesting deeper than {MAX_DEPTH} levels (mappings and lists within each other)"
                ),
            )
        };
        let mut depth = 0usize;
        loop {
            let event = match parser.next_token() {
                Ok((event, mark)) => (event, mark.line()),
                // The scanner looks ahead through flow collections and stops at its own limit first.
                Err(e) if e.info().contains("recursion limit") => {
                    return Err(too_deep(e.marker().line()))
                }
                Err(_) => break,
            };
            match event {
                (Event::SequenceStart(..) | Event::MappingStart(..), line) => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(too_deep(line));
                    }
                }
                (Event::SequenceEnd | Event::MappingEnd, _) => depth = depth.saturating_sub(1),
                (Event::StreamEnd, _) => break,
                _ => {}
            }
        }
        Ok(())
    }

    pub fn mapping<'n>(&self, node: &'n Node, what: &str) -> Result<&'n MarkedMappingNode> {
        node.as_mapping().ok_or_else(|| {
            self.err(
                line_of(node),
                ErrorKind::BadValue,
                format!("{what} must be a mapping"),
            )
        })
    }

    pub fn sequence<'n>(&self, node: &'n Node, what: &str) -> Result<&'n MarkedSequenceNode> {
        node.as_sequence().ok_or_else(|| {
            self.err(
                line_of(node),
                ErrorKind::BadValue,
                format!("{what} must be a list"),
            )
        })
    }

    /// Rejects keys outside `allowed`, and reports the first missing key of `required`.
    pub fn check_keys(
        &self,
        m: &MarkedMappingNode,
        allowed: &[&str],
        required: &[&str],
        what: &str,
    ) -> Result<()> {
        for (k, _) in m.iter() {
            if !allowed.contains(&k.as_str()) {
                return Err(self.err(
                    scalar_line(k),
                    ErrorKind::UnknownField,
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
                return Err(self.err(
                    line,
                    ErrorKind::MissingField,
                    format!("{what} is missing the required field `{r}`"),
                ));
            }
        }
        Ok(())
    }

    pub fn string(&self, node: &Node, what: &str) -> Result<String> {
        match node.as_scalar() {
            Some(s) if !is_null(node) => Ok(s.as_str().to_string()),
            _ => Err(self.err(
                line_of(node),
                ErrorKind::BadValue,
                format!("{what} must be a text value"),
            )),
        }
    }

    pub fn int(&self, node: &Node, what: &str) -> Result<i64> {
        match node.as_scalar() {
            Some(s) if s.may_coerce() => s.as_str().trim().parse::<i64>().map_err(|_| {
                self.err(
                    line_of(node),
                    ErrorKind::BadValue,
                    format!(
                        "{what} must be an integer (amounts are whole yuan), not `{}`",
                        s.as_str()
                    ),
                )
            }),
            _ => Err(self.err(
                line_of(node),
                ErrorKind::BadValue,
                format!("{what} must be an integer"),
            )),
        }
    }

    pub fn boolean(&self, node: &Node, what: &str) -> Result<bool> {
        match node
            .as_scalar()
            .and_then(|s| if s.may_coerce() { s.as_bool() } else { None })
        {
            Some(b) => Ok(b),
            None => Err(self.err(
                line_of(node),
                ErrorKind::BadValue,
                format!("{what} must be true or false"),
            )),
        }
    }

    pub fn date(&self, node: &Node, what: &str) -> Result<NaiveDate> {
        match node.as_scalar() {
            Some(s) => self.date_str(s.as_str(), line_of(node), what),
            None => Err(self.err(
                line_of(node),
                ErrorKind::BadValue,
                format!("{what} must be a date YYYY-MM-DD"),
            )),
        }
    }

    pub fn date_str(&self, s: &str, line: usize, what: &str) -> Result<NaiveDate> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            self.err(
                line,
                ErrorKind::BadValue,
                format!("{what} must be a date YYYY-MM-DD, not `{s}`"),
            )
        })
    }
}

fn is_date(s: &str) -> bool {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// A plain `null`, `~` or empty scalar.
pub(crate) fn is_null(node: &Node) -> bool {
    match node.as_scalar() {
        Some(s) => s.may_coerce() && matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"),
        None => false,
    }
}

/// Converts a YAML node into JSON (plain scalars are typed as YAML 1.2 core does; quoted ones are strings).
pub(crate) fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match node {
        Node::Scalar(s) => {
            if !s.may_coerce() {
                return Value::String(s.as_str().to_string());
            }
            let t = s.as_str();
            if is_null(node) {
                Value::Null
            } else if let Some(b) = s.as_bool() {
                Value::Bool(b)
            } else if let Ok(i) = t.parse::<i64>() {
                Value::from(i)
            } else if let Ok(f) = t.parse::<f64>() {
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(t.to_string()))
            } else {
                Value::String(t.to_string())
            }
        }
        Node::Sequence(seq) => Value::Array(seq.iter().map(to_json).collect()),
        Node::Mapping(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.as_str().to_string(), to_json(v)))
                .collect(),
        ),
    }
}
