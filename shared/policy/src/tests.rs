//! Unit tests: load errors (file + line + kind), age arithmetic, dated parameters, in-force period.

use chrono::NaiveDate;

use crate::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const BASE: &str = "\
tenant: demo
legal_basis:
  document_number: 演示〔2024〕1号
  title: 演示政策
  in_force_from: 2024-01-01
  in_force_until: 2024-12-31
parameters:
  min_wage:
    label: 最低工资标准
    unit: cny
    values:
      2023-09-01: 2420
      2024-09-01: 2540
  start_age:
    label: 起始年龄
    unit: years
    values:
      2024-01-01: 45
  standard:
    label: 补助标准
    unit: cny
    values: {}
programs:
  - code: low_income
    title: 低收入补助
    clause: 三（一）
    unit: household
    period: month
    payer: street_office
    must_apply: false
    amount: {param: standard}
    when:
      fact: household.monthly_income_per_capita_cny
      lt: {param: min_wage}
  - code: aged
    title: 年龄待遇
    clause: 三（二）
    unit: person
    period: year
    payer: street_office
    must_apply: false
    amount: 300
    when:
      fact: person.age
      gte: {param: start_age}
";

fn facts(mother_birth: &str, income: i64) -> FamilyFacts {
    serde_json::from_value(serde_json::json!({
        "kind": "bereaved",
        "hukou_district": "demo",
        "child": {"status": "deceased", "died_on": "2020-01-01"},
        "parents": [
            {"role": "mother", "birth_date": mother_birth, "alive": true,
             "self_care": "full", "sanwu": false, "care": "home", "nursing_home_in_district": false,
             "major_illness_hospitalized_on": null, "out_of_pocket_medical_cny": 0,
             "fertility_treatment_since": null, "wants_home_services": false},
            {"role": "father", "birth_date": "1950-01-01", "alive": false}
        ],
        "household": {"monthly_income_per_capita_cny": income, "prior_year_total_income_cny": 30000},
        "rebirth": {"assisted_reproduction_birth_on": null}
    }))
    .unwrap()
}

/// Replaces `from` (which must occur) in BASE and parses.
fn parse_variant(from: &str, to: &str) -> Result<Policy, PolicyError> {
    assert!(BASE.contains(from), "{from}");
    Policy::parse("demo/policy.yaml", &BASE.replacen(from, to, 1))
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn base_parses() {
    let p = Policy::parse("demo/policy.yaml", BASE).unwrap();
    assert_eq!(p.tenant(), "demo");
    assert_eq!(p.programs().len(), 2);
    assert_eq!(p.programs()[0].basis, "演示〔2024〕1号 三（一）");
    assert_eq!(p.legal_basis().in_force_until, Some(d("2024-12-31")));
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Policy>();
    assert_send_sync::<Evaluation>();
}

#[test]
fn unknown_field_names_file_and_line() {
    let src = BASE.replacen(
        "    must_apply: false\n    amount: 300",
        "    must_apply: false\n    amont: 300",
        1,
    );
    let e = Policy::parse("demo/policy.yaml", &src).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownField);
    assert_eq!(e.file, "demo/policy.yaml");
    assert_eq!(e.line, line_of(&src, "amont"));
    assert!(e
        .to_string()
        .starts_with(&format!("demo/policy.yaml:{}:", e.line)));
    assert!(e.message.contains("amont"), "{e}");
}

#[test]
fn unknown_fact_names_line() {
    let e = parse_variant("fact: person.age", "fact: person.agee").unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownFact);
    assert_eq!(e.line, line_of(BASE, "fact: person.age"));
    assert!(e.message.contains("person.agee"));
}

#[test]
fn person_fact_in_household_program_is_rejected() {
    let e = parse_variant(
        "fact: household.monthly_income_per_capita_cny",
        "fact: person.out_of_pocket_medical_cny",
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownFact);
    assert_eq!(
        e.line,
        line_of(BASE, "fact: household.monthly_income_per_capita_cny")
    );
}

#[test]
fn missing_clause_names_line() {
    let e = parse_variant("    clause: 三（二）\n", "").unwrap_err();
    assert_eq!(e.kind, ErrorKind::MissingClause);
    assert!(e.message.contains("aged"));
    let e = parse_variant("clause: 三（二）", "clause: \"\"").unwrap_err();
    assert_eq!(e.kind, ErrorKind::MissingClause);
    assert_eq!(e.line, line_of(BASE, "clause: 三（二）"));
}

#[test]
fn unknown_parameter_names_line() {
    let e = parse_variant("lt: {param: min_wage}", "lt: {param: min_wages}").unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownParameter);
    assert_eq!(e.line, line_of(BASE, "lt: {param: min_wage}"));
    let e = parse_variant("amount: {param: standard}", "amount: {param: nope}").unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownParameter);
    assert_eq!(e.line, line_of(BASE, "amount: {param: standard}"));
}

#[test]
fn overlapping_parameter_dates_name_line() {
    let src = BASE.replacen(
        "      2024-09-01: 2540",
        "      2024-09-01: 2540\n      2024-09-01: 2600",
        1,
    );
    let e = Policy::parse("demo/policy.yaml", &src).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OverlappingDates);
    assert_eq!(e.line, line_of(&src, "2024-09-01: 2600"));
    assert!(e.message.contains("2024-09-01"), "{e}");
}

#[test]
fn duplicate_program_code_names_line() {
    let src = BASE.replacen("  - code: aged", "  - code: low_income", 1);
    let e = Policy::parse("demo/policy.yaml", &src).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DuplicateProgram);
    let lines: Vec<usize> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("- code: low_income"))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(e.line, lines[1]);
    assert!(
        e.message
            .contains(&format!("first defined at line {}", lines[0])),
        "{e}"
    );
}

#[test]
fn bad_unit_and_period_name_line() {
    let e = parse_variant("unit: person", "unit: people").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadUnit);
    assert_eq!(e.line, line_of(BASE, "unit: person"));
    let e = parse_variant("period: month", "period: monthly").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadPeriod);
    assert_eq!(e.line, line_of(BASE, "period: month"));
}

#[test]
fn type_mismatch_and_bad_values() {
    // Age compared with a money parameter.
    let e = parse_variant("gte: {param: start_age}", "gte: {param: min_wage}").unwrap_err();
    assert_eq!(e.kind, ErrorKind::TypeMismatch);
    // Unknown code of a coded fact.
    let src = BASE.replacen(
        "      fact: person.age\n      gte: {param: start_age}",
        "      fact: kind\n      eq: bereft",
        1,
    );
    let e = Policy::parse("demo/policy.yaml", &src).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadValue);
    assert_eq!(e.line, line_of(&src, "eq: bereft"));
    // Floats are not amounts.
    let e = parse_variant("amount: 300", "amount: 300.5").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadValue);
    // YAML syntax error has a line.
    let e = Policy::parse("x.yaml", "tenant: a\nprograms: [\n").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.line >= 2);
}

#[test]
fn age_is_full_years_with_leap_day_rule() {
    assert_eq!(age_on(d("1980-06-15"), d("2025-06-14")), 44);
    assert_eq!(age_on(d("1980-06-15"), d("2025-06-15")), 45);
    assert_eq!(age_on(d("1980-06-15"), d("2025-12-31")), 45);
    // Born on 29 February: one year older on 1 March in a common year, on 29 February in a leap year.
    assert_eq!(age_on(d("1980-02-29"), d("2025-02-28")), 44);
    assert_eq!(age_on(d("1980-02-29"), d("2025-03-01")), 45);
    assert_eq!(age_on(d("1980-02-29"), d("2024-02-28")), 43);
    assert_eq!(age_on(d("1980-02-29"), d("2024-02-29")), 44);
    assert_eq!(days_between(d("2024-06-16"), d("2025-06-15")), 364);
    assert_eq!(days_between(d("2024-06-15"), d("2025-06-15")), 365);
}

#[test]
fn dated_parameter_in_force_on_the_date() {
    let p = Policy::parse("demo/policy.yaml", BASE).unwrap();
    let w = p.parameter("min_wage").unwrap();
    assert_eq!(w.value_on(d("2023-08-31")), None);
    assert_eq!(w.value_on(d("2024-08-31")), Some(2420));
    assert_eq!(w.value_on(d("2024-09-01")), Some(2540));
    // 2500 is below 2540 from 2024-09-01 but not below 2420 the day before.
    let f = facts("1970-01-01", 2500);
    assert!(evaluate(&p, &f, d("2024-08-31"))
        .entitlement("low_income", None)
        .is_none());
    let e = evaluate(&p, &f, d("2024-09-01"));
    let ent = e.entitlement("low_income", None).unwrap();
    assert_eq!(ent.amount_cny, None);
    assert!(ent
        .reasons
        .iter()
        .any(|r| r.to_string() == "家庭月人均收入2500元，低于最低工资标准2540元"));
    assert!(
        e.notices.iter().any(|n| n.contains("standard")),
        "{:?}",
        e.notices
    );
}

#[test]
fn with_parameter_value_adds_and_rejects() {
    let p = Policy::parse("demo/policy.yaml", BASE).unwrap();
    let p2 = p
        .with_parameter_value("standard", d("2024-06-01"), ParamValue::Int(800))
        .unwrap();
    let f = facts("1970-01-01", 1000);
    assert_eq!(
        evaluate(&p, &f, d("2024-07-01"))
            .entitlement("low_income", None)
            .unwrap()
            .amount_cny,
        None
    );
    let e = evaluate(&p2, &f, d("2024-07-01"));
    assert_eq!(
        e.entitlement("low_income", None).unwrap().amount_cny,
        Some(800)
    );
    assert!(e.notices.is_empty());
    assert_eq!(
        evaluate(&p2, &f, d("2024-05-31"))
            .entitlement("low_income", None)
            .unwrap()
            .amount_cny,
        None
    );
    let e = p2
        .with_parameter_value("standard", d("2024-06-01"), ParamValue::Int(900))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::OverlappingDates);
    let e = p
        .with_parameter_value("nope", d("2024-06-01"), ParamValue::Int(1))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownParameter);
    assert!(e.message.contains("nope"));
}

#[test]
fn outside_in_force_period_no_entitlements_and_notice() {
    let p = Policy::parse("demo/policy.yaml", BASE).unwrap();
    let f = facts("1970-01-01", 1000);
    for date in ["2023-12-31", "2025-01-01"] {
        let e = evaluate(&p, &f, d(date));
        assert!(e.entitlements.is_empty());
        assert_eq!(e.notices.len(), 1);
        assert!(e.notices[0].contains("演示〔2024〕1号"));
        assert!(e.notices[0].contains("2024年1月1日至2024年12月31日"));
    }
    assert!(!evaluate(&p, &f, d("2024-12-31")).entitlements.is_empty());
}

#[test]
fn person_programs_per_living_parent_and_misses_explained() {
    let p = Policy::parse("demo/policy.yaml", BASE).unwrap();
    let e = evaluate(&p, &facts("1979-06-16", 3000), d("2024-06-15"));
    assert!(e.entitlement("aged", Some(Role::Mother)).is_none());
    // The father is dead: no person entitlement and no miss for him.
    assert!(e.missed.iter().all(|m| m.person != Some(Role::Father)));
    let miss = e.missed.iter().find(|m| m.program == "aged").unwrap();
    assert_eq!(miss.sentence(), "母亲未满45周岁（44岁）");
    let e = evaluate(&p, &facts("1979-06-15", 3000), d("2024-06-15"));
    let ent = e.entitlement("aged", Some(Role::Mother)).unwrap();
    assert_eq!(ent.reasons[0].to_string(), "母亲已满45周岁（45岁）");
}

#[test]
fn output_json_has_the_contract_shape() {
    let p = Policy::parse("demo/policy.yaml", BASE).unwrap();
    let e = evaluate(&p, &facts("1970-01-01", 3000), d("2024-06-15"));
    let v = e.to_output_json("demo", d("2024-06-15"));
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["tenant", "as_of", "notices", "entitlements"]);
    assert_eq!(
        v["entitlements"][0],
        serde_json::json!({
            "program": "aged", "person": "mother", "amount_cny": 300, "period": "year",
            "payer": "street_office", "basis": "演示〔2024〕1号 三（二）",
            "reasons": ["母亲已满45周岁（54岁）"]
        })
    );
    let x = e.to_explained_json("demo", d("2024-06-15"));
    assert_eq!(x["missed"][0]["program"], "low_income");
    assert_eq!(
        x["missed"][0]["reasons"][0],
        "家庭月人均收入3000元，不低于最低工资标准2420元"
    );
}

#[test]
fn facts_reject_unknown_fields() {
    let mut v = serde_json::to_value(facts("1970-01-01", 1)).unwrap();
    v["household"]["extra"] = serde_json::json!(1);
    assert!(serde_json::from_value::<FamilyFacts>(v).is_err());
    let mut v = serde_json::to_value(facts("1970-01-01", 1)).unwrap();
    v["child"]["disability_grade"] = serde_json::json!(2);
    assert!(serde_json::from_value::<FamilyFacts>(v).is_err());
}

#[test]
fn test_suite_reports_diffs() {
    let p = Policy::parse("demo/policy.yaml", BASE).unwrap();
    let suite = TestSuite::parse(
        "demo/policy_tests.yaml",
        "\
tenant: demo
families:
  base:
    kind: bereaved
    hukou_district: demo
    child: {status: deceased, died_on: 2020-01-01}
    parents:
      - {role: mother, birth_date: 1979-06-15, alive: true}
    household: {monthly_income_per_capita_cny: 3000, prior_year_total_income_cny: 0}
cases:
  - name: passes
    family: base
    as_of: 2024-06-15
    expect:
      entitlements:
        - {program: aged, person: mother, amount_cny: 300}
  - name: fails
    family: base
    facts: {mother: {birth_date: 1979-06-16}}
    as_of: 2024-06-15
    expect:
      includes:
        - {program: aged, person: mother, amount_cny: 300}
",
    )
    .unwrap();
    let r = suite.run(&p);
    assert_eq!((r.passed, r.failed), (1, 1));
    assert!(
        r.results[1].diff[0].contains("母亲未满45周岁（44岁）"),
        "{r}"
    );
    assert!(r.to_string().contains("1 passed, 1 failed"));
    let e = TestSuite::parse(
        "t.yaml",
        "cases:\n  - name: x\n    as_of: 2024-01-01\n    facts: {kind: x}\n    expect: {}\n",
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadFacts);
    assert_eq!(e.line, 2);
}

#[test]
fn forecast_counts_months_and_years() {
    let p = Policy::parse("demo/policy.yaml", BASE).unwrap();
    let p = p
        .with_parameter_value("standard", d("2024-01-01"), ParamValue::Int(100))
        .unwrap();
    let mut fb = ForecastBuilder::new(&p, 2024);
    // Mother turns 45 on 2024-06-15: `aged` (yearly 300) from July; income 1000 < wage: 12 months × 100.
    fb.add(&facts("1979-06-15", 1000));
    let f = fb.finish();
    let line = |code: &str| f.lines.iter().find(|l| l.program == code).unwrap().clone();
    assert_eq!(line("aged").amount_cny, 300);
    assert_eq!(line("aged").beneficiaries, 1);
    assert_eq!(line("low_income").amount_cny, 1200);
    assert_eq!(f.total_cny, 1500);
}

#[test]
fn impact_of_a_policy_change() {
    let before = Policy::parse("demo/policy.yaml", BASE).unwrap();
    let after = before
        .with_parameter_value("start_age", d("2024-02-01"), ParamValue::Int(40))
        .unwrap();
    let mut ib = ImpactBuilder::new(&before, &after, d("2024-06-15"));
    ib.add("f1", &facts("1982-01-01", 5000)); // 42: gains `aged`
    ib.add("f2", &facts("1960-01-01", 5000)); // 64: no change
    let i = ib.finish();
    assert_eq!(i.families, 2);
    assert_eq!(i.families_changed.len(), 1);
    assert_eq!(i.families_changed[0].family, "f1");
    assert_eq!(i.families_changed[0].changes.gained[0].program, "aged");
    assert_eq!(i.annual_cost_difference_cny, 300);
    // Newly eligible between two dates.
    let a = evaluate(&before, &facts("1979-06-15", 5000), d("2024-06-14"));
    let b = evaluate(&before, &facts("1979-06-15", 5000), d("2024-06-15"));
    let ch = compare(&a, &b);
    assert_eq!(ch.gained.len(), 1);
    assert_eq!(ch.gained[0].person, Some(Role::Mother));
}

/// 6,000 levels of nesting, block (`- - - …`) and flow (`[[[…]]]`), in the policy and in a test file:
/// each a load error naming the limit and the line, not a stack overflow.
#[test]
fn deep_nesting_is_a_load_error() {
    let block = format!("tenant: demo\nlegal_basis:\n{}x\n", "- ".repeat(6000));
    let flow = format!(
        "tenant: demo\nprograms: {}{}\n",
        "[".repeat(6000),
        "]".repeat(6000)
    );
    let nested: String = (0..100)
        .map(|i| format!("{}- all:\n", "  ".repeat(i + 3)))
        .collect();
    let conds = format!(
        "{}\n  - code: deep\n    when:\n{nested}{}- {{fact: kind, eq: bereaved}}\n",
        BASE.trim_end(),
        "  ".repeat(103)
    );
    for source in [&block, &flow, &conds] {
        let e = Policy::parse("deep.yaml", source).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
        assert!(e.to_string().contains("nesting deeper than 64"), "{e}");
        assert!(e.line >= 2, "{e}");
        let e = TestSuite::parse("deep_tests.yaml", source).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
    }
    // Just inside the limit still parses as far as the schema (then fails on the shape, not the depth).
    let ok = format!(
        "tenant: demo\nlegal_basis: {}x{}\n",
        "[".repeat(60),
        "]".repeat(60)
    );
    let e = Policy::parse("shallow.yaml", &ok).unwrap_err();
    assert_ne!(e.kind, ErrorKind::TooLarge, "{e}");
}

#[test]
fn oversized_source_is_a_load_error() {
    let big = format!("{BASE}# {}\n", "x".repeat(MAX_SOURCE_BYTES));
    let e = Policy::parse("big.yaml", &big).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
    assert!(e.to_string().starts_with("big.yaml:0: the file is"), "{e}");
    assert!(Policy::parse("base.yaml", BASE).is_ok());
}

const DATED: &str = "\
tenant: demo
legal_basis: {document_number: 演示〔2020〕2号, title: 演示, in_force_from: 2020-01-01}
definitions:
  not_reborn: {fact: rebirth.assisted_reproduction_birth_on, is_set: false}
programs:
  - {code: bereaved, title: 失独, clause: 一, unit: household, period: year, payer: street_office,
     must_apply: false, amount: 300, when: {all: [{fact: kind, eq: bereaved}, {ref: not_reborn}]}}
  - {code: disabled, title: 伤残, clause: 二, unit: household, period: year, payer: street_office,
     must_apply: false, amount: 200, when: {all: [{fact: kind, eq: disabled}, {fact: child.disability_grade, lte: 3}]}}
  - {code: not_yet_special, title: 尚非特殊家庭, clause: 三, unit: household, period: event, payer: street_office,
     must_apply: false, amount: null, when: {not: {any: [{fact: kind, eq: bereaved}, {fact: kind, eq: disabled}]}}}
  - {code: reborn, title: 再生育, clause: 四, unit: household, period: once, payer: street_office,
     must_apply: false, amount: 10000, when: {fact: rebirth.assisted_reproduction_birth_on, gte: 2020-01-01}}
  - {code: illness, title: 住院, clause: 五, unit: person, period: year, payer: street_office,
     must_apply: false, amount: 3000, when: {fact: person.major_illness_hospitalized_on, in_year: current}}
  - {code: treatment, title: 治疗, clause: 六, unit: person, period: once, payer: street_office,
     must_apply: false, amount: 3000, when: {any: [{fact: person.fertility_treatment_days, gte: 0}, {fact: person.fertility_treatment_since, is_set: true}]}}
";

fn dated_facts(child: serde_json::Value) -> FamilyFacts {
    serde_json::from_value(serde_json::json!({
        "kind": if child["status"] == "deceased" { "bereaved" } else { "disabled" },
        "hukou_district": "demo",
        "child": child,
        "parents": [
            {"role": "mother", "birth_date": "1970-01-01", "alive": true,
             "major_illness_hospitalized_on": "2025-09-01", "fertility_treatment_since": "2025-09-01"},
            {"role": "father", "birth_date": "1968-01-01", "alive": true}
        ],
        "household": {"monthly_income_per_capita_cny": 2000, "prior_year_total_income_cny": 40000},
        "rebirth": {"assisted_reproduction_birth_on": "2025-09-01"}
    }))
    .unwrap()
}

fn granted(e: &Evaluation) -> Vec<(String, Option<Role>, Option<i64>)> {
    e.entitlements
        .iter()
        .map(|x| (x.program.to_string(), x.person, x.amount_cny))
        .collect()
}

/// A dated fact counts from its date on: the day before, the family is evaluated as if it had not
/// happened; from the day itself, as recorded.
#[test]
fn dated_facts_count_only_from_their_date() {
    let policy = Policy::parse("dated.yaml", DATED).unwrap();
    let fam = dated_facts(serde_json::json!({"status": "deceased", "died_on": "2015-04-01"}));
    let before = evaluate(&policy, &fam, d("2025-08-31"));
    // Re-birth, hospital stay and treatment start all on 2025-09-01: none counts on 2025-08-31.
    assert_eq!(
        granted(&before),
        vec![("bereaved".to_string(), None, Some(300))],
        "{before:?}"
    );
    let reason = before.entitlements[0]
        .reasons
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>();
    assert!(
        reason.iter().any(|r| r == "家庭于2025年9月1日通过试管婴儿等辅助生殖手段成功再生育，在评估日期之后，评估日尚未发生"),
        "{reason:?}"
    );
    let miss = before
        .missed
        .iter()
        .find(|m| m.program == "illness")
        .unwrap();
    assert_eq!(
        miss.sentence(),
        "母亲于2025年9月1日因患重大疾病住院治疗，在评估日期之后，评估日尚未发生"
    );
    let on = evaluate(&policy, &fam, d("2025-09-01"));
    assert_eq!(
        granted(&on),
        vec![
            ("reborn".to_string(), None, Some(10000)),
            ("illness".to_string(), Some(Role::Mother), Some(3000)),
            ("treatment".to_string(), Some(Role::Mother), Some(3000)),
        ]
    );
    // The child's death dated later: on the day before, the family is not yet bereaved.
    let mut later = fam.clone();
    later.child = Child::Deceased {
        died_on: d("2025-09-01"),
    };
    later.rebirth.assisted_reproduction_birth_on = None;
    for p in &mut later.parents {
        p.major_illness_hospitalized_on = None;
        p.fertility_treatment_since = None;
    }
    let e = evaluate(&policy, &later, d("2025-08-31"));
    assert_eq!(
        granted(&e),
        vec![("not_yet_special".to_string(), None, None)]
    );
    let miss = e.missed.iter().find(|m| m.program == "bereaved").unwrap();
    assert_eq!(
        miss.sentence(),
        "独生子女于2025年9月1日死亡，在评估日期之后，评估日尚未发生"
    );
    let e = evaluate(&policy, &later, d("2025-09-01"));
    assert_eq!(granted(&e), vec![("bereaved".to_string(), None, Some(300))]);
    // A disability certified later: not yet a disabled family; an undated certification counts.
    let mut cert = later.clone();
    cert.kind = Kind::Disabled;
    cert.child = Child::Disabled {
        disability_grade: 2,
        certified_on: Some(d("2025-09-01")),
    };
    let e = evaluate(&policy, &cert, d("2025-08-31"));
    assert_eq!(
        granted(&e),
        vec![("not_yet_special".to_string(), None, None)]
    );
    assert_eq!(
        e.missed
            .iter()
            .find(|m| m.program == "disabled")
            .unwrap()
            .sentence(),
        "独生子女于2025年9月1日经鉴定为残疾，在评估日期之后，评估日尚未发生"
    );
    let e = evaluate(&policy, &cert, d("2025-09-01"));
    assert_eq!(granted(&e), vec![("disabled".to_string(), None, Some(200))]);
    cert.child = Child::Disabled {
        disability_grade: 2,
        certified_on: None,
    };
    let e = evaluate(&policy, &cert, d("2025-08-31"));
    assert_eq!(granted(&e), vec![("disabled".to_string(), None, Some(200))]);
}

/// Brute force over a window of dates: evaluating facts that carry dates after the evaluation date
/// gives exactly the entitlements of the same facts with those dates removed.
#[test]
fn later_dated_facts_equal_facts_without_them() {
    let policy = Policy::parse("dated.yaml", DATED).unwrap();
    let zhangdian = Policy::parse(
        "zhangdian.yaml",
        include_str!("../../../tenants/zhangdian/policy.yaml"),
    )
    .unwrap();
    let fam = dated_facts(serde_json::json!({"status": "deceased", "died_on": "2015-04-01"}));
    let mut as_of = d("2025-06-01");
    while as_of <= d("2025-12-31") {
        let mut stripped = fam.clone();
        let keep = |x: Option<NaiveDate>| x.filter(|x| *x <= as_of);
        stripped.rebirth.assisted_reproduction_birth_on =
            keep(stripped.rebirth.assisted_reproduction_birth_on);
        for p in &mut stripped.parents {
            p.major_illness_hospitalized_on = keep(p.major_illness_hospitalized_on);
            p.fertility_treatment_since = keep(p.fertility_treatment_since);
        }
        for (policy, on) in [(&policy, as_of), (&zhangdian, as_of.min(d("2026-01-07")))] {
            assert_eq!(
                granted(&evaluate(policy, &fam, on)),
                granted(&evaluate(policy, &stripped, on)),
                "{on}"
            );
        }
        as_of = as_of.succ_opt().unwrap();
    }
}

#[test]
fn mutants_nudge_each_number_and_date_in_force() {
    let policy = Policy::parse("base.yaml", BASE).unwrap();
    let mutants = policy.mutants();
    let names: Vec<&str> = mutants.iter().map(|m| m.description.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "parameter `min_wage` (from 2024-09-01) value 2540 → 2541",
            "parameter `min_wage` (from 2024-09-01) value 2540 → 2539",
            "parameter `min_wage` (from 2024-09-01) start 2024-09-01 → 2024-09-02",
            "parameter `min_wage` (from 2024-09-01) start 2024-09-01 → 2024-08-31",
            "parameter `start_age` (from 2024-01-01) value 45 → 46",
            "parameter `start_age` (from 2024-01-01) value 45 → 44",
            // A day earlier than the policy's first day changes no day in force: left out.
            "parameter `start_age` (from 2024-01-01) start 2024-01-01 → 2024-01-02",
            "program `aged` amount 300 → 301",
            "program `aged` amount 300 → 299",
        ]
    );
    // Each mutant really evaluates differently on the day it is about.
    let fam = facts("1979-06-01", 2539);
    let on = d("2024-06-01");
    let amount = |p: &Policy| {
        evaluate(p, &fam, on)
            .entitlement("aged", Some(Role::Mother))
            .and_then(|e| e.amount_cny)
    };
    assert_eq!(amount(&policy), Some(300));
    assert_eq!(amount(&mutants[7].policy), Some(301));
    assert_eq!(
        amount(&mutants[4].policy),
        None,
        "45 → 46: a 45-year-old misses"
    );
    let born_new_year = facts("1979-01-01", 2539);
    let first_day = |p: &Policy| {
        evaluate(p, &born_new_year, d("2024-01-01"))
            .entitlement("aged", Some(Role::Mother))
            .is_some()
    };
    assert!(first_day(&policy));
    assert!(!first_day(&mutants[6].policy));

    // A suite with only the amount case notices the amount mutants and nothing else.
    let suite = TestSuite::parse(
        "t.yaml",
        "cases:
  - name: 45周岁享受300元
    facts: {kind: bereaved, hukou_district: demo, child: {status: deceased, died_on: 2015-04-01},
            parents: [{role: mother, birth_date: 1979-06-01, alive: true}],
            household: {monthly_income_per_capita_cny: 3000, prior_year_total_income_cny: 1}}
    as_of: 2024-06-01
    expect:
      includes: [{program: aged, person: mother, amount_cny: 300}]
",
    )
    .unwrap();
    let report = suite.mutation_report(&policy);
    assert_eq!(report.mutants, 9);
    assert_eq!(report.survivors.len(), 6, "{report}");
    assert!(
        report.survivors.iter().all(|s| !s.contains("amount")),
        "{report}"
    );
    assert!(
        report
            .to_string()
            .ends_with("demo: 9 mutants, 3 noticed, 6 survived\n"),
        "{report}"
    );
}

/// Reasons stay small: thin pointers to the policy's texts (the README states the size).
#[test]
fn reason_is_56_bytes() {
    assert_eq!(std::mem::size_of::<Reason<'static>>(), 56);
}
