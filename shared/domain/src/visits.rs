//! Holiday visits and contact persons' daily contact (SPEC module 3): the district's settings
//! (`tenants/<slug>/visits.yaml`), which programs are holiday visits and on which day they are evaluated,
//! what a visit and a contact record may say, and the pure rules of money handed over at a visit and of
//! the flags (not visited before the festival, no contact for too long, too few contact persons).
//! No I/O, no clock: callers pass "today" in the district's time zone.

use chrono::{Days, NaiveDate};
use nuanxin_calendar::{festival_on, visit_window, Festival, VisitWindow, MAX_WINDOW_DAYS};
use nuanxin_ids::FamilyId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::benefit::EntryStatus;
use crate::family::{check_date, check_money, check_text, CONTACTS_MIN};
use crate::ValidationErrors;

/// The prefix of the policy programs that are holiday visits (`holiday_visit_spring_festival`, …).
pub const HOLIDAY_PROGRAM_PREFIX: &str = "holiday_visit_";

/// The festival a program visits on, when it is a holiday-visit program.
pub fn festival_of_program(program: &str) -> Option<Festival> {
    program.strip_prefix(HOLIDAY_PROGRAM_PREFIX)?.parse().ok()
}

/// The date a holiday program's cycle for `period` (a year, `2026`) is evaluated on: its festival's
/// date, so a parent who turns 60 before Chongyang is counted and a policy that ended before the
/// festival grants nothing. `None` for programs that are not holiday visits.
pub fn holiday_evaluation_date(program: &str, period: &str) -> Option<Result<NaiveDate, String>> {
    let festival = festival_of_program(program)?;
    Some(
        period
            .parse::<i32>()
            .map_err(|_| format!("节日走访的期间应为年份（如2026），而不是“{period}”"))
            .and_then(|year| festival_on(festival, year).map_err(|e| e.reason_zh())),
    )
}

/// A district's configuration of the module (`tenants/<slug>/visits.yaml`), checked on load.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitSettings {
    /// A campaign's visiting window: this many days before the festival, to the festival.
    pub window_days_before: u32,
    /// Families not yet visited this many days before the festival are flagged to the street.
    pub reminder_days_before: u32,
    /// A family without any contact logged for this many days is flagged to its community worker.
    pub no_contact_days: u32,
    /// The yearly budget of 暖心家园 / 怡心家园 / 新希望家园 activities, in yuan.
    #[serde(default)]
    pub activity_budget_cny: i64,
}

impl Default for VisitSettings {
    /// What a district without `visits.yaml` gets: 15 days' window, the reminder five days before,
    /// 30 days without contact (张卫字〔2020〕134号 三（一）'s daily contact), no activity budget.
    fn default() -> Self {
        VisitSettings {
            window_days_before: 15,
            reminder_days_before: 5,
            no_contact_days: 30,
            activity_budget_cny: 0,
        }
    }
}

impl VisitSettings {
    /// Checks the settings as read from `visits.yaml`; the message names the setting and what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.window_days_before > MAX_WINDOW_DAYS {
            return Err(format!(
                "window_days_before: {} is more than {MAX_WINDOW_DAYS}",
                self.window_days_before
            ));
        }
        if self.reminder_days_before > self.window_days_before {
            return Err(format!(
                "reminder_days_before: {} is longer than the window ({} days)",
                self.reminder_days_before, self.window_days_before
            ));
        }
        if !(1..=366).contains(&self.no_contact_days) {
            return Err(format!(
                "no_contact_days: {} is not within 1–366",
                self.no_contact_days
            ));
        }
        if !(0..=crate::family::MONEY_MAX_CNY).contains(&self.activity_budget_cny) {
            return Err(format!(
                "activity_budget_cny: {} is out of range",
                self.activity_budget_cny
            ));
        }
        Ok(())
    }

    /// The visiting window of a festival on `festival_on`.
    pub fn window(&self, festival_on: NaiveDate) -> Result<VisitWindow, String> {
        visit_window(festival_on, self.window_days_before).map_err(|e| e.reason_zh())
    }

    /// The day unvisited families are flagged: `reminder_days_before` days before the festival.
    pub fn reminder_on(&self, festival_on: NaiveDate) -> Option<NaiveDate> {
        festival_on.checked_sub_days(Days::new(u64::from(self.reminder_days_before)))
    }

    /// Whether a family last contacted on `last` (never: `None`, counted from `registered_on`) is
    /// overdue for contact on `today`.
    pub fn contact_overdue(
        &self,
        last: Option<NaiveDate>,
        registered_on: NaiveDate,
        today: NaiveDate,
    ) -> bool {
        let since = last.unwrap_or(registered_on);
        (today - since).num_days() >= i64::from(self.no_contact_days)
    }
}

/// Whether a family with `contacts` registered contact persons is flagged as having too few (三（一）: 3–5).
pub fn too_few_contacts(contacts: usize) -> bool {
    contacts < CONTACTS_MIN
}

nuanxin_text_enum::text_enum! {
    /// How a holiday visit was made.
    pub enum VisitHow {
        AtHome = "at_home" / "入户走访",
        ByPhone = "by_phone" / "电话慰问",
        /// The family was out: the visit is recorded, the money not handed over.
        FamilyAway = "family_away" / "家中无人",
    }
}

nuanxin_text_enum::text_enum! {
    /// How a contact was made.
    pub enum ContactHow {
        Visit = "visit" / "上门走访",
        Call = "call" / "电话联系",
    }
}

nuanxin_text_enum::text_enum! {
    /// The categories of problems a contact raises (三（一）: 生活、就医、养老、临终关怀 …).
    #[derive(PartialOrd, Ord)]
    pub enum ProblemCategory {
        Living = "living" / "生活",
        Medical = "medical" / "就医",
        ElderlyCare = "elderly_care" / "养老",
        EndOfLife = "end_of_life" / "临终关怀",
        Psychological = "psychological" / "心理",
        Other = "other" / "其他",
    }
}

impl ProblemCategory {
    /// The category of a code or of its Chinese word (a form or a spreadsheet may send either).
    pub fn from_code_or_word(s: &str) -> Option<ProblemCategory> {
        let s = s.trim();
        ProblemCategory::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s || c.label() == s)
    }
}

/// A problem as sent: a category alone (`"medical"` or `"就医"`) or with what it is about.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ProblemInput {
    Category(String),
    Described {
        category: String,
        #[serde(default)]
        detail: Option<String>,
    },
}

/// A checked problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub category: ProblemCategory,
    pub detail: Option<String>,
}

/// The most problems one contact record carries (one per category, and a few described twice).
pub const PROBLEMS_MAX: usize = 12;
/// The longest summary or need, in characters.
pub const TEXT_MAX: usize = 2000;

/// A contact as submitted: `{"on", "how", "summary", "problems": [..]}`; `contact_person` names the
/// registered contact person when someone else (the community worker) records it for them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub on: NaiveDate,
    pub how: ContactHow,
    pub summary: String,
    #[serde(default)]
    pub problems: Vec<ProblemInput>,
    #[serde(default)]
    pub contact_person: Option<String>,
}

/// A checked contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub on: NaiveDate,
    pub how: ContactHow,
    pub summary: String,
    pub problems: Vec<Problem>,
    pub contact_person: Option<String>,
}

fn optional_text(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    check_text(errors, field, value, TEXT_MAX);
    Some(value.to_owned())
}

impl ContactInput {
    /// Checks every field against `today`; all problems are reported.
    pub fn validate(self, today: NaiveDate) -> Result<Contact, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_date(&mut errors, "on", Some(self.on), today);
        check_text(&mut errors, "summary", &self.summary, TEXT_MAX);
        if self.problems.len() > PROBLEMS_MAX {
            errors.push(
                "problems",
                "too_many",
                format!("一次联系最多记录{PROBLEMS_MAX}个问题"),
            );
        }
        let mut problems = Vec::with_capacity(self.problems.len());
        for (i, p) in self.problems.iter().enumerate() {
            let (code, detail) = match p {
                ProblemInput::Category(c) => (c.as_str(), None),
                ProblemInput::Described { category, detail } => {
                    (category.as_str(), detail.as_deref())
                }
            };
            let detail = optional_text(&mut errors, &format!("problems[{i}].detail"), detail);
            match ProblemCategory::from_code_or_word(code) {
                Some(category) => problems.push(Problem { category, detail }),
                None => errors.push(
                    format!("problems[{i}].category"),
                    "unknown_category",
                    "问题类别应为生活、就医、养老、临终关怀、心理或其他",
                ),
            }
        }
        let contact_person = optional_text(
            &mut errors,
            "contact_person",
            self.contact_person.as_deref(),
        );
        let summary = self.summary.trim().to_owned();
        errors.into_result(Contact {
            on: self.on,
            how: self.how,
            summary,
            problems,
            contact_person,
        })
    }
}

/// A holiday visit as submitted: `{"family_id", "visited_on", "how", "money_cny", "needs"?}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    pub family_id: FamilyId,
    pub visited_on: NaiveDate,
    pub how: VisitHow,
    #[serde(default)]
    pub money_cny: i64,
    /// What the family needs: opens a follow-up for the street.
    #[serde(default)]
    pub needs: Option<String>,
}

/// A checked visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub family_id: FamilyId,
    pub visited_on: NaiveDate,
    pub how: VisitHow,
    pub money_cny: i64,
    pub needs: Option<String>,
}

/// A campaign as a visit is checked against.
#[derive(Debug, Clone, Copy)]
pub struct CampaignTerms {
    pub window: VisitWindow,
    /// The condolence money the policy gives a family (`None`: a service without money).
    pub amount_cny: Option<i64>,
}

impl VisitInput {
    /// Checks the visit against the campaign and `today`: a date from the window's first day to today,
    /// money only handed over in person and only the policy's amount.
    pub fn validate(
        self,
        terms: &CampaignTerms,
        today: NaiveDate,
    ) -> Result<Visit, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_date(&mut errors, "visited_on", Some(self.visited_on), today);
        if self.visited_on < terms.window.first() {
            errors.push(
                "visited_on",
                "before_window",
                format!("走访期自{}开始，不能早于该日", terms.window.first()),
            );
        }
        check_money(&mut errors, "money_cny", self.money_cny, "慰问金");
        if self.money_cny > 0 {
            if self.how != VisitHow::AtHome {
                errors.push(
                    "money_cny",
                    "not_in_person",
                    "慰问金只能在入户走访时当面发放",
                );
            }
            match terms.amount_cny {
                Some(amount) if amount == self.money_cny => {}
                Some(amount) => {
                    errors.push("money_cny", "wrong_amount", format!("慰问金应为{amount}元"))
                }
                None => errors.push("money_cny", "not_allowed", "该项目没有慰问金"),
            }
        }
        let needs = optional_text(&mut errors, "needs", self.needs.as_deref());
        errors.into_result(Visit {
            family_id: self.family_id,
            visited_on: self.visited_on,
            how: self.how,
            money_cny: self.money_cny,
            needs,
        })
    }
}

/// Why money handed over at a visit cannot pay the family's ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandOverRefused {
    #[error("该户慰问金已发放")]
    AlreadyPaid,
    #[error("该户的慰问金账目已被驳回或已退出，不能发放")]
    NotPayable,
}

/// The ledger entry's next status when the money is handed over at a visit: a proposed, verified or
/// approved entry becomes paid (the visit is its payment reference) — the street that visits is the
/// policy's payer of holiday money, so the hand-over is the payment, made once.
pub fn hand_over(from: EntryStatus) -> Result<EntryStatus, HandOverRefused> {
    match from {
        EntryStatus::Proposed | EntryStatus::Verified | EntryStatus::Approved => {
            Ok(EntryStatus::Paid)
        }
        EntryStatus::Paid => Err(HandOverRefused::AlreadyPaid),
        EntryStatus::Rejected | EntryStatus::Exited => Err(HandOverRefused::NotPayable),
    }
}

/// Whether a visit on `visited_on` was on time: within the campaign's window.
pub fn on_time(window: &VisitWindow, visited_on: NaiveDate) -> bool {
    window.contains(visited_on)
}

nuanxin_text_enum::text_enum! {
    /// The homes whose activities the district funds: 暖心家园, 怡心家园 (Zhangdian 三（七）) and 新希望家园
    /// (Xicheng 三（二）2).
    pub enum Home {
        WarmHeart = "warm_heart" / "暖心家园",
        Yixin = "yixin" / "怡心家园",
        NewHope = "new_hope" / "新希望家园",
    }
}

/// The most participants one activity lists.
pub const PARTICIPANTS_MAX: usize = 500;

/// An activity as submitted. `street` is the code of the street that holds it (a street's own staff
/// may leave it out); participants are families of the register.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    pub home: Home,
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub project_id: Option<Uuid>,
    pub held_on: NaiveDate,
    pub place: String,
    pub kind: String,
    pub spending_cny: i64,
    #[serde(default)]
    pub participants: Vec<FamilyId>,
}

impl ActivityInput {
    /// Checks the fields against `today`; participants come back sorted and without repeats.
    pub fn validate(mut self, today: NaiveDate) -> Result<ActivityInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        check_date(&mut errors, "held_on", Some(self.held_on), today);
        check_text(&mut errors, "place", &self.place, 200);
        check_text(&mut errors, "kind", &self.kind, 200);
        check_money(&mut errors, "spending_cny", self.spending_cny, "活动经费");
        self.participants.sort();
        self.participants.dedup();
        if self.participants.len() > PARTICIPANTS_MAX {
            errors.push(
                "participants",
                "too_many",
                format!("一次活动最多登记{PARTICIPANTS_MAX}户"),
            );
        }
        self.place = self.place.trim().to_owned();
        self.kind = self.kind.trim().to_owned();
        errors.into_result(self)
    }
}

/// Whether spending `new` yuan on top of `spent` stays within the yearly `budget` (0: no budget set,
/// nothing is refused).
pub fn within_budget(budget: i64, spent: i64, new: i64) -> bool {
    budget == 0 || spent.saturating_add(new) <= budget
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn terms() -> CampaignTerms {
        CampaignTerms {
            window: visit_window(d(2025, 10, 6), 15).unwrap(),
            amount_cny: Some(300),
        }
    }

    fn visit(how: VisitHow, money: i64, on: NaiveDate) -> VisitInput {
        VisitInput {
            family_id: FamilyId::from_uuid(uuid::Uuid::nil()),
            visited_on: on,
            how,
            money_cny: money,
            needs: None,
        }
    }

    #[test]
    fn holiday_programs_are_evaluated_on_their_festival() {
        assert_eq!(
            holiday_evaluation_date("holiday_visit_chongyang", "2025"),
            Some(Ok(d(2025, 10, 29)))
        );
        assert_eq!(
            holiday_evaluation_date("holiday_visit_spring_festival", "2026"),
            Some(Ok(d(2026, 2, 17)))
        );
        assert_eq!(holiday_evaluation_date("special_assistance", "2026"), None);
        assert!(matches!(
            holiday_evaluation_date("holiday_visit_mid_autumn", "2026-03"),
            Some(Err(_))
        ));
        assert!(matches!(
            holiday_evaluation_date("holiday_visit_mid_autumn", "2101"),
            Some(Err(_))
        ));
        assert_eq!(festival_of_program("holiday_visit_new_year"), None);
    }

    #[test]
    fn money_is_handed_over_only_in_person_and_only_the_policys_amount() {
        let today = d(2025, 10, 6);
        assert!(visit(VisitHow::AtHome, 300, d(2025, 9, 30))
            .validate(&terms(), today)
            .is_ok());
        let by_phone = visit(VisitHow::ByPhone, 300, d(2025, 9, 30))
            .validate(&terms(), today)
            .unwrap_err();
        assert_eq!(by_phone.first().unwrap().field, "money_cny");
        assert_eq!(by_phone.first().unwrap().code, "not_in_person");
        let wrong = visit(VisitHow::AtHome, 200, d(2025, 9, 30))
            .validate(&terms(), today)
            .unwrap_err();
        assert_eq!(wrong.first().unwrap().code, "wrong_amount");
        assert!(visit(VisitHow::FamilyAway, 0, d(2025, 9, 30))
            .validate(&terms(), today)
            .is_ok());
        let negative = visit(VisitHow::AtHome, -300, d(2025, 9, 30))
            .validate(&terms(), today)
            .unwrap_err();
        assert_eq!(negative.first().unwrap().code, "negative");
    }

    #[test]
    fn a_visit_lies_between_the_windows_start_and_today() {
        let early = visit(VisitHow::AtHome, 0, d(2025, 9, 20))
            .validate(&terms(), d(2025, 10, 6))
            .unwrap_err();
        assert_eq!(early.first().unwrap().code, "before_window");
        let future = visit(VisitHow::AtHome, 0, d(2025, 10, 2))
            .validate(&terms(), d(2025, 10, 1))
            .unwrap_err();
        assert_eq!(future.first().unwrap().code, "in_future");
        // A late visit is recorded, and not on time.
        let late = visit(VisitHow::AtHome, 0, d(2025, 10, 8))
            .validate(&terms(), d(2025, 10, 9))
            .unwrap();
        assert!(!on_time(&terms().window, late.visited_on));
        assert!(on_time(&terms().window, d(2025, 9, 21)));
        assert!(!on_time(&terms().window, d(2025, 9, 20)));
    }

    #[test]
    fn money_pays_an_open_entry_once() {
        for from in [
            EntryStatus::Proposed,
            EntryStatus::Verified,
            EntryStatus::Approved,
        ] {
            assert_eq!(hand_over(from), Ok(EntryStatus::Paid));
        }
        assert_eq!(
            hand_over(EntryStatus::Paid),
            Err(HandOverRefused::AlreadyPaid)
        );
        assert_eq!(
            hand_over(EntryStatus::Rejected),
            Err(HandOverRefused::NotPayable)
        );
        assert_eq!(
            hand_over(EntryStatus::Exited),
            Err(HandOverRefused::NotPayable)
        );
    }

    #[test]
    fn contact_problems_take_codes_or_the_documents_words() {
        let input: ContactInput = serde_json::from_value(serde_json::json!({
            "on": "2026-11-30", "how": "call", "summary": "电话问候，身体尚可",
            "problems": ["就医", {"category": "elderly_care", "detail": "希望了解居家养老服务"}]
        }))
        .unwrap();
        let contact = input.validate(d(2026, 12, 1)).unwrap();
        assert_eq!(
            contact.problems,
            vec![
                Problem {
                    category: ProblemCategory::Medical,
                    detail: None
                },
                Problem {
                    category: ProblemCategory::ElderlyCare,
                    detail: Some("希望了解居家养老服务".into())
                },
            ]
        );
        let bad: ContactInput = serde_json::from_value(serde_json::json!({
            "on": "2026-12-02", "how": "visit", "summary": " ", "problems": ["天气"]
        }))
        .unwrap();
        let errors = bad.validate(d(2026, 12, 1)).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["on", "summary", "problems[0].category"]);
    }

    fn settings(window: u32, reminder: u32, days: u32) -> Result<VisitSettings, String> {
        let s: VisitSettings = serde_json::from_value(serde_json::json!({
            "window_days_before": window, "reminder_days_before": reminder,
            "no_contact_days": days, "activity_budget_cny": 50000
        }))
        .map_err(|e| e.to_string())?;
        s.check().map(|()| s)
    }

    #[test]
    fn settings_are_checked_on_load() {
        let ok = settings(15, 5, 30).unwrap();
        assert_eq!(ok.activity_budget_cny, 50_000);
        assert_eq!(ok.reminder_on(d(2026, 9, 25)), Some(d(2026, 9, 20)));
        assert!(settings(91, 5, 30)
            .unwrap_err()
            .contains("window_days_before"));
        assert!(settings(3, 5, 30)
            .unwrap_err()
            .contains("reminder_days_before"));
        assert!(settings(15, 5, 0).unwrap_err().contains("no_contact_days"));
        assert!(serde_json::from_str::<VisitSettings>(r#"{"window_days": 15}"#).is_err());
    }

    #[test]
    fn activities_are_checked_and_kept_within_the_budget() {
        let input: ActivityInput = serde_json::from_value(serde_json::json!({
            "home": "warm_heart", "held_on": "2026-11-20", "place": " 马尚街道暖心家园 ",
            "kind": "重阳节联谊", "spending_cny": 1200,
            "participants": [Uuid::nil(), Uuid::nil()]
        }))
        .unwrap();
        let ok = input.clone().validate(d(2026, 12, 1)).unwrap();
        assert_eq!(
            (ok.place.as_str(), ok.participants.len()),
            ("马尚街道暖心家园", 1)
        );
        let mut bad = input;
        bad.spending_cny = -1;
        bad.held_on = d(2026, 12, 2);
        let errors = bad.validate(d(2026, 12, 1)).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["held_on", "spending_cny"]);
        assert!(within_budget(50_000, 49_000, 1_000));
        assert!(!within_budget(50_000, 49_000, 1_001));
        assert!(within_budget(0, 1_000_000, 1));
    }

    #[test]
    fn contact_is_overdue_after_the_districts_days() {
        let s = VisitSettings::default();
        let today = d(2026, 12, 1);
        assert!(!s.contact_overdue(Some(d(2026, 11, 2)), d(2020, 1, 1), today));
        assert!(s.contact_overdue(Some(d(2026, 11, 1)), d(2020, 1, 1), today));
        assert!(s.contact_overdue(None, d(2026, 10, 1), today));
        assert!(!s.contact_overdue(None, d(2026, 11, 20), today));
        assert!(too_few_contacts(2));
        assert!(!too_few_contacts(3));
    }
}
