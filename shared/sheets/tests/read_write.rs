#![allow(clippy::unwrap_used, clippy::expect_used)]

use nuanxin_sheets::{read_table, write_csv, write_xlsx, SheetError};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn xlsx_round_trip_keeps_text_exact() {
    let headers = ["姓名", "身份证号", "出生日期", "人数", "邮编", "备注"];
    let rows = vec![
        strings(&[
            "张三",
            "11010519491231002X",
            "1949-12-31",
            "3",
            "010010",
            "失独家庭",
        ]),
        strings(&[
            "李四",
            "370303196805010012",
            "1968-05-01",
            "12345",
            "255000",
            "",
        ]),
        strings(&[
            "王五",
            "1234567890123456",
            "2025-03-02",
            "-7",
            "0",
            "多行\n备注",
        ]),
    ];
    let bytes = write_xlsx("家庭名单", &headers, rows.clone()).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let sheet = read_table(&bytes).unwrap();
    assert_eq!(sheet.headers, strings(&headers));
    assert_eq!(sheet.rows.len(), 3);
    for (i, (got, want)) in sheet.rows.iter().zip(&rows).enumerate() {
        assert_eq!(got.number, i + 2);
        let mut want = want.clone();
        while want.last().is_some_and(String::is_empty) {
            want.pop();
        }
        assert_eq!(&got.cells, &want, "row {}", got.number);
    }
    let id = sheet.column("身份证号").unwrap();
    assert_eq!(sheet.rows[1].get(id), "370303196805010012");
    assert_eq!(sheet.rows[1].get(99), "");
    assert_eq!(sheet.column(" 人数 "), Some(3));
    assert_eq!(sheet.column("不存在"), None);
}

#[test]
fn xlsx_native_cells_dates_empty_rows_and_trimming() {
    let mut wb = Workbook::new();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let dt_fmt = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "  姓名 ").unwrap();
    ws.write_string(0, 1, "死亡日期").unwrap();
    ws.write_string(0, 2, "金额").unwrap();
    ws.write_string(0, 3, "时间").unwrap();
    // Row 2
    ws.write_string(1, 0, " 赵六\u{3000}").unwrap();
    let d = ExcelDateTime::parse_from_str("2025-03-02").unwrap();
    ws.write_datetime_with_format(1, 1, &d, &date_fmt).unwrap();
    ws.write_number(1, 2, 5000.0).unwrap();
    let t = ExcelDateTime::parse_from_str("2024-09-01 08:30:00").unwrap();
    ws.write_datetime_with_format(1, 3, &t, &dt_fmt).unwrap();
    // Rows 3 and 4 empty (row 4 has only whitespace), row 5 data.
    ws.write_string(3, 1, "   ").unwrap();
    ws.write_string(4, 0, "孙七").unwrap();
    ws.write_number(4, 2, 1234.5).unwrap();
    ws.write_boolean(4, 3, true).unwrap();
    let bytes = wb.save_to_buffer().unwrap();

    let sheet = read_table(&bytes).unwrap();
    assert_eq!(
        sheet.headers,
        strings(&["姓名", "死亡日期", "金额", "时间"])
    );
    assert_eq!(sheet.rows.len(), 2);
    assert_eq!(sheet.rows[0].number, 2);
    assert_eq!(
        sheet.rows[0].cells,
        strings(&["赵六", "2025-03-02", "5000", "2024-09-01 08:30:00"])
    );
    assert_eq!(sheet.rows[1].number, 5);
    assert_eq!(
        sheet.rows[1].cells,
        strings(&["孙七", "", "1234.5", "TRUE"])
    );
}

#[test]
fn xlsx_header_not_on_row_one_keeps_user_row_numbers() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(2, 1, "姓名").unwrap();
    ws.write_string(3, 1, "张三").unwrap();
    let sheet = read_table(&wb.save_to_buffer().unwrap()).unwrap();
    assert_eq!(sheet.headers, strings(&["姓名"]));
    assert_eq!(sheet.rows[0].number, 4);
    assert_eq!(sheet.rows[0].get(0), "张三");
}

#[test]
fn empty_workbook_is_empty() {
    let mut wb = Workbook::new();
    wb.add_worksheet();
    assert_eq!(
        read_table(&wb.save_to_buffer().unwrap()),
        Err(SheetError::Empty)
    );
    let only_header = write_xlsx("x", &["a"], Vec::<Vec<String>>::new()).unwrap();
    let sheet = read_table(&only_header).unwrap();
    assert_eq!(sheet.headers, strings(&["a"]));
    assert!(sheet.rows.is_empty());
}

#[test]
fn csv_with_bom() {
    let text = "\u{FEFF}姓名,身份证号,电话\r\n张三,11010519491231002X,13812345678\r\n";
    let sheet = read_table(text.as_bytes()).unwrap();
    assert_eq!(sheet.headers, strings(&["姓名", "身份证号", "电话"]));
    assert_eq!(sheet.rows[0].number, 2);
    assert_eq!(
        sheet.rows[0].cells,
        strings(&["张三", "11010519491231002X", "13812345678"])
    );
}

#[test]
fn csv_without_bom_and_excel_text_idiom() {
    let text = "姓名 , 身份证号\n 李四 ,=\"370303196805010012\"\n";
    let sheet = read_table(text.as_bytes()).unwrap();
    assert_eq!(sheet.headers, strings(&["姓名", "身份证号"]));
    assert_eq!(
        sheet.rows[0].cells,
        strings(&["李四", "370303196805010012"])
    );
}

#[test]
fn gbk_csv() {
    let text = "姓名,街道,身份证号\r\n张三,车站街道,11010519491231002X\r\n欧阳娜娜,公园街道,370303196805010012\r\n";
    let (gbk, _, had_errors) = encoding_rs::GBK.encode(text);
    assert!(!had_errors);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "test data must not be valid UTF-8"
    );
    let sheet = read_table(&gbk).unwrap();
    assert_eq!(sheet.headers, strings(&["姓名", "街道", "身份证号"]));
    assert_eq!(
        sheet.rows[1].cells,
        strings(&["欧阳娜娜", "公园街道", "370303196805010012"])
    );
    assert_eq!(sheet.rows[1].number, 3);
}

#[test]
fn csv_empty_rows_keep_numbering() {
    let text = "\n姓名,金额\n张三,100\n\n,,\n李四,200\n\"王\n五\",300\n赵六,400\n";
    let sheet = read_table(text.as_bytes()).unwrap();
    assert_eq!(sheet.headers, strings(&["姓名", "金额"]));
    let numbers: Vec<usize> = sheet.rows.iter().map(|r| r.number).collect();
    // Line 1 blank, header on row 2, rows 4 and 5 empty; the quoted field spans two lines
    // but is one spreadsheet row.
    assert_eq!(numbers, vec![3, 6, 7, 8]);
    assert_eq!(sheet.rows[2].get(0), "王\n五");
}

#[test]
fn utf16_tab_separated() {
    let text = "姓名\t金额\r\n张三\t100\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let sheet = read_table(&bytes).unwrap();
    assert_eq!(sheet.headers, strings(&["姓名", "金额"]));
    assert_eq!(sheet.rows[0].cells, strings(&["张三", "100"]));
}

#[test]
fn csv_round_trip() {
    let rows = vec![
        strings(&["张三", "11010519491231002X", "a,b", "说\"好\""]),
        strings(&["李四", "370303196805010012", "", "x"]),
    ];
    let bytes = write_csv(&["姓名", "身份证号", "地址", "备注"], rows.clone());
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let sheet = read_table(&bytes).unwrap();
    assert_eq!(
        sheet.headers,
        strings(&["姓名", "身份证号", "地址", "备注"])
    );
    assert_eq!(sheet.rows[0].cells, rows[0]);
    assert_eq!(sheet.rows[1].cells, rows[1]);
}

#[test]
fn neither_xlsx_nor_csv() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert_eq!(read_table(png), Err(SheetError::NotASpreadsheet));
    assert_eq!(
        read_table(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"),
        Err(SheetError::NotASpreadsheet)
    );
    assert_eq!(
        read_table(b"a,b\n\x01\x02,c\n"),
        Err(SheetError::NotASpreadsheet)
    );
    assert_eq!(
        read_table(&[0u8, 159, 146, 150]),
        Err(SheetError::NotASpreadsheet)
    );
    assert_eq!(read_table(b""), Err(SheetError::Empty));
    assert_eq!(read_table(b" \r\n\r\n"), Err(SheetError::Empty));
    // A zip signature that is not a workbook.
    assert!(matches!(
        read_table(b"PK\x03\x04garbage"),
        Err(SheetError::Xlsx(_))
    ));
    // A UTF-8 BOM followed by invalid UTF-8.
    assert_eq!(
        read_table(b"\xEF\xBB\xBFa,\xFF\n"),
        Err(SheetError::BadEncoding)
    );
    assert!(!SheetError::NotASpreadsheet.reason_zh().is_empty());
}

#[test]
fn debug_does_not_print_cells() {
    let sheet = read_table("姓名,身份证号\n张三,11010519491231002X\n".as_bytes()).unwrap();
    let dbg = format!("{sheet:?} {:?}", sheet.rows[0]);
    assert!(!dbg.contains("11010519491231002X"), "{dbg}");
    assert!(!dbg.contains("张三"));
}

#[test]
fn csv_row_after_blank_lines_keeps_its_number() {
    // The reader placed a record that follows blank lines on the first blank line (row 2 here).
    let sheet = read_table("姓名\n\n张三\n\n\n李四\r\n".as_bytes()).unwrap();
    let numbers: Vec<usize> = sheet.rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, vec![3, 6]);
}
