//! Neighbour pairing and daily check-ins (issue 11): helpers, candidates, pairings with both consents,
//! check-ins, withdrawal, the sweep's ladder, alerts and their acknowledgment, refusals and isolation.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use diesel::sql_types::{BigInt, Date, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures::family_body;
use crate::helpers::TestApp;

/// A widowed bereaved mother aged 60+ in 新街口第一社区: Xicheng's `neighbor_pairing` entitlement.
fn elder_family(serial: u32) -> Value {
    let mut body = family_body("xinjiekou", "xinjiekou-1", serial);
    body["coordinates"] = json!({"lat": 39.9400, "lon": 116.3700});
    body
}

fn consent() -> Value {
    json!({"on": "2026-11-30", "how": "in_person"})
}

async fn create_helper(
    app: &TestApp,
    token: &str,
    name: &str,
    community: &str,
    at: [f64; 2],
    username: Option<&str>,
) -> String {
    let mut body =
        json!({"name": name, "phone": "13800138001", "community": community, "location": at});
    if let Some(u) = username {
        body["username"] = json!(u);
    }
    let (status, res) = app.post_json("/api/v1/helpers", Some(token), &body).await;
    assert_eq!(status, 201, "{res}");
    res["id"].as_str().unwrap().to_owned()
}

async fn pair(app: &TestApp, token: &str, family: &str, helper: &str, by: &str) -> (u16, Value) {
    app.post_json(
        "/api/v1/pairings",
        Some(token),
        &json!({"family_id": family, "person": "mother", "helper_id": helper,
                "elder_consent": consent(), "helper_consent": consent(), "check_in_by": by}),
    )
    .await
}

/// A family, a helper with the demo `volunteer` account, and their pairing (deadline 10:00).
struct Paired {
    community: String,
    volunteer: String,
    family: String,
    helper: String,
    pairing: String,
}

async fn paired(app: &TestApp, serial: u32) -> Paired {
    let street = app.login("xicheng", "street").await;
    let community = app.login("xicheng", "community").await;
    let volunteer = app.login("xicheng", "volunteer").await;
    let family = app.create_family(&street, &elder_family(serial)).await;
    let helper = create_helper(
        app,
        &community,
        "邻居甲",
        "xinjiekou-1",
        [39.9405, 116.3702],
        Some("volunteer"),
    )
    .await;
    let (status, res) = pair(app, &community, &family, &helper, "10:00").await;
    assert_eq!(status, 201, "{res}");
    Paired {
        community,
        volunteer,
        family,
        helper,
        pairing: res["id"].as_str().unwrap().to_owned(),
    }
}

#[derive(diesel::QueryableByName)]
struct Day {
    #[diesel(sql_type = Date)]
    d: NaiveDate,
}

#[derive(diesel::QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The first day the pairing expects a check-in.
async fn starts_on(app: &TestApp, pairing: &str) -> NaiveDate {
    let mut conn = app.admin().await;
    diesel::sql_query("SELECT starts_on AS d FROM checkin_pairings WHERE id = $1")
        .bind::<SqlUuid, _>(Uuid::parse_str(pairing).unwrap())
        .get_result::<Day>(&mut conn)
        .await
        .unwrap()
        .d
}

async fn count(app: &TestApp, sql: &str, pairing: &str) -> i64 {
    let mut conn = app.admin().await;
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(Uuid::parse_str(pairing).unwrap())
        .get_result::<N>(&mut conn)
        .await
        .unwrap()
        .n
}

/// `date` at local `hh:mm` + `minutes` (Asia/Shanghai, +08:00).
fn local(date: NaiveDate, hh_mm: &str, minutes: i64) -> DateTime<Utc> {
    let t = NaiveTime::parse_from_str(hh_mm, "%H:%M").unwrap();
    (date.and_time(t) - Duration::hours(8)).and_utc() + Duration::minutes(minutes)
}

/// Runs the sweep of Xicheng as of `at`; (pairing, level) of what it raised.
async fn sweep(app: &TestApp, at: DateTime<Utc>) -> Vec<(String, i64)> {
    let district = app.app.districts.by_slug("xicheng").unwrap();
    let report = nuanxin::checkins::sweep::sweep(&app.app.pool, &district, at)
        .await
        .unwrap();
    let mut out: Vec<_> = report
        .raised
        .iter()
        .map(|r| (r.pairing_id.to_string(), i64::from(r.level)))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn candidates_are_ranked_same_community_first_then_nearest_and_full_helpers_are_left_out() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let family = app.create_family(&street, &elder_family(1)).await;
    // 1.1 km away in the same community; 300 m away in the neighbouring community; 20 km away.
    let same = create_helper(
        &app,
        &street,
        "同社区邻居",
        "xinjiekou-1",
        [39.9500, 116.3700],
        None,
    )
    .await;
    let near = create_helper(
        &app,
        &street,
        "邻社区邻居",
        "xinjiekou-2",
        [39.9427, 116.3700],
        None,
    )
    .await;
    let far = create_helper(
        &app,
        &street,
        "远处的人",
        "xinjiekou-2",
        [40.1200, 116.3700],
        None,
    )
    .await;
    let path = format!("/api/v1/pairings/candidates?family_id={family}&person=mother");
    let (status, res) = app.get(&path, Some(&street)).await;
    assert_eq!(status, 200, "{res}");
    let items = res["items"].as_array().unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["helper_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [same.as_str(), near.as_str()], "{res}");
    assert!(!ids.contains(&far.as_str()));
    let d0 = items[0]["distance_m"].as_i64().unwrap();
    let d1 = items[1]["distance_m"].as_i64().unwrap();
    assert!(
        (1_050..1_150).contains(&d0) && (250..350).contains(&d1),
        "{res}"
    );

    // The same-community helper at their limit (max_elders 1) is no longer a candidate.
    let full = app
        .post_json(
            "/api/v1/helpers",
            Some(&street),
            &json!({"name": "满员邻居", "phone": "13800138002",
            "community": "xinjiekou-1", "location": [39.9401, 116.3701], "max_elders": 1}),
        )
        .await;
    assert_eq!(full.0, 201);
    let full = full.1["id"].as_str().unwrap().to_owned();
    let other = app.create_family(&street, &elder_family(2)).await;
    assert_eq!(pair(&app, &street, &other, &full, "10:00").await.0, 201);
    let (_, res) = app.get(&path, Some(&street)).await;
    assert!(!res["items"].to_string().contains(&full), "{res}");
    // And pairing with them is refused.
    let (status, res) = pair(&app, &street, &family, &full, "10:00").await;
    assert_eq!(
        (status, res["error"]["code"].as_str()),
        (409, Some("helper_full")),
        "{res}"
    );
}

#[tokio::test]
async fn an_elder_without_the_entitlement_is_not_eligible_until_enrolled_with_a_reason() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    // Both parents alive: not widowed, so no neighbor_pairing entitlement.
    let mut body = elder_family(3);
    body["parents"][1]["alive"] = json!(true);
    let family = app.create_family(&street, &body).await;
    let helper = create_helper(
        &app,
        &street,
        "邻居乙",
        "xinjiekou-1",
        [39.9401, 116.3701],
        None,
    )
    .await;
    let path = format!("/api/v1/pairings/candidates?family_id={family}&person=mother");
    let (status, res) = app.get(&path, Some(&street)).await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (422, Some("person")),
        "{res}"
    );
    let (status, res) = pair(&app, &street, &family, &helper, "10:00").await;
    assert_eq!(
        (status, res["error"]["code"].as_str()),
        (422, Some("not_eligible")),
        "{res}"
    );

    // An enrolment needs its reason; "other" needs a note.
    let (status, res) = app
        .post_json(
            "/api/v1/pairings/enrolments",
            Some(&street),
            &json!({"family_id": family, "person": "mother", "reason": "other"}),
        )
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (422, Some("note")),
        "{res}"
    );
    let enrol = json!({"family_id": family, "person": "mother", "reason": "living_alone"});
    assert_eq!(
        app.post_json("/api/v1/pairings/enrolments", Some(&street), &enrol)
            .await
            .0,
        201
    );
    assert_eq!(
        app.post_json("/api/v1/pairings/enrolments", Some(&street), &enrol)
            .await
            .0,
        200
    );
    let (status, res) = app.get(&path, Some(&street)).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["items"][0]["helper_id"], json!(helper));
    // A deceased father cannot be enrolled.
    let (status, res) = app
        .post_json("/api/v1/pairings/enrolments", Some(&street),
            &json!({"family_id": app.create_family(&street, &elder_family(4)).await, "person": "father", "reason": "living_alone"}))
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (422, Some("person")),
        "{res}"
    );
}

#[tokio::test]
async fn a_pairing_needs_both_consents_and_the_error_names_the_missing_one() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let family = app.create_family(&street, &elder_family(5)).await;
    let helper = create_helper(
        &app,
        &street,
        "邻居丙",
        "xinjiekou-1",
        [39.9401, 116.3701],
        None,
    )
    .await;
    for (missing, field) in [
        ("elder_consent", "elder_consent"),
        ("helper_consent", "helper_consent"),
    ] {
        let mut body = json!({"family_id": family, "person": "mother", "helper_id": helper,
            "elder_consent": consent(), "helper_consent": consent(), "check_in_by": "10:00"});
        body.as_object_mut().unwrap().remove(missing);
        let (status, res) = app
            .post_json("/api/v1/pairings", Some(&street), &body)
            .await;
        assert_eq!(
            (status, res["error"]["field"].as_str()),
            (422, Some(field)),
            "{res}"
        );
    }
    let body = json!({"family_id": family, "person": "mother", "helper_id": helper,
        "elder_consent": {"on": "2099-01-01", "how": "phone"}, "helper_consent": consent(), "check_in_by": "9点"});
    let (status, res) = app
        .post_json("/api/v1/pairings", Some(&street), &body)
        .await;
    assert_eq!(status, 422, "{res}");
    let fields: Vec<&str> = res["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["elder_consent.on", "check_in_by"]);
    assert_eq!(app.count("checkin_pairings").await, 0);
    // Bad helper input names each field.
    let (status, res) = app
        .post_json(
            "/api/v1/helpers",
            Some(&street),
            &json!({"name": "", "phone": "1", "community": "nowhere", "location": [0.0, 0.0]}),
        )
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (422, Some("name")),
        "{res}"
    );
}

#[tokio::test]
async fn two_coordinators_pairing_one_elder_at_once_get_one_pairing_and_a_409() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let community = app.login("xicheng", "community").await;
    let family = app.create_family(&street, &elder_family(6)).await;
    let a = create_helper(
        &app,
        &street,
        "邻居丁",
        "xinjiekou-1",
        [39.9401, 116.3701],
        None,
    )
    .await;
    let b = create_helper(
        &app,
        &street,
        "邻居戊",
        "xinjiekou-1",
        [39.9402, 116.3702],
        None,
    )
    .await;
    for _ in 0..3 {
        let (x, y) = tokio::join!(
            pair(&app, &street, &family, &a, "10:00"),
            pair(&app, &community, &family, &b, "10:00")
        );
        let mut statuses = [x.0, y.0];
        statuses.sort();
        if statuses == [201, 409] {
            let conflict = if x.0 == 409 { &x.1 } else { &y.1 };
            assert_eq!(conflict["error"]["code"], "already_paired", "{conflict}");
        } else {
            // A later round: both conflict with the pairing of the first.
            assert_eq!(statuses, [409, 409], "{x:?} {y:?}");
        }
    }
    assert_eq!(app.count("checkin_pairings").await, 1);
}

#[tokio::test]
async fn the_ladder_raises_each_step_once_at_its_time_and_an_acknowledgment_stops_it() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 7).await;
    let day = starts_on(&app, &p.pairing).await;
    let id = p.pairing.clone();
    assert_eq!(sweep(&app, local(day, "10:00", -1)).await, []);
    assert_eq!(sweep(&app, local(day, "10:00", 0)).await, [(id.clone(), 1)]);
    assert_eq!(sweep(&app, local(day, "10:00", 0)).await, []);
    assert_eq!(
        sweep(&app, local(day, "10:00", 61)).await,
        [(id.clone(), 2), (id.clone(), 3)]
    );
    assert_eq!(sweep(&app, local(day, "10:00", 61)).await, []);
    let alerts = "SELECT count(*) AS n FROM checkin_alerts WHERE pairing_id = $1";
    assert_eq!(count(&app, alerts, &p.pairing).await, 3);

    // The community worker sees them open, with the contract's fields, and acknowledges one.
    let (status, res) = app
        .get("/api/v1/check-in-alerts?status=open", Some(&p.community))
        .await;
    assert_eq!(status, 200, "{res}");
    let items = res["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{res}");
    for key in [
        "id",
        "pairing_id",
        "level",
        "recipient",
        "due_at",
        "raised_at",
    ] {
        assert!(!items[0][key].is_null(), "{key}: {res}");
    }
    let street_alert = items
        .iter()
        .find(|i| i["recipient"] == "street_office")
        .unwrap();
    assert_eq!(street_alert["level"], 3);
    let due: DateTime<Utc> = street_alert["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due, local(day, "11:00", 0));
    let ack = format!(
        "/api/v1/check-in-alerts/{}/acknowledge",
        items[0]["id"].as_str().unwrap()
    );
    let (status, res) = app
        .post_json(&ack, Some(&p.community), &json!({"finding": ""}))
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (422, Some("finding")),
        "{res}"
    );
    let (status, res) = app
        .post_json(
            &ack,
            Some(&p.community),
            &json!({"finding": "电话联系上，老人平安"}),
        )
        .await;
    assert_eq!(status, 200, "{res}");
    let (status, res) = app
        .post_json(&ack, Some(&p.community), &json!({"finding": "再次确认"}))
        .await;
    assert_eq!(
        (status, res["error"]["code"].as_str()),
        (409, Some("already_acknowledged")),
        "{res}"
    );
    let (_, res) = app
        .get("/api/v1/check-in-alerts?status=open", Some(&p.community))
        .await;
    assert_eq!(res["items"], json!([]), "{res}");
    // The district office's step never comes: the acknowledgment stopped the ladder.
    assert_eq!(sweep(&app, local(day, "10:00", 180)).await, []);

    // Each raised step wrote its mail in the same transaction (the street office and the district
    // office have addresses in the demo; the helper and community have none).
    let mut conn = app.admin().await;
    let mails: Vec<N> =
        diesel::sql_query("SELECT count(*) AS n FROM mail_outbox WHERE subject LIKE $1")
            .bind::<Text, _>("%每日探询提醒（第3级）%")
            .load(&mut conn)
            .await
            .unwrap();
    assert_eq!(mails[0].n, 1);
}

#[tokio::test]
async fn after_an_outage_the_sweep_raises_every_step_that_fell_due_marked_late() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 8).await;
    let day = starts_on(&app, &p.pairing).await;
    let raised = sweep(&app, local(day, "10:00", 150)).await;
    let levels: Vec<i64> = raised.iter().map(|r| r.1).collect();
    assert_eq!(levels, [1, 2, 3, 4]);
    let late = "SELECT count(*) AS n FROM checkin_alerts WHERE pairing_id = $1 AND late";
    assert_eq!(count(&app, late, &p.pairing).await, 4);
    // The snapshot of the day's ladder was stored with its first alert.
    let days = "SELECT count(*) AS n FROM checkin_days WHERE pairing_id = $1 AND jsonb_array_length(steps) = 4";
    assert_eq!(count(&app, days, &p.pairing).await, 1);
}

#[tokio::test]
async fn the_helper_checks_in_and_a_worrying_outcome_escalates_at_once_then_well_clears_it() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let community = app.login("xicheng", "community").await;
    let volunteer = app.login("xicheng", "volunteer").await;
    let family = app.create_family(&street, &elder_family(9)).await;
    let helper = create_helper(
        &app,
        &community,
        "邻居己",
        "xinjiekou-1",
        [39.9401, 116.3701],
        Some("volunteer"),
    )
    .await;
    // A deadline late in the day, so the pairing expects today's check-in.
    let (status, res) = pair(&app, &community, &family, &helper, "23:59").await;
    assert_eq!(status, 201, "{res}");
    let pairing = res["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/pairings/{pairing}/check-ins");
    let (status, res) = app
        .post_json(
            &path,
            Some(&volunteer),
            &json!({"outcome": "not_reached", "how": "phone"}),
        )
        .await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res["on_behalf"], false);
    // Every step fell due at the check-in: all four raised without waiting for the deadline.
    let alerts =
        "SELECT count(*) AS n FROM checkin_alerts WHERE pairing_id = $1 AND cause = 'not_reached'";
    assert_eq!(count(&app, alerts, &pairing).await, 4);
    let (status, res) = app
        .get("/api/v1/check-in-alerts?status=open", Some(&volunteer))
        .await;
    assert_eq!(status, 200);
    assert_eq!(res["items"].as_array().unwrap().len(), 4, "{res}");
    // The community worker logs "well" on the helper's behalf: every alert gets its all-clear.
    let (status, res) = app
        .post_json(
            &path,
            Some(&community),
            &json!({"outcome": "well", "how": "visit"}),
        )
        .await;
    assert_eq!(
        (status, res["on_behalf"].as_bool()),
        (201, Some(true)),
        "{res}"
    );
    let cleared =
        "SELECT count(*) AS n FROM checkin_alerts WHERE pairing_id = $1 AND cleared_at IS NOT NULL";
    assert_eq!(count(&app, cleared, &pairing).await, 4);
    let (_, res) = app
        .get("/api/v1/check-in-alerts?status=open", Some(&community))
        .await;
    assert_eq!(res["items"], json!([]));
    // Bad input names the field.
    let (status, res) = app
        .post_json(
            &path,
            Some(&volunteer),
            &json!({"outcome": "fine", "how": "phone"}),
        )
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (400, Some("outcome")),
        "{res}"
    );
}

#[tokio::test]
async fn after_a_withdrawal_no_check_in_is_taken_and_no_alert_is_raised() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 10).await;
    let day = starts_on(&app, &p.pairing).await;
    let path = format!("/api/v1/pairings/{}/withdraw", p.pairing);
    let (status, res) = app
        .post_json(
            &path,
            Some(&p.community),
            &json!({"side": "elder", "reason": " "}),
        )
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (422, Some("reason")),
        "{res}"
    );
    let (status, res) = app
        .post_json(
            &path,
            Some(&p.community),
            &json!({"side": "elder", "reason": "老人搬去子女家住"}),
        )
        .await;
    assert_eq!(status, 200, "{res}");
    let (status, _) = app
        .post_json(
            &path,
            Some(&p.community),
            &json!({"side": "helper", "reason": "again"}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(sweep(&app, local(day, "10:00", 200)).await, []);
    let check_in = format!("/api/v1/pairings/{}/check-ins", p.pairing);
    let (status, res) = app
        .post_json(
            &check_in,
            Some(&p.community),
            &json!({"outcome": "well", "how": "visit"}),
        )
        .await;
    assert_eq!(
        (status, res["error"]["code"].as_str()),
        (409, Some("pairing_ended")),
        "{res}"
    );
    // The volunteer's access to the family ended with the pairing; the history stays.
    let (status, _) = app
        .post_json(
            &check_in,
            Some(&p.volunteer),
            &json!({"outcome": "well", "how": "visit"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.count("checkin_pairings").await, 1);
    // The elder can be paired again, with the same helper.
    assert_eq!(
        pair(&app, &p.community, &p.family, &p.helper, "10:00")
            .await
            .0,
        201
    );
}

#[tokio::test]
async fn a_pause_stops_the_expectation_without_ending_the_pairing() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 11).await;
    let day = starts_on(&app, &p.pairing).await;
    let path = format!("/api/v1/pairings/{}/pauses", p.pairing);
    let (status, res) = app
        .post_json(
            &path,
            Some(&p.community),
            &json!({"from": day, "until": day - Duration::days(1), "reason": "hospital"}),
        )
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (422, Some("until")),
        "{res}"
    );
    let (status, _) = app
        .post_json(
            &path,
            Some(&p.community),
            &json!({"from": day, "until": day, "reason": "hospital"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(sweep(&app, local(day, "10:00", 200)).await, []);
    let next = day + Duration::days(1);
    assert_eq!(
        sweep(&app, local(next, "10:00", 0)).await,
        [(p.pairing.clone(), 1)]
    );
}

#[tokio::test]
async fn an_emergency_tells_the_street_at_once_through_the_outbox() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 12).await;
    let path = format!("/api/v1/pairings/{}/emergencies", p.pairing);
    let (status, res) = app
        .post_json(
            &path,
            Some(&p.volunteer),
            &json!({"what": "", "ambulance": true}),
        )
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (422, Some("what")),
        "{res}"
    );
    let before = app.count("mail_outbox").await;
    let (status, res) = app
        .post_json(
            &path,
            Some(&p.volunteer),
            &json!({"what": "老人在家中摔倒", "ambulance": true, "hospital": "人民医院"}),
        )
        .await;
    assert_eq!(status, 201, "{res}");
    // The street office has an address in the demo (the community worker has none).
    assert_eq!(res["told"], 1);
    assert_eq!(app.count("mail_outbox").await, before + 1);
}

#[tokio::test]
async fn another_districts_user_gets_404_for_its_ids_and_empty_lists() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 13).await;
    let day = starts_on(&app, &p.pairing).await;
    sweep(&app, local(day, "10:00", 61)).await;
    let (_, res) = app.get("/api/v1/check-in-alerts", Some(&p.community)).await;
    let alert = res["items"][0]["id"].as_str().unwrap().to_owned();
    let other = app.login("zhangdian", "street").await;
    let other_community = app.login("zhangdian", "community").await;
    let (status, res) = app
        .get("/api/v1/check-in-alerts?status=open", Some(&other))
        .await;
    assert_eq!((status, res["items"].clone()), (200, json!([])));
    let (status, _) = app
        .post_json(
            &format!("/api/v1/check-in-alerts/{alert}/acknowledge"),
            Some(&other),
            &json!({"finding": "x"}),
        )
        .await;
    assert_eq!(status, 404);
    for (path, body) in [
        (
            format!("/api/v1/pairings/{}/check-ins", p.pairing),
            json!({"outcome": "well", "how": "visit"}),
        ),
        (
            format!("/api/v1/pairings/{}/withdraw", p.pairing),
            json!({"side": "elder", "reason": "x"}),
        ),
        (
            format!("/api/v1/pairings/{}/pauses", p.pairing),
            json!({"from": day, "reason": "hospital"}),
        ),
    ] {
        let (status, res) = app.post_json(&path, Some(&other_community), &body).await;
        assert_eq!(status, 404, "{path}: {res}");
    }
    let (status, _) = app
        .get(
            &format!(
                "/api/v1/pairings/candidates?family_id={}&person=mother",
                p.family
            ),
            Some(&other),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = pair(&app, &other, &p.family, &p.helper, "10:00").await;
    assert!(status == 404 || status == 422, "{status}");
    // A street of the same district that is not the family's sees none of it either.
    let street2 = app.login("xicheng", "street2").await;
    let (_, res) = app.get("/api/v1/check-in-alerts", Some(&street2)).await;
    assert_eq!(res["items"], json!([]));
    let (status, _) = app
        .post_json(
            &format!("/api/v1/pairings/{}/withdraw", p.pairing),
            Some(&street2),
            &json!({"side": "elder", "reason": "x"}),
        )
        .await;
    assert_eq!(status, 404);
}

struct Case {
    method: Method,
    path: String,
    body: Value,
    allowed: &'static [&'static str],
    ok: u16,
}

#[tokio::test]
async fn every_check_in_endpoint_refuses_the_roles_it_is_not_for() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 14).await;
    let day = starts_on(&app, &p.pairing).await;
    sweep(&app, local(day, "10:00", 0)).await;
    let (_, res) = app.get("/api/v1/check-in-alerts", Some(&p.community)).await;
    let alert = res["items"][0]["id"].as_str().unwrap().to_owned();
    let roles = [
        "admin",
        "street",
        "community",
        "bureau",
        "socialorg",
        "volunteer",
    ];
    let cases = [
        Case {
            method: Method::POST,
            path: "/api/v1/helpers".into(),
            body: json!({"name": "邻居", "phone": "13800138009", "community": "xinjiekou-1", "location": [39.94, 116.37]}),
            allowed: &["street", "community"],
            ok: 201,
        },
        Case {
            method: Method::GET,
            path: format!(
                "/api/v1/pairings/candidates?family_id={}&person=mother",
                p.family
            ),
            body: Value::Null,
            allowed: &["street", "community"],
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/pairings/enrolments".into(),
            body: json!({"family_id": p.family, "person": "mother", "reason": "living_alone"}),
            allowed: &["street", "community"],
            ok: 201,
        },
        Case {
            method: Method::POST,
            path: format!("/api/v1/pairings/{}/check-ins", p.pairing),
            body: json!({"outcome": "well", "how": "visit"}),
            allowed: &["community", "volunteer"],
            ok: 201,
        },
        Case {
            method: Method::POST,
            path: format!("/api/v1/pairings/{}/emergencies", p.pairing),
            body: json!({"what": "摔倒", "ambulance": false}),
            allowed: &["community", "volunteer"],
            ok: 201,
        },
        Case {
            method: Method::POST,
            path: format!("/api/v1/pairings/{}/pauses", p.pairing),
            body: json!({"from": "2030-01-01", "reason": "relatives"}),
            allowed: &["street", "community"],
            ok: 201,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/check-in-alerts?status=open".into(),
            body: Value::Null,
            allowed: &["admin", "street", "community", "volunteer"],
            ok: 200,
        },
    ];
    for case in &cases {
        for role in roles {
            let token = app.login("xicheng", role).await;
            let mut req = app
                .client
                .request(case.method.clone(), app.url(&case.path))
                .bearer_auth(&token);
            if !case.body.is_null() {
                req = req.json(&case.body);
            }
            let status = req.send().await.unwrap().status().as_u16();
            let expected = if case.allowed.contains(&role) {
                case.ok
            } else {
                403
            };
            // A second enrolment of the same member answers 200.
            let expected =
                if expected == 201 && case.path.ends_with("enrolments") && role == "community" {
                    200
                } else {
                    expected
                };
            assert_eq!(status, expected, "{} {} as {role}", case.method, case.path);
        }
        let operator = app
            .post_json("/api/v1/auth/login", None, &json!({"tenant": "platform", "username": "operator", "password": crate::helpers::PASSWORD}))
            .await;
        let token = operator.1["token"].as_str().unwrap().to_owned();
        let status = app
            .client
            .request(case.method.clone(), app.url(&case.path))
            .bearer_auth(&token)
            .json(&case.body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, 403, "{} {} as operator", case.method, case.path);
    }
    // Acknowledge and withdraw last (they change the state the other cases need).
    let ack = format!("/api/v1/check-in-alerts/{alert}/acknowledge");
    for role in ["bureau", "socialorg"] {
        let token = app.login("xicheng", role).await;
        assert_eq!(
            app.post_json(&ack, Some(&token), &json!({"finding": "x"}))
                .await
                .0,
            403,
            "{role}"
        );
    }
    assert_eq!(
        app.post_json(
            &ack,
            Some(&p.volunteer),
            &json!({"finding": "上门看过，平安"})
        )
        .await
        .0,
        200
    );
    let withdraw = format!("/api/v1/pairings/{}/withdraw", p.pairing);
    for role in ["admin", "bureau", "socialorg", "volunteer"] {
        let token = app.login("xicheng", role).await;
        let status = app
            .post_json(
                &withdraw,
                Some(&token),
                &json!({"side": "elder", "reason": "x"}),
            )
            .await
            .0;
        assert_eq!(status, 403, "{role}");
    }
    assert_eq!(
        app.post_json(
            &withdraw,
            Some(&p.community),
            &json!({"side": "helper", "reason": "邻居搬家"})
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn a_stalled_sweep_shows_in_readyz_and_metrics_and_the_district_office_is_told_once() {
    let app = TestApp::spawn().await;
    let mut conn = app.admin().await;
    // Wait for the service's own first sweeps, then age their success by ten minutes.
    let mut done = false;
    for _ in 0..600 {
        let n: N = diesel::sql_query(
            "SELECT count(*) AS n FROM job_runs WHERE job = 'checkins_sweep' AND last_success_at IS NOT NULL",
        )
        .get_result(&mut conn)
        .await
        .unwrap();
        // Both districts: readiness looks at the district that has waited longest.
        if n.n == 2 {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(done, "the service's sweep job never completed");
    let (_, res) = app.get("/readyz", None).await;
    assert_eq!(
        (
            res["status"].as_str(),
            res["checkins_sweep"]["status"].as_str()
        ),
        (Some("ready"), Some("ok")),
        "{res}"
    );
    diesel::sql_query("UPDATE job_runs SET last_success_at = now() - interval '10 minutes' WHERE job = 'checkins_sweep'")
        .execute(&mut conn)
        .await
        .unwrap();
    let (status, res) = app.get("/readyz", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            res["status"].as_str(),
            res["checkins_sweep"]["status"].as_str()
        ),
        (Some("degraded"), Some("stalled")),
        "{res}"
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("nuanxin_checkins_sweep_stalled 1"),
        "{metrics}"
    );

    let district = app.app.districts.by_slug("xicheng").unwrap();
    let now = Utc::now();
    let watch = |at| nuanxin::checkins::sweep::watch(&app.app.pool, &district, now, at);
    // The district office (its administrator has an address) is told once, however often it is asked
    // — here and by the service's own watchdog, which may have asked first.
    let first = watch(now).await.unwrap();
    assert!(matches!(first, Some(0 | 1)), "{first:?}");
    assert_eq!(watch(now + Duration::minutes(1)).await.unwrap(), Some(0));
    let told: N = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM mail_outbox WHERE subject = '【暖心】每日探询巡检已停止' \
         AND tenant_id = '{}'",
        district.id
    ))
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(told.n, 1);
}

/// The built `nuanxin` binary (built here if this test binary was built without it).
fn nuanxin_binary() -> std::path::PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "nuanxin", "--bin", "nuanxin"])
        .status()
        .expect("cargo build");
    assert!(status.success());
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("nuanxin")
}

fn sweep_command(app: &TestApp, at: DateTime<Utc>) -> std::process::Command {
    let mut cmd = std::process::Command::new(nuanxin_binary());
    cmd.args([
        "checkins",
        "sweep",
        "--tenant",
        "xicheng",
        "--at",
        &at.to_rfc3339(),
    ])
    .env(
        "DATABASE_URL",
        format!("{}/{}", crate::helpers::SERVER, app.database),
    )
    .env(
        "NUANXIN__APPLICATION__TENANTS_DIR",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tenants"),
    )
    .env("RUST_LOG", "error")
    .stdout(std::process::Stdio::piped());
    cmd
}

/// `count` more elders paired like `pairing` (their families copied from its family, in SQL: the
/// sweep reads pairings and the families' units only).
async fn copies(app: &TestApp, pairing: &str, count: i64) {
    let mut conn = app.admin().await;
    diesel::sql_query(
        "WITH src AS (SELECT * FROM checkin_pairings WHERE id = $1), \
         fam AS (INSERT INTO families SELECT (jsonb_populate_record(NULL::families, \
                 to_jsonb(f) || jsonb_build_object('id', gen_random_uuid()))).* \
                 FROM families f, src, generate_series(1, $2) WHERE f.id = src.family_id RETURNING id) \
         INSERT INTO checkin_pairings SELECT (jsonb_populate_record(NULL::checkin_pairings, \
             to_jsonb(src) || jsonb_build_object('id', gen_random_uuid(), 'family_id', fam.id))).* \
         FROM src, fam",
    )
    .bind::<SqlUuid, _>(Uuid::parse_str(pairing).unwrap())
    .bind::<BigInt, _>(count)
    .execute(&mut conn)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_cli_sweep_prints_what_it_raised_and_a_second_run_for_the_same_time_raises_nothing() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 15).await;
    let day = starts_on(&app, &p.pairing).await;
    let at = local(day, "10:00", 31);
    let first = sweep_command(&app, at).output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(
        out["raised"],
        json!([
            {"pairing_id": p.pairing, "level": 1, "recipient": "helper", "late": true},
            {"pairing_id": p.pairing, "level": 2, "recipient": "community_worker", "late": false},
        ]),
        "{out}"
    );
    let second = sweep_command(&app, at).output().unwrap();
    assert!(second.status.success());
    let out: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(out["raised"], json!([]), "{out}");
}

#[tokio::test]
async fn a_sweep_killed_mid_run_loses_and_duplicates_nothing() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 16).await;
    // Two pages of the sweep (5,000 pairings each).
    let n = 6_000;
    copies(&app, &p.pairing, n - 1).await;
    let day = starts_on(&app, &p.pairing).await;
    // Two and a half hours after the deadline: all four steps of every pairing are due.
    let at = local(day, "10:00", 150);
    let count_alerts = || async {
        let mut conn = app.admin().await;
        diesel::sql_query("SELECT count(*) AS n FROM checkin_alerts")
            .get_result::<N>(&mut conn)
            .await
            .unwrap()
            .n
    };
    let mut child = sweep_command(&app, at).spawn().unwrap();
    // kill -9 as soon as the first page has committed: no chance to finish the next or clean up.
    let mut after_kill = 0;
    for _ in 0..3_000 {
        after_kill = count_alerts().await;
        if after_kill > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    let _ = child.wait();
    let after_kill = count_alerts().await.max(after_kill);
    assert!(
        0 < after_kill && after_kill < 4 * n,
        "killed mid-sweep: {after_kill} of {}",
        4 * n
    );
    let rest = sweep_command(&app, at).output().unwrap();
    assert!(
        rest.status.success(),
        "{}",
        String::from_utf8_lossy(&rest.stderr)
    );
    let out: Value = serde_json::from_slice(&rest.stdout).unwrap();
    let raised = out["raised"].as_array().unwrap().len() as i64;
    assert_eq!(
        after_kill + raised,
        4 * n,
        "the second run raises exactly what the killed one had not"
    );
    assert_eq!(count_alerts().await, 4 * n);
    // Each alert's mail exists exactly when the alert does: one to the street office (level 3) and one
    // to the district office (level 4) per pairing; the demo community and helper have no address.
    let mut conn = app.admin().await;
    let mails: N = diesel::sql_query(
        "SELECT count(*) AS n FROM mail_outbox WHERE subject LIKE '%每日探询提醒%'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(mails.n, 2 * n);
    let again = sweep_command(&app, at).output().unwrap();
    let out: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(out["raised"], json!([]));
}

/// The helper's list on a phone (one tap to check in), the community worker's board with its open
/// alerts, and the street's overview with the 30-day chart, in headless Chromium, desktop and phone.
#[tokio::test]
async fn the_check_in_pages_work_in_chromium_on_a_desktop_and_a_phone() {
    use crate::browser::{browser, check_page, click, fill, main_text, sign_in, start_driver};
    use fantoccini::Locator;

    let app = TestApp::spawn().await;
    let p = paired(&app, 17).await;
    let street = app.login("xicheng", "street").await;
    // A second elder whose helper has no account, checked on today and not reached: escalated.
    let family = app.create_family(&street, &elder_family(18)).await;
    let helper = create_helper(
        &app,
        &p.community,
        "王邻居",
        "xinjiekou-1",
        [39.9402, 116.3701],
        None,
    )
    .await;
    let (_, res) = pair(&app, &p.community, &family, &helper, "23:59").await;
    let second = res["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/pairings/{second}/check-ins");
    let (status, _) = app
        .post_json(
            &path,
            Some(&p.community),
            &json!({"outcome": "not_reached", "how": "phone"}),
        )
        .await;
    assert_eq!(status, 201);

    let driver = start_driver().await;
    for phone in [false, true] {
        let c = browser(&driver, phone).await;
        sign_in(&c, &app.address, "xicheng", "volunteer").await;
        c.goto(&app.url("/console/checkins")).await.unwrap();
        let body = main_text(&c).await;
        assert!(
            body.contains("今天要探询的老人") && body.contains("测试母亲"),
            "{body}"
        );
        // The volunteer sees their own elder only, not the second pairing's.
        assert!(!body.contains("王邻居"), "{body}");
        check_page(&c, "checkins-helper", phone).await;
        if phone {
            click(&c, "form.tap button[value=well]").await;
            for _ in 0..50 {
                if c.current_url().await.unwrap().query() == Some("done=checked") {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let body = main_text(&c).await;
            assert!(
                body.contains("已记录探询") && body.contains("平安"),
                "{body}"
            );
            check_page(&c, "checkins-helper-done", phone).await;
        }
        c.close().await.unwrap();

        let c = browser(&driver, phone).await;
        sign_in(&c, &app.address, "xicheng", "community").await;
        c.goto(&app.url("/console/checkins")).await.unwrap();
        let body = main_text(&c).await;
        assert!(
            body.contains("待处理提醒（1位老人）")
                && body.contains("已上报至第4级")
                && body.contains("已上报")
                && body.contains("代记探询"),
            "{body}"
        );
        check_page(&c, "checkins-board", phone).await;
        c.close().await.unwrap();

        let c = browser(&driver, phone).await;
        sign_in(&c, &app.address, "xicheng", "street").await;
        c.goto(&app.url("/console/checkins")).await.unwrap();
        assert!(
            c.find(Locator::Css("main svg")).await.is_ok(),
            "the 30-day chart"
        );
        check_page(&c, "checkins-street", phone).await;
        c.close().await.unwrap();
    }
    // The community worker acknowledges from the board: the alerts are closed.
    let c = browser(&driver, false).await;
    sign_in(&c, &app.address, "xicheng", "community").await;
    c.goto(&app.url("/console/checkins")).await.unwrap();
    fill(&c, "form.inline input[name=finding]", "已上门，老人平安").await;
    click(&c, "form.inline button").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let body = main_text(&c).await;
    assert!(
        body.contains("已确认提醒") && body.contains("待处理提醒：0位老人"),
        "{body}"
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_demo_has_two_eligible_elders_in_the_community_accounts_community_and_the_contract_ladder(
) {
    let app = TestApp::spawn().await;
    let settings = crate::helpers::test_settings(&app.database, &[]);
    let pool = nuanxin_db::pool::build_pool(&settings.app_database_url(), 2).unwrap();
    nuanxin::cli::onboard(&settings, &pool, "xicheng", true)
        .await
        .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        family_id: Uuid,
    }
    let mut conn = app.admin().await;
    let enrolled: Vec<Id> =
        diesel::sql_query("SELECT family_id FROM checkin_enrolments ORDER BY family_id")
            .load(&mut conn)
            .await
            .unwrap();
    assert_eq!(enrolled.len(), 2);
    let community = app.login("xicheng", "community").await;
    for e in &enrolled {
        let path = format!(
            "/api/v1/pairings/candidates?family_id={}&person=mother",
            e.family_id
        );
        let (status, res) = app.get(&path, Some(&community)).await;
        assert_eq!(status, 200, "{res}");
    }
    assert_eq!(app.count("checkin_pairings").await, 1);
    let district = app.app.districts.by_slug("xicheng").unwrap();
    let ladder = district.checkins.as_deref().unwrap();
    let steps: Vec<(u32, &str)> = ladder
        .steps()
        .iter()
        .map(|s| (s.after_minutes, s.recipient.code()))
        .collect();
    assert_eq!(
        steps,
        [
            (0, "helper"),
            (30, "community_worker"),
            (60, "street_office"),
            (120, "district_office")
        ]
    );
}

#[tokio::test]
async fn seven_expected_days_without_a_check_in_flag_the_pairing_once_even_when_alerts_were_acknowledged(
) {
    let app = TestApp::spawn().await;
    let p = paired(&app, 19).await;
    let day = starts_on(&app, &p.pairing).await;
    let flags = "SELECT count(*) AS n FROM checkin_silences WHERE pairing_id = $1";
    // Six days whose deadline passed: not yet; the day's alerts acknowledged do not count as check-ins.
    sweep(&app, local(day + Duration::days(5), "10:00", 30)).await;
    let (_, res) = app
        .get("/api/v1/check-in-alerts?status=open", Some(&p.community))
        .await;
    let alert = res["items"][0]["id"].as_str().unwrap().to_owned();
    let ack = format!("/api/v1/check-in-alerts/{alert}/acknowledge");
    assert_eq!(
        app.post_json(&ack, Some(&p.community), &json!({"finding": "电话联系上"}))
            .await
            .0,
        200
    );
    assert_eq!(count(&app, flags, &p.pairing).await, 0);
    // The seventh deadline passes: flagged once, however often it is swept.
    sweep(&app, local(day + Duration::days(6), "10:00", 1)).await;
    sweep(&app, local(day + Duration::days(6), "10:00", 2)).await;
    assert_eq!(count(&app, flags, &p.pairing).await, 1);
    let mut conn = app.admin().await;
    let since: Day =
        diesel::sql_query("SELECT since AS d FROM checkin_silences WHERE pairing_id = $1")
            .bind::<SqlUuid, _>(Uuid::parse_str(&p.pairing).unwrap())
            .get_result(&mut conn)
            .await
            .unwrap();
    assert_eq!(since.d, day);
}

/// A check-in of the pairing for `day`, logged at `at` (as the helper would have, at that time).
async fn logged_at(app: &TestApp, pairing: &str, day: NaiveDate, at: DateTime<Utc>, outcome: &str) {
    let mut conn = app.admin().await;
    diesel::sql_query(
        "INSERT INTO checkin_check_ins (tenant_id, id, pairing_id, logged_at, day, outcome, how, logged_by, on_behalf) \
         SELECT tenant_id, gen_random_uuid(), id, $2, $3, $4, 'visit', helper_id, true \
         FROM checkin_pairings WHERE id = $1",
    )
    .bind::<SqlUuid, _>(Uuid::parse_str(pairing).unwrap())
    .bind::<diesel::sql_types::Timestamptz, _>(at)
    .bind::<Date, _>(day)
    .bind::<Text, _>(outcome)
    .execute(&mut conn)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_sweep_leaves_settled_days_in_the_database_yet_catches_up_a_check_in_after_the_deadline(
) {
    let app = TestApp::spawn().await;
    let p = paired(&app, 30).await;
    let street = app.login("xicheng", "street").await;
    let mut others = Vec::new();
    for serial in [31, 32] {
        let family = app.create_family(&street, &elder_family(serial)).await;
        let helper = create_helper(
            &app,
            &p.community,
            "赵邻居",
            "xinjiekou-1",
            [39.9401, 116.3701],
            None,
        )
        .await;
        let (status, res) = pair(&app, &p.community, &family, &helper, "10:00").await;
        assert_eq!(status, 201, "{res}");
        others.push(res["id"].as_str().unwrap().to_owned());
    }
    let (late_well, silent) = (others[0].clone(), others[1].clone());
    let day = starts_on(&app, &p.pairing).await;
    // In time and well: settled, never read into memory. Well a quarter of an hour after the deadline,
    // while no sweep ran: the missed step is still raised (late) and cleared. Nothing at all: raised.
    logged_at(&app, &p.pairing, day, local(day, "09:00", 0), "well").await;
    logged_at(&app, &late_well, day, local(day, "10:15", 0), "well").await;
    let district = app.app.districts.by_slug("xicheng").unwrap();
    let at = local(day, "10:20", 0);
    let report = nuanxin::checkins::sweep::sweep(&app.app.pool, &district, at)
        .await
        .unwrap();
    assert_eq!(report.pairings, 2, "the settled pairing is left out in SQL");
    let mut raised: Vec<(String, i16, bool)> = report
        .raised
        .iter()
        .map(|r| (r.pairing_id.to_string(), r.level, r.late))
        .collect();
    raised.sort();
    let mut expected = vec![(late_well.clone(), 1, true), (silent.clone(), 1, true)];
    expected.sort();
    assert_eq!(raised, expected);
    assert_eq!(report.cleared, 1, "the late check-in's all-clear");
    // Again at the same time: nothing twice; later, only the silent pairing climbs the ladder.
    assert_eq!(sweep(&app, at).await, []);
    assert_eq!(
        sweep(&app, local(day, "10:31", 0)).await,
        [(silent.clone(), 2)]
    );
    // The well one is left out every time, also when its check-in is a worrying one the next day.
    let next = day.succ_opt().unwrap();
    logged_at(
        &app,
        &p.pairing,
        next,
        local(next, "08:00", 0),
        "needs_help",
    )
    .await;
    let raised = sweep(&app, local(next, "08:01", 0)).await;
    assert!(raised.contains(&(p.pairing.clone(), 1)), "{raised:?}");
}

/// Posts a console form; the status and the page.
async fn post_form(
    b: &mut crate::console::Browser,
    path: String,
    form: Vec<(&'static str, String)>,
) -> (u16, String) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = b.post(&path, &pairs).await;
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// The console as a signed-in user, with the CSRF token of its pages.
async fn console_as(app: &TestApp, username: &str) -> (crate::console::Browser, String) {
    let mut b = crate::console::Browser::signed_in(app, "xicheng", username).await;
    let (_, home) = b.get_html("/console").await;
    let csrf = crate::console::csrf_of(&home);
    (b, csrf)
}

#[tokio::test]
async fn the_console_pairing_tools_put_errors_beside_their_fields_and_refuse_others() {
    let app = TestApp::spawn().await;
    let p = paired(&app, 33).await;
    let street = app.login("xicheng", "street").await;
    let family = app.create_family(&street, &elder_family(34)).await;
    let elder = format!("{family}/mother");
    let (mut community, csrf) = console_as(&app, "community").await;

    // A helper with a bad phone: 422, the page again with the message beside the phone.
    let helper_form = |phone: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "李邻居".to_owned()),
            ("phone", phone.to_owned()),
            ("community", "xinjiekou-1".to_owned()),
            ("lat", "39.9403".to_owned()),
            ("lon", "116.3701".to_owned()),
        ]
    };
    let (status, html) = post_form(
        &mut community,
        "/console/checkins/helpers".into(),
        helper_form("123"),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    let phone_field = &html[html.find(r#"name="phone""#).unwrap()..];
    assert!(
        phone_field[..phone_field.find("</div>").unwrap()].contains(r#"class="error""#),
        "the phone's error beside it"
    );
    assert!(html.contains(r#"value="李邻居""#), "what was typed is kept");
    let (status, _) = post_form(
        &mut community,
        "/console/checkins/helpers".into(),
        helper_form("13800138002"),
    )
    .await;
    assert_eq!(status, 303);

    // Enrolment with the other reason needs a note.
    let enrol = |note: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("elder", elder.clone()),
            ("reason", "other".to_owned()),
            ("note", note.to_owned()),
        ]
    };
    let (status, html) = post_form(
        &mut community,
        "/console/checkins/enrolments".into(),
        enrol(""),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    let note_field = &html[html.find(r#"name="note""#).unwrap()..];
    assert!(note_field[..note_field.find("</div>").unwrap()].contains(r#"class="error""#));
    let (status, _) = post_form(
        &mut community,
        "/console/checkins/enrolments".into(),
        enrol("独居，子女在外地"),
    )
    .await;
    assert_eq!(status, 303);

    // The pairing from the ranked candidates: the new helper is offered; without the elder's consent
    // the form comes back naming it.
    let (status, html) = community
        .get_html(&format!("/console/checkins/pair?elder={elder}"))
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("李邻居"), "{html}");
    let helper_id = {
        let at =
            html.find(r#"name="helper_id" value=""#).unwrap() + r#"name="helper_id" value=""#.len();
        html[at..at + 36].to_owned()
    };
    let pairing_form = |elder_on: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("elder", elder.clone()),
            ("helper_id", helper_id.clone()),
            ("elder_consent.on", elder_on.to_owned()),
            (
                "elder_consent.how",
                if elder_on.is_empty() { "" } else { "in_person" }.to_owned(),
            ),
            ("helper_consent.on", "2026-11-30".to_owned()),
            ("helper_consent.how", "phone".to_owned()),
            ("check_in_by", "09:30".to_owned()),
            ("day_off.sun", "on".to_owned()),
        ]
    };
    let (status, html) = post_form(
        &mut community,
        "/console/checkins/pairings".into(),
        pairing_form(""),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    let consent_field = &html[html.find(r#"name="elder_consent.on""#).unwrap()..];
    assert!(
        consent_field[..consent_field.find("</div>").unwrap()].contains(r#"class="error""#),
        "{html}"
    );
    let (status, html) = post_form(
        &mut community,
        "/console/checkins/pairings".into(),
        pairing_form("2026-11-30"),
    )
    .await;
    assert_eq!(status, 303, "{html}");
    let one =
        "SELECT count(*) AS n FROM checkin_pairings WHERE family_id = $1 AND ended_at IS NULL \
               AND deadline_minute = 570 AND days_off = 64";
    assert_eq!(count(&app, one, &family).await, 1);

    // A pause ending before it starts is refused beside `until`; a good one is recorded.
    let pause_path = format!("/console/checkins/{}/pause", p.pairing);
    let pause = |until: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("from", "2026-12-10".to_owned()),
            ("until", until.to_owned()),
            ("reason", "hospital".to_owned()),
        ]
    };
    let (status, html) = post_form(&mut community, pause_path.clone(), pause("2026-12-01")).await;
    assert_eq!(status, 422, "{html}");
    let this_form = &html[html.find(&format!(r#"action="{pause_path}""#)).unwrap()..];
    let until_field = &this_form[this_form.find(r#"name="until""#).unwrap()..];
    assert!(until_field[..until_field.find("</div>").unwrap()].contains(r#"class="error""#));
    let (status, _) = post_form(&mut community, pause_path.clone(), pause("2026-12-20")).await;
    assert_eq!(status, 303);
    let pauses = "SELECT count(*) AS n FROM checkin_pauses WHERE pairing_id = $1";
    assert_eq!(count(&app, pauses, &p.pairing).await, 1);

    // An emergency: recorded, and the street told through the outbox.
    let emergency_path = format!("/console/checkins/{}/emergency", p.pairing);
    let emergency = vec![
        ("csrf", csrf.clone()),
        ("what", "在家中摔倒".to_owned()),
        ("ambulance", "yes".to_owned()),
        ("hospital", "北京大学人民医院".to_owned()),
    ];
    let (status, _) = post_form(&mut community, emergency_path.clone(), emergency.clone()).await;
    assert_eq!(status, 303);
    let recorded =
        "SELECT count(*) AS n FROM checkin_emergencies WHERE pairing_id = $1 AND ambulance";
    assert_eq!(count(&app, recorded, &p.pairing).await, 1);
    assert!(
        app.count("mail_outbox WHERE subject LIKE '%紧急情况%'")
            .await
            >= 1
    );

    // Refusals: the helper's volunteer account and a bureau may not use the pairing tools (403); the
    // other street does not find this street's elders or pairings (404).
    for (who, expected) in [("volunteer", 403), ("bureau", 403), ("street2", 404)] {
        let (mut b, csrf) = console_as(&app, who).await;
        let with_csrf = |mut form: Vec<(&'static str, String)>| {
            form.retain(|(k, _)| *k != "csrf");
            form.push(("csrf", csrf.clone()));
            form
        };
        let tools_refusal = if who == "street2" { 404 } else { 403 };
        for (path, form, want) in [
            (
                "/console/checkins/enrolments".to_owned(),
                with_csrf(enrol("x")),
                tools_refusal,
            ),
            (
                "/console/checkins/pairings".to_owned(),
                with_csrf(pairing_form("2026-11-30")),
                tools_refusal,
            ),
            (pause_path.clone(), with_csrf(pause("2026-12-20")), expected),
        ] {
            let (status, html) = post_form(&mut b, path.clone(), form).await;
            assert_eq!(status, want, "{who} {path}: {html}");
        }
        let (status, _) = post_form(
            &mut b,
            "/console/checkins/helpers".into(),
            with_csrf(helper_form("13800138003")),
        )
        .await;
        assert_eq!(
            status, 403,
            "{who} registers helpers in its own street only"
        );
        // The helper records emergencies of their own elder; a bureau and a street office do not
        // record emergencies at all (as in the API).
        let (status, _) =
            post_form(&mut b, emergency_path.clone(), with_csrf(emergency.clone())).await;
        assert_eq!(
            status,
            if who == "volunteer" { 303 } else { 403 },
            "{who} emergency"
        );
    }
}

/// Waits until the browser was sent to `/console/checkins?done=<done>`.
async fn wait_for_done(c: &fantoccini::Client, done: &str) {
    for _ in 0..100 {
        if c.current_url().await.unwrap().query() == Some(&format!("done={done}")) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("not done: {done}: {}", crate::browser::main_text(c).await);
}

/// Sets an input's value as a date or time picker would.
async fn set_value(c: &fantoccini::Client, css: &str, value: &str) {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![json!(css), json!(value)],
    )
    .await
    .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// The community worker's pairing tools in headless Chromium, desktop and phone: a helper registered
/// (a bad phone first, its error beside it), a pairing made from the ranked candidates with both
/// consents, a pause and an emergency recorded from the board.
#[tokio::test]
async fn the_pairing_tools_work_in_chromium_on_a_desktop_and_a_phone() {
    use crate::browser::{browser, check_page, click, fill, main_text, sign_in, start_driver};
    use fantoccini::Locator;

    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let driver = start_driver().await;
    for (phone, serial) in [(false, 40), (true, 41)] {
        let family = app.create_family(&street, &elder_family(serial)).await;
        let c = browser(&driver, phone).await;
        sign_in(&c, &app.address, "xicheng", "community").await;
        c.goto(&app.url("/console/checkins")).await.unwrap();
        let body = main_text(&c).await;
        assert!(
            body.contains("结对工具") && body.contains("新建结对"),
            "{body}"
        );
        check_page(&c, "checkins-tools", phone).await;

        click(&c, "#tool-helper > summary").await;
        fill(&c, "#tool-helper input[name=name]", "李邻居").await;
        fill(&c, "#tool-helper input[name=phone]", "123").await;
        fill(&c, "#tool-helper input[name=lat]", "39.9403").await;
        fill(&c, "#tool-helper input[name=lon]", "116.3701").await;
        click(&c, "#tool-helper button[type=submit]").await;
        let invalid = "#tool-helper[open] .field.invalid input[name=phone]";
        for _ in 0..50 {
            if c.find(Locator::Css(invalid)).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(
            c.find(Locator::Css(invalid)).await.is_ok(),
            "the phone's error beside it: {}",
            main_text(&c).await
        );
        check_page(&c, "checkins-tools-error", phone).await;
        let phone_input = c
            .find(Locator::Css("#tool-helper input[name=phone]"))
            .await
            .unwrap();
        phone_input.clear().await.unwrap();
        phone_input.send_keys("13800138009").await.unwrap();
        click(&c, "#tool-helper button[type=submit]").await;
        wait_for_done(&c, "helper").await;

        c.find(Locator::Css("#tool-pair select[name=elder]"))
            .await
            .unwrap()
            .select_by_value(&format!("{family}/mother"))
            .await
            .unwrap();
        click(&c, "#tool-pair button[type=submit]").await;
        for _ in 0..50 {
            if c.current_url().await.unwrap().path() == "/console/checkins/pair" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let body = main_text(&c).await;
        assert!(
            body.contains("推荐的结对邻居") && body.contains("李邻居"),
            "{body}"
        );
        check_page(&c, "checkins-pair", phone).await;
        for side in ["elder", "helper"] {
            set_value(
                &c,
                &format!("input[name='{side}_consent.on']"),
                "2026-11-30",
            )
            .await;
            c.find(Locator::Css(&format!("select[name='{side}_consent.how']")))
                .await
                .unwrap()
                .select_by_value("in_person")
                .await
                .unwrap();
        }
        click(&c, "form.pair-form button[type=submit]").await;
        wait_for_done(&c, "paired").await;
        assert!(main_text(&c).await.contains("已建立结对"));

        click(&c, "details:has(form[action$='/pause']) > summary").await;
        set_value(&c, "form[action$='/pause'] input[name=from]", "2026-12-10").await;
        set_value(&c, "form[action$='/pause'] input[name=until]", "2026-12-20").await;
        click(&c, "form[action$='/pause'] button[type=submit]").await;
        wait_for_done(&c, "paused").await;

        click(&c, "details:has(form[action$='/emergency']) > summary").await;
        fill(
            &c,
            "form[action$='/emergency'] input[name=what]",
            "在家中摔倒",
        )
        .await;
        click(&c, "form[action$='/emergency'] input[name=ambulance]").await;
        fill(
            &c,
            "form[action$='/emergency'] input[name=hospital]",
            "北京大学人民医院",
        )
        .await;
        check_page(&c, "checkins-emergency", phone).await;
        click(&c, "form[action$='/emergency'] button[type=submit]").await;
        wait_for_done(&c, "emergency").await;
        check_page(&c, "checkins-tools-done", phone).await;
        c.close().await.unwrap();
    }
    assert_eq!(
        app.count("checkin_pairings WHERE ended_at IS NULL").await,
        2
    );
    assert_eq!(app.count("checkin_pauses").await, 2);
    assert_eq!(app.count("checkin_emergencies WHERE ambulance").await, 2);
}
