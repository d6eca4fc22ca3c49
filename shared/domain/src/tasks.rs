//! Service tasks and volunteer matching without a database: the life of an offer as a pure transition
//! function ([`OfferAction::apply`], the shape of `benefit::EntryAction::apply`), the district's
//! `matching.yaml` ([`config`]), and the cost model that turns open tasks and volunteers into the
//! matching engine's problem, with reasons in Chinese ([`cost`]).
//!
//! An offer is one helper slot of a task: offered to an organization (or an independent volunteer),
//! accepted or declined before its deadline, assigned to a volunteer, checked in, checked out. Declined,
//! expired and no-show offers free their slot, and the task is matched again without that volunteer.

pub mod config;
pub mod cost;
pub mod input;
pub mod proposals;

use chrono::{DateTime, Duration, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

nuanxin_text_enum::text_enum! {
    /// Where an offer stands.
    pub enum OfferStatus {
        /// Waiting for the organization's (or independent volunteer's) answer until the deadline.
        Offered = "offered" / "待答复",
        /// Accepted by the organization; no volunteer named yet.
        Accepted = "accepted" / "已接受",
        /// Refused, with a reason.
        Declined = "declined" / "已拒绝",
        /// Not answered before the deadline: a decline.
        Expired = "expired" / "逾期未答复",
        /// A volunteer is named and told.
        Assigned = "assigned" / "已派志愿者",
        /// The volunteer is at the household (or on the phone).
        CheckedIn = "checked_in" / "服务中",
        /// Checked out with a report and the hours.
        Done = "done" / "已完成",
        /// Not checked in by the window's end plus the grace period.
        NoShow = "no_show" / "未到场",
        /// The street cancelled the task before the volunteer arrived.
        Withdrawn = "withdrawn" / "任务已取消",
    }
}

impl OfferStatus {
    /// Whether the offer holds one of its task's helper slots (the others have given it back).
    pub fn holds_slot(self) -> bool {
        !matches!(
            self,
            OfferStatus::Declined
                | OfferStatus::Expired
                | OfferStatus::NoShow
                | OfferStatus::Withdrawn
        )
    }

    /// Whether nothing more can happen to the offer.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OfferStatus::Declined
                | OfferStatus::Expired
                | OfferStatus::NoShow
                | OfferStatus::Done
                | OfferStatus::Withdrawn
        )
    }
}

nuanxin_text_enum::text_enum! {
    /// What is done to an offer.
    pub enum OfferAction {
        /// The organization (or independent volunteer) takes the task, before the deadline.
        Accept = "accept" / "接受",
        /// It refuses the task (a reason is required by the caller's input).
        Decline = "decline" / "拒绝",
        /// The deadline passed without an answer (the deadline job).
        Expire = "expire" / "逾期",
        /// A volunteer is named (again, until they check in: a reassignment).
        Assign = "assign" / "派志愿者",
        /// The volunteer arrives.
        CheckIn = "check_in" / "签到",
        /// The volunteer leaves with a report.
        CheckOut = "check_out" / "签退",
        /// The window and its grace period ended without a check-in (the no-show job).
        MarkNoShow = "no_show" / "记为未到场",
        /// The task is cancelled: an offer not yet under way ends (one checked in is not withdrawn).
        Withdraw = "withdraw" / "取消",
    }
}

/// The times an offer's transitions are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferTimes {
    /// The answer is due by then.
    pub deadline: DateTime<Utc>,
    /// The task's window.
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// After the window's end, how long a check-in is still awaited before a no-show.
    pub grace: Duration,
}

/// How early before its window a volunteer may check in (arriving a little early is normal).
pub const CHECK_IN_EARLY: Duration = Duration::minutes(60);

/// Why an action does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The action does not apply in this status.
    #[error("当前状态（{}）不能{}", .from.label(), .action.label())]
    NotNow {
        from: OfferStatus,
        action: OfferAction,
    },
    /// An answer after the deadline: the offer has passed to someone else.
    #[error("答复期限已过，该任务已转给其他人")]
    Late,
    /// A check-in before the window opens, or a no-show before the grace period ends.
    #[error("尚未到时间")]
    TooEarly,
    /// A check-in after the window and its grace period.
    #[error("服务时段已过，不能再签到")]
    TooLate,
}

impl OfferAction {
    /// The status an offer moves to from `from` when this action is done at `now`.
    pub fn apply(
        self,
        from: OfferStatus,
        times: &OfferTimes,
        now: DateTime<Utc>,
    ) -> Result<OfferStatus, Refusal> {
        use OfferStatus as S;
        let not_now = Refusal::NotNow { from, action: self };
        let window_over = times.ends_at + times.grace;
        match (self, from) {
            (OfferAction::Accept, S::Offered) if now > times.deadline => Err(Refusal::Late),
            (OfferAction::Accept, S::Offered) => Ok(S::Accepted),
            (OfferAction::Accept, S::Expired) => Err(Refusal::Late),
            (OfferAction::Decline, S::Offered) if now > times.deadline => Err(Refusal::Late),
            (OfferAction::Decline, S::Offered | S::Accepted) => Ok(S::Declined),
            (OfferAction::Decline, S::Expired) => Err(Refusal::Late),
            (OfferAction::Expire, S::Offered) if now > times.deadline => Ok(S::Expired),
            (OfferAction::Expire, S::Offered) => Err(Refusal::TooEarly),
            (OfferAction::Assign, S::Accepted | S::Assigned) if now > window_over => {
                Err(Refusal::TooLate)
            }
            (OfferAction::Assign, S::Accepted | S::Assigned) => Ok(S::Assigned),
            (OfferAction::CheckIn, S::Assigned) if now < times.starts_at - CHECK_IN_EARLY => {
                Err(Refusal::TooEarly)
            }
            (OfferAction::CheckIn, S::Assigned) if now > window_over => Err(Refusal::TooLate),
            (OfferAction::CheckIn, S::Assigned) => Ok(S::CheckedIn),
            (OfferAction::CheckOut, S::CheckedIn) => Ok(S::Done),
            (OfferAction::MarkNoShow, S::Accepted | S::Assigned) if now > window_over => {
                Ok(S::NoShow)
            }
            (OfferAction::MarkNoShow, S::Accepted | S::Assigned) => Err(Refusal::TooEarly),
            (OfferAction::Withdraw, S::Offered | S::Accepted | S::Assigned) => Ok(S::Withdrawn),
            _ => Err(not_now),
        }
    }
}

nuanxin_text_enum::text_enum! {
    /// How urgent a task is: an urgent task costs more to leave unfilled.
    pub enum Urgency {
        Normal = "normal" / "一般",
        Urgent = "urgent" / "紧急",
    }
}

nuanxin_text_enum::text_enum! {
    /// Where a task stands as a whole.
    pub enum TaskStatus {
        /// Being matched or carried out.
        Open = "open" / "进行中",
        /// Every helper it needed has checked out.
        Done = "done" / "已完成",
        /// Its window passed without every helper it needed.
        Lapsed = "lapsed" / "未能完成",
        /// Called off by the street.
        Cancelled = "cancelled" / "已取消",
    }
}

/// One weekly slot of a volunteer's availability, in the district's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    #[serde(with = "weekday_code")]
    pub day: Weekday,
    #[serde(with = "hh_mm")]
    pub from: NaiveTime,
    #[serde(with = "hh_mm")]
    pub to: NaiveTime,
}

impl Slot {
    /// Whether the slot covers the local window from `start` to `end` on `day`.
    pub fn covers(&self, day: Weekday, start: NaiveTime, end: NaiveTime) -> bool {
        self.day == day && self.from <= start && end <= self.to
    }
}

/// The three-letter code of a weekday (`mon` … `sun`), as availability and rules write it.
pub fn weekday_code(day: Weekday) -> &'static str {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day.num_days_from_monday() as usize]
}

/// The weekday of a code `mon` … `sun`.
pub fn parse_weekday(code: &str) -> Option<Weekday> {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .find(|d| weekday_code(*d) == code)
}

/// The Chinese name of a weekday (周一 … 周日).
pub fn weekday_label(day: Weekday) -> &'static str {
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][day.num_days_from_monday() as usize]
}

mod weekday_code {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(day: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::weekday_code(*day))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let code = String::deserialize(d)?;
        super::parse_weekday(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown weekday `{code}`")))
    }
}

mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a time HH:MM")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0)
            .single()
            .unwrap_or_default()
    }

    fn times() -> OfferTimes {
        OfferTimes {
            deadline: at(8, 0),
            starts_at: at(10, 0),
            ends_at: at(11, 0),
            grace: Duration::minutes(30),
        }
    }

    #[test]
    fn an_offer_goes_from_offer_to_done() {
        use OfferAction::*;
        use OfferStatus::*;
        let t = times();
        assert_eq!(Accept.apply(Offered, &t, at(7, 0)), Ok(Accepted));
        assert_eq!(Assign.apply(Accepted, &t, at(7, 5)), Ok(Assigned));
        assert_eq!(Assign.apply(Assigned, &t, at(7, 6)), Ok(Assigned));
        assert_eq!(CheckIn.apply(Assigned, &t, at(9, 30)), Ok(CheckedIn));
        assert_eq!(CheckOut.apply(CheckedIn, &t, at(11, 5)), Ok(Done));
    }

    #[test]
    fn a_late_answer_is_refused_and_an_unanswered_offer_expires() {
        use OfferAction::*;
        use OfferStatus::*;
        let t = times();
        assert_eq!(Accept.apply(Offered, &t, at(8, 1)), Err(Refusal::Late));
        assert_eq!(Decline.apply(Offered, &t, at(8, 1)), Err(Refusal::Late));
        assert_eq!(Accept.apply(Expired, &t, at(7, 0)), Err(Refusal::Late));
        assert_eq!(Expire.apply(Offered, &t, at(7, 59)), Err(Refusal::TooEarly));
        assert_eq!(Expire.apply(Offered, &t, at(8, 1)), Ok(Expired));
        assert_eq!(Decline.apply(Accepted, &t, at(9, 0)), Ok(Declined));
    }

    #[test]
    fn a_no_show_comes_only_after_the_grace_period() {
        use OfferAction::*;
        use OfferStatus::*;
        let t = times();
        assert_eq!(
            MarkNoShow.apply(Assigned, &t, at(11, 29)),
            Err(Refusal::TooEarly)
        );
        assert_eq!(MarkNoShow.apply(Assigned, &t, at(11, 31)), Ok(NoShow));
        assert_eq!(MarkNoShow.apply(Accepted, &t, at(11, 31)), Ok(NoShow));
        assert_eq!(
            CheckIn.apply(Assigned, &t, at(11, 31)),
            Err(Refusal::TooLate)
        );
        assert_eq!(
            CheckIn.apply(Assigned, &t, at(8, 59)),
            Err(Refusal::TooEarly)
        );
        assert!(matches!(
            MarkNoShow.apply(CheckedIn, &t, at(12, 0)),
            Err(Refusal::NotNow { .. })
        ));
    }

    #[test]
    fn final_statuses_accept_no_action_and_free_slots_are_exactly_the_ended_ones() {
        let t = times();
        let actions = [
            OfferAction::Accept,
            OfferAction::Decline,
            OfferAction::Expire,
            OfferAction::Assign,
            OfferAction::CheckIn,
            OfferAction::CheckOut,
            OfferAction::MarkNoShow,
            OfferAction::Withdraw,
        ];
        for from in OfferStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for action in actions {
                for now in [at(0, 0), at(9, 30), at(23, 0)] {
                    assert!(action.apply(from, &t, now).is_err(), "{action:?} {from:?}");
                }
            }
        }
        // Every transition either keeps the slot or gives it back for good.
        for from in OfferStatus::ALL {
            for action in actions {
                for now in [at(0, 0), at(9, 30), at(23, 0)] {
                    if let Ok(to) = action.apply(from, &t, now) {
                        assert!(from.holds_slot(), "{from:?} cannot move");
                        assert_eq!(
                            to.holds_slot(),
                            !matches!(
                                to,
                                OfferStatus::Declined
                                    | OfferStatus::Expired
                                    | OfferStatus::NoShow
                                    | OfferStatus::Withdrawn
                            )
                        );
                    }
                }
            }
        }
        for s in OfferStatus::ALL {
            assert_eq!(OfferStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn a_cancelled_task_withdraws_offers_not_yet_under_way_at_any_time() {
        use OfferStatus::*;
        let t = times();
        for now in [at(0, 0), at(9, 30), at(23, 0)] {
            for from in [Offered, Accepted, Assigned] {
                assert_eq!(OfferAction::Withdraw.apply(from, &t, now), Ok(Withdrawn));
            }
            // A volunteer already at the household finishes; ended offers stay as they ended.
            for from in [CheckedIn, Done, Declined, Expired, NoShow, Withdrawn] {
                assert!(
                    OfferAction::Withdraw.apply(from, &t, now).is_err(),
                    "{from:?}"
                );
            }
            // A withdrawn offer cannot be accepted afterwards.
            assert!(OfferAction::Accept.apply(Withdrawn, &t, now).is_err());
        }
    }

    #[test]
    fn a_slot_covers_a_window_inside_it_on_its_day() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        let slot = Slot {
            day: Weekday::Thu,
            from: t(9, 0),
            to: t(12, 0),
        };
        assert!(slot.covers(Weekday::Thu, t(9, 0), t(12, 0)));
        assert!(!slot.covers(Weekday::Thu, t(8, 59), t(10, 0)));
        assert!(!slot.covers(Weekday::Fri, t(9, 0), t(10, 0)));
        assert_eq!(parse_weekday("sun"), Some(Weekday::Sun));
        assert_eq!(parse_weekday("xyz"), None);
    }
}
