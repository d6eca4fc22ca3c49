//! A policy owns its texts: parsing, evaluating and dropping many policies with distinct texts (as
//! `POST /policy/impact` does with every upload) gives all their memory back. One test in this binary,
//! so no other test allocates while it counts.

use std::alloc::System;

use nuanxin_policy::{evaluate, FamilyFacts, Policy};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A policy whose every text (codes, clause, payer, labels, compared texts) is unique to `i`.
fn policy_text(i: usize) -> String {
    format!(
        "tenant: demo
legal_basis: {{document_number: 演示〔2024〕{i}号, title: 演示政策{i}, in_force_from: 2024-01-01}}
parameters:
  min_wage_{i}: {{label: 最低工资标准第{i}版, unit: cny, values: {{2024-01-01: 2540}}}}
programs:
  - code: program_{i}
    title: 补助{i}
    clause: 第{i}条（一段足够长、各不相同的条款文字，以便泄漏可以被看见）
    unit: household
    period: month
    payer: payer_{i}
    must_apply: false
    amount: 300
    when:
      all:
        - {{fact: hukou_district, in: [district_{i}, demo]}}
        - {{fact: hukou_district, ne: elsewhere_{i}}}
        - {{fact: household.monthly_income_per_capita_cny, lt: {{param: min_wage_{i}}}}}
"
    )
}

#[test]
#[allow(clippy::unwrap_used)]
fn dropped_policies_give_their_texts_back() {
    let facts: FamilyFacts = serde_json::from_value(serde_json::json!({
        "kind": "bereaved", "hukou_district": "demo",
        "child": {"status": "deceased", "died_on": "2015-04-01"},
        "parents": [{"role": "mother", "birth_date": "1970-01-01", "alive": true}],
        "household": {"monthly_income_per_capita_cny": 2000, "prior_year_total_income_cny": 40000}
    }))
    .unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let round = |i: usize| {
        let policy = Policy::parse("upload.yaml", &policy_text(i)).unwrap();
        let eval = evaluate(&policy, &facts, as_of);
        assert_eq!(eval.entitlements.len(), 1);
        let json = eval.to_explained_json("demo", as_of).to_string();
        assert!(json.contains(&format!("payer_{i}")), "{json}");
    };
    // Warm-up: thread-local buffers and lazily built tables reach their size.
    for i in 0..3 {
        round(i);
    }
    let region = Region::new(GLOBAL);
    for i in 1000..1150 {
        round(i);
    }
    let s = region.change();
    // Growth by reallocation is already counted in bytes_allocated / bytes_deallocated. The test
    // harness may hold a few hundred bytes at the moment of counting; one leaked clause alone is over
    // 100 bytes a policy (15 KB for 150).
    let live = s.bytes_allocated as i64 - s.bytes_deallocated as i64;
    assert!(
        live < 4096,
        "150 policies with distinct texts left {live} bytes behind ({s:?})"
    );
}
