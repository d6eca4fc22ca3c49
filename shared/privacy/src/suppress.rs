//! Small-cell suppression for published aggregate counts.

use std::fmt;

/// A published count: the number, or suppressed because it is too small to publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cell {
    /// Safe to show.
    Count(u64),
    /// Hidden (shown as `*`, or e.g. "<5" by the caller who knows `k`).
    Suppressed,
}

impl Cell {
    /// The count if it may be shown.
    pub fn count(self) -> Option<u64> {
        match self {
            Self::Count(n) => Some(n),
            Self::Suppressed => None,
        }
    }

    /// True if hidden.
    pub fn is_suppressed(self) -> bool {
        matches!(self, Self::Suppressed)
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Suppressed => f.write_str("*"),
        }
    }
}

/// Suppresses counts in `1..k` among cells that add up to a published total (one row or
/// column of a table, e.g. families per street).
///
/// - Primary suppression: every count with `0 < count < k` becomes [`Cell::Suppressed`].
///   Zero counts are shown (a zero discloses nobody).
/// - Complementary suppression: if exactly one cell was suppressed, its value could be
///   recovered as total − visible cells, so one more cell is suppressed: the smallest other
///   non-zero count, or if there is none, another (zero) cell.
///
/// Order is preserved. A table with a single cell cannot be protected this way: if it is
/// suppressed, the caller must not publish the total either. The same holds for a total
/// below `k`: check `total < k` before publishing it.
pub fn suppress_small_cells<K>(
    counts: impl IntoIterator<Item = (K, u64)>,
    k: u64,
) -> Vec<(K, Cell)> {
    let counts: Vec<(K, u64)> = counts.into_iter().collect();
    let primary: Vec<bool> = counts.iter().map(|(_, n)| *n > 0 && *n < k).collect();
    let mut hide = primary.clone();
    if primary.iter().filter(|h| **h).count() == 1 {
        let candidate = counts
            .iter()
            .enumerate()
            .filter(|(i, _)| !primary[*i])
            // Prefer the smallest non-zero count, then any zero cell.
            .min_by_key(|(i, (_, n))| (*n == 0, *n, *i))
            .map(|(i, _)| i);
        if let Some(i) = candidate {
            hide[i] = true;
        }
    }
    counts
        .into_iter()
        .zip(hide)
        .map(|((key, n), h)| (key, if h { Cell::Suppressed } else { Cell::Count(n) }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Cell::{Count, Suppressed};

    fn cells(v: &[(&'static str, u64)], k: u64) -> Vec<Cell> {
        suppress_small_cells(v.iter().copied(), k)
            .into_iter()
            .map(|(_, c)| c)
            .collect()
    }

    #[test]
    fn nothing_small() {
        assert_eq!(
            cells(&[("a", 10), ("b", 0), ("c", 5)], 5),
            vec![Count(10), Count(0), Count(5)]
        );
    }

    #[test]
    fn two_small_cells_need_no_complement() {
        assert_eq!(
            cells(&[("a", 10), ("b", 2), ("c", 3), ("d", 40)], 5),
            vec![Count(10), Suppressed, Suppressed, Count(40)]
        );
    }

    #[test]
    fn single_small_cell_gets_complement() {
        let out = suppress_small_cells(
            vec![("东街", 30u64), ("西街", 2), ("南街", 12), ("北街", 0)],
            5,
        );
        assert_eq!(
            out,
            vec![
                ("东街", Count(30)),
                ("西街", Suppressed),
                ("南街", Suppressed),
                ("北街", Count(0)),
            ]
        );
    }

    #[test]
    fn complement_falls_back_to_zero_cell() {
        assert_eq!(
            cells(&[("a", 3), ("b", 0), ("c", 0)], 5),
            vec![Suppressed, Suppressed, Count(0)]
        );
        assert_eq!(cells(&[("a", 3)], 5), vec![Suppressed]);
        assert!(cells(&[], 5).is_empty());
        assert_eq!(Suppressed.to_string(), "*");
        assert_eq!(Count(7).count(), Some(7));
    }
}
