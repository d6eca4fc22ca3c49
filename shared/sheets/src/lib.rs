//! Spreadsheet bytes in and out for Nuanxin (暖心) imports and exports.
//!
//! - [`read_table`] reads the first worksheet of an `.xlsx` (or legacy `.xls`) workbook, or a
//!   CSV file in UTF-8 (with or without BOM), GB18030/GBK (what Excel on a Chinese Windows
//!   saves as "CSV") or UTF-16 with BOM, into a [`Sheet`] of trimmed strings whose row
//!   numbers are the ones a spreadsheet user sees.
//! - [`write_xlsx`] and [`write_csv`] produce downloads.
//!
//! Everything works on byte slices; this crate never touches the file system.
//! `Debug` of [`Sheet`] and [`SheetRow`] shows shapes, never cell contents (which are
//! usually personal data).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod read;
mod write;

pub use read::read_table;
pub use write::{write_csv, write_workbook, write_xlsx, SheetData};

use std::fmt;

/// Errors from reading or writing spreadsheets. Messages never quote cell contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    /// Neither an xlsx/xls workbook nor text that could be CSV (e.g. a PDF or image).
    #[error("not a spreadsheet: expected an .xlsx workbook or a CSV file")]
    NotASpreadsheet,
    /// No header row: the file or first worksheet is empty.
    #[error("the spreadsheet is empty (no header row)")]
    Empty,
    /// Text that is neither valid UTF-8 nor GB18030/GBK.
    #[error("the CSV file is neither UTF-8 nor GBK/GB18030 text")]
    BadEncoding,
    /// The workbook could not be read or written.
    #[error("spreadsheet workbook error: {0}")]
    Xlsx(String),
    /// A CSV syntax error at a (1-based) row.
    #[error("CSV error at row {row}: {message}")]
    Csv {
        /// 1-based row (line) number.
        row: usize,
        /// What went wrong.
        message: String,
    },
}

impl SheetError {
    /// The message in Chinese, for import error reports in the web console.
    pub fn reason_zh(&self) -> String {
        match self {
            Self::NotASpreadsheet => "文件不是电子表格，请上传 .xlsx 或 CSV 文件".to_owned(),
            Self::Empty => "表格为空（没有表头行）".to_owned(),
            Self::BadEncoding => "CSV 文件编码无法识别，请另存为 UTF-8 或 GBK 编码".to_owned(),
            Self::Xlsx(m) => format!("无法读取或生成 Excel 文件：{m}"),
            Self::Csv { row, message } => format!("CSV 第{row}行格式错误：{message}"),
        }
    }
}

/// A table: a header row and the data rows below it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sheet {
    /// Header cells, trimmed, trailing empty headers dropped.
    pub headers: Vec<String>,
    /// Data rows that have at least one non-empty cell, in order.
    pub rows: Vec<SheetRow>,
}

impl Sheet {
    /// Index of the first header equal to `name` (both trimmed).
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.headers.iter().position(|h| h == name)
    }
}

impl fmt::Debug for Sheet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sheet")
            .field("headers", &self.headers)
            .field("rows", &self.rows.len())
            .finish()
    }
}

/// One data row.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SheetRow {
    /// 1-based row number as a spreadsheet user sees it (the header is usually row 1).
    /// Skipped empty rows still count, so error reports point at the right row.
    pub number: usize,
    /// Cell values as trimmed strings; trailing empty cells are dropped.
    pub cells: Vec<String>,
}

impl SheetRow {
    /// The cell in column `col` (0-based), or `""` past the end of the row.
    pub fn get(&self, col: usize) -> &str {
        self.cells.get(col).map_or("", String::as_str)
    }
}

impl fmt::Debug for SheetRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SheetRow")
            .field("number", &self.number)
            .field("cells", &self.cells.len())
            .finish()
    }
}
