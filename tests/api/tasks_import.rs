//! Volunteers imported from xlsx or CSV (issue 10 item 1): all rows or none, every bad cell named by row
//! and column without its value, an organization only into itself, the street only independent
//! volunteers, and the roles that do not manage volunteers refused.

use nuanxin_sheets::{write_csv, write_xlsx};
use serde_json::Value;

use crate::helpers::TestApp;

const HEADERS: [&str; 11] = [
    "姓名",
    "所属组织",
    "账号",
    "电子邮箱",
    "电话",
    "技能",
    "资质",
    "纬度",
    "经度",
    "可服务时间",
    "每周最多任务数",
];

fn row(serial: u32, organization: &str) -> Vec<String> {
    vec![
        format!("导入志愿者{serial}"),
        organization.into(),
        String::new(),
        format!("v{serial}@example.org"),
        "13900139000".into(),
        "日间巡视、心理慰藉".into(),
        "心理咨询资质:2030-06-30".into(),
        format!("{:.4}", 39.93 + f64::from(serial) / 1000.0),
        "116.3700".into(),
        "周一08:00-12:00、周四14:00-18:00".into(),
        "3".into(),
    ]
}

async fn volunteers_seen_by(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, list) = app
        .get("/api/v1/volunteers?per_page=500", Some(token))
        .await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_organization_and_a_street_import_clean_files_of_their_own_volunteers() {
    let app = TestApp::spawn().await;
    let socialorg = app.login("xicheng", "socialorg").await;
    let street = app.login("xicheng", "street").await;
    // The organization's own file may name it by name or leave the column empty.
    let mut rows: Vec<Vec<String>> = (0..12).map(|i| row(i, "")).collect();
    rows[0][1] = "团区委（综合包户志愿服务）".into();
    rows[1][2] = "volunteer2".into();
    let xlsx = write_xlsx("志愿者", &HEADERS, rows).unwrap();
    let (status, body) = app
        .post_bytes("/api/v1/volunteers/import", &socialorg, xlsx)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 12);
    let own = volunteers_seen_by(&app, &socialorg).await;
    assert_eq!(own.len(), 12);
    let first = own
        .iter()
        .find(|v| v["name"] == "导入志愿者1")
        .unwrap_or_else(|| panic!("{own:?}"));
    assert_eq!(first["organization"]["code"], "youth_league");
    let text = first.to_string();
    assert!(
        text.contains("day_patrol") && text.contains("psychological_comfort"),
        "{text}"
    );
    assert!(
        text.contains("counselor") && text.contains("2030-06-30"),
        "{text}"
    );
    assert!(text.contains("\"thu\"") && text.contains("14:00"), "{text}");

    // The street's file: independent volunteers, as CSV.
    let csv = write_csv(&HEADERS, (20..23).map(|i| row(i, "")).collect::<Vec<_>>());
    let (status, body) = app
        .post_bytes("/api/v1/volunteers/import", &street, csv)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 3);
    let independent = volunteers_seen_by(&app, &street).await;
    assert_eq!(
        independent.len(),
        3,
        "the street manages only independent ones"
    );
    assert!(independent.iter().all(|v| v["organization"].is_null()));
    assert_eq!(app.count("volunteers").await, 15);
    assert_eq!(
        app.count("audit_events WHERE action = 'volunteer.import'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_bad_row_refuses_the_whole_file_naming_row_and_column_but_not_the_value() {
    let app = TestApp::spawn().await;
    let socialorg = app.login("xicheng", "socialorg").await;
    let mut rows: Vec<Vec<String>> = (0..7).map(|i| row(i, "")).collect();
    rows[1][5] = "日间巡视、占星术".into(); // row 3: no such skill
    rows[2][9] = "周八08:00-12:00".into(); // row 4: no such day
    rows[3][10] = "20".into(); // row 5: beyond 14 a week
    rows[4][8].clear(); // row 6: latitude without longitude
    rows[5][4] = "12ab".into(); // row 7: not a phone number
    rows[6][2] = "nosuchaccount".into(); // row 8: an account the district does not have
    let csv = write_csv(&HEADERS, rows);
    let (status, body) = app
        .post_bytes("/api/v1/volunteers/import", &socialorg, csv)
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "import_rejected");
    let details = body["error"]["details"].as_array().unwrap();
    let at = |row: u64| {
        details
            .iter()
            .find(|d| d["row"] == row)
            .unwrap_or_else(|| panic!("row {row} not reported: {details:?}"))
    };
    assert_eq!(at(3)["column"], "技能");
    assert_eq!(at(3)["code"], "unknown_skill");
    assert_eq!(at(4)["column"], "可服务时间");
    assert_eq!(at(5)["column"], "每周最多任务数");
    assert_eq!(at(6)["column"], "经度");
    assert_eq!(at(7)["column"], "电话");
    assert!(
        details.iter().all(|d| d["row"] != 2),
        "row 2 is fine: {details:?}"
    );
    let text = body.to_string();
    for value in ["占星术", "周八", "12ab"] {
        assert!(
            !text.contains(value),
            "the value {value} is repeated back: {text}"
        );
    }
    assert_eq!(app.count("volunteers").await, 0, "nothing half-imported");

    // The rows fixed but one unknown account: still nothing written, the account named by row.
    let mut rows: Vec<Vec<String>> = (0..3).map(|i| row(i, "")).collect();
    rows[2][2] = "nosuchaccount".into();
    let xlsx = write_xlsx("志愿者", &HEADERS, rows).unwrap();
    let (status, body) = app
        .post_bytes("/api/v1/volunteers/import", &socialorg, xlsx)
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["row"], 4);
    assert_eq!(body["error"]["details"][0]["column"], "账号");
    assert_eq!(app.count("volunteers").await, 0);

    // A file without a required column says which.
    let csv = write_csv(&HEADERS[..5], vec![row(1, "")[..5].to_vec()]);
    let (status, body) = app
        .post_bytes("/api/v1/volunteers/import", &socialorg, csv)
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["code"], "missing_column");
}

#[tokio::test]
async fn no_one_imports_into_an_organization_not_theirs_and_other_roles_are_refused() {
    let app = TestApp::spawn().await;
    let socialorg = app.login("xicheng", "socialorg").await;
    let street = app.login("xicheng", "street").await;
    let mut rows: Vec<Vec<String>> = (0..3).map(|i| row(i, "")).collect();
    rows[1][1] = "red_cross".into();
    let csv = write_csv(&HEADERS, rows);
    let (status, body) = app
        .post_bytes("/api/v1/volunteers/import", &socialorg, csv.clone())
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["row"], 3);
    assert_eq!(body["error"]["details"][0]["column"], "所属组织");
    assert_eq!(body["error"]["details"][0]["code"], "outside_scope");
    // The street registers independent volunteers only.
    let (status, body) = app
        .post_bytes("/api/v1/volunteers/import", &street, csv.clone())
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["code"], "outside_scope");
    assert_eq!(app.count("volunteers").await, 0);

    for (tenant, user) in [
        ("xicheng", "community"),
        ("xicheng", "bureau"),
        ("xicheng", "volunteer"),
        ("zhangdian", "community"),
    ] {
        let token = app.login(tenant, user).await;
        let (status, body) = app
            .post_bytes("/api/v1/volunteers/import", &token, csv.clone())
            .await;
        assert_eq!(status, 403, "{tenant}/{user}: {body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    assert_eq!(app.count("volunteers").await, 0);
}
