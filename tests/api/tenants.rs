//! Onboarding a district is a folder and one command: no code change, no restart.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[tokio::test]
async fn a_district_onboarded_while_the_service_runs_can_log_in_within_seconds() {
    let dir = tenants_with_a_configured_district();
    let dir_text = dir.to_string_lossy().into_owned();
    // Polling for the new district is many login attempts: lift the limit for this test.
    let app = TestApp::spawn_with(&[
        ("NUANXIN__APPLICATION__TENANTS_DIR", &dir_text),
        ("NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW", "1000"),
    ])
    .await;
    let login = json!({"tenant": "testdistrict", "username": "admin", "password": PASSWORD});
    assert_eq!(
        app.post_json("/api/v1/auth/login", None, &login).await.0,
        401,
        "not onboarded yet"
    );

    let pool = nuanxin_db::pool::build_pool(&app.app.settings.app_database_url(), 2).unwrap();
    nuanxin::onboarding::onboard(
        &pool,
        &dir,
        "testdistrict",
        Some(&nuanxin::onboarding::DemoAccounts { password: PASSWORD }),
    )
    .await
    .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = app.post_json("/api/v1/auth/login", None, &login).await;
        if status == 200 {
            let token = body["token"].as_str().unwrap();
            let (_, units) = app.get("/api/v1/org-units", Some(token)).await;
            assert_eq!(units["name"], "测试区");
            let (status, list) = app.get("/api/v1/families", Some(token)).await;
            assert_eq!(
                (status, list["total"].as_i64()),
                (200, Some(0)),
                "a new district starts empty"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the running service never saw the new district"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tenants folder with both demo districts and `testdistrict` (Xicheng's structure and policy under
/// another name), configured but not onboarded; removed by the caller.
pub(crate) fn tenants_with_a_configured_district() -> std::path::PathBuf {
    let repo = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tenants"));
    let dir = std::env::temp_dir().join(format!("nuanxin-tenants-{}", uuid::Uuid::new_v4()));
    for slug in ["xicheng", "zhangdian"] {
        copy_dir(&repo.join(slug), &dir.join(slug));
    }
    copy_dir(&repo.join("xicheng"), &dir.join("testdistrict"));
    for file in ["tenant.yaml", "policy.yaml", "sharing.yaml"] {
        let path = dir.join("testdistrict").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text
            .replacen("slug: xicheng", "slug: testdistrict", 1)
            .replacen("tenant: xicheng", "tenant: testdistrict", 1);
        std::fs::write(
            &path,
            text.replacen("name: 北京市西城区", "name: 测试区", 1),
        )
        .unwrap();
    }
    dir
}

#[tokio::test]
async fn the_operator_onboards_a_configured_district_with_its_first_administrator() {
    let dir = tenants_with_a_configured_district();
    // A folder whose manifest names another slug: listed with its problem, never onboarded.
    copy_dir(&dir.join("testdistrict"), &dir.join("brokendistrict"));
    let dir_text = dir.to_string_lossy().into_owned();
    let app = TestApp::spawn_with(&[("NUANXIN__APPLICATION__TENANTS_DIR", &dir_text)]).await;
    let operator = app.login("platform", "operator").await;
    let admin_of_xicheng = app.login("xicheng", "admin").await;
    let new = json!({"slug": "testdistrict", "username": "chief", "display_name": "王主任",
                     "email": "chief@example.org"});

    // District staff, even administrators, neither see nor onboard districts.
    assert_eq!(
        app.get(
            "/api/v1/platform/tenants/configured",
            Some(&admin_of_xicheng)
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.post_json("/api/v1/platform/tenants", Some(&admin_of_xicheng), &new)
            .await
            .0,
        403
    );

    let (status, configured) = app
        .get("/api/v1/platform/tenants/configured", Some(&operator))
        .await;
    assert_eq!(status, 200);
    let items = configured["items"].as_array().unwrap();
    let slugs: Vec<&str> = items.iter().map(|i| i["slug"].as_str().unwrap()).collect();
    assert_eq!(
        slugs,
        ["brokendistrict", "testdistrict"],
        "only folders not served yet"
    );
    assert!(
        items[0]["problem"]
            .as_str()
            .unwrap()
            .contains("brokendistrict/tenant.yaml"),
        "the problem names the file: {}",
        items[0]
    );
    assert!(items[1]["problem"].is_null());
    assert_eq!(items[1]["name"], "测试区");

    // Refusals name the field and write nothing.
    for (body, field) in [
        (
            json!({"slug": "testdistrict", "username": "Chief!", "display_name": "王主任"}),
            "username",
        ),
        (
            json!({"slug": "testdistrict", "username": "chief", "display_name": " "}),
            "display_name",
        ),
        (
            json!({"slug": "testdistrict", "username": "chief", "display_name": "王主任", "email": "no"}),
            "email",
        ),
        (
            json!({"slug": "brokendistrict", "username": "chief", "display_name": "王主任"}),
            "slug",
        ),
    ] {
        let (status, error) = app
            .post_json("/api/v1/platform/tenants", Some(&operator), &body)
            .await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (400, Some(field)),
            "{error}"
        );
    }
    let nowhere = json!({"slug": "nowhere", "username": "chief", "display_name": "王主任"});
    assert_eq!(
        app.post_json("/api/v1/platform/tenants", Some(&operator), &nowhere)
            .await
            .0,
        404
    );
    let tenants_before = app.count("tenants").await;

    // Two operators' clicks at once make one district: one 201, one 409, never a 500.
    let (a, b) = tokio::join!(
        app.post_json("/api/v1/platform/tenants", Some(&operator), &new),
        app.post_json("/api/v1/platform/tenants", Some(&operator), &new),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", a.1, b.1);
    let created = if a.0 == 201 { a.1 } else { b.1 };
    assert_eq!(app.count("tenants").await, tenants_before + 1);
    assert_eq!(created["slug"], "testdistrict");
    assert_eq!(created["name"], "测试区");
    let password = created["initial_password"].as_str().unwrap().to_owned();
    assert_eq!(password.chars().count(), 16);

    // The new district is served on this node at once, and its administrator signs in with the
    // initial password, administers an empty district and is its only account.
    let (status, login) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"tenant": "testdistrict", "username": "chief", "password": password}),
        )
        .await;
    assert_eq!(status, 200, "{login}");
    let chief = login["token"].as_str().unwrap();
    let (status, list) = app.get("/api/v1/families", Some(chief)).await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(0)));
    let (_, units) = app.get("/api/v1/org-units", Some(chief)).await;
    assert_eq!(units["name"], "测试区");
    let tenant = app.tenant_id("testdistrict").await;
    let mut conn = app.admin().await;
    let accounts: i64 = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT count(*) AS n FROM users WHERE tenant_id = $1")
            .bind::<diesel::sql_types::Uuid, _>(tenant),
        &mut conn,
    )
    .await
    .map(|r: Count| r.n)
    .unwrap();
    assert_eq!(accounts, 1, "no demo accounts in a real onboarding");
    let onboard_events: i64 = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query(
            "SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.onboard' \
             AND actor LIKE 'operator:%'",
        )
        .bind::<diesel::sql_types::Uuid, _>(tenant),
        &mut conn,
    )
    .await
    .map(|r: Count| r.n)
    .unwrap();
    assert_eq!(
        onboard_events, 1,
        "the onboarding is in the new district's audit log"
    );
    let hash: String = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT password_hash AS hash FROM users WHERE tenant_id = $1")
            .bind::<diesel::sql_types::Uuid, _>(tenant),
        &mut conn,
    )
    .await
    .map(|r: Hash| r.hash)
    .unwrap();
    assert!(
        hash.starts_with("$argon2id$") && !hash.contains(&password),
        "kept only as its hash"
    );
    // The served district is no longer waiting.
    let (_, configured) = app
        .get("/api/v1/platform/tenants/configured", Some(&operator))
        .await;
    assert_eq!(configured["items"].as_array().unwrap().len(), 1);
    let (_, list) = app.get("/api/v1/platform/tenants", Some(&operator)).await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["slug"] == "testdistrict"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Hash {
    #[diesel(sql_type = diesel::sql_types::Text)]
    hash: String,
}
