//! Bounds on what a spreadsheet may hold, checked while it is read and before anything of
//! its size is allocated.

use crate::SheetError;
use std::fmt;

/// How large a spreadsheet [`read_table_with`](crate::read_table_with) accepts.
///
/// Rows and columns bound the position of every non-empty cell (so a single value at
/// `XFD1048576` is refused, whatever the rest of the sheet holds); cells bound the table as
/// it is kept (each row counts up to its last non-empty cell); unpacked bytes bound what an
/// xlsx archive declares it unpacks to (and the size of a CSV file); text bytes bound the
/// cell text kept, which shared strings could otherwise multiply far beyond the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetLimits {
    /// Highest row number (as the user sees it, the header included) a non-empty cell may have.
    pub max_rows: usize,
    /// Highest column number (A = 1) a non-empty cell may have.
    pub max_columns: usize,
    /// Cells kept over all rows, each row counted up to its last non-empty cell.
    pub max_cells: usize,
    /// Uncompressed bytes of an xlsx archive's entries together, or bytes of a CSV file.
    pub max_unpacked_bytes: u64,
    /// Bytes of cell text kept (UTF-8, after trimming).
    pub max_text_bytes: usize,
}

impl Default for SheetLimits {
    /// Enough for a district's register (the import layout has 52 columns), far below what
    /// would strain the service: 200,000 rows, 64 columns, 5,000,000 cells, 200 MB unpacked,
    /// 200 MB of text.
    fn default() -> Self {
        SheetLimits {
            max_rows: 200_000,
            max_columns: 64,
            max_cells: 5_000_000,
            max_unpacked_bytes: 200 * 1024 * 1024,
            max_text_bytes: 200 * 1024 * 1024,
        }
    }
}

/// Which of the [`SheetLimits`] a spreadsheet exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`SheetLimits::max_rows`]
    Rows,
    /// [`SheetLimits::max_columns`]
    Columns,
    /// [`SheetLimits::max_cells`]
    Cells,
    /// [`SheetLimits::max_unpacked_bytes`]
    UnpackedBytes,
    /// [`SheetLimits::max_text_bytes`]
    TextBytes,
}

impl Limit {
    /// The name used in API answers (`rows`, `columns`, `cells`, `unpacked_bytes`, `text_bytes`).
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Rows => "rows",
            Limit::Columns => "columns",
            Limit::Cells => "cells",
            Limit::UnpackedBytes => "unpacked_bytes",
            Limit::TextBytes => "text_bytes",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Column letters as a spreadsheet shows them: 1 → `A`, 27 → `AA`, 16384 → `XFD`.
pub(crate) fn column_letters(mut column: u64) -> String {
    let mut letters = Vec::new();
    while column > 0 {
        let rem = (column - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        column = (column - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Megabytes for messages, rounded up so a value just over a limit never reads as equal to it.
pub(crate) fn megabytes(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}

/// What a read has used of its limits so far.
pub(crate) struct Budget<'a> {
    limits: &'a SheetLimits,
    cells: usize,
    text: usize,
}

impl<'a> Budget<'a> {
    pub(crate) fn new(limits: &'a SheetLimits) -> Self {
        Budget {
            limits,
            cells: 0,
            text: 0,
        }
    }

    /// A non-empty cell at 1-based `row` and `column`.
    pub(crate) fn position(&self, row: usize, column: usize) -> Result<(), SheetError> {
        check(Limit::Rows, self.limits.max_rows, row)?;
        check(Limit::Columns, self.limits.max_columns, column)
    }

    /// `n` more cells are about to be kept.
    pub(crate) fn cells(&mut self, n: usize) -> Result<(), SheetError> {
        self.cells = self.cells.saturating_add(n);
        check(Limit::Cells, self.limits.max_cells, self.cells)
    }

    /// `n` more bytes of text are about to be kept.
    pub(crate) fn text(&mut self, n: usize) -> Result<(), SheetError> {
        self.text = self.text.saturating_add(n);
        check(Limit::TextBytes, self.limits.max_text_bytes, self.text)
    }

    /// A file that unpacks to `bytes`.
    pub(crate) fn unpacked(&self, bytes: u64) -> Result<(), SheetError> {
        if bytes > self.limits.max_unpacked_bytes {
            return Err(SheetError::TooLarge {
                limit: Limit::UnpackedBytes,
                max: self.limits.max_unpacked_bytes,
                value: bytes,
            });
        }
        Ok(())
    }
}

fn check(limit: Limit, max: usize, value: usize) -> Result<(), SheetError> {
    if value > max {
        return Err(SheetError::TooLarge {
            limit,
            max: max as u64,
            value: value as u64,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_as_excel_names_them() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(100), "CV");
        assert_eq!(column_letters(16_384), "XFD");
    }

    #[test]
    fn megabytes_round_up() {
        assert_eq!(megabytes(0), 0);
        assert_eq!(megabytes(1), 1);
        assert_eq!(megabytes(1024 * 1024), 1);
        assert_eq!(megabytes(1024 * 1024 + 1), 2);
    }

    #[test]
    fn budget_refuses_just_past_each_limit() {
        let limits = SheetLimits {
            max_rows: 10,
            max_columns: 3,
            max_cells: 5,
            max_unpacked_bytes: 100,
            max_text_bytes: 8,
        };
        let mut b = Budget::new(&limits);
        assert!(b.position(10, 3).is_ok());
        assert!(matches!(
            b.position(11, 1),
            Err(SheetError::TooLarge {
                limit: Limit::Rows,
                max: 10,
                value: 11
            })
        ));
        assert!(matches!(
            b.position(1, 4),
            Err(SheetError::TooLarge {
                limit: Limit::Columns,
                max: 3,
                value: 4
            })
        ));
        assert!(b.cells(5).is_ok());
        assert!(matches!(
            b.cells(1),
            Err(SheetError::TooLarge {
                limit: Limit::Cells,
                value: 6,
                ..
            })
        ));
        assert!(b.text(8).is_ok());
        assert!(b.text(1).is_err());
        assert!(b.unpacked(100).is_ok());
        assert!(matches!(
            b.unpacked(101),
            Err(SheetError::TooLarge {
                limit: Limit::UnpackedBytes,
                ..
            })
        ));
    }
}
