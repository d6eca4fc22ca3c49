//! The register as a spreadsheet: the columns districts keep today, read into families (all rows checked,
//! the first bad rows reported with the count of all, nothing written unless all pass) and written back out.
//! The columns are documented in `docs/import.md`.

use nuanxin_ids::FamilyId;
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use nuanxin_db::models::audit::NewAuditEvent;
use nuanxin_db::models::family::{FamilyChange, FamilyRecord, Scope};
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::family::{Child, Family, FamilyInput, ParentRole};
use nuanxin_domain::FieldError;
use nuanxin_privacy::mask_name;
use nuanxin_sheets::{read_table_with, write_xlsx, SheetLimits, SheetRow};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::codec::Meta;
use super::view::Reveal;
use super::{Registry, RegistryError};
use crate::audit::Actor;

/// One problem in one cell (or row) of an imported file.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The column header, when the problem is in one cell.
    pub column: Option<String>,
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// The row errors of one import: the first [`RowErrors::REPORTED`] by row, and how many there were in all
/// (a file of bad rows must not answer with an error body larger than itself).
#[derive(Debug, Default)]
pub struct RowErrors {
    kept: Vec<RowError>,
    total: usize,
}

impl RowErrors {
    /// How many errors an answer lists.
    pub const REPORTED: usize = 200;

    pub fn push(&mut self, error: RowError) {
        self.total += 1;
        self.kept.push(error);
        if self.kept.len() >= 2 * Self::REPORTED {
            self.keep_first();
        }
    }

    /// How many errors were found, listed or not.
    pub fn total(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The first errors by row (a row's errors in the order found) and the total.
    pub fn into_reported(mut self) -> (Vec<RowError>, usize) {
        self.keep_first();
        (self.kept, self.total)
    }

    fn keep_first(&mut self) {
        // Stable: the errors of one row stay in the order they were found.
        self.kept.sort_by_key(|e| e.row);
        self.kept.truncate(Self::REPORTED);
    }
}

impl Extend<RowError> for RowErrors {
    fn extend<I: IntoIterator<Item = RowError>>(&mut self, errors: I) {
        for e in errors {
            self.push(e);
        }
    }
}

/// How large an imported file may be, within the route's own body limit: a district's register fits, a file
/// that would take the service's memory is refused before it is unpacked.
pub const IMPORT_LIMITS: SheetLimits = SheetLimits {
    max_rows: 200_000,
    max_columns: 64,
    max_cells: 5_000_000,
    max_unpacked_bytes: 200 * 1024 * 1024,
    max_text_bytes: 200 * 1024 * 1024,
};

/// Imports read, checked and written at once on a node: one file at the limits takes hundreds of MB until it is
/// written, and imports are rare, so the next one waits its turn.
pub const IMPORTS_AT_ONCE: usize = 1;

/// A file that passed every check that needs no database: its families, and the errors found so far.
pub struct CheckedImport {
    families: Vec<(usize, Family)>,
    /// Keyed hash of each parent's resident ID → the row it is on.
    seen_ids: HashMap<Vec<u8>, usize>,
    errors: RowErrors,
}

#[derive(Clone, Copy)]
enum Cell {
    Text,
    Date,
    Money,
    Grade,
    Bool,
    Coordinate,
    Kind,
    SelfCare,
    Care,
    Category,
}

/// A column: its header, where it goes in the family input, and how its cells read.
struct Column {
    header: String,
    path: String,
    cell: Cell,
}

const PARENT_FIELDS: [(&str, &str, Cell); 14] = [
    ("姓名", "name", Cell::Text),
    ("身份证号", "resident_id", Cell::Text),
    ("电话", "phone", Cell::Text),
    ("健在", "alive", Cell::Bool),
    ("自理能力", "self_care", Cell::SelfCare),
    ("三无人员", "sanwu", Cell::Bool),
    ("养老方式", "care", Cell::Care),
    ("入住本区养老机构", "nursing_home_in_district", Cell::Bool),
    (
        "重大疾病住院日期",
        "major_illness_hospitalized_on",
        Cell::Date,
    ),
    ("个人自付医疗费", "out_of_pocket_medical_cny", Cell::Money),
    (
        "再生育治疗开始日期",
        "fertility_treatment_since",
        Cell::Date,
    ),
    ("需要居家养老服务", "wants_home_services", Cell::Bool),
    ("开户银行", "bank_name", Cell::Text),
    ("银行账号", "bank_account", Cell::Text),
];

fn columns() -> Vec<Column> {
    let col = |header: &str, path: &str, cell| Column {
        header: header.into(),
        path: path.into(),
        cell,
    };
    let mut cols = vec![
        col("家庭类别", "kind", Cell::Kind),
        col("户籍所在区", "hukou_district", Cell::Text),
        col("街道（镇）", "street", Cell::Text),
        col("社区（村）", "community", Cell::Text),
        col("住址", "address", Cell::Text),
        col("纬度", "coordinates.lat", Cell::Coordinate),
        col("经度", "coordinates.lon", Cell::Coordinate),
        col("子女死亡日期", "child.died_on", Cell::Date),
        col("子女残疾等级", "child.disability_grade", Cell::Grade),
        col("残疾鉴定日期", "child.certified_on", Cell::Date),
        col(
            "家庭月人均收入",
            "household.monthly_income_per_capita_cny",
            Cell::Money,
        ),
        col(
            "上年家庭总收入",
            "household.prior_year_total_income_cny",
            Cell::Money,
        ),
        col(
            "辅助生殖再生育日期",
            "rebirth.assisted_reproduction_birth_on",
            Cell::Date,
        ),
    ];
    for (label, role) in [("母亲", "mother"), ("父亲", "father")] {
        for (name, field, cell) in PARENT_FIELDS {
            cols.push(col(
                &format!("{label}{name}"),
                &format!("{role}.{field}"),
                cell,
            ));
        }
    }
    for i in 1..=5 {
        cols.push(col(
            &format!("联系人{i}姓名"),
            &format!("contacts[{}].name", i - 1),
            Cell::Text,
        ));
        cols.push(col(
            &format!("联系人{i}类别"),
            &format!("contacts[{}].category", i - 1),
            Cell::Category,
        ));
        cols.push(col(
            &format!("联系人{i}电话"),
            &format!("contacts[{}].phone", i - 1),
            Cell::Text,
        ));
    }
    cols
}

/// The header row of an export (and of the import template).
pub fn headers() -> Vec<String> {
    columns().into_iter().map(|c| c.header).collect()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "是" | "Y" | "y" | "yes" | "true" | "1" => Some(true),
        "否" | "N" | "n" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// Integer yuan; "1800", "1,800" and "1800.00" read as 1800, a fraction of a yuan is refused.
fn parse_money(s: &str) -> Option<i64> {
    let s = s.replace([',', '，'], "");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if !frac.chars().all(|c| c == '0') {
        return None;
    }
    whole.parse().ok()
}

fn cell_value(cell: Cell, raw: &str) -> Result<Value, (&'static str, String)> {
    // The value is not quoted: it may be personal data, and of any length.
    let bad = |what: &str| ("invalid_cell", format!("不是有效的{what}"));
    Ok(match cell {
        Cell::Text => json!(raw),
        Cell::Date => json!(parse_date(raw).ok_or_else(|| bad("日期（如2024-05-01）"))?),
        Cell::Money => json!(parse_money(raw).ok_or_else(|| bad("金额（整数元）"))?),
        Cell::Grade => json!(raw.parse::<i16>().map_err(|_| bad("残疾等级"))?),
        Cell::Bool => json!(parse_bool(raw).ok_or_else(|| bad("是/否"))?),
        Cell::Coordinate => json!(raw.parse::<f64>().map_err(|_| bad("坐标"))?),
        Cell::Kind => json!(match raw {
            "失独" | "bereaved" => "bereaved",
            "残疾" | "伤残" | "disabled" => "disabled",
            _ => return Err(bad("家庭类别（失独/残疾）")),
        }),
        Cell::SelfCare => json!(match raw {
            "自理" | "full" => "full",
            "半自理" | "partial" => "partial",
            "不能自理" | "none" => "none",
            _ => return Err(bad("自理能力（自理/半自理/不能自理）")),
        }),
        Cell::Care => json!(match raw {
            "居家" | "居家养老" | "home" => "home",
            "机构" | "养老机构" | "nursing_home" => "nursing_home",
            _ => return Err(bad("养老方式（居家/机构）")),
        }),
        Cell::Category => json!(match raw {
            "镇（街道）干部" | "街道干部" | "镇干部" | "street_cadre" =>
                "street_cadre",
            "村（居）干部" | "村居干部" | "村干部" | "居委会干部" | "village_cadre" =>
                "village_cadre",
            "家庭医生" | "family_doctor" => "family_doctor",
            "网格员" | "社区专职网格员" | "grid_worker" => "grid_worker",
            "计生协会员" | "association_member" => "association_member",
            "志愿者" | "社区志愿者" | "volunteer" => "volunteer",
            _ => return Err(bad("联系人类别")),
        }),
    })
}

/// Puts `value` at a dotted path like `contacts[2].name` or `household.x`.
fn put(root: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut node = root;
    while let Some(part) = parts.next() {
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let last = parts.peek().is_none();
        let slot = match index {
            Some(i) => {
                let array = node.entry(key).or_insert_with(|| json!([])).as_array_mut();
                let Some(array) = array else { return };
                while array.len() <= i {
                    array.push(json!({}));
                }
                &mut array[i]
            }
            None if last => {
                node.insert(key.to_owned(), value);
                return;
            }
            None => node.entry(key).or_insert_with(|| json!({})),
        };
        if last {
            *slot = value;
            return;
        }
        let Some(next) = slot.as_object_mut() else {
            return;
        };
        node = next;
    }
}

/// Reads one row into a family input; the map tells which column each input field came from.
fn row_input(
    row: &SheetRow,
    cols: &[(usize, &Column)],
    district_slug: &str,
    errors: &mut RowErrors,
) -> Option<(FamilyInput, HashMap<String, String>)> {
    let mut root = Map::new();
    let mut origin = HashMap::new();
    let mut parents: Vec<(String, Map<String, Value>)> = Vec::new();
    let mut ok = true;
    for (index, col) in cols {
        let raw = row.get(*index).trim();
        if raw.is_empty() {
            continue;
        }
        let value = match cell_value(col.cell, raw) {
            Ok(v) => v,
            Err((code, message)) => {
                errors.push(RowError {
                    row: row.number,
                    column: Some(col.header.clone()),
                    field: col.path.clone(),
                    code,
                    message,
                });
                ok = false;
                continue;
            }
        };
        if let Some((role, field)) = col
            .path
            .split_once('.')
            .filter(|(r, _)| *r == "mother" || *r == "father")
        {
            let slot = match parents.iter().position(|(r, _)| r == role) {
                Some(i) => i,
                None => {
                    parents.push((role.to_owned(), Map::new()));
                    parents.len() - 1
                }
            };
            parents[slot].1.insert(field.to_owned(), value);
        } else {
            origin.insert(col.path.clone(), col.header.clone());
            put(&mut root, &col.path, value);
        }
    }
    // Mother first, then father; only parents with a name or ID are present.
    parents.sort_by_key(|(role, _)| role != "mother");
    let mut parent_values = Vec::new();
    for (role, mut fields) in parents {
        let index = parent_values.len();
        let label = if role == "mother" { "母亲" } else { "父亲" };
        for (name, field, _) in PARENT_FIELDS {
            origin.insert(
                format!("parents[{index}].{field}"),
                format!("{label}{name}"),
            );
        }
        fields.insert("role".into(), json!(role));
        parent_values.push(Value::Object(fields));
    }
    root.insert("parents".into(), Value::Array(parent_values));
    root.entry("hukou_district")
        .or_insert_with(|| json!(district_slug));
    root.entry("contacts").or_insert_with(|| json!([]));
    for key in ["street", "community", "address"] {
        root.entry(key).or_insert_with(|| json!(""));
    }
    let child = match root.get("kind").and_then(Value::as_str) {
        Some("bereaved") => {
            json!({"status": "deceased", "died_on": root.get("child").and_then(|c| c.get("died_on")).cloned().unwrap_or(Value::Null)})
        }
        _ => json!({"status": "disabled",
                    "disability_grade": root.get("child").and_then(|c| c.get("disability_grade")).cloned().unwrap_or(Value::Null),
                    "certified_on": root.get("child").and_then(|c| c.get("certified_on")).cloned().unwrap_or(Value::Null)}),
    };
    root.insert("child".into(), child);
    if !ok {
        return None;
    }
    match serde_json::from_value::<FamilyInput>(Value::Object(root)) {
        Ok(input) => Some((input, origin)),
        Err(e) => {
            let message = e.to_string();
            let (column, field) = missing_column(&message);
            errors.push(RowError {
                row: row.number,
                column,
                field,
                code: "missing_value",
                message: format!("缺少必填项：{message}"),
            });
            None
        }
    }
}

/// Which column a serde "missing field" message is about.
fn missing_column(message: &str) -> (Option<String>, String) {
    let labels = [
        ("kind", "家庭类别"),
        ("died_on", "子女死亡日期"),
        ("disability_grade", "子女残疾等级"),
        ("certified_on", "残疾鉴定日期"),
        ("monthly_income_per_capita_cny", "家庭月人均收入"),
        ("prior_year_total_income_cny", "上年家庭总收入"),
        ("household", "家庭月人均收入"),
        ("name", "姓名"),
        ("resident_id", "身份证号"),
        ("category", "联系人类别"),
    ];
    labels
        .iter()
        .find(|(field, _)| message.contains(&format!("`{field}`")))
        .map(|(field, label)| (Some((*label).to_owned()), (*field).to_owned()))
        .unwrap_or((None, "row".into()))
}

/// A header as an error names it: a header may be a whole paragraph.
fn shortened(header: &str) -> String {
    const MAX_CHARS: usize = 40;
    match header.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => format!("{}…", &header[..end]),
        None => header.to_owned(),
    }
}

fn to_row_error(row: usize, e: FieldError, origin: &HashMap<String, String>) -> RowError {
    let column = origin.get(&e.field).cloned().or_else(|| {
        // `contacts` (the count) and `child.status` have no single cell.
        origin
            .iter()
            .find(|(path, _)| path.starts_with(&e.field))
            .map(|(_, h)| h.clone())
            .filter(|_| e.field != "contacts")
    });
    RowError {
        row,
        column,
        field: e.field,
        code: e.code,
        message: e.message,
    }
}

impl Registry<'_> {
    /// Imports every row of `bytes` (xlsx or CSV) or none: returns how many families were registered.
    /// [`Registry::check_import`] and then [`Registry::import_checked`]; a caller on an async worker runs the
    /// first off it.
    pub async fn import(
        &self,
        conn: &mut AsyncPgConnection,
        actor: &Actor,
        bytes: &[u8],
        scope: Scope,
    ) -> Result<usize, RegistryError> {
        let checked = self.check_import(bytes, scope)?;
        self.import_checked(conn, actor, checked).await
    }

    /// Reads `bytes` within [`IMPORT_LIMITS`] and checks every row (CPU work, no database): the file's headers
    /// must be the layout's, its rows valid families in `scope`, each person once.
    pub fn check_import(&self, bytes: &[u8], scope: Scope) -> Result<CheckedImport, RegistryError> {
        let sheet = read_table_with(bytes, &IMPORT_LIMITS)?;
        let all = columns();
        let mut errors = RowErrors::default();
        let mut cols = Vec::new();
        for col in &all {
            if let Some(i) = sheet.column(&col.header) {
                cols.push((i, col));
            }
        }
        for required in [
            "家庭类别",
            "街道（镇）",
            "社区（村）",
            "住址",
            "家庭月人均收入",
            "上年家庭总收入",
        ] {
            if sheet.column(required).is_none() {
                errors.push(RowError {
                    row: 1,
                    column: Some(required.into()),
                    field: "header".into(),
                    code: "missing_column",
                    message: format!("缺少列“{required}”"),
                });
            }
        }
        for (i, header) in sheet.headers.iter().enumerate() {
            if !header.is_empty() && !all.iter().any(|c| &c.header == header) {
                errors.push(RowError {
                    row: 1,
                    column: Some(shortened(header)),
                    field: "header".into(),
                    code: "unknown_column",
                    message: format!("第{}列“{}”不是登记表的列", i + 1, shortened(header)),
                });
            }
        }
        if !errors.is_empty() {
            return Err(RegistryError::Import(errors));
        }
        let today = self.district.today();
        let mut families: Vec<(usize, Family)> = Vec::with_capacity(sheet.rows.len());
        let mut seen_ids: HashMap<Vec<u8>, usize> = HashMap::new();
        for row in &sheet.rows {
            let Some((input, origin)) = row_input(row, &cols, &self.district.slug, &mut errors)
            else {
                continue;
            };
            match input.validate(&self.district.orgs, &self.district.hukou_names, today) {
                Ok(family) => {
                    if matches!(scope, Scope::Street(s) if s != family.street_id) {
                        errors.push(RowError {
                            row: row.number,
                            column: Some("街道（镇）".into()),
                            field: "street".into(),
                            code: "outside_scope",
                            message: "只能导入本街道的家庭".into(),
                        });
                    }
                    for (i, p) in family.parents.iter().enumerate() {
                        let hash = self.codec.resident_hash(&p.resident_id);
                        if let Some(first) = seen_ids.insert(hash.to_vec(), row.number) {
                            let field = format!("parents[{i}].resident_id");
                            errors.push(RowError {
                                row: row.number,
                                column: origin.get(&field).cloned(),
                                field,
                                code: "duplicate_in_file",
                                message: format!("身份证号与第{first}行重复"),
                            });
                        }
                    }
                    families.push((row.number, family));
                }
                Err(found) => errors.extend(
                    found
                        .0
                        .into_iter()
                        .map(|e| to_row_error(row.number, e, &origin)),
                ),
            }
        }
        if sheet.rows.is_empty() {
            errors.push(RowError {
                row: 2,
                column: None,
                field: "rows".into(),
                code: "empty",
                message: "文件中没有数据行".into(),
            });
        }
        Ok(CheckedImport {
            families,
            seen_ids,
            errors,
        })
    }

    /// Registers a checked file's families, unless a row has an error or a person is registered already.
    pub async fn import_checked(
        &self,
        conn: &mut AsyncPgConnection,
        actor: &Actor,
        checked: CheckedImport,
    ) -> Result<usize, RegistryError> {
        let CheckedImport {
            families,
            seen_ids,
            mut errors,
        } = checked;
        let hashes: Vec<Vec<u8>> = seen_ids.keys().cloned().collect();
        for taken in FamilyRecord::registered_resident_hashes(conn, &hashes, None).await? {
            if let Some(row) = seen_ids.get(&taken) {
                errors.push(RowError {
                    row: *row,
                    column: None,
                    field: "resident_id".into(),
                    code: "already_registered",
                    message: "此身份证号已在本区登记".into(),
                });
            }
        }
        if !errors.is_empty() {
            return Err(RegistryError::Import(errors));
        }
        let now = Utc::now();
        let mut records = Vec::with_capacity(families.len());
        let mut changes = Vec::with_capacity(families.len());
        let mut events = Vec::with_capacity(families.len());
        for (row, family) in &families {
            let id = FamilyId::generate();
            records.push(self.codec.encode(id, family, Meta::new(now))?);
            changes.push(FamilyChange {
                tenant_id: self.district.id,
                family_id: id,
                version: 1,
                changed_at: now,
                actor_id: actor.user_id,
                actor_name: actor.name.clone(),
                action: "import".into(),
                changes: json!([{"field": "", "from": null, "to": family.to_masked_json(&self.district.orgs), "row": row}]),
            });
            events.push(NewAuditEvent {
                tenant_id: self.district.id,
                occurred_at: None,
                actor: actor.actor.clone(),
                action: "family.import".into(),
                object_type: "family".into(),
                object_id: id.to_string(),
                detail: json!({"row": row}),
                request_id: actor.request_id.clone(),
            });
        }
        FamilyRecord::insert_many(conn, &records).await?;
        FamilyChange::insert_many(conn, &changes).await?;
        NewAuditEvent::insert_many(conn, &events).await?;
        Ok(records.len())
    }

    /// The families as an xlsx workbook in the import layout.
    pub fn export(
        &self,
        families: &[(FamilyRecord, Family)],
        reveal: Reveal,
    ) -> Result<Vec<u8>, RegistryError> {
        let cols = columns();
        let headers: Vec<&str> = cols.iter().map(|c| c.header.as_str()).collect();
        let rows = families.iter().map(|(_, f)| {
            cols.iter()
                .map(|c| self.export_cell(f, &c.path, reveal))
                .collect::<Vec<String>>()
        });
        Ok(write_xlsx("计生特殊家庭", &headers, rows)?)
    }

    fn export_cell(&self, f: &Family, path: &str, reveal: Reveal) -> String {
        let yes_no = |b: bool| if b { "是" } else { "否" }.to_owned();
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let orgs = &self.district.orgs;
        if let Some((role, field)) = path
            .split_once('.')
            .filter(|(r, _)| *r == "mother" || *r == "father")
        {
            let role = if role == "mother" {
                ParentRole::Mother
            } else {
                ParentRole::Father
            };
            let Some(p) = f.parent(role) else {
                return String::new();
            };
            return match field {
                "name" if reveal == Reveal::Full => p.name.clone(),
                "name" => mask_name(&p.name),
                "resident_id" if reveal == Reveal::Full => p.resident_id.as_str().to_owned(),
                "resident_id" => p.resident_id.masked(),
                "phone" => p
                    .phone
                    .as_ref()
                    .map(|ph| {
                        if reveal == Reveal::Full {
                            ph.as_str().to_owned()
                        } else {
                            ph.masked()
                        }
                    })
                    .unwrap_or_default(),
                "alive" => yes_no(p.alive),
                "self_care" => ["自理", "半自理", "不能自理"][p.self_care as usize].to_owned(),
                "sanwu" => yes_no(p.sanwu),
                "care" => if p.care == nuanxin_domain::family::Care::Home {
                    "居家"
                } else {
                    "机构"
                }
                .to_owned(),
                "nursing_home_in_district" => yes_no(p.nursing_home_in_district),
                "major_illness_hospitalized_on" => date(p.major_illness_hospitalized_on),
                "out_of_pocket_medical_cny" => p.out_of_pocket_medical_cny.to_string(),
                "fertility_treatment_since" => date(p.fertility_treatment_since),
                "wants_home_services" => yes_no(p.wants_home_services),
                "bank_name" => p
                    .bank_account
                    .as_ref()
                    .map(|a| a.bank.clone())
                    .unwrap_or_default(),
                "bank_account" => p
                    .bank_account
                    .as_ref()
                    .map(|a| match reveal {
                        Reveal::Full => a.number.as_str().to_owned(),
                        Reveal::Masked => a.number.masked(),
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            };
        }
        if let Some(rest) = path.strip_prefix("contacts[") {
            let (index, field) = rest.split_once("].").unwrap_or(("", ""));
            let Some(c) = index.parse::<usize>().ok().and_then(|i| f.contacts.get(i)) else {
                return String::new();
            };
            return match field {
                "name" => c.name.clone(),
                "category" => contact_category_zh(c.category).to_owned(),
                "phone" => c
                    .phone
                    .as_ref()
                    .map(|ph| {
                        if reveal == Reveal::Full {
                            ph.as_str().to_owned()
                        } else {
                            ph.masked()
                        }
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            };
        }
        match path {
            "kind" => if f.kind == nuanxin_domain::family::FamilyKind::Bereaved {
                "失独"
            } else {
                "残疾"
            }
            .to_owned(),
            "hukou_district" => f.hukou_district.clone(),
            "street" => orgs.name_of(f.street_id).to_owned(),
            "community" => orgs.name_of(f.community_id).to_owned(),
            "address" => f.address.clone(),
            "coordinates.lat" => f.coordinates.map(|c| c.lat.to_string()).unwrap_or_default(),
            "coordinates.lon" => f.coordinates.map(|c| c.lon.to_string()).unwrap_or_default(),
            "child.died_on" => match f.child {
                Child::Deceased { died_on } => died_on.to_string(),
                Child::Disabled { .. } => String::new(),
            },
            "child.disability_grade" => match f.child {
                Child::Disabled {
                    disability_grade, ..
                } => disability_grade.to_string(),
                Child::Deceased { .. } => String::new(),
            },
            "child.certified_on" => match f.child {
                Child::Disabled { certified_on, .. } => certified_on.to_string(),
                Child::Deceased { .. } => String::new(),
            },
            "household.monthly_income_per_capita_cny" => {
                f.household.monthly_income_per_capita_cny.to_string()
            }
            "household.prior_year_total_income_cny" => {
                f.household.prior_year_total_income_cny.to_string()
            }
            "rebirth.assisted_reproduction_birth_on" => {
                date(f.rebirth.assisted_reproduction_birth_on)
            }
            _ => String::new(),
        }
    }
}

fn contact_category_zh(c: nuanxin_domain::family::ContactCategory) -> &'static str {
    use nuanxin_domain::family::ContactCategory::*;
    match c {
        StreetCadre => "镇（街道）干部",
        VillageCadre => "村（居）干部",
        FamilyDoctor => "家庭医生",
        GridWorker => "网格员",
        AssociationMember => "计生协会员",
        Volunteer => "志愿者",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(row: usize, serial: usize) -> RowError {
        RowError {
            row,
            column: None,
            field: format!("e{serial}"),
            code: "invalid_cell",
            message: String::new(),
        }
    }

    #[test]
    fn row_errors_keep_the_first_by_row_and_count_all() {
        for (count, stride) in [(0, 1), (150, 7), (1_000, 7_919), (5_000, 104_729)] {
            // Rows in a scrambled order, some rows twice: the brute force is a stable sort of all of them.
            let all: Vec<RowError> = (0..count)
                .map(|i| error((i * stride) % (count / 2 + 1) + 2, i))
                .collect();
            let mut errors = RowErrors::default();
            errors.extend(all.iter().cloned());
            let (reported, total) = errors.into_reported();
            let mut want = all;
            want.sort_by_key(|e| e.row);
            want.truncate(RowErrors::REPORTED);
            assert_eq!(total, count);
            let key = |e: &RowError| (e.row, e.field.clone());
            assert_eq!(
                reported.iter().map(key).collect::<Vec<_>>(),
                want.iter().map(key).collect::<Vec<_>>(),
                "{count} errors"
            );
        }
    }

    #[test]
    fn long_headers_are_shortened_in_errors() {
        assert_eq!(shortened("姓名"), "姓名");
        let long = "很".repeat(1_000);
        assert_eq!(shortened(&long).chars().count(), 41);
        assert!(shortened(&long).ends_with('…'));
    }
}
