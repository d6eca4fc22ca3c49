//! The districts' `sharing.yaml` files, load errors with their lines, and request checking.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use marked_yaml::Node;
use nuanxin_sharing::{check_request, Directory, Field, Mode, Request, SharingRules};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn codes(node: Option<&Node>, out: &mut BTreeSet<String>) {
    let Some(node) = node else { return };
    let items: Vec<&Node> = match node {
        Node::Sequence(s) => s.iter().collect(),
        other => vec![other],
    };
    for item in items {
        if let Some(m) = item.as_mapping() {
            if let Some(c) = m.get_scalar("code") {
                out.insert(c.as_str().to_string());
            }
        }
    }
}

/// The district's org units, streets and programs, read from its tenant.yaml and policy.yaml.
fn directory(slug: &str) -> Directory {
    let dir = root().join("tenants").join(slug);
    let tenant = std::fs::read_to_string(dir.join("tenant.yaml")).unwrap();
    let tenant = marked_yaml::parse_yaml(0, &tenant).unwrap();
    let tenant = tenant.as_mapping().unwrap();
    let mut d = Directory::default();
    for key in ["district_office", "bureaus", "social_orgs"] {
        codes(tenant.get_node(key), &mut d.org_units);
    }
    codes(tenant.get_node("streets"), &mut d.streets);
    let policy = std::fs::read_to_string(dir.join("policy.yaml")).unwrap();
    let policy = marked_yaml::parse_yaml(0, &policy).unwrap();
    codes(
        policy.as_mapping().unwrap().get_node("programs"),
        &mut d.programs,
    );
    assert!(
        d.org_units.contains("civil_affairs") && !d.streets.is_empty() && !d.programs.is_empty()
    );
    d
}

fn load(slug: &str) -> (SharingRules, Directory) {
    let d = directory(slug);
    let path = root().join("tenants").join(slug).join("sharing.yaml");
    let src = std::fs::read_to_string(&path).unwrap();
    let rules = SharingRules::parse("sharing.yaml", &src, &d).unwrap_or_else(|e| panic!("{e}"));
    (rules, d)
}

#[test]
fn both_districts_load_and_civil_affairs_has_a_rule() {
    for (slug, others) in [
        ("xicheng", &["health", "justice"][..]),
        (
            "zhangdian",
            &[
                "medical_insurance",
                "housing",
                "culture_tourism",
                "landscaping",
                "justice",
            ][..],
        ),
    ] {
        let (rules, _) = load(slug);
        assert_eq!(rules.tenant, slug);
        assert!(rules.for_org_unit("civil_affairs").count() >= 1, "{slug}");
        for o in others {
            assert!(rules.for_org_unit(o).count() >= 1, "{slug} {o}");
        }
    }
    let (x, _) = load("xicheng");
    let econ = x
        .rules
        .iter()
        .find(|r| r.purpose == "家庭经济状况核查")
        .unwrap();
    assert_eq!(econ.org_unit, "civil_affairs");
    assert_eq!(econ.mode_of(Field::IncomePerCapita), Some(Mode::Full));
}

const GOOD: &str = "tenant: t
rules:
  - org_unit: civil_affairs
    purpose: 核查
    basis: { document: 文件, clause: 二 }
    consent: false
    max_days: 30
    fields:
      kind: full
      parent.resident_id: masked
    filters: [street, kind]
    verifications: [p1]
";

fn dir() -> Directory {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    Directory {
        org_units: set(&["civil_affairs", "health"]),
        streets: set(&["s1", "s2"]),
        programs: set(&["p1", "p2"]),
    }
}

fn error_of(src: &str) -> String {
    SharingRules::parse("sharing.yaml", src, &dir())
        .unwrap_err()
        .to_string()
}

#[test]
fn load_errors_name_file_line_and_problem() {
    assert!(SharingRules::parse("sharing.yaml", GOOD, &dir()).is_ok());
    let cases: [(&str, &str, &str); 9] = [
        ("    fields:\n      kind: full\n", "    fields:\n      kind: full\n      parent.birth_date: full\n", "sharing.yaml:9: `parent.resident_id: masked` together with `parent.birth_date: full` undoes the mask"),
        ("      kind: full\n", "      kind: full\n      parent.age: full\n", "sharing.yaml:9: `parent.resident_id: masked` together with `parent.age: full`"),
        ("org_unit: civil_affairs", "org_unit: police", "sharing.yaml:3: `police` is not an org unit"),
        ("kind: full", "kind: masked", "sharing.yaml:9: `kind` cannot be released `masked`"),
        ("kind: full", "parent.password: full", "sharing.yaml:9: `parent.password` is not a field"),
        ("max_days: 30", "max_days: 0", "sharing.yaml:7: `max_days`"),
        ("[p1]", "[p9]", "sharing.yaml:12: `p9` is not a program"),
        ("[street, kind]", "[street, income]", "sharing.yaml:11: `income` is not a filter"),
        ("    consent: false\n", "", "sharing.yaml:3: a rule is missing the required field `consent`"),
    ];
    for (from, to, expected) in cases {
        let src = GOOD.replacen(from, to, 1);
        let e = error_of(&src);
        assert!(e.starts_with(expected), "{e}\nexpected: {expected}");
    }
    let twice = format!("{GOOD}{}", &GOOD[GOOD.find("  - org_unit").unwrap()..]);
    assert!(
        error_of(&twice).starts_with(
            "sharing.yaml:13: a second rule for `civil_affairs` · 核查 (the first is at line 3)"
        ),
        "{}",
        error_of(&twice)
    );
    assert!(
        error_of(&GOOD.replace("      kind: full\n", "      kind: full\n      kind: full\n"))
            .starts_with("sharing.yaml:10:")
    );
    assert!(error_of(&GOOD.replace("clause: 二", "clause: ''")).contains("`basis.clause`"));
}

fn req(fields: &[&str], filter: &[(&str, &str)], days: i64) -> Request {
    Request {
        purpose: "核查".into(),
        fields: fields.iter().map(|s| s.to_string()).collect(),
        filter: filter
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        days,
    }
}

#[test]
fn requests_outside_the_rule_name_the_offending_field() {
    let rules = SharingRules::parse("sharing.yaml", GOOD, &dir()).unwrap();
    let d = dir();
    let ok = check_request(
        &rules,
        &d,
        "civil_affairs",
        &req(&["kind"], &[("street", "s1")], 30),
    );
    assert_eq!(ok.unwrap().purpose, "核查");
    let fields = |r: Result<_, Vec<nuanxin_sharing::RequestError>>| -> Vec<String> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    };
    assert_eq!(
        fields(check_request(&rules, &d, "health", &req(&["kind"], &[], 1))),
        ["purpose"]
    );
    assert_eq!(
        fields(check_request(
            &rules,
            &d,
            "civil_affairs",
            &req(
                &["kind", "parent.resident_id", "parent.phone", "nope", "kind"],
                &[],
                1
            )
        )),
        ["fields[2]", "fields[3]", "fields[4]"]
    );
    assert_eq!(
        fields(check_request(
            &rules,
            &d,
            "civil_affairs",
            &req(
                &["kind"],
                &[
                    ("program", "p1"),
                    ("street", "s9"),
                    ("kind", "bereaved"),
                    ("x", "1")
                ],
                31
            )
        )),
        ["filter.program", "filter.street", "filter.x", "days"]
    );
    assert_eq!(
        fields(check_request(
            &rules,
            &d,
            "civil_affairs",
            &req(&[], &[], 0)
        )),
        ["fields", "days"]
    );
}

#[test]
fn verifications_are_allowed_per_rule() {
    let (rules, _) = load("zhangdian");
    let ok =
        nuanxin_sharing::check_verification(&rules, "culture_tourism", "free_scenic_admission")
            .unwrap();
    assert_eq!(ok.purpose, "景区免门票核验");
    assert!(nuanxin_sharing::check_verification(&rules, "housing", "housing_priority").is_ok());
    let e = nuanxin_sharing::check_verification(&rules, "culture_tourism", "housing_priority")
        .unwrap_err();
    assert_eq!(e.field, "program");
    assert!(
        nuanxin_sharing::check_verification(&rules, "finance", "free_scenic_admission").is_err()
    );
}

#[test]
fn filters_match_kind_street_age_band_and_program() {
    use nuanxin_privacy::{check_digit, ResidentId};
    use nuanxin_sharing::{matches, FamilyFacts, ParentFacts};
    let id = |first17: &str| {
        ResidentId::parse(&format!("{first17}{}", check_digit(first17).unwrap())).unwrap()
    };
    let parent = |first17: &str, alive: bool| ParentFacts {
        name: "王演示".into(),
        resident_id: id(first17),
        phone: None,
        self_care: "full".into(),
        alive,
    };
    let family = FamilyFacts {
        family_id: "f".into(),
        kind: "bereaved".into(),
        street: "s1".into(),
        community: "s1-1".into(),
        address: String::new(),
        // Born 1 Dec 1960 (66 on 1 Dec 2026) and 2 Dec 1950, died (75).
        parents: vec![
            parent("99010519601201002", true),
            parent("99010519501202001", false),
        ],
        monthly_income_per_capita_cny: None,
        child_status: "deceased".into(),
        child_disability_grade: None,
        entitlements: vec!["health_check".into()],
    };
    let on = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert!(matches(&[], &family, on));
    assert!(matches(
        &f(&[
            ("kind", "bereaved"),
            ("street", "s1"),
            ("age_band", "60-69"),
            ("program", "health_check")
        ]),
        &family,
        on
    ));
    assert!(!matches(&f(&[("kind", "disabled")]), &family, on));
    assert!(!matches(&f(&[("street", "s2")]), &family, on));
    // The deceased parent's band does not count.
    assert!(!matches(&f(&[("age_band", "70-79")]), &family, on));
    // The day before the birthday the living parent is 65.
    assert!(matches(
        &f(&[("age_band", "60-69")]),
        &family,
        on.pred_opt().unwrap()
    ));
    assert!(!matches(&f(&[("program", "legal_aid")]), &family, on));
    assert!(!matches(&f(&[("income", "1")]), &family, on));
}

#[test]
fn deep_or_large_files_are_refused_without_overflowing() {
    let flow = format!(
        "tenant: t\nrules: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(error_of(&flow).starts_with("sharing.yaml:"));
    // Compact block nesting: `- - - …` nests one sequence per two bytes.
    let block = format!("tenant: t\nrules:\n  {}x\n", "- ".repeat(120_000));
    assert!(
        error_of(&block).starts_with("sharing.yaml:3: nesting deeper than 16 levels"),
        "{}",
        error_of(&block)
    );
    let huge = format!("tenant: t\nrules: []\n#{}\n", "x".repeat(300_000));
    assert!(error_of(&huge).starts_with("sharing.yaml:0: the file is larger"));
}

mod undo_on_load {
    use super::*;
    use nuanxin_sharing::{undone_masks, Field};
    use proptest::prelude::*;

    fn field_modes() -> impl Strategy<Value = Vec<(Field, Mode)>> {
        proptest::sample::subsequence(Field::ALL.to_vec(), 1..=Field::ALL.len()).prop_flat_map(
            |fs| {
                fs.into_iter()
                    .map(|f| proptest::sample::select(f.modes().to_vec()).prop_map(move |m| (f, m)))
                    .collect::<Vec<_>>()
            },
        )
    }

    proptest! {
        /// A rule file with any set of fields loads exactly when no field undoes another's mask,
        /// and then holds the fields in the file's order.
        #[test]
        fn a_rule_loads_iff_nothing_undoes_a_mask(set in field_modes()) {
            let fields: String = set.iter().map(|(f, m)| format!("      {f}: {m}\n")).collect();
            let src = GOOD.replace("      kind: full\n      parent.resident_id: masked\n", &fields);
            let parsed = SharingRules::parse("sharing.yaml", &src, &dir());
            match undone_masks(&set).first() {
                None => prop_assert_eq!(&parsed.unwrap().rules[0].fields, &set),
                Some(u) => {
                    let e = parsed.unwrap_err().to_string();
                    let expected = format!("`{}: {}` together with `{}: {}` undoes the mask", u.masked.0, u.masked.1, u.revealer.0, u.revealer.1);
                    prop_assert!(e.contains(&expected), "{}", e);
                }
            }
        }
    }
}

#[test]
fn the_aggregate_threshold_defaults_to_five_and_is_checked() {
    let d = directory("xicheng");
    let rule = "rules:\n  - org_unit: civil_affairs\n    purpose: p\n    basis: { document: d, clause: c }\n    consent: false\n    max_days: 30\n    fields: { street: full }\n";
    let parse =
        |head: &str| SharingRules::parse("s.yaml", &format!("tenant: xicheng\n{head}{rule}"), &d);
    assert_eq!(parse("").unwrap().threshold, 5);
    assert_eq!(parse("threshold: 10\n").unwrap().threshold, 10);
    for bad in ["threshold: 1\n", "threshold: 101\n", "threshold: many\n"] {
        let e = parse(bad).unwrap_err();
        assert_eq!(e.line, 2, "{bad}: {e}");
        assert!(e.message.contains("threshold"), "{e}");
    }
}
