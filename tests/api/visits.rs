//! Holiday visit campaigns, visits with the condolence money, contact persons' contact log, their
//! accounts' scope, the daily flags, and the module's refusal matrix (every endpoint × role × own and
//! other district).

use chrono::NaiveDate;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures::{disabled_family, zd_family};
use crate::helpers::TestApp;

/// Mid-Autumn 2025 is 2025-10-06: its window (15 days before) opens 2025-09-21.
const MID_AUTUMN: &str = "holiday_visit_mid_autumn";

async fn campaign(app: &TestApp, token: &str, program: &str, year: i32) -> (u16, Value) {
    app.post_json(
        "/api/v1/visit-campaigns",
        Some(token),
        &json!({"program": program, "year": year}),
    )
    .await
}

async fn user_id(app: &TestApp, tenant: &str, username: &str) -> Uuid {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let tenant_id = app.tenant_id(tenant).await;
    let mut conn = app.admin().await;
    let row: Id = diesel::sql_query("SELECT id FROM users WHERE tenant_id = $1 AND username = $2")
        .bind::<SqlUuid, _>(tenant_id)
        .bind::<Text, _>(username)
        .get_result(&mut conn)
        .await
        .expect("user");
    row.id
}

async fn visit(app: &TestApp, token: &str, campaign: &str, body: Value) -> (u16, Value) {
    app.post_json(
        &format!("/api/v1/visit-campaigns/{campaign}/visits"),
        Some(token),
        &body,
    )
    .await
}

/// A bereaved family of 齐悦国际社区 (马尚街道), entitled to the Mid-Autumn visit.
async fn bereaved(app: &TestApp, admin: &str, serial: u32) -> String {
    app.create_family(
        admin,
        &zd_family("mashang", "mashang-qiyue", serial, "19600501"),
    )
    .await
}

/// The Mid-Autumn 2025 campaign's id.
async fn mid_autumn(app: &TestApp, admin: &str) -> String {
    let (status, body) = campaign(app, admin, MID_AUTUMN, 2025).await;
    assert!(status == 201 || status == 200, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

fn with_money(family: &str, on: &str) -> Value {
    json!({"family_id": family, "visited_on": on, "how": "at_home", "money_cny": 300})
}

/// The ledger entry of the campaign's cycle for `family`.
async fn entry_of(app: &TestApp, token: &str, program: &str, family: &str) -> Value {
    let (status, cycles) = app.get("/api/v1/benefits/cycles", Some(token)).await;
    assert_eq!(status, 200, "{cycles}");
    let cycle = cycles["items"]
        .as_array()
        .expect("cycles")
        .iter()
        .find(|c| c["program"] == program)
        .unwrap_or_else(|| panic!("no cycle of {program}: {cycles}"))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, entries) = app
        .get(
            &format!("/api/v1/benefits/cycles/{cycle}/entries?per_page=1000"),
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{entries}");
    entries["items"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["family_id"] == family)
        .cloned()
        .unwrap_or_else(|| panic!("no entry for {family}: {entries}"))
}

#[tokio::test]
async fn a_campaign_covers_the_families_entitled_on_the_festival_and_exists_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    for serial in 0..3 {
        app.create_family(
            &admin,
            &zd_family("mashang", "mashang-qiyue", serial, "19600501"),
        )
        .await;
    }
    // Turns 60 on 2025-10-01: not yet on 1 January, but by Chongyang (2025-10-29).
    let turning = app
        .create_family(&admin, &disabled_family(10, "19651001"))
        .await;
    // Turns 60 on 2025-11-15, after Chongyang: not visited.
    app.create_family(&admin, &disabled_family(11, "19651115"))
        .await;

    let (status, body) = campaign(&app, &admin, "holiday_visit_chongyang", 2025).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["festival_on"], "2025-10-29");
    assert_eq!(body["window_starts_on"], "2025-10-14");
    assert_eq!(body["families"], 1, "{body}");
    let (status, families) = app
        .get(
            &format!(
                "/api/v1/visit-campaigns/{}/families",
                body["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200, "{families}");
    assert_eq!(families["items"][0]["family_id"], turning.as_str());
    assert_eq!(families["items"][0]["kind"], "disabled", "{families}");

    // The same program and year again: the same campaign, never a second.
    let (again, same) = campaign(&app, &admin, "holiday_visit_chongyang", 2025).await;
    assert_eq!((again, &same["id"]), (200, &body["id"]), "{same}");

    // Two generations of one program and year at once: one campaign.
    let (a, b) = tokio::join!(
        campaign(&app, &admin, MID_AUTUMN, 2025),
        campaign(&app, &admin, MID_AUTUMN, 2025)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert!(
        statuses == [200, 201] || statuses == [201, 409],
        "{statuses:?} {} {}",
        a.1,
        b.1
    );
    assert_eq!(app.count("visit_campaigns").await, 2);
    let (_, mid) = campaign(&app, &admin, MID_AUTUMN, 2025).await;
    assert_eq!(mid["festival_on"], "2025-10-06");
    assert_eq!(mid["families"], 3, "{mid}");
    assert_eq!(app.count("visit_campaign_families").await, 4);
}

#[tokio::test]
async fn a_holiday_cycle_is_evaluated_on_its_festival_under_the_policy_then_in_force() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    app.create_family(
        &admin,
        &zd_family("mashang", "mashang-qiyue", 1, "19600501"),
    )
    .await;
    // Spring Festival 2026 is 2026-02-17; 张卫字〔2020〕134号 ended on 2026-01-07.
    let (status, body) = campaign(&app, &admin, "holiday_visit_spring_festival", 2026).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "year");
    assert_eq!(body["error"]["code"], "policy_not_in_force");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("2026-02-17") && message.contains("2026-01-07"),
        "{message}"
    );
    // The ledger's own cycle is refused too (it was allowed on 1 January before).
    let (status, body) = app
        .post_json(
            "/api/v1/benefits/cycles",
            Some(&admin),
            &json!({"program": "holiday_visit_spring_festival", "period": "2026"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "policy_not_in_force");
    // A holiday cycle of a year in force is evaluated on the festival.
    let (status, body) = app
        .post_json(
            "/api/v1/benefits/cycles",
            Some(&admin),
            &json!({"program": "holiday_visit_spring_festival", "period": "2025"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["evaluated_on"], "2025-01-29");
    let (status, body) = app
        .post_json(
            "/api/v1/benefits/cycles",
            Some(&admin),
            &json!({"program": "holiday_visit_chongyang", "period": "2025", "as_of": "2025-01-01"}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("period")),
        "{body}"
    );

    // Not a holiday program, a year without festival dates, a district without holiday programs.
    let (status, body) = campaign(&app, &admin, "special_assistance", 2025).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("program")),
        "{body}"
    );
    let (status, body) = campaign(&app, &admin, MID_AUTUMN, 2101).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("year")),
        "{body}"
    );
    let xicheng = app.login("xicheng", "admin").await;
    let (status, body) = campaign(&app, &xicheng, MID_AUTUMN, 2025).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("program")),
        "{body}"
    );
    let (status, body) = app
        .post_json(
            "/api/v1/visit-campaigns",
            Some(&admin),
            &json!({"program": MID_AUTUMN}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(app.count("visit_campaigns").await, 0);
}

/// The forecast's line of `program`: (beneficiaries, amount), (0, 0) when there is none.
fn forecast_line(forecast: &Value, program: &str) -> (i64, i64) {
    forecast["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["program"] == program)
        .fold((0, 0), |(n, a), l| {
            (
                n + l["beneficiaries"].as_i64().unwrap(),
                a + l["amount_cny"].as_i64().unwrap(),
            )
        })
}

#[tokio::test]
async fn the_forecast_counts_holiday_visits_on_their_festival_under_the_policy_then_in_force() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    bereaved(&app, &admin, 1).await;
    // Turns 60 on 2025-10-01, between 1 January and Chongyang (2025-10-29): counted.
    app.create_family(&admin, &disabled_family(10, "19651001"))
        .await;
    // Turns 60 on 2025-11-15, after Chongyang (the first of December would have counted her).
    app.create_family(&admin, &disabled_family(11, "19651115"))
        .await;
    let (status, f) = app
        .get("/api/v1/benefits/forecast?year=2025", Some(&admin))
        .await;
    assert_eq!(status, 200, "{f}");
    assert_eq!(
        forecast_line(&f, "holiday_visit_chongyang"),
        (1, 300),
        "{f}"
    );
    assert_eq!(
        forecast_line(&f, "holiday_visit_mid_autumn"),
        (1, 300),
        "{f}"
    );
    assert_eq!(
        forecast_line(&f, "holiday_visit_spring_festival"),
        (1, 300),
        "{f}"
    );

    // 2026: the policy ended on 2026-01-07, before every festival of the year (Spring Festival
    // 2026-02-17), though 1 January was still in force.
    let (status, f) = app
        .get("/api/v1/benefits/forecast?year=2026", Some(&admin))
        .await;
    assert_eq!(status, 200, "{f}");
    for program in [
        "holiday_visit_spring_festival",
        "holiday_visit_mid_autumn",
        "holiday_visit_chongyang",
    ] {
        assert_eq!(forecast_line(&f, program), (0, 0), "{program}: {f}");
    }
    assert!(
        f["notices"].to_string().contains("2026-02-17"),
        "the notice names the festival: {f}"
    );
}

#[tokio::test]
async fn the_money_handed_over_at_a_visit_pays_the_ledger_entry_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let finance = app.login("zhangdian", "finance").await;
    let family = bereaved(&app, &admin, 1).await;
    let other = bereaved(&app, &admin, 2).await;
    let id = mid_autumn(&app, &admin).await;
    let id = id.as_str();
    assert_eq!(
        entry_of(&app, &admin, MID_AUTUMN, &family).await["status"],
        "proposed"
    );

    let (status, paid) = visit(&app, &street, id, with_money(&family, "2025-10-01")).await;
    assert_eq!(status, 201, "{paid}");
    assert_eq!(paid["entry_status"], "paid");
    assert_eq!(paid["on_time"], true);
    let entry = entry_of(&app, &admin, MID_AUTUMN, &family).await;
    assert_eq!(entry["status"], "paid", "{entry}");
    assert_eq!(
        entry["payment_reference"],
        format!("visit:{}", paid["id"].as_str().unwrap())
    );
    // The money is given once: a second visit with money is 409, and finance cannot pay it again.
    let (status, body) = visit(&app, &street, id, with_money(&family, "2025-10-02")).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("already_paid")),
        "{body}"
    );
    let (status, body) = app
        .post_json(
            &format!(
                "/api/v1/benefits/entries/{}/pay",
                entry["id"].as_str().unwrap()
            ),
            Some(&finance),
            &json!({"payment_reference": "BANK-1"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    // A visit without money is always recorded; a late one is not on time.
    let (status, late) = visit(
        &app,
        &street,
        id,
        json!({"family_id": family, "visited_on": "2025-10-08", "how": "by_phone"}),
    )
    .await;
    assert_eq!((status, &late["on_time"]), (201, &json!(false)), "{late}");
    // The other family's entry is untouched.
    assert_eq!(
        entry_of(&app, &admin, MID_AUTUMN, &other).await["status"],
        "proposed"
    );
    let (status, progress) = app
        .get(&format!("/api/v1/visit-campaigns/{id}"), Some(&street))
        .await;
    assert_eq!(status, 200, "{progress}");
    let row = &progress["progress"][0];
    assert_eq!(
        (
            &row["families"],
            &row["visited"],
            &row["visited_on_time"],
            &row["money_given"],
            &row["not_visited"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1), &json!(1)),
        "{progress}"
    );
}

#[tokio::test]
async fn two_visits_with_money_at_once_pay_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let community = app.login("zhangdian", "community").await;
    let family = bereaved(&app, &admin, 1).await;
    let id = mid_autumn(&app, &admin).await;
    let id = id.as_str();
    for round in 0..3 {
        let (a, b) = tokio::join!(
            visit(&app, &street, id, with_money(&family, "2025-10-01")),
            visit(&app, &community, id, with_money(&family, "2025-10-01"))
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        let expected = if round == 0 { [201, 409] } else { [409, 409] };
        assert_eq!(statuses, expected, "{} {}", a.1, b.1);
    }
    let mut conn = app.admin().await;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query("SELECT count(*) AS n FROM visits WHERE money_cny > 0")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(n.n, 1);
    assert_eq!(
        entry_of(&app, &admin, MID_AUTUMN, &family).await["status"],
        "paid"
    );
}

#[tokio::test]
async fn a_bad_visit_is_refused_naming_the_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let family = bereaved(&app, &admin, 1).await;
    let id = mid_autumn(&app, &admin).await;
    let id = id.as_str();
    let cases = [
        (
            json!({"family_id": family, "visited_on": "2025-10-01", "how": "by_phone", "money_cny": 300}),
            422,
            "money_cny",
            "not_in_person",
        ),
        (
            json!({"family_id": family, "visited_on": "2025-10-01", "how": "at_home", "money_cny": 200}),
            422,
            "money_cny",
            "wrong_amount",
        ),
        (
            json!({"family_id": family, "visited_on": "2025-09-01", "how": "at_home"}),
            422,
            "visited_on",
            "before_window",
        ),
        (
            json!({"family_id": family, "visited_on": "2099-10-01", "how": "at_home"}),
            422,
            "visited_on",
            "in_future",
        ),
        (
            json!({"family_id": family, "visited_on": "2025-10-01", "how": "by_letter"}),
            400,
            "how",
            "",
        ),
        (
            json!({"family_id": family, "visited_on": "2025-10-01", "how": "at_home", "money_cny": -300}),
            422,
            "money_cny",
            "negative",
        ),
    ];
    for (body, status, field, code) in cases {
        let (got, answer) = visit(&app, &street, id, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        if !code.is_empty() {
            assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
        }
    }
    // A family not in the campaign (or unknown) is not found.
    let (status, _) = visit(
        &app,
        &street,
        id,
        with_money(&Uuid::new_v4().to_string(), "2025-10-01"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(app.count("visits").await, 0);
    assert_eq!(
        entry_of(&app, &admin, MID_AUTUMN, &family).await["status"],
        "proposed"
    );
}

#[tokio::test]
async fn needs_and_problems_become_follow_ups_the_street_resolves_with_mail_through_the_outbox() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let community = app.login("zhangdian", "community").await;
    let family = bereaved(&app, &admin, 1).await;
    let id = mid_autumn(&app, &admin).await;
    let mails_before = app.count("mail_outbox").await;
    let (status, body) = visit(
        &app,
        &community,
        &id,
        json!({"family_id": family, "visited_on": "2025-10-01", "how": "at_home", "money_cny": 300,
               "needs": "希望协助办理居家养老服务"}),
    )
    .await;
    assert_eq!(
        (status, &body["follow_up_opened"]),
        (201, &json!(true)),
        "{body}"
    );

    let (status, logged) = app
        .post_json(
            &format!("/api/v1/families/{family}/contacts-log"),
            Some(&community),
            &json!({"on": "2026-11-30", "how": "call", "summary": "电话问候，母亲近期血压偏高",
                    "problems": ["就医", {"category": "psychological", "detail": "情绪低落"}]}),
        )
        .await;
    assert_eq!(status, 201, "{logged}");
    assert_eq!(logged["problems"][0]["category"], "medical");
    assert_eq!(logged["problems"][1]["category_name"], "心理");
    let (status, log) = app
        .get(
            &format!("/api/v1/families/{family}/contacts-log"),
            Some(&street),
        )
        .await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log["total"], 1);
    assert_eq!(log["items"][0]["summary"], "电话问候，母亲近期血压偏高");
    // The read reaches the audit log through the batched read log, as a family's read does.
    app.app.read_log.flush().await;
    #[derive(diesel::QueryableByName)]
    struct Reads {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let reads: Reads = diesel::sql_query(
        "SELECT count(*) AS n FROM audit_events WHERE action = 'contact_log.read' AND object_id = $1",
    )
    .bind::<Text, _>(&family)
    .get_result(&mut app.admin().await)
    .await
    .unwrap();
    assert_eq!(reads.n, 1);

    let (status, items) = app.get("/api/v1/follow-ups", Some(&street)).await;
    assert_eq!(status, 200, "{items}");
    let mut changes: Vec<String> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i["change"].as_str().unwrap(),
                i["program"].as_str().unwrap()
            )
        })
        .collect();
    changes.sort();
    assert_eq!(
        changes,
        [
            "contact_problem:medical",
            "contact_problem:psychological",
            "visit_need:holiday_visit_mid_autumn"
        ]
    );
    // One mail to the street per change (the street account has an address), in the outbox.
    assert_eq!(app.count("mail_outbox").await - mails_before, 2);
    let first = items["items"][0]["id"].as_str().unwrap();
    let (status, done) = app
        .post_json(
            &format!("/api/v1/follow-ups/{first}/done"),
            Some(&street),
            &json!({"note": "已联系社区医生上门"}),
        )
        .await;
    assert_eq!((status, &done["status"]), (200, &json!("done")), "{done}");
    // The other street sees none of them.
    let street2 = app.login("zhangdian", "street2").await;
    let (_, none) = app
        .get("/api/v1/follow-ups?status=all", Some(&street2))
        .await;
    assert_eq!(none["total"], 0, "{none}");
}

#[tokio::test]
async fn a_bad_contact_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let community = app.login("zhangdian", "community").await;
    let family = bereaved(&app, &admin, 1).await;
    let path = format!("/api/v1/families/{family}/contacts-log");
    let cases = [
        (
            json!({"on": "2099-01-01", "how": "call", "summary": "问候"}),
            422,
            "on",
        ),
        (
            json!({"on": "2026-11-30", "how": "call", "summary": "  "}),
            422,
            "summary",
        ),
        (
            json!({"on": "2026-11-30", "how": "call", "summary": "问候", "problems": ["天气"]}),
            422,
            "problems[0].category",
        ),
        (
            json!({"on": "2026-11-30", "how": "letter", "summary": "问候"}),
            400,
            "how",
        ),
        // A missing field is named in the message of the body's error.
        (json!({"on": "2026-11-30", "how": "call"}), 400, "body"),
    ];
    for (body, status, field) in cases {
        let (got, answer) = app.post_json(&path, Some(&community), &body).await;
        assert_eq!(
            (got, &answer["error"]["field"]),
            (status, &json!(field)),
            "{body}: {answer}"
        );
    }
    assert_eq!(app.count("contact_log").await, 0);
    assert_eq!(app.count("follow_ups").await, 0);
}

#[tokio::test]
async fn a_contact_persons_account_reaches_exactly_its_families_with_masked_names() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let mine = bereaved(&app, &admin, 1).await;
    let not_mine = bereaved(&app, &admin, 2).await;
    let volunteer_id = user_id(&app, "zhangdian", "volunteer").await;
    let mut conn = app.admin().await;
    diesel::sql_query("UPDATE users SET email = 'contact@zhangdian.nuanxin.local' WHERE id = $1")
        .bind::<SqlUuid, _>(volunteer_id)
        .execute(&mut conn)
        .await
        .unwrap();
    let link = format!("/api/v1/families/{mine}/contact-accounts");
    let (status, body) = app
        .post_json(&link, Some(&street), &json!({"user_id": volunteer_id}))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = app
        .post_json(&link, Some(&street), &json!({"user_id": volunteer_id}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .post_json(&link, Some(&street), &json!({"user_id": Uuid::new_v4()}))
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("user_id")),
        "{body}"
    );

    let id = mid_autumn(&app, &admin).await;
    let id = id.as_str();
    // The campaign's start is mailed to the contact person with their family.
    #[derive(diesel::QueryableByName)]
    struct Mail {
        #[diesel(sql_type = Text)]
        body: String,
    }
    let mails: Vec<Mail> = diesel::sql_query(
        "SELECT body FROM mail_outbox WHERE to_address = 'contact@zhangdian.nuanxin.local'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body.contains(&mine) && !mails[0].body.contains(&not_mine));

    let volunteer = app.login("zhangdian", "volunteer").await;
    let (status, families) = app
        .get(
            &format!("/api/v1/visit-campaigns/{id}/families"),
            Some(&volunteer),
        )
        .await;
    assert_eq!(status, 200, "{families}");
    assert_eq!(families["total"], 1);
    assert_eq!(families["items"][0]["family_id"], mine.as_str());
    let parents = families["items"][0]["parents"].to_string();
    assert!(
        !parents.contains("测试母亲1") && parents.contains('*'),
        "{parents}"
    );
    assert_eq!(families["items"][0]["address"], "张店测试路1号");
    let (status, _) = visit(&app, &volunteer, id, with_money(&not_mine, "2025-10-01")).await;
    assert_eq!(status, 404);
    let (status, body) = visit(&app, &volunteer, id, with_money(&mine, "2025-10-01")).await;
    assert_eq!(status, 201, "{body}");
    let contact = json!({"on": "2026-11-30", "how": "visit", "summary": "上门看望"});
    for (family, expected) in [(&mine, 201), (&not_mine, 404)] {
        let (status, _) = app
            .post_json(
                &format!("/api/v1/families/{family}/contacts-log"),
                Some(&volunteer),
                &contact,
            )
            .await;
        assert_eq!(status, expected);
        let (status, _) = app
            .get(
                &format!("/api/v1/families/{family}/contacts-log"),
                Some(&volunteer),
            )
            .await;
        assert_eq!(status, if expected == 201 { 200 } else { 404 });
    }
    // Still not the register.
    let (status, _) = app
        .get(&format!("/api/v1/families/{mine}"), Some(&volunteer))
        .await;
    assert_eq!(status, 403);
    let (_, progress) = app
        .get(&format!("/api/v1/visit-campaigns/{id}"), Some(&volunteer))
        .await;
    assert_eq!(progress["progress"][0]["families"], 1, "{progress}");
}

#[tokio::test]
async fn unvisited_families_are_flagged_five_days_before_and_silent_ones_after_thirty_days() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let visited = bereaved(&app, &admin, 1).await;
    let forgotten = bereaved(&app, &admin, 2).await;
    let id = mid_autumn(&app, &admin).await;
    let id = id.as_str();
    let (status, _) = visit(&app, &street, id, with_money(&visited, "2025-09-25")).await;
    assert_eq!(status, 201);
    let district = app.app.districts.by_slug("zhangdian").unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
    use nuanxin::visits::flags::run;
    // Six days before the festival (2025-10-06): nothing yet.
    let early = run(&app.app.pool, &district, day(9, 30)).await.unwrap();
    assert_eq!(early.campaigns_reminded, 0, "{early:?}");
    let due = run(&app.app.pool, &district, day(10, 1)).await.unwrap();
    assert_eq!((due.campaigns_reminded, due.not_visited), (1, 1), "{due:?}");
    let again = run(&app.app.pool, &district, day(10, 2)).await.unwrap();
    assert_eq!(again.campaigns_reminded, 0, "{again:?}");
    let (_, items) = app.get("/api/v1/follow-ups", Some(&street)).await;
    let flagged: Vec<&Value> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["change"] == "not_visited")
        .collect();
    assert_eq!(flagged.len(), 1, "{items}");
    assert_eq!(flagged[0]["family_id"], forgotten.as_str());

    // Families registered long ago: one contacted 10 days ago, one never, one with two contact persons.
    let mut conn = app.admin().await;
    diesel::sql_query("UPDATE families SET created_at = now() - interval '90 days'")
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query("DELETE FROM contact_persons WHERE family_id = $1 AND position = 2")
        .bind::<SqlUuid, _>(forgotten.parse::<Uuid>().unwrap())
        .execute(&mut conn)
        .await
        .unwrap();
    let community = app.login("zhangdian", "community").await;
    let today = district.today();
    let ten_days_ago = today - chrono::Days::new(10);
    let (status, body) = app
        .post_json(
            &format!("/api/v1/families/{visited}/contacts-log"),
            Some(&community),
            &json!({"on": ten_days_ago, "how": "call", "summary": "问候"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let flags = run(&app.app.pool, &district, today).await.unwrap();
    assert_eq!((flags.no_contact, flags.few_contacts), (1, 1), "{flags:?}");
    let repeat = run(&app.app.pool, &district, today).await.unwrap();
    assert_eq!(
        (repeat.no_contact, repeat.few_contacts),
        (0, 0),
        "{repeat:?}"
    );
    let (_, items) = app.get("/api/v1/follow-ups", Some(&community)).await;
    let of_forgotten: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["family_id"] == forgotten.as_str())
        .map(|i| i["change"].as_str().unwrap())
        .collect();
    assert!(
        of_forgotten.contains(&"no_contact") && of_forgotten.contains(&"few_contacts"),
        "{items}"
    );
}

/// Every endpoint × role, in the district and from another district: the roles that may get their
/// answer, the others 403; another district's caller gets 404 (or 403 where the role may not at all).
#[tokio::test]
async fn every_visits_endpoint_refuses_the_roles_and_districts_it_is_not_for() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let family = bereaved(&app, &admin, 1).await;
    // Contact persons reach the family through their link.
    for username in ["volunteer", "socialorg"] {
        let id = user_id(&app, "zhangdian", username).await;
        let (status, _) = app
            .post_json(
                &format!("/api/v1/families/{family}/contact-accounts"),
                Some(&admin),
                &json!({"user_id": id}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let campaign_id = mid_autumn(&app, &admin).await;
    let volunteer_id = user_id(&app, "zhangdian", "volunteer").await;
    struct Case {
        method: &'static str,
        path: String,
        body: Value,
        allowed: &'static [&'static str],
        ok: u16,
    }
    let contact = json!({"on": "2026-11-30", "how": "call", "summary": "问候"});
    let cases = vec![
        Case {
            method: "POST",
            path: "/api/v1/visit-campaigns".into(),
            body: json!({"program": MID_AUTUMN, "year": 2025}),
            allowed: &["admin"],
            ok: 200,
        },
        Case {
            method: "GET",
            path: "/api/v1/visit-campaigns".into(),
            body: Value::Null,
            allowed: &["admin", "street", "community", "socialorg", "volunteer"],
            ok: 200,
        },
        Case {
            method: "GET",
            path: format!("/api/v1/visit-campaigns/{campaign_id}"),
            body: Value::Null,
            allowed: &["admin", "street", "community", "socialorg", "volunteer"],
            ok: 200,
        },
        Case {
            method: "GET",
            path: format!("/api/v1/visit-campaigns/{campaign_id}/families"),
            body: Value::Null,
            allowed: &["admin", "street", "community", "socialorg", "volunteer"],
            ok: 200,
        },
        Case {
            method: "POST",
            path: format!("/api/v1/visit-campaigns/{campaign_id}/visits"),
            body: json!({"family_id": family, "visited_on": "2025-10-01", "how": "by_phone"}),
            allowed: &["street", "community", "socialorg", "volunteer"],
            ok: 201,
        },
        Case {
            method: "GET",
            path: format!("/api/v1/families/{family}/contacts-log"),
            body: Value::Null,
            allowed: &["admin", "street", "community", "socialorg", "volunteer"],
            ok: 200,
        },
        Case {
            method: "POST",
            path: format!("/api/v1/families/{family}/contacts-log"),
            body: contact,
            allowed: &["street", "community", "socialorg", "volunteer"],
            ok: 201,
        },
        Case {
            method: "POST",
            path: format!("/api/v1/families/{family}/contact-accounts"),
            body: json!({"user_id": volunteer_id}),
            allowed: &["admin", "street", "community"],
            ok: 200,
        },
    ];
    let roles = [
        "admin",
        "street",
        "community",
        "bureau",
        "finance",
        "socialorg",
        "volunteer",
    ];
    let mut tokens = std::collections::HashMap::new();
    for district in ["zhangdian", "xicheng"] {
        for role in roles {
            tokens.insert((district, role), app.login(district, role).await);
        }
    }
    for case in &cases {
        for district in ["zhangdian", "xicheng"] {
            for role in roles {
                let token = &tokens[&(district, role)];
                let (status, body) = match case.method {
                    "GET" => app.get(&case.path, Some(token)).await,
                    _ => app.post_json(&case.path, Some(token), &case.body).await,
                };
                let may = case.allowed.contains(&role);
                let expected: &[u16] = match (district, may) {
                    ("zhangdian", true) => &[case.ok, 201, 200],
                    (_, false) => &[403],
                    // Another district's caller never sees this district's campaign or family;
                    // the campaign list and a campaign of its own program are its own district's.
                    _ if case.path == "/api/v1/visit-campaigns" => &[200, 422],
                    // Its own district's dashboard (checked empty below).
                    _ if case.path.starts_with("/api/v1/visits/dashboard") => &[200],
                    _ => &[404],
                };
                assert!(
                    expected.contains(&status),
                    "{} {} as {district}/{role}: {status} {body}",
                    case.method,
                    case.path
                );
                if district == "xicheng"
                    && case.method == "GET"
                    && case.path == "/api/v1/visit-campaigns"
                    && may
                {
                    assert_eq!(body, json!([]), "another district's list is empty");
                }
            }
        }
    }
    let operator = app.login("platform", "operator").await;
    for case in &cases {
        let (status, _) = match case.method {
            "GET" => app.get(&case.path, Some(&operator)).await,
            _ => app.post_json(&case.path, Some(&operator), &case.body).await,
        };
        assert_eq!(status, 403, "{} {} as operator", case.method, case.path);
    }
}

#[tokio::test]
async fn the_dashboard_counts_by_street_and_community_and_exports_to_xlsx() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let community = app.login("zhangdian", "community").await;
    let visited = bereaved(&app, &admin, 1).await;
    bereaved(&app, &admin, 2).await;
    app.create_family(&admin, &zd_family("chezhan", "chezhan-1", 3, "19600501"))
        .await;
    let id = mid_autumn(&app, &admin).await;
    let (status, _) = visit(&app, &street, &id, with_money(&visited, "2025-10-01")).await;
    assert_eq!(status, 201);
    let today = app.app.districts.by_slug("zhangdian").unwrap().today();
    let (status, _) = app
        .post_json(
            &format!("/api/v1/families/{visited}/contacts-log"),
            Some(&community),
            &json!({"on": today, "how": "visit", "summary": "上门看望", "problems": ["养老"]}),
        )
        .await;
    assert_eq!(status, 201);

    let (status, d) = app
        .get("/api/v1/visits/dashboard?year=2025", Some(&admin))
        .await;
    assert_eq!(status, 200, "{d}");
    let t = &d["total"];
    assert_eq!(
        (
            &t["families"],
            &t["contacts_3_to_5"],
            &t["contacted"],
            &t["visits_due"],
            &t["visits_on_time"],
            &t["open_follow_ups"]
        ),
        (
            &json!(3),
            &json!(3),
            &json!(1),
            &json!(3),
            &json!(1),
            &json!(1)
        ),
        "{d}"
    );
    assert_eq!(t["oldest_follow_up_days"], 0);
    let qiyue = d["communities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["community"] == "齐悦国际社区")
        .cloned()
        .unwrap();
    assert_eq!(
        (&qiyue["street"], &qiyue["families"]),
        (&json!("马尚街道"), &json!(2)),
        "{d}"
    );
    let mid: Vec<&Value> = d["programs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["program"] == MID_AUTUMN)
        .collect();
    let proposed: i64 = mid.iter().map(|p| p["proposed"].as_i64().unwrap()).sum();
    let paid: i64 = mid.iter().map(|p| p["paid"].as_i64().unwrap()).sum();
    assert_eq!((proposed, paid), (3, 1), "{d}");

    // A street sees its own street only.
    let (_, mine) = app
        .get("/api/v1/visits/dashboard?year=2025", Some(&street))
        .await;
    assert_eq!(mine["total"]["families"], 2, "{mine}");
    assert!(
        mine.to_string().contains("马尚街道") && !mine.to_string().contains("车站街道"),
        "{mine}"
    );
    let (status, body) = app
        .get("/api/v1/visits/dashboard?year=1900", Some(&admin))
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("year")),
        "{body}"
    );

    let res = app
        .client
        .get(app.url("/api/v1/visits/dashboard/export?year=2025"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let sheet = nuanxin_sheets::read_table(&bytes).expect("xlsx");
    assert_eq!(sheet.rows.len(), 3, "two communities and the total");
}

/// The dashboard's totals that writes move, as (families, contacted, on time, open follow-ups, paid).
async fn dashboard_totals(app: &TestApp, token: &str) -> (i64, i64, i64, i64, i64) {
    let (status, d) = app
        .get("/api/v1/visits/dashboard?year=2025", Some(token))
        .await;
    assert_eq!(status, 200, "{d}");
    let t = &d["total"];
    let paid = d["programs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["paid"].as_i64().unwrap())
        .sum();
    let n = |k: &str| t[k].as_i64().unwrap();
    (
        n("families"),
        n("contacted"),
        n("visits_on_time"),
        n("open_follow_ups"),
        paid,
    )
}

#[tokio::test]
async fn a_cached_dashboard_shows_every_write_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let community = app.login("zhangdian", "community").await;
    let first = bereaved(&app, &admin, 1).await;
    let second = bereaved(&app, &admin, 2).await;
    let id = mid_autumn(&app, &admin).await;
    assert_eq!(dashboard_totals(&app, &admin).await, (2, 0, 0, 0, 0));
    assert_eq!(dashboard_totals(&app, &street).await, (2, 0, 0, 0, 0));

    // The answer is cached: a contact the triggers do not see (written with them switched off, as no
    // writer can) does not show; the next real write shows both.
    let tenant = app.tenant_id("zhangdian").await;
    let mut conn = app.admin().await;
    conn.batch_execute(&format!(
        "BEGIN; SET LOCAL session_replication_role = replica; \
         INSERT INTO contact_log (tenant_id, id, family_id, contacted_on, how, summary, recorded_by_id, recorded_by) \
         VALUES ('{tenant}', gen_random_uuid(), '{second}', current_date, 'call', '静默', '{second}', '测试'); COMMIT"
    ))
    .await
    .unwrap();
    assert_eq!(dashboard_totals(&app, &admin).await, (2, 0, 0, 0, 0));

    // Each kind of write shows in the very next read, for the district and for the street.
    let today = app.app.districts.by_slug("zhangdian").unwrap().today();
    let (status, _) = app
        .post_json(
            &format!("/api/v1/families/{first}/contacts-log"),
            Some(&community),
            &json!({"on": today, "how": "call", "summary": "电话问候", "problems": ["就医"]}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(dashboard_totals(&app, &admin).await, (2, 2, 0, 1, 0));
    let (status, _) = visit(&app, &street, &id, with_money(&first, "2025-10-01")).await;
    assert_eq!(status, 201);
    assert_eq!(dashboard_totals(&app, &admin).await, (2, 2, 1, 1, 1));
    assert_eq!(dashboard_totals(&app, &street).await, (2, 2, 1, 1, 1));
    let (_, items) = app.get("/api/v1/follow-ups", Some(&street)).await;
    let open = items["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post_json(
            &format!("/api/v1/follow-ups/{open}/done"),
            Some(&street),
            &json!({"note": "已协调家庭医生"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(dashboard_totals(&app, &admin).await, (2, 2, 1, 0, 1));

    // A write outside the service (maintenance in psql) counts too.
    diesel::sql_query(
        "UPDATE benefit_entries SET status = 'paid', payment_reference = 'bank:1' \
         WHERE program = 'holiday_visit_mid_autumn' AND family_id <> $1",
    )
    .bind::<SqlUuid, _>(Uuid::parse_str(&first).unwrap())
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(dashboard_totals(&app, &admin).await, (2, 2, 1, 0, 2));
    // Another street's family: the street's dashboard stays its own.
    app.create_family(&admin, &zd_family("chezhan", "chezhan-1", 3, "19600501"))
        .await;
    assert_eq!(dashboard_totals(&app, &admin).await.0, 3);
    assert_eq!(dashboard_totals(&app, &street).await.0, 2);
}

/// The console's visit pages in Chromium, desktop and phone: a contact person's campaign page with the
/// visit form (used on the phone, money handed over), the family's contact form, the street's progress
/// and the district's dashboard; no script errors, nothing wider than the phone; screenshots kept.
#[tokio::test]
async fn contact_persons_record_visits_and_contacts_on_a_phone_in_chromium() {
    use crate::browser::{browser, check_page, click, fill, saved, sign_in, start_driver};
    use fantoccini::Locator;

    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let mine = bereaved(&app, &admin, 1).await;
    bereaved(&app, &admin, 2).await;
    app.create_family(&admin, &zd_family("chezhan", "chezhan-1", 3, "19600501"))
        .await;
    let volunteer_id = user_id(&app, "zhangdian", "volunteer").await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/families/{mine}/contact-accounts"),
            Some(&admin),
            &json!({"user_id": volunteer_id}),
        )
        .await;
    assert_eq!(status, 201);
    let id = mid_autumn(&app, &admin).await;
    let driver = start_driver().await;
    let base = app.address.clone();
    for phone in [false, true] {
        let c = browser(&driver, phone).await;
        sign_in(&c, &base, "zhangdian", "volunteer").await;
        c.goto(&format!("{base}/console/visits")).await.unwrap();
        check_page(&c, "visits-volunteer-campaigns", phone).await;
        c.goto(&format!("{base}/console/visits/{id}"))
            .await
            .unwrap();
        check_page(&c, "visits-volunteer-campaign", phone).await;
        let cards = c.find_all(Locator::Css("section.visit")).await.unwrap();
        assert_eq!(cards.len(), 1, "a contact person sees exactly their family");
        if phone {
            fantoccini::Client::execute(
                &c,
                "document.querySelector('section.visit').scrollIntoView();",
                vec![],
            )
            .await
            .unwrap();
            check_page(&c, "visits-volunteer-form", phone).await;
            fill(&c, "section.visit input[name=money_cny]", "300").await;
            fill(
                &c,
                "section.visit textarea[name=needs]",
                "希望街道协助联系居家养老服务",
            )
            .await;
            click(&c, "section.visit button[type=submit]").await;
            assert_eq!(saved(&c).await, "已记录走访。");
            check_page(&c, "visits-volunteer-visited", phone).await;
            c.goto(&format!("{base}/console/contacts/{mine}"))
                .await
                .unwrap();
            fill(
                &c,
                "textarea[name=summary]",
                "电话问候，老人身体尚可，近期需复诊",
            )
            .await;
            click(&c, "input[name=problems][value=medical]").await;
            c.find(Locator::Css(
                "form[action^='/console/contacts'] button[type=submit]",
            ))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
            assert_eq!(saved(&c).await, "已记录联系。");
        } else {
            c.goto(&format!("{base}/console/contacts/{mine}"))
                .await
                .unwrap();
        }
        check_page(&c, "visits-volunteer-contacts", phone).await;
        c.close().await.unwrap();

        let c = browser(&driver, phone).await;
        sign_in(&c, &base, "zhangdian", "street").await;
        c.goto(&format!("{base}/console/visits/{id}"))
            .await
            .unwrap();
        check_page(&c, "visits-street-progress", phone).await;
        c.close().await.unwrap();

        let c = browser(&driver, phone).await;
        sign_in(&c, &base, "zhangdian", "admin").await;
        c.goto(&format!("{base}/console/dashboard?year=2025"))
            .await
            .unwrap();
        check_page(&c, "visits-dashboard", phone).await;
        c.close().await.unwrap();
    }
    // What the phone recorded is the API's: paid once, a need and a problem for the street.
    assert_eq!(
        entry_of(&app, &admin, MID_AUTUMN, &mine).await["status"],
        "paid"
    );
    let street = app.login("zhangdian", "street").await;
    let (_, items) = app.get("/api/v1/follow-ups", Some(&street)).await;
    assert_eq!(items["total"], 2, "{items}");
}

#[tokio::test]
async fn activities_are_kept_within_the_yearly_budget_and_projects_are_one_per_street_and_year() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let street2 = app.login("zhangdian", "street2").await;
    let ours = bereaved(&app, &admin, 1).await;
    let theirs = app
        .create_family(&admin, &zd_family("chezhan", "chezhan-1", 2, "19600501"))
        .await;
    let project =
        json!({"year": 2026, "name": "暖心家园·重阳敬老", "description": "每季度一次联谊"});
    let (status, p) = app
        .post_json("/api/v1/signature-projects", Some(&street), &project)
        .await;
    assert_eq!(status, 201, "{p}");
    let (status, body) = app
        .post_json("/api/v1/signature-projects", Some(&street), &project)
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (409, &json!("street")),
        "{body}"
    );
    let activity = |spending: i64| {
        json!({"home": "warm_heart", "project_id": p["id"], "held_on": "2026-11-20",
               "place": "马尚街道暖心家园", "kind": "重阳节联谊", "spending_cny": spending,
               "participants": [ours]})
    };
    let (status, body) = app
        .post_json("/api/v1/activities", Some(&street), &activity(40_000))
        .await;
    assert_eq!(status, 201, "{body}");
    // Two at once over what is left: one is recorded, the other refused.
    let six = activity(6_000);
    let (a, b) = tokio::join!(
        app.post_json("/api/v1/activities", Some(&street), &six),
        app.post_json("/api/v1/activities", Some(&street), &six)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [201, 422], "{} {}", a.1, b.1);
    let (status, body) = app
        .post_json("/api/v1/activities", Some(&street), &activity(4_001))
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (422, &json!("over_budget")),
        "{body}"
    );
    assert_eq!(body["error"]["field"], "spending_cny");
    let (status, _) = app
        .post_json("/api/v1/activities", Some(&street), &activity(4_000))
        .await;
    assert_eq!(status, 201);
    // Participants come from the caller's register; a project of another street is not the street's.
    let mut other = activity(0);
    other["participants"] = json!([theirs]);
    let (status, body) = app
        .post_json("/api/v1/activities", Some(&street), &other)
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("participants")),
        "{body}"
    );
    let mut foreign = activity(0);
    foreign["participants"] = json!([]);
    let (status, body) = app
        .post_json("/api/v1/activities", Some(&street2), &foreign)
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("project_id")),
        "{body}"
    );
    let (status, body) = app
        .post_json(
            "/api/v1/activities",
            Some(&street),
            &json!({"home": "warm_heart", "held_on": "2026-11-20",
            "place": " ", "kind": "联谊", "spending_cny": -5}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("place")),
        "{body}"
    );

    let (status, year) = app.get("/api/v1/activities?year=2026", Some(&admin)).await;
    assert_eq!(status, 200, "{year}");
    assert_eq!(
        (
            &year["budget_cny"],
            &year["spent_cny"],
            &year["remaining_cny"]
        ),
        (&json!(50_000), &json!(50_000), &json!(0)),
        "{year}"
    );
    assert_eq!(year["activities"].as_array().unwrap().len(), 3);
    assert_eq!(year["projects"][0]["activities"], 3);
    assert_eq!(year["projects"][0]["spending_cny"], 50_000);
    let (_, theirs) = app
        .get("/api/v1/activities?year=2026", Some(&street2))
        .await;
    assert_eq!(theirs["activities"], json!([]), "{theirs}");
    let xicheng = app.login("xicheng", "admin").await;
    let (_, elsewhere) = app
        .get("/api/v1/activities?year=2026", Some(&xicheng))
        .await;
    assert_eq!(
        (&elsewhere["spent_cny"], &elsewhere["activities"]),
        (&json!(0), &json!([]))
    );
    for role in ["community", "bureau", "volunteer"] {
        let token = app.login("zhangdian", role).await;
        let (status, _) = app.get("/api/v1/activities?year=2026", Some(&token)).await;
        assert_eq!(status, 403, "{role}");
        let (status, _) = app
            .post_json("/api/v1/activities", Some(&token), &activity(1))
            .await;
        assert_eq!(status, 403, "{role}");
    }
}

/// The activities page in Chromium, desktop and phone: a street creates its signature project and
/// records an activity with participants from its own register (an over-budget spending is refused
/// beside its field, what was typed kept); the budget's use, the project with its activity and the
/// list show it. A community worker has no such page (no nav entry, 403), and a form without the
/// session's CSRF token is refused.
#[tokio::test]
async fn streets_record_activities_against_the_budget_in_chromium() {
    use crate::browser::{
        browser, check_page, click, fill, main_text, saved, sign_in, start_driver,
    };
    use fantoccini::Locator;

    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let ours = bereaved(&app, &admin, 1).await;
    app.create_family(&admin, &zd_family("chezhan", "chezhan-1", 2, "19600501"))
        .await;
    let driver = start_driver().await;
    let base = app.address.clone();
    for phone in [false, true] {
        let c = browser(&driver, phone).await;
        sign_in(&c, &base, "zhangdian", "street").await;
        // The nav entry exists (folded behind the menu on a phone): follow where it points.
        c.find(Locator::Css("nav a[href='/console/activities']"))
            .await
            .expect("a nav entry for the street");
        c.goto(&format!("{base}/console/activities")).await.unwrap();
        let year = app
            .app
            .districts
            .by_slug("zhangdian")
            .unwrap()
            .today()
            .format("%Y")
            .to_string();
        let kind = if phone {
            "手机端联谊"
        } else {
            "重阳节联谊"
        };
        check_page(&c, "activities-street", phone).await;
        // Only the street's own family is offered as a participant.
        let offered = c
            .find_all(Locator::Css("input[name=participants]"))
            .await
            .unwrap();
        assert_eq!(offered.len(), 1);
        assert_eq!(
            offered[0].attr("value").await.unwrap().as_deref(),
            Some(ours.as_str())
        );
        if !phone {
            fill(&c, "#project input[name=name]", "暖心家园·重阳敬老").await;
            click(&c, "#project button[type=submit]").await;
            assert_eq!(saved(&c).await, "已创建“一镇一品”项目。");
        }
        fill(&c, "#record input[name=place]", "马尚街道暖心家园").await;
        fill(&c, "#record input[name=kind]", kind).await;
        fill(&c, "#record input[name=spending_cny]", "60000").await;
        click(&c, "#record input[name=participants]").await;
        click(&c, "#record button[type=submit]").await;
        let error = c
            .wait()
            .for_element(Locator::Css(".field.invalid p.error"))
            .await
            .expect("the refusal beside the field")
            .text()
            .await
            .unwrap();
        assert!(error.contains("预算50000元"), "{error}");
        let place = c
            .find(Locator::Css("#record input[name=place]"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(
            place.as_deref(),
            Some("马尚街道暖心家园"),
            "what was typed is kept"
        );
        fantoccini::Client::execute(
            &c,
            "document.querySelector('.field.invalid').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
        check_page(&c, "activities-street-refused", phone).await;
        let spending = c
            .find(Locator::Css("#record input[name=spending_cny]"))
            .await
            .unwrap();
        spending.clear().await.unwrap();
        spending.send_keys("1200").await.unwrap();
        if !phone {
            c.find(Locator::Css("#record select[name=project_id]"))
                .await
                .unwrap()
                .select_by_index(1)
                .await
                .unwrap();
        }
        click(&c, "#record button[type=submit]").await;
        assert_eq!(saved(&c).await, "已登记活动。");
        let text = main_text(&c).await;
        let spent = if phone { "2400" } else { "1200" };
        assert!(text.contains(kind) && text.contains(spent), "{text}");
        assert!(
            text.contains("暖心家园·重阳敬老") && text.contains("活动 1 次，经费 1200 元"),
            "the project with its activity: {text}"
        );
        check_page(&c, "activities-street-recorded", phone).await;

        // The form without this session's token: refused, nothing recorded.
        fantoccini::Client::execute(
            &c,
            "document.querySelector('#record input[name=csrf]').remove();",
            vec![],
        )
        .await
        .unwrap();
        fill(&c, "#record input[name=place]", "马尚街道暖心家园").await;
        fill(&c, "#record input[name=kind]", "无令牌").await;
        fill(&c, "#record input[name=spending_cny]", "1").await;
        click(&c, "#record button[type=submit]").await;
        for _ in 0..50 {
            if main_text(&c).await.contains("页面已过期") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(main_text(&c).await.contains("页面已过期"));
        c.close().await.unwrap();

        let c = browser(&driver, phone).await;
        sign_in(&c, &base, "zhangdian", "community").await;
        assert!(
            c.find(Locator::Css("nav a[href='/console/activities']"))
                .await
                .is_err(),
            "no nav entry for a community worker"
        );
        c.goto(&format!("{base}/console/activities?year={year}"))
            .await
            .unwrap();
        let text = main_text(&c).await;
        assert!(
            text.contains("没有权限") && !text.contains("登记一次活动"),
            "{text}"
        );
        c.close().await.unwrap();
    }
    let (_, year) = app.get("/api/v1/activities", Some(&admin)).await;
    assert_eq!(year["spent_cny"], 2400, "{year}");
    assert_eq!(year["activities"].as_array().unwrap().len(), 2, "{year}");
}
