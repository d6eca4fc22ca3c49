//! Benefit administration rules that need no database: cycle period keys and the life of a ledger entry
//! (proposed → verified / rejected → approved → paid; exited when a beneficiary stops qualifying).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How often a program's entitlement arises (mirrors the policy's `period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Once,
    Year,
    Month,
    Event,
}

/// A cycle's period: its key and the days it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CyclePeriod {
    pub key: String,
    /// First and last day; `None` for a `once` program, whose single cycle has no dates.
    pub days: Option<(NaiveDate, NaiveDate)>,
}

/// The period key a program's cycle must have: `YYYY` for yearly programs, `YYYY-MM` for monthly
/// ones, the event's date `YYYY-MM-DD` for event programs and `once` for one-off benefits.
pub fn parse_period(kind: PeriodKind, key: &str) -> Result<CyclePeriod, String> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let days = match kind {
        PeriodKind::Once => {
            if key != "once" {
                return Err(format!("一次性项目的期间应为“once”，而不是“{key}”"));
            }
            None
        }
        PeriodKind::Year => {
            let year = digits(key, 4)
                .then(|| key.parse::<i32>().ok())
                .flatten()
                .ok_or_else(|| {
                    format!("按年发放的项目期间应为四位年份（如2026），而不是“{key}”")
                })?;
            let first = NaiveDate::from_ymd_opt(year, 1, 1);
            let last = NaiveDate::from_ymd_opt(year, 12, 31);
            Some(first.zip(last).ok_or_else(|| format!("年份“{key}”无效"))?)
        }
        PeriodKind::Month => {
            let parsed = key
                .split_once('-')
                .filter(|(y, m)| digits(y, 4) && digits(m, 2))
                .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
                .and_then(|(y, m)| NaiveDate::from_ymd_opt(y, m, 1));
            let first = parsed.ok_or_else(|| {
                format!("按月发放的项目期间应为年-月（如2026-03），而不是“{key}”")
            })?;
            Some((first, last_day_of_month(first)))
        }
        PeriodKind::Event => {
            let day = (key.len() == 10)
                .then(|| NaiveDate::parse_from_str(key, "%Y-%m-%d").ok())
                .flatten()
                .ok_or_else(|| {
                    format!("按事件的项目期间应为事件日期（如2026-03-08），而不是“{key}”")
                })?;
            Some((day, day))
        }
    };
    Ok(CyclePeriod {
        key: key.to_owned(),
        days,
    })
}

fn last_day_of_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(first)
}

impl CyclePeriod {
    /// The date the register is evaluated on for this cycle: `requested` if given (it must lie in the
    /// period), else the first day of the period on which the policy is in force (`in_force` =
    /// from, until inclusive), else — for `once` — `today`.
    pub fn evaluation_date(
        &self,
        requested: Option<NaiveDate>,
        in_force: (NaiveDate, Option<NaiveDate>),
        today: NaiveDate,
    ) -> Result<NaiveDate, String> {
        let Some((first, last)) = self.days else {
            return Ok(requested.unwrap_or(today));
        };
        if let Some(date) = requested {
            if date < first || date > last {
                return Err(format!("评估日期{date}不在期间{}内", self.key));
            }
            return Ok(date);
        }
        let (from, until) = in_force;
        let start = first.max(from);
        let end = until.map_or(last, |u| last.min(u));
        if start <= end {
            Ok(start)
        } else {
            // Outside the policy altogether: evaluate on the first day; the caller reports the notice.
            Ok(first)
        }
    }
}

nuanxin_text_enum::text_enum! {
    /// Where a ledger entry stands.
    pub enum EntryStatus {
        Proposed = "proposed" / "待核实",
        Verified = "verified" / "已核实",
        Rejected = "rejected" / "已驳回",
        Approved = "approved" / "已审批",
        Paid = "paid" / "已发放",
        Exited = "exited" / "已退出",
    }
}

nuanxin_text_enum::text_enum! {
    /// What a user does to an entry.
    pub enum EntryAction {
        /// The street confirms the entry (核实), with a note.
        Verify = "verify" / "核实",
        /// The street (a proposed entry) or the approving bureau (a verified one) rejects it, with a reason.
        Reject = "reject" / "驳回",
        /// The responsible bureau approves a verified entry.
        Approve = "approve" / "审批",
        /// Finance marks an approved entry paid, with the payment reference.
        Pay = "pay" / "发放",
    }
}

impl EntryAction {
    /// The status the entry moves to from `from`, or `None` when the action does not apply there.
    pub fn apply(self, from: EntryStatus) -> Option<EntryStatus> {
        use EntryStatus::*;
        match (self, from) {
            (EntryAction::Verify, Proposed) => Some(Verified),
            (EntryAction::Reject, Proposed | Verified) => Some(Rejected),
            (EntryAction::Approve, Verified) => Some(Approved),
            (EntryAction::Pay, Approved) => Some(Paid),
            _ => None,
        }
    }
}

nuanxin_text_enum::text_enum! {
    /// Where a street's follow-up stands (an item the newly-eligible job or a visit opens).
    pub enum FollowUpStatus {
        Open = "open" / "待跟进",
        Done = "done" / "已办结",
    }
}

nuanxin_text_enum::text_enum! {
    /// Why a beneficiary of the previous cycle is not in this one.
    pub enum ExitCause {
        Rebirth = "rebirth" / "再生育",
        Adoption = "adoption" / "收养子女",
        Death = "death" / "死亡",
        MovedAway = "moved_away" / "户籍迁出",
        NoLongerEligible = "no_longer_eligible" / "不再符合条件",
        Other = "other" / "其他",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn period_keys_follow_the_programs_period() {
        assert_eq!(
            parse_period(PeriodKind::Year, "2026").map(|p| p.days),
            Ok(Some((d(2026, 1, 1), d(2026, 12, 31))))
        );
        assert_eq!(
            parse_period(PeriodKind::Month, "2024-02").map(|p| p.days),
            Ok(Some((d(2024, 2, 1), d(2024, 2, 29))))
        );
        assert_eq!(
            parse_period(PeriodKind::Month, "2026-12").map(|p| p.days),
            Ok(Some((d(2026, 12, 1), d(2026, 12, 31))))
        );
        assert_eq!(
            parse_period(PeriodKind::Event, "2026-03-08").map(|p| p.days),
            Ok(Some((d(2026, 3, 8), d(2026, 3, 8))))
        );
        assert_eq!(
            parse_period(PeriodKind::Once, "once").map(|p| p.days),
            Ok(None)
        );
        for (kind, bad) in [
            (PeriodKind::Year, "2026-03"),
            (PeriodKind::Year, "26"),
            (PeriodKind::Month, "2026"),
            (PeriodKind::Month, "2026-13"),
            (PeriodKind::Month, "2026-3"),
            (PeriodKind::Event, "2026-02-30"),
            (PeriodKind::Once, "2026"),
        ] {
            assert!(parse_period(kind, bad).is_err(), "{kind:?} {bad}");
        }
    }

    #[test]
    fn the_evaluation_date_is_the_first_day_in_force_unless_given() {
        let year = parse_period(PeriodKind::Year, "2013").unwrap_or_else(|e| panic!("{e}"));
        // Xicheng's document takes effect on 2013-09-10.
        assert_eq!(
            year.evaluation_date(None, (d(2013, 9, 10), None), d(2026, 1, 1)),
            Ok(d(2013, 9, 10))
        );
        assert_eq!(
            year.evaluation_date(Some(d(2013, 10, 1)), (d(2013, 9, 10), None), d(2026, 1, 1)),
            Ok(d(2013, 10, 1))
        );
        assert!(year
            .evaluation_date(Some(d(2014, 1, 1)), (d(2013, 9, 10), None), d(2026, 1, 1))
            .is_err());
        let once = parse_period(PeriodKind::Once, "once").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            once.evaluation_date(None, (d(2013, 9, 10), None), d(2026, 1, 1)),
            Ok(d(2026, 1, 1))
        );
    }

    #[test]
    fn entries_move_only_forward_through_the_steps() {
        use EntryAction::*;
        use EntryStatus::*;
        assert_eq!(Verify.apply(Proposed), Some(Verified));
        assert_eq!(Reject.apply(Proposed), Some(Rejected));
        assert_eq!(Reject.apply(Verified), Some(Rejected));
        assert_eq!(Approve.apply(Verified), Some(Approved));
        assert_eq!(Pay.apply(Approved), Some(Paid));
        for (action, from) in [
            (Approve, Proposed),
            (Pay, Verified),
            (Pay, Paid),
            (Verify, Verified),
            (Verify, Exited),
            (Reject, Paid),
            (Reject, Approved),
            (Approve, Rejected),
        ] {
            assert_eq!(action.apply(from), None, "{action:?} from {from:?}");
        }
    }
}
