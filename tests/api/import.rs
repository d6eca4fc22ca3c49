use nuanxin_sheets::{read_table, write_csv, write_xlsx};

use crate::helpers::{family_body, resident_id, TestApp};

const HEADERS: [&str; 14] = [
    "家庭类别",
    "街道（镇）",
    "社区（村）",
    "住址",
    "子女死亡日期",
    "家庭月人均收入",
    "上年家庭总收入",
    "母亲姓名",
    "母亲身份证号",
    "母亲电话",
    "联系人1姓名",
    "联系人1类别",
    "联系人2姓名",
    "联系人2类别",
];

fn row(serial: u32) -> Vec<String> {
    vec![
        "失独".into(),
        "新街口街道".into(),
        "新街口第一社区".into(),
        format!("导入路{serial}号"),
        "2021-04-05".into(),
        "1800".into(),
        "30000".into(),
        format!("导入母亲{serial}"),
        resident_id("19600101", serial, true),
        "13700137000".into(),
        "联系人甲".into(),
        "网格员".into(),
        "联系人乙".into(),
        "家庭医生".into(),
    ]
}

fn with_third_contact(headers: &[&str], rows: Vec<Vec<String>>) -> (Vec<String>, Vec<Vec<String>>) {
    let mut h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
    h.extend(["联系人3姓名".to_string(), "联系人3类别".to_string()]);
    let rows = rows
        .into_iter()
        .map(|mut r| {
            r.extend(["联系人丙".to_string(), "志愿者".to_string()]);
            r
        })
        .collect();
    (h, rows)
}

#[tokio::test]
async fn a_clean_spreadsheet_imports_every_row() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    let (headers, rows) = with_third_contact(&HEADERS, (0..25).map(row).collect());
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let xlsx = write_xlsx("登记", &h, rows).unwrap();
    let (status, body) = app
        .post_bytes("/api/v1/families/import", &street, xlsx)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 25);
    let (_, list) = app.get("/api/v1/families", Some(&street)).await;
    assert_eq!(list["total"], 25);
    assert_eq!(app.count("family_changes").await, 25);
    app.assert_people_match_rows(25).await;
}

#[tokio::test]
async fn a_broken_file_reports_every_bad_row_and_imports_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let mut rows: Vec<Vec<String>> = (0..6).map(row).collect();
    let good = rows[1][8].clone();
    let wrong = if good.ends_with('1') { '2' } else { '1' };
    rows[1][8] = format!("{}{wrong}", &good[..17]); // wrong check digit (row 3)
    rows[2][1] = "王府井街道".into(); // unknown street (row 4)
    rows[3][5] = "1800.5".into(); // half a yuan (row 5)
    rows[4][8] = rows[0][8].clone(); // same person twice (row 6)
    let (headers, rows) = with_third_contact(&HEADERS, rows);
    let mut rows = rows;
    for cell in &mut rows[5][12..] {
        cell.clear(); // only 1 contact person (row 7)
    }
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let csv = write_csv(&h, rows);
    let (status, body) = app.post_bytes("/api/v1/families/import", &admin, csv).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "import_rejected");
    let details = body["error"]["details"].as_array().unwrap();
    let at = |row: u64| {
        details
            .iter()
            .find(|d| d["row"] == row)
            .unwrap_or_else(|| panic!("row {row} not reported: {details:?}"))
    };
    assert_eq!(at(3)["column"], "母亲身份证号");
    assert_eq!(at(3)["code"], "invalid_check_digit");
    assert_eq!(at(4)["column"], "街道（镇）");
    assert_eq!(at(5)["column"], "家庭月人均收入");
    assert_eq!(at(6)["code"], "duplicate_in_file");
    assert_eq!(at(7)["field"], "contacts");
    assert!(details.iter().all(|d| d["row"] != 2), "row 2 is fine");
    assert_eq!(app.count("families").await, 0, "nothing half-imported");
    assert_eq!(app.count("audit_events").await, 0);
}

#[tokio::test]
async fn unknown_columns_and_files_that_are_not_spreadsheets_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let (status, body) = app
        .post_bytes(
            "/api/v1/families/import",
            &admin,
            b"\x00\x01\x02 not a sheet".to_vec(),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "file");
    let csv = write_csv(
        &["家庭类别", "乱写的列"],
        vec![vec!["失独".into(), "x".into()]],
    );
    let (status, body) = app.post_bytes("/api/v1/families/import", &admin, csv).await;
    assert_eq!(status, 422);
    let details = body["error"]["details"].as_array().unwrap();
    assert!(details
        .iter()
        .any(|d| d["code"] == "unknown_column" && d["column"] == "乱写的列"));
    assert!(details
        .iter()
        .any(|d| d["code"] == "missing_column" && d["column"] == "街道（镇）"));
}

#[tokio::test]
async fn a_street_may_import_only_its_own_street() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street2").await; // 月坛街道
    let (headers, rows) = with_third_contact(&HEADERS, vec![row(1)]);
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let (status, body) = app
        .post_bytes("/api/v1/families/import", &street, write_csv(&h, rows))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["code"], "outside_scope");
    assert_eq!(app.count("families").await, 0);
}

#[tokio::test]
async fn the_export_reads_back_through_the_import() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    for i in 0..3 {
        app.create_family(&admin, &family_body("xinjiekou", "xinjiekou-1", 700 + i))
            .await;
    }
    let res = app
        .client
        .get(app.url("/api/v1/families/export"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let sheet = read_table(&bytes).unwrap();
    assert_eq!(sheet.rows.len(), 3);
    let id_col = sheet.column("母亲身份证号").unwrap();
    assert_eq!(sheet.rows[0].get(id_col).len(), 18);
    // The same file into a fresh district database is refused only because these people are registered.
    let (status, body) = app
        .post_bytes("/api/v1/families/import", &admin, bytes)
        .await;
    assert_eq!(status, 422);
    let details = body["error"]["details"].as_array().unwrap();
    assert!(
        details.iter().all(|d| d["code"] == "already_registered"),
        "{details:?}"
    );
}
