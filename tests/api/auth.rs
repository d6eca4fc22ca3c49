use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};

#[tokio::test]
async fn login_returns_a_token_that_authenticates() {
    let app = TestApp::spawn().await;
    let token = app.login("xicheng", "street").await;
    let (status, me) = app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["tenant"], "xicheng");
    assert_eq!(me["roles"], json!(["street_staff"]));
    assert_eq!(me["org_unit"]["code"], "xinjiekou");
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_or_district_is_401_with_the_error_body() {
    let app = TestApp::spawn().await;
    for (tenant, username, password) in [
        ("xicheng", "street", "wrong"),
        ("xicheng", "nobody", PASSWORD),
        ("nowhere", "street", PASSWORD),
        ("zhangdian", "operator", PASSWORD),
    ] {
        let (status, body) = app
            .post_json(
                "/api/v1/auth/login",
                None,
                &json!({"tenant": tenant, "username": username, "password": password}),
            )
            .await;
        assert_eq!(status, 401, "{tenant}/{username}");
        assert_eq!(body["error"]["code"], "invalid_credentials");
        assert!(body["error"]["message"].is_string());
    }
}

#[tokio::test]
async fn a_missing_malformed_or_unknown_token_is_401() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/families", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthenticated");
    let res = app
        .client
        .get(app.url("/api/v1/families"))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let (status, _) = app.get("/api/v1/families", Some("not-a-real-token")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let token = app.login("zhangdian", "admin").await;
    assert_eq!(app.get("/api/v1/families", Some(&token)).await.0, 200);
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(app.get("/api/v1/families", Some(&token)).await.0, 401);
}

#[tokio::test]
async fn sessions_expire() {
    let app = TestApp::spawn_with(&[("NUANXIN__SECURITY__SESSION_TTL_MINUTES", "0")]).await;
    let token = app.login("zhangdian", "admin").await;
    assert_eq!(
        app.get("/api/v1/families", Some(&token)).await.0,
        401,
        "a zero-minute session is already over"
    );
}

#[tokio::test]
async fn repeated_login_attempts_are_rate_limited() {
    let app = TestApp::spawn_with(&[("NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW", "3")]).await;
    let body = json!({"tenant": "xicheng", "username": "admin", "password": "guess"});
    for _ in 0..3 {
        assert_eq!(
            app.post_json("/api/v1/auth/login", None, &body).await.0,
            401
        );
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().get("retry-after").is_some());
    // Even the right password waits out the window: a guesser learns nothing.
    let right = json!({"tenant": "xicheng", "username": "admin", "password": PASSWORD});
    assert_eq!(
        app.post_json("/api/v1/auth/login", None, &right).await.0,
        429
    );
    // Another account is not affected.
    assert_eq!(
        app.post_json(
            "/api/v1/auth/login",
            None,
            &json!({"tenant": "xicheng", "username": "street", "password": PASSWORD})
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn with_redis_down_sessions_fail_closed_and_rate_limits_still_hold() {
    // Nothing listens on port 1: Redis is configured but unreachable.
    let app = TestApp::spawn_with(&[
        ("NUANXIN__REDIS__URL", "redis://127.0.0.1:1"),
        ("NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW", "2"),
    ])
    .await;
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, 503);
    assert_eq!(body["cache"]["status"], "down");
    assert_eq!(body["database"], "up");
    let right = json!({"tenant": "xicheng", "username": "admin", "password": PASSWORD});
    let wrong = json!({"tenant": "xicheng", "username": "admin", "password": "wrong"});
    let (status, body) = app.post_json("/api/v1/auth/login", None, &right).await;
    assert_eq!(status, 503, "no session can be stored: {body}");
    assert_eq!(body["error"]["code"], "unavailable");
    for _ in 0..2 {
        assert_eq!(
            app.post_json("/api/v1/auth/login", None, &wrong).await.0,
            401
        );
    }
    let (status, _) = app.get("/api/v1/families", Some("some-token")).await;
    assert_eq!(
        status, 503,
        "a token cannot be checked without the session store"
    );
    // The local counters took over: after two failures from here, even the right password is refused.
    assert_eq!(
        app.post_json("/api/v1/auth/login", None, &right).await.0,
        429
    );
}

#[tokio::test]
async fn without_redis_configured_the_service_runs_single_node() {
    let app = TestApp::spawn_with(&[("NUANXIN__REDIS__URL", "")]).await;
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["cache"]["kind"], "in-process");
    let token = app.login("xicheng", "admin").await;
    assert_eq!(app.get("/api/v1/families", Some(&token)).await.0, 200);
}

#[tokio::test]
async fn the_platform_operator_manages_districts_but_never_reads_family_data() {
    let app = TestApp::spawn().await;
    let token = app.login("platform", "operator").await;
    let (status, body) = app.get("/api/v1/platform/tenants", Some(&token)).await;
    assert_eq!(status, 200);
    let slugs: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, vec!["xicheng", "zhangdian"]);
    for path in [
        "/api/v1/families",
        "/api/v1/families/export",
        "/api/v1/org-units",
    ] {
        assert_eq!(app.get(path, Some(&token)).await.0, 403, "{path}");
    }
    let street = app.login("xicheng", "street").await;
    assert_eq!(
        app.get("/api/v1/platform/tenants", Some(&street)).await.0,
        403
    );
}

#[tokio::test]
async fn a_logout_on_one_node_holds_on_every_node_at_once() {
    let first = TestApp::spawn().await;
    let namespace = format!("test-{}", first.database);
    let second = TestApp::spawn_with(&[("NUANXIN__REDIS__NAMESPACE", namespace.as_str())]).await;
    // The second node keeps sessions near only once it follows the delete channel.
    for _ in 0..50 {
        if second.app.store.keeps_values_near() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(second.app.store.keeps_values_near());
    let token = first.login("xicheng", "admin").await;
    // Read twice on the second node: the session is now kept there.
    for _ in 0..2 {
        assert_eq!(second.get("/api/v1/auth/me", Some(&token)).await.0, 200);
    }
    let (status, _) = first
        .post_json("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(first.get("/api/v1/auth/me", Some(&token)).await.0, 401);
    // The delete reaches the second node through Redis: allow for delivery, not for a cache lifetime.
    let mut refused = false;
    for _ in 0..20 {
        if second.get("/api/v1/auth/me", Some(&token)).await.0 == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(refused, "the second node still accepts a logged-out token");
}

/// A login from `client` (the X-Forwarded-For a trusted proxy would add).
async fn login_from(app: &TestApp, client: &str, password: &str) -> u16 {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", client)
        .json(&json!({"tenant": "xicheng", "username": "street", "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let app = TestApp::spawn_with(&[("NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW", "2")]).await;
    // No proxy is trusted: rotating the header is still one client, refused after two failures
    // (were the header believed, each attempt would come from a new address and get 401).
    let mut statuses = Vec::new();
    for i in 0..25 {
        statuses.push(login_from(&app, &format!("203.0.113.{i}"), "wrong").await);
    }
    assert!(statuses[..2].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[2..].iter().all(|s| *s == 429), "{statuses:?}");
}

#[tokio::test]
async fn wrong_passwords_from_elsewhere_do_not_lock_the_user_out() {
    let app = TestApp::spawn_with(&[
        ("NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW", "3"),
        ("NUANXIN__SECURITY__TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    // An attacker at one address: after 3 failures that address is refused for this account.
    for _ in 0..3 {
        assert_eq!(login_from(&app, "198.51.100.7", "wrong").await, 401);
    }
    assert_eq!(login_from(&app, "198.51.100.7", PASSWORD).await, 429);
    // The real user at their own address still gets in.
    assert_eq!(login_from(&app, "192.0.2.10", PASSWORD).await, 200);
    // A distributed guess: failures from many addresses add up to the account's loose limit (10 × 3).
    for i in 0..27 {
        login_from(&app, &format!("198.51.101.{i}"), "wrong").await;
    }
    assert_eq!(login_from(&app, "192.0.2.10", PASSWORD).await, 429);
}

#[tokio::test]
async fn a_large_login_body_is_refused_unread() {
    let app = TestApp::spawn().await;
    let big = json!({"tenant": "xicheng", "username": "street", "password": "x".repeat(1 << 20)});
    let (status, _) = app.post_json("/api/v1/auth/login", None, &big).await;
    assert_eq!(status, 413);
    let nul = json!({"tenant": "xicheng", "username": "str\u{0}eet", "password": PASSWORD});
    let (status, body) = app.post_json("/api/v1/auth/login", None, &nul).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "username");
}
