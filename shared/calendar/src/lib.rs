//! The lunar holidays on which districts visit special families, and the visiting window before them.
//!
//! [`festival_on`] gives the Gregorian date of the Spring Festival (正月初一), Mid-Autumn (八月十五)
//! or Chongyang (九月初九) of a year in [`FIRST_YEAR`]..=[`LAST_YEAR`], from `icu_calendar`'s
//! Chinese calendar (GB/T 33661-2017 months, precomputed to 2100); [`holidays`] gives all three.
//! [`visit_window`] turns a festival date and a district's number of days before it into the
//! inclusive range a visit campaign runs over. No I/O. The crate README says why `icu_calendar`,
//! and which day it follows where sources disagree (2057, 2089).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate};
use icu_calendar::types::Month;
use icu_calendar::{Date, Iso};
use serde::{Deserialize, Serialize};

/// The first year whose festivals are computed.
pub const FIRST_YEAR: i32 = 1950;
/// The last year whose festivals are computed: `icu_calendar` precomputes the Chinese months up
/// to 2100 and falls back to a simplified calculation after it.
pub const LAST_YEAR: i32 = 2100;
/// The longest visiting window a district may configure, in days before the festival: a
/// quarter, so that a Spring Festival campaign never starts before the previous Chongyang's.
pub const MAX_WINDOW_DAYS: u32 = 90;

/// A festival on which families are visited (走访慰问).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Festival {
    /// 春节, the first day of the first month.
    SpringFestival,
    /// 中秋节, the fifteenth day of the eighth month.
    MidAutumn,
    /// 重阳节, the ninth day of the ninth month.
    Chongyang,
}

impl Festival {
    /// Every festival, in the order of the year.
    pub const ALL: [Festival; 3] = [
        Festival::SpringFestival,
        Festival::MidAutumn,
        Festival::Chongyang,
    ];

    /// The code used in JSON and in program codes (`holiday_visit_<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Festival::SpringFestival => "spring_festival",
            Festival::MidAutumn => "mid_autumn",
            Festival::Chongyang => "chongyang",
        }
    }

    /// The festival's Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Festival::SpringFestival => "春节",
            Festival::MidAutumn => "中秋节",
            Festival::Chongyang => "重阳节",
        }
    }

    /// The lunar month (1–12; never a leap month) and day the festival falls on.
    pub fn lunar_month_day(self) -> (u8, u8) {
        match self {
            Festival::SpringFestival => (1, 1),
            Festival::MidAutumn => (8, 15),
            Festival::Chongyang => (9, 9),
        }
    }
}

impl fmt::Display for Festival {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Festival {
    type Err = CalendarError;

    /// Parses a festival's [`code`](Festival::code).
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Festival::ALL
            .into_iter()
            .find(|f| f.code() == code)
            .ok_or_else(|| CalendarError::UnknownFestival {
                code: code.to_owned(),
            })
    }
}

/// Why a date or window could not be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The year is outside [`FIRST_YEAR`]..=[`LAST_YEAR`].
    #[error("year {year} is outside the supported range {FIRST_YEAR}–{LAST_YEAR}")]
    YearOutOfRange {
        /// The year asked for.
        year: i32,
    },
    /// A visiting window longer than [`MAX_WINDOW_DAYS`].
    #[error("days_before {days} is more than the longest visiting window, {MAX_WINDOW_DAYS} days")]
    WindowTooLong {
        /// The days asked for.
        days: u32,
    },
    /// A festival code that is none of [`Festival::ALL`].
    #[error("festival '{code}' is none of spring_festival, mid_autumn, chongyang")]
    UnknownFestival {
        /// The code given.
        code: String,
    },
    /// The calendar refused a festival's lunar date (not expected for any year in range).
    #[error("the Chinese calendar has no {festival} in {year}: {reason}")]
    Lunar {
        /// The festival.
        festival: Festival,
        /// The year.
        year: i32,
        /// The calendar's reason.
        reason: String,
    },
}

impl CalendarError {
    /// The reason in Chinese, for the console and mail.
    pub fn reason_zh(&self) -> String {
        match self {
            CalendarError::YearOutOfRange { year } => {
                format!("年份{year}不在支持范围{FIRST_YEAR}–{LAST_YEAR}年内")
            }
            CalendarError::WindowTooLong { days } => {
                format!("走访期{days}天超过上限{MAX_WINDOW_DAYS}天")
            }
            CalendarError::UnknownFestival { code } => format!("未知的节日“{code}”"),
            CalendarError::Lunar { festival, year, .. } => {
                format!("无法计算{year}年{}的日期", festival.name_zh())
            }
        }
    }
}

/// The Gregorian date of `festival` in `year` (the festival's lunar year starts in that Gregorian
/// year, and all three festivals fall in it).
pub fn festival_on(festival: Festival, year: i32) -> Result<NaiveDate, CalendarError> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(CalendarError::YearOutOfRange { year });
    }
    let lunar_error = |reason: String| CalendarError::Lunar {
        festival,
        year,
        reason,
    };
    let (month, day) = festival.lunar_month_day();
    let iso = Date::try_new_chinese_traditional(year, Month::new(month), day)
        .map_err(|e| lunar_error(e.to_string()))?
        .to_calendar(Iso);
    NaiveDate::from_ymd_opt(
        iso.year().extended_year(),
        u32::from(iso.month().ordinal),
        u32::from(iso.day_of_month().0),
    )
    .ok_or_else(|| lunar_error(format!("no Gregorian date for {iso:?}")))
}

/// The three festival dates of a year; serializes as
/// `{"year", "spring_festival", "mid_autumn", "chongyang"}` with dates as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Holidays {
    /// The Gregorian year.
    pub year: i32,
    /// 春节.
    pub spring_festival: NaiveDate,
    /// 中秋节.
    pub mid_autumn: NaiveDate,
    /// 重阳节.
    pub chongyang: NaiveDate,
}

impl Holidays {
    /// The date of one festival.
    pub fn on(&self, festival: Festival) -> NaiveDate {
        match festival {
            Festival::SpringFestival => self.spring_festival,
            Festival::MidAutumn => self.mid_autumn,
            Festival::Chongyang => self.chongyang,
        }
    }
}

/// The festival dates of `year`.
pub fn holidays(year: i32) -> Result<Holidays, CalendarError> {
    Ok(Holidays {
        year,
        spring_festival: festival_on(Festival::SpringFestival, year)?,
        mid_autumn: festival_on(Festival::MidAutumn, year)?,
        chongyang: festival_on(Festival::Chongyang, year)?,
    })
}

/// The days a visit campaign runs over: from [`first`](Self::first) to the festival,
/// [`last`](Self::last), both included. Serializes as `{"first", "last"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VisitWindow {
    first: NaiveDate,
    last: NaiveDate,
    #[serde(skip)]
    days_before: u32,
}

impl VisitWindow {
    /// The first day visits count for the campaign.
    pub fn first(&self) -> NaiveDate {
        self.first
    }

    /// The festival itself, the last day.
    pub fn last(&self) -> NaiveDate {
        self.last
    }

    /// Whether `date` is one of the window's days.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    /// How many days the window has: the days before the festival, plus the festival.
    pub fn len_days(&self) -> u32 {
        self.days_before + 1
    }
}

/// The window that opens `days_before` days before `festival_on` and ends on the festival: with 15,
/// the 15 days before it and the day itself. `festival_on` must be in a supported year.
pub fn visit_window(
    festival_on: NaiveDate,
    days_before: u32,
) -> Result<VisitWindow, CalendarError> {
    if days_before > MAX_WINDOW_DAYS {
        return Err(CalendarError::WindowTooLong { days: days_before });
    }
    let year = festival_on.year();
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(CalendarError::YearOutOfRange { year });
    }
    // Never fails: the date is in 1950–2100 and the window at most 90 days long.
    let first = festival_on
        .checked_sub_days(Days::new(u64::from(days_before)))
        .ok_or(CalendarError::YearOutOfRange { year })?;
    Ok(VisitWindow {
        first,
        last: festival_on,
        days_before,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
