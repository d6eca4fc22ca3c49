//! Job schedules: which period of a job's schedule an instant falls in. No I/O.
//!
//! A period is identified by its start, so every node computes the same period for the same instant and
//! the scheduler can claim it once (`job_runs`). Periods of a number of seconds are aligned to the Unix
//! epoch; days are the district's calendar days at its fixed UTC offset (China has no daylight saving).

use std::num::NonZeroU32;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};

/// How often a job runs: once per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// Every this many seconds, periods aligned to the Unix epoch.
    Seconds(NonZeroU32),
    /// Once per calendar day of the district.
    Day,
}

/// One period of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// When the period starts; the period's identity.
    pub start: DateTime<Utc>,
    /// The district's calendar date at the period's start.
    pub on: NaiveDate,
}

impl Every {
    /// Every `seconds` seconds; None for zero.
    pub fn seconds(seconds: u32) -> Option<Every> {
        NonZeroU32::new(seconds).map(Every::Seconds)
    }

    /// How long one period lasts.
    pub fn length(self) -> Duration {
        match self {
            Every::Seconds(n) => Duration::seconds(i64::from(n.get())),
            Every::Day => Duration::days(1),
        }
    }

    /// The period that contains `at`, for a district at `offset` from UTC.
    pub fn period_at(self, at: DateTime<Utc>, offset: FixedOffset) -> Period {
        let start = match self {
            Every::Seconds(n) => {
                let n = i64::from(n.get());
                let secs = at.timestamp().div_euclid(n) * n;
                DateTime::from_timestamp(secs, 0).unwrap_or(at)
            }
            Every::Day => {
                let midnight = at
                    .with_timezone(&offset)
                    .date_naive()
                    .and_time(chrono::NaiveTime::MIN);
                offset
                    .from_local_datetime(&midnight)
                    .single()
                    .map_or(at, |local| local.with_timezone(&Utc))
            }
        };
        Period {
            start,
            on: start.with_timezone(&offset).date_naive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn offset(hours: i32) -> FixedOffset {
        FixedOffset::east_opt(hours * 3600).unwrap()
    }

    fn instant(secs: i64, nanos: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, nanos).unwrap()
    }

    fn every() -> impl Strategy<Value = Every> {
        prop_oneof![
            (1u32..=86_400).prop_map(|n| Every::seconds(n).unwrap()),
            Just(Every::Day),
        ]
    }

    proptest! {
        /// Brute force: the period contains the instant, starts at a boundary (the previous instant lies
        /// in the previous period) and is the same period for every instant in it.
        #[test]
        fn an_instant_lies_in_exactly_one_period(
            secs in -2_000_000_000i64..4_000_000_000,
            nanos in 0u32..1_000_000_000,
            hours in -12i32..=14,
            every in every(),
        ) {
            let (at, offset) = (instant(secs, nanos), offset(hours));
            let period = every.period_at(at, offset);
            prop_assert!(period.start <= at && at < period.start + every.length());
            prop_assert_eq!(every.period_at(period.start, offset), period);
            let last = period.start + every.length() - Duration::nanoseconds(1);
            prop_assert_eq!(every.period_at(last, offset), period);
            let before = every.period_at(period.start - Duration::nanoseconds(1), offset);
            prop_assert_eq!(before.start + every.length(), period.start);
            prop_assert_eq!(period.on, period.start.with_timezone(&offset).date_naive());
        }

        #[test]
        fn a_day_starts_at_the_districts_midnight(secs in 0i64..4_000_000_000, hours in -12i32..=14) {
            let (at, offset) = (instant(secs, 0), offset(hours));
            let period = Every::Day.period_at(at, offset);
            prop_assert_eq!(period.start.with_timezone(&offset).time(), chrono::NaiveTime::MIN);
            prop_assert_eq!(period.on, at.with_timezone(&offset).date_naive());
        }
    }

    #[test]
    fn beijing_days_begin_at_16_utc() {
        let at = instant(1_764_547_200 + 15 * 3600 + 59 * 60, 0); // 2025-12-01 15:59 UTC
        let period = Every::Day.period_at(at, offset(8));
        assert_eq!(period.start.to_rfc3339(), "2025-11-30T16:00:00+00:00");
        assert_eq!(period.on.to_string(), "2025-12-01");
        let later = Every::Day.period_at(at + Duration::minutes(2), offset(8));
        assert_eq!(later.on.to_string(), "2025-12-02");
    }

    #[test]
    fn zero_seconds_is_no_schedule() {
        assert_eq!(Every::seconds(0), None);
    }
}
