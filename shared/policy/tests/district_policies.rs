//! Every district's policy parses, contains every SPEC program code, and passes its policy tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use nuanxin_policy::{Policy, TestSuite};

const ZHANGDIAN: &[&str] = &[
    "holiday_visit_spring_festival",
    "holiday_visit_mid_autumn",
    "holiday_visit_chongyang",
    "relief_child_death",
    "relief_child_disability",
    "relief_major_illness",
    "special_assistance",
    "rebirth_services",
    "fertility_treatment_subsidy",
    "assisted_reproduction_subsidy",
    "medical_green_channel",
    "health_check",
    "elderly_free_health_check",
    "happiness_insurance",
    "elderly_care_nursing_home",
    "elderly_care_home_services",
    "nursing_home_priority",
    "funeral_services",
    "housing_priority",
    "free_scenic_admission",
    "legal_aid",
    "family_doctor",
    "contact_persons",
];

const XICHENG: &[&str] = &[
    "rebirth_policy_guidance",
    "adoption_assistance",
    "psychological_counseling",
    "peer_support_home",
    "low_income_subsidy",
    "accident_illness_relief",
    "legal_aid",
    "health_check",
    "family_doctor",
    "medical_green_channel",
    "elderly_home_services",
    "nursing_home_priority",
    "nursing_home_free_admission",
    "care_subsidy_nursing_home",
    "care_subsidy_home",
    "neighbor_pairing",
    "volunteer_household_pairing",
    "social_org_services",
];

fn tenants_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tenants")
}

fn load(slug: &str) -> (Policy, TestSuite) {
    let dir = tenants_dir().join(slug);
    let policy_file = format!("tenants/{slug}/policy.yaml");
    let tests_file = format!("tenants/{slug}/policy_tests.yaml");
    let policy_src = std::fs::read_to_string(dir.join("policy.yaml")).expect("policy.yaml");
    let tests_src =
        std::fs::read_to_string(dir.join("policy_tests.yaml")).expect("policy_tests.yaml");
    let policy = Policy::parse(&policy_file, &policy_src).unwrap_or_else(|e| panic!("{e}"));
    let suite = TestSuite::parse(&tests_file, &tests_src).unwrap_or_else(|e| panic!("{e}"));
    (policy, suite)
}

fn check(slug: &str, codes: &[&str]) {
    let (policy, suite) = load(slug);
    assert_eq!(policy.tenant(), slug);
    for code in codes {
        let p = policy
            .program(code)
            .unwrap_or_else(|| panic!("{slug}: program `{code}` missing"));
        assert!(!p.clause.is_empty());
        assert!(p.basis.starts_with(&policy.legal_basis().document_number));
    }
    for p in policy.programs() {
        assert!(
            codes.contains(&p.code.as_str()),
            "{slug}: program `{}` is not a SPEC code",
            p.code
        );
    }
    let report = suite.run(&policy);
    print!("{report}");
    assert!(
        report.all_passed(),
        "{slug}: {} policy test(s) failed",
        report.failed
    );
    // Every program: at least two cases where it is granted (qualifies, and the other side of a
    // boundary) and one where it is just missed.
    let coverage = suite.coverage();
    let mut thin = Vec::new();
    for code in codes {
        let (granted, missed) = coverage.get(*code).copied().unwrap_or_default();
        if granted < 2 || missed < 1 {
            thin.push(format!("{code} (granted in {granted}, missed in {missed})"));
        }
    }
    assert!(
        thin.is_empty(),
        "{slug}: programs with too few test cases: {}",
        thin.join(", ")
    );
}

#[test]
fn zhangdian_policy_is_complete_and_passes_its_tests() {
    check("zhangdian", ZHANGDIAN);
}

#[test]
fn xicheng_policy_is_complete_and_passes_its_tests() {
    check("xicheng", XICHENG);
}

#[test]
fn every_tenant_folder_with_a_policy_passes() {
    let mut seen = 0;
    for entry in std::fs::read_dir(tenants_dir()).expect("tenants dir") {
        let dir = entry.expect("entry").path();
        if !dir.join("policy.yaml").exists() {
            continue;
        }
        let slug = dir
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let (policy, suite) = load(&slug);
        let report = suite.run(&policy);
        assert!(report.all_passed(), "{report}");
        seen += 1;
    }
    assert!(seen >= 2);
}

/// Every number and date in force, nudged one at a time, is noticed by some case of the district.
#[test]
fn every_mutant_is_noticed() {
    for tenant in ["zhangdian", "xicheng"] {
        let (policy, suite) = load(tenant);
        let report = suite.mutation_report(&policy);
        assert!(report.mutants > 0);
        println!("{report}");
        assert!(report.survivors.is_empty(), "{report}");
    }
}
