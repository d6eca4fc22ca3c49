//! Aggregates of one release: joint secondary suppression over linked tables, beside the one-table
//! rule (`nuanxin_privacy::suppress_small_cells` on each table alone) in the same run.
//!
//! `cargo bench -p nuanxin-sharing --bench aggregate [-- FAMILIES]` (default 100,000).

use std::time::Instant;

use nuanxin_privacy::suppress_small_cells;
use nuanxin_sharing::aggregate;

fn main() -> Result<(), nuanxin_sharing::AggregateError> {
    let families: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let streets: Vec<String> = (0..15).map(|i| format!("street{i:02}")).collect();
    let kinds = vec!["bereaved".to_string(), "disabled".to_string()];
    let bands: Vec<String> = nuanxin_sharing::AGE_BANDS
        .iter()
        .map(|b| b.0.to_string())
        .collect();
    let domains = vec![streets.clone(), kinds.clone(), bands.clone()];
    // Skewed and deterministic: street i holds a share falling with i, so the last streets have
    // small cells; the last street is tiny.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let records: Vec<Vec<String>> = (0..families)
        .map(|n| {
            let s = if n < 12 {
                14
            } else {
                (next() % 100).min(next() % 100) as usize * 14 / 100
            };
            let k = (next() % 5 == 0) as usize;
            let b = (next() % 5) as usize;
            vec![streets[s].clone(), kinds[k].clone(), bands[b].clone()]
        })
        .collect();
    let tables = vec![vec![0], vec![1], vec![0, 1], vec![0, 2]];

    let t = Instant::now();
    let joint = aggregate(&domains, &records, &tables, 5)?;
    let joint_time = t.elapsed();
    let hidden: usize = joint
        .tables
        .iter()
        .flatten()
        .filter(|c| c.suppressed)
        .count();

    // The reference: count the same tables, then suppress each one alone.
    let t = Instant::now();
    let counted = aggregate(&domains, &records, &tables, 0)?;
    let mut naive_hidden = 0;
    for cells in &counted.tables {
        let keyed = cells.iter().map(|c| (c.key.clone(), c.count.unwrap_or(0)));
        naive_hidden += suppress_small_cells(keyed, 5)
            .iter()
            .filter(|(_, c)| c.is_suppressed())
            .count();
    }
    let naive_time = t.elapsed();
    let cells: usize = joint.tables.iter().map(Vec::len).sum();
    println!(
        "{families} families, {cells} cells in 4 linked tables: joint suppression {:.1} ms ({hidden} hidden); \
         count + one table at a time {:.1} ms ({naive_hidden} hidden)",
        joint_time.as_secs_f64() * 1e3,
        naive_time.as_secs_f64() * 1e3
    );

    // Nested: 30 communities, two in each street, × kind × age band (300 possible atoms), tables
    // community × kind and street × age band.
    let communities: Vec<String> = (0..30)
        .map(|i| format!("street{:02}-{}", i / 2, i % 2))
        .collect();
    let domains = vec![
        streets.clone(),
        communities.clone(),
        kinds.clone(),
        bands.clone(),
    ];
    let nested: Vec<Vec<String>> = records
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let c = format!("{}-{}", r[0], n % 2);
            vec![r[0].clone(), c, r[1].clone(), r[2].clone()]
        })
        .collect();
    let tables = vec![vec![1, 2], vec![0, 3]];
    let t = Instant::now();
    let joint = nuanxin_sharing::aggregate_within(&domains, &nested, &tables, 5, |v| {
        v[1].starts_with(v[0])
    })?;
    let joint_time = t.elapsed();
    let hidden: usize = joint
        .tables
        .iter()
        .flatten()
        .filter(|c| c.suppressed)
        .count();
    let t = Instant::now();
    let counted = nuanxin_sharing::aggregate_within(&domains, &nested, &tables, 0, |v| {
        v[1].starts_with(v[0])
    })?;
    let mut naive_hidden = 0;
    for cells in &counted.tables {
        let keyed = cells.iter().map(|c| (c.key.clone(), c.count.unwrap_or(0)));
        naive_hidden += suppress_small_cells(keyed, 5)
            .iter()
            .filter(|(_, c)| c.is_suppressed())
            .count();
    }
    let naive_time = t.elapsed();
    let cells: usize = joint.tables.iter().map(Vec::len).sum();
    println!(
        "{families} families, nested communities, {cells} cells in 2 linked tables: joint suppression {:.1} ms \
         ({hidden} hidden); count + one table at a time {:.1} ms ({naive_hidden} hidden)",
        joint_time.as_secs_f64() * 1e3,
        naive_time.as_secs_f64() * 1e3
    );
    Ok(())
}
