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
    let repo = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tenants"));
    let dir = std::env::temp_dir().join(format!("nuanxin-tenants-{}", uuid::Uuid::new_v4()));
    for slug in ["xicheng", "zhangdian"] {
        copy_dir(&repo.join(slug), &dir.join(slug));
    }
    // A third district, configured only: Xicheng's structure and policy under another name.
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
