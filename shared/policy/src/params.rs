//! Dated parameters (as in OpenFisca): each parameter has values by effective date, and the value in force
//! on the evaluation date is the one with the latest effective date on or before it.

use chrono::NaiveDate;
use marked_yaml::types::MarkedMappingNode;
use serde::{Deserialize, Serialize};

use crate::yaml::{is_null, line_of, scalar_line, Ctx, ErrorKind, Result};

nuanxin_text_enum::text_enum! {
    /// What a parameter's numbers are.
    pub enum ParamUnit {
        /// Integer yuan.
        Cny = "cny",
        /// Full years of age.
        Years = "years",
        Days = "days",
        /// A plain count or grade.
        Count = "count",
    }
}

/// One published value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamValue {
    Int(i64),
    /// No value from this date on (e.g. a standard withdrawn, or not yet published): amounts that depend
    /// on it are null, comparisons with it fail.
    Unset,
}

impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Int(v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamEntry {
    pub effective_from: NaiveDate,
    pub value: ParamValue,
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    /// Chinese name used in reasons, e.g. "北京市最低工资标准".
    pub label: String,
    pub unit: ParamUnit,
    pub description: Option<String>,
    /// Sorted by date, dates unique.
    pub values: Vec<ParamEntry>,
    pub line: usize,
}

impl Parameter {
    /// The value in force on `date`, if any.
    pub fn value_on(&self, date: NaiveDate) -> Option<i64> {
        let mut found = None;
        for e in &self.values {
            if e.effective_from <= date {
                found = Some(e.value);
            } else {
                break;
            }
        }
        match found {
            Some(ParamValue::Int(v)) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn parse_all(ctx: Ctx<'_>, m: &MarkedMappingNode) -> Result<Vec<Parameter>> {
        let mut out = Vec::new();
        for (k, v) in m.iter() {
            let name = k.as_str().to_string();
            if !valid_code(&name) {
                return Err(ctx.err(
                    scalar_line(k),
                    ErrorKind::BadValue,
                    format!("parameter name `{name}` must be snake_case ASCII"),
                ));
            }
            let pm = ctx.mapping(v, &format!("parameter `{name}`"))?;
            ctx.check_keys(
                pm,
                &["label", "unit", "description", "values"],
                &["label", "unit", "values"],
                &format!("parameter `{name}`"),
            )?;
            let label = pm
                .get_node("label")
                .map(|n| ctx.string(n, "`label`"))
                .transpose()?
                .unwrap_or_default();
            let unit_node = pm.get_node("unit");
            let unit_s = unit_node
                .map(|n| ctx.string(n, "`unit`"))
                .transpose()?
                .unwrap_or_default();
            let unit = ParamUnit::parse(&unit_s).ok_or_else(|| {
                ctx.err(
                    unit_node.map(line_of).unwrap_or(scalar_line(k)),
                    ErrorKind::BadValue,
                    format!(
                        "parameter `{name}`: unit `{unit_s}` is not one of cny, years, days, count"
                    ),
                )
            })?;
            let description = pm
                .get_node("description")
                .map(|n| ctx.string(n, "`description`"))
                .transpose()?;
            let mut values: Vec<(ParamEntry, usize)> = Vec::new();
            if let Some(vn) = pm.get_node("values") {
                if !is_null(vn) {
                    let vm = ctx.mapping(
                        vn,
                        &format!("`values` of parameter `{name}` (a mapping from date to value)"),
                    )?;
                    for (dk, dv) in vm.iter() {
                        let line = scalar_line(dk);
                        let date = ctx.date_str(dk.as_str(), line, "an effective date")?;
                        let value = if is_null(dv) {
                            ParamValue::Unset
                        } else {
                            ParamValue::Int(ctx.int(dv, &format!("value of `{name}`"))?)
                        };
                        if let Some((_, first)) =
                            values.iter().find(|(e, _)| e.effective_from == date)
                        {
                            return Err(ctx.err(
                                line,
                                ErrorKind::OverlappingDates,
                                format!("overlapping parameter dates: `{name}` already has a value taking effect on {date} (line {first})"),
                            ));
                        }
                        values.push((
                            ParamEntry {
                                effective_from: date,
                                value,
                            },
                            line,
                        ));
                    }
                }
            }
            values.sort_by_key(|(e, _)| e.effective_from);
            out.push(Parameter {
                name,
                label,
                unit,
                description,
                values: values.into_iter().map(|(e, _)| e).collect(),
                line: scalar_line(k),
            });
        }
        Ok(out)
    }
}

pub(crate) fn valid_code(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}
