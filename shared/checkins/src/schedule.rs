//! Which days a pairing expects a check-in, and the instant of each day's deadline.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

/// A pause of the check-ins (in hospital, staying with relatives): its own record, from a date to a date
/// (both included), or open-ended until someone ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// The first day without a check-in expected.
    pub from: NaiveDate,
    /// The last day without a check-in expected; `None` while the end is not known.
    pub until: Option<NaiveDate>,
}

impl Pause {
    /// A pause, refused when it ends before it starts.
    pub fn new(from: NaiveDate, until: Option<NaiveDate>) -> Result<Pause, String> {
        match until {
            Some(u) if u < from => Err(format!("pause.until ({u}) is before pause.from ({from})")),
            _ => Ok(Pause { from, until }),
        }
    }

    /// Whether the pause covers `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        date >= self.from && self.until.is_none_or(|u| date <= u)
    }
}

/// What a pairing expects of its days: deadline, days off, pauses, start and end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The daily deadline, local time of the district.
    pub deadline: NaiveTime,
    /// Weekdays without a check-in.
    pub days_off: Vec<Weekday>,
    /// Each pause as its own record; overlapping pauses simply both apply.
    pub pauses: Vec<Pause>,
    /// The first day a check-in is expected (the day both consents were recorded, or later).
    pub starts: NaiveDate,
    /// When the pairing ended (a side withdrew consent): no day whose deadline is at or after it is expected.
    pub ended_at: Option<DateTime<Utc>>,
    /// The district's offset from UTC (Asia/Shanghai: +08:00, no daylight saving).
    pub offset: FixedOffset,
}

impl Schedule {
    /// The instant of `date`'s deadline.
    pub fn deadline_on(&self, date: NaiveDate) -> DateTime<Utc> {
        let local = date.and_time(self.deadline);
        // A fixed offset maps every local time to one instant; only a date at the end of chrono's range
        // (year 262143) has none, and there the local reading is as good as any.
        self.offset
            .from_local_datetime(&local)
            .single()
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// The district-local date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.offset).date_naive()
    }

    /// Whether a check-in is expected on `date`: on or after the start, not a day off, not paused, and
    /// the pairing not ended before that day's deadline.
    pub fn expects(&self, date: NaiveDate) -> bool {
        date >= self.starts
            && !self.days_off.contains(&date.weekday())
            && !self.pauses.iter().any(|p| p.covers(date))
            && self.ended_at.is_none_or(|end| self.deadline_on(date) < end)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn schedule() -> Schedule {
        Schedule {
            deadline: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            days_off: vec![Weekday::Sun],
            pauses: vec![],
            starts: d("2026-12-01"),
            ended_at: None,
            offset: FixedOffset::east_opt(8 * 3600).unwrap(),
        }
    }

    #[test]
    fn the_deadline_is_local_time_in_the_districts_offset() {
        assert_eq!(
            schedule().deadline_on(d("2026-12-02")),
            t("2026-12-02T02:00:00Z")
        );
        let mut late = schedule();
        late.deadline = NaiveTime::from_hms_opt(23, 30, 0).unwrap();
        assert_eq!(late.deadline_on(d("2026-12-02")), t("2026-12-02T15:30:00Z"));
        assert_eq!(late.local_date(t("2026-12-02T16:30:00Z")), d("2026-12-03"));
    }

    #[test]
    fn days_before_the_start_and_days_off_are_not_expected() {
        let s = schedule();
        assert!(!s.expects(d("2026-11-30")));
        assert!(s.expects(d("2026-12-01")));
        // 2026-12-06 is a Sunday.
        assert_eq!(d("2026-12-06").weekday(), Weekday::Sun);
        assert!(!s.expects(d("2026-12-06")));
        assert!(s.expects(d("2026-12-07")));
    }

    #[test]
    fn pauses_cover_their_days_inclusive_and_open_ended_ones_run_on() {
        let mut s = schedule();
        s.pauses = vec![
            Pause::new(d("2026-12-03"), Some(d("2026-12-04"))).unwrap(),
            Pause::new(d("2026-12-20"), None).unwrap(),
        ];
        assert!(s.expects(d("2026-12-02")));
        assert!(!s.expects(d("2026-12-03")));
        assert!(!s.expects(d("2026-12-04")));
        assert!(s.expects(d("2026-12-05")));
        assert!(s.expects(d("2026-12-19")));
        assert!(!s.expects(d("2027-03-01")));
        assert!(Pause::new(d("2026-12-04"), Some(d("2026-12-03"))).is_err());
    }

    #[test]
    fn a_withdrawal_ends_the_expectation_from_the_next_deadline() {
        let mut s = schedule();
        // Withdrawn at 09:00 local on the 2nd: that day's 10:00 deadline is after it.
        s.ended_at = Some(t("2026-12-02T01:00:00Z"));
        assert!(s.expects(d("2026-12-01")));
        assert!(!s.expects(d("2026-12-02")));
        assert!(!s.expects(d("2026-12-03")));
        // Withdrawn at 11:00 local: the 2nd was expected (its alerts stop at the withdrawal, see sweep).
        s.ended_at = Some(t("2026-12-02T03:00:00Z"));
        assert!(s.expects(d("2026-12-02")));
        assert!(!s.expects(d("2026-12-03")));
    }
}
