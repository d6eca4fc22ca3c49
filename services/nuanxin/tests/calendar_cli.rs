//! The contract of `nuanxin calendar holidays --year YEAR`, run as the built binary.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

fn holidays(year: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nuanxin"))
        .args(["calendar", "holidays", "--year", year])
        .output()
        .unwrap()
}

#[test]
fn holidays_prints_the_three_festival_dates_of_the_year() {
    let out = holidays("2026");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "year": 2026,
            "spring_festival": "2026-02-17",
            "mid_autumn": "2026-09-25",
            "chongyang": "2026-10-18",
        })
    );
}

#[test]
fn a_year_outside_the_range_fails_naming_the_year_and_the_range_with_nothing_on_stdout() {
    for year in ["1949", "2101", "-3"] {
        let out = holidays(year);
        assert!(!out.status.success(), "{year} accepted");
        assert!(out.stdout.is_empty(), "{year}: stdout {:?}", out.stdout);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains(&format!("year {year} ")) && stderr.contains("1950–2100"),
            "{year}: {stderr}"
        );
    }
}
