//! The attack on suppressed aggregates: an adversary who knows every published cell and the total
//! enumerates every table of non-negative integers consistent with them and tries to pin a
//! suppressed cell to a single value. It must fail, across linked tables of one release.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use nuanxin_privacy::{suppress_small_cells, Cell};
use nuanxin_sharing::{aggregate, Aggregates};
use proptest::prelude::*;

type Possible<'a> = &'a dyn Fn(&[&str]) -> bool;

fn anything(_: &[&str]) -> bool {
    true
}

/// The possible atoms (value combinations) as index tuples.
fn atoms_within(domains: &[Vec<String>], possible: Possible<'_>) -> Vec<Vec<usize>> {
    atoms(domains)
        .into_iter()
        .filter(|a| {
            let v: Vec<&str> = a
                .iter()
                .enumerate()
                .map(|(d, &i)| domains[d][i].as_str())
                .collect();
            possible(&v)
        })
        .collect()
}

/// All value combinations as index tuples.
fn atoms(domains: &[Vec<String>]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for d in domains {
        out = out
            .into_iter()
            .flat_map(|p| (0..d.len()).map(move |i| [p.clone(), vec![i]].concat()))
            .collect();
    }
    out
}

/// Atoms in the cell of `table` with `key`.
fn cell_atoms(
    domains: &[Vec<String>],
    possible: Possible<'_>,
    table: &[usize],
    key: &[String],
) -> Vec<usize> {
    atoms_within(domains, possible)
        .iter()
        .enumerate()
        .filter(|(_, a)| table.iter().zip(key).all(|(&d, k)| &domains[d][a[d]] == k))
        .map(|(i, _)| i)
        .collect()
}

/// Every value each target can take over all non-negative integer atom vectors summing to `total`
/// that satisfy every `(atoms, value)` constraint.
fn feasible_values(
    n: usize,
    total: u64,
    known: &[(Vec<usize>, u64)],
    targets: &[Vec<usize>],
) -> Vec<BTreeSet<u64>> {
    let mut out = vec![BTreeSet::new(); targets.len()];
    let mut x = vec![0u64; n];
    fn go(
        i: usize,
        left: u64,
        x: &mut Vec<u64>,
        known: &[(Vec<usize>, u64)],
        targets: &[Vec<usize>],
        out: &mut [BTreeSet<u64>],
    ) {
        let n = x.len();
        // Prune: no constraint may be exceeded by the atoms fixed so far.
        let over = known
            .iter()
            .any(|(a, v)| a.iter().filter(|&&j| j < i).map(|&j| x[j]).sum::<u64>() > *v);
        if over {
            return;
        }
        if i == n - 1 {
            x[i] = left;
            if known
                .iter()
                .all(|(a, v)| a.iter().map(|&j| x[j]).sum::<u64>() == *v)
            {
                for (t, o) in targets.iter().zip(out.iter_mut()) {
                    o.insert(t.iter().map(|&j| x[j]).sum());
                }
            }
            x[i] = 0;
            return;
        }
        for v in 0..=left {
            x[i] = v;
            go(i + 1, left - v, x, known, targets, out);
        }
        x[i] = 0;
    }
    go(0, total, &mut x, known, targets, &mut out);
    out
}

/// Runs the adversary on a published release: the suppressed cells it can pin.
fn pinned(
    domains: &[Vec<String>],
    tables: &[Vec<usize>],
    agg: &Aggregates,
) -> Vec<(usize, Vec<String>)> {
    pinned_within(domains, &anything, tables, agg)
}

/// The same, where only the combinations `possible` accepts can occur.
fn pinned_within(
    domains: &[Vec<String>],
    possible: Possible<'_>,
    tables: &[Vec<usize>],
    agg: &Aggregates,
) -> Vec<(usize, Vec<String>)> {
    let n = atoms_within(domains, possible).len();
    let mut known = Vec::new();
    let mut targets = Vec::new();
    for (t, cells) in tables.iter().zip(&agg.tables) {
        for c in cells {
            let a = cell_atoms(domains, possible, t, &c.key);
            match c.count {
                Some(v) => known.push((a, v)),
                None => targets.push(a),
            }
        }
    }
    let values = feasible_values(n, agg.total, &known, &targets);
    let mut out = Vec::new();
    let mut i = 0;
    for (t, cells) in agg.tables.iter().enumerate() {
        for c in cells.iter().filter(|c| c.suppressed) {
            assert!(!values[i].is_empty(), "the real table is always feasible");
            if values[i].len() < 2 {
                out.push((t, c.key.clone()));
            }
            i += 1;
        }
    }
    out
}

fn domains(sizes: &[usize]) -> Vec<Vec<String>> {
    sizes
        .iter()
        .enumerate()
        .map(|(d, &s)| (0..s).map(|i| format!("d{d}v{i}")).collect())
        .collect()
}

/// Records from counts per atom.
fn records(domains: &[Vec<String>], counts: &[u64]) -> Vec<Vec<String>> {
    records_within(domains, &anything, counts)
}

fn records_within(
    domains: &[Vec<String>],
    possible: Possible<'_>,
    counts: &[u64],
) -> Vec<Vec<String>> {
    atoms_within(domains, possible)
        .iter()
        .zip(counts)
        .flat_map(|(a, &c)| {
            let rec: Vec<String> = a
                .iter()
                .enumerate()
                .map(|(d, &i)| domains[d][i].clone())
                .collect();
            std::iter::repeat_n(rec, c as usize)
        })
        .collect()
}

/// streets s1, s2 × kinds bereaved, disabled: s1 has 3 bereaved and 10 disabled families, s2 8 and 9.
fn linked_example() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let d = vec![
        vec!["s1".to_string(), "s2".to_string()],
        vec!["bereaved".to_string(), "disabled".to_string()],
    ];
    let r = records(&d, &[3, 10, 8, 9]);
    (d, r)
}

#[test]
fn suppressing_linked_tables_one_at_a_time_leaks() {
    let (d, recs) = linked_example();
    let tables = vec![vec![0], vec![1], vec![0, 1]];
    // Each table alone through the one-table rule (primary + one complementary cell).
    let mut naive = aggregate(&d, &recs, &tables, 1).unwrap();
    for (t, cells) in naive.tables.iter_mut().enumerate() {
        let keyed: Vec<(usize, u64)> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.count.unwrap()))
            .collect();
        for (i, cell) in suppress_small_cells(keyed, 5) {
            cells[i].suppressed = cell == Cell::Suppressed;
            if cells[i].suppressed {
                cells[i].count = None;
            }
        }
        assert!(t < 2 || cells.iter().filter(|c| c.suppressed).count() == 2);
    }
    naive.threshold = 5;
    // Street s1 = 13 and s1·disabled = 10 are published: s1·bereaved = 3.
    let leaks = pinned(&d, &tables, &naive);
    assert!(
        leaks.contains(&(2, vec!["s1".to_string(), "bereaved".to_string()])),
        "{leaks:?}"
    );

    let joint = aggregate(&d, &recs, &tables, 5).unwrap();
    assert!(joint.tables[2].iter().any(|c| c.suppressed));
    assert_eq!(pinned(&d, &tables, &joint), vec![]);
}

#[test]
fn total_minus_shown_cells_cannot_recover_a_lone_small_cell() {
    let d = domains(&[4]);
    let recs = records(&d, &[3, 7, 9, 12]);
    let agg = aggregate(&d, &recs, &[vec![0]], 5).unwrap();
    let hidden: Vec<bool> = agg.tables[0].iter().map(|c| c.suppressed).collect();
    assert_eq!(
        hidden,
        [true, true, false, false],
        "the smallest other cell is the complement"
    );
    assert_eq!(agg.tables[0][2].count, Some(9));
    assert_eq!(pinned(&d, &[vec![0]], &agg), vec![]);
    assert_eq!(
        aggregate(&d, &records(&d, &[1, 1, 1, 0]), &[vec![0]], 5),
        Err(nuanxin_sharing::AggregateError::TooFew(3))
    );
}

#[test]
fn no_suppression_when_every_cell_is_large_or_zero() {
    let d = domains(&[2, 2]);
    let recs = records(&d, &[5, 0, 6, 9]);
    let agg = aggregate(&d, &recs, &[vec![0, 1], vec![0]], 5).unwrap();
    assert!(agg
        .tables
        .iter()
        .flatten()
        .all(|c| !c.suppressed && c.count.is_some()));
    assert_eq!(agg.total, 20);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Random small releases of up to three dimensions and several linked one- and two-dimension
    /// tables: the brute-force adversary pins no suppressed cell, and every primary cell is hidden.
    #[test]
    fn the_adversary_pins_nothing(
        sizes in prop::sample::select(vec![vec![2, 2], vec![3, 2], vec![2, 3], vec![2, 2, 2], vec![4], vec![5]]),
        raw in prop::collection::vec(0u64..7, 8),
        pick in prop::collection::vec(any::<bool>(), 6),
    ) {
        let d = domains(&sizes);
        let n = atoms(&d).len();
        let counts: Vec<u64> = raw.iter().take(n).copied().collect();
        prop_assume!(counts.iter().sum::<u64>() <= 14);
        let recs = records(&d, &counts);
        let mut all_tables: Vec<Vec<usize>> = (0..d.len()).map(|i| vec![i]).collect();
        for i in 0..d.len() {
            for j in i + 1..d.len() {
                all_tables.push(vec![i, j]);
            }
        }
        let mut tables: Vec<Vec<usize>> = all_tables.iter().zip(&pick).filter(|(_, p)| **p).map(|(t, _)| t.clone()).collect();
        if tables.is_empty() {
            tables.push(all_tables[all_tables.len() - 1].clone());
        }
        let Ok(agg) = aggregate(&d, &recs, &tables, 3) else {
            prop_assert!(recs.len() < 3);
            return Ok(());
        };
        for c in agg.tables.iter().flatten() {
            if let Some(v) = c.count {
                prop_assert!(v == 0 || v >= 3, "a small cell is shown");
            }
        }
        let leaks = pinned(&d, &tables, &agg);
        prop_assert!(leaks.is_empty(), "pinned {:?} in {:?}", leaks, agg);
    }
}

/// Streets s1 (communities s1-a, s1-b) and s2 (s2-a) × kinds: a community lies in one street.
fn nested() -> (Vec<Vec<String>>, impl Fn(&[&str]) -> bool) {
    let d = vec![
        vec!["s1".to_string(), "s2".to_string()],
        vec!["s1-a".to_string(), "s1-b".to_string(), "s2-a".to_string()],
        vec!["bereaved".to_string(), "disabled".to_string()],
    ];
    (d, |v: &[&str]| v[1].starts_with(v[0]))
}

#[test]
fn impossible_combinations_are_no_atoms() {
    let (d, possible) = nested();
    let bad = vec![vec!["s2".to_string(), "s1-a".to_string(), "bereaved".to_string()]; 6];
    assert_eq!(
        nuanxin_sharing::aggregate_within(&d, &bad, &[vec![0]], 5, &possible),
        Err(nuanxin_sharing::AggregateError::Impossible { record: 0 })
    );
    // Street s2 has one community: its cells are the community's, and hiding one hides the other.
    let recs = records_within(&d, &possible, &[6, 7, 8, 9, 2, 9]);
    let tables = vec![vec![0, 2], vec![1, 2]];
    let agg = nuanxin_sharing::aggregate_within(&d, &recs, &tables, 5, &possible).unwrap();
    assert_eq!(agg.tables[1].len(), 6, "only possible cells are published");
    let hidden = |t: usize, a: &str, b: &str| {
        agg.tables[t]
            .iter()
            .any(|c| c.suppressed && c.key == [a.to_string(), b.to_string()])
    };
    assert!(hidden(1, "s2-a", "bereaved") && hidden(0, "s2", "bereaved"));
    assert_eq!(pinned_within(&d, &possible, &tables, &agg), vec![]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Nested dimensions: the adversary knows which community lies in which street.
    #[test]
    fn the_adversary_pins_nothing_with_nested_dimensions(
        counts in prop::collection::vec(0u64..6, 6),
        pick in prop::collection::vec(any::<bool>(), 6),
    ) {
        let (d, possible) = nested();
        prop_assume!(counts.iter().sum::<u64>() <= 16);
        let recs = records_within(&d, &possible, &counts);
        let all = [vec![0], vec![1], vec![2], vec![0, 2], vec![1, 2], vec![0, 1]];
        let mut tables: Vec<Vec<usize>> = all.iter().zip(&pick).filter(|(_, p)| **p).map(|(t, _)| t.clone()).collect();
        if tables.is_empty() {
            tables.push(vec![1, 2]);
        }
        let Ok(agg) = nuanxin_sharing::aggregate_within(&d, &recs, &tables, 3, &possible) else {
            prop_assert!(recs.len() < 3);
            return Ok(());
        };
        let leaks = pinned_within(&d, &possible, &tables, &agg);
        prop_assert!(leaks.is_empty(), "pinned {:?} in {:?}", leaks, agg);
    }
}

/// A family of the program tests: its street and the programs it holds.
type Profile = (&'static str, &'static [&'static str]);

/// Families by profile: `(street, programs, how many)`.
fn families(profiles: &[(Profile, u64)]) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut streets = Vec::new();
    let mut held = Vec::new();
    for ((street, programs), n) in profiles {
        for _ in 0..*n {
            streets.push(vec![street.to_string()]);
            held.push(programs.iter().map(|p| p.to_string()).collect());
        }
    }
    (streets, held)
}

/// The adversary against a street table and a program table published together: it knows which
/// profiles (street, set of programs) occur — the strongest reading of a public policy — and
/// enumerates every count of families per profile consistent with the shown cells and the total.
/// Returns the suppressed cells it pins, as (table, key).
fn pinned_with_programs(
    streets: &[String],
    programs: &[String],
    profiles: &[Profile],
    total: u64,
    street_table: &[nuanxin_sharing::AggCell],
    program_table: &[nuanxin_sharing::AggCell],
) -> Vec<(usize, String)> {
    let atoms_of = |t: usize, key: &str| -> Vec<usize> {
        profiles
            .iter()
            .enumerate()
            .filter(|(_, (s, held))| {
                if t == 0 {
                    *s == key
                } else {
                    held.contains(&key)
                }
            })
            .map(|(i, _)| i)
            .collect()
    };
    let (mut known, mut targets, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for (t, (table, domain)) in [(street_table, streets), (program_table, programs)]
        .into_iter()
        .enumerate()
    {
        for (cell, key) in table.iter().zip(domain) {
            let atoms = atoms_of(t, key);
            match cell.count {
                Some(v) => known.push((atoms, v)),
                None => {
                    targets.push(atoms);
                    keys.push((t, key.clone()));
                }
            }
        }
    }
    let values = feasible_values(profiles.len(), total, &known, &targets);
    keys.into_iter()
        .zip(values)
        .filter(|(_, v)| v.len() < 2)
        .map(|(k, _)| k)
        .collect()
}

#[test]
fn a_program_count_minus_shown_streets_cannot_reveal_a_suppressed_street() {
    // 区卫生局's release: health_check follows from the families' age, which the policy makes public;
    // here every family of s1 and s2 holds it and none of s3. s1 has 3 families.
    let streets: Vec<String> = ["s1", "s2", "s3"].map(String::from).to_vec();
    let programs: Vec<String> = ["health_check", "legal_aid"].map(String::from).to_vec();
    let profiles: [Profile; 3] = [
        ("s1", &["health_check"]),
        ("s2", &["health_check"]),
        ("s3", &["legal_aid"]),
    ];
    let (records, held) = families(&[(profiles[0], 3), (profiles[1], 10), (profiles[2], 8)]);
    let held_dim = nuanxin_sharing::Held {
        domain: &programs,
        records: &held,
    };

    // One table at a time: the street table hides s1 and its complement s3; the program table alone
    // has nothing small. health_check 13 − s2 10 = s1 3.
    let streets_alone = aggregate(std::slice::from_ref(&streets), &records, &[vec![0]], 5).unwrap();
    let program_rows: Vec<Vec<String>> = held.iter().flatten().map(|p| vec![p.clone()]).collect();
    let programs_alone = aggregate(
        std::slice::from_ref(&programs),
        &program_rows,
        &[vec![0]],
        5,
    )
    .unwrap();
    assert!(programs_alone.tables[0].iter().all(|c| !c.suppressed));
    let leaks = pinned_with_programs(
        &streets,
        &programs,
        &profiles,
        21,
        &streets_alone.tables[0],
        &programs_alone.tables[0],
    );
    assert!(leaks.contains(&(0, "s1".to_string())), "{leaks:?}");

    // Together: the program table is the third table of the joint call, and nothing is pinned.
    let joint = nuanxin_sharing::aggregate_with_held(
        std::slice::from_ref(&streets),
        &records,
        &[vec![0]],
        held_dim,
        5,
        |_: &[&str]| true,
    )
    .unwrap();
    assert_eq!(joint.tables.len(), 2);
    assert_eq!(joint.tables[0][0].count, None, "s1 (3) is suppressed");
    assert!(
        joint.tables[1].iter().any(|c| c.suppressed),
        "a program count is hidden with it: {joint:?}"
    );
    assert_eq!(
        pinned_with_programs(
            &streets,
            &programs,
            &profiles,
            21,
            &joint.tables[0],
            &joint.tables[1]
        ),
        vec![]
    );
}

#[test]
fn a_small_program_count_is_suppressed_and_unknown_programs_are_refused() {
    let streets: Vec<String> = ["s1", "s2"].map(String::from).to_vec();
    let programs: Vec<String> = ["a", "b"].map(String::from).to_vec();
    let (records, held) = families(&[
        (("s1", &["a"]), 6),
        (("s2", &["a", "b"]), 2),
        (("s2", &["a"]), 5),
    ]);
    let joint = nuanxin_sharing::aggregate_with_held(
        std::slice::from_ref(&streets),
        &records,
        &[vec![0]],
        nuanxin_sharing::Held {
            domain: &programs,
            records: &held,
        },
        5,
        |_: &[&str]| true,
    )
    .unwrap();
    assert_eq!(joint.tables[1][1].count, None, "b is held by 2 families");
    assert_eq!(joint.total, 13);
    let mut bad = held.clone();
    bad[0].push("nothing".into());
    assert!(matches!(
        nuanxin_sharing::aggregate_with_held(
            &[streets],
            &records,
            &[vec![0]],
            nuanxin_sharing::Held {
                domain: &programs,
                records: &bad,
            },
            5,
            |_: &[&str]| true,
        ),
        Err(nuanxin_sharing::AggregateError::OutsideDomain {
            record: 0,
            dim: 1,
            ..
        })
    ));
}

/// Every profile of two streets and two programs.
const PROFILES: [Profile; 8] = [
    ("s1", &[]),
    ("s1", &["a"]),
    ("s1", &["b"]),
    ("s1", &["a", "b"]),
    ("s2", &[]),
    ("s2", &["a"]),
    ("s2", &["b"]),
    ("s2", &["a", "b"]),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Random small releases over two streets and two programs: the brute-force adversary, knowing
    /// which profiles occur, pins no suppressed cell of either table, and no small cell is shown.
    #[test]
    fn the_adversary_pins_nothing_across_the_program_table(
        counts in prop::collection::vec(0u64..5, 8),
    ) {
        prop_assume!(counts.iter().sum::<u64>() <= 12);
        let streets: Vec<String> = ["s1", "s2"].map(String::from).to_vec();
        let programs: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let occurring: Vec<(Profile, u64)> =
            PROFILES.iter().copied().zip(counts.iter().copied()).filter(|(_, n)| *n > 0).collect();
        let (records, held) = families(&occurring);
        let Ok(joint) = nuanxin_sharing::aggregate_with_held(
            std::slice::from_ref(&streets),
            &records,
            &[vec![0]],
            nuanxin_sharing::Held { domain: &programs, records: &held },
            3,
            |_: &[&str]| true,
        ) else {
            prop_assert!(records.len() < 3);
            return Ok(());
        };
        for c in joint.tables.iter().flatten() {
            if let Some(v) = c.count {
                prop_assert!(v == 0 || v >= 3, "a small cell is shown");
            }
        }
        let profiles: Vec<Profile> = occurring.iter().map(|(p, _)| *p).collect();
        let leaks = pinned_with_programs(
            &streets,
            &programs,
            &profiles,
            joint.total,
            &joint.tables[0],
            &joint.tables[1],
        );
        prop_assert!(leaks.is_empty(), "pinned {:?} in {:?}", leaks, joint);
    }
}
