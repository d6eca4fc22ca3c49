//! The newly-eligible job: follow-ups for streets when a family's entitlements change.

use chrono::NaiveDate;
use serde_json::json;

use crate::benefits::zd_family;
use crate::helpers::TestApp;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test]
async fn a_mother_turning_45_becomes_a_follow_up_for_her_street_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let street2 = app.login("zhangdian", "street2").await;
    // The mother turns 45 on 2025-06-15 (special assistance starts at 45 in Zhangdian).
    let family = app
        .create_family(
            &admin,
            &zd_family("mashang", "mashang-qiyue", 40, "19800615"),
        )
        .await;
    let district = app.app.districts.by_slug("zhangdian").expect("district");
    let access = || -> nuanxin::benefits::Access { app.app.clone().into_inner() };
    use nuanxin::benefits::newly_eligible::run;

    let first = run(access(), &district, day(2025, 6, 14))
        .await
        .expect("run");
    assert_eq!(
        (first.families, first.baselined, first.follow_ups_created),
        (1, 1, 0),
        "{first:?}"
    );
    let second = run(access(), &district, day(2025, 6, 15))
        .await
        .expect("run");
    assert_eq!(second.families_changed, 1, "{second:?}");
    assert!(second.follow_ups_created >= 2, "{second:?}");
    // Idempotent per family, change and date.
    let again = run(access(), &district, day(2025, 6, 15))
        .await
        .expect("run");
    assert_eq!(again.follow_ups_created, 0, "{again:?}");
    assert_eq!(
        app.count("follow_ups").await as u64,
        second.follow_ups_created
    );
    // The next day nothing changed: the snapshot round-trips exactly.
    let next = run(access(), &district, day(2025, 6, 16))
        .await
        .expect("run");
    assert_eq!(
        (next.families_changed, next.follow_ups_created),
        (0, 0),
        "{next:?}"
    );
    // Outside the policy's period the job compares nothing (no one "loses" everything).
    let out = run(access(), &district, day(2026, 6, 1))
        .await
        .expect("run");
    assert!(out.skipped.is_some());

    let (status, list) = app.get("/api/v1/follow-ups", Some(&street)).await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().expect("items");
    let mother = items
        .iter()
        .find(|f| f["program"] == "special_assistance" && f["person"] == "mother")
        .expect("special assistance for the mother");
    assert_eq!(mother["family_id"], family.as_str());
    assert_eq!(mother["change"], "gained");
    assert_eq!(mother["created_on"], "2025-06-15");
    assert_eq!(mother["street"], "马尚街道");
    assert!(
        mother["detail"]["summary"]
            .as_str()
            .unwrap_or("")
            .contains("母亲新符合"),
        "{mother}"
    );
    assert!(items
        .iter()
        .any(|f| f["program"] == "special_assistance" && f["person"] == "father"));

    let (status, other) = app.get("/api/v1/follow-ups", Some(&street2)).await;
    assert_eq!(
        (status, other["total"].as_i64()),
        (200, Some(0)),
        "another street sees none"
    );

    let id = mother["id"].as_str().expect("id");
    let (status, _) = app
        .post_json(
            &format!("/api/v1/follow-ups/{id}/done"),
            Some(&street2),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, done) = app
        .post_json(
            &format!("/api/v1/follow-ups/{id}/done"),
            Some(&street),
            &json!({"note": "已告知并登记"}),
        )
        .await;
    assert_eq!(
        (status, done["status"].as_str()),
        (200, Some("done")),
        "{done}"
    );
    let (status, body) = app
        .post_json(
            &format!("/api/v1/follow-ups/{id}/done"),
            Some(&street),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_done"))
    );
    let (_, open) = app
        .get("/api/v1/follow-ups?status=open", Some(&street))
        .await;
    assert_eq!(open["total"].as_u64(), Some(second.follow_ups_created - 1));
}

#[tokio::test]
async fn a_day_is_claimed_by_one_node_only() {
    let app = TestApp::spawn().await;
    let district = app.app.districts.by_slug("xicheng").expect("district");
    let access = || -> nuanxin::benefits::Access { app.app.clone().into_inner() };
    use nuanxin::benefits::newly_eligible::run_if_due;
    // The service's own daily task may already have claimed today: claim a day far ahead instead.
    let on = day(2099, 1, 1);
    let (a, b) = tokio::join!(
        run_if_due(access(), &district, on),
        run_if_due(access(), &district, on)
    );
    let ran = [a.expect("run"), b.expect("run")]
        .iter()
        .filter(|r| r.is_some())
        .count();
    assert_eq!(ran, 1);
    assert!(
        run_if_due(access(), &district, day(2098, 12, 31))
            .await
            .expect("run")
            .is_none(),
        "an earlier day never runs after a later one"
    );
}
