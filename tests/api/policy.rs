use serde_json::json;

use crate::fixtures::family_body;
use crate::helpers::TestApp;

#[tokio::test]
async fn evaluate_answers_the_spec_contract() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let facts = json!({"kind": "bereaved", "hukou_district": "xicheng",
        "child": {"status": "deceased", "died_on": "2020-03-02"},
        "parents": [{"role": "mother", "birth_date": "1960-05-01", "alive": true, "self_care": "full", "sanwu": false,
                     "care": "home", "nursing_home_in_district": false, "major_illness_hospitalized_on": null,
                     "out_of_pocket_medical_cny": 0, "fertility_treatment_since": null, "wants_home_services": false}],
        "household": {"monthly_income_per_capita_cny": 1800, "prior_year_total_income_cny": 30000},
        "rebirth": {"assisted_reproduction_birth_on": null}});
    let (status, out) = app
        .post_json(
            "/api/v1/policy/evaluate",
            Some(&admin),
            &json!({"as_of": "2025-06-01", "facts": facts}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["tenant"], "xicheng");
    assert_eq!(out["as_of"], "2025-06-01");
    let programs: Vec<&str> = out["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["program"].as_str().unwrap())
        .collect();
    assert!(
        programs.contains(&"low_income_subsidy"),
        "1800 < 2540: {programs:?}"
    );
    assert!(programs.contains(&"health_check"), "aged 65: {programs:?}");
    let (status, err) = app
        .post_json(
            "/api/v1/policy/evaluate",
            Some(&admin),
            &json!({"as_of": "2025-06-01", "facts": {"kind": "orphaned"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["field"].as_str().unwrap().starts_with("facts"),
        "{err}"
    );
}

#[tokio::test]
async fn a_registered_familys_entitlements_come_from_its_record() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let id = app
        .create_family(&street, &family_body("xinjiekou", "xinjiekou-1", 60))
        .await;
    let (status, out) = app
        .get(
            &format!("/api/v1/families/{id}/entitlements?as_of=2025-06-01"),
            Some(&street),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    let ents = out["entitlements"].as_array().unwrap();
    // The father died: the widowed mother is paired with a neighbour (西政办发〔2013〕17号 四.1).
    assert!(
        ents.iter().any(|e| e["program"] == "neighbor_pairing"),
        "{ents:?}"
    );
    assert!(ents
        .iter()
        .all(|e| e["basis"].as_str().is_some_and(|b| b.contains("西政办发"))));
}

#[tokio::test]
async fn impact_of_a_deeply_nested_policy_is_a_bad_request() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    // 12 KB nested 6,000 levels: the service answers (it used to overflow its stack and abort).
    for nested in [
        format!("tenant: zhangdian\nlegal_basis:\n{}x\n", "- ".repeat(6000)),
        format!(
            "tenant: zhangdian\nprograms: {}{}\n",
            "[".repeat(6000),
            "]".repeat(6000)
        ),
    ] {
        let (status, body) = app
            .post_json(
                "/api/v1/policy/impact",
                Some(&admin),
                &json!({"as_of": "2025-06-01", "policy_yaml": nested}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_policy")),
            "{body}"
        );
        assert!(
            body.to_string().contains("nesting deeper than 64"),
            "{body}"
        );
    }
    let (status, _) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
}

/// The monthly amount of the low-income subsidy in a family's entitlements on `as_of` (None: no amount).
async fn low_income_amount(app: &TestApp, token: &str, family: &str, as_of: &str) -> Option<i64> {
    let (status, body) = app
        .get(
            &format!("/api/v1/families/{family}/entitlements?as_of={as_of}"),
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let entry = body["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["program"] == "low_income_subsidy")
        .cloned()
        .unwrap_or_else(|| panic!("the family qualifies: {body}"));
    entry["amount_cny"].as_i64()
}

#[tokio::test]
async fn a_parameter_value_saved_by_the_administrator_applies_from_its_date_on_every_node() {
    let app = TestApp::spawn().await;
    let second = app.another_node().await;
    let admin = app.login("xicheng", "admin").await;
    let family = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 601))
        .await;
    assert_eq!(
        low_income_amount(&app, &admin, &family, "2026-12-15").await,
        None
    );
    let path = "/api/v1/policy/parameters/low_income_subsidy_monthly_cny/values";
    // Refusals first: nothing is stored by them.
    let street = app.login("xicheng", "street").await;
    let body =
        json!({"effective_from": "2026-12-01", "value": 500, "basis": "西卫健发〔2026〕1号"});
    assert_eq!(app.post_json(path, Some(&street), &body).await.0, 403);
    let (status, err) = app
        .post_json(
            path,
            Some(&admin),
            &json!({"effective_from": "2026-12-01", "value": 500, "basis": " "}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (400, Some("basis")),
        "{err}"
    );
    let (status, err) = app
        .post_json(
            "/api/v1/policy/parameters/beijing_min_wage/values",
            Some(&admin),
            &json!({"effective_from": "2024-09-01", "value": 1, "basis": "x"}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (400, Some("effective_from")),
        "a date the policy file fixes is not changed here: {err}"
    );
    assert_eq!(
        app.post_json(
            "/api/v1/policy/parameters/no_such/values",
            Some(&admin),
            &body
        )
        .await
        .0,
        404
    );
    assert_eq!(app.count("policy_parameter_values").await, 0);

    let (status, saved) = app.post_json(path, Some(&admin), &body).await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["value"], 500);
    // This node at once: from its date, not before.
    assert_eq!(
        low_income_amount(&app, &admin, &family, "2026-12-15").await,
        Some(500)
    );
    assert_eq!(
        low_income_amount(&app, &admin, &family, "2026-11-15").await,
        None
    );
    // A correction for the same date wins; the first entry stays in the table.
    let corrected = json!({"effective_from": "2026-12-01", "value": 600, "basis": "西卫健发〔2026〕2号（更正）"});
    assert_eq!(app.post_json(path, Some(&admin), &corrected).await.0, 201);
    assert_eq!(
        low_income_amount(&app, &admin, &family, "2026-12-15").await,
        Some(600)
    );
    assert_eq!(app.count("policy_parameter_values").await, 2);
    // The other node within its reload period.
    let mut seen = None;
    for _ in 0..60 {
        seen = low_income_amount(&second, &admin, &family, "2026-12-15").await;
        if seen == Some(600) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(seen, Some(600), "the second node applied the saved value");
    // Zhangdian's policy is its own; and the change is in the audit log.
    let z = app.login("zhangdian", "admin").await;
    assert_eq!(
        app.post_json(path, Some(&z), &body).await.0,
        404,
        "Zhangdian's policy has no such parameter"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'policy.parameter_value'")
            .await,
        2
    );
}
