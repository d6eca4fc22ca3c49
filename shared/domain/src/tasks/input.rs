//! What the API takes for volunteers, tasks and reports, and its validation against the district's
//! lists: every error names the field and says what is wrong in Chinese.

use nuanxin_ids::FamilyId;
use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use nuanxin_privacy::Phone;
use serde::{Deserialize, Serialize};

use super::config::MatchingConfig;
use super::{Slot, Urgency};
use crate::family::{check_text, parse_phone, Coordinates};
use crate::ValidationErrors;

/// At most this many weekly occurrences from one rule (half a year).
pub const MAX_OCCURRENCES: usize = 26;
/// Hours a report may give (one visit).
const MAX_MINUTES: u32 = 12 * 60;

/// A qualification a volunteer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldQualification {
    pub code: String,
    /// None: does not expire.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

/// A training the volunteer completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Training {
    pub course: String,
    pub completed_on: NaiveDate,
}

/// A volunteer as created or replaced through the API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolunteerInput {
    pub name: String,
    /// The social organization's code; None for an independent volunteer.
    #[serde(default)]
    pub organization: Option<String>,
    /// The username of the volunteer's own account, if they log in.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    pub skills: Vec<String>,
    #[serde(default)]
    pub qualifications: Vec<HeldQualification>,
    #[serde(default)]
    pub home: Option<Coordinates>,
    pub availability: Vec<Slot>,
    pub weekly_max: u32,
    /// The organization's ranking: 0 first choice … 3.
    #[serde(default)]
    pub preference: u8,
    #[serde(default)]
    pub training: Vec<Training>,
}

/// A checked volunteer.
#[derive(Debug, Clone, PartialEq)]
pub struct VolunteerSpec {
    pub name: String,
    pub organization: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub phone: Option<Phone>,
    pub skills: Vec<String>,
    pub qualifications: Vec<HeldQualification>,
    pub home: Option<Coordinates>,
    pub availability: Vec<Slot>,
    pub weekly_max: u32,
    pub preference: u8,
    pub training: Vec<Training>,
}

fn check_coordinates(errors: &mut ValidationErrors, field: &str, c: Option<Coordinates>) {
    if let Some(c) = c {
        if !(-90.0..=90.0).contains(&c.lat) {
            errors.push(
                format!("{field}.lat"),
                "out_of_range",
                "纬度应在-90至90之间",
            );
        }
        if !(-180.0..=180.0).contains(&c.lon) {
            errors.push(
                format!("{field}.lon"),
                "out_of_range",
                "经度应在-180至180之间",
            );
        }
    }
}

impl VolunteerInput {
    /// Checks the volunteer against the district's skill and qualification lists.
    pub fn validate(
        self,
        cfg: &MatchingConfig,
        today: NaiveDate,
    ) -> Result<VolunteerSpec, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_text(&mut errors, "name", &self.name, 30);
        if let Some(email) = self
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let ok = email.len() <= 254
                && email
                    .split_once('@')
                    .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
                && !email.chars().any(char::is_whitespace);
            if !ok {
                errors.push("email", "invalid_email", "电子邮箱格式不正确");
            }
        }
        let phone = parse_phone(&mut errors, "phone", self.phone.as_deref());
        if self.skills.is_empty() {
            errors.push("skills", "required", "至少填写一项服务技能");
        }
        let mut seen = BTreeSet::new();
        for (i, s) in self.skills.iter().enumerate() {
            if cfg.skill(s).is_none() {
                errors.push(
                    format!("skills[{i}]"),
                    "unknown_skill",
                    "本区技能清单中没有该技能",
                );
            } else if !seen.insert(s) {
                errors.push(format!("skills[{i}]"), "duplicate", "技能重复");
            }
        }
        let mut seen = BTreeSet::new();
        for (i, q) in self.qualifications.iter().enumerate() {
            if cfg.qualification(&q.code).is_none() {
                errors.push(
                    format!("qualifications[{i}].code"),
                    "unknown_qualification",
                    "本区资质清单中没有该资质",
                );
            } else if !seen.insert(&q.code) {
                errors.push(format!("qualifications[{i}].code"), "duplicate", "资质重复");
            }
        }
        check_coordinates(&mut errors, "home", self.home);
        if self.availability.len() > 21 {
            errors.push("availability", "too_many", "每周可服务时段最多21个");
        }
        for (i, slot) in self.availability.iter().enumerate() {
            if slot.from >= slot.to {
                errors.push(
                    format!("availability[{i}].to"),
                    "invalid_range",
                    "结束时间应晚于开始时间",
                );
            }
        }
        if !(1..=14).contains(&self.weekly_max) {
            errors.push("weekly_max", "out_of_range", "每周最多任务数应在1至14之间");
        }
        if self.preference > 3 {
            errors.push("preference", "out_of_range", "机构排序应在0至3之间");
        }
        if self.training.len() > 50 {
            errors.push("training", "too_many", "培训记录最多50条");
        }
        for (i, t) in self.training.iter().enumerate() {
            check_text(&mut errors, &format!("training[{i}].course"), &t.course, 50);
            if t.completed_on > today {
                errors.push(
                    format!("training[{i}].completed_on"),
                    "in_future",
                    "完成日期不能晚于今天",
                );
            }
        }
        let nonempty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        errors.into_result(VolunteerSpec {
            name: self.name.trim().to_owned(),
            organization: nonempty(self.organization),
            username: nonempty(self.username),
            email: nonempty(self.email),
            phone,
            skills: self.skills,
            qualifications: self.qualifications,
            home: self.home,
            availability: self.availability,
            weekly_max: self.weekly_max,
            preference: self.preference,
            training: self.training,
        })
    }
}

/// A service task as created through the API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub family_id: FamilyId,
    /// A skill code of the district's list.
    pub service: String,
    /// Local time in the district: `2026-12-03T09:00`.
    pub starts_at: String,
    pub ends_at: String,
    /// Where; the household's address when left out.
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub by_phone: bool,
    /// Qualifications needed besides the service's own.
    #[serde(default)]
    pub qualifications: Vec<String>,
    #[serde(default = "one")]
    pub helpers_needed: u32,
    #[serde(default = "normal")]
    pub urgency: Urgency,
    /// The name the helper addresses the elder by (王阿姨).
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub notes: String,
    /// A weekly rule: the same window every week until this date (inclusive).
    #[serde(default)]
    pub repeat_weekly_until: Option<NaiveDate>,
    /// The proposal (from an entitlement) this task takes up: it must be open and be for this
    /// household and service; it is then accepted with the task.
    #[serde(default)]
    pub proposal_id: Option<uuid::Uuid>,
}

fn one() -> u32 {
    1
}

fn normal() -> Urgency {
    Urgency::Normal
}

/// A checked task: one or more occurrences of the same window, a week apart.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    pub family_id: FamilyId,
    pub service: String,
    /// Local windows, one per occurrence.
    pub occurrences: Vec<(NaiveDateTime, NaiveDateTime)>,
    pub place: Option<String>,
    pub by_phone: bool,
    pub qualifications: Vec<String>,
    pub helpers_needed: u32,
    pub urgency: Urgency,
    pub contact_name: String,
    pub contact_phone: Option<Phone>,
    pub notes: String,
    /// The service is a long-term pairing (综合包户).
    pub long_term: bool,
    pub proposal_id: Option<uuid::Uuid>,
}

/// A local date and time `YYYY-MM-DDTHH:MM` (seconds allowed).
pub fn parse_local(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

impl TaskInput {
    /// Checks the task against the district's lists; `now` is the district's local time.
    pub fn validate(
        self,
        cfg: &MatchingConfig,
        now: NaiveDateTime,
    ) -> Result<TaskSpec, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let skill = cfg.skill(&self.service);
        if skill.is_none() {
            errors.push("service", "unknown_skill", "本区服务清单中没有该服务");
        }
        let starts = parse_local(&self.starts_at);
        let ends = parse_local(&self.ends_at);
        if starts.is_none() {
            errors.push(
                "starts_at",
                "invalid_time",
                "开始时间格式应为 YYYY-MM-DDTHH:MM",
            );
        }
        if ends.is_none() {
            errors.push(
                "ends_at",
                "invalid_time",
                "结束时间格式应为 YYYY-MM-DDTHH:MM",
            );
        }
        let mut occurrences = Vec::new();
        if let (Some(s), Some(e)) = (starts, ends) {
            if e <= s {
                errors.push("ends_at", "invalid_range", "结束时间应晚于开始时间");
            } else if e.date() != s.date() {
                errors.push("ends_at", "invalid_range", "服务时段应在同一天内");
            } else if s < now {
                errors.push("starts_at", "in_past", "开始时间不能早于现在");
            }
            occurrences.push((s, e));
            if let Some(until) = self.repeat_weekly_until {
                if until < s.date() {
                    errors.push(
                        "repeat_weekly_until",
                        "invalid_range",
                        "重复截止日期不能早于首次服务日期",
                    );
                }
                let mut k = 1;
                while (s + Duration::weeks(k)).date() <= until {
                    if occurrences.len() == MAX_OCCURRENCES {
                        errors.push(
                            "repeat_weekly_until",
                            "too_many",
                            format!("每周重复最多{MAX_OCCURRENCES}次"),
                        );
                        break;
                    }
                    occurrences.push((s + Duration::weeks(k), e + Duration::weeks(k)));
                    k += 1;
                }
            }
        }
        if let Some(place) = &self.place {
            check_text(&mut errors, "place", place, 100);
        }
        for (i, q) in self.qualifications.iter().enumerate() {
            if cfg.qualification(q).is_none() {
                errors.push(
                    format!("qualifications[{i}]"),
                    "unknown_qualification",
                    "本区资质清单中没有该资质",
                );
            }
        }
        if !(1..=5).contains(&self.helpers_needed) {
            errors.push("helpers_needed", "out_of_range", "所需人数应在1至5之间");
        }
        check_text(&mut errors, "contact_name", &self.contact_name, 20);
        let contact_phone =
            parse_phone(&mut errors, "contact_phone", self.contact_phone.as_deref());
        if self.notes.chars().count() > 500 {
            errors.push("notes", "too_long", "备注不能超过500个字");
        } else if self.notes.chars().any(|c| c.is_control() && c != '\n') {
            errors.push("notes", "invalid_text", "不能含有控制字符");
        }
        let long_term = skill.is_some_and(|s| s.long_term);
        errors.into_result(TaskSpec {
            family_id: self.family_id,
            service: self.service,
            occurrences,
            place: self.place.map(|p| p.trim().to_owned()),
            by_phone: self.by_phone,
            qualifications: self.qualifications,
            helpers_needed: self.helpers_needed,
            urgency: self.urgency,
            contact_name: self.contact_name.trim().to_owned(),
            contact_phone,
            notes: self.notes.trim().to_owned(),
            long_term,
            proposal_id: self.proposal_id,
        })
    }
}

/// A check-out: what was done, how long, and any concern for the community worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub report: String,
    /// Hours of service, in quarter hours at the finest (`1.5`).
    pub hours: serde_json::Number,
    #[serde(default)]
    pub concern: Option<String>,
}

/// A checked report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub report: String,
    pub minutes: u32,
    pub concern: Option<String>,
}

/// Hours as a decimal text (`1.5`, `2`, `0.25`) → whole minutes, exact: no binary fractions involved.
pub fn hours_to_minutes(text: &str) -> Option<u32> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 3 {
        return None;
    }
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hundredths =
        whole.parse::<u32>().ok()? * 100 + format!("{frac:0<2}").parse::<u32>().ok()?;
    // Quarter hours: 0.25 h = 15 minutes exactly.
    (hundredths % 25 == 0).then_some(hundredths * 60 / 100)
}

impl ReportInput {
    pub fn validate(self) -> Result<Report, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_text(&mut errors, "report", &self.report, 500);
        let minutes = hours_to_minutes(&self.hours.to_string());
        match minutes {
            None => errors.push(
                "hours",
                "invalid_hours",
                "时长应以小时计，最小单位0.25小时（如1.5）",
            ),
            Some(0) => errors.push("hours", "out_of_range", "时长应大于0"),
            Some(m) if m > MAX_MINUTES => {
                errors.push("hours", "out_of_range", "单次服务时长不能超过12小时")
            }
            Some(_) => {}
        }
        let concern = self
            .concern
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if let Some(c) = &concern {
            check_text(&mut errors, "concern", c, 500);
        }
        errors.into_result(Report {
            report: self.report.trim().to_owned(),
            minutes: minutes.unwrap_or(0),
            concern,
        })
    }
}

/// The reason of a decline or of a cancelled task: required, at most 200 characters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    #[serde(default)]
    pub reason: String,
}

impl ReasonInput {
    pub fn validate(self) -> Result<String, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_text(&mut errors, "reason", &self.reason, 200);
        errors.into_result(self.reason.trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_exact_quarter_hours() {
        assert_eq!(hours_to_minutes("1.5"), Some(90));
        assert_eq!(hours_to_minutes("2"), Some(120));
        assert_eq!(hours_to_minutes("0.25"), Some(15));
        assert_eq!(hours_to_minutes("0.75"), Some(45));
        for bad in ["1.3", "-1", "1e2", "", ".5", "1.255", "abcd", "10000"] {
            assert_eq!(hours_to_minutes(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_weekly_rule_makes_one_occurrence_a_week_up_to_its_end() {
        let cfg = super::super::config::MatchingConfig::parse(
            "matching.yaml",
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tenants/xicheng/matching.yaml"
            ))
            .unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let input = |until: &str| TaskInput {
            family_id: FamilyId::from_uuid(uuid::Uuid::nil()),
            service: "household_pairing".into(),
            starts_at: "2026-12-03T09:00".into(),
            ends_at: "2026-12-03T11:00".into(),
            place: None,
            by_phone: false,
            qualifications: vec![],
            helpers_needed: 1,
            urgency: Urgency::Normal,
            contact_name: "王阿姨".into(),
            contact_phone: None,
            notes: String::new(),
            repeat_weekly_until: NaiveDate::parse_from_str(until, "%Y-%m-%d").ok(),
            proposal_id: None,
        };
        let now = parse_local("2026-12-01T08:00").unwrap_or_default();
        let spec = input("2026-12-24").validate(&cfg, now);
        let spec = spec.map_err(|e| format!("{e:?}"));
        assert_eq!(spec.as_ref().map(|s| s.occurrences.len()), Ok(4));
        assert_eq!(spec.as_ref().map(|s| s.long_term), Ok(true));
        let errors = input("2028-01-01")
            .validate(&cfg, now)
            .err()
            .unwrap_or_default();
        assert_eq!(
            errors.first().map(|e| e.field.as_str()),
            Some("repeat_weekly_until")
        );
        let errors = input("2026-11-01")
            .validate(&cfg, now)
            .err()
            .unwrap_or_default();
        assert_eq!(errors.first().map(|e| e.code), Some("invalid_range"));
    }
}
