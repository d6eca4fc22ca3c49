//! Validation of a family as submitted: every field named, every problem collected.
#![expect(clippy::unwrap_used, reason = "tests panic on the unexpected")]

use chrono::NaiveDate;
use nuanxin_domain::family::{age_on, diff, FamilyInput, MONEY_MAX_CNY};
use nuanxin_domain::hukou::DistrictNames;
use nuanxin_domain::org::{OrgDirectory, OrgKind, OrgUnitInfo};
use nuanxin_ids::OrgUnitId;
use nuanxin_privacy::check_digit;
use serde_json::json;

fn orgs() -> (OrgDirectory, OrgUnitId, OrgUnitId) {
    let street = OrgUnitId::generate();
    let community = OrgUnitId::generate();
    let other_street = OrgUnitId::generate();
    let unit = |id, kind, code: &str, name: &str, parent| OrgUnitInfo {
        id,
        kind,
        code: code.into(),
        name: name.into(),
        parent_id: parent,
    };
    let dir = OrgDirectory::new(vec![
        unit(street, OrgKind::Street, "xinjiekou", "新街口街道", None),
        unit(
            community,
            OrgKind::Community,
            "xinjiekou-1",
            "新街口第一社区",
            Some(street),
        ),
        unit(other_street, OrgKind::Street, "yuetan", "月坛街道", None),
        unit(
            OrgUnitId::generate(),
            OrgKind::Community,
            "yuetan-1",
            "月坛第一社区",
            Some(other_street),
        ),
    ]);
    (dir, street, community)
}

fn id(birth: &str, female: bool) -> String {
    let first17 = format!("990102{birth}{}", if female { "102" } else { "101" });
    format!("{first17}{}", check_digit(&first17).unwrap())
}

fn input(patch: serde_json::Value) -> FamilyInput {
    let mut base = json!({
        "kind": "bereaved", "hukou_district": "xicheng", "street": "xinjiekou", "community": "xinjiekou-1",
        "address": "测试路1号", "child": {"status": "deceased", "died_on": "2024-03-02"},
        "parents": [{"role": "mother", "name": "某母", "resident_id": id("19640501", true)}],
        "household": {"monthly_income_per_capita_cny": 1800, "prior_year_total_income_cny": 30000},
        "contacts": [{"name": "甲", "category": "grid_worker"}, {"name": "乙", "category": "family_doctor"}, {"name": "丙", "category": "volunteer"}]
    });
    if let (Some(b), Some(p)) = (base.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            b.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(base).unwrap()
}

fn names() -> DistrictNames {
    DistrictNames::new([("xicheng".to_owned(), "西城区".to_owned())])
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

#[test]
fn a_valid_family_resolves_its_street_and_birth_dates() {
    let (dir, street, community) = orgs();
    let family = input(json!({})).validate(&dir, &names(), today()).unwrap();
    assert_eq!(family.street_id, street);
    assert_eq!(family.community_id, community);
    assert_eq!(
        family.parents[0].birth_date,
        NaiveDate::from_ymd_opt(1964, 5, 1).unwrap()
    );
}

#[test]
fn every_problem_is_reported_with_its_field() {
    let (dir, ..) = orgs();
    let male = id("19491231", false);
    let errors = input(json!({
        "street": "王府井街道",
        "community": "yuetan-1",
        "child": {"status": "deceased", "died_on": "2027-01-01"},
        "parents": [
            {"role": "mother", "name": "", "resident_id": male},
            {"role": "mother", "name": "乙", "resident_id": "110105194912310021", "phone": "123"}
        ],
        "household": {"monthly_income_per_capita_cny": -1, "prior_year_total_income_cny": 0},
        "contacts": []
    }))
    .validate(&dir, &names(), today())
    .unwrap_err();
    let fields: Vec<(&str, &str)> = errors
        .0
        .iter()
        .map(|e| (e.field.as_str(), e.code))
        .collect();
    for expected in [
        ("street", "unknown_street"),
        ("child.died_on", "in_future"),
        ("parents[1].role", "duplicate"),
        ("parents[0].name", "required"),
        ("parents[0].resident_id", "sex_mismatch"),
        ("parents[1].resident_id", "invalid_check_digit"),
        ("parents[1].phone", "invalid_phone"),
        ("household.monthly_income_per_capita_cny", "negative"),
        ("contacts", "count"),
    ] {
        assert!(
            fields.contains(&expected),
            "missing {expected:?} in {fields:?}"
        );
    }
}

#[test]
fn a_community_must_belong_to_the_street() {
    let (dir, ..) = orgs();
    let errors = input(json!({"community": "yuetan-1"}))
        .validate(&dir, &names(), today())
        .unwrap_err();
    assert_eq!(errors.0[0].field, "community");
    assert_eq!(errors.0[0].code, "not_in_street");
}

#[test]
fn a_birth_date_that_contradicts_the_id_is_refused() {
    let (dir, ..) = orgs();
    let errors = input(json!({"parents": [{"role": "mother", "name": "某", "resident_id": id("19640501", true), "birth_date": "1964-05-02"}]}))
        .validate(&dir, &names(), today())
        .unwrap_err();
    assert_eq!(errors.0[0].field, "parents[0].birth_date");
}

#[test]
fn disability_grades_are_one_to_three() {
    let (dir, ..) = orgs();
    for (grade, ok) in [(0, false), (1, true), (3, true), (4, false)] {
        let result = input(json!({"kind": "disabled", "child": {"status": "disabled", "disability_grade": grade, "certified_on": "2024-01-01"}}))
            .validate(&dir, &names(), today());
        assert_eq!(result.is_ok(), ok, "grade {grade}");
    }
}

#[test]
fn contact_persons_are_three_to_five() {
    let (dir, ..) = orgs();
    let contact = json!({"name": "联系人", "category": "volunteer"});
    for (n, ok) in [(2, false), (3, true), (5, true), (6, false)] {
        let result =
            input(json!({"contacts": vec![contact.clone(); n]})).validate(&dir, &names(), today());
        assert_eq!(result.is_ok(), ok, "{n} contacts");
    }
}

#[test]
fn age_counts_full_years_from_the_birthday() {
    let birth = NaiveDate::from_ymd_opt(1981, 11, 26).unwrap();
    assert_eq!(
        age_on(birth, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()),
        44
    );
    assert_eq!(
        age_on(birth, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
        45
    );
}

#[test]
fn diff_lists_only_changed_leaves() {
    let a =
        json!({"household": {"income": 1800, "prior": 3}, "parents": [{"phone": "138****0000"}]});
    let b = json!({"household": {"income": 2600, "prior": 3}, "parents": [{"phone": "138****0000"}, {"phone": null}]});
    let changes = diff(&a, &b);
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["household.income", "parents[1]"]);
}

fn error_codes(patch: serde_json::Value) -> Vec<(String, &'static str)> {
    let (dir, _, _) = orgs();
    match input(patch).validate(&dir, &names(), today()) {
        Ok(_) => vec![],
        Err(errors) => errors.0.iter().map(|e| (e.field.clone(), e.code)).collect(),
    }
}

#[test]
fn the_hukou_district_is_a_slug_or_a_chinese_name_and_nothing_else() {
    let (dir, _, _) = orgs();
    let family = input(json!({"hukou_district": "西城区"}))
        .validate(&dir, &names(), today())
        .unwrap();
    assert_eq!(family.hukou_district, "xicheng");
    assert_eq!(
        error_codes(json!({"hukou_district": "Xicheng District!!"})),
        vec![("hukou_district".to_owned(), "unknown_district")]
    );
}

#[test]
fn money_beyond_the_bound_and_dates_before_1900_are_refused() {
    let income = json!({"monthly_income_per_capita_cny": i64::MAX, "prior_year_total_income_cny": MONEY_MAX_CNY});
    assert_eq!(
        error_codes(json!({"household": income})),
        vec![(
            "household.monthly_income_per_capita_cny".to_owned(),
            "out_of_range"
        )]
    );
    assert_eq!(
        error_codes(json!({"child": {"status": "deceased", "died_on": "0001-01-01"}})),
        vec![("child.died_on".to_owned(), "out_of_range")]
    );
}

#[test]
fn control_characters_in_texts_are_refused() {
    assert_eq!(
        error_codes(json!({"address": "测试路\u{0}1号"})),
        vec![("address".to_owned(), "invalid_text")]
    );
}

#[test]
fn the_typed_facts_are_the_facts_json_says() {
    let (dir, _, _) = orgs();
    for patch in [
        json!({}),
        json!({"kind": "disabled", "child": {"status": "disabled", "disability_grade": 2, "certified_on": "2020-06-01"},
               "rebirth": {"assisted_reproduction_birth_on": "2025-01-02"}}),
    ] {
        let family = input(patch).validate(&dir, &names(), today()).unwrap();
        let via_json: nuanxin_policy::FamilyFacts =
            serde_json::from_value(nuanxin_domain::facts::facts_json(&family)).unwrap();
        assert_eq!(nuanxin_policy::FamilyFacts::from(&family), via_json);
    }
}
