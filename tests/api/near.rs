//! Families kept near on each node (`registry::near`): a change reaches every node's readers at once,
//! whoever made it (the verification answers given from kept families too), and a kept family is still
//! refused outside the caller's district and scope.

use std::time::Duration;

use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::fixtures::family_body;
use crate::helpers::TestApp;

/// Reads the family on `node` until `done` holds for it; the notification of a change takes a moment.
async fn read_until(node: &TestApp, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut family = Value::Null;
    for _ in 0..40 {
        let (status, read) = node
            .get(&format!("/api/v1/families/{id}"), Some(token))
            .await;
        assert_eq!(status, 200, "{read}");
        family = read;
        if done(&family) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    family
}

/// A node that keeps families near, the district administrator's token, and a family of 新街口 (`serial`)
/// the administrator has read once, so the node keeps it.
async fn a_family_kept_near(serial: u32) -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    app.keeping_families_near().await;
    let admin = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", serial))
        .await;
    let (status, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&admin))
        .await;
    assert_eq!(status, 200, "{family}");
    assert_eq!(family["address"], format!("测试路{serial}号"));
    assert_eq!(app.app.near_families.kept(), 1, "kept after the first read");
    (app, admin, id)
}

#[tokio::test]
async fn a_change_on_one_node_is_read_on_every_node() {
    let first = TestApp::spawn().await;
    let second = first.another_node().await;
    first.keeping_families_near().await;
    second.keeping_families_near().await;
    let street = first.login("xicheng", "street").await;
    let mut body = family_body("xinjiekou", "xinjiekou-1", 40);
    let id = first.create_family(&street, &body).await;
    let path = format!("/api/v1/families/{id}");
    for node in [&first, &second] {
        for _ in 0..2 {
            assert_eq!(node.get(&path, Some(&street)).await.0, 200);
        }
        assert_eq!(node.app.near_families.kept(), 1, "read once, kept");
    }

    body["address"] = json!("测试路改后1号");
    let (status, updated) = first.put_json(&path, Some(&street), &body).await;
    assert_eq!(status, 200, "{updated}");
    // The node that made the change reads it at once, with no wait.
    let (_, family) = first.get(&path, Some(&street)).await;
    assert_eq!(family["address"], "测试路改后1号");
    assert_eq!(family["version"], 2);
    // The other node hears of it from the database.
    let family = read_until(&second, &street, &id, |f| f["version"] == 2).await;
    assert_eq!(family["address"], "测试路改后1号", "{family}");

    // An exit too: every node reads the family as exited.
    let (status, _) = second
        .post_json(
            &format!("{path}/exit"),
            Some(&street),
            &json!({"reason": "moved_away"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(second.get(&path, Some(&street)).await.1["status"], "exited");
    let family = read_until(&first, &street, &id, |f| f["status"] == "exited").await;
    assert_eq!(family["status"], "exited", "{family}");
}

#[tokio::test]
async fn a_change_made_outside_the_service_is_heard() {
    let (app, admin, id) = a_family_kept_near(41).await;
    // A database administrator corrects the address by hand.
    diesel::sql_query(format!(
        "UPDATE families SET address = '测试路41号之一' WHERE id = '{id}'"
    ))
    .execute(&mut app.admin().await)
    .await
    .expect("update by hand");
    let family = read_until(&app, &admin, &id, |f| f["address"] == "测试路41号之一").await;
    assert_eq!(family["address"], "测试路41号之一", "{family}");
}

#[tokio::test]
async fn a_kept_family_is_still_refused_outside_the_callers_district_and_scope() {
    let (app, _, id) = a_family_kept_near(42).await;
    let path = format!("/api/v1/families/{id}");

    // Neither the other district nor another street's staff reads the kept family; its own street does.
    let other_district = app.login("zhangdian", "admin").await;
    assert_eq!(app.get(&path, Some(&other_district)).await.0, 404);
    let other_street = app.login("xicheng", "street2").await;
    let (status, body) = app.get(&path, Some(&other_street)).await;
    assert!(status == 403 || status == 404, "{status} {body}");
    let own_street = app.login("xicheng", "street").await;
    assert_eq!(app.get(&path, Some(&own_street)).await.0, 200);
}

#[tokio::test]
async fn a_node_told_to_keep_no_families_reads_each_from_the_database() {
    let app = TestApp::spawn_with(&[("NUANXIN__DATABASE__NEAR_FAMILIES", "0")]).await;
    let admin = app.login("xicheng", "admin").await;
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 43))
        .await;
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/api/v1/families/{id}"), Some(&admin))
                .await
                .0,
            200
        );
    }
    assert_eq!(app.app.near_families.kept(), 0);
    assert!(!app.app.near_families.is_listening());
}

#[tokio::test]
async fn a_node_that_stops_hearing_changes_keeps_nothing_until_it_hears_again() {
    let (app, admin, id) = a_family_kept_near(44).await;
    // The database ends the node's listening connection (a restart, a failover, an administrator).
    let ended = diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{}' AND application_name = 'nuanxin listen nuanxin_family_changed'",
        app.database
    ))
    .execute(&mut app.admin().await)
    .await
    .expect("end the listening connection");
    assert_eq!(ended, 1, "one listening connection");
    let mut dropped = false;
    for _ in 0..40 {
        if !app.app.near_families.is_listening() || app.app.near_families.kept() == 0 {
            dropped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        dropped,
        "the node still keeps families it can no longer hear about"
    );
    assert_eq!(app.app.near_families.kept(), 0);
    // It listens again on its own, and keeps what it reads from then on.
    app.keeping_families_near().await;
    let (status, _) = app
        .get(&format!("/api/v1/families/{id}"), Some(&admin))
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.app.near_families.kept(), 1);
}

/// `node`'s verification for `resident_id`'s 体检 (health_check), asked by 区卫生局.
async fn verify(node: &TestApp, health: &str, resident_id: &Value) -> bool {
    let (status, answer) = node
        .post_json(
            "/api/v1/verifications",
            Some(health),
            &json!({"resident_id": resident_id, "program": "health_check"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["entitled"].as_bool().expect("yes or no")
}

/// Whether `node` answers `wanted` within two seconds; the notification of a change takes a moment.
async fn answers_within(node: &TestApp, health: &str, resident_id: &Value, wanted: bool) -> bool {
    for _ in 0..40 {
        if verify(node, health, resident_id).await == wanted {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_verification_answered_from_memory_follows_every_change_on_every_node() {
    let first = TestApp::spawn().await;
    let second = first.another_node().await;
    first.keeping_families_near().await;
    second.keeping_families_near().await;
    let street = first.login("xicheng", "street").await;
    let health = first.login("xicheng", "health").await;
    let mut body = family_body("xinjiekou", "xinjiekou-1", 46);
    let id = first.create_family(&street, &body).await;
    let path = format!("/api/v1/families/{id}");
    let mother = body["parents"][0]["resident_id"].clone();
    for node in [&first, &second] {
        // The district's first question is answered from the database and starts the node's index.
        assert!(
            verify(node, &health, &mother).await,
            "the mother has health checks"
        );
        let mut built = false;
        for _ in 0..40 {
            if node.app.near_families.status().held.parents == 2 {
                built = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(built, "the index holds both parents");
    }
    // From memory: with the database's lookup gone, both nodes still answer.
    diesel::sql_query(
        "ALTER FUNCTION family_of_resident(uuid, bytea) RENAME TO family_of_resident_gone",
    )
    .execute(&mut first.admin().await)
    .await
    .expect("rename the lookup");
    for node in [&first, &second] {
        assert!(
            verify(node, &health, &mother).await,
            "answered from the index"
        );
    }
    diesel::sql_query(
        "ALTER FUNCTION family_of_resident_gone(uuid, bytea) RENAME TO family_of_resident",
    )
    .execute(&mut first.admin().await)
    .await
    .expect("put the lookup back");

    // The mother's ID is corrected: the old one is nobody's on either node, the new one is hers.
    let old = mother;
    body["parents"][0]["resident_id"] = json!(crate::fixtures::resident_id("19640502", 46, true));
    let new = body["parents"][0]["resident_id"].clone();
    let (status, updated) = first.put_json(&path, Some(&street), &body).await;
    assert_eq!(status, 200, "{updated}");
    assert!(
        !verify(&first, &health, &old).await,
        "at once on the node that changed it"
    );
    assert!(verify(&first, &health, &new).await);
    assert!(
        answers_within(&second, &health, &old, false).await,
        "the other node hears of it"
    );
    assert!(verify(&second, &health, &new).await);

    // The family exits: no on both nodes, though each kept it and its hint.
    let (status, _) = second
        .post_json(
            &format!("{path}/exit"),
            Some(&street),
            &json!({"reason": "moved_away"}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        !verify(&second, &health, &new).await,
        "at once on the node that changed it"
    );
    assert!(
        answers_within(&first, &health, &new, false).await,
        "the other node hears of it"
    );
}
