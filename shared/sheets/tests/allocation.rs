//! The 4.8 KB workbooks of issue 8 (one cell at `XFD1048576`, one at `CV1048576`) are
//! refused without a large allocation: this test binary counts every allocation.
//! (One test only, so no other test's allocations are counted.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cap::Cap;
use nuanxin_sheets::{read_table, Limit, SheetError};
use rust_xlsxwriter::Workbook;
use std::alloc::System;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Peak heap growth allowed while such a file is read.
const BUDGET: usize = 16 * 1024 * 1024;

#[test]
fn far_cells_are_refused_without_allocating_their_rectangle() {
    let files: Vec<(u32, u16, Vec<u8>)> = [(1_048_575, 16_383), (1_048_575, 99)]
        .into_iter()
        .map(|(row, col)| {
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            ws.write_string(0, 0, "姓名").unwrap();
            ws.write_string(row, col, "x").unwrap();
            (row, col, wb.save_to_buffer().unwrap())
        })
        .collect();
    for (row, col, bytes) in files {
        assert!(bytes.len() < 8 * 1024, "{}", bytes.len());
        let before = ALLOCATOR.allocated();
        // Past the budget an allocation fails (and the test aborts) instead of taking the
        // machine's memory: calamine's range took rows × columns here (549,755,813,888 cells
        // at XFD1048576).
        ALLOCATOR.set_limit(before + BUDGET).unwrap();
        let result = read_table(&bytes);
        let during = ALLOCATOR.max_allocated();
        ALLOCATOR.set_limit(usize::MAX).unwrap();
        assert!(
            matches!(
                result,
                Err(SheetError::TooLarge {
                    limit: Limit::Rows,
                    ..
                })
            ),
            "{result:?}"
        );
        // The peak is the process's so far (it may predate this read); the limit is the proof.
        eprintln!(
            "cell at row {} column {}: {} byte file refused; heap peak at most {} KB above the baseline",
            row + 1,
            col + 1,
            bytes.len(),
            during.saturating_sub(before) / 1024
        );
    }
}
