//! Data sharing between departments (issue 12): requests against the rules, the steward's decision,
//! releases (fields, masking, pseudonyms, expiry, revocation), aggregates, verifications, consents,
//! the family's access log, and who may do what in which district.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::fixtures::{family_body, resident_id};
use crate::helpers::TestApp;

const INCOME: &str = "家庭经济状况核查";

/// Registers a family on `street`/`community` as the district administrator; its id.
async fn family_on(
    app: &TestApp,
    admin: &str,
    street: &str,
    community: &str,
    serial: u32,
) -> String {
    app.create_family(admin, &family_body(street, community, serial))
        .await
}

/// `bureau` asks for `fields` of `filter`'s families; the answer.
async fn ask(
    app: &TestApp,
    token: &str,
    purpose: &str,
    fields: &[&str],
    filter: Value,
    days: i64,
) -> (u16, Value) {
    app.post_json(
        "/api/v1/data-requests",
        Some(token),
        &json!({"purpose": purpose, "fields": fields, "filter": filter, "days": days}),
    )
    .await
}

/// A request made and approved; the release id.
async fn released(
    app: &TestApp,
    requester: &str,
    admin: &str,
    purpose: &str,
    fields: &[&str],
    filter: Value,
) -> String {
    let (status, made) = ask(app, requester, purpose, fields, filter, 30).await;
    assert_eq!(status, 201, "{made}");
    let (status, approved) = app
        .post_json(
            &format!(
                "/api/v1/data-requests/{}/approve",
                made["id"].as_str().unwrap()
            ),
            Some(admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    approved["release_id"].as_str().unwrap().to_owned()
}

async fn records(app: &TestApp, token: &str, release: &str) -> (u16, Value) {
    app.get(
        &format!("/api/v1/data-releases/{release}/records"),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn a_department_receives_only_its_rules_fields_of_the_families_matched_at_approval() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    let mut xinjiekou = BTreeSet::new();
    for serial in 1..=3 {
        xinjiekou.insert(family_on(&app, &admin, "xinjiekou", "xinjiekou-1", serial).await);
    }
    family_on(&app, &admin, "yuetan", "yuetan-1", 4).await;

    let (status, rules) = app.get("/api/v1/sharing/rules", Some(&bureau)).await;
    assert_eq!(status, 200);
    let rule = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["purpose"] == INCOME)
        .expect("the demo bureau has the income rule");
    assert!(rule["basis"].as_str().unwrap().contains("西政办发"));
    assert_eq!(rule["max_days"], 90);
    assert!(rule["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["field"] == "parent.resident_id" && f["mode"] == "full"));
    assert!(
        rules["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["org_unit"] == "civil_affairs"),
        "only the caller's own rules"
    );

    let (status, made) = ask(
        &app,
        &bureau,
        INCOME,
        &[
            "street",
            "parent.name",
            "household.monthly_income_per_capita_cny",
        ],
        json!({"street": "xinjiekou"}),
        30,
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["status"], "pending");
    let id = made["id"].as_str().unwrap();

    // The steward sees the request beside its rule, each field's mode and the families covered.
    let (status, seen) = app
        .get(&format!("/api/v1/data-requests/{id}"), Some(&admin))
        .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["families"], 3);
    assert_eq!(seen["rule"]["purpose"], INCOME);
    assert!(seen["rule"]["clause"]
        .as_str()
        .unwrap()
        .contains("区民政局"));
    assert_eq!(seen["fields"][1]["field"], "parent.name");
    assert_eq!(seen["fields"][1]["mode"], "full");
    let (_, own) = app
        .get(&format!("/api/v1/data-requests/{id}"), Some(&bureau))
        .await;
    assert!(
        own["families"].is_null(),
        "counts are the steward's only: {own}"
    );

    // A family registered after approval is not in the release.
    let (status, approved) = app
        .post_json(
            &format!("/api/v1/data-requests/{id}/approve"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    let today = app.app.districts.by_slug("xicheng").unwrap().today();
    assert_eq!(
        approved["expires_on"],
        (today + chrono::Days::new(29)).to_string()
    );
    family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 5).await;
    let release = approved["release_id"].as_str().unwrap();
    let (status, page) = records(&app, &bureau, release).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        let keys: BTreeSet<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "pid",
                "street",
                "parent.name",
                "household.monthly_income_per_capita_cny"
            ])
        );
        assert_eq!(item["street"], "xinjiekou");
        assert_eq!(item["parent.name"], json!(["测试母亲", "测试父亲"]));
        assert_eq!(item["household.monthly_income_per_capita_cny"], 1800);
        assert!(
            !xinjiekou.contains(item["pid"].as_str().unwrap()),
            "a pseudonym, not the family's id"
        );
    }
    let pids: BTreeSet<&str> = items.iter().map(|i| i["pid"].as_str().unwrap()).collect();
    assert_eq!(pids.len(), 3);

    // Paged by `after`: two pages of 2 and 1.
    let (_, first) = app
        .get(
            &format!("/api/v1/data-releases/{release}/records?limit=2"),
            Some(&bureau),
        )
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let next = first["next"].as_i64().unwrap();
    let (_, second) = app
        .get(
            &format!("/api/v1/data-releases/{release}/records?limit=2&after={next}"),
            Some(&bureau),
        )
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next"].is_null());

    // Approval and each use are separate audit events.
    app.app.read_log.flush().await;
    assert_eq!(
        app.count("audit_events WHERE action = 'data_request.approve'")
            .await,
        1
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'data_release.read'")
            .await,
        3
    );

    // The export holds the same masking and the watermark line.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/data-releases/{release}/export")))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let bytes = res.bytes().await.unwrap();
    let sheet = nuanxin_sheets::read_table(&bytes).unwrap();
    let lines: Vec<String> = sheet.rows.iter().map(|r| r.cells.join("|")).collect();
    assert_eq!(lines.len(), 5, "watermark, three families, watermark");
    assert_eq!(lines[0], lines[4]);
    let text = lines.join("\n");
    assert!(
        text.contains(release) && text.contains(INCOME) && text.contains("区民政局"),
        "watermark: {text}"
    );
    assert!(text.contains("测试母亲；测试父亲"));
    assert!(
        !text.contains("测试路"),
        "no address: the rule's fields only"
    );
    app.app.read_log.flush().await;
    assert_eq!(
        app.count("audit_events WHERE action = 'data_release.export'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_request_outside_its_rule_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let bureau = app.login("xicheng", "bureau").await;
    let cases = [
        (
            json!({"purpose": INCOME, "fields": ["street", "kind", "parent.phone"], "filter": {}, "days": 30}),
            "fields[2]",
        ),
        (
            json!({"purpose": INCOME, "fields": ["street", "nonsense"], "filter": {}, "days": 30}),
            "fields[1]",
        ),
        (
            json!({"purpose": INCOME, "fields": ["street"], "filter": {"age_band": "60-69"}, "days": 30}),
            "filter.age_band",
        ),
        (
            json!({"purpose": INCOME, "fields": ["street"], "filter": {"street": "nowhere"}, "days": 30}),
            "filter.street",
        ),
        (
            json!({"purpose": INCOME, "fields": ["street"], "filter": {"street": 3}, "days": 30}),
            "filter.street",
        ),
        (
            json!({"purpose": INCOME, "fields": ["street"], "filter": {}, "days": 91}),
            "days",
        ),
        (
            json!({"purpose": "别的用途", "fields": ["street"], "filter": {}, "days": 30}),
            "purpose",
        ),
        (
            json!({"purpose": INCOME, "fields": [], "filter": {}, "days": 30}),
            "fields",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = app
            .post_json("/api/v1/data-requests", Some(&bureau), &body)
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(app.count("data_requests").await, 0, "nothing written");
}

#[tokio::test]
async fn the_steward_decides_once_the_requester_never_and_each_side_is_mailed() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    let (_, made) = ask(&app, &bureau, INCOME, &["street"], json!({}), 10).await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.count("mail_outbox WHERE to_address = 'admin@xicheng.nuanxin.local' AND subject LIKE '%数据共享申请%'").await,
        1,
        "the steward hears of the request"
    );
    let (status, answer) = app
        .post_json(
            &format!("/api/v1/data-requests/{id}/approve"),
            Some(&bureau),
            &json!({}),
        )
        .await;
    assert_eq!(status, 403, "the requester approving: {answer}");
    let (status, answer) = app
        .post_json(
            &format!("/api/v1/data-requests/{id}/reject"),
            Some(&admin),
            &json!({"reason": "  "}),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("reason"))
    );
    let (status, _) = app
        .post_json(
            &format!("/api/v1/data-requests/{id}/reject"),
            Some(&admin),
            &json!({"reason": "用途与字段不符"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post_json(
            &format!("/api/v1/data-requests/{id}/approve"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, 409, "a rejected request is not approved later");
    assert_eq!(
        app.count("mail_outbox WHERE to_address = 'bureau@xicheng.nuanxin.local' AND body LIKE '%用途与字段不符%'").await,
        1,
        "the requester hears the decision and its reason"
    );
    let (_, list) = app
        .get("/api/v1/data-requests?status=rejected", Some(&bureau))
        .await;
    assert_eq!(list["items"][0]["reason"], "用途与字段不符");
    assert_eq!(app.count("data_releases").await, 0);
}

#[tokio::test]
async fn two_approvals_at_once_make_one_release_and_no_error() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    for serial in 1..=4 {
        family_on(&app, &admin, "xinjiekou", "xinjiekou-1", serial).await;
    }
    let (_, made) = ask(&app, &bureau, INCOME, &["street", "kind"], json!({}), 10).await;
    let path = format!(
        "/api/v1/data-requests/{}/approve",
        made["id"].as_str().unwrap()
    );
    let empty = json!({});
    let calls = (0..8).map(|_| app.post_json(&path, Some(&admin), &empty));
    let answers = futures_util::future::join_all(calls).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{answers:?}"
    );
    assert_eq!(app.count("data_releases").await, 1);
    assert_eq!(app.count("data_release_records").await, 4);
    assert_eq!(
        app.count("audit_events WHERE action = 'data_request.approve'")
            .await,
        1
    );
    assert_eq!(
        app.count("mail_outbox WHERE to_address = 'bureau@xicheng.nuanxin.local' AND subject LIKE '%已批准%'").await,
        1
    );
}

#[tokio::test]
async fn a_revoked_or_expired_release_is_gone() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    let revoked = released(&app, &bureau, &admin, INCOME, &["street"], json!({})).await;
    let expired = released(&app, &bureau, &admin, INCOME, &["kind"], json!({})).await;
    assert_eq!(records(&app, &bureau, &revoked).await.0, 200);

    let (status, _) = app
        .post_json(
            &format!("/api/v1/data-releases/{revoked}/revoke"),
            Some(&bureau),
            &json!({}),
        )
        .await;
    assert_eq!(status, 403, "only the steward revokes");
    let (status, answer) = app
        .post_json(
            &format!("/api/v1/data-releases/{revoked}/revoke"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["state"], "revoked");
    for path in ["records", "aggregate?by=street", "export"] {
        let (status, answer) = app
            .get(
                &format!("/api/v1/data-releases/{revoked}/{path}"),
                Some(&bureau),
            )
            .await;
        assert_eq!(status, 410, "{path}: {answer}");
    }
    assert_eq!(
        app.count("audit_events WHERE action = 'data_release.revoke'")
            .await,
        1
    );

    // The last day is readable; the day after is not.
    let mut conn = app.admin().await;
    let today = app.app.districts.by_slug("xicheng").unwrap().today();
    let set_last_day = |day: chrono::NaiveDate| {
        format!("UPDATE data_releases SET released_on = '{}', expires_on = '{day}' WHERE id = '{expired}'", day - chrono::Days::new(5))
    };
    diesel_async::RunQueryDsl::execute(diesel::sql_query(set_last_day(today)), &mut conn)
        .await
        .unwrap();
    assert_eq!(records(&app, &bureau, &expired).await.0, 200);
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(set_last_day(today - chrono::Days::new(1))),
        &mut conn,
    )
    .await
    .unwrap();
    let (status, answer) = records(&app, &bureau, &expired).await;
    assert_eq!(status, 410, "{answer}");

    // The daily job empties the sealed records of both; the rows stay for the access log.
    let district = app.app.districts.by_slug("xicheng").unwrap();
    let run = nuanxin::sharing::expiry::run(&app.app.pool, &district, today)
        .await
        .unwrap();
    assert_eq!(run.records_emptied, 2);
    assert_eq!(
        app.count("data_release_records WHERE length(record_enc) > 0")
            .await,
        0
    );
    assert_eq!(app.count("data_release_records").await, 2);
}

#[tokio::test]
async fn a_release_is_no_one_elses_to_read_in_or_out_of_the_district() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    let release = released(&app, &bureau, &admin, INCOME, &["street"], json!({})).await;
    let health = app.login("xicheng", "health").await;
    let other_bureau = app.login("zhangdian", "bureau").await;
    let other_admin = app.login("zhangdian", "admin").await;
    for token in [&health, &other_bureau] {
        for path in ["records", "aggregate?by=street", "export"] {
            let (status, answer) = app
                .get(
                    &format!("/api/v1/data-releases/{release}/{path}"),
                    Some(token),
                )
                .await;
            assert_eq!(status, 404, "{path}: {answer}");
        }
        let (status, _) = app
            .get(&format!("/api/v1/data-releases/{release}"), Some(token))
            .await;
        assert_eq!(status, 404);
        let (_, list) = app.get("/api/v1/data-releases", Some(token)).await;
        assert_eq!(list["items"], json!([]));
        let (_, list) = app.get("/api/v1/data-requests", Some(token)).await;
        assert_eq!(list["items"], json!([]));
    }
    // The steward sees the release but cannot read its records; another district's steward neither.
    let (status, _) = app
        .get(&format!("/api/v1/data-releases/{release}"), Some(&admin))
        .await;
    assert_eq!(status, 200);
    assert_eq!(records(&app, &admin, &release).await.0, 403);
    let (status, _) = app
        .post_json(
            &format!("/api/v1/data-releases/{release}/revoke"),
            Some(&other_admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, list) = app.get("/api/v1/data-requests", Some(&other_admin)).await;
    assert_eq!(list["items"], json!([]));
    let (_, request) = app.get("/api/v1/data-requests", Some(&admin)).await;
    let request_id = request["items"][0]["id"].as_str().unwrap();
    for path in [format!("/api/v1/data-requests/{request_id}")] {
        assert_eq!(app.get(&path, Some(&other_admin)).await.0, 404);
        assert_eq!(app.get(&path, Some(&health)).await.0, 404);
    }
    let (status, _) = app
        .post_json(
            &format!("/api/v1/data-requests/{request_id}/reject"),
            Some(&other_admin),
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn pseudonyms_are_stable_for_one_department_and_differ_between_departments() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    let health = app.login("xicheng", "health").await;
    family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    let first = released(&app, &bureau, &admin, INCOME, &["street"], json!({})).await;
    let second = released(
        &app,
        &bureau,
        &admin,
        "心理关爱服务统计",
        &["parent.resident_id", "parent.age"],
        json!({}),
    )
    .await;
    let third = released(
        &app,
        &health,
        &admin,
        "健康体检与就医绿色通道",
        &["parent.resident_id", "parent.phone"],
        json!({}),
    )
    .await;
    let (_, a) = records(&app, &bureau, &first).await;
    let (_, b) = records(&app, &bureau, &second).await;
    let (_, c) = records(&app, &health, &third).await;
    assert_eq!(
        a["items"][0]["pid"], b["items"][0]["pid"],
        "one department, one pseudonym"
    );
    assert_ne!(
        a["items"][0]["pid"], c["items"][0]["pid"],
        "another department, another"
    );
    let person = b["items"][0]["parent.resident_id"][0].as_str().unwrap();
    assert!(
        !person.contains("990102"),
        "a pseudonym for the person: {person}"
    );
    assert_eq!(
        b["items"][0]["parent.age"][0],
        json!(app
            .app
            .districts
            .by_slug("xicheng")
            .unwrap()
            .today()
            .years_since("1964-05-01".parse().unwrap())
            .unwrap())
    );
    let masked = c["items"][0]["parent.resident_id"][0].as_str().unwrap();
    assert!(masked.contains("********"), "{masked}");
    assert_eq!(c["items"][0]["parent.phone"][0], "138****8000");
}

/// The published cells of one table by key.
fn cells(answer: &Value) -> BTreeMap<String, Option<u64>> {
    answer["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_owned(), c["count"].as_u64()))
        .collect()
}

#[tokio::test]
async fn aggregates_suppress_small_cells_so_that_no_difference_reveals_one() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    // xinjiekou-1: 6, xinjiekou-2: 2, yuetan-1: 5 — street xinjiekou (8) minus xinjiekou-1 (6)
    // would reveal xinjiekou-2 if the tables were suppressed one at a time.
    let mut serial = 0;
    for (street, community, n) in [
        ("xinjiekou", "xinjiekou-1", 6),
        ("xinjiekou", "xinjiekou-2", 2),
        ("yuetan", "yuetan-1", 5),
    ] {
        for _ in 0..n {
            serial += 1;
            family_on(&app, &admin, street, community, serial).await;
        }
    }
    let release = released(
        &app,
        &bureau,
        &admin,
        INCOME,
        &["street", "community", "kind"],
        json!({}),
    )
    .await;
    let agg = |by: &'static str| {
        let (app, bureau, release) = (&app, &bureau, &release);
        async move {
            let (status, answer) = app
                .get(
                    &format!("/api/v1/data-releases/{release}/aggregate?by={by}"),
                    Some(bureau),
                )
                .await;
            assert_eq!(status, 200, "{by}: {answer}");
            assert_eq!(answer["threshold"], 5);
            answer
        }
    };
    let streets = cells(&agg("street").await);
    let communities = cells(&agg("community").await);
    let kinds = cells(&agg("kind").await);
    let truth: BTreeMap<&str, u64> =
        BTreeMap::from([("xinjiekou-1", 6), ("xinjiekou-2", 2), ("yuetan-1", 5)]);
    for (key, count) in communities.iter().chain(&streets).chain(&kinds) {
        if let Some(c) = count {
            assert!(*c == 0 || *c >= 5, "a small cell shown: {key} = {c}");
        }
    }
    assert_eq!(communities["xinjiekou-2"], None);
    // Within each street: the street's shown count minus its shown communities must not pin a
    // suppressed community (one suppressed non-empty community under a shown street would be pinned).
    for street in ["xinjiekou", "yuetan"] {
        let suppressed: Vec<&String> = communities
            .iter()
            .filter(|(k, v)| k.starts_with(street) && v.is_none())
            .map(|(k, _)| k)
            .collect();
        if streets[street].is_some() {
            assert_ne!(
                suppressed.len(),
                1,
                "{street}: {suppressed:?} pinned by difference"
            );
        }
    }
    // The total minus the shown streets must not pin one suppressed street.
    let hidden_streets = streets.values().filter(|v| v.is_none()).count();
    assert_ne!(hidden_streets, 1, "{streets:?}");
    // Shown community cells are true.
    for (k, v) in &communities {
        if let Some(v) = v {
            assert_eq!(*v, truth.get(k.as_str()).copied().unwrap_or(0), "{k}");
        }
    }
    // Dimensions the release does not hold are refused.
    let (status, answer) = app
        .get(
            &format!("/api/v1/data-releases/{release}/aggregate?by=age_band"),
            Some(&bureau),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("by"))
    );
}

#[tokio::test]
async fn a_verification_answers_yes_or_no_only_and_is_limited_and_audited() {
    let app = TestApp::spawn_with(&[("NUANXIN__SECURITY__VERIFICATIONS_PER_MINUTE", "4")]).await;
    let admin = app.login("xicheng", "admin").await;
    let health = app.login("xicheng", "health").await;
    let id = family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    let (_, entitled) = app
        .get(&format!("/api/v1/families/{id}/entitlements"), Some(&admin))
        .await;
    let holds = |person: &str, program: &str| {
        entitled["entitlements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["program"] == program && (e["person"].is_null() || e["person"] == person))
    };
    let mother = resident_id("19640501", 1, true);
    let father = resident_id("19620301", 1, false);
    for (who, rid) in [("mother", &mother), ("father", &father)] {
        let (status, answer) = app
            .post_json(
                "/api/v1/verifications",
                Some(&health),
                &json!({"resident_id": rid, "program": "health_check"}),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer,
            json!({"entitled": holds(who, "health_check")}),
            "{who}: nothing but yes or no"
        );
    }
    let unknown = resident_id("19700101", 77, true);
    let (_, answer) = app
        .post_json(
            "/api/v1/verifications",
            Some(&health),
            &json!({"resident_id": unknown, "program": "health_check"}),
        )
        .await;
    assert_eq!(answer, json!({"entitled": false}));
    let (status, answer) = app
        .post_json(
            "/api/v1/verifications",
            Some(&health),
            &json!({"resident_id": mother, "program": "low_income_subsidy"}),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("program")),
        "not the rule's program"
    );
    let (status, answer) = app
        .post_json(
            "/api/v1/verifications",
            Some(&health),
            &json!({"resident_id": "123", "program": "health_check"}),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("resident_id"))
    );
    let (status, _) = app
        .post_json(
            "/api/v1/verifications",
            Some(&health),
            &json!({"resident_id": mother, "program": "health_check"}),
        )
        .await;
    assert_eq!(status, 200, "the fourth question of the minute");
    let (status, _) = app
        .post_json(
            "/api/v1/verifications",
            Some(&health),
            &json!({"resident_id": mother, "program": "health_check"}),
        )
        .await;
    assert_eq!(status, 429, "the fifth is refused");
    app.app.read_log.flush().await;
    assert_eq!(
        app.count("audit_events WHERE action = 'verification.ask'")
            .await,
        4
    );
    assert_eq!(
        app.count(&format!(
            "audit_events WHERE detail::text LIKE '%{}%'",
            &mother[..10]
        ))
        .await,
        0,
        "the resident ID is never recorded"
    );
}

#[tokio::test]
async fn the_access_log_lists_every_department_that_received_or_looked_up_a_family() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    let health = app.login("xicheng", "health").await;
    let street = app.login("xicheng", "street").await;
    let id = family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    let other = family_on(&app, &admin, "yuetan", "yuetan-1", 2).await;
    let release = released(
        &app,
        &bureau,
        &admin,
        INCOME,
        &["street"],
        json!({"street": "xinjiekou"}),
    )
    .await;
    assert_eq!(records(&app, &bureau, &release).await.0, 200);
    app.post_json(
        "/api/v1/verifications",
        Some(&health),
        &json!({"resident_id": resident_id("19640501", 1, true), "program": "health_check"}),
    )
    .await;
    let (status, log) = app
        .get(&format!("/api/v1/families/{id}/access-log"), Some(&street))
        .await;
    assert_eq!(status, 200, "{log}");
    let items = log["items"].as_array().unwrap();
    let actions: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["org_unit"].as_str().unwrap(),
                i["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("civil_affairs", "received"),
            ("civil_affairs", "read"),
            ("health", "verification")
        ],
        "{log}"
    );
    assert_eq!(items[0]["release_id"], release.as_str());
    assert_eq!(items[0]["purpose"], INCOME);
    assert!(items[2].get("release_id").is_none());
    assert!(items.iter().all(|i| i["at"].is_string()));
    // The other family was in no release and asked about by no one.
    let (_, log) = app
        .get(
            &format!("/api/v1/families/{other}/access-log"),
            Some(&admin),
        )
        .await;
    assert_eq!(log["items"], json!([]));
    // Another street, a bureau, another district.
    let street2 = app.login("xicheng", "street2").await;
    assert_eq!(
        app.get(&format!("/api/v1/families/{id}/access-log"), Some(&street2))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/families/{id}/access-log"), Some(&bureau))
            .await
            .0,
        403
    );
    let zhangdian = app.login("zhangdian", "admin").await;
    assert_eq!(
        app.get(
            &format!("/api/v1/families/{id}/access-log"),
            Some(&zhangdian)
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn a_rule_needing_consent_releases_only_families_whose_consent_is_in_force() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let street = app.login("xicheng", "street").await;
    let justice = app.login("xicheng", "justice").await;
    let consenting = family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    let withdrawn = family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 2).await;
    family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 3).await;
    let today = app
        .app
        .districts
        .by_slug("xicheng")
        .unwrap()
        .today()
        .to_string();
    let consent =
        json!({"org_unit": "justice", "purpose": "法律援助", "given_on": today, "how": "written"});
    for family in [&consenting, &withdrawn] {
        let (status, answer) = app
            .post_json(
                &format!("/api/v1/families/{family}/sharing-consents"),
                Some(&street),
                &consent,
            )
            .await;
        assert_eq!(status, 201, "{answer}");
    }
    let (status, answer) = app
        .post_json(
            &format!("/api/v1/families/{consenting}/sharing-consents"),
            Some(&street),
            &json!({"org_unit": "justice", "purpose": "法律援助", "given_on": today, "how": "oral"}),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("note")),
        "an oral consent names its witness"
    );
    let (status, answer) = app
        .post_json(
            &format!("/api/v1/families/{consenting}/sharing-consents"),
            Some(&street),
            &json!({"org_unit": "civil_affairs", "purpose": INCOME, "given_on": today, "how": "written"}),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("purpose")),
        "that rule needs no consent"
    );
    let (status, _) = app
        .post_json(
            &format!("/api/v1/families/{withdrawn}/sharing-consents/withdraw"),
            Some(&street),
            &json!({"org_unit": "justice", "purpose": "法律援助"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, listed) = app
        .get(
            &format!("/api/v1/families/{withdrawn}/sharing-consents"),
            Some(&street),
        )
        .await;
    assert_eq!(listed["items"][0]["in_force"], false);
    assert_eq!(listed["items"][0]["how"], "written");

    let release = released(
        &app,
        &justice,
        &admin,
        "法律援助",
        &["street", "parent.name"],
        json!({}),
    )
    .await;
    let (_, page) = records(&app, &justice, &release).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "only the consenting family: {page}"
    );
}

#[tokio::test]
async fn the_demo_bureau_no_longer_reads_the_register() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let id = family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    for slug in ["xicheng", "zhangdian"] {
        let bureau = app.login(slug, "bureau").await;
        let (status, answer) = app.get("/api/v1/families", Some(&bureau)).await;
        assert_eq!(status, 403, "{slug}: {answer}");
        let (_, rules) = app.get("/api/v1/sharing/rules", Some(&bureau)).await;
        assert!(
            !rules["items"].as_array().unwrap().is_empty(),
            "{slug}: the demo bureau has a rule"
        );
    }
    let bureau = app.login("xicheng", "bureau").await;
    for path in [
        format!("/api/v1/families/{id}"),
        format!("/api/v1/families/{id}/entitlements"),
        "/api/v1/families/export".to_owned(),
    ] {
        assert_eq!(app.get(&path, Some(&bureau)).await.0, 403, "{path}");
    }
}

#[tokio::test]
async fn every_sharing_endpoint_refuses_the_roles_it_is_not_for() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    // Enough families for an aggregate to be published at all.
    for serial in 1..=5 {
        family_on(&app, &admin, "xinjiekou", "xinjiekou-1", serial).await;
    }
    let release = released(&app, &bureau, &admin, INCOME, &["street"], json!({})).await;
    let (_, made) = ask(&app, &bureau, INCOME, &["street"], json!({}), 5).await;
    let pending = made["id"].as_str().unwrap().to_owned();
    let roles = [
        "admin",
        "street",
        "community",
        "bureau",
        "socialorg",
        "volunteer",
    ];
    let request_body = json!({"purpose": INCOME, "fields": ["street"], "filter": {}, "days": 5});
    let verification =
        json!({"resident_id": resident_id("19640501", 1, true), "program": "low_income_subsidy"});
    let cases: Vec<(reqwest::Method, String, Value, &[&str])> = vec![
        (
            reqwest::Method::GET,
            "/api/v1/sharing/rules".into(),
            Value::Null,
            &["admin", "bureau"],
        ),
        (
            reqwest::Method::POST,
            "/api/v1/data-requests".into(),
            request_body,
            &["bureau"],
        ),
        (
            reqwest::Method::GET,
            "/api/v1/data-requests".into(),
            Value::Null,
            &["admin", "bureau"],
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/data-requests/{pending}"),
            Value::Null,
            &["admin", "bureau"],
        ),
        (
            reqwest::Method::GET,
            "/api/v1/data-releases".into(),
            Value::Null,
            &["admin", "bureau"],
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/data-releases/{release}/records"),
            Value::Null,
            &["bureau"],
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/data-releases/{release}/aggregate?by=street"),
            Value::Null,
            &["bureau"],
        ),
        (
            reqwest::Method::POST,
            "/api/v1/verifications".into(),
            verification,
            &["bureau"],
        ),
    ];
    for (method, path, body, allowed) in &cases {
        for role in roles {
            let token = app.login("xicheng", role).await;
            let (status, answer) = if body.is_null() {
                app.get(path, Some(&token)).await
            } else {
                app.send(method.clone(), path, Some(&token), body).await
            };
            if allowed.contains(&role) {
                assert!(status < 300, "{method} {path} as {role}: {status} {answer}");
            } else {
                assert_eq!(status, 403, "{method} {path} as {role}: {answer}");
            }
        }
    }
    // Deciding and revoking: the steward only (checked last, they change state).
    for role in ["street", "community", "bureau", "socialorg", "volunteer"] {
        let token = app.login("xicheng", role).await;
        for path in [
            format!("/api/v1/data-requests/{pending}/approve"),
            format!("/api/v1/data-releases/{release}/revoke"),
        ] {
            assert_eq!(
                app.post_json(&path, Some(&token), &json!({})).await.0,
                403,
                "{path} as {role}"
            );
        }
        let path = format!("/api/v1/data-requests/{pending}/reject");
        assert_eq!(
            app.post_json(&path, Some(&token), &json!({"reason": "x"}))
                .await
                .0,
            403,
            "{path} as {role}"
        );
    }
    let operator = app.login("platform", "operator").await;
    for (method, path, body, _) in &cases {
        let (status, _) = if body.is_null() {
            app.get(path, Some(&operator)).await
        } else {
            app.send(method.clone(), path, Some(&operator), body).await
        };
        assert_eq!(status, 403, "{path} as the operator");
    }
}

#[tokio::test]
async fn the_department_hears_once_before_its_release_ends() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    let (_, made) = ask(&app, &bureau, INCOME, &["street"], json!({}), 3).await;
    let (_, ending) = app
        .post_json(
            &format!(
                "/api/v1/data-requests/{}/approve",
                made["id"].as_str().unwrap()
            ),
            Some(&admin),
            &json!({}),
        )
        .await;
    let later = released(&app, &bureau, &admin, INCOME, &["kind"], json!({})).await;
    let district = app.app.districts.by_slug("xicheng").unwrap();
    let today = district.today();
    let notices = || {
        app.count("mail_outbox WHERE to_address = 'bureau@xicheng.nuanxin.local' AND subject LIKE '%即将到期%'")
    };
    let run = nuanxin::sharing::expiry::run(&app.app.pool, &district, today)
        .await
        .unwrap();
    assert_eq!(
        run.notices, 1,
        "the 3-day release ends within the notice period, the 30-day one not"
    );
    assert_eq!(notices().await, 1);
    let body: String = {
        let mut conn = app.admin().await;
        #[derive(diesel::QueryableByName)]
        struct Body {
            #[diesel(sql_type = diesel::sql_types::Text)]
            body: String,
        }
        diesel_async::RunQueryDsl::get_result::<Body>(
            diesel::sql_query("SELECT body FROM mail_outbox WHERE subject LIKE '%即将到期%'"),
            &mut conn,
        )
        .await
        .unwrap()
        .body
    };
    assert!(body.contains(ending["release_id"].as_str().unwrap()) && !body.contains(&later));
    let again = nuanxin::sharing::expiry::run(&app.app.pool, &district, today)
        .await
        .unwrap();
    assert_eq!(again.notices, 0, "once per release");
    assert_eq!(notices().await, 1);
}

/// The module's pages in headless Chromium: the department asks through the form, the steward
/// approves beside the rule, the department reads its release, a street prints a family's access
/// log; desktop and 390 px screenshots under `target/screenshots/`.
#[tokio::test]
async fn the_sharing_pages_work_in_chromium_on_desktop_and_phone() {
    use crate::browser::{
        browser, check_page, click, fill, main_text, main_text_with, saved, sign_in, start_driver,
    };
    use fantoccini::Locator;

    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    let mut family = String::new();
    for serial in 1..=6 {
        family = family_on(&app, &admin, "xinjiekou", "xinjiekou-1", serial).await;
    }
    let driver = start_driver().await;

    // The department's form.
    let c = browser(&driver, false).await;
    sign_in(&c, &app.address, "xicheng", "bureau").await;
    c.goto(&app.url("/console/sharing")).await.unwrap();
    check_page(&c, "sharing-department", false).await;
    // Sent with no field ticked and too long a period: back with the errors beside their fields.
    let days = "form[action='/console/sharing/requests'] input[name=days]";
    c.find(Locator::Css(days))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&c, days, "400").await;
    click(
        &c,
        "form[action='/console/sharing/requests'] button[type=submit]",
    )
    .await;
    let text = main_text_with(&c, "申请未提交").await;
    assert!(
        text.contains("申请未提交")
            && text.contains("至少申请一个字段")
            && text.contains("期限应为 1 至 90 天"),
        "{text}"
    );
    check_page(&c, "sharing-request-errors", false).await;
    c.find(Locator::Css(days))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&c, days, "30").await;
    for field in ["street", "parent.name"] {
        c.find(Locator::Css(&format!(
            "input[name=fields][value='{field}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    }
    c.find(Locator::Css(
        "form[action='/console/sharing/requests'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let status = saved(&c).await;
    assert!(status.contains("申请已提交"), "{status}");
    c.close().await.unwrap();
    let (_, list) = app.get("/api/v1/data-requests", Some(&bureau)).await;
    assert_eq!(list["items"][0]["status"], "pending");
    assert_eq!(list["items"][0]["fields"].as_array().unwrap().len(), 2);

    // The steward: the queue, the request beside its rule, approve.
    let c = browser(&driver, false).await;
    sign_in(&c, &app.address, "xicheng", "admin").await;
    c.goto(&app.url("/console/sharing")).await.unwrap();
    check_page(&c, "sharing-steward-queue", false).await;
    c.find(Locator::Css("a[href^='/console/sharing/requests/']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    check_page(&c, "sharing-steward-request", false).await;
    let text = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("对应的共享规则") && text.contains("6 户"),
        "{text}"
    );
    c.find(Locator::Css("input[value=approve] ~ button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let status = saved(&c).await;
    assert!(status.contains("已批准"), "{status}");
    c.close().await.unwrap();
    let (_, releases) = app.get("/api/v1/data-releases", Some(&bureau)).await;
    let release = releases["items"][0]["id"].as_str().unwrap().to_owned();
    let request = list["items"][0]["id"].as_str().unwrap().to_owned();

    // The street records the family's oral consent on a phone: first without the witness.
    let c = browser(&driver, true).await;
    sign_in(&c, &app.address, "xicheng", "street").await;
    c.goto(&app.url(&format!("/console/families/{family}")))
        .await
        .unwrap();
    click(
        &c,
        &format!("a[href='/console/families/{family}/sharing-consents']"),
    )
    .await;
    c.find(Locator::Css("select[name=how]"))
        .await
        .unwrap()
        .select_by_value("oral")
        .await
        .unwrap();
    click(&c, "form[action$='/sharing-consents'] button[type=submit]").await;
    // The page sent back (the one before had no error on it).
    let Ok(error) = c.wait().for_element(Locator::Css("p.error")).await else {
        panic!("no error shown: {}", main_text(&c).await);
    };
    let text = error.text().await.unwrap();
    assert!(text.contains("口头同意须注明见证人"), "{text}");
    check_page(&c, "sharing-consent-errors", true).await;
    fill(&c, "textarea[name=note]", "见证人：社区主任李某").await;
    click(&c, "form[action$='/sharing-consents'] button[type=submit]").await;
    let status = saved(&c).await;
    assert!(status.contains("已记录"), "{status}");
    let text = main_text(&c).await;
    assert!(
        text.contains("区司法局") && text.contains("口头同意") && text.contains("有效"),
        "{text}"
    );
    c.close().await.unwrap();

    // Every page on desktop and phone.
    let pages = [
        (
            "xicheng",
            "bureau",
            "/console/sharing".to_owned(),
            "sharing-department",
        ),
        (
            "xicheng",
            "bureau",
            format!("/console/sharing/releases/{release}"),
            "sharing-release",
        ),
        (
            "xicheng",
            "admin",
            "/console/sharing".to_owned(),
            "sharing-steward",
        ),
        (
            "xicheng",
            "admin",
            format!("/console/sharing/requests/{request}"),
            "sharing-steward-request",
        ),
        (
            "xicheng",
            "street",
            format!("/console/families/{family}/access-log"),
            "sharing-access-log",
        ),
        (
            "xicheng",
            "street",
            format!("/console/families/{family}/sharing-consents"),
            "sharing-consents",
        ),
    ];
    for phone in [false, true] {
        for (tenant, user, path, name) in &pages {
            let c = browser(&driver, phone).await;
            sign_in(&c, &app.address, tenant, user).await;
            c.goto(&app.url(path)).await.unwrap();
            check_page(&c, name, phone).await;
            if *name == "sharing-release" {
                let text = c
                    .find(Locator::Css("main"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                assert!(
                    text.contains("测试母亲") && text.contains(&release),
                    "{text}"
                );
            }
            if *name == "sharing-access-log" {
                let text = c
                    .find(Locator::Css("main"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                assert!(
                    text.contains("区民政局") && text.contains("家庭经济状况核查"),
                    "{text}"
                );
            }
            c.close().await.unwrap();
        }
    }
}

/// Today in Xicheng, as the forms write it.
fn xicheng_today(app: &TestApp) -> String {
    app.app
        .districts
        .by_slug("xicheng")
        .unwrap()
        .today()
        .to_string()
}

#[tokio::test]
async fn the_request_form_comes_back_with_each_error_beside_its_field_and_what_was_typed() {
    use crate::console::{csrf_of, Browser};

    let app = TestApp::spawn().await;
    let bureau = app.login("xicheng", "bureau").await;
    let mut b = Browser::signed_in(&app, "xicheng", "bureau").await;
    let (_, page) = b.get_html("/console/sharing").await;
    let csrf = csrf_of(&page);

    // No field ticked and a period past the rule's 90 days: both named, nothing written.
    let res = b
        .post(
            "/console/sharing/requests",
            &[
                ("csrf", &csrf),
                ("purpose", INCOME),
                ("filter.street", "yuetan"),
                ("days", "400"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("申请未提交"), "{html}");
    assert!(html.contains("至少申请一个字段"), "{html}");
    // The days error sits in the days field, which keeps the 400 typed.
    let days = &html[html.find(r#"name="days""#).unwrap()..];
    let days = &days[..days.find("</div>").unwrap()];
    assert!(days.contains(r#"value="400""#), "{days}");
    assert!(days.contains(r#"class="error""#), "{days}");
    assert!(
        html.contains(r#"<option value="yuetan" selected>"#),
        "the street chosen is kept"
    );
    let (_, listed) = app.get("/api/v1/data-requests", Some(&bureau)).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);

    // A ticked field is kept ticked beside a days error; the other rule's form stays blank.
    let res = b
        .post(
            "/console/sharing/requests",
            &[
                ("csrf", &csrf),
                ("purpose", INCOME),
                ("fields", "street"),
                ("days", "abc"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert_eq!(
        html.matches(r#"value="street" checked"#).count(),
        1,
        "ticked only in the form that was sent"
    );
    assert!(!html.contains("至少申请一个字段"));

    // Corrected, it is accepted.
    let res = b
        .post(
            "/console/sharing/requests",
            &[
                ("csrf", &csrf),
                ("purpose", INCOME),
                ("fields", "street"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, listed) = app.get("/api/v1/data-requests", Some(&bureau)).await;
    assert_eq!(listed["items"][0]["status"], "pending");

    // Without the token the form is refused before anything is read (403); the street may not ask.
    let res = b
        .post(
            "/console/sharing/requests",
            &[
                ("csrf", "00ff"),
                ("purpose", INCOME),
                ("fields", "street"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let mut street = Browser::signed_in(&app, "xicheng", "street").await;
    let (_, page) = street.get_html("/console").await;
    let res = street
        .post(
            "/console/sharing/requests",
            &[
                ("csrf", &csrf_of(&page)),
                ("purpose", INCOME),
                ("fields", "street"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_consent_form_records_and_withdraws_for_the_familys_street_only() {
    use crate::console::{csrf_of, Browser};

    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let street = app.login("xicheng", "street").await;
    let family = family_on(&app, &admin, "xinjiekou", "xinjiekou-1", 1).await;
    let path = format!("/console/families/{family}/sharing-consents");
    let today = xicheng_today(&app);
    let rule = "justice|法律援助";

    let mut b = Browser::signed_in(&app, "xicheng", "street").await;
    let (status, page) = b.get_html(&path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("区司法局 · 法律援助"), "{page}");
    assert!(
        !page.contains("家庭经济状况核查"),
        "only rules that need consent are offered"
    );
    let csrf = csrf_of(&page);

    // Oral without a witness: the error beside the note, the date and the way kept.
    let res = b
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("rule", rule),
                ("given_on", "2026-11-02"),
                ("how", "oral"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    let note = &html[html.find(r#"name="note""#).unwrap()..];
    let note = &note[..note.find("</div>").unwrap()];
    assert!(note.contains("口头同意须注明见证人"), "{note}");
    assert!(
        html.contains(r#"value="2026-11-02""#),
        "the date typed is kept"
    );
    assert!(html.contains(r#"<option value="oral" selected>"#));
    // A date that is no date is named as well.
    let res = b
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("rule", rule),
                ("given_on", "11/02"),
                ("how", "written"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("日期应为年-月-日"));
    let (_, listed) = app
        .get(
            &format!("/api/v1/families/{family}/sharing-consents"),
            Some(&street),
        )
        .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing written"
    );

    // Two workers record the same consent at once: both succeed, one consent in force.
    let mut other = Browser::signed_in(&app, "xicheng", "street").await;
    let (_, page) = other.get_html(&path).await;
    let other_csrf = csrf_of(&page);
    let note = "见证人：社区主任李某";
    let mine = [
        ("csrf", csrf.as_str()),
        ("rule", rule),
        ("given_on", today.as_str()),
        ("how", "oral"),
        ("note", note),
    ];
    let theirs = [
        ("csrf", other_csrf.as_str()),
        ("rule", rule),
        ("given_on", today.as_str()),
        ("how", "oral"),
        ("note", note),
    ];
    let (first, second) = tokio::join!(b.post(&path, &mine), other.post(&path, &theirs));
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (303, 303)
    );
    let (_, listed) = app
        .get(
            &format!("/api/v1/families/{family}/sharing-consents"),
            Some(&street),
        )
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["in_force"], true);
    assert_eq!(listed["items"][0]["how"], "oral");
    let (_, page) = b.get_html(&path).await;
    assert!(
        page.contains("口头同意") && page.contains("社区主任李某"),
        "{page}"
    );

    // Refused: without the token, to a bureau, another street, another district.
    let withdraw = format!("{path}/withdraw");
    let res = b.post(&withdraw, &[("csrf", "00ff"), ("rule", rule)]).await;
    assert_eq!(res.status(), 403);
    for (tenant, user, status) in [
        ("xicheng", "justice", 403),
        ("xicheng", "street2", 404),
        ("zhangdian", "admin", 404),
    ] {
        let mut outsider = Browser::signed_in(&app, tenant, user).await;
        let (_, home) = outsider.get_html("/console").await;
        let token = csrf_of(&home);
        let (got, _) = outsider.get_html(&path).await;
        assert_eq!(got, status, "{tenant}/{user} reads");
        let res = outsider
            .post(
                &path,
                &[
                    ("csrf", &token),
                    ("rule", rule),
                    ("given_on", &today),
                    ("how", "written"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), status, "{tenant}/{user} records");
        let res = outsider
            .post(&withdraw, &[("csrf", &token), ("rule", rule)])
            .await;
        assert_eq!(res.status().as_u16(), status, "{tenant}/{user} withdraws");
    }
    let (_, listed) = app
        .get(
            &format!("/api/v1/families/{family}/sharing-consents"),
            Some(&street),
        )
        .await;
    assert_eq!(
        listed["items"][0]["in_force"], true,
        "untouched by the refused"
    );

    // Withdrawn through the button's form.
    let res = b.post(&withdraw, &[("csrf", &csrf), ("rule", rule)]).await;
    assert_eq!(res.status(), 303);
    let (_, listed) = app
        .get(
            &format!("/api/v1/families/{family}/sharing-consents"),
            Some(&street),
        )
        .await;
    assert_eq!(listed["items"][0]["in_force"], false);
}
