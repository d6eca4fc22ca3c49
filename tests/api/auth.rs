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

/// Nothing listens on port 1: Redis configured but unreachable.
const REDIS_DOWN: (&str, &str) = ("NUANXIN__REDIS__URL", "redis://127.0.0.1:1");

async fn logout(app: &TestApp, token: &str) {
    let (status, body) = app
        .post_json("/api/v1/auth/logout", Some(token), &json!({}))
        .await;
    assert_eq!(status, 204, "logout: {body}");
}

/// Reads `/auth/me` on `node` until it answers `status`, for at most a second (a notification's delivery,
/// never a cache lifetime).
async fn me_becomes(node: &TestApp, token: &str, status: u16) -> bool {
    for _ in 0..20 {
        if node.get("/api/v1/auth/me", Some(token)).await.0 == status {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// Waits until `node` hears of ended sessions, so that it keeps sessions near.
async fn keeping_sessions_near(node: &TestApp) {
    for _ in 0..50 {
        if node.app.sessions.is_listening() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the node does not listen for ended sessions");
}

#[tokio::test]
async fn with_redis_down_login_reads_and_logout_work_from_the_database() {
    let app = TestApp::spawn_with(&[REDIS_DOWN]).await;
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, 200, "the node still serves: {body}");
    assert_eq!(body["cache"]["status"], "down");
    assert_eq!(body["database"], "up");
    keeping_sessions_near(&app).await;
    let token = app.login("xicheng", "street").await;
    let id = app
        .create_family(
            &token,
            &crate::fixtures::family_body("xinjiekou", "xinjiekou-1", 7),
        )
        .await;
    for _ in 0..3 {
        let (status, me) = app.get("/api/v1/auth/me", Some(&token)).await;
        assert_eq!(
            (status, me["tenant"].as_str()),
            (200, Some("xicheng")),
            "{me}"
        );
        let (status, family) = app
            .get(&format!("/api/v1/families/{id}"), Some(&token))
            .await;
        assert_eq!(status, 200, "{family}");
    }
    assert_eq!(app.app.sessions.kept(), 1, "kept near while Redis is down");
    assert_eq!(app.get("/api/v1/families", Some("some-token")).await.0, 401);
    logout(&app, &token).await;
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.0, 401);
    assert_eq!(
        app.get(&format!("/api/v1/families/{id}"), Some(&token))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn with_redis_down_rate_limits_hold_on_local_counters() {
    let app = TestApp::spawn_with(&[
        REDIS_DOWN,
        ("NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW", "2"),
    ])
    .await;
    let right = json!({"tenant": "xicheng", "username": "admin", "password": PASSWORD});
    let wrong = json!({"tenant": "xicheng", "username": "admin", "password": "guess"});
    for _ in 0..2 {
        assert_eq!(
            app.post_json("/api/v1/auth/login", None, &wrong).await.0,
            401
        );
    }
    assert_eq!(
        // After two failures from here, even the right password is refused (local counters).
        app.post_json("/api/v1/auth/login", None, &right).await.0,
        429
    );
}

#[tokio::test]
async fn with_redis_down_a_logout_on_one_node_holds_on_the_other_at_once() {
    let first = TestApp::spawn_with(&[REDIS_DOWN]).await;
    let second = first.another_node_with(&[REDIS_DOWN]).await;
    keeping_sessions_near(&second).await;
    let token = first.login("zhangdian", "admin").await;
    for _ in 0..2 {
        assert_eq!(second.get("/api/v1/auth/me", Some(&token)).await.0, 200);
    }
    assert_eq!(second.app.sessions.kept(), 1);
    logout(&first, &token).await;
    assert_eq!(first.get("/api/v1/auth/me", Some(&token)).await.0, 401);
    assert!(
        me_becomes(&second, &token, 401).await,
        "the second node still accepts a logged-out token"
    );
}

#[tokio::test]
async fn a_logout_by_a_node_that_cannot_reach_redis_removes_the_redis_copy() {
    // The first node cannot reach Redis; the second (and third) can.
    let first = TestApp::spawn_with(&[REDIS_DOWN]).await;
    let second = first.another_node().await;
    keeping_sessions_near(&second).await;
    let token = first.login("xicheng", "admin").await;
    // The second node finds it in the database and puts it in Redis.
    assert_eq!(second.get("/api/v1/auth/me", Some(&token)).await.0, 200);
    logout(&first, &token).await;
    assert!(
        me_becomes(&second, &token, 401).await,
        "the second node still accepts it"
    );
    // A node that only starts now reads Redis first: the copy must be gone.
    let third = first.another_node().await;
    assert_eq!(third.get("/api/v1/auth/me", Some(&token)).await.0, 401);
}

#[tokio::test]
async fn sessions_are_out_of_the_service_roles_reach_and_purged_when_over() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::spawn().await;
    let token = app.login("xicheng", "admin").await;
    let refused = diesel::sql_query("SELECT token_hash FROM sessions")
        .execute(&mut app.app_role().await)
        .await;
    assert!(
        refused.is_err(),
        "the service's role reads the sessions table"
    );
    assert_eq!(app.count("sessions").await, 1);
    // The service's own purge job (each minute) must not purge first: its periods are taken for this test.
    app.take_job_periods("purge_sessions", "platform", true)
        .await;
    logout(&app, &token).await;
    // Ended: kept until its Redis copy is known gone, then purged (the purge job does this every minute).
    assert_eq!(app.count("sessions").await, 1);
    let purged = nuanxin::auth::session::Sessions::purge(&app.app.pool, &app.app.store)
        .await
        .unwrap();
    assert_eq!((purged, app.count("sessions").await), (1, 0));
    // Expired sessions go too.
    let _live = app.login("xicheng", "street").await;
    diesel::sql_query("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .execute(&mut app.admin().await)
        .await
        .unwrap();
    let purged = nuanxin::auth::session::Sessions::purge(&app.app.pool, &app.app.store)
        .await
        .unwrap();
    assert_eq!((purged, app.count("sessions").await), (1, 0));
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
    let second = first.another_node().await;
    // The second node keeps sessions near only once it hears of ended sessions.
    keeping_sessions_near(&second).await;
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
    // The end reaches the second node from the database: allow for delivery, not for a cache lifetime.
    assert!(
        me_becomes(&second, &token, 401).await,
        "the second node still accepts a logged-out token"
    );
}

#[tokio::test]
async fn a_node_that_stops_hearing_of_ended_sessions_keeps_none_until_it_hears_again() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::spawn().await;
    keeping_sessions_near(&app).await;
    let token = app.login("xicheng", "admin").await;
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.0, 200);
    assert_eq!(app.app.sessions.kept(), 1);
    // The database ends the node's listening connection (a restart, a failover, an administrator).
    let ended = diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{}' AND application_name = 'nuanxin listen nuanxin_session_ended'",
        app.database
    ))
    .execute(&mut app.admin().await)
    .await
    .unwrap();
    assert_eq!(ended, 1, "one listening connection");
    let mut dropped = false;
    for _ in 0..40 {
        if !app.app.sessions.is_listening() && app.app.sessions.kept() == 0 {
            dropped = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        dropped,
        "the node still keeps sessions it can no longer hear of"
    );
    // Still served, from Redis; kept again once the node listens again.
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.0, 200);
    keeping_sessions_near(&app).await;
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.0, 200);
    assert_eq!(app.app.sessions.kept(), 1);
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
