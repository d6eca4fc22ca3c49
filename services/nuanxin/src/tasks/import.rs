//! Volunteers imported from a spreadsheet (xlsx or CSV), like the register: the file is read within the
//! register's limits, every row is checked by the same validation as `POST /volunteers` and against what
//! the caller manages (an organization its own volunteers, a street the independent ones), every problem
//! is named by row, column and reason without repeating the cell's value, and nothing is written unless
//! every row passes. The rows are then inserted in one transaction with one audit event.

use std::collections::HashMap;

use chrono::NaiveDate;
use nuanxin_db::models::tasks::Volunteer;
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::tasks::config::MatchingConfig;
use nuanxin_domain::tasks::input::{HeldQualification, VolunteerInput, VolunteerSpec};
use nuanxin_domain::tasks::{parse_weekday, Slot};
use nuanxin_domain::ValidationErrors;
use nuanxin_sheets::{read_table_with, SheetRow};
use serde_json::json;

use super::volunteers::{managed, organization_of, user_of, volunteer_row};
use super::{config, TaskError};
use crate::audit;
use crate::auth::Authorized;
use crate::registry::import::{RowError, RowErrors, IMPORT_LIMITS};
use crate::state::AppState;

/// The columns of a volunteer file: the header and the input field its cells fill.
pub const COLUMNS: [(&str, &str); 12] = [
    ("姓名", "name"),
    ("所属组织", "organization"),
    ("账号", "username"),
    ("电子邮箱", "email"),
    ("电话", "phone"),
    ("技能", "skills"),
    ("资质", "qualifications"),
    ("纬度", "home.lat"),
    ("经度", "home.lon"),
    ("可服务时间", "availability"),
    ("每周最多任务数", "weekly_max"),
    ("机构排序", "preference"),
];

/// Columns a file must have.
const REQUIRED: [&str; 4] = ["姓名", "技能", "可服务时间", "每周最多任务数"];

/// Separators of a cell's list (技能: 日间巡视、送餐).
const LIST: [char; 6] = ['、', ',', '，', ';', '；', '\n'];

/// A checked file: each row's number and volunteer.
type Checked = Vec<(usize, VolunteerSpec)>;

fn row_error(
    row: usize,
    header: &str,
    field: &str,
    code: &'static str,
    message: String,
) -> RowError {
    RowError {
        row,
        column: Some(header.to_owned()),
        field: field.to_owned(),
        code,
        message,
    }
}

/// The header of the column an input field came from (`skills[2]` → 技能).
fn header_of(field: &str) -> Option<&'static str> {
    let root = field.split(['[', '.']).next().unwrap_or(field);
    COLUMNS
        .iter()
        .find(|(_, f)| *f == field)
        .or_else(|| {
            COLUMNS
                .iter()
                .find(|(_, f)| f.split('.').next() == Some(root))
        })
        .map(|(h, _)| *h)
}

fn items(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(LIST).map(str::trim).filter(|s| !s.is_empty())
}

/// A skill or qualification given by its Chinese name or its code.
fn code_of<'a>(names: impl Iterator<Item = (&'a str, &'a str)>, item: &str) -> String {
    names
        .into_iter()
        .find(|(code, name)| *name == item || *code == item)
        .map_or_else(|| item.to_owned(), |(code, _)| code.to_owned())
}

/// 周一08:00-12:00, 星期三 14:00–18:00, mon 08:00-12:00.
fn slot(item: &str) -> Option<Slot> {
    let item = item.trim();
    let split = item.find(|c: char| c.is_ascii_digit())?;
    let (day, times) = item.split_at(split);
    let day = day.trim();
    let zh = ["一", "二", "三", "四", "五", "六", "日"];
    let day = zh
        .iter()
        .position(|d| {
            [format!("周{d}"), format!("星期{d}")].contains(&day.to_owned())
                || (*d == "日" && (day == "周天" || day == "星期天"))
        })
        .and_then(|i| parse_weekday(["mon", "tue", "wed", "thu", "fri", "sat", "sun"][i]))
        .or_else(|| parse_weekday(&day.to_ascii_lowercase()))?;
    let (from, to) = times.split_once(['-', '–', '—', '~', '～'])?;
    let time = |t: &str| chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").ok();
    Some(Slot {
        day,
        from: time(from)?,
        to: time(to)?,
    })
}

/// 心理咨询资质:2027-06-30 (the expiry after a colon; none: does not expire).
fn qualification(cfg: &MatchingConfig, item: &str) -> Option<HeldQualification> {
    let (name, expires) = match item.split_once([':', '：']) {
        Some((n, e)) => (n.trim(), Some(e.trim())),
        None => (item, None),
    };
    let expires_on = match expires {
        None => None,
        Some(e) => Some(
            ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(e, f).ok())?,
        ),
    };
    Some(HeldQualification {
        code: code_of(
            cfg.qualifications
                .iter()
                .map(|q| (q.code.as_str(), q.name.as_str())),
            name,
        ),
        expires_on,
    })
}

/// Reads one row into a volunteer's input; a cell that does not read is a row error.
fn row_input(
    cfg: &MatchingConfig,
    row: &SheetRow,
    at: &HashMap<&'static str, usize>,
    errors: &mut RowErrors,
) -> Option<VolunteerInput> {
    let cell = |header: &str| at.get(header).map_or("", |&i| row.get(i).trim());
    let text = |header: &str| Some(cell(header).to_owned()).filter(|s| !s.is_empty());
    let before = errors.total();
    let mut bad = |header: &'static str, message: &str| {
        let field = COLUMNS
            .iter()
            .find(|(h, _)| *h == header)
            .map_or("", |(_, f)| f);
        errors.push(row_error(
            row.number,
            header,
            field,
            "invalid_cell",
            message.to_owned(),
        ));
    };
    for header in REQUIRED {
        if cell(header).is_empty() {
            bad(header, "必填项为空");
        }
    }
    let skills = items(cell("技能"))
        .map(|s| {
            code_of(
                cfg.skills
                    .iter()
                    .map(|k| (k.code.as_str(), k.name.as_str())),
                s,
            )
        })
        .collect();
    let mut qualifications = Vec::new();
    for item in items(cell("资质")) {
        match qualification(cfg, item) {
            Some(q) => qualifications.push(q),
            None => bad("资质", "不是有效的资质（如 心理咨询资质:2027-06-30）"),
        }
    }
    let mut availability = Vec::new();
    for item in items(cell("可服务时间")) {
        match slot(item) {
            Some(s) => availability.push(s),
            None => bad("可服务时间", "不是有效的时段（如 周一08:00-12:00）"),
        }
    }
    let number = |header: &'static str, bad: &mut dyn FnMut(&'static str, &str)| {
        let raw = cell(header);
        if raw.is_empty() {
            return None;
        }
        let value = raw.parse::<f64>().ok().filter(|v| v.is_finite());
        if value.is_none() {
            bad(header, "不是有效的数字");
        }
        value
    };
    let lat = number("纬度", &mut bad);
    let lon = number("经度", &mut bad);
    let home = match (lat, lon, cell("纬度").is_empty(), cell("经度").is_empty()) {
        (Some(lat), Some(lon), _, _) => Some(nuanxin_domain::family::Coordinates { lat, lon }),
        (_, _, true, false) => {
            bad("纬度", "纬度和经度应同时填写");
            None
        }
        (_, _, false, true) => {
            bad("经度", "纬度和经度应同时填写");
            None
        }
        _ => None,
    };
    let whole = |header: &'static str, bad: &mut dyn FnMut(&'static str, &str)| {
        let raw = cell(header);
        if raw.is_empty() {
            return None;
        }
        let value = raw.parse::<u8>().ok();
        if value.is_none() {
            bad(header, "不是有效的整数");
        }
        value
    };
    let weekly_max = whole("每周最多任务数", &mut bad);
    let preference = whole("机构排序", &mut bad).unwrap_or(0);
    if errors.total() > before {
        return None;
    }
    Some(VolunteerInput {
        name: cell("姓名").to_owned(),
        organization: text("所属组织"),
        username: text("账号"),
        email: text("电子邮箱"),
        phone: text("电话"),
        skills,
        qualifications,
        home,
        availability,
        weekly_max: u32::from(weekly_max.unwrap_or(0)),
        preference,
        training: Vec::new(),
    })
}

/// Reads the file and checks every row without the database (CPU work: run it on a blocking thread).
pub fn check_file(
    cfg: &MatchingConfig,
    today: NaiveDate,
    bytes: &[u8],
) -> Result<Checked, TaskError> {
    let sheet = read_table_with(bytes, &IMPORT_LIMITS)?;
    let mut errors = RowErrors::default();
    let mut at = HashMap::new();
    for (header, _) in COLUMNS {
        if let Some(i) = sheet.column(header) {
            at.insert(header, i);
        }
    }
    for required in REQUIRED {
        if !at.contains_key(required) {
            errors.push(row_error(
                1,
                required,
                "header",
                "missing_column",
                format!("缺少列“{required}”"),
            ));
        }
    }
    for (i, header) in sheet.headers.iter().enumerate() {
        if !header.is_empty() && !COLUMNS.iter().any(|(h, _)| h == header) {
            errors.push(RowError {
                row: 1,
                column: None,
                field: "header".into(),
                code: "unknown_column",
                message: format!("第{}列不是志愿者表的列", i + 1),
            });
        }
    }
    if sheet.rows.is_empty() {
        errors.push(RowError {
            row: 2,
            column: None,
            field: "rows".into(),
            code: "empty_file",
            message: "文件中没有志愿者".into(),
        });
    }
    if !errors.is_empty() {
        return Err(TaskError::Import(errors));
    }
    let mut checked = Vec::with_capacity(sheet.rows.len());
    let mut usernames: HashMap<String, usize> = HashMap::new();
    for row in &sheet.rows {
        let Some(input) = row_input(cfg, row, &at, &mut errors) else {
            continue;
        };
        match input.validate(cfg, today) {
            Ok(spec) => {
                if let Some(first) = spec
                    .username
                    .clone()
                    .and_then(|u| usernames.insert(u, row.number))
                {
                    errors.push(row_error(
                        row.number,
                        "账号",
                        "username",
                        "duplicate_in_file",
                        format!("账号与第{first}行重复"),
                    ));
                }
                checked.push((row.number, spec));
            }
            Err(ValidationErrors(found)) => errors.extend(found.into_iter().map(|e| RowError {
                row: row.number,
                column: header_of(&e.field).map(str::to_owned),
                field: e.field,
                code: e.code,
                message: e.message,
            })),
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(TaskError::Import(errors))
    }
}

/// Imports a checked file for the caller: every row's organization must be one the caller manages and
/// every account known and not yet a volunteer, else nothing is written. Returns how many were imported.
pub async fn import_file(
    state: &AppState,
    auth: &Authorized,
    bytes: Vec<u8>,
) -> Result<usize, TaskError> {
    let district = auth.district.clone();
    let cfg = config(&district)?;
    let checked = {
        let (cfg, today) = (cfg.clone(), district.today());
        tokio::task::spawn_blocking(move || check_file(&cfg, today, &bytes)).await??
    };
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let managed = managed(&mut tx, auth).await?;
    let mut errors = RowErrors::default();
    let mut rows = Vec::with_capacity(checked.len());
    for (number, spec) in &checked {
        let organization_id = match organization_of(&district, spec, managed) {
            Ok(org) => org,
            Err(TaskError::Forbidden) => {
                errors.push(row_error(
                    *number,
                    "所属组织",
                    "organization",
                    "outside_scope",
                    if managed.is_some_and(|m| m.is_some()) {
                        "只能导入本机构的志愿者".into()
                    } else {
                        "街道只能导入独立志愿者（所属组织留空）".into()
                    },
                ));
                continue;
            }
            Err(TaskError::Validation(found)) => {
                errors.extend(
                    found
                        .0
                        .into_iter()
                        .map(|e| row_error(*number, "所属组织", &e.field, e.code, e.message)),
                );
                continue;
            }
            Err(other) => return Err(other),
        };
        let user_id = match user_of(&mut tx, spec).await {
            Ok(Some(user)) if Volunteer::of_user(&mut tx, user).await?.is_some() => {
                errors.push(row_error(
                    *number,
                    "账号",
                    "username",
                    "already_volunteer",
                    "该账号已登记为志愿者".into(),
                ));
                continue;
            }
            Ok(user) => user,
            Err(TaskError::Validation(found)) => {
                errors.extend(
                    found
                        .0
                        .into_iter()
                        .map(|e| row_error(*number, "账号", &e.field, e.code, e.message)),
                );
                continue;
            }
            Err(other) => return Err(other),
        };
        rows.push(volunteer_row(
            &state.keys,
            &auth.district,
            spec,
            organization_id,
            user_id,
            &auth.actor.actor,
        )?);
    }
    if !errors.is_empty() {
        // Dropping the transaction rolls it back: nothing of the file is written.
        return Err(TaskError::Import(errors));
    }
    Volunteer::insert_many(&mut tx, &rows).await?;
    let organizations: std::collections::BTreeSet<String> = rows
        .iter()
        .filter_map(|r| r.organization_id.map(|o| o.to_string()))
        .collect();
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "volunteer.import",
        "volunteer",
        "import",
        json!({"imported": rows.len(), "organizations": organizations}),
    )
    .await?;
    tx.commit().await?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    #[test]
    fn slots_read_in_chinese_and_in_codes() {
        let s = slot("周三14:00-18:00").unwrap_or_else(|| panic!("周三"));
        assert_eq!(s.day, Weekday::Wed);
        assert_eq!(s.from.to_string(), "14:00:00");
        assert_eq!(
            slot("星期日 08:00–12:00").map(|s| s.day),
            Some(Weekday::Sun)
        );
        assert_eq!(slot("sat 08:00-09:30").map(|s| s.day), Some(Weekday::Sat));
        assert_eq!(slot("周八08:00-12:00"), None);
        assert_eq!(slot("周一08:00"), None);
    }

    #[test]
    fn a_field_names_its_column() {
        assert_eq!(header_of("skills[2]"), Some("技能"));
        assert_eq!(header_of("qualifications[0].code"), Some("资质"));
        assert_eq!(header_of("home.lat"), Some("纬度"));
        assert_eq!(header_of("home.lon"), Some("经度"));
        assert_eq!(header_of("availability[1].to"), Some("可服务时间"));
        assert_eq!(header_of("weekly_max"), Some("每周最多任务数"));
        assert_eq!(header_of("training[0].course"), None);
    }
}
