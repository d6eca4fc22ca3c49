use chrono::{Datelike, NaiveDate};
use icu_calendar::cal::ChineseTraditional;
use icu_calendar::Date;
use proptest::prelude::*;

use super::*;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn years() -> impl Iterator<Item = i32> {
    FIRST_YEAR..=LAST_YEAR
}

#[test]
fn well_known_dates() {
    for (festival, year, expected) in [
        (Festival::SpringFestival, 2024, "2024-02-10"),
        (Festival::SpringFestival, 2025, "2025-01-29"),
        (Festival::SpringFestival, 2026, "2026-02-17"),
        (Festival::MidAutumn, 2024, "2024-09-17"),
        (Festival::MidAutumn, 2025, "2025-10-06"),
        (Festival::Chongyang, 2025, "2025-10-29"),
        // 1978: lunardate's table has Mid-Autumn a day early (README).
        (Festival::MidAutumn, 1978, "1978-09-17"),
    ] {
        assert_eq!(
            festival_on(festival, year).unwrap(),
            date(expected),
            "{festival} {year}"
        );
    }
}

#[test]
fn every_festival_reads_back_as_its_lunar_date_in_its_own_year() {
    for year in years() {
        for festival in Festival::ALL {
            let on = festival_on(festival, year).unwrap();
            assert_eq!(on.year(), year, "{festival} {year} falls in another year");
            let lunar = Date::try_new_iso(on.year(), on.month() as u8, on.day() as u8)
                .unwrap()
                .to_calendar(ChineseTraditional::new());
            let (month, day) = festival.lunar_month_day();
            assert_eq!(lunar.cyclic_year().related_iso, year);
            assert_eq!(lunar.month().number(), month, "{festival} {year}");
            assert!(
                !lunar.month().to_input().is_leap(),
                "{festival} {year} in a leap month"
            );
            assert_eq!(lunar.day_of_month().0, day, "{festival} {year}");
        }
    }
}

/// Bounds any correct Chinese calendar keeps, whatever its table says.
#[test]
fn festivals_keep_the_lunisolar_bounds() {
    let mut previous: Option<NaiveDate> = None;
    for year in years() {
        let h = holidays(year).unwrap();
        // The new year is the second new moon after the winter solstice: 21 January – 20 February.
        assert!(
            (date(&format!("{year}-01-21"))..=date(&format!("{year}-02-20")))
                .contains(&h.spring_festival),
            "{year}: {}",
            h.spring_festival
        );
        // 8/15 to 9/9 is 23 or 24 days, or 52–54 across a leap eighth month.
        let gap = (h.chongyang - h.mid_autumn).num_days();
        assert!([23, 24, 52, 53, 54].contains(&gap), "{year}: {gap} days");
        // A lunar year has 12 months (353–355 days) or 13 (383–385).
        if let Some(previous) = previous {
            let length = (h.spring_festival - previous).num_days();
            assert!(
                (353..=355).contains(&length) || (383..=385).contains(&length),
                "{year}: {length} days"
            );
        }
        previous = Some(h.spring_festival);
    }
}

#[test]
fn years_outside_the_range_are_refused_with_the_year_and_the_range() {
    for year in [FIRST_YEAR - 1, LAST_YEAR + 1, 0, i32::MIN, i32::MAX] {
        for festival in Festival::ALL {
            assert_eq!(
                festival_on(festival, year),
                Err(CalendarError::YearOutOfRange { year })
            );
        }
        let error = holidays(year).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("year {year} is outside the supported range 1950–2100")
        );
        assert!(error.reason_zh().contains(&year.to_string()));
    }
}

#[test]
fn holidays_serialize_in_the_contract_shape() {
    assert_eq!(
        serde_json::to_string(&holidays(2025).unwrap()).unwrap(),
        r#"{"year":2025,"spring_festival":"2025-01-29","mid_autumn":"2025-10-06","chongyang":"2025-10-29"}"#
    );
    let h = holidays(2026).unwrap();
    for festival in Festival::ALL {
        assert_eq!(h.on(festival), festival_on(festival, 2026).unwrap());
    }
}

#[test]
fn festival_codes_and_names() {
    for festival in Festival::ALL {
        assert_eq!(festival.code().parse::<Festival>().unwrap(), festival);
        assert_eq!(
            serde_json::to_string(&festival).unwrap(),
            format!("\"{}\"", festival.code())
        );
    }
    let names: Vec<_> = Festival::ALL.iter().map(|f| f.name_zh()).collect();
    assert_eq!(names, ["春节", "中秋节", "重阳节"]);
    assert_eq!(
        "dragon_boat".parse::<Festival>(),
        Err(CalendarError::UnknownFestival {
            code: "dragon_boat".into()
        })
    );
}

#[test]
fn visit_window_of_fifteen_days_before_mid_autumn_2025() {
    let window = visit_window(date("2025-10-06"), 15).unwrap();
    assert_eq!(window.first(), date("2025-09-21"));
    assert_eq!(window.last(), date("2025-10-06"));
    assert_eq!(window.len_days(), 16);
    assert_eq!(
        serde_json::to_string(&window).unwrap(),
        r#"{"first":"2025-09-21","last":"2025-10-06"}"#
    );
}

#[test]
fn visit_window_refuses_long_windows_and_unsupported_years() {
    assert_eq!(
        visit_window(date("2025-10-06"), MAX_WINDOW_DAYS + 1),
        Err(CalendarError::WindowTooLong {
            days: MAX_WINDOW_DAYS + 1
        })
    );
    assert_eq!(
        visit_window(date("2101-01-01"), 15),
        Err(CalendarError::YearOutOfRange { year: 2101 })
    );
}

proptest! {
    /// The window holds exactly the festival and the `days_before` days before it.
    #[test]
    fn visit_window_matches_counting_back_day_by_day(
        offset in 0i64..55_000,
        days_before in 0u32..=MAX_WINDOW_DAYS,
    ) {
        let festival = date("1950-01-01") + chrono::Duration::days(offset);
        prop_assume!(festival.year() <= LAST_YEAR);
        let window = visit_window(festival, days_before).unwrap();
        let mut expected = Vec::new();
        let mut day = festival;
        for _ in 0..=days_before {
            expected.push(day);
            day = day.pred_opt().unwrap();
        }
        let probe_from = festival - chrono::Duration::days(i64::from(MAX_WINDOW_DAYS) + 10);
        let inside: Vec<_> = probe_from
            .iter_days()
            .take_while(|d| *d <= festival + chrono::Duration::days(10))
            .filter(|d| window.contains(*d))
            .collect();
        expected.reverse();
        prop_assert_eq!(&inside, &expected);
        prop_assert_eq!(window.len_days() as usize, expected.len());
    }
}
