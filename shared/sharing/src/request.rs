//! Checking a department's data request against its rules.

use chrono::NaiveDate;

use crate::catalogue::Field;
use crate::minimise::FamilyFacts;
use crate::rules::{Directory, FilterKind, Rule, SharingRules};

/// The age bands of filters and aggregates (a parent's age on the release date).
pub const AGE_BANDS: [(&str, u32, u32); 5] = [
    ("under_50", 0, 49),
    ("50-59", 50, 59),
    ("60-69", 60, 69),
    ("70-79", 70, 79),
    ("80_plus", 80, u32::MAX),
];

/// The band code of an age.
pub fn age_band(age: u32) -> &'static str {
    AGE_BANDS
        .iter()
        .find(|(_, lo, hi)| (*lo..=*hi).contains(&age))
        .map_or("80_plus", |(code, _, _)| code)
}

/// The family kinds a `kind` filter takes.
pub const KINDS: [&str; 2] = ["bereaved", "disabled"];

/// A request as the API receives it: `{"purpose", "fields", "filter", "days"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub purpose: String,
    /// Field codes, as sent.
    pub fields: Vec<String>,
    /// Filter name → value, as sent, in order.
    pub filter: Vec<(String, String)>,
    pub days: i64,
}

/// One problem with a request: the JSON path of the offending part and why, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// `purpose`, `fields[2]`, `filter.program`, `days`.
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> RequestError {
    RequestError {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks `req` from `org_unit` against the rules: the rule it falls under, or every problem.
pub fn check_request<'r>(
    rules: &'r SharingRules,
    dir: &Directory,
    org_unit: &str,
    req: &Request,
) -> Result<&'r Rule, Vec<RequestError>> {
    let Some(rule) = rules
        .rules
        .iter()
        .find(|r| r.org_unit == org_unit && r.purpose == req.purpose)
    else {
        return Err(vec![problem("purpose", "本部门没有该用途的共享规则")]);
    };
    let mut errors = Vec::new();
    if req.fields.is_empty() {
        errors.push(problem("fields", "至少申请一个字段"));
    }
    let mut seen = Vec::new();
    for (i, code) in req.fields.iter().enumerate() {
        let path = format!("fields[{i}]");
        match Field::parse(code) {
            None => errors.push(problem(path, "不是可共享的字段")),
            Some(f) if rule.mode_of(f).is_none() => {
                errors.push(problem(path, "该用途的共享规则不提供此字段"))
            }
            Some(f) if seen.contains(&f) => errors.push(problem(path, "字段重复")),
            Some(f) => seen.push(f),
        }
    }
    let mut seen_filters = Vec::new();
    for (name, value) in &req.filter {
        let path = format!("filter.{name}");
        let Some(kind) = FilterKind::parse(name) else {
            errors.push(problem(
                path,
                "不是可用的筛选条件（kind、street、age_band、program）",
            ));
            continue;
        };
        if !rule.filters.contains(&kind) {
            errors.push(problem(path, "该用途的共享规则不允许此筛选条件"));
            continue;
        }
        if seen_filters.contains(&kind) {
            errors.push(problem(path, "筛选条件重复"));
            continue;
        }
        seen_filters.push(kind);
        let known = match kind {
            FilterKind::Kind => KINDS.contains(&value.as_str()),
            FilterKind::Street => dir.streets.contains(value),
            FilterKind::AgeBand => AGE_BANDS.iter().any(|(c, _, _)| c == value),
            FilterKind::Program => dir.programs.contains(value),
        };
        if !known {
            errors.push(problem(path, "筛选值不存在"));
        }
    }
    if req.days < 1 || req.days > i64::from(rule.max_days) {
        errors.push(problem(
            "days",
            format!("期限应为 1 至 {} 天", rule.max_days),
        ));
    }
    if errors.is_empty() {
        Ok(rule)
    } else {
        Err(errors)
    }
}

/// A verification query (`{"resident_id", "program"}`): the rule of `org_unit` that allows asking
/// about `program`, or the problem at `program`.
pub fn check_verification<'r>(
    rules: &'r SharingRules,
    org_unit: &str,
    program: &str,
) -> Result<&'r Rule, RequestError> {
    rules
        .rules
        .iter()
        .find(|r| r.org_unit == org_unit && r.verifications.contains(program))
        .ok_or_else(|| problem("program", "本部门无权核验该项目"))
}

/// Whether a family matches a checked request's filter on `on`: its kind, its street, a living
/// parent's age in the band, a program it is entitled to. Unknown filter names match nothing.
pub fn matches(filter: &[(String, String)], family: &FamilyFacts, on: NaiveDate) -> bool {
    filter
        .iter()
        .all(|(name, value)| match FilterKind::parse(name) {
            Some(FilterKind::Kind) => family.kind == *value,
            Some(FilterKind::Street) => family.street == *value,
            Some(FilterKind::AgeBand) => family
                .parents
                .iter()
                .any(|p| p.alive && age_band(p.resident_id.age_on(on)) == value),
            Some(FilterKind::Program) => family.entitlements.iter().any(|e| e == value),
            None => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Brute force: the band of an age is the one band whose bounds contain it.
        #[test]
        fn every_age_has_exactly_one_band(age in 0u32..130) {
            let containing: Vec<&str> = AGE_BANDS.iter().filter(|(_, lo, hi)| *lo <= age && age <= *hi).map(|b| b.0).collect();
            prop_assert_eq!(containing, vec![age_band(age)]);
        }
    }
}
