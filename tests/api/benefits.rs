//! Benefit administration: cycles, the ledger's steps and who may take them, exits, the payment list,
//! concurrent generation, forecast and impact.

use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::fixtures::{resident_id, zd_family};
use crate::helpers::TestApp;
use nuanxin::benefits::ledger::CycleView;
use nuanxin::page::Items;
use nuanxin_access::Role;

async fn generate(app: &TestApp, token: &str, program: &str, period: &str) -> (u16, Value) {
    app.post_json(
        "/api/v1/benefits/cycles",
        Some(token),
        &json!({"program": program, "period": period}),
    )
    .await
}

async fn entries(app: &TestApp, token: &str, cycle: &str) -> Vec<Value> {
    let (status, body) = app
        .get(
            &format!("/api/v1/benefits/cycles/{cycle}/entries?per_page=1000"),
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().expect("items").clone()
}

fn entry<'a>(items: &'a [Value], family: &str, person: &str) -> &'a Value {
    items
        .iter()
        .find(|e| e["family_id"] == family && e["person"] == person)
        .unwrap_or_else(|| panic!("no entry for {family} {person}"))
}

async fn step(app: &TestApp, token: &str, id: &Value, action: &str, body: Value) -> (u16, Value) {
    let id = id.as_str().expect("id");
    app.post_json(
        &format!("/api/v1/benefits/entries/{id}/{action}"),
        Some(token),
        &body,
    )
    .await
}

#[tokio::test]
async fn a_cycle_moves_from_proposal_to_payment_and_only_the_named_units_act() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let street2 = app.login("zhangdian", "street2").await;
    let bureau = app.login("zhangdian", "bureau").await;
    let finance = app.login("zhangdian", "finance").await;
    let f1 = app
        .create_family(
            &admin,
            &zd_family("mashang", "mashang-qiyue", 1, "19550501"),
        )
        .await;
    let f2 = app
        .create_family(&admin, &zd_family("mashang", "mashang-2", 2, "19560601"))
        .await;
    let f3 = app
        .create_family(&admin, &zd_family("chezhan", "chezhan-1", 3, "19570701"))
        .await;

    // Streets do not generate; periods follow the program's period; the policy must be in force.
    let (status, _) = generate(&app, &street, "elderly_care_home_services", "2025-03").await;
    assert_eq!(status, 403);
    let (status, body) = generate(&app, &admin, "elderly_care_home_services", "2025").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_period")),
        "{body}"
    );
    let (status, body) = generate(&app, &admin, "no_such_program", "2025").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("unknown_program"))
    );
    let (status, body) = generate(&app, &admin, "elderly_care_home_services", "2026-03").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("policy_not_in_force")),
        "{body}"
    );

    let (status, report) = generate(&app, &admin, "elderly_care_home_services", "2025-03").await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["evaluated_on"], "2025-03-01");
    assert_eq!(report["families_evaluated"], 3);
    assert_eq!(report["proposed"], 6, "each parent aged 65+: {report}");
    let cycle = report["cycle_id"].as_str().expect("cycle").to_owned();

    // Each street sees its own families only.
    let all = entries(&app, &admin, &cycle).await;
    assert_eq!(all.len(), 6);
    let mine = entries(&app, &street, &cycle).await;
    assert_eq!(mine.len(), 4);
    assert!(mine.iter().all(|e| e["street"]["code"] == "mashang"));
    assert_eq!(entries(&app, &street2, &cycle).await.len(), 2);
    let e = entry(&all, &f1, "mother");
    assert_eq!(e["amount_cny"], 200);
    assert_eq!(e["status"], "proposed");
    assert_eq!(e["payer"], "district_civil_affairs");
    assert_eq!(e["approver"]["code"], "civil_affairs");
    assert!(
        e.get("name").is_none(),
        "no personal data in the ledger view"
    );

    // Verify: the family's street, with a note.
    let f1_mother = entry(&all, &f1, "mother")["id"].clone();
    let (status, body) = step(&app, &street, &f1_mother, "verify", json!({})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("note"))
    );
    let f3_mother = entry(&all, &f3, "mother")["id"].clone();
    let (status, _) = step(
        &app,
        &street,
        &f3_mother,
        "verify",
        json!({"note": "已核实"}),
    )
    .await;
    assert_eq!(status, 404, "another street's family");
    let (status, _) = step(&app, &bureau, &f1_mother, "verify", json!({"note": "x"})).await;
    assert_eq!(status, 403, "bureaus do not verify");
    let (status, body) = step(
        &app,
        &street,
        &f1_mother,
        "verify",
        json!({"note": "入户核实，情况属实"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "verified");
    assert_eq!(body["verify_note"], "入户核实，情况属实");

    // Approve: only the unit named for the payer (区民政局), not the district office.
    let (status, _) = step(&app, &admin, &f1_mother, "approve", json!({})).await;
    assert_eq!(
        status, 403,
        "the district office is not the named approver here"
    );
    let (status, body) = step(&app, &bureau, &f1_mother, "approve", json!({})).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("approved")),
        "{body}"
    );
    let f1_father = entry(&all, &f1, "father")["id"].clone();
    let (status, body) = step(&app, &bureau, &f1_father, "approve", json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("invalid_transition")),
        "{body}"
    );

    // Pay: finance only, with a payment reference, once.
    let (status, body) = step(&app, &finance, &f1_mother, "pay", json!({})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("payment_reference"))
    );
    let (status, _) = step(
        &app,
        &bureau,
        &f1_mother,
        "pay",
        json!({"payment_reference": "X"}),
    )
    .await;
    assert_eq!(status, 403, "only finance marks paid");
    let (status, body) = step(
        &app,
        &finance,
        &f1_mother,
        "pay",
        json!({"payment_reference": "ZD-2025-03-0001"}),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("paid")),
        "{body}"
    );
    let (status, body) = step(
        &app,
        &finance,
        &f1_mother,
        "pay",
        json!({"payment_reference": "again"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("invalid_transition"))
    );

    // Bulk: all or nothing; an entry of another street makes the whole request fail.
    let ids = |pairs: &[(&str, &str)]| -> Vec<Value> {
        pairs
            .iter()
            .map(|(f, p)| entry(&all, f, p)["id"].clone())
            .collect()
    };
    let mashang_rest = ids(&[(&f1, "father"), (&f2, "mother"), (&f2, "father")]);
    let mut with_other = mashang_rest.clone();
    with_other.push(f3_mother.clone());
    let (status, _) = app
        .post_json(
            "/api/v1/benefits/entries/verify",
            Some(&street),
            &json!({"ids": with_other, "note": "批量核实"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .post_json(
            "/api/v1/benefits/entries/verify",
            Some(&street),
            &json!({"ids": mashang_rest, "note": "批量核实"}),
        )
        .await;
    assert_eq!((status, body["updated"].as_u64()), (200, Some(3)), "{body}");

    // Reject: a verified entry is rejected by the approver, with a reason; the street may not.
    let f2_father = entry(&all, &f2, "father")["id"].clone();
    let (status, _) = step(&app, &street, &f2_father, "reject", json!({"note": "x"})).await;
    assert_eq!(status, 403);
    let (status, body) = step(&app, &bureau, &f2_father, "reject", json!({})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = step(
        &app,
        &bureau,
        &f2_father,
        "reject",
        json!({"note": "已入住养老机构"}),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("rejected")),
        "{body}"
    );
    let f2_mother = entry(&all, &f2, "mother")["id"].clone();
    let (status, _) = step(&app, &bureau, &f2_mother, "approve", json!({})).await;
    assert_eq!(status, 200);

    // Regenerating adds nobody twice.
    let (status, again) = generate(&app, &admin, "elderly_care_home_services", "2025-03").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (
            again["proposed"].as_u64(),
            again["already_in_ledger"].as_u64()
        ),
        (Some(0), Some(6))
    );
    assert_eq!(app.count("benefit_entries").await, 6);

    // Counts by status, scoped.
    let (status, body) = app
        .get(&format!("/api/v1/benefits/cycles/{cycle}"), Some(&street))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["counts"],
        json!({"proposed": 0, "verified": 1, "rejected": 1, "approved": 1, "paid": 1, "exited": 0})
    );

    // The payment list: approved and paid entries, full identifiers only with family_pii read.
    let xlsx = |token: String| {
        let app = &app;
        let cycle = cycle.clone();
        async move {
            let res = app
                .client
                .get(app.url(&format!("/api/v1/benefits/cycles/{cycle}/payment-list")))
                .bearer_auth(token)
                .send()
                .await
                .expect("request");
            assert_eq!(res.status().as_u16(), 200);
            nuanxin_sheets::read_table(&res.bytes().await.expect("bytes")).expect("xlsx")
        }
    };
    let sheet = xlsx(admin.clone()).await;
    assert_eq!(
        sheet.headers,
        [
            "序号",
            "街道",
            "户主/受益人",
            "身份证号",
            "金额（元）",
            "项目",
            "期间",
            "状态",
            "付款凭证号"
        ]
    );
    assert_eq!(sheet.rows.len(), 2);
    let paid = sheet
        .rows
        .iter()
        .find(|r| r.get(7) == "已发放")
        .expect("paid row");
    assert_eq!(paid.get(1), "马尚街道");
    assert_eq!(paid.get(2), "测试母亲1");
    assert_eq!(paid.get(3), resident_id("19550501", 1, true));
    assert_eq!(paid.get(4), "200");
    assert_eq!(paid.get(5), "居家养老家政服务");
    assert_eq!(paid.get(6), "2025-03");
    assert_eq!(paid.get(8), "ZD-2025-03-0001");
    let masked = xlsx(bureau.clone()).await;
    assert!(
        masked
            .rows
            .iter()
            .all(|r| r.get(3).contains('*') && !r.get(2).contains("母亲1")),
        "bureaus see masked identifiers"
    );

    // Every step is audited.
    let mut conn = app.admin().await;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N =
        diesel::sql_query("SELECT count(*) AS n FROM audit_events WHERE action = 'benefit.verify'")
            .get_result(&mut conn)
            .await
            .expect("count");
    assert_eq!(n.n, 4);
}

#[tokio::test]
async fn two_generations_at_once_propose_each_beneficiary_once() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    for serial in 0..8 {
        app.create_family(
            &admin,
            &zd_family("mashang", "mashang-qiyue", 10 + serial, "19600101"),
        )
        .await;
    }
    // Over HTTP, twice at once …
    let (a, b) = tokio::join!(
        generate(&app, &admin, "happiness_insurance", "2025"),
        generate(&app, &admin, "happiness_insurance", "2025"),
    );
    assert!(a.0 == 201 || b.0 == 201, "{a:?} {b:?}");
    assert!(
        [200, 201].contains(&a.0) && [200, 201].contains(&b.0),
        "{a:?} {b:?}"
    );
    // … and through the service function, twice more at once.
    let district = app.app.districts.by_slug("zhangdian").expect("district");
    let actor = nuanxin::audit::Actor {
        user_id: nuanxin_ids::UserId::SYSTEM,
        name: "test".into(),
        actor: "system:test".into(),
        request_id: None,
    };
    let access = || -> nuanxin::benefits::Access { app.app.clone().into_inner() };
    let (c, d) = tokio::join!(
        nuanxin::benefits::cycle::generate(
            access(),
            &district,
            &actor,
            "happiness_insurance",
            "2025",
            None
        ),
        nuanxin::benefits::cycle::generate(
            access(),
            &district,
            &actor,
            "happiness_insurance",
            "2025",
            None
        ),
    );
    let (c, d) = (c.expect("generate"), d.expect("generate"));
    let proposed = a.1["proposed"].as_u64().unwrap_or(0)
        + b.1["proposed"].as_u64().unwrap_or(0)
        + c.proposed
        + d.proposed;
    assert_eq!(
        proposed, 16,
        "each of 16 parents proposed exactly once over all four runs"
    );
    assert_eq!(app.count("benefit_entries").await, 16);
    assert_eq!(app.count("benefit_cycles").await, 1);
    let duplicates = app
        .count(
            "(SELECT family_id, person FROM benefit_entries GROUP BY 1, 2 HAVING count(*) > 1) d",
        )
        .await;
    assert_eq!(duplicates, 0);
}

#[tokio::test]
async fn a_later_cycle_exits_those_who_stopped_qualifying_with_the_reason() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let f1 = app
        .create_family(
            &admin,
            &zd_family("mashang", "mashang-qiyue", 1, "19550501"),
        )
        .await;
    let f2 = app
        .create_family(&admin, &zd_family("mashang", "mashang-2", 2, "19560601"))
        .await;
    let f3 = app
        .create_family(&admin, &zd_family("chezhan", "chezhan-1", 3, "19570701"))
        .await;
    let f4 = app
        .create_family(&admin, &zd_family("chezhan", "chezhan-2", 4, "19580801"))
        .await;
    let (status, march) = generate(&app, &admin, "elderly_care_home_services", "2025-03").await;
    assert_eq!(
        (status, march["proposed"].as_u64()),
        (201, Some(8)),
        "{march}"
    );

    // f1 re-bore and left the register; f2's father no longer asks for home services;
    // f3's father died; f4's household registration moved out of the district.
    let (status, body) = app
        .post_json(
            &format!("/api/v1/families/{f1}/exit"),
            Some(&admin),
            &json!({"reason": "rebirth", "note": "2025年3月再生育"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut b2 = zd_family("mashang", "mashang-2", 2, "19560601");
    b2["parents"][1]["wants_home_services"] = json!(false);
    let (status, body) = app
        .put_json(&format!("/api/v1/families/{f2}"), Some(&admin), &b2)
        .await;
    assert_eq!(status, 200, "{body}");
    let mut b3 = zd_family("chezhan", "chezhan-1", 3, "19570701");
    b3["parents"][1]["alive"] = json!(false);
    let (status, body) = app
        .put_json(&format!("/api/v1/families/{f3}"), Some(&admin), &b3)
        .await;
    assert_eq!(status, 200, "{body}");
    let mut b4 = zd_family("chezhan", "chezhan-2", 4, "19580801");
    b4["hukou_district"] = json!("桓台县");
    let (status, body) = app
        .put_json(&format!("/api/v1/families/{f4}"), Some(&admin), &b4)
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, april) = generate(&app, &admin, "elderly_care_home_services", "2025-04").await;
    assert_eq!(status, 201, "{april}");
    assert_eq!(
        april["proposed"], 2,
        "f2's mother, f3's mother, nobody else: {april}"
    );
    assert_eq!(
        april["exited"], 6,
        "f1 both, f2 father, f3 father, f4 both: {april}"
    );
    let items = entries(&app, &admin, april["cycle_id"].as_str().expect("id")).await;
    let exit = |f: &str, p: &str| {
        let e = entry(&items, f, p);
        assert_eq!(e["status"], "exited", "{e}");
        (
            e["exit_reason"].as_str().unwrap_or("").to_owned(),
            e["exit_detail"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert_eq!(exit(&f1, "mother").0, "rebirth");
    assert!(exit(&f1, "father").1.contains("2025年3月再生育"));
    let (reason, detail) = exit(&f2, "father");
    assert_eq!(reason, "no_longer_eligible");
    assert!(!detail.is_empty(), "the failed condition is recorded");
    assert_eq!(exit(&f3, "father").0, "death");
    assert_eq!(exit(&f4, "mother").0, "moved_away");
    assert_eq!(entry(&items, &f2, "mother")["status"], "proposed");
    assert_eq!(entry(&items, &f2, "mother")["amount_cny"], 200);
    assert!(entry(&items, &f1, "mother")["amount_cny"].is_null());

    // Regenerating April exits nobody twice.
    let (status, again) = generate(&app, &admin, "elderly_care_home_services", "2025-04").await;
    assert_eq!(
        (status, again["exited"].as_u64(), again["proposed"].as_u64()),
        (200, Some(0), Some(0))
    );
    assert_eq!(app.count("benefit_entries").await, 16);
}

#[tokio::test]
async fn regenerating_a_period_brings_its_open_entries_up_to_date() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let bureau = app.login("zhangdian", "bureau").await;
    let body = |serial| zd_family("mashang", "mashang-2", serial, "19550501");
    let mut families = Vec::new();
    for serial in 11..=14 {
        families.push(app.create_family(&admin, &body(serial)).await);
    }
    let (status, first) = generate(&app, &admin, "elderly_care_home_services", "2025-04").await;
    assert_eq!(
        (status, first["proposed"].as_u64()),
        (201, Some(8)),
        "{first}"
    );
    let cycle = first["cycle_id"].as_str().expect("cycle").to_owned();
    let all = entries(&app, &admin, &cycle).await;
    let id_of = |family: &str, person: &str| entry(&all, family, person)["id"].clone();
    let note = json!({"note": "入户核实"});
    // f11's father: verified by the street; f12's father: verified and approved; f14's mother: verified.
    for (family, person) in [(0, "father"), (1, "father"), (3, "mother")] {
        let (status, _) = step(
            &app,
            &street,
            &id_of(&families[family], person),
            "verify",
            note.clone(),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, _) = step(
        &app,
        &bureau,
        &id_of(&families[1], "father"),
        "approve",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);

    // Meanwhile: f11's father died (his entry verified, f11's mother's proposed); f12's father died too
    // (his entry already approved); f13 left the register; f14 moved to 车站街道, and its mother's entry had
    // been proposed under a former standard of 150 a month.
    for (family, serial) in [(0, 11), (1, 12)] {
        let mut changed = body(serial);
        changed["parents"][1]["alive"] = json!(false);
        let (status, res) = app
            .put_json(
                &format!("/api/v1/families/{}", families[family]),
                Some(&admin),
                &changed,
            )
            .await;
        assert_eq!(status, 200, "{res}");
    }
    let (status, _) = app
        .post_json(
            &format!("/api/v1/families/{}/exit", families[2]),
            Some(&admin),
            &json!({"reason": "moved_away"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, res) = app
        .put_json(
            &format!("/api/v1/families/{}", families[3]),
            Some(&admin),
            &zd_family("chezhan", "chezhan-1", 14, "19550501"),
        )
        .await;
    assert_eq!(status, 200, "{res}");
    let former = id_of(&families[3], "mother");
    diesel::sql_query(format!(
        "UPDATE benefit_entries SET amount_cny = 150 WHERE id = '{}'",
        former.as_str().expect("id")
    ))
    .execute(&mut app.admin().await)
    .await
    .expect("a former standard");

    let (status, again) = generate(&app, &admin, "elderly_care_home_services", "2025-04").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["proposed"], 0, "{again}");
    assert_eq!(
        again["withdrawn"], 3,
        "f11's father, f13's parents: {again}"
    );
    assert_eq!(again["revised"], 2, "f14's parents: {again}");
    let now = entries(&app, &admin, &cycle).await;
    let status_of = |family: usize, person: &str| {
        let e = entry(&now, &families[family], person);
        (
            e["status"].as_str().unwrap_or("").to_owned(),
            e["exit_reason"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert_eq!(status_of(0, "father"), ("exited".into(), "death".into()));
    assert_eq!(status_of(0, "mother"), ("proposed".into(), String::new()));
    assert_eq!(
        status_of(1, "father"),
        ("approved".into(), String::new()),
        "an approved entry is the approving bureau's to reject, not a generation's"
    );
    assert_eq!(
        status_of(2, "mother"),
        ("exited".into(), "moved_away".into())
    );
    assert_eq!(
        status_of(2, "father"),
        ("exited".into(), "moved_away".into())
    );
    let revised = entry(&now, &families[3], "mother");
    assert_eq!(revised["amount_cny"], 200);
    assert_eq!(
        revised["status"], "proposed",
        "the new amount is verified again: {revised}"
    );
    assert!(revised["verify_note"].is_null(), "{revised}");
    assert!(entry(&now, &families[0], "father")["amount_cny"].is_null());
    // f14's entries are its new street's to verify now.
    let street2 = app.login("zhangdian", "street2").await;
    let theirs = entries(&app, &street2, &cycle).await;
    assert_eq!(
        entry(&theirs, &families[3], "father")["street"]["code"],
        "chezhan"
    );
    let ours = entries(&app, &street, &cycle).await;
    assert!(
        ours.iter().all(|e| e["family_id"] != families[3].as_str()),
        "the former street no longer sees f14's entries"
    );

    // Once up to date, a generation changes nothing.
    let (_, third) = generate(&app, &admin, "elderly_care_home_services", "2025-04").await;
    assert_eq!(
        (third["withdrawn"].as_u64(), third["revised"].as_u64()),
        (Some(0), Some(0)),
        "{third}"
    );
}

#[tokio::test]
async fn next_years_cost_is_forecast_by_program_and_payer() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    for serial in 0..3 {
        app.create_family(
            &admin,
            &zd_family("mashang", "mashang-qiyue", 20 + serial, "19550501"),
        )
        .await;
    }
    let (status, forecast) = app
        .get("/api/v1/benefits/forecast?year=2025", Some(&street))
        .await;
    assert_eq!(status, 200, "{forecast}");
    assert_eq!(forecast["families"], 3);
    let line = |program: &str| {
        forecast["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["program"] == program)
            .unwrap_or_else(|| panic!("no line {program}: {forecast}"))
            .clone()
    };
    let spring = line("holiday_visit_spring_festival");
    assert_eq!(
        (
            spring["beneficiaries"].as_u64(),
            spring["amount_cny"].as_i64()
        ),
        (Some(3), Some(900))
    );
    let home = line("elderly_care_home_services");
    // 6 parents × 200 yuan × 12 months.
    assert_eq!(
        (home["beneficiaries"].as_u64(), home["amount_cny"].as_i64()),
        (Some(6), Some(14_400))
    );
    let special = line("special_assistance");
    assert_eq!(special["unpriced"], 6);
    assert!(
        forecast["notices"].to_string().contains("尚未配置"),
        "{forecast}"
    );
    let civil: i64 = forecast["by_payer"]
        .as_array()
        .expect("by_payer")
        .iter()
        .filter(|p| p["payer"] == "district_civil_affairs")
        .filter_map(|p| p["amount_cny"].as_i64())
        .sum();
    assert_eq!(civil, 14_400);
    let total: i64 = forecast["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["amount_cny"].as_i64())
        .sum();
    assert_eq!(forecast["total_cny"].as_i64(), Some(total));

    // 2026: the document expires on 2026-01-07; January still counts, the rest does not.
    let (status, later) = app
        .get("/api/v1/benefits/forecast?year=2026", Some(&admin))
        .await;
    assert_eq!(status, 200);
    assert!(later["notices"].to_string().contains("11个月"), "{later}");

    // The CLI runs the same computation.
    let settings = crate::helpers::test_settings(&app.database, &[]);
    let code = nuanxin::benefits::cli::forecast(&settings, "zhangdian", 2025)
        .await
        .expect("cli forecast");
    assert_eq!(code, std::process::ExitCode::SUCCESS);
}

#[tokio::test]
async fn a_policy_change_shows_who_gains_and_loses_and_the_cost() {
    let app = TestApp::spawn().await;
    let admin = app.login("zhangdian", "admin").await;
    let street = app.login("zhangdian", "street").await;
    let young = app
        .create_family(
            &admin,
            &zd_family("mashang", "mashang-qiyue", 30, "19620501"),
        )
        .await;
    app.create_family(&admin, &zd_family("chezhan", "chezhan-1", 31, "19550501"))
        .await;

    // A parameter change: the special-assistance standard is published.
    let body = json!({"as_of": "2025-06-01", "parameter": {"name": "special_assistance_bereaved_monthly_cny", "effective_from": "2025-01-01", "value": 500}});
    let (status, _) = app
        .post_json("/api/v1/policy/impact", Some(&street), &body)
        .await;
    assert_eq!(status, 403, "impact is for those who edit the policy");
    let (status, impact) = app
        .post_json("/api/v1/policy/impact", Some(&admin), &body)
        .await;
    assert_eq!(status, 200, "{impact}");
    assert_eq!(impact["families"], 2);
    assert_eq!(impact["families_changed"].as_array().map(Vec::len), Some(2));
    // 4 parents × 500 yuan × 12 months.
    assert_eq!(impact["annual_cost_difference_cny"], 24_000);
    let sa = impact["by_program"]
        .as_array()
        .expect("by_program")
        .iter()
        .find(|p| p["program"] == "special_assistance")
        .expect("line")
        .clone();
    assert_eq!(sa["amount_changed"], 4);
    let first = &impact["families_changed"][0];
    assert!(first["family_id"].is_string() && first["street"].is_string());
    assert!(!impact.to_string().contains("测试母亲"), "no personal data");

    // A new policy file: home services from 60 instead of 65 (the younger family's parents, 63 and
    // 72, gain it for the mother) and a spring-festival visit of 400 instead of 300.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tenants/zhangdian/policy.yaml"
    ))
    .expect("policy");
    let changed = text
        .replace("      2021-01-08: 65", "      2021-01-08: 60")
        .replace("    amount: 300\n    amount_description: 每户慰问金300元\n    when:\n      ref: bereaved_family\n\n  - code: holiday_visit_mid_autumn", "    amount: 400\n    amount_description: 每户慰问金400元\n    when:\n      ref: bereaved_family\n\n  - code: holiday_visit_mid_autumn");
    assert_ne!(changed, text);
    let (status, impact) = app
        .post_json(
            "/api/v1/policy/impact",
            Some(&admin),
            &json!({"as_of": "2025-06-01", "policy_yaml": changed}),
        )
        .await;
    assert_eq!(status, 200, "{impact}");
    let young_changes = impact["families_changed"]
        .as_array()
        .expect("changed")
        .iter()
        .find(|f| f["family_id"] == young)
        .expect("the younger family changes")
        .clone();
    let gained: Vec<_> = young_changes["changes"]["gained"]
        .as_array()
        .expect("gained")
        .iter()
        .map(|g| {
            (
                g["program"].as_str().unwrap_or(""),
                g["person"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        gained.contains(&("elderly_care_home_services", "mother")),
        "{young_changes}"
    );
    let spring = impact["by_program"]
        .as_array()
        .expect("by_program")
        .iter()
        .find(|p| p["program"] == "holiday_visit_spring_festival")
        .expect("spring")
        .clone();
    assert_eq!(
        (
            spring["amount_changed"].as_u64(),
            spring["annual_cost_difference_cny"].as_i64()
        ),
        (Some(2), Some(200))
    );

    let (status, body) = app
        .post_json(
            "/api/v1/policy/impact",
            Some(&admin),
            &json!({"as_of": "2025-06-01", "policy_yaml": "tenant: zhangdian\nnonsense: 1\n"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_policy")),
        "{body}"
    );
}

#[tokio::test]
async fn another_district_sees_and_moves_nothing_of_a_cycle() {
    let app = TestApp::spawn().await;
    let zhangdian = app.as_role("zhangdian", Role::DistrictAdmin).await;
    let admin = zhangdian.token.clone();
    app.create_family(
        &admin,
        &zd_family("mashang", "mashang-qiyue", 50, "19550501"),
    )
    .await;
    let (status, report) = zhangdian
        .post(
            "/api/v1/benefits/cycles",
            &json!({"program": "elderly_care_home_services", "period": "2025-03"}),
        )
        .await;
    assert_eq!(status, 201, "{report}");
    let cycle = report["cycle_id"].as_str().expect("id").to_owned();
    let entry_id = entries(&app, &admin, &cycle).await[0]["id"].clone();

    let xicheng = app.as_role("xicheng", Role::DistrictAdmin).await;
    let other_admin = xicheng.token.clone();
    let other_bureau = app.login("xicheng", "bureau").await;
    let (status, _) = app
        .get(
            &format!("/api/v1/benefits/cycles/{cycle}"),
            Some(&other_admin),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .get(
            &format!("/api/v1/benefits/cycles/{cycle}/entries"),
            Some(&other_admin),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let own: Items<CycleView> = zhangdian.read("/api/v1/benefits/cycles").await;
    let ids: Vec<String> = own.items.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, std::slice::from_ref(&cycle));
    assert_eq!(own.items[0].counts["proposed"], 2, "both parents are 65+");
    let other: Items<CycleView> = xicheng.read("/api/v1/benefits/cycles").await;
    assert!(other.items.is_empty(), "{:?}", other.items);
    let (status, _) = step(
        &app,
        &other_bureau,
        &entry_id,
        "reject",
        json!({"note": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get(
            &format!("/api/v1/benefits/cycles/{cycle}/payment-list"),
            Some(&other_admin),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_cash_entry_without_a_configured_amount_is_approved_only_with_an_entered_amount() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let street = app.login("xicheng", "street").await;
    let finance = app.login("xicheng", "finance").await;
    let family = app
        .create_family(
            &admin,
            &crate::fixtures::family_body("xinjiekou", "xinjiekou-1", 51),
        )
        .await;
    let (status, report) = generate(&app, &admin, "low_income_subsidy", "2026-11").await;
    assert_eq!(status, 201, "{report}");
    let cycle = report["cycle_id"].as_str().unwrap().to_owned();
    let items = entries(&app, &admin, &cycle).await;
    let e = entry(&items, &family, "household");
    assert_eq!(e["amount_cny"], Value::Null, "no standard configured");
    let id = e["id"].clone();
    let (status, body) = step(&app, &street, &id, "verify", json!({"note": "已入户核实"})).await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = step(&app, &admin, &id, "approve", json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "amount_cny");
    let (status, body) = step(&app, &admin, &id, "approve", json!({"amount_cny": 500})).await;
    assert_eq!(status, 400, "an entered amount needs its basis: {body}");
    assert_eq!(body["error"]["field"], "note");
    let (status, body) = step(
        &app,
        &admin,
        &id,
        "approve",
        json!({"amount_cny": 500, "note": "按西城区2026年困难补助标准"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["amount_cny"], 500);
    assert_eq!(body["amount_note"], "按西城区2026年困难补助标准");
    let (status, body) = step(
        &app,
        &finance,
        &id,
        "pay",
        json!({"payment_reference": "XC-2026-11-001"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "paid");
}

#[tokio::test]
async fn the_disbursing_unit_gets_a_bank_file_with_full_accounts_and_the_entries_it_cannot_send() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let street = app.login("xicheng", "street").await;
    let finance = app.login("xicheng", "finance").await;
    let mut with_account = crate::fixtures::family_body("xinjiekou", "xinjiekou-1", 52);
    with_account["parents"][0]["bank_name"] = json!("演示银行新街口支行");
    with_account["parents"][0]["bank_account"] = json!("9999 0000 0000 0052 001");
    let paid_to = app.create_family(&admin, &with_account).await;
    let without = app
        .create_family(
            &admin,
            &crate::fixtures::family_body("xinjiekou", "xinjiekou-1", 53),
        )
        .await;
    let (_, family) = app
        .get(&format!("/api/v1/families/{paid_to}"), Some(&admin))
        .await;
    assert_eq!(family["parents"][0]["bank_account"], "9999000000000052001");
    let (status, report) = generate(&app, &admin, "low_income_subsidy", "2026-11").await;
    assert_eq!(status, 201, "{report}");
    let cycle = report["cycle_id"].as_str().unwrap().to_owned();
    let items = entries(&app, &admin, &cycle).await;
    for family in [&paid_to, &without] {
        let id = entry(&items, family, "household")["id"].clone();
        assert_eq!(
            step(&app, &street, &id, "verify", json!({"note": "核实"}))
                .await
                .0,
            200
        );
        let approve = json!({"amount_cny": 600, "note": "按区标准"});
        assert_eq!(step(&app, &admin, &id, "approve", approve).await.0, 200);
    }
    let path = format!("/api/v1/benefits/cycles/{cycle}/bank-file");
    for refused in [&admin, &street] {
        assert_eq!(app.get(&path, Some(refused)).await.0, 403);
    }
    let res = app
        .client
        .get(app.url(&path))
        .bearer_auth(&finance)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["x-total-cny"], "600");
    assert_eq!(res.headers()["x-missing-entries"], "1");
    let bytes = res.bytes().await.unwrap();
    let sheet = nuanxin_sheets::read_table(&bytes).unwrap();
    assert_eq!(sheet.headers[2], "收款人账号");
    assert_eq!(sheet.rows.len(), 1);
    assert_eq!(sheet.rows[0].cells[1], "测试母亲");
    assert_eq!(sheet.rows[0].cells[2], "9999000000000052001");
    assert_eq!(sheet.rows[0].cells[4], "600");
}
