//! The sweep's decision for one pairing and day: which ladder steps to raise now, which all-clears to send,
//! and the flag for a pairing silent for days.

use nuanxin_ids::PairingId;
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ladder::{RecipientKind, Step};
use crate::schedule::Schedule;

nuanxin_text_enum::text_enum! {
    /// What the helper found when checking in.
    pub enum Outcome {
        /// Reached and well: stops the ladder; after alerts, an all-clear.
        Well = "well" / "平安",
        /// Reached and needing help: escalates at once.
        NeedsHelp = "needs_help" / "需要帮助",
        /// Could not be reached: escalates at once.
        NotReached = "not_reached" / "未能联系上",
    }
}

/// A check-in logged for the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckIn {
    /// When it was logged.
    pub at: DateTime<Utc>,
    /// What the helper found.
    pub outcome: Outcome,
}

nuanxin_text_enum::text_enum! {
    /// Why a step is raised (`checkin_alerts.cause`), in the words its mail and the board use.
    pub enum Cause {
        /// No check-in by the step's time after the deadline.
        Missed = "missed" / "未按时探询",
        /// The helper logged "needs help".
        NeedsHelp = "needs_help" / "邻居报告需要帮助",
        /// The helper logged "could not be reached".
        NotReached = "not_reached" / "邻居报告未能联系上",
    }
}

/// The stable identity of one alert: the unique key of the service's table of raised alerts. Every node
/// computes the same key for the same step of the same pairing and day, so an insert that conflicts on it
/// is a step some node already raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AlertKey {
    /// The pairing.
    pub pairing: PairingId,
    /// The district-local date of the day.
    pub date: NaiveDate,
    /// The step's index in the day's ladder snapshot.
    pub step: usize,
    /// The step's recipient kind.
    pub recipient: RecipientKind,
}

impl fmt::Display for AlertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.pairing,
            self.date,
            self.step,
            self.recipient.code()
        )
    }
}

/// A step to raise now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raise {
    /// The alert's unique key.
    pub key: AlertKey,
    /// When the step fell due: its time after the deadline, or the escalating check-in's time if earlier.
    pub due_at: DateTime<Utc>,
    /// The step fell due more than [`LATE_AFTER`] before this sweep (the service was down): raised all the
    /// same, marked late.
    pub late: bool,
    /// Why.
    pub cause: Cause,
}

/// An all-clear to the recipient of a raised alert: the elder answered `well` after it fell due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllClear {
    /// The alert being cleared (the all-clear's own unique key).
    pub key: AlertKey,
    /// When the elder was found well.
    pub answered_at: DateTime<Utc>,
}

/// What the sweep is to do for one pairing and day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Steps to raise now, in ladder order.
    pub raise: Vec<Raise>,
    /// All-clears to send now, in ladder order.
    pub all_clear: Vec<AllClear>,
}

/// How long after its due time a step is still "on time" when raised: the sweep runs every minute, so a
/// step raised later than this was caught up after an outage.
pub const LATE_AFTER: Duration = Duration::minutes(5);

/// Everything the sweep knows of one pairing's expected day.
#[derive(Debug, Clone, Copy)]
pub struct Day<'a> {
    /// The pairing.
    pub pairing: PairingId,
    /// The district-local date.
    pub date: NaiveDate,
    /// The instant of the day's deadline ([`Schedule::deadline_on`]).
    pub deadline: DateTime<Utc>,
    /// The ladder snapshot: the steps stored with the day's first alert, or the district's current steps
    /// while none is raised yet. A later change of the district's ladder never reaches a running day.
    pub steps: &'a [Step],
    /// The check-ins logged for the day, in any order.
    pub check_ins: &'a [CheckIn],
    /// When the day's alerts were acknowledged, in any order.
    pub acknowledged: &'a [DateTime<Utc>],
    /// Indices of the steps already raised for the day (from the table of raised alerts).
    pub raised: &'a [usize],
    /// Indices of the raised steps whose all-clear was already sent.
    pub cleared: &'a [usize],
    /// When the pairing ended (consent withdrawn): nothing is raised from then on.
    pub ended_at: Option<DateTime<Utc>>,
}

impl Day<'_> {
    /// When step `index` falls due as far as events up to `now` tell, and why; `None` while it is not due
    /// (or stopped). Events after `now` are ignored, so the answer for a past `now` never changes as more
    /// is logged later.
    ///
    /// A step falls due at its time after the deadline unless a `well` check-in or an acknowledgment
    /// came at or before that time; the first `needs_help` / `not_reached` check-in makes every step not
    /// yet due fall due at once (also after a stop: the elder needs help now).
    pub fn due_at(&self, index: usize, now: DateTime<Utc>) -> Option<(DateTime<Utc>, Cause)> {
        let step = self.steps.get(index)?;
        let scheduled = self.deadline + Duration::minutes(i64::from(step.after_minutes));
        let stopped = self
            .check_ins
            .iter()
            .any(|c| c.outcome == Outcome::Well && c.at <= scheduled && c.at <= now)
            || self
                .acknowledged
                .iter()
                .any(|&a| a <= scheduled && a <= now);
        let escalation = self
            .check_ins
            .iter()
            .filter(|c| c.at <= now)
            .filter_map(|c| match c.outcome {
                Outcome::Well => None,
                Outcome::NeedsHelp => Some((c.at, Cause::NeedsHelp)),
                Outcome::NotReached => Some((c.at, Cause::NotReached)),
            })
            .min_by_key(|&(at, _)| at);
        let missed = (!stopped && scheduled <= now).then_some((scheduled, Cause::Missed));
        let due = match (missed, escalation) {
            (Some(m), Some(e)) => Some(if e.0 <= m.0 { e } else { m }),
            (m, e) => m.or(e),
        }?;
        match self.ended_at {
            Some(end) if due.0 >= end => None,
            _ => Some(due),
        }
    }

    /// The sweep's decision at `now`: every step due and not yet raised (late ones marked), and an
    /// all-clear for every raised step (including those raised now) that a `well` check-in answered after
    /// it fell due and that has none yet. After the pairing ended nothing is raised.
    pub fn decide(&self, now: DateTime<Utc>) -> Decision {
        let mut decision = Decision::default();
        let live = self.ended_at.is_none_or(|end| now < end);
        for (index, step) in self.steps.iter().enumerate() {
            let Some((due_at, cause)) = self.due_at(index, now) else {
                continue;
            };
            let key = AlertKey {
                pairing: self.pairing,
                date: self.date,
                step: index,
                recipient: step.recipient,
            };
            let already = self.raised.contains(&index);
            let raising = !already && live;
            if raising {
                decision.raise.push(Raise {
                    key,
                    due_at,
                    late: now - due_at > LATE_AFTER,
                    cause,
                });
            }
            if (already || raising) && !self.cleared.contains(&index) {
                let answered = self
                    .check_ins
                    .iter()
                    .filter(|c| c.outcome == Outcome::Well && c.at > due_at && c.at <= now)
                    .map(|c| c.at)
                    .min();
                if let Some(answered_at) = answered {
                    decision.all_clear.push(AllClear { key, answered_at });
                }
            }
        }
        decision
    }
}

/// The identity of one silent stretch: the first expected day without a check-in after the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SilenceKey {
    /// The pairing.
    pub pairing: PairingId,
    /// The first expected day of the stretch.
    pub since: NaiveDate,
}

/// The silence flag: `Some` when `silent_days` expected days (their deadlines passed by `now`) went by
/// without any check-in logged, counting from the day after the last check-in (or from the pairing's
/// start), and this stretch was not flagged yet (`flagged_since`: the `since` of the pairing's latest
/// flag). Acknowledged alerts do not count as check-ins: the flag is raised even if every day's alert
/// was acknowledged. Pauses and days off are not expected days and do not count.
pub fn silence(
    pairing: PairingId,
    schedule: &Schedule,
    last_check_in: Option<DateTime<Utc>>,
    silent_days: u32,
    flagged_since: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Option<SilenceKey> {
    let first = match last_check_in {
        Some(at) => schedule.local_date(at).succ_opt()?,
        None => schedule.starts,
    };
    let today = schedule.local_date(now);
    let mut since = None;
    let mut count = 0u32;
    for date in first.iter_days().take_while(|d| *d <= today) {
        if !schedule.expects(date) {
            continue;
        }
        if schedule.deadline_on(date) > now {
            break;
        }
        since.get_or_insert(date);
        count += 1;
        if count >= silent_days {
            let key = SilenceKey {
                pairing,
                since: since?,
            };
            return (flagged_since != Some(key.since)).then_some(key);
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ladder::RecipientKind::*;
    use chrono::{FixedOffset, NaiveTime, Weekday};

    fn t(hhmm: &str) -> DateTime<Utc> {
        // 2026-12-02, local +08:00.
        DateTime::parse_from_rfc3339(&format!("2026-12-02T{hhmm}:00+08:00"))
            .unwrap()
            .with_timezone(&Utc)
    }

    const LADDER: [Step; 4] = [
        Step {
            after_minutes: 0,
            recipient: Helper,
        },
        Step {
            after_minutes: 30,
            recipient: CommunityWorker,
        },
        Step {
            after_minutes: 60,
            recipient: StreetOffice,
        },
        Step {
            after_minutes: 120,
            recipient: DistrictOffice,
        },
    ];

    fn day<'a>(
        check_ins: &'a [CheckIn],
        acks: &'a [DateTime<Utc>],
        raised: &'a [usize],
    ) -> Day<'a> {
        Day {
            pairing: PairingId::from_uuid(uuid::Uuid::from_u128(7)),
            date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            deadline: t("10:00"),
            steps: &LADDER,
            check_ins,
            acknowledged: acks,
            raised,
            cleared: &[],
            ended_at: None,
        }
    }

    fn steps(d: &Decision) -> Vec<usize> {
        d.raise.iter().map(|r| r.key.step).collect()
    }

    #[test]
    fn steps_fall_due_at_their_delay_after_the_deadline() {
        let d = day(&[], &[], &[]);
        assert!(d.decide(t("09:59")).raise.is_empty());
        let at_ten = d.decide(t("10:00"));
        assert_eq!(steps(&at_ten), vec![0]);
        assert_eq!(at_ten.raise[0].key.recipient, Helper);
        assert_eq!(at_ten.raise[0].due_at, t("10:00"));
        assert_eq!(at_ten.raise[0].cause, Cause::Missed);
        assert!(!at_ten.raise[0].late);
        assert_eq!(steps(&day(&[], &[], &[0]).decide(t("10:31"))), vec![1]);
        assert_eq!(steps(&day(&[], &[], &[0, 1]).decide(t("11:00"))), vec![2]);
        assert_eq!(
            steps(&day(&[], &[], &[0, 1, 2]).decide(t("12:00"))),
            vec![3]
        );
        assert!(day(&[], &[], &[0, 1, 2, 3])
            .decide(t("18:00"))
            .raise
            .is_empty());
    }

    #[test]
    fn a_raised_step_is_not_raised_again() {
        let d = day(&[], &[], &[0]);
        assert!(d.decide(t("10:00")).raise.is_empty());
        assert!(d.decide(t("10:29")).raise.is_empty());
    }

    #[test]
    fn after_an_outage_every_step_due_is_raised_marked_late() {
        let d = day(&[], &[], &[]).decide(t("11:03"));
        assert_eq!(steps(&d), vec![0, 1, 2]);
        let late: Vec<bool> = d.raise.iter().map(|r| r.late).collect();
        // 63 and 33 minutes overdue are late; 3 minutes is within the sweep's slack.
        assert_eq!(late, vec![true, true, false]);
        assert_eq!(d.raise[1].due_at, t("10:30"));
    }

    #[test]
    fn a_well_check_in_before_a_step_stops_it_and_the_rest() {
        let on_time = [CheckIn {
            at: t("09:40"),
            outcome: Outcome::Well,
        }];
        assert!(day(&on_time, &[], &[]).decide(t("15:00")).raise.is_empty());
        // Exactly at the deadline is on time.
        let at_deadline = [CheckIn {
            at: t("10:00"),
            outcome: Outcome::Well,
        }];
        assert!(day(&at_deadline, &[], &[])
            .decide(t("15:00"))
            .raise
            .is_empty());
        let late = [CheckIn {
            at: t("10:10"),
            outcome: Outcome::Well,
        }];
        let d = day(&late, &[], &[0]).decide(t("15:00"));
        assert!(d.raise.is_empty(), "{d:?}");
    }

    #[test]
    fn an_acknowledgment_stops_the_later_steps() {
        let acks = [t("10:35")];
        let d = day(&[], &acks, &[0, 1]).decide(t("13:00"));
        assert!(d.raise.is_empty(), "{d:?}");
        // Caught up after an outage, the steps due before the acknowledgment are still raised.
        let d = day(&[], &acks, &[]).decide(t("13:00"));
        assert_eq!(steps(&d), vec![0, 1]);
    }

    #[test]
    fn needs_help_and_not_reached_escalate_at_once() {
        for (outcome, cause) in [
            (Outcome::NeedsHelp, Cause::NeedsHelp),
            (Outcome::NotReached, Cause::NotReached),
        ] {
            let check_ins = [CheckIn {
                at: t("10:12"),
                outcome,
            }];
            let d = day(&check_ins, &[], &[0]).decide(t("10:12"));
            assert_eq!(steps(&d), vec![1, 2, 3], "{outcome:?}");
            assert!(d
                .raise
                .iter()
                .all(|r| r.due_at == t("10:12") && r.cause == cause && !r.late));
            // Before the deadline too: every step at once.
            let early = [CheckIn {
                at: t("08:00"),
                outcome,
            }];
            assert_eq!(
                steps(&day(&early, &[], &[]).decide(t("08:01"))),
                vec![0, 1, 2, 3]
            );
        }
    }

    #[test]
    fn needs_help_after_a_well_check_in_or_an_acknowledgment_still_escalates() {
        let check_ins = [
            CheckIn {
                at: t("09:00"),
                outcome: Outcome::Well,
            },
            CheckIn {
                at: t("15:00"),
                outcome: Outcome::NeedsHelp,
            },
        ];
        assert!(day(&check_ins, &[], &[])
            .decide(t("14:59"))
            .raise
            .is_empty());
        assert_eq!(
            steps(&day(&check_ins, &[], &[]).decide(t("15:00"))),
            vec![0, 1, 2, 3]
        );
        let acks = [t("10:40")];
        let later = [CheckIn {
            at: t("13:00"),
            outcome: Outcome::NotReached,
        }];
        assert_eq!(
            steps(&day(&later, &acks, &[0, 1]).decide(t("13:00"))),
            vec![2, 3]
        );
    }

    #[test]
    fn events_after_now_are_not_seen() {
        let check_ins = [CheckIn {
            at: t("10:20"),
            outcome: Outcome::NeedsHelp,
        }];
        assert_eq!(
            steps(&day(&check_ins, &[], &[]).decide(t("10:05"))),
            vec![0]
        );
        let well = [CheckIn {
            at: t("09:00"),
            outcome: Outcome::Well,
        }];
        assert!(day(&[], &[], &[]).decide(t("10:00")).raise.len() == 1);
        assert!(day(&well, &[], &[]).decide(t("08:59")).raise.is_empty());
    }

    #[test]
    fn an_answer_after_alerts_clears_everyone_alerted_once() {
        let check_ins = [CheckIn {
            at: t("10:45"),
            outcome: Outcome::Well,
        }];
        let d = day(&check_ins, &[], &[0, 1]).decide(t("10:46"));
        assert!(d.raise.is_empty());
        let cleared: Vec<(usize, RecipientKind)> = d
            .all_clear
            .iter()
            .map(|c| (c.key.step, c.key.recipient))
            .collect();
        assert_eq!(cleared, vec![(0, Helper), (1, CommunityWorker)]);
        assert!(d.all_clear.iter().all(|c| c.answered_at == t("10:45")));
        let mut again = day(&check_ins, &[], &[0, 1]);
        again.cleared = &[0, 1];
        assert_eq!(again.decide(t("11:30")), Decision::default());
        // A day answered on time has nobody to clear.
        let on_time = [CheckIn {
            at: t("09:45"),
            outcome: Outcome::Well,
        }];
        assert!(day(&on_time, &[], &[])
            .decide(t("12:00"))
            .all_clear
            .is_empty());
    }

    #[test]
    fn caught_up_steps_answered_meanwhile_are_raised_and_cleared_together() {
        let check_ins = [CheckIn {
            at: t("10:40"),
            outcome: Outcome::Well,
        }];
        let d = day(&check_ins, &[], &[]).decide(t("12:00"));
        assert_eq!(steps(&d), vec![0, 1]);
        assert!(d.raise.iter().all(|r| r.late));
        assert_eq!(d.all_clear.len(), 2);
    }

    #[test]
    fn nothing_is_raised_after_the_pairing_ended() {
        let mut d = day(&[], &[], &[]);
        d.ended_at = Some(t("10:20"));
        assert_eq!(steps(&d.decide(t("10:10"))), vec![0]);
        assert!(d.decide(t("10:20")).raise.is_empty());
        assert!(d.decide(t("12:00")).raise.is_empty());
        // A step falling due at the very instant of the withdrawal is not due.
        d.ended_at = Some(t("10:30"));
        assert_eq!(d.due_at(1, t("11:00")), None);
        assert_eq!(d.due_at(0, t("11:00")), Some((t("10:00"), Cause::Missed)));
    }

    #[test]
    fn keys_are_stable_and_name_pairing_day_step_and_recipient() {
        let a = day(&[], &[], &[]).decide(t("10:01")).raise[0].key;
        let b = day(&[], &[], &[]).decide(t("10:04")).raise[0].key;
        assert_eq!(a, b);
        assert_eq!(
            a.to_string(),
            "00000000-0000-0000-0000-000000000007/2026-12-02/0/helper"
        );
    }

    fn schedule() -> Schedule {
        Schedule {
            deadline: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            days_off: vec![Weekday::Sun],
            pauses: vec![],
            starts: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            ended_at: None,
            offset: FixedOffset::east_opt(8 * 3600).unwrap(),
        }
    }

    fn at(date: &str, hhmm: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{date}T{hhmm}:00+08:00"))
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn seven_expected_days_without_a_check_in_flag_once_per_stretch() {
        let p = PairingId::from_uuid(uuid::Uuid::from_u128(9));
        let s = schedule();
        // Last check-in Mon 2026-11-02; expected days from Tue 3rd: 3,4,5,6,7 (Sun 8th off),9,10.
        let last = Some(at("2026-11-02", "09:30"));
        assert_eq!(
            silence(p, &s, last, 7, None, at("2026-11-10", "09:59")),
            None
        );
        let flag = silence(p, &s, last, 7, None, at("2026-11-10", "10:00"));
        let since = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        assert_eq!(flag, Some(SilenceKey { pairing: p, since }));
        // The same stretch is flagged once, however long it lasts.
        assert_eq!(
            silence(p, &s, last, 7, Some(since), at("2026-11-30", "12:00")),
            None
        );
        // A new check-in starts a new stretch.
        let newer = Some(at("2026-11-12", "18:00"));
        let next = silence(p, &s, newer, 7, Some(since), at("2026-11-30", "12:00"));
        assert_eq!(next.map(|k| k.since), NaiveDate::from_ymd_opt(2026, 11, 13));
    }

    #[test]
    fn pauses_and_a_fresh_pairing_count_from_their_own_days() {
        let p = PairingId::from_uuid(uuid::Uuid::from_u128(9));
        let mut s = schedule();
        s.pauses = vec![crate::schedule::Pause::new(
            NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 20),
        )
        .unwrap()];
        let last = Some(at("2026-11-02", "09:30"));
        assert_eq!(
            silence(p, &s, last, 7, None, at("2026-11-21", "12:00")),
            None
        );
        // Never checked in: counted from the start (1st is a Sunday, off).
        let flag = silence(p, &schedule(), None, 7, None, at("2026-11-09", "10:00"));
        assert_eq!(flag.map(|k| k.since), NaiveDate::from_ymd_opt(2026, 11, 2));
    }
}
