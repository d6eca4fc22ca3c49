//! Reasons: readable Chinese sentences about the facts that met (or missed) a condition.
//!
//! A [`Reason`] is a small value (which fact, which comparison, the two values) rendered into a sentence
//! only when displayed or serialized, so evaluating a large register does not format strings it never
//! shows. It serializes as a plain JSON string.

use std::fmt;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

use crate::catalog::{self, district_label, Attr, FactType};

/// Whose fact a sentence speaks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    Family,
    Mother,
    Father,
}

impl Subject {
    fn prefix(self) -> &'static str {
        match self {
            Subject::Family => "",
            Subject::Mother => "母亲",
            Subject::Father => "父亲",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    NotIn,
    IsSet,
    /// Date in the evaluation year plus an offset (0 = this year, -1 = last year).
    InYear,
}

/// A text of the policy (a compared value, a parameter's label), borrowed from the policy for as long
/// as the evaluation lives. A thin pointer, so reasons stay small and copy it without reference counting.
pub(crate) type PolicyText<'p> = &'p String;

/// A value inside a reason. A text equals another with the same characters, whether it is the
/// policy's (`Text`) or a family's (`FactText`).
#[derive(Debug, Clone)]
pub(crate) enum RVal<'p> {
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    Sym(u8),
    Text(PolicyText<'p>),
    FactText(Arc<String>),
    SymSet(u32),
    TextSet(&'p Vec<String>),
    /// The fact has no value (no such parent, date not set) or the parameter has none on the date.
    Missing,
    /// The fact rests on a dated fact (named) recorded after the evaluation date.
    NotYet(Attr, NaiveDate),
}

impl RVal<'_> {
    fn text(&self) -> Option<&str> {
        match self {
            RVal::Text(t) => Some(t),
            RVal::FactText(t) => Some(t.as_str()),
            _ => None,
        }
    }
}

impl PartialEq for RVal<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RVal::Int(a), RVal::Int(b)) => a == b,
            (RVal::Bool(a), RVal::Bool(b)) => a == b,
            (RVal::Date(a), RVal::Date(b)) => a == b,
            (RVal::Sym(a), RVal::Sym(b)) => a == b,
            (RVal::SymSet(a), RVal::SymSet(b)) => a == b,
            (RVal::TextSet(a), RVal::TextSet(b)) => a == b,
            (RVal::Missing, RVal::Missing) => true,
            (RVal::NotYet(a, x), RVal::NotYet(b, y)) => a == b && x == y,
            _ => match (self.text(), other.text()) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        }
    }
}

impl Eq for RVal<'_> {}

/// What the right-hand side was, for wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RLabel<'p> {
    Literal,
    Param(PolicyText<'p>),
    Fact(Subject, Attr),
    /// InYear: 0 = 当年, -1 = 上一年 ...
    Year(i32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cmp<'p> {
    pub subject: Subject,
    pub attr: Attr,
    pub op: Op,
    pub pass: bool,
    pub lhs: RVal<'p>,
    pub rhs: RVal<'p>,
    pub rhs_label: RLabel<'p>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Inner<'p> {
    Cmp(Cmp<'p>),
    Text(Arc<str>),
}

/// One readable sentence about a condition and the family's facts. It borrows the policy's texts
/// (`'p`), so it lives no longer than the policy it was evaluated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason<'p>(Inner<'p>);

impl<'p> Reason<'p> {
    pub(crate) fn cmp(c: Cmp<'p>) -> Reason<'p> {
        Reason(Inner::Cmp(c))
    }
    /// A fixed sentence.
    pub fn text(s: impl Into<Arc<str>>) -> Reason<'p> {
        Reason(Inner::Text(s.into()))
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Text(s) => f.write_str(s),
            Inner::Cmp(c) => render(c, f),
        }
    }
}

impl Serialize for Reason<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// 2025年3月2日
pub(crate) struct CnDate(pub NaiveDate);

impl fmt::Display for CnDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}年{}月{}日",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

fn enum_label(attr: Attr, code: u8) -> &'static str {
    match catalog::info(attr).ty {
        FactType::Enum(values) => values.get(usize::from(code)).map(|v| v.1).unwrap_or("?"),
        _ => "?",
    }
}

fn set_labels(attr: Attr, v: &RVal<'_>) -> String {
    match v {
        RVal::SymSet(bits) => {
            let mut out = Vec::new();
            if let FactType::Enum(values) = catalog::info(attr).ty {
                for (i, (_, label)) in values.iter().enumerate() {
                    if bits & (1 << i) != 0 {
                        out.push(*label);
                    }
                }
            }
            out.join("、")
        }
        RVal::TextSet(items) => items
            .iter()
            .map(|s| district_label(s))
            .collect::<Vec<_>>()
            .join("、"),
        _ => String::new(),
    }
}

struct Shown<'a, 'p>(Attr, &'a RVal<'p>);

impl fmt::Display for Shown<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = catalog::info(self.0).ty;
        match self.1 {
            RVal::Int(n) => match ty {
                FactType::Money => write!(f, "{n}元"),
                FactType::Days => write!(f, "{n}天"),
                FactType::Grade => write!(f, "{n}级"),
                FactType::Age => write!(f, "{n}周岁"),
                _ => write!(f, "{n}"),
            },
            RVal::Bool(b) => f.write_str(if *b { "是" } else { "否" }),
            RVal::Date(d) => write!(f, "{}", CnDate(*d)),
            RVal::Sym(c) => f.write_str(enum_label(self.0, *c)),
            RVal::Text(_) | RVal::FactText(_) => {
                let t = self.1.text().unwrap_or_default();
                if self.0 == Attr::Hukou {
                    f.write_str(district_label(t))
                } else {
                    f.write_str(t)
                }
            }
            RVal::SymSet(_) | RVal::TextSet(_) => f.write_str(&set_labels(self.0, self.1)),
            RVal::Missing | RVal::NotYet(..) => f.write_str("（无）"),
        }
    }
}

fn rhs_name(c: &Cmp<'_>) -> String {
    match &c.rhs_label {
        RLabel::Literal | RLabel::Year(_) => String::new(),
        RLabel::Param(label) => label.to_string(),
        RLabel::Fact(subject, attr) => {
            format!("{}{}", subject.prefix(), catalog::info(*attr).label)
        }
    }
}

fn render(c: &Cmp<'_>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let info = catalog::info(c.attr);
    let s = c.subject.prefix();
    // Parameter without a value on the evaluation date.
    if c.rhs == RVal::Missing && c.op != Op::IsSet && matches!(c.rhs_label, RLabel::Param(_)) {
        return write!(
            f,
            "{}在评估日无配置值，无法判断{}{}是否符合条件",
            rhs_name(c),
            s,
            info.label
        );
    }
    if let RVal::NotYet(attr, d) = c.lhs {
        dated(f, s, catalog::info(attr).phrases.0, d)?;
        return f.write_str("，在评估日期之后，评估日尚未发生");
    }
    if c.lhs == RVal::Missing {
        return match info.ty {
            FactType::Date => write!(f, "{s}{}", info.phrases.1),
            FactType::Days if !info.phrases.1.is_empty() => write!(f, "{s}{}", info.phrases.1),
            _ if c.subject != Subject::Family => write!(f, "无{s}信息"),
            _ => write!(f, "无{}信息", info.label),
        };
    }
    if c.op == Op::IsSet {
        return match (&c.lhs, info.ty) {
            (RVal::Date(d), FactType::Date) => dated(f, s, info.phrases.0, *d),
            _ => write!(f, "{s}{}为{}", info.label, Shown(c.attr, &c.lhs)),
        };
    }
    match info.ty {
        FactType::Bool => {
            let b = matches!(c.lhs, RVal::Bool(true));
            f.write_str(s)?;
            f.write_str(if b { info.phrases.0 } else { info.phrases.1 })
        }
        FactType::Enum(_) | FactType::Text => {
            let lhs = Shown(c.attr, &c.lhs);
            let rhs = Shown(c.attr, &c.rhs);
            let label = info.label;
            let equal = match c.op {
                Op::Eq | Op::In => c.pass,
                _ => !c.pass,
            };
            if equal {
                write!(f, "{s}{label}为{lhs}")
            } else {
                match c.op {
                    Op::In | Op::NotIn => write!(f, "{s}{label}为{lhs}，不属于{rhs}"),
                    _ => write!(f, "{s}{label}为{lhs}，不是{rhs}"),
                }
            }
        }
        FactType::Age => {
            let (RVal::Int(x), RVal::Int(n)) = (&c.lhs, &c.rhs) else {
                return write!(f, "{s}{}不符合条件", info.label);
            };
            let word = match (c.op, c.pass) {
                (Op::Gte, true) | (Op::Lt, false) => "已满",
                (Op::Gte, false) | (Op::Lt, true) => "未满",
                (Op::Gt, true) | (Op::Lte, false) => "已超过",
                (Op::Gt, false) | (Op::Lte, true) => "不超过",
                (Op::Eq, true) | (Op::Ne, false) => "为",
                _ => "不是",
            };
            write!(f, "{s}{word}{n}周岁（{x}岁）")
        }
        FactType::Grade if matches!(c.op, Op::Lte) => {
            let (RVal::Int(x), RVal::Int(n)) = (&c.lhs, &c.rhs) else {
                return write!(f, "{}不符合条件", info.label);
            };
            if c.pass {
                write!(f, "{s}{}为{x}级（属{n}级以上）", info.label)
            } else {
                write!(f, "{s}{}为{x}级，不属于{n}级以上", info.label)
            }
        }
        FactType::Money | FactType::Days | FactType::Grade => {
            let days = info.ty == FactType::Days;
            let word = match (c.op, c.pass) {
                (Op::Lt, true) | (Op::Gte, false) => {
                    if days {
                        "不足"
                    } else {
                        "低于"
                    }
                }
                (Op::Lt, false) | (Op::Gte, true) => {
                    if days {
                        "已达"
                    } else {
                        "不低于"
                    }
                }
                (Op::Lte, true) | (Op::Gt, false) => "未超过",
                (Op::Lte, false) | (Op::Gt, true) => "超过",
                (Op::Eq, true) | (Op::Ne, false) => "等于",
                _ => "不等于",
            };
            write!(
                f,
                "{s}{}{}，{word}{}{}",
                info.label,
                Shown(c.attr, &c.lhs),
                rhs_name(c),
                Shown(c.attr, &c.rhs)
            )
        }
        FactType::Date => {
            let RVal::Date(d) = &c.lhs else {
                return write!(f, "{s}{}", info.phrases.1);
            };
            dated(f, s, info.phrases.0, *d)?;
            f.write_str("，")?;
            if let (Op::InYear, RLabel::Year(offset)) = (c.op, &c.rhs_label) {
                let which = match offset {
                    0 => "当年".to_string(),
                    -1 => "上一年".to_string(),
                    n => format!("评估年份{n:+}年"),
                };
                let y = match &c.rhs {
                    RVal::Int(y) => *y,
                    _ => 0,
                };
                return if c.pass {
                    write!(f, "在{which}（{y}年）")
                } else {
                    write!(f, "不在{which}（{y}年）")
                };
            }
            let lit = Shown(c.attr, &c.rhs);
            let text = match (c.op, c.pass) {
                (Op::Gte, true) | (Op::Lt, false) => "在{}当日或之后",
                (Op::Gte, false) | (Op::Lt, true) => "在{}之前",
                (Op::Gt, true) | (Op::Lte, false) => "在{}之后",
                (Op::Gt, false) | (Op::Lte, true) => "不晚于{}",
                (Op::Eq, true) | (Op::Ne, false) => "恰为{}",
                _ => "不是{}",
            };
            let (before, after) = text.split_once("{}").unwrap_or((text, ""));
            write!(f, "{before}{lit}{after}")
        }
    }
}

fn dated(f: &mut fmt::Formatter<'_>, subject: &str, template: &str, d: NaiveDate) -> fmt::Result {
    let (before, after) = template.split_once("{d}").unwrap_or((template, ""));
    write!(f, "{subject}{before}{}{after}", CnDate(d))
}
