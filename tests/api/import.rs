use nuanxin_sheets::{read_table, write_csv, write_xlsx};

use crate::fixtures::{family_body, resident_id};
use crate::helpers::TestApp;

pub const HEADERS: [&str; 14] = [
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

pub fn row(serial: u32) -> Vec<String> {
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

pub fn with_third_contact(
    headers: &[&str],
    rows: Vec<Vec<String>>,
) -> (Vec<String>, Vec<Vec<String>>) {
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

/// A workbook with the layout's header and one value at 0-based (`row`, `col`): a few KB.
fn one_far_cell(row: u32, col: u16) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in HEADERS.iter().enumerate() {
        ws.write_string(0, i as u16, *h).unwrap();
    }
    ws.write_string(row, col, "x").unwrap();
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_few_kilobytes_naming_a_far_cell_are_refused_and_the_service_keeps_answering() {
    let app = TestApp::spawn().await;
    let street = app.login("xicheng", "street").await;
    // XFD1048576 took the process down (rows × columns allocated); CV1048576 took 3.2 GB.
    for (row, col) in [(1_048_575, 16_383), (1_048_575, 99)] {
        let xlsx = one_far_cell(row, col);
        assert!(xlsx.len() < 8 * 1024, "{}", xlsx.len());
        let (status, body) = app
            .post_bytes("/api/v1/families/import", &street, xlsx)
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "file_too_large");
        assert_eq!(body["error"]["field"], "file");
        assert_eq!(body["error"]["limit"], "rows");
        assert_eq!(body["error"]["max"], 200_000);
        assert_eq!(body["error"]["value"], 1_048_576);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("行数上限") && message.contains("200000"),
            "{message}"
        );
    }
    let (status, body) = app
        .post_bytes("/api/v1/families/import", &street, one_far_cell(1, 99))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["limit"], "columns");
    assert!(body["error"]["message"].as_str().unwrap().contains("CV列"));
    let (status, _) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    // The same street imports a good file right after.
    let (headers, rows) = with_third_contact(&HEADERS, vec![row(1)]);
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let (status, body) = app
        .post_bytes(
            "/api/v1/families/import",
            &street,
            write_xlsx("登记", &h, rows).unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn legacy_xls_is_refused_with_advice() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    let (status, body) = app.post_bytes("/api/v1/families/import", &admin, ole).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "file");
    assert!(body["error"]["message"].as_str().unwrap().contains(".xlsx"));
}

/// A CSV in the layout with `n` rows whose income has half a yuan: one error each.
fn bad_rows_csv(n: u32) -> Vec<u8> {
    let rows: Vec<Vec<String>> = (0..n)
        .map(|i| {
            let mut r = row(i);
            r[5] = "1800.5".into();
            r
        })
        .collect();
    let (headers, rows) = with_third_contact(&HEADERS, rows);
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    write_csv(&h, rows)
}

#[tokio::test]
async fn a_file_of_bad_rows_answers_its_first_errors_and_how_many_there_are() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    let res = app
        .client
        .post(app.url("/api/v1/families/import"))
        .bearer_auth(&admin)
        .body(bad_rows_csv(5_000))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let text = res.text().await.unwrap();
    assert!(
        text.len() < 100 * 1024,
        "error body of {} bytes",
        text.len()
    );
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], "import_rejected");
    assert_eq!(body["error"]["total_errors"], 5_000);
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 200);
    let rows: Vec<u64> = details.iter().map(|d| d["row"].as_u64().unwrap()).collect();
    assert_eq!(
        rows,
        (2..202).collect::<Vec<u64>>(),
        "the first rows, in order"
    );
    assert!(details.iter().all(|d| d["column"] == "家庭月人均收入"));
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("5000") && message.contains("前200处"),
        "{message}"
    );
    assert_eq!(app.count("families").await, 0);
}

/// Sends `head` (a request line and headers, CRLF-terminated, without the blank line) and `body` on a
/// connection of its own, and returns the connection to read the answer from.
async fn send_raw(app: &TestApp, head: &str, body: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(format!("{head}Host: {address}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    stream.write_all(body).await.unwrap();
    stream
}

/// The status and the JSON body of an HTTP/1.1 answer read to the end.
async fn read_raw(mut stream: tokio::net::TcpStream) -> (u16, serde_json::Value) {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    // A chunked body: take the JSON between the first chunk size line and its end.
    let json = body
        .find('{')
        .and_then(|start| body.rfind('}').map(|end| &body[start..=end]))
        .unwrap_or("null");
    (status, serde_json::from_str(json).unwrap())
}

#[tokio::test]
async fn a_body_over_the_import_limit_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    // 60 MB declared, a few bytes sent: the answer comes without the rest.
    let head = format!(
        "POST /api/v1/families/import HTTP/1.1\r\nAuthorization: Bearer {admin}\r\nContent-Length: 60000000\r\n"
    );
    let stream = send_raw(&app, &head, b"").await;
    let (status, body) = tokio::time::timeout(std::time::Duration::from_secs(10), read_raw(stream))
        .await
        .expect("answered without the body");
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "file_too_large");
    assert_eq!(body["error"]["field"], "file");
    assert!(body["error"]["message"].as_str().unwrap().contains("50 MB"));
    // Nobody's body is read before the caller is known.
    let stream = send_raw(
        &app,
        "POST /api/v1/families/import HTTP/1.1\r\nContent-Length: 60000000\r\n",
        b"",
    )
    .await;
    let (status, _) = tokio::time::timeout(std::time::Duration::from_secs(10), read_raw(stream))
        .await
        .expect("answered without the body");
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_large_import_is_read_off_the_http_worker() {
    // One HTTP worker: were the file parsed on it, /healthz would wait for the import's answer.
    let app = TestApp::spawn_with(&[("NUANXIN__APPLICATION__WORKERS", "1")]).await;
    let admin = app.login("xicheng", "admin").await;
    let csv = bad_rows_csv(30_000);
    let head = format!(
        "POST /api/v1/families/import HTTP/1.1\r\nAuthorization: Bearer {admin}\r\nContent-Length: {}\r\n",
        csv.len()
    );
    let import = send_raw(&app, &head, &csv).await;
    // The last few MB of the body may still be in the socket buffers: give the worker time to read them and
    // hand the file on. Checking 30,000 rows takes seconds, far longer.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (status, _) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    let mut probe = [0u8; 1];
    assert!(
        matches!(import.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "/healthz answered only after the import"
    );
    let (status, body) = read_raw(import).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["total_errors"], 30_000);
}

#[tokio::test]
async fn imports_on_a_node_take_turns() {
    let app = TestApp::spawn().await;
    let admin = app.login("xicheng", "admin").await;
    // Another import holds the node's only turn.
    let turn = app.app.imports.acquire().await.unwrap();
    let (headers, rows) = with_third_contact(&HEADERS, vec![row(1)]);
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let request = app
        .client
        .post(app.url("/api/v1/families/import"))
        .bearer_auth(&admin)
        .body(write_csv(&h, rows))
        .send();
    let waiting = tokio::spawn(request);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "imported while another import ran");
    drop(turn);
    let res = waiting.await.unwrap().unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.count("families").await, 1);
}
