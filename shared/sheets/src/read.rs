//! Reading xlsx / xls / CSV bytes into a [`Sheet`].

use crate::{Sheet, SheetError, SheetRow};
use calamine::{Data, Reader, Xls, Xlsx};
use std::borrow::Cow;
use std::io::Cursor;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Reads the first worksheet of an xlsx workbook (detected by the zip signature), a legacy
/// xls workbook (OLE signature), or else a CSV file.
///
/// - CSV text may be UTF-8 (BOM optional), GB18030/GBK (chosen when the bytes are not valid
///   UTF-8) or UTF-16 with a BOM; the delimiter is a comma, or a tab when the first line
///   has more tabs than commas (Excel's "Unicode text"). Excel's `="0123"` text trick is
///   unwrapped.
/// - Workbook cells become strings: integers without `.0`, other numbers with at most 15
///   significant digits (as Excel shows them), date cells as `YYYY-MM-DD` (with
///   ` HH:MM:SS` if they carry a time), booleans as `TRUE`/`FALSE`, errors as `#N/A` etc.
/// - All cells and headers are trimmed. The first non-empty row is the header. Fully empty
///   rows are skipped, but [`SheetRow::number`] keeps the row number the user sees.
pub fn read_table(bytes: &[u8]) -> Result<Sheet, SheetError> {
    if bytes.starts_with(ZIP_MAGIC) {
        let wb = Xlsx::new(Cursor::new(bytes)).map_err(|e| SheetError::Xlsx(e.to_string()))?;
        read_workbook(wb)
    } else if bytes.starts_with(OLE_MAGIC) {
        let wb = Xls::new(Cursor::new(bytes)).map_err(|e| SheetError::Xlsx(e.to_string()))?;
        read_workbook(wb)
    } else {
        read_csv(bytes)
    }
}

fn read_workbook<RS, R>(mut wb: R) -> Result<Sheet, SheetError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let range = match wb.worksheet_range_at(0) {
        None => return Err(SheetError::Empty),
        Some(r) => r.map_err(|e| SheetError::Xlsx(e.to_string()))?,
    };
    let Some((start_row, _)) = range.start() else {
        return Err(SheetError::Empty);
    };
    let rows = range.rows().enumerate().map(|(i, cells)| {
        let number = start_row as usize + i + 1;
        (number, cells.iter().map(cell_to_string).collect::<Vec<_>>())
    });
    let sheet = assemble(rows);
    if sheet.headers.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(sheet)
}

/// Builds a sheet from (row number, raw cells): trims, drops trailing empties, takes the
/// first non-empty row as the header and skips empty rows.
fn assemble(rows: impl IntoIterator<Item = (usize, Vec<String>)>) -> Sheet {
    let mut sheet = Sheet::default();
    let mut have_header = false;
    for (number, cells) in rows {
        let mut cells: Vec<String> = cells
            .into_iter()
            .map(|c| {
                let t = c.trim();
                if t.len() == c.len() {
                    c
                } else {
                    t.to_owned()
                }
            })
            .collect();
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.is_empty() {
            continue;
        }
        if have_header {
            sheet.rows.push(SheetRow { number, cells });
        } else {
            sheet.headers = cells;
            have_header = true;
        }
    }
    sheet
}

fn cell_to_string(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => format_float(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => {
            if dt.is_duration() {
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
            }
        }
        Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).to_owned(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// Numbers as Excel shows them in the "General" format: integral values without `.0`,
/// at most 15 significant digits, no exponent.
fn format_float(f: f64) -> String {
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

/// Unwraps Excel's `="..."` text-preserving idiom.
fn unwrap_excel_text(field: &str) -> &str {
    let t = field.trim();
    t.strip_prefix("=\"")
        .and_then(|r| r.strip_suffix('"'))
        .filter(|inner| !inner.contains('"'))
        .unwrap_or(field)
}

fn read_csv(bytes: &[u8]) -> Result<Sheet, SheetError> {
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
    let mut rows = Vec::new();
    // The reader counts physical lines; Excel shows one row per record, so line breaks
    // inside quoted fields are subtracted. Blank lines are skipped by the reader but still
    // counted in line numbers, which is what keeps the numbering right.
    let mut embedded_newlines = 0usize;
    let mut last_number = 0usize;
    for record in reader.records() {
        let record = record.map_err(|e| SheetError::Csv {
            row: e.position().map_or(last_number + 1, |p| {
                (p.line() as usize).saturating_sub(embedded_newlines)
            }),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let number = line.saturating_sub(embedded_newlines).max(last_number + 1);
        last_number = number;
        embedded_newlines += record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>();
        rows.push((
            number,
            record
                .iter()
                .map(|f| unwrap_excel_text(f).to_owned())
                .collect(),
        ));
    }
    let sheet = assemble(rows);
    if sheet.headers.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(sheet)
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
    }

    #[test]
    fn excel_text_idiom() {
        assert_eq!(unwrap_excel_text("=\"0123\""), "0123");
        assert_eq!(unwrap_excel_text("=SUM(A1)"), "=SUM(A1)");
    }
}
