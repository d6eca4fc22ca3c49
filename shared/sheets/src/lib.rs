//! Spreadsheet bytes in and out for Nuanxin (暖心) imports and exports.
//!
//! - [`read_table_with`] reads the first worksheet of an `.xlsx` workbook, or a CSV file in
//!   UTF-8 (with or without BOM), GB18030/GBK (what Excel on a Chinese Windows saves as
//!   "CSV") or UTF-16 with BOM, into a [`Sheet`] of trimmed strings whose row numbers are the
//!   ones a spreadsheet user sees, within [`SheetLimits`] checked before anything of the
//!   sheet's size is allocated ([`read_table`]: the default limits). Legacy `.xls` files are
//!   refused: their reader allocates what the file declares.
//! - [`write_xlsx`] and [`write_csv`] produce downloads.
//!
//! Everything works on byte slices; this crate never touches the file system.
//! `Debug` of [`Sheet`] and [`SheetRow`] shows shapes, never cell contents (which are
//! usually personal data).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod limits;
mod read;
mod write;

pub use limits::{Limit, SheetLimits};
pub use read::{read_table, read_table_with};
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
    /// A legacy `.xls` (OLE) workbook: its reader builds every sheet at the size the file
    /// declares, so it cannot be bounded; Excel and WPS save it again as `.xlsx`.
    #[error("legacy .xls workbooks are not read: save the file as .xlsx")]
    LegacyXls,
    /// The spreadsheet exceeds one of the [`SheetLimits`]; nothing of its size was allocated.
    #[error("the spreadsheet exceeds the {limit} limit ({value} > {max})")]
    TooLarge {
        /// Which limit.
        limit: Limit,
        /// The limit's value.
        max: u64,
        /// What the file has or declares (the first value found over the limit: a row or
        /// column number, a count of cells or bytes).
        value: u64,
    },
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
            Self::LegacyXls => {
                "不支持旧版 Excel（.xls）文件，请在 Excel 或 WPS 中另存为 .xlsx 后上传".to_owned()
            }
            Self::TooLarge { limit, max, value } => match limit {
                Limit::Rows => {
                    format!("表格超过行数上限：第{value}行有内容，最多允许{max}行")
                }
                Limit::Columns => format!(
                    "表格超过列数上限：第{value}列（{}列）有内容，最多允许{max}列",
                    limits::column_letters(*value)
                ),
                Limit::Cells => format!("表格超过单元格数上限：最多允许{max}个单元格"),
                Limit::UnpackedBytes => format!(
                    "文件超过大小上限：解压后约{} MB，最多允许{} MB",
                    limits::megabytes(*value),
                    limits::megabytes(*max)
                ),
                Limit::TextBytes => format!(
                    "表格文字总量超过上限：最多允许{} MB",
                    limits::megabytes(*max)
                ),
            },
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
