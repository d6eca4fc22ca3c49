//! Reads a 10,000-row × 20-column xlsx generated in memory and prints the times: `read_table` (cells
//! streamed within the limits) beside calamine's `worksheet_range` (the dense range it replaced) with a
//! string made of every cell, on the same bytes.
//!
//! `CARGO_TARGET_DIR=/work/target-helpers cargo bench -p nuanxin-sheets --bench read_xlsx`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use calamine::{Reader, Xlsx};
use nuanxin_sheets::{read_table, write_xlsx};
use std::io::Cursor;
use std::time::Instant;

const ROWS: usize = 10_000;
const COLS: usize = 20;

fn best_of_3(mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

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

    let ours = best_of_3(|| {
        let sheet = read_table(&bytes).unwrap();
        assert_eq!(sheet.rows.len(), ROWS);
        assert_eq!(sheet.headers.len(), COLS);
    });
    let calamine = best_of_3(|| {
        let mut wb = Xlsx::new(Cursor::new(&bytes)).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        // The strings the old reader made from the range, so both sides do the same work.
        let cells: usize = range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|c| c.to_string())
                    .filter(|s| !s.is_empty())
                    .count()
            })
            .sum();
        assert_eq!(cells, (ROWS + 1) * COLS);
    });
    println!(
        "write_xlsx {ROWS}x{COLS}: {:.3} s ({} KiB); best of 3: read_table {ours:.3} s, \
         calamine worksheet_range with strings {calamine:.3} s",
        write.as_secs_f64(),
        bytes.len() / 1024
    );
}
