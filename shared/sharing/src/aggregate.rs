//! Aggregates of one release with primary and secondary suppression across all its tables together.
//!
//! The model: every record of the release falls in one *atom*, a combination of one value per
//! dimension the release's tables use. A table's cell is a sum of atoms; the adversary knows every
//! published cell of every table and the release's total, and that atoms are non-negative integers.
//! A suppressed cell is safe when two atom tables consistent with all of that give it different
//! values. Suppression adds cells until every suppressed cell has such a witness: the real table,
//! and the real table moved by an integer vector of the published constraints' kernel that keeps
//! every atom non-negative and changes the cell. The witness is checked in exact integer arithmetic,
//! so the guarantee does not rest on the floating-point elimination that proposes it. A release's
//! program table (a family holds a set of programs) is suppressed with the others through
//! [`aggregate_with_held`].

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
    aggregate_joint(domains, records, tables, None, threshold, possible)
}

/// A set-valued dimension beside the others: each record holds a set of its values (the programs a
/// family is entitled to, in the order of the records), and its table counts, for each value, the
/// records that hold it.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    pub domain: &'a [String],
    pub records: &'a [Vec<String>],
}

/// [`aggregate_within`] with one more table, of a set-valued dimension, suppressed together with the
/// others: the tables of `tables` in order, then the held table (one cell per value of its domain).
///
/// A family counted in the program table is one of the families of the street table: suppressing the
/// program table on its own lets a shown program count minus shown street counts reveal a suppressed
/// cell. Here the atoms are the *profiles that occur* (one value per dimension and a set of held
/// values): a witness only moves families between profiles some family of the release really has, so
/// every alternative it proves is one the district's public policy allows (a program that follows from
/// the age band never appears beside another band). Fewer atoms than every combination can only hide
/// more, never less.
pub fn aggregate_with_held(
    domains: &[Vec<String>],
    records: &[Vec<String>],
    tables: &[Vec<usize>],
    held: Held<'_>,
    threshold: u64,
    possible: impl Fn(&[&str]) -> bool,
) -> Result<Aggregates, AggregateError> {
    aggregate_joint(domains, records, tables, Some(held), threshold, possible)
}

/// An atom: one value index per dimension and, with a held dimension, the indices of the held values.
struct Atom {
    digits: Vec<usize>,
    held: Vec<usize>,
}

fn aggregate_joint(
    domains: &[Vec<String>],
    records: &[Vec<String>],
    tables: &[Vec<usize>],
    held: Option<Held<'_>>,
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
    // The possible combinations, in mixed-radix order over the domains: every cell key comes from
    // them (a table lists its zero cells too).
    let mut combos: Vec<Vec<usize>> = Vec::new();
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
            combos.push(dg);
            if combos.len() > MAX_ATOMS {
                return Err(AggregateError::TooManyAtoms(combos.len()));
            }
        }
    }
    let combo_of: HashMap<&[usize], usize> = combos
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_slice(), i))
        .collect();
    let index: Vec<HashMap<&str, usize>> = domains
        .iter()
        .map(|d| d.iter().enumerate().map(|(i, v)| (v.as_str(), i)).collect())
        .collect();
    let held_index: HashMap<&str, usize> = held.map_or_else(HashMap::new, |h| {
        h.domain
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_str(), i))
            .collect()
    });
    // Without a held dimension every possible combination is an atom; with one, the profiles that
    // occur (see `aggregate_with_held`).
    let mut atoms: Vec<Atom> = Vec::new();
    let mut atom_of: HashMap<(usize, Vec<usize>), usize> = HashMap::new();
    if held.is_none() {
        for (c, dg) in combos.iter().enumerate() {
            atom_of.insert((c, Vec::new()), atoms.len());
            atoms.push(Atom {
                digits: dg.clone(),
                held: Vec::new(),
            });
        }
    }
    let mut x: Vec<u64> = vec![0; atoms.len()];
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
        let combo = *combo_of
            .get(dg.as_slice())
            .ok_or(AggregateError::Impossible { record: r })?;
        let mut set = Vec::new();
        if let Some(h) = held {
            for v in h.records.get(r).into_iter().flatten() {
                let &i =
                    held_index
                        .get(v.as_str())
                        .ok_or_else(|| AggregateError::OutsideDomain {
                            record: r,
                            dim: domains.len(),
                            value: v.clone(),
                        })?;
                set.push(i);
            }
            set.sort_unstable();
            set.dedup();
        }
        let a = match atom_of.get(&(combo, set.clone())) {
            Some(&a) => a,
            None => {
                atoms.push(Atom {
                    digits: dg.clone(),
                    held: set.clone(),
                });
                if atoms.len() > MAX_ATOMS {
                    return Err(AggregateError::TooManyAtoms(atoms.len()));
                }
                x.push(0);
                atom_of.insert((combo, set), atoms.len() - 1);
                atoms.len() - 1
            }
        };
        x[a] += 1;
    }
    let mut cells: Vec<CellDef> = Vec::new();
    for (t, dims) in tables.iter().enumerate() {
        let key_of = |digits: &[usize]| -> Vec<usize> { dims.iter().map(|&d| digits[d]).collect() };
        let mut by_key: BTreeMap<Vec<usize>, Vec<usize>> =
            combos.iter().map(|c| (key_of(c), Vec::new())).collect();
        for (a, atom) in atoms.iter().enumerate() {
            by_key.entry(key_of(&atom.digits)).or_default().push(a);
        }
        for (key, members) in by_key {
            let count = members.iter().map(|&a| x[a]).sum();
            let key = key
                .iter()
                .zip(dims)
                .map(|(&i, &d)| domains[d][i].clone())
                .collect();
            cells.push(CellDef {
                table: t,
                key,
                atoms: members,
                count,
            });
        }
    }
    if let Some(h) = held {
        for (i, value) in h.domain.iter().enumerate() {
            let members: Vec<usize> = (0..atoms.len())
                .filter(|&a| atoms[a].held.contains(&i))
                .collect();
            cells.push(CellDef {
                table: tables.len(),
                key: vec![value.clone()],
                count: members.iter().map(|&a| x[a]).sum(),
                atoms: members,
            });
        }
    }
    let hidden = suppress(&cells, &x, atoms.len(), threshold);
    let mut out = vec![Vec::new(); tables.len() + usize::from(held.is_some())];
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
