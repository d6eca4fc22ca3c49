//! Reads a 10,000-row × 20-column xlsx generated in memory and prints the time.
//!
//! `CARGO_TARGET_DIR=/work/target-privacy cargo bench -p nuanxin-sheets --bench read_xlsx`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nuanxin_sheets::{read_table, write_xlsx};
use std::time::Instant;

const ROWS: usize = 10_000;
const COLS: usize = 20;

fn main() {
    let headers: Vec<String> = (0..COLS).map(|c| format!("列{c}")).collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let rows = (0..ROWS).map(|r| {
        (0..COLS)
            .map(|c| match c % 5 {
                0 => format!("张三{r}"),
                1 => format!("110105{:08}{:04}", 19_490_101 + r % 1000, r % 10_000),
                2 => (r * c).to_string(),
                3 => format!("2025-{:02}-{:02}", r % 12 + 1, r % 28 + 1),
                _ => format!("山东省淄博市张店区车站街道{r}号"),
            })
            .collect::<Vec<String>>()
    });
    let t = Instant::now();
    let bytes = write_xlsx("bench", &header_refs, rows).unwrap();
    let write = t.elapsed();

    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let sheet = read_table(&bytes).unwrap();
        best = best.min(t.elapsed().as_secs_f64());
        assert_eq!(sheet.rows.len(), ROWS);
        assert_eq!(sheet.headers.len(), COLS);
    }
    println!(
        "write_xlsx {ROWS}x{COLS}: {:.3} s ({} KiB); read_table best of 3: {best:.3} s",
        write.as_secs_f64(),
        bytes.len() / 1024
    );
}
