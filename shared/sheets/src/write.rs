//! Writing xlsx and CSV downloads.

use crate::SheetError;
use rust_xlsxwriter::{Format, Workbook};

/// Excel's limits.
const MAX_SHEET_NAME: usize = 31;
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;

/// A pure integer that Excel stores exactly and that is not an identifier in disguise:
/// optional `-`, 1–15 digits, no leading zero (except `0` itself).
fn as_excel_integer(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let ok = !digits.is_empty()
        && digits.len() <= 15
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s != "-0";
    if ok {
        s.parse::<i64>().ok().map(|i| i as f64)
    } else {
        None
    }
}

/// Approximate display width: CJK and other wide characters count double.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Makes a valid worksheet name: no `[]:*?/\`, not blank, at most 31 characters.
fn sanitize_sheet_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .take(MAX_SHEET_NAME)
        .collect();
    let cleaned = cleaned.trim_matches('\'').trim().to_owned();
    if cleaned.is_empty() {
        "Sheet1".to_owned()
    } else {
        cleaned
    }
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> SheetError {
    SheetError::Xlsx(e.to_string())
}

/// Writes a one-sheet workbook: bold, frozen header row; column widths fitted to the
/// content (8–60 characters, CJK counted double).
///
/// Values are written as text cells (with the Text number format, so re-typing keeps them
/// text), except pure integers of at most 15 digits without a leading zero, which become
/// numbers. ID numbers (18 characters), phone numbers with a leading zero, postcodes like
/// `010010` and any longer digit string therefore stay exact. A value is never written as a
/// formula. Invalid characters in `sheet_name` are replaced and it is cut to 31 characters.
pub fn write_xlsx<R>(sheet_name: &str, headers: &[&str], rows: R) -> Result<Vec<u8>, SheetError>
where
    R: IntoIterator<Item = Vec<String>>,
{
    let mut workbook = Workbook::new();
    add_sheet(&mut workbook, sheet_name, headers, rows)?;
    workbook.save_to_buffer().map_err(xlsx_err)
}

/// One sheet of a [`write_workbook`]: its name, header and rows.
pub struct SheetData<'a> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub rows: Vec<Vec<String>>,
}

/// Writes a workbook of several sheets, each as [`write_xlsx`] writes its one.
pub fn write_workbook(sheets: Vec<SheetData<'_>>) -> Result<Vec<u8>, SheetError> {
    let mut workbook = Workbook::new();
    for sheet in sheets {
        add_sheet(&mut workbook, sheet.name, sheet.headers, sheet.rows)?;
    }
    workbook.save_to_buffer().map_err(xlsx_err)
}

fn add_sheet<R>(
    workbook: &mut Workbook,
    sheet_name: &str,
    headers: &[&str],
    rows: R,
) -> Result<(), SheetError>
where
    R: IntoIterator<Item = Vec<String>>,
{
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let sheet = workbook.add_worksheet();
    sheet
        .set_name(sanitize_sheet_name(sheet_name))
        .map_err(xlsx_err)?;

    let mut widths: Vec<usize> = headers.iter().map(|h| display_width(h)).collect();
    for (c, h) in headers.iter().enumerate() {
        let col = u16::try_from(c).map_err(|_| SheetError::Xlsx("too many columns".into()))?;
        sheet
            .write_string_with_format(0, col, *h, &bold)
            .map_err(xlsx_err)?;
    }
    for (r, row) in rows.into_iter().enumerate() {
        let row_idx = u32::try_from(r + 1).map_err(|_| SheetError::Xlsx("too many rows".into()))?;
        for (c, value) in row.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| SheetError::Xlsx("too many columns".into()))?;
            if value.is_empty() {
                continue;
            }
            if let Some(n) = as_excel_integer(value) {
                sheet.write_number(row_idx, col, n).map_err(xlsx_err)?;
            } else {
                sheet
                    .write_string_with_format(row_idx, col, value, &text)
                    .map_err(xlsx_err)?;
            }
            let w = display_width(value);
            match widths.get_mut(c) {
                Some(cur) => *cur = (*cur).max(w),
                None => {
                    widths.resize(c, 0);
                    widths.push(w);
                }
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        let col = u16::try_from(c).map_err(|_| SheetError::Xlsx("too many columns".into()))?;
        let width = (w + 2).clamp(MIN_WIDTH, MAX_WIDTH);
        sheet
            .set_column_width(col, width as f64)
            .map_err(xlsx_err)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    Ok(())
}

/// Writes RFC 4180 CSV (CRLF line ends) in UTF-8 with a BOM, so that Excel opens Chinese
/// text correctly.
///
/// Fields are quoted when needed. To stop formula injection when the file is opened in a
/// spreadsheet program, a value starting with `=`, `+`, `-`, `@`, tab or CR that is not a
/// plain number is prefixed with `'`. Note that Excel still turns long digit strings (ID
/// numbers) in CSV into rounded numbers when it opens the file: give people xlsx
/// ([`write_xlsx`]) and keep CSV for machines.
pub fn write_csv<R>(headers: &[&str], rows: R) -> Vec<u8>
where
    R: IntoIterator<Item = Vec<String>>,
{
    let mut out = String::from("\u{FEFF}");
    write_csv_record(&mut out, headers.iter().copied());
    for row in rows {
        write_csv_record(&mut out, row.iter().map(String::as_str));
    }
    out.into_bytes()
}

fn write_csv_record<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let neutralize =
            field.starts_with(['=', '+', '-', '@', '\t', '\r']) && field.parse::<f64>().is_err();
        let needs_quotes = neutralize
            || field.contains([',', '"', '\r', '\n'])
            || field.starts_with(char::is_whitespace)
            || field.ends_with(char::is_whitespace);
        if needs_quotes {
            out.push('"');
            if neutralize {
                out.push('\'');
            }
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_detection() {
        assert_eq!(as_excel_integer("12345"), Some(12345.0));
        assert_eq!(as_excel_integer("0"), Some(0.0));
        assert_eq!(as_excel_integer("-42"), Some(-42.0));
        assert_eq!(
            as_excel_integer("999999999999999"),
            Some(999_999_999_999_999.0)
        );
        for s in [
            "1234567890123456",
            "0123",
            "11010519491231002X",
            "110105194912310021",
            "-0",
            "",
            "-",
            "1.5",
            "1e5",
            " 1",
        ] {
            assert_eq!(as_excel_integer(s), None, "{s}");
        }
    }

    #[test]
    fn sheet_names() {
        assert_eq!(sanitize_sheet_name("家庭/名单"), "家庭_名单");
        assert_eq!(sanitize_sheet_name("  "), "Sheet1");
        assert_eq!(sanitize_sheet_name(&"x".repeat(40)).len(), 31);
    }

    #[test]
    fn csv_quoting_and_injection() {
        let bytes = write_csv(
            &["a", "b"],
            vec![
                vec!["x,y".into(), "say \"hi\"".into()],
                vec!["=1+1".into(), "-5".into()],
            ],
        );
        let s = String::from_utf8(bytes).unwrap();
        assert_eq!(
            s,
            "\u{FEFF}a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\"'=1+1\",-5\r\n"
        );
    }
}
