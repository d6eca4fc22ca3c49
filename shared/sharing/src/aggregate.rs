//! Aggregates of one release with primary and secondary suppression across all its tables together.
//!
//! The model: every record of the release falls in one *atom*, a combination of one value per
//! dimension the release's tables use. A table's cell is a sum of atoms; the adversary knows every
//! published cell of every table and the release's total, and that atoms are non-negative integers.
//! A suppressed cell is safe when two atom tables consistent with all of that give it different
//! values. Suppression adds cells until every suppressed cell has such a witness: the real table,
//! and the real table moved by an integer vector of the published constraints' kernel that keeps
//! every atom non-negative and changes the cell. The witness is checked in exact integer arithmetic,
//! so the guarantee does not rest on the floating-point elimination that proposes it.

use std::collections::{BTreeMap, HashMap};

/// A published cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggCell {
    /// One value per dimension of its table.
    pub key: Vec<String>,
    /// `None` when suppressed.
    pub count: Option<u64>,
    pub suppressed: bool,
}

/// The suppressed tables of one release, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregates {
    pub threshold: u64,
    pub total: u64,
    pub tables: Vec<Vec<AggCell>>,
}

/// Why aggregates cannot be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    #[error("a table must have one or two dimensions (table {0})")]
    BadTable(usize),
    #[error("record {record} has value `{value}` outside dimension {dim}'s domain")]
    OutsideDomain {
        record: usize,
        dim: usize,
        value: String,
    },
    #[error(
        "the release has {0} families, fewer than the threshold: no aggregate may be published"
    )]
    TooFew(u64),
    #[error("the tables span more than {MAX_ATOMS} possible combinations of values ({0})")]
    TooManyAtoms(usize),
    #[error("record {record} is in a combination of values that cannot occur")]
    Impossible { record: usize },
}

/// The most possible value combinations (atoms) one release's tables may span.
pub const MAX_ATOMS: usize = 4096;

/// The most combinations examined for possibility (the product of the domains' sizes).
pub const MAX_COMBINATIONS: usize = 1 << 20;

/// One table's cells: for each cell its key, its atoms, and its count.
struct CellDef {
    table: usize,
    key: Vec<String>,
    atoms: Vec<usize>,
    count: u64,
}

/// Counts `records` (one value per dimension, in the order of `domains`) into `tables` (each one or
/// two dimension indices) and suppresses: cells in `1..threshold`, then more cells until no
/// suppressed cell of any table can be pinned from the published cells and the total. Every
/// combination of values is assumed possible; see [`aggregate_within`] for nested dimensions.
pub fn aggregate(
    domains: &[Vec<String>],
    records: &[Vec<String>],
    tables: &[Vec<usize>],
    threshold: u64,
) -> Result<Aggregates, AggregateError> {
    aggregate_within(domains, records, tables, threshold, |_| true)
}

/// [`aggregate`] where only the combinations `possible` accepts can occur (a community lies in one
/// street): the adversary knows the org structure, so an impossible combination is no atom and no
/// witness may move a family into it. A record in an impossible combination is an error.
pub fn aggregate_within(
    domains: &[Vec<String>],
    records: &[Vec<String>],
    tables: &[Vec<usize>],
    threshold: u64,
    possible: impl Fn(&[&str]) -> bool,
) -> Result<Aggregates, AggregateError> {
    for (i, t) in tables.iter().enumerate() {
        if t.is_empty()
            || t.len() > 2
            || t.iter().any(|d| *d >= domains.len())
            || (t.len() == 2 && t[0] == t[1])
        {
            return Err(AggregateError::BadTable(i));
        }
    }
    let total = records.len() as u64;
    if total < threshold {
        return Err(AggregateError::TooFew(total));
    }
    let product = domains
        .iter()
        .try_fold(1usize, |acc, d| acc.checked_mul(d.len()))
        .filter(|n| *n <= MAX_COMBINATIONS)
        .ok_or(AggregateError::TooManyAtoms(usize::MAX))?;
    // Atoms: the possible combinations, in mixed-radix order over the domains.
    let mut atom_digits: Vec<Vec<usize>> = Vec::new();
    for mut a in 0..product {
        let mut dg = vec![0usize; domains.len()];
        for d in (0..domains.len()).rev() {
            dg[d] = a % domains[d].len();
            a /= domains[d].len();
        }
        let values: Vec<&str> = dg
            .iter()
            .enumerate()
            .map(|(d, &i)| domains[d][i].as_str())
            .collect();
        if possible(&values) {
            atom_digits.push(dg);
            if atom_digits.len() > MAX_ATOMS {
                return Err(AggregateError::TooManyAtoms(atom_digits.len()));
            }
        }
    }
    let n_atoms = atom_digits.len();
    let atom_of: HashMap<&[usize], usize> = atom_digits
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_slice(), i))
        .collect();
    let index: Vec<HashMap<&str, usize>> = domains
        .iter()
        .map(|d| d.iter().enumerate().map(|(i, v)| (v.as_str(), i)).collect())
        .collect();
    let mut x = vec![0u64; n_atoms];
    let mut dg = vec![0usize; domains.len()];
    for (r, rec) in records.iter().enumerate() {
        for (d, idx) in index.iter().enumerate() {
            let v = rec.get(d).map(String::as_str).unwrap_or("");
            let Some(&i) = idx.get(v) else {
                return Err(AggregateError::OutsideDomain {
                    record: r,
                    dim: d,
                    value: v.to_string(),
                });
            };
            dg[d] = i;
        }
        let a = *atom_of
            .get(dg.as_slice())
            .ok_or(AggregateError::Impossible { record: r })?;
        x[a] += 1;
    }
    let mut cells: Vec<CellDef> = Vec::new();
    for (t, dims) in tables.iter().enumerate() {
        let mut by_key: BTreeMap<Vec<usize>, Vec<usize>> = BTreeMap::new();
        for (a, dg) in atom_digits.iter().enumerate() {
            by_key
                .entry(dims.iter().map(|&d| dg[d]).collect())
                .or_default()
                .push(a);
        }
        for (key, atoms) in by_key {
            let count = atoms.iter().map(|&a| x[a]).sum();
            let key = key
                .iter()
                .zip(dims)
                .map(|(&i, &d)| domains[d][i].clone())
                .collect();
            cells.push(CellDef {
                table: t,
                key,
                atoms,
                count,
            });
        }
    }
    let hidden = suppress(&cells, &x, n_atoms, threshold);
    let mut out = vec![Vec::new(); tables.len()];
    for (c, h) in cells.iter().zip(&hidden) {
        out[c.table].push(AggCell {
            key: c.key.clone(),
            count: (!h).then_some(c.count),
            suppressed: *h,
        });
    }
    Ok(Aggregates {
        threshold,
        total,
        tables: out,
    })
}

/// Primary then secondary suppression; returns which cells are hidden.
fn suppress(cells: &[CellDef], x: &[u64], n_atoms: usize, k: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = cells.iter().map(|c| c.count > 0 && c.count < k).collect();
    loop {
        let basis = kernel(cells, &hidden, n_atoms);
        let Some(exposed) =
            (0..cells.len()).find(|&c| hidden[c] && !has_witness(&basis, &cells[c], x))
        else {
            return hidden;
        };
        // Hide one more cell: of the exposed cell's table first (sharing a row or column value
        // before others), the smallest non-zero count first; else of any table.
        let share = |o: &CellDef| o.key.iter().zip(&cells[exposed].key).any(|(a, b)| a == b);
        let pick = (0..cells.len()).filter(|&o| !hidden[o]).min_by_key(|&o| {
            let c = &cells[o];
            (
                c.table != cells[exposed].table,
                !share(c),
                c.count == 0,
                c.count,
                o,
            )
        });
        match pick {
            Some(o) => hidden[o] = true,
            // Everything is hidden: with a positive total, a unit moves into or out of any cell
            // that does not cover every atom, and a cell that does equals the published total.
            None => return hidden,
        }
    }
}

/// The published constraints: the total (all atoms) and every shown cell.
fn published_rows(cells: &[CellDef], hidden: &[bool], n_atoms: usize) -> Vec<Vec<f64>> {
    let mut rows = vec![vec![1.0; n_atoms]];
    for (c, h) in cells.iter().zip(hidden) {
        if !h {
            let mut r = vec![0.0; n_atoms];
            for &a in &c.atoms {
                r[a] = 1.0;
            }
            rows.push(r);
        }
    }
    rows
}

/// Integer basis of the kernel of the published constraints (proposed in floating point, each
/// vector kept only if exactly in the kernel).
fn kernel(cells: &[CellDef], hidden: &[bool], n_atoms: usize) -> Vec<Vec<i64>> {
    let mut m = published_rows(cells, hidden, n_atoms);
    let mut pivots: Vec<(usize, usize)> = Vec::new();
    let mut row = 0;
    for col in 0..n_atoms {
        let Some(p) = (row..m.len()).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
        else {
            break;
        };
        if m[p][col].abs() < 1e-9 {
            continue;
        }
        m.swap(row, p);
        let pv = m[row][col];
        for v in m[row].iter_mut() {
            *v /= pv;
        }
        let pivot_row = m[row].clone();
        for (r, other) in m.iter_mut().enumerate() {
            if r != row && other[col].abs() > 1e-12 {
                let f = other[col];
                for (o, p) in other.iter_mut().zip(&pivot_row) {
                    *o -= f * p;
                }
            }
        }
        pivots.push((row, col));
        row += 1;
        if row == m.len() {
            break;
        }
    }
    let pivot_cols: Vec<usize> = pivots.iter().map(|p| p.1).collect();
    let exact = published_int(cells, hidden);
    (0..n_atoms)
        .filter(|c| !pivot_cols.contains(c))
        .filter_map(|free| {
            let mut v = vec![0.0; n_atoms];
            v[free] = 1.0;
            for &(r, pc) in &pivots {
                v[pc] = -m[r][free];
            }
            let mult = (1..=24).find(|&s| {
                v.iter()
                    .all(|e| ((e * f64::from(s)) - (e * f64::from(s)).round()).abs() < 1e-6)
            })?;
            let iv: Vec<i64> = v
                .iter()
                .map(|e| (e * f64::from(mult)).round() as i64)
                .collect();
            in_kernel(&exact, &iv).then_some(iv)
        })
        .collect()
}

/// The published constraints as atom lists (the total first).
fn published_int(cells: &[CellDef], hidden: &[bool]) -> Vec<Option<Vec<usize>>> {
    std::iter::once(None)
        .chain(
            cells
                .iter()
                .zip(hidden)
                .filter(|(_, h)| !**h)
                .map(|(c, _)| Some(c.atoms.clone())),
        )
        .collect()
}

fn in_kernel(rows: &[Option<Vec<usize>>], d: &[i64]) -> bool {
    rows.iter().all(|r| match r {
        None => d.iter().sum::<i64>() == 0,
        Some(atoms) => atoms.iter().map(|&a| d[a]).sum::<i64>() == 0,
    })
}

/// The most second vectors tried with each basis vector that moves the cell.
const MAX_PARTNERS: usize = 256;

/// Whether some kernel move (a basis vector, or the sum or difference of one that moves the cell
/// with another, either sign) keeps every atom non-negative and changes `cell`.
fn has_witness(basis: &[Vec<i64>], cell: &CellDef, x: &[u64]) -> bool {
    let moves_cell = |d: &[i64]| cell.atoms.iter().map(|&a| d[a]).sum::<i64>() != 0;
    let fits = |d: &[i64], sign: i64| d.iter().zip(x).all(|(di, &xi)| xi as i64 + sign * di >= 0);
    let ok = |d: &[i64]| moves_cell(d) && (fits(d, 1) || fits(d, -1));
    if basis.iter().any(|v| ok(v)) {
        return true;
    }
    let touching = basis
        .iter()
        .filter(|v| cell.atoms.iter().any(|&a| v[a] != 0));
    for v in touching {
        for w in basis.iter().take(MAX_PARTNERS) {
            for sign in [1, -1] {
                let d: Vec<i64> = v.iter().zip(w).map(|(a, b)| a + sign * b).collect();
                if ok(&d) {
                    return true;
                }
            }
        }
    }
    false
}
