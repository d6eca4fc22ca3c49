//! Neighbour pairings and daily check-ins (issue 11): the requests' types and their validation, and the
//! alert's small state machine. The ladder, the expected days and the sweep's decision are the pure
//! crate `nuanxin-checkins`; this module is what a request may ask of them.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use nuanxin_checkins::parse_weekday;
use nuanxin_ids::{FamilyId, HelperId};
use nuanxin_privacy::Phone;
use serde::{Deserialize, Serialize};

use crate::family::{Coordinates, ParentRole};
use crate::ValidationErrors;

nuanxin_text_enum::text_enum! {
    /// How a consent was given (当面, 电话, 书面).
    pub enum ConsentHow {
        InPerson = "in_person" / "当面同意",
        Phone = "phone" / "电话同意",
        Writing = "writing" / "书面同意",
    }
}

/// One side's consent as recorded: the date and the way it was given (who took it is the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub on: NaiveDate,
    pub how: ConsentHow,
}

nuanxin_text_enum::text_enum! {
    /// Which side of a pairing withdraws its consent.
    pub enum Side {
        Elder = "elder",
        Helper = "helper",
    }
}

nuanxin_text_enum::text_enum! {
    /// How a check-in was made.
    pub enum CheckInHow {
        Visit = "visit" / "上门探望",
        Phone = "phone" / "电话询问",
    }
}

nuanxin_text_enum::text_enum! {
    /// Why a street or community worker enrols a member who has no qualifying entitlement.
    pub enum EnrolReason {
        LivingAlone = "living_alone" / "独居",
        PartialSelfCare = "partial_self_care" / "半自理",
        Other = "other" / "其他原因",
    }
}

nuanxin_text_enum::text_enum! {
    /// Why check-ins pause.
    pub enum PauseReason {
        Hospital = "hospital" / "住院",
        Relatives = "relatives" / "到亲属家居住",
        Other = "other" / "其他原因",
    }
}

/// The longest free text of these requests (a reason, a finding, what happened).
pub const TEXT_MAX: usize = 500;

/// `POST /api/v1/helpers`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelperInput {
    pub name: String,
    pub phone: String,
    /// The community's org-unit code.
    pub community: String,
    /// `[lat, lon]`.
    pub location: [f64; 2],
    /// The helper's volunteer account, if they have one (its username).
    pub username: Option<String>,
    /// At most this many elders (default [`DEFAULT_MAX_ELDERS`]).
    pub max_elders: Option<i16>,
}

/// Elders per helper unless the request says otherwise.
pub const DEFAULT_MAX_ELDERS: i16 = 3;
/// The most elders one helper may look in on every day.
pub const MAX_ELDERS: i16 = 10;

/// A helper's input, checked.
#[derive(Debug, Clone)]
pub struct Helper {
    pub name: String,
    pub phone: Phone,
    pub location: Coordinates,
    pub max_elders: i16,
}

impl HelperInput {
    /// Checks every field, naming each that is wrong.
    pub fn validate(&self) -> Result<Helper, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 50 {
            errors.push("name", "invalid", "姓名须为1至50个字");
        }
        let phone = match Phone::parse(&self.phone) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push("phone", "invalid_phone", e.reason_zh());
                None
            }
        };
        let [lat, lon] = self.location;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            errors.push(
                "location",
                "invalid_location",
                "位置须为[纬度, 经度]，纬度在-90至90之间，经度在-180至180之间",
            );
        }
        let max_elders = self.max_elders.unwrap_or(DEFAULT_MAX_ELDERS);
        if !(1..=MAX_ELDERS).contains(&max_elders) {
            errors.push(
                "max_elders",
                "out_of_range",
                format!("每位结对邻居最多结对1至{MAX_ELDERS}位老人"),
            );
        }
        match (phone, errors.is_empty()) {
            (Some(phone), true) => Ok(Helper {
                name: name.to_owned(),
                phone,
                location: Coordinates { lat, lon },
                max_elders,
            }),
            _ => Err(errors),
        }
    }
}

/// `POST /api/v1/pairings`. The consents are optional here so that a missing one is answered 422
/// naming it, not as unreadable JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairingInput {
    pub family_id: FamilyId,
    pub person: ParentRole,
    pub helper_id: HelperId,
    pub elder_consent: Option<Consent>,
    pub helper_consent: Option<Consent>,
    /// `HH:MM`, local time; the district's default when absent.
    pub check_in_by: Option<String>,
    /// Weekdays off (`mon` … `sun`); the district's default when absent.
    pub days_off: Option<Vec<String>>,
}

/// A pairing's terms, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingTerms {
    pub elder_consent: Consent,
    pub helper_consent: Consent,
    pub deadline: NaiveTime,
    pub days_off: Vec<Weekday>,
    /// The first day a check-in is expected: today when the pairing is made before today's deadline,
    /// else tomorrow (a pairing made at 11:00 has not missed its 10:00 check-in).
    pub starts_on: NaiveDate,
}

impl PairingInput {
    /// Checks the consents (both present, neither in the future), the deadline and the days off.
    /// `now` is the district's local time; the defaults are the district's.
    pub fn validate(
        &self,
        now: NaiveDateTime,
        default_deadline: NaiveTime,
        default_days_off: &[Weekday],
    ) -> Result<PairingTerms, ValidationErrors> {
        let today = now.date();
        let mut errors = ValidationErrors::default();
        let consent =
            |errors: &mut ValidationErrors, c: Option<Consent>, field: &str, who: &str| match c {
                None => {
                    errors.push(
                        field,
                        "consent_missing",
                        format!("缺少{who}的同意记录（日期与方式），结对须双方自愿"),
                    );
                    None
                }
                Some(c) if c.on > today => {
                    errors.push(
                        format!("{field}.on"),
                        "in_future",
                        format!("{who}同意的日期不能晚于今天"),
                    );
                    None
                }
                Some(c) => Some(c),
            };
        let elder = consent(&mut errors, self.elder_consent, "elder_consent", "老人本人");
        let helper = consent(
            &mut errors,
            self.helper_consent,
            "helper_consent",
            "结对邻居",
        );
        let deadline = match &self.check_in_by {
            None => Some(default_deadline),
            Some(text) => match NaiveTime::parse_from_str(text.trim(), "%H:%M") {
                Ok(t) => Some(t),
                Err(_) => {
                    errors.push(
                        "check_in_by",
                        "invalid_time",
                        "每日探询截止时间须为“时:分”，例如 10:00",
                    );
                    None
                }
            },
        };
        let days_off = match &self.days_off {
            None => default_days_off.to_vec(),
            Some(codes) => parse_days_off(codes, &mut errors),
        };
        match (elder, helper, deadline, errors.is_empty()) {
            (Some(elder_consent), Some(helper_consent), Some(deadline), true) => {
                let starts_on = if now.time() < deadline {
                    today
                } else {
                    today.succ_opt().unwrap_or(today)
                };
                Ok(PairingTerms {
                    elder_consent,
                    helper_consent,
                    deadline,
                    days_off,
                    starts_on,
                })
            }
            _ => Err(errors),
        }
    }
}

fn parse_days_off(codes: &[String], errors: &mut ValidationErrors) -> Vec<Weekday> {
    let mut days = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        match parse_weekday(code) {
            Some(d) if !days.contains(&d) => days.push(d),
            Some(_) => errors.push(format!("days_off[{i}]"), "duplicate", "同一天重复填写"),
            None => errors.push(
                format!("days_off[{i}]"),
                "invalid_weekday",
                "须为 mon、tue、wed、thu、fri、sat、sun 之一",
            ),
        }
    }
    if days.len() >= 7 {
        errors.push("days_off", "every_day_off", "不能每天都休息");
    }
    days
}

/// Weekdays as the pairing row's bit set (bit 0 = Monday).
pub fn days_off_bits(days: &[Weekday]) -> i16 {
    days.iter()
        .fold(0, |bits, d| bits | (1 << d.num_days_from_monday()))
}

/// The weekdays of a pairing row's bit set.
pub fn days_off_of(bits: i16) -> Vec<Weekday> {
    (0..7u8)
        .filter(|i| bits & (1 << i) != 0)
        .filter_map(|i| Weekday::try_from(i).ok())
        .collect()
}

/// A required free text: trimmed, 1 to [`TEXT_MAX`] characters, else the error naming `field`.
pub fn required_text(value: &str, field: &str, what: &str) -> Result<String, ValidationErrors> {
    let text = value.trim();
    let mut errors = ValidationErrors::default();
    if text.is_empty() {
        errors.push(field, "required", format!("请填写{what}"));
    } else if text.chars().count() > TEXT_MAX {
        errors.push(field, "too_long", format!("{what}不能超过{TEXT_MAX}个字"));
    }
    errors.into_result(text.to_owned())
}

nuanxin_text_enum::text_enum! {
    /// Where an alert stands.
    pub enum AlertStatus {
        /// Raised, waiting for its recipient.
        Open = "open" / "待处理",
        /// Someone looked and recorded what they found: the ladder stops.
        Acknowledged = "acknowledged" / "已确认",
        /// The elder answered well after the alert fell due; the all-clear went out.
        Cleared = "cleared" / "已解除",
    }
}

impl AlertStatus {
    /// The status of an alert row.
    pub fn of(acknowledged: bool, cleared: bool) -> AlertStatus {
        match (acknowledged, cleared) {
            (true, _) => AlertStatus::Acknowledged,
            (false, true) => AlertStatus::Cleared,
            (false, false) => AlertStatus::Open,
        }
    }
}

/// An acknowledgment the alert's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("该提醒已确认过")]
pub struct AlreadyAcknowledged;

impl AlertStatus {
    /// The status after an acknowledgment with a finding. An acknowledged alert is final (its finding
    /// is the record); a cleared one may still be acknowledged (someone went and looked all the same).
    pub fn acknowledge(self) -> Result<AlertStatus, AlreadyAcknowledged> {
        match self {
            AlertStatus::Open | AlertStatus::Cleared => Ok(AlertStatus::Acknowledged),
            AlertStatus::Acknowledged => Err(AlreadyAcknowledged),
        }
    }
}

/// Great-circle distance in whole metres (haversine; a neighbourhood is small enough for a sphere).
pub fn distance_m(a: Coordinates, b: Coordinates) -> i64 {
    const EARTH_M: f64 = 6_371_000.0;
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    // Rounded to the metre; the cast of a value below the earth's circumference cannot overflow.
    (2.0 * EARTH_M * h.sqrt().min(1.0).asin()).round() as i64
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(date: &str, time: &str) -> NaiveDateTime {
        d(date).and_time(NaiveTime::parse_from_str(time, "%H:%M").unwrap())
    }

    fn pairing(elder: Option<Consent>, helper: Option<Consent>) -> PairingInput {
        PairingInput {
            family_id: FamilyId::from_uuid(uuid::Uuid::nil()),
            person: ParentRole::Mother,
            helper_id: HelperId::from_uuid(uuid::Uuid::nil()),
            elder_consent: elder,
            helper_consent: helper,
            check_in_by: Some("09:30".into()),
            days_off: Some(vec!["sun".into()]),
        }
    }

    const TEN: NaiveTime = match NaiveTime::from_hms_opt(10, 0, 0) {
        Some(t) => t,
        None => panic!(),
    };

    #[test]
    fn a_pairing_needs_both_consents_and_names_the_missing_one() {
        let c = Consent {
            on: d("2026-11-30"),
            how: ConsentHow::InPerson,
        };
        let today = at("2026-12-01", "08:00");
        let e = pairing(None, Some(c))
            .validate(today, TEN, &[])
            .unwrap_err();
        assert_eq!(e.first().unwrap().field, "elder_consent");
        let e = pairing(Some(c), None)
            .validate(today, TEN, &[])
            .unwrap_err();
        assert_eq!(e.first().unwrap().field, "helper_consent");
        let e = pairing(None, None).validate(today, TEN, &[]).unwrap_err();
        assert_eq!(e.0.len(), 2);
        let terms = pairing(Some(c), Some(c)).validate(today, TEN, &[]).unwrap();
        assert_eq!(terms.deadline, NaiveTime::from_hms_opt(9, 30, 0).unwrap());
        assert_eq!(terms.days_off, vec![Weekday::Sun]);
        // Made at 08:00 before the 09:30 deadline: expected from today; after it, from tomorrow.
        assert_eq!(terms.starts_on, d("2026-12-01"));
        let late = pairing(Some(c), Some(c))
            .validate(at("2026-12-01", "09:30"), TEN, &[])
            .unwrap();
        assert_eq!(late.starts_on, d("2026-12-02"));
    }

    #[test]
    fn a_consent_dated_in_the_future_or_a_bad_deadline_is_refused() {
        let later = Consent {
            on: d("2026-12-05"),
            how: ConsentHow::Phone,
        };
        let now = Consent {
            on: d("2026-12-01"),
            how: ConsentHow::Writing,
        };
        let e = pairing(Some(now), Some(later))
            .validate(at("2026-12-01", "12:00"), TEN, &[])
            .unwrap_err();
        assert_eq!(e.first().unwrap().field, "helper_consent.on");
        let mut bad = pairing(Some(now), Some(now));
        bad.check_in_by = Some("25:00".into());
        bad.days_off = Some(vec!["sun".into(), "sun".into(), "someday".into()]);
        let e = bad
            .validate(at("2026-12-01", "12:00"), TEN, &[])
            .unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["check_in_by", "days_off[1]", "days_off[2]"]);
    }

    #[test]
    fn defaults_apply_when_the_request_leaves_them_out() {
        let c = Consent {
            on: d("2026-12-01"),
            how: ConsentHow::Writing,
        };
        let mut p = pairing(Some(c), Some(c));
        p.check_in_by = None;
        p.days_off = None;
        let terms = p
            .validate(at("2026-12-01", "12:00"), TEN, &[Weekday::Sat])
            .unwrap();
        assert_eq!((terms.deadline, terms.days_off), (TEN, vec![Weekday::Sat]));
    }

    #[test]
    fn days_off_round_trip_through_their_bits() {
        let days = vec![Weekday::Mon, Weekday::Sat, Weekday::Sun];
        assert_eq!(days_off_bits(&days), 1 | 32 | 64);
        assert_eq!(days_off_of(days_off_bits(&days)), days);
        assert!(days_off_of(0).is_empty());
    }

    #[test]
    fn helper_input_names_each_bad_field() {
        let input = HelperInput {
            name: " ".into(),
            phone: "12".into(),
            community: "xinjiekou-1".into(),
            location: [91.0, 116.0],
            username: None,
            max_elders: Some(0),
        };
        let e = input.validate().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "phone", "location", "max_elders"]);
        let ok = HelperInput {
            name: "邻居甲".into(),
            phone: "13800138000".into(),
            location: [39.94, 116.37],
            max_elders: None,
            ..input
        };
        assert_eq!(ok.validate().unwrap().max_elders, DEFAULT_MAX_ELDERS);
    }

    #[test]
    fn an_acknowledged_alert_is_final() {
        use AlertStatus::*;
        assert_eq!(Open.acknowledge(), Ok(Acknowledged));
        assert_eq!(Cleared.acknowledge(), Ok(Acknowledged));
        assert_eq!(Acknowledged.acknowledge(), Err(AlreadyAcknowledged));
        assert_eq!(AlertStatus::of(true, true), Acknowledged);
        assert_eq!(AlertStatus::of(false, true), Cleared);
        assert_eq!(AlertStatus::of(false, false), Open);
    }

    #[test]
    fn distance_is_metres_on_the_sphere() {
        let a = Coordinates {
            lat: 39.94,
            lon: 116.37,
        };
        assert_eq!(distance_m(a, a), 0);
        // 0.01° of latitude is about 1,112 m.
        let b = Coordinates {
            lat: 39.95,
            lon: 116.37,
        };
        assert!((1100..1125).contains(&distance_m(a, b)));
        assert_eq!(distance_m(a, b), distance_m(b, a));
    }
}
