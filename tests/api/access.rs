//! Refusal matrix: every endpoint × every role, in its own district and against another district's family.

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixtures::family_body;
use crate::helpers::TestApp;
use nuanxin_access::Role;

const ROLES: [&str; 7] = [
    "admin",
    "street",
    "community",
    "bureau",
    "socialorg",
    "volunteer",
    "operator",
];

struct Case {
    method: Method,
    /// `{id}` is replaced by a family on 新街口第一社区 (the street and community accounts' own).
    path: &'static str,
    body: fn(u32) -> Value,
    /// The roles that may; every other role gets 403.
    allowed: &'static [&'static str],
    ok: u16,
}

fn none(_: u32) -> Value {
    Value::Null
}
fn family(serial: u32) -> Value {
    family_body("xinjiekou", "xinjiekou-1", serial)
}
fn exit(_: u32) -> Value {
    json!({"reason": "moved_away"})
}
fn facts(_: u32) -> Value {
    json!({"as_of": "2025-06-01", "facts": {"kind": "bereaved", "hukou_district": "xicheng",
        "child": {"status": "deceased", "died_on": "2020-03-02"},
        "parents": [{"role": "mother", "birth_date": "1960-05-01", "alive": true}],
        "household": {"monthly_income_per_capita_cny": 1800, "prior_year_total_income_cny": 30000}}})
}

fn verification(serial: u32) -> Value {
    json!({"resident_id": crate::fixtures::resident_id("19640501", serial, true), "program": "low_income_subsidy"})
}

fn cases() -> Vec<Case> {
    let tenant_roles: &[&str] = &[
        "admin",
        "street",
        "community",
        "bureau",
        "socialorg",
        "volunteer",
    ];
    vec![
        Case {
            method: Method::GET,
            path: "/api/v1/families",
            body: none,
            allowed: &["admin", "street", "community"],
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/families",
            body: family,
            allowed: &["admin", "street"],
            ok: 201,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/families/{id}",
            body: none,
            allowed: &["admin", "street", "community"],
            ok: 200,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/families/{id}",
            body: family,
            allowed: &["admin", "street", "community"],
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/families/{id}/history",
            body: none,
            allowed: &["admin", "street", "community"],
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/families/{id}/entitlements",
            body: none,
            allowed: &["admin", "street", "community"],
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/families/{id}/exit",
            body: exit,
            allowed: &["admin", "street"],
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/families/export",
            body: none,
            allowed: &["admin", "street"],
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/policy/evaluate",
            body: facts,
            allowed: &["admin", "street", "bureau"],
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/org-units",
            body: none,
            allowed: tenant_roles,
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/audit/verify",
            body: none,
            allowed: &["admin"],
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/families/{id}/access-log",
            body: none,
            allowed: &["admin", "street"],
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/families/{id}/sharing-consents",
            body: none,
            allowed: &["admin", "street"],
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/sharing/rules",
            body: none,
            allowed: &["admin", "bureau"],
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/verifications",
            body: verification,
            allowed: &["bureau"],
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/platform/tenants",
            body: none,
            allowed: &["operator"],
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/platform/tenants/configured",
            body: none,
            allowed: &["operator"],
            ok: 200,
        },
    ]
}

async fn login(app: &TestApp, tenant: &str, role: &str) -> String {
    if role == "operator" {
        app.login("platform", "operator").await
    } else {
        app.login(tenant, role).await
    }
}

async fn call(app: &TestApp, case: &Case, token: &str, id: &str, serial: u32) -> (u16, Value) {
    let path = case.path.replace("{id}", id);
    let body = (case.body)(serial);
    if body.is_null() {
        let res = app
            .client
            .request(case.method.clone(), app.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    } else {
        app.send(case.method.clone(), &path, Some(token), &body)
            .await
    }
}

#[tokio::test]
async fn every_endpoint_refuses_every_role_it_is_not_for() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let mut tokens = Vec::new();
    for role in ROLES {
        tokens.push((role, login(&app, "xicheng", role).await));
    }
    let mut serial = 100;
    for case in cases() {
        for (role, token) in &tokens {
            let role = *role;
            // A fresh family for each call, so exits and updates do not interfere.
            serial += 1;
            let id = app.create_family(&admin, &family(serial)).await;
            serial += 1;
            let (status, body) = call(&app, &case, token, &id, serial).await;
            let expected = if case.allowed.contains(&role) {
                case.ok
            } else {
                403
            };
            assert_eq!(
                status, expected,
                "{} {} as {role}: {body}",
                case.method, case.path
            );
            if expected == 403 {
                assert_eq!(
                    body["error"]["code"], "forbidden",
                    "{} {} as {role}",
                    case.method, case.path
                );
            }
        }
    }
}

#[tokio::test]
async fn no_role_of_another_district_reaches_a_family() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let mut tokens = Vec::new();
    for role in ROLES {
        tokens.push((role, login(&app, "zhangdian", role).await));
    }
    let mut serial = 300;
    for case in cases().into_iter().filter(|c| c.path.contains("{id}")) {
        for (role, token) in &tokens {
            let role = *role;
            serial += 1;
            let id = app.create_family(&admin, &family(serial)).await;
            serial += 1;
            let (status, body) = call(&app, &case, token, &id, serial).await;
            assert!(
                status == 404 || status == 403,
                "{} {} as zhangdian {role}: {status} {body}",
                case.method,
                case.path
            );
            let (_, family) = app
                .get(&format!("/api/v1/families/{id}"), Some(&admin))
                .await;
            assert_eq!(family["version"], 1, "untouched");
            assert_eq!(family["status"], "active");
        }
    }
}

#[tokio::test]
async fn street_staff_are_refused_another_streets_family_on_every_family_endpoint() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let other_street = app.login("xicheng", "street2").await;
    let mut serial = 500;
    for case in cases().into_iter().filter(|c| c.path.contains("{id}")) {
        serial += 1;
        let id = app.create_family(&admin, &family(serial)).await;
        serial += 1;
        let (status, _) = call(&app, &case, &other_street, &id, serial).await;
        assert!(
            status == 404 || status == 403,
            "{} {} as another street: {status}",
            case.method,
            case.path
        );
    }
}

/// Every list's `?status=` is read into its vocabulary in one place: a text outside it is 400 naming the
/// field and saying what is accepted, without repeating the text sent.
#[tokio::test]
async fn an_unknown_status_in_any_list_is_400_naming_the_field_and_what_is_accepted() {
    let app = TestApp::spawn().await;
    let admin = app.as_role("xicheng", Role::DistrictAdmin).await;
    let street = app.as_role("xicheng", Role::StreetStaff).await;
    let socialorg = app.as_role("xicheng", Role::SocialOrgStaff).await;
    let bureau = app.as_role("xicheng", Role::BureauStaff).await;
    let cycle = uuid::Uuid::new_v4();
    let cases = [
        (
            "/api/v1/service-tasks",
            &street,
            "open、done、lapsed或cancelled",
        ),
        (
            "/api/v1/service-tasks/offers",
            &socialorg,
            "offered、accepted",
        ),
        (
            "/api/v1/task-proposals",
            &street,
            "open、accepted、dismissed或lapsed",
        ),
        (
            "/api/v1/data-requests",
            &bureau,
            "pending、approved或rejected",
        ),
        (
            &*format!("/api/v1/benefits/cycles/{cycle}/entries"),
            &admin,
            "proposed、verified",
        ),
        ("/api/v1/families", &street, "active、exited或all"),
        ("/api/v1/follow-ups", &street, "open、done或all"),
    ];
    for (path, token, accepted) in cases {
        for bad in ["Open7", "verified,Open7"] {
            let (status, body) = token.get(&format!("{path}?status={bad}")).await;
            let error = &body["error"];
            assert_eq!(
                (status, error["field"].as_str(), error["code"].as_str()),
                (400, Some("status"), Some("invalid_status")),
                "{path}?status={bad}: {body}"
            );
            let message = error["message"].as_str().unwrap_or_default();
            assert!(message.contains(accepted), "{path}: {message}");
            assert!(!message.contains("Open7"), "{path}: {message}");
        }
    }
    // The lists still read their own values.
    let (status, _) = admin
        .get(&format!(
            "/api/v1/benefits/cycles/{cycle}/entries?status=verified,approved"
        ))
        .await;
    assert_eq!(
        status, 404,
        "a known list of statuses gets as far as the cycle"
    );
    let (status, _) = street.get("/api/v1/service-tasks?status=open").await;
    assert_eq!(status, 200);
}
