use serde_json::{json, Value};

use nuanxin_db::models::family::{FamilyFilter, FamilyRecord, Scope};
use nuanxin_domain::family::FamilyKind;

use crate::fixtures::{family_body, resident_id};
use crate::helpers::TestApp;

#[tokio::test]
async fn a_registered_family_reads_back_in_full_for_its_street_and_masked_in_lists() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let body = family_body("xinjiekou", "xinjiekou-1", 10);
    let id = app.create_family(&street, &body).await;
    let (status, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&street))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        family["parents"][0]["resident_id"],
        body["parents"][0]["resident_id"]
    );
    assert_eq!(family["parents"][0]["phone"], "13800138000");
    assert_eq!(
        family["parents"][0]["birth_date"], "1964-05-01",
        "birth date comes from the ID"
    );
    assert_eq!(family["street"]["name"], "新街口街道");
    assert_eq!(family["contacts"].as_array().unwrap().len(), 3);
    assert_eq!(family["version"], 1);

    let (_, list) = app.get("/api/v1/families", Some(&street)).await;
    let listed = &list["items"][0]["parents"][0]["resident_id"];
    assert_eq!(listed.as_str().unwrap().len(), 18);
    assert!(
        listed.as_str().unwrap().contains("********"),
        "list views mask the ID: {listed}"
    );

    // Bureaus do not read the register (issue 12); a district that grants its bureau reading
    // (an access rule of its own) shows it the family, but never the full identifiers.
    let bureau = app.login("xicheng", "bureau").await;
    let path = format!("/api/v1/families/{id}");
    assert_eq!(app.get(&path, Some(&bureau)).await.0, 403);
    grant_bureau_reading(&app).await;
    let (status, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&bureau))
        .await;
    assert_eq!(status, 200);
    assert!(family["parents"][0]["resident_id"]
        .as_str()
        .unwrap()
        .contains("********"));
    assert_eq!(family["parents"][0]["phone"], "138****8000");
    assert_eq!(family["parents"][0]["name"], "测试**");
}

#[tokio::test]
async fn identifiers_are_encrypted_at_rest() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let body = family_body("yuetan", "yuetan-1", 11);
    app.create_family(&admin, &body).await;
    let id = body["parents"][0]["resident_id"].as_str().unwrap();
    let mut conn = app.admin().await;
    #[derive(diesel::QueryableByName)]
    struct Dump {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dump: String,
    }
    use diesel_async::RunQueryDsl;
    let d: Dump =
        diesel::sql_query("SELECT string_agg(m::text, '|') AS dump FROM family_members m")
            .get_result(&mut conn)
            .await
            .unwrap();
    assert!(
        !d.dump.contains(id) && !d.dump.contains("13800138000"),
        "plain identifiers in the table"
    );
    let hex_id: String = id.bytes().map(|b| format!("{b:02x}")).collect();
    assert!(!d.dump.contains(&hex_id));
}

async fn expect_invalid(
    app: &TestApp,
    token: &str,
    body: Value,
    status: u16,
    field: &str,
    code: &str,
) {
    let before = app.count("families").await;
    let (got, err) = app.post_json("/api/v1/families", Some(token), &body).await;
    assert_eq!(got, status, "{field}: {err}");
    assert_eq!(err["error"]["field"], field, "{err}");
    assert_eq!(err["error"]["code"], code, "{err}");
    assert!(err["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(
        app.count("families").await,
        before,
        "nothing may be written"
    );
    assert_eq!(app.count("family_changes").await, 0);
}

#[tokio::test]
async fn invalid_families_are_refused_naming_the_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let base = family_body("xinjiekou", "xinjiekou-1", 12);

    let mut bad_check = base.clone();
    let id = bad_check["parents"][0]["resident_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = id.chars().last().unwrap();
    let wrong = if last == '1' { '2' } else { '1' };
    bad_check["parents"][0]["resident_id"] = json!(format!("{}{wrong}", &id[..17]));
    expect_invalid(
        &app,
        &admin,
        bad_check,
        422,
        "parents[0].resident_id",
        "invalid_check_digit",
    )
    .await;

    let mut future = base.clone();
    future["child"]["died_on"] = json!("2999-01-01");
    expect_invalid(&app, &admin, future, 422, "child.died_on", "in_future").await;

    let mut grade = base.clone();
    grade["kind"] = json!("disabled");
    grade["child"] =
        json!({"status": "disabled", "disability_grade": 4, "certified_on": "2020-01-01"});
    expect_invalid(
        &app,
        &admin,
        grade,
        422,
        "child.disability_grade",
        "out_of_range",
    )
    .await;

    let mut two = base.clone();
    two["contacts"].as_array_mut().unwrap().pop();
    expect_invalid(&app, &admin, two, 422, "contacts", "count").await;

    let mut six = base.clone();
    for i in 0..3 {
        six["contacts"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": format!("志愿者{i}"), "category": "volunteer"}));
    }
    expect_invalid(&app, &admin, six, 422, "contacts", "count").await;

    let mut street = base.clone();
    street["street"] = json!("王府井街道");
    expect_invalid(&app, &admin, street, 422, "street", "unknown_street").await;

    let mut wrong_sex = base.clone();
    wrong_sex["parents"][0]["resident_id"] = json!(resident_id("19640501", 12, false));
    expect_invalid(
        &app,
        &admin,
        wrong_sex,
        422,
        "parents[0].resident_id",
        "sex_mismatch",
    )
    .await;

    let mut bad_enum = base.clone();
    bad_enum["parents"][0]["self_care"] = json!("sometimes");
    expect_invalid(
        &app,
        &admin,
        bad_enum,
        400,
        "parents[0].self_care",
        "invalid_json",
    )
    .await;

    let mut phone = base.clone();
    phone["parents"][0]["phone"] = json!("12345");
    expect_invalid(
        &app,
        &admin,
        phone,
        422,
        "parents[0].phone",
        "invalid_phone",
    )
    .await;
}

#[tokio::test]
async fn a_person_is_registered_once_per_district() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    app.create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 13))
        .await;
    let (status, err) = app
        .post_json(
            "/api/v1/families",
            Some(&admin),
            &family_body("yuetan", "yuetan-1", 13),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "already_registered");
    assert_eq!(err["error"]["field"], "parents[0].resident_id");
    // Another district keeps its own register.
    let zhangdian = app.login("zhangdian", "admin").await;
    let mut body = family_body("mashang", "mashang-qiyue", 13);
    body["hukou_district"] = json!("zhangdian");
    app.create_family(&zhangdian, &body).await;
}

#[tokio::test]
async fn updates_are_versioned_with_who_when_and_what() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let mut body = family_body("xinjiekou", "xinjiekou-1", 14);
    let id = app.create_family(&street, &body).await;
    body["household"]["monthly_income_per_capita_cny"] = json!(2600);
    body["parents"][0]["phone"] = json!("13900139000");
    let res = app
        .client
        .put(app.url(&format!("/api/v1/families/{id}")))
        .bearer_auth(&street)
        .header("If-Match", "\"1\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (_, history) = app
        .get(&format!("/api/v1/families/{id}/history"), Some(&street))
        .await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["action"], "create");
    assert_eq!(items[1]["action"], "update");
    assert_eq!(items[1]["version"], 2);
    assert_eq!(items[1]["actor"]["name"], "新街口街道工作人员");
    let changes = items[1]["changes"].as_array().unwrap();
    let income = changes
        .iter()
        .find(|c| c["field"] == "household.monthly_income_per_capita_cny")
        .expect("income change");
    assert_eq!(income["from"], 1800);
    assert_eq!(income["to"], 2600);
    let phone = changes
        .iter()
        .find(|c| c["field"] == "parents[0].phone")
        .expect("phone change");
    assert_eq!(
        phone["to"], "139****9000",
        "history keeps identifiers masked"
    );
    assert_eq!(changes.len(), 2, "only what changed: {changes:?}");

    // A stale version is refused and changes nothing.
    body["address"] = json!("别处");
    let res = app
        .client
        .put(app.url(&format!("/api/v1/families/{id}")))
        .bearer_auth(&street)
        .header("If-Match", "1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 409);
    let (_, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&street))
        .await;
    assert_eq!(family["version"], 2);
    assert_ne!(family["address"], "别处");
}

#[tokio::test]
async fn each_family_row_carries_exactly_its_parent_and_contact_rows() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let mut body = family_body("xinjiekou", "xinjiekou-1", 18);
    let id = app.create_family(&street, &body).await;
    body["parents"][0]["phone"] = json!("13900139000");
    body["contacts"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "志愿者丁", "category": "volunteer", "phone": "13900000004"}));
    let (status, updated) = app
        .put_json(&format!("/api/v1/families/{id}"), Some(&street), &body)
        .await;
    assert_eq!(status, 200, "{updated}");

    app.assert_people_match_rows(1).await;

    let (_, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&street))
        .await;
    assert_eq!(
        family["contacts"].as_array().map(Vec::len),
        Some(body["contacts"].as_array().unwrap().len())
    );
}

#[tokio::test]
async fn an_exited_family_leaves_the_active_register_with_its_reason() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let id = app
        .create_family(&street, &family_body("xinjiekou", "xinjiekou-2", 15))
        .await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/families/{id}/exit"),
            Some(&street),
            &json!({"reason": "other"}),
        )
        .await;
    assert_eq!(status, 422, "'other' needs a note: {body}");
    assert_eq!(body["error"]["field"], "note");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/families/{id}/exit"),
            Some(&street),
            &json!({"reason": "rebirth", "exited_on": "2026-01-05"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = app.get("/api/v1/families", Some(&street)).await;
    assert_eq!(list["total"], 0);
    let (_, list) = app
        .get("/api/v1/families?status=exited", Some(&street))
        .await;
    assert_eq!(list["total"], 1);
    let (_, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&street))
        .await;
    assert_eq!(family["exit"]["reason"], "rebirth");
    assert_eq!(family["exit"]["exited_on"], "2026-01-05");
    let (status, _) = app
        .post_json(
            &format!("/api/v1/families/{id}/exit"),
            Some(&street),
            &json!({"reason": "rebirth"}),
        )
        .await;
    assert_eq!(status, 409);
    // The district office is told, through the outbox.
    assert_eq!(app.count("mail_outbox").await, 1);
}

#[tokio::test]
async fn lists_filter_by_kind_street_and_age_band_and_paginate() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    for i in 0..5 {
        app.create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 20 + i))
            .await;
    }
    let mut disabled = family_body("yuetan", "yuetan-1", 30);
    disabled["kind"] = json!("disabled");
    disabled["child"] =
        json!({"status": "disabled", "disability_grade": 2, "certified_on": "2023-05-01"});
    disabled["parents"][0]["resident_id"] = json!(resident_id("19900101", 30, true));
    app.create_family(&admin, &disabled).await;

    let (_, all) = app.get("/api/v1/families", Some(&admin)).await;
    assert_eq!(all["total"], 6);
    let (_, page) = app
        .get("/api/v1/families?per_page=2&page=3", Some(&admin))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"], 6);
    let (_, kind) = app
        .get("/api/v1/families?kind=disabled", Some(&admin))
        .await;
    assert_eq!(kind["total"], 1);
    let (_, street) = app
        .get("/api/v1/families?street=xinjiekou", Some(&admin))
        .await;
    assert_eq!(street["total"], 5);
    // Mothers born 1964 are 60+ now; the disabled family's living parent (mother, born 1990) is not.
    let (_, band) = app
        .get("/api/v1/families?age_min=30&age_max=40", Some(&admin))
        .await;
    assert_eq!(band["total"], 1);
    let (_, band) = app.get("/api/v1/families?age_min=60", Some(&admin)).await;
    assert_eq!(band["total"], 5);
    for (query, field) in [
        ("per_page=500", "per_page"),
        ("street=nowhere", "street"),
        ("kind=odd", "kind"),
        ("age_min=70&age_max=60", "age_min"),
    ] {
        let (status, body) = app
            .get(&format!("/api/v1/families?{query}"), Some(&admin))
            .await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["field"], field);
    }

    // The register chart's counts: one grouped count over the same filters and scope.
    let tenant = app.tenant_id("xicheng").await;
    let pool = nuanxin_db::pool::build_pool(&app.app.settings.app_database_url(), 1).unwrap();
    let street = |code: &'static str| {
        let pool = pool.clone();
        async move {
            let mut tx = nuanxin_db::pool::TenantTx::begin(&pool, tenant)
                .await
                .unwrap();
            let id = nuanxin_db::models::org_unit::OrgUnit::all(&mut tx)
                .await
                .unwrap()
                .into_iter()
                .find(|u| u.code == code)
                .unwrap()
                .id;
            tx.commit().await.unwrap();
            id
        }
    };
    let (xinjiekou, yuetan) = (street("xinjiekou").await, street("yuetan").await);
    let counts = |scope: Scope, filter: FamilyFilter| {
        let pool = pool.clone();
        async move {
            let mut tx = nuanxin_db::pool::TenantTx::begin(&pool, tenant)
                .await
                .unwrap();
            let mut counts = FamilyRecord::count_by_street_and_kind(&mut tx, scope, &filter)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            counts.sort_by_key(|(street, kind, _)| (*street, kind.as_str()));
            counts
        }
    };
    let mut expected = vec![
        (xinjiekou, FamilyKind::Bereaved, 5),
        (yuetan, FamilyKind::Disabled, 1),
    ];
    expected.sort_by_key(|(street, kind, _)| (*street, kind.as_str()));
    assert_eq!(
        counts(Scope::District, FamilyFilter::default()).await,
        expected
    );
    assert_eq!(
        counts(Scope::Street(yuetan), FamilyFilter::default()).await,
        [(yuetan, FamilyKind::Disabled, 1)],
        "a street counts only its own families"
    );
    let kind = FamilyFilter {
        kind: Some(FamilyKind::Bereaved),
        ..FamilyFilter::default()
    };
    assert_eq!(
        counts(Scope::Street(yuetan), kind.clone()).await,
        [],
        "the filters hold"
    );
    assert_eq!(
        counts(Scope::District, kind).await,
        [(xinjiekou, FamilyKind::Bereaved, 5)]
    );
}

#[tokio::test]
async fn list_totals_are_cached_but_never_outlive_a_change() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    app.create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 80))
        .await;
    let (_, first) = app.get("/api/v1/families", Some(&admin)).await;
    assert_eq!(first["total"], 1);
    let (_, again) = app.get("/api/v1/families?page=2", Some(&admin)).await;
    assert_eq!(again["total"], 1, "served from the cache");
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 81))
        .await;
    let (_, after_create) = app.get("/api/v1/families", Some(&admin)).await;
    assert_eq!(after_create["total"], 2);
    app.post_json(
        &format!("/api/v1/families/{id}/exit"),
        Some(&admin),
        &json!({"reason": "moved_away"}),
    )
    .await;
    let (_, after_exit) = app.get("/api/v1/families", Some(&admin)).await;
    assert_eq!(after_exit["total"], 1);
    // Another district's changes do not disturb this one's totals, and vice versa.
    let (_, other) = app
        .get(
            "/api/v1/families",
            Some(&app.login("zhangdian", "admin").await),
        )
        .await;
    assert_eq!(other["total"], 0);
}

#[tokio::test]
async fn a_family_read_edited_and_put_back_updates_and_a_put_without_if_match_is_428() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let id = app
        .create_family(&street, &family_body("xinjiekou", "xinjiekou-1", 31))
        .await;
    let path = format!("/api/v1/families/{id}");
    let (_, mut family) = app.get(&path, Some(&street)).await;
    family["address"] = json!("改后路1号");
    let (status, body) = app.put_versioned(&path, Some(&street), &family, None).await;
    assert_eq!(status, 428, "{body}");
    let (status, body) = app
        .put_versioned(&path, Some(&street), &family, Some("\"1\""))
        .await;
    assert_eq!(status, 200, "GET's own shape goes back in: {body}");
    assert_eq!(body["address"], "改后路1号");
    assert_eq!(body["version"], 2);

    // The same document again changes nothing: no new version, no history line.
    let (status, same) = app
        .put_versioned(&path, Some(&street), &body, Some("2"))
        .await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same["version"], 2);
    let (_, history) = app.get(&format!("{path}/history"), Some(&street)).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    let at = history["items"][1]["changed_at"].as_str().unwrap();
    assert!(at.ends_with("+08:00"), "local time of the district: {at}");
}

#[tokio::test]
async fn twenty_registrations_of_one_resident_id_at_once_give_one_family_and_no_500() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let body = family_body("xinjiekou", "xinjiekou-1", 32);
    let requests = (0..20).map(|_| app.post_json("/api/v1/families", Some(&admin), &body));
    let answers = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    for (status, body) in answers.iter().filter(|(s, _)| *s != 201) {
        assert!(matches!(status, 409 | 422), "{status} {body}");
        assert!(
            body["error"]["field"]
                .as_str()
                .is_some_and(|f| f.contains("resident_id")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_street_learns_only_that_an_id_registered_elsewhere_cannot_be_registered() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let street = app.login("xicheng", "street").await;
    app.create_family(&admin, &family_body("yuetan", "yuetan-1", 33))
        .await;
    let (status, body) = app
        .post_json(
            "/api/v1/families",
            Some(&street),
            &family_body("xinjiekou", "xinjiekou-1", 33),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "cannot_register");
    let text = body.to_string();
    assert!(
        !text.contains("月坛") && !text.contains("本区登记"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_numbers_dates_texts_and_districts_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut nul = family_body("xinjiekou", "xinjiekou-1", 34);
    nul["address"] = json!("测试\u{0}路");
    cases.push((nul, "address"));
    let mut rich = family_body("xinjiekou", "xinjiekou-1", 35);
    rich["household"]["monthly_income_per_capita_cny"] = json!(i64::MAX);
    cases.push((rich, "household.monthly_income_per_capita_cny"));
    let mut ancient = family_body("xinjiekou", "xinjiekou-1", 36);
    ancient["child"]["died_on"] = json!("0001-01-01");
    cases.push((ancient, "child.died_on"));
    let mut nowhere = family_body("xinjiekou", "xinjiekou-1", 37);
    nowhere["hukou_district"] = json!("Xicheng District!!");
    cases.push((nowhere, "hukou_district"));
    for (body, field) in cases {
        let (status, answer) = app.post_json("/api/v1/families", Some(&admin), &body).await;
        assert!(matches!(status, 400 | 422), "{field}: {status} {answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    // The Chinese name of the district is the district.
    let mut chinese = family_body("xinjiekou", "xinjiekou-1", 38);
    chinese["hukou_district"] = json!("西城区");
    let id = app.create_family(&admin, &chinese).await;
    let (_, family) = app
        .get(&format!("/api/v1/families/{id}"), Some(&admin))
        .await;
    assert_eq!(family["hukou_district"], "xicheng");

    for query in [
        "page=9223372036854775807",
        "age_max=9872",
        "age_min=-1",
        "per_page=0",
    ] {
        let (status, body) = app
            .get(&format!("/api/v1/families?{query}"), Some(&admin))
            .await;
        assert_eq!(status, 400, "{query}: {body}");
    }
}

#[tokio::test]
async fn no_error_message_repeats_a_resident_id_or_phone_sent() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let mut body = family_body("xinjiekou", "xinjiekou-1", 39);
    body["parents"][0]["resident_id"] = json!(990101195909050805u64);
    let (status, answer) = app.post_json("/api/v1/families", Some(&admin), &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["field"], "parents[0].resident_id");
    assert!(
        !answer.to_string().contains("990101195909050805"),
        "{answer}"
    );
    let mut body = family_body("xinjiekou", "xinjiekou-1", 40);
    body["parents"][0]["phone"] = json!(13800138000u64);
    let (_, answer) = app.post_json("/api/v1/families", Some(&admin), &body).await;
    assert!(!answer.to_string().contains("13800138000"), "{answer}");
}

#[tokio::test]
async fn a_masked_view_hides_the_birth_date_the_masked_id_hides() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let bureau = app.login("xicheng", "bureau").await;
    let id = app
        .create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 41))
        .await;
    let path = format!("/api/v1/families/{id}");
    let (_, full) = app.get(&path, Some(&admin)).await;
    assert_eq!(full["parents"][0]["birth_date"], "1964-05-01");
    grant_bureau_reading(&app).await;
    let (status, masked) = app.get(&path, Some(&bureau)).await;
    assert_eq!(status, 200, "{masked}");
    let parent = &masked["parents"][0];
    assert!(parent["resident_id"].as_str().unwrap().contains("********"));
    assert!(parent.get("birth_date").is_none(), "{parent}");
    assert!(!masked.to_string().contains("1964-05-01"), "{masked}");
    let (_, history) = app.get(&format!("{path}/history"), Some(&admin)).await;
    assert!(
        !history.to_string().contains("1964-05-01"),
        "the masked history holds no birth date: {history}"
    );
}

#[tokio::test]
async fn the_register_is_searched_by_name_or_resident_id_by_those_who_may_see_names() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let mut body = family_body("xinjiekou", "xinjiekou-1", 42);
    body["parents"][0]["name"] = json!("搜索测试母亲");
    let id = app.create_family(&admin, &body).await;
    app.create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 43))
        .await;
    let (status, found) = app
        .get(&format!("/api/v1/families?q={}", "搜索测试"), Some(&admin))
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], id.as_str());
    let rid = body["parents"][0]["resident_id"].as_str().unwrap();
    let (_, by_id) = app
        .get(&format!("/api/v1/families?q={rid}"), Some(&admin))
        .await;
    assert_eq!(by_id["total"], 1);
    assert_eq!(by_id["items"][0]["id"], id.as_str());
    let (_, none) = app.get("/api/v1/families?q=%25", Some(&admin)).await;
    assert_eq!(none["total"], 0, "a % is a character, not a wildcard");
    let bureau = app.login("xicheng", "bureau").await;
    let (status, _) = app
        .get(&format!("/api/v1/families?q={rid}"), Some(&bureau))
        .await;
    assert!(matches!(status, 403), "{status}");
}

#[tokio::test]
async fn a_lowercase_bearer_scheme_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.login("xicheng", "street").await;
    let res = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("Authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_before_it_is_parsed() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let mut body = family_body("xinjiekou", "xinjiekou-1", 44);
    body["address"] = json!("路".repeat(100_000));
    let (status, answer) = app.post_json("/api/v1/families", Some(&admin), &body).await;
    assert_eq!(status, 413, "{answer}");
}

/// Xicheng's own grant (an access rule of the district, not a default): its bureau staff read families.
async fn grant_bureau_reading(app: &TestApp) {
    let mut conn = app.admin().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO access_rules (ptype, v0, v1, v2, v3) \
             VALUES ('p', 'role:bureau_staff', 'xicheng', 'family', 'read') ON CONFLICT DO NOTHING",
        ),
        &mut conn,
    )
    .await
    .unwrap();
    let rules = nuanxin::onboarding::load_rules(&app.app.pool)
        .await
        .unwrap();
    app.app.authorizer.replace_rules(rules).await.unwrap();
}
