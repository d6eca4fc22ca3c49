//! Reading xlsx / CSV bytes into a [`Sheet`], within [`SheetLimits`].

use crate::limits::Budget;
use crate::{Sheet, SheetError, SheetLimits, SheetRow};
use calamine::{DataRef, Reader, Xlsx};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Cursor;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// [`read_table_with`] within [`SheetLimits::default`].
pub fn read_table(bytes: &[u8]) -> Result<Sheet, SheetError> {
    read_table_with(bytes, &SheetLimits::default())
}

/// Reads the first worksheet of an xlsx workbook (detected by the zip signature), or else a
/// CSV file, refusing with [`SheetError::TooLarge`] as soon as it finds the file beyond one of
/// `limits` — before allocating anything of that size.
///
/// - xlsx: the entries' declared uncompressed sizes together must fit
///   [`SheetLimits::max_unpacked_bytes`] (an entry that inflates past its declared size is an
///   error of the zip reader); the worksheet's cells are streamed and kept row by row, so a
///   value far away costs its own row, never the rectangle up to it; the worksheet's
///   `<dimension>` is not used.
/// - Legacy xls (OLE signature) is refused with [`SheetError::LegacyXls`].
/// - CSV text may be UTF-8 (BOM optional), GB18030/GBK (chosen when the bytes are not valid
///   UTF-8) or UTF-16 with a BOM; the delimiter is a comma, or a tab when the first line
///   has more tabs than commas (Excel's "Unicode text"). Excel's `="0123"` text trick is
///   unwrapped. Records are checked against the limits one by one.
/// - Workbook cells become strings: integers without `.0`, other numbers with at most 15
///   significant digits (as Excel shows them), date cells as `YYYY-MM-DD` (with
///   ` HH:MM:SS` if they carry a time), booleans as `TRUE`/`FALSE`, errors as `#N/A` etc.
/// - All cells and headers are trimmed; a cell that is empty after trimming counts for no
///   limit. The first non-empty row is the header. Fully empty rows are skipped, but
///   [`SheetRow::number`] keeps the row number the user sees.
pub fn read_table_with(bytes: &[u8], limits: &SheetLimits) -> Result<Sheet, SheetError> {
    if bytes.starts_with(ZIP_MAGIC) {
        read_xlsx(bytes, limits)
    } else if bytes.starts_with(OLE_MAGIC) {
        Err(SheetError::LegacyXls)
    } else {
        read_csv(bytes, limits)
    }
}

fn xlsx_error(e: impl std::fmt::Display) -> SheetError {
    SheetError::Xlsx(e.to_string())
}

/// What the archive's entries together declare they unpack to.
fn declared_unpacked_bytes(bytes: &[u8]) -> Result<u64, SheetError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        total = total.saturating_add(zip.by_index_raw(i).map_err(xlsx_error)?.size());
    }
    Ok(total)
}

fn read_xlsx(bytes: &[u8], limits: &SheetLimits) -> Result<Sheet, SheetError> {
    let mut budget = Budget::new(limits);
    budget.unpacked(declared_unpacked_bytes(bytes)?)?;
    let mut wb = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let Some(name) = wb.sheet_names().first().cloned() else {
        return Err(SheetError::Empty);
    };
    let mut cells = wb.worksheet_cells_reader(&name).map_err(xlsx_error)?;
    // Cells usually come row by row, but nothing requires it: rows are kept by number.
    let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(xlsx_error)? {
        let text = cell_text(cell.get_value());
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let (row, column) = cell.get_position();
        let index = column as usize;
        budget.position(row as usize + 1, index + 1)?;
        let kept = rows.entry(row).or_default();
        if kept.len() <= index {
            budget.cells(index + 1 - kept.len())?;
            kept.resize(index + 1, String::new());
        }
        budget.text(text.len())?;
        if let Some(slot) = kept.get_mut(index) {
            *slot = text.to_owned();
        }
    }
    // The table starts at its first used column, as calamine's range does (a register kept from column B
    // reads as if it began at A); every kept row has a value at or after it.
    let first_column = rows
        .values()
        .filter_map(|cells| cells.iter().position(|c| !c.is_empty()))
        .min()
        .unwrap_or(0);
    let mut sheet = Builder::default();
    for (row, mut cells) in rows {
        cells.drain(..first_column.min(cells.len()));
        sheet.push(row as usize + 1, cells);
    }
    sheet.finish()
}

/// Collects rows (trimmed, without trailing empty cells, not all empty): the first is the
/// header.
#[derive(Default)]
struct Builder {
    sheet: Sheet,
    have_header: bool,
}

impl Builder {
    fn push(&mut self, number: usize, cells: Vec<String>) {
        if self.have_header {
            self.sheet.rows.push(SheetRow { number, cells });
        } else {
            self.sheet.headers = cells;
            self.have_header = true;
        }
    }

    fn finish(self) -> Result<Sheet, SheetError> {
        if self.sheet.headers.is_empty() {
            return Err(SheetError::Empty);
        }
        Ok(self.sheet)
    }
}

/// A cell as text; a shared or inline string is borrowed, so its length is known (and
/// checked) before it is copied.
fn cell_text<'a>(cell: &'a DataRef<'_>) -> Cow<'a, str> {
    match cell {
        DataRef::Empty => Cow::Borrowed(""),
        DataRef::String(s) => Cow::Borrowed(s),
        DataRef::SharedString(s) => Cow::Borrowed(s),
        DataRef::Int(i) => Cow::Owned(i.to_string()),
        DataRef::Float(f) => Cow::Owned(format_float(*f)),
        DataRef::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(dt) => Cow::Owned(if dt.is_duration() {
            let total_secs = (dt.as_f64() * 86_400.0).round() as i64;
            let (h, m, s) = (total_secs / 3600, (total_secs % 3600) / 60, total_secs % 60);
            format!("{h}:{m:02}:{s:02}")
        } else {
            let (y, mo, d, h, mi, s, _ms) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else if dt.as_f64() < 1.0 {
                format!("{h:02}:{mi:02}:{s:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }),
        DataRef::DateTimeIso(s) => Cow::Borrowed(s.strip_suffix("T00:00:00").unwrap_or(s)),
        DataRef::DurationIso(s) => Cow::Borrowed(s),
        DataRef::Error(e) => Cow::Owned(e.to_string()),
    }
}

/// Numbers as Excel shows them in the "General" format: integral values without `.0`,
/// at most 15 significant digits, no exponent.
fn format_float(f: f64) -> String {
    // Whole numbers below 10^15 have at most 15 digits: nothing to round (and most cells are these).
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return (f as i64).to_string();
    }
    format_rounded(f)
}

/// [`format_float`] for any number: rounded to 15 significant digits.
fn format_rounded(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    // Round to 15 significant digits to hide binary artefacts (0.1 + 0.2).
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    // Display of f64 prints integral values without a fraction and never uses exponents.
    let s = rounded.to_string();
    if s == "-0" {
        "0".to_owned()
    } else {
        s
    }
}

/// Decodes CSV bytes to text, or says why it is not CSV text.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, SheetError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|_| SheetError::BadEncoding);
    }
    for (bom, enc) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return enc
                .decode_without_bom_handling_and_without_replacement(rest)
                .ok_or(SheetError::BadEncoding);
        }
    }
    if looks_binary(bytes) {
        return Err(SheetError::NotASpreadsheet);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(s));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or(SheetError::BadEncoding)
}

/// Known binary signatures, and NUL bytes (never in 8-bit text).
fn looks_binary(bytes: &[u8]) -> bool {
    const MAGICS: &[&[u8]] = &[
        b"PK",           // other zip archives
        b"%PDF",         // PDF
        b"\x89PNG",      // PNG
        b"\xFF\xD8\xFF", // JPEG
        b"GIF8",         // GIF
        b"\x1F\x8B",     // gzip
        b"Rar!",         // RAR
        b"7z\xBC\xAF",   // 7-Zip
    ];
    MAGICS.iter().any(|m| bytes.starts_with(m)) || bytes.contains(&0)
}

/// Line numbers of positions in a text, counted once over it as the positions move forward.
#[derive(Default)]
struct Lines {
    scanned: usize,
    newlines: usize,
}

impl Lines {
    /// The 1-based line of the first character at or after `at` that is not a line break.
    fn line_at(&mut self, text: &[u8], at: usize) -> usize {
        let rest = text.get(at..).unwrap_or_default();
        let start = at
            + rest
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        if let Some(between) = text.get(self.scanned..start) {
            self.newlines += between.iter().filter(|b| **b == b'\n').count();
            self.scanned = start;
        }
        self.newlines + 1
    }
}

/// Unwraps Excel's `="..."` text-preserving idiom.
fn unwrap_excel_text(field: &str) -> &str {
    let t = field.trim();
    t.strip_prefix("=\"")
        .and_then(|r| r.strip_suffix('"'))
        .filter(|inner| !inner.contains('"'))
        .unwrap_or(field)
}

fn read_csv(bytes: &[u8], limits: &SheetLimits) -> Result<Sheet, SheetError> {
    let mut budget = Budget::new(limits);
    budget.unpacked(bytes.len() as u64)?;
    let text = decode(bytes)?;
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0C}'))
    {
        return Err(SheetError::NotASpreadsheet);
    }
    if text.trim().is_empty() {
        return Err(SheetError::Empty);
    }
    let first_line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let delimiter = if first_line.matches('\t').count() > first_line.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut sheet = Builder::default();
    // Excel shows one row per record and one per blank line. A record's row is the physical line it starts
    // on less the line breaks inside quoted fields before it. The reader's own position of a record that
    // follows blank lines is the first blank line, so the start is found in the text.
    let bytes = text.as_bytes();
    let mut lines = Lines::default();
    let mut embedded_newlines = 0usize;
    let mut last_number = 0usize;
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader
            .read_record(&mut record)
            .map_err(|e| SheetError::Csv {
                row: e.position().map_or(last_number + 1, |p| {
                    lines
                        .line_at(bytes, p.byte() as usize)
                        .saturating_sub(embedded_newlines)
                }),
                message: e.to_string(),
            })?;
        if !more {
            break;
        }
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let line = lines.line_at(bytes, start);
        let number = line.saturating_sub(embedded_newlines).max(last_number + 1);
        last_number = number;
        embedded_newlines += record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>();
        let cell = |f: &str| unwrap_excel_text(f).trim().len();
        let last = record
            .iter()
            .enumerate()
            .filter(|(_, f)| cell(f) > 0)
            .map(|(i, _)| i)
            .last();
        let Some(last) = last else {
            continue;
        };
        budget.position(number, last + 1)?;
        budget.cells(last + 1)?;
        budget.text(record.iter().take(last + 1).map(cell).sum())?;
        sheet.push(
            number,
            record
                .iter()
                .take(last + 1)
                .map(|f| unwrap_excel_text(f).trim().to_owned())
                .collect(),
        );
    }
    sheet.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_look_like_excel() {
        assert_eq!(format_float(12345.0), "12345");
        assert_eq!(format_float(0.1 + 0.2), "0.3");
        assert_eq!(format_float(-2.5), "-2.5");
        assert_eq!(format_float(1e20), "100000000000000000000");
        assert_eq!(format_float(-0.0), "0");
        assert_eq!(format_float(999_999_999_999_999.0), "999999999999999");
        assert_eq!(format_float(-42.0), "-42");
        assert_eq!(format_float(1e15), "1000000000000000");
    }

    proptest::proptest! {
        #[test]
        fn whole_numbers_read_as_the_rounding_path_reads_them(i in -999_999_999_999_999i64..=999_999_999_999_999) {
            proptest::prop_assert_eq!(format_float(i as f64), format_rounded(i as f64));
        }
    }

    #[test]
    fn excel_text_idiom() {
        assert_eq!(unwrap_excel_text("=\"0123\""), "0123");
        assert_eq!(unwrap_excel_text("=SUM(A1)"), "=SUM(A1)");
    }
}
