//! Spreadsheets beyond [`SheetLimits`] are refused while they are read; files just within
//! them read as before.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nuanxin_sheets::{read_table, read_table_with, write_csv, Limit, SheetError, SheetLimits};
use proptest::prelude::*;
use rust_xlsxwriter::Workbook;

/// A workbook with a header in A1 and one value at each 0-based (row, column).
fn xlsx_with(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "姓名").unwrap();
    for (row, col, text) in cells {
        ws.write_string(*row, *col, *text).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn too_large(result: Result<nuanxin_sheets::Sheet, SheetError>) -> (Limit, u64, u64) {
    match result {
        Err(SheetError::TooLarge { limit, max, value }) => (limit, max, value),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn one_cell_at_the_last_excel_cell_is_refused_by_its_row() {
    let bytes = xlsx_with(&[(1_048_575, 16_383, "x")]);
    assert!(bytes.len() < 8 * 1024, "a few KB: {}", bytes.len());
    let err = read_table(&bytes);
    assert_eq!(too_large(err.clone()), (Limit::Rows, 200_000, 1_048_576));
    let message = err.unwrap_err().reason_zh();
    assert!(
        message.contains("1048576") && message.contains("200000"),
        "{message}"
    );
    // CV1048576: the file of the issue that took memory from 0.6 to 3.8 GB.
    let bytes = xlsx_with(&[(1_048_575, 99, "x")]);
    assert_eq!(
        too_large(read_table(&bytes)),
        (Limit::Rows, 200_000, 1_048_576)
    );
}

#[test]
fn a_cell_past_the_last_column_is_refused_by_its_column() {
    let bytes = xlsx_with(&[(1, 99, "x")]);
    let err = read_table(&bytes);
    assert_eq!(too_large(err.clone()), (Limit::Columns, 64, 100));
    assert!(err.unwrap_err().reason_zh().contains("CV列"));
}

#[test]
fn a_cell_at_the_last_allowed_row_and_column_reads() {
    // BL200000: row 200,000, column 64, exactly the default limits.
    let bytes = xlsx_with(&[(199_999, 63, " 最后 ")]);
    let sheet = read_table(&bytes).unwrap();
    assert_eq!(sheet.rows.len(), 1);
    assert_eq!(sheet.rows[0].number, 200_000);
    assert_eq!(sheet.rows[0].cells.len(), 64);
    assert_eq!(sheet.rows[0].get(63), "最后");
    assert_eq!(sheet.rows[0].get(0), "");
    // One row further is refused.
    let bytes = xlsx_with(&[(200_000, 0, "x")]);
    assert_eq!(
        too_large(read_table(&bytes)),
        (Limit::Rows, 200_000, 200_001)
    );
}

#[test]
fn whitespace_and_empty_cells_far_away_count_for_nothing() {
    let bytes = xlsx_with(&[(1, 0, "张三"), (1_048_575, 16_383, "   ")]);
    let sheet = read_table(&bytes).unwrap();
    assert_eq!(sheet.rows.len(), 1);
    assert_eq!(sheet.rows[0].cells, vec!["张三".to_owned()]);
}

fn small(max_rows: usize, max_columns: usize, max_cells: usize) -> SheetLimits {
    SheetLimits {
        max_rows,
        max_columns,
        max_cells,
        ..SheetLimits::default()
    }
}

#[test]
fn cells_count_each_row_up_to_its_last_value() {
    // Header 1 cell + a row whose only value is in column 8: 1 + 8 cells kept.
    let bytes = xlsx_with(&[(1, 7, "x")]);
    assert!(read_table_with(&bytes, &small(10, 10, 9)).is_ok());
    assert_eq!(
        too_large(read_table_with(&bytes, &small(10, 10, 8))),
        (Limit::Cells, 8, 9)
    );
    let csv = b"a\n,,,,,,,x\n";
    assert!(read_table_with(csv, &small(10, 10, 9)).is_ok());
    assert_eq!(
        too_large(read_table_with(csv, &small(10, 10, 8))).0,
        Limit::Cells
    );
}

#[test]
fn shared_strings_cannot_multiply_the_text_kept() {
    // One long string shared by many cells: the archive stays small, the text would not.
    let long = "长".repeat(10_000);
    let cells: Vec<(u32, u16, &str)> = (1..=200).map(|r| (r, 0, long.as_str())).collect();
    let bytes = xlsx_with(&cells);
    assert!(bytes.len() < 64 * 1024, "{}", bytes.len());
    let limits = SheetLimits {
        max_text_bytes: 1024 * 1024,
        ..SheetLimits::default()
    };
    let (limit, max, value) = too_large(read_table_with(&bytes, &limits));
    assert_eq!((limit, max), (Limit::TextBytes, 1024 * 1024));
    assert!(
        value > 1024 * 1024 && value < 1024 * 1024 + 30_001,
        "stopped at once: {value}"
    );
    let limits = SheetLimits {
        max_text_bytes: 200 * 30_000 + 6,
        ..SheetLimits::default()
    };
    assert_eq!(read_table_with(&bytes, &limits).unwrap().rows.len(), 200);
}

/// A workbook whose worksheet is a few MB of XML that deflates to little.
fn big_sheet() -> Vec<u8> {
    let cells: Vec<(u32, u16, String)> =
        (1..40_000).map(|r| (r, 0, format!("{}", r % 7))).collect();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "编号").unwrap();
    for (row, col, text) in &cells {
        ws.write_number(*row, *col, text.parse::<f64>().unwrap())
            .unwrap();
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn the_archive_s_declared_size_is_checked_before_it_is_unpacked() {
    let bytes = big_sheet();
    let limits = SheetLimits {
        max_unpacked_bytes: 256 * 1024,
        ..SheetLimits::default()
    };
    let (limit, max, value) = too_large(read_table_with(&bytes, &limits));
    assert_eq!((limit, max), (Limit::UnpackedBytes, 256 * 1024));
    assert!(value > 256 * 1024, "{value}");
    assert!(read_table(&bytes).is_ok());
}

/// Rewrites the declared uncompressed size of entry `name` in its local and central headers.
fn declare_size(zip: &mut [u8], name: &str, size: u32) -> usize {
    let mut patched = 0;
    for (magic, size_at, name_len_at, name_at) in [
        (&b"PK\x03\x04"[..], 22, 26, 30),
        (&b"PK\x01\x02"[..], 24, 28, 46),
    ] {
        let mut i = 0;
        while i + name_at <= zip.len() {
            if &zip[i..i + 4] == magic {
                let len =
                    u16::from_le_bytes([zip[i + name_len_at], zip[i + name_len_at + 1]]) as usize;
                if zip.get(i + name_at..i + name_at + len) == Some(name.as_bytes()) {
                    zip[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
                    patched += 1;
                }
            }
            i += 1;
        }
    }
    patched
}

#[test]
fn an_entry_that_inflates_past_its_declared_size_is_not_read_on() {
    let mut bytes = big_sheet();
    assert_eq!(
        declare_size(&mut bytes, "xl/worksheets/sheet1.xml", 1000),
        2
    );
    let limits = SheetLimits {
        max_unpacked_bytes: 256 * 1024,
        ..SheetLimits::default()
    };
    // The declared sizes now fit; the worksheet stops at its declared 1000 bytes.
    match read_table_with(&bytes, &limits) {
        Err(SheetError::Xlsx(message)) => {
            assert!(message.contains("declared"), "{message}")
        }
        other => panic!("expected the zip reader to stop, got {other:?}"),
    }
}

#[test]
fn legacy_xls_is_refused_with_advice() {
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend_from_slice(&[0; 504]);
    let err = read_table(&ole).unwrap_err();
    assert_eq!(err, SheetError::LegacyXls);
    assert!(err.reason_zh().contains(".xlsx"));
}

#[test]
fn csv_rows_stop_at_the_limit() {
    let rows = |n: usize| {
        let body: Vec<Vec<String>> = (0..n).map(|i| vec![format!("行{i}")]).collect();
        write_csv(&["姓名"], body)
    };
    // Header row 1 and 99 data rows: row 100 is the last allowed.
    let sheet = read_table_with(&rows(99), &small(100, 5, 1000)).unwrap();
    assert_eq!(sheet.rows.last().unwrap().number, 100);
    assert_eq!(
        too_large(read_table_with(&rows(100), &small(100, 5, 1000))),
        (Limit::Rows, 100, 101)
    );
}

#[test]
fn csv_columns_count_values_not_trailing_separators() {
    let limits = small(10, 3, 100);
    assert!(read_table_with(b"a,b,c,,,,,,\n1,2,3,, ,\n", &limits).is_ok());
    assert_eq!(
        too_large(read_table_with(b"a,b,c\n1,2,3,4\n", &limits)),
        (Limit::Columns, 3, 4)
    );
}

#[test]
fn csv_file_size_is_bounded_too() {
    let limits = SheetLimits {
        max_unpacked_bytes: 10,
        ..SheetLimits::default()
    };
    assert_eq!(
        too_large(read_table_with(b"a,b\n1,2\n3,4\n", &limits)).0,
        Limit::UnpackedBytes
    );
}

/// The table a grid of cells should read as: trimmed, trailing empties dropped, empty rows
/// skipped, the first non-empty row the header.
/// Numbered rows: (row number, cells).
type Rows = Vec<(usize, Vec<String>)>;

fn expected(grid: &[Vec<String>]) -> Option<(Vec<String>, Rows)> {
    let mut rows = grid.iter().enumerate().filter_map(|(i, row)| {
        let mut cells: Vec<String> = row.iter().map(|c| c.trim().to_owned()).collect();
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        (!cells.is_empty()).then_some((i + 1, cells))
    });
    let (_, headers) = rows.next()?;
    Some((headers, rows.collect()))
}

/// Which limits the grid breaks, counted the brute-force way.
fn broken(grid: &[Vec<String>], limits: &SheetLimits) -> Vec<Limit> {
    let mut found = Vec::new();
    let (mut cells, mut text) = (0, 0);
    for (r, row) in grid.iter().enumerate() {
        let widths: Vec<usize> = row.iter().map(|c| c.trim().len()).collect();
        if let Some(last) = widths.iter().rposition(|w| *w > 0) {
            if r + 1 > limits.max_rows {
                found.push(Limit::Rows);
            }
            if last + 1 > limits.max_columns {
                found.push(Limit::Columns);
            }
            cells += last + 1;
            text += widths.iter().sum::<usize>();
        }
    }
    if cells > limits.max_cells {
        found.push(Limit::Cells);
    }
    if text > limits.max_text_bytes {
        found.push(Limit::TextBytes);
    }
    found
}

/// The grid without the columns left of its first value (an xlsx table starts at its first used column).
fn from_first_column(grid: &[Vec<String>]) -> Vec<Vec<String>> {
    let first = grid
        .iter()
        .filter_map(|row| row.iter().position(|c| !c.trim().is_empty()))
        .min()
        .unwrap_or(0);
    grid.iter()
        .map(|row| row.iter().skip(first).cloned().collect())
        .collect()
}

fn check(bytes: &[u8], grid: &[Vec<String>], table: &[Vec<String>], limits: &SheetLimits) {
    let breaks = broken(grid, limits);
    match (read_table_with(bytes, limits), expected(table)) {
        (Err(SheetError::TooLarge { limit, .. }), _) => {
            assert!(
                breaks.contains(&limit),
                "{limit} reported, broken: {breaks:?}"
            )
        }
        (Ok(sheet), Some((headers, rows))) => {
            assert!(breaks.is_empty(), "read although {breaks:?}");
            assert_eq!(sheet.headers, headers);
            let got: Rows = sheet
                .rows
                .into_iter()
                .map(|r| (r.number, r.cells))
                .collect();
            assert_eq!(got, rows);
        }
        (Err(SheetError::Empty), None) => assert!(breaks.is_empty()),
        (other, _) => panic!("unexpected {other:?}"),
    }
}

fn grid() -> impl Strategy<Value = Vec<Vec<String>>> {
    let cell = prop_oneof![
        3 => Just(String::new()),
        1 => Just("  ".to_owned()),
        4 => "[a-z张王]{1,4}",
    ];
    proptest::collection::vec(proptest::collection::vec(cell, 0..9), 0..14)
}

fn limits() -> impl Strategy<Value = SheetLimits> {
    (1usize..15, 1usize..10, 0usize..80, 0usize..200).prop_map(|(r, c, n, t)| SheetLimits {
        max_rows: r,
        max_columns: c,
        max_cells: n,
        max_unpacked_bytes: u64::MAX,
        max_text_bytes: t,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn xlsx_reads_within_limits_and_refuses_beyond_them(grid in grid(), limits in limits()) {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (r, row) in grid.iter().enumerate() {
            for (c, text) in row.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
                ws.write_string(r as u32, c as u16, text).unwrap();
            }
        }
        check(&wb.save_to_buffer().unwrap(), &grid, &from_first_column(&grid), &limits);
    }

    #[test]
    fn csv_reads_within_limits_and_refuses_beyond_them(grid in grid(), limits in limits()) {
        let mut text = String::new();
        for row in &grid {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        check(text.as_bytes(), &grid, &grid, &limits);
    }
}
