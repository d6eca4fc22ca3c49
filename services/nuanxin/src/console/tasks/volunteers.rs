//! `/console/volunteers`: the volunteers a caller manages (an organization its own, a street the
//! independent ones), each with their no-show record; the form that registers or edits one (skills,
//! qualifications with expiry, weekly availability as rows, home, weekly limit) whose field names are
//! the API's JSON paths, so errors land beside their field; and the hours of service with their xlsx.

use nuanxin_ids::VolunteerId;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate, NaiveTime};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::family::Coordinates;
use nuanxin_domain::tasks::input::{HeldQualification, Training, VolunteerInput};
use nuanxin_domain::tasks::{parse_weekday, weekday_code, Slot};
use serde::Deserialize;

use super::super::session::{Console, Posted};
use super::super::views::{page, page_with_status, see_other, Frame, PageError, Pager};
use crate::error::ApiError;
use crate::page::Paging;
use crate::state::AppState;
use crate::tasks::views::VolunteerView;
use crate::tasks::{config, hours, volunteers};

const PER_PAGE: i64 = 50;
/// Empty availability rows offered below the volunteer's own.
const BLANK_SLOTS: usize = 3;
const DAYS: [(&str, &str); 7] = [
    ("mon", "周一"),
    ("tue", "周二"),
    ("wed", "周三"),
    ("thu", "周四"),
    ("fri", "周五"),
    ("sat", "周六"),
    ("sun", "周日"),
];

/// A volunteer in the list.
struct VolunteerRow {
    v: VolunteerView,
    skills: String,
}

#[derive(Template)]
#[template(path = "tasks_volunteers.html")]
struct VolunteersPage {
    frame: Frame,
    rows: Vec<VolunteerRow>,
    pager: Pager,
    may_create: bool,
    may_update: bool,
    message: &'static str,
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
    #[serde(default)]
    done: String,
}

/// `GET /console/volunteers`.
pub async fn volunteers_page(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::VolunteerRecord, Action::List)?;
    let paging = Paging::new(query.page, Some(PER_PAGE), PER_PAGE, PER_PAGE)?;
    let (items, total) = volunteers::list(&state, auth, paging.limit(), paging.offset())
        .await
        .map_err(ApiError::from)?;
    page(&VolunteersPage {
        frame: console.frame(&state, "志愿者", "/console/volunteers"),
        rows: items
            .into_iter()
            .map(|v| VolunteerRow {
                skills: v
                    .skills
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                v,
            })
            .collect(),
        pager: Pager::new("/console/volunteers?", paging.page, PER_PAGE, total),
        may_create: auth.may(Resource::VolunteerRecord, Action::Create),
        may_update: auth.may(Resource::VolunteerRecord, Action::Update),
        message: match query.done.as_str() {
            "created" => "已登记志愿者。",
            "updated" => "已保存志愿者信息。",
            _ => "",
        },
    })
}

/// One availability row of the form.
struct SlotRow {
    day: String,
    from: String,
    to: String,
}

#[derive(Template)]
#[template(path = "tasks_volunteer.html")]
struct VolunteerForm {
    frame: Frame,
    /// None: a new volunteer.
    id: Option<VolunteerId>,
    values: HashMap<String, String>,
    skills: Vec<(String, String, bool)>,
    /// (code, name, held, expires_on) of the district's qualifications.
    qualifications: Vec<(String, String, bool, String)>,
    slots: Vec<SlotRow>,
    days: [(&'static str, &'static str); 7],
    active: bool,
    no_shows: i32,
    has_account: bool,
    errors: HashMap<String, String>,
    general: Vec<String>,
}

impl VolunteerForm {
    fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn slot_error(&self, i: &usize) -> Option<&str> {
        self.error(&format!("availability[{i}]"))
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/console/volunteers/{id}"),
            None => "/console/volunteers/new".to_owned(),
        }
    }
}

/// What the form shows of a volunteer (or of nobody yet).
struct Shown {
    values: HashMap<String, String>,
    skills: Vec<String>,
    qualifications: Vec<HeldQualification>,
    slots: Vec<SlotRow>,
    active: bool,
    no_shows: i32,
    has_account: bool,
}

impl Shown {
    fn blank() -> Shown {
        Shown {
            values: HashMap::from([("weekly_max".to_owned(), "3".to_owned())]),
            skills: Vec::new(),
            qualifications: Vec::new(),
            slots: Vec::new(),
            active: true,
            no_shows: 0,
            has_account: false,
        }
    }

    fn of(v: &VolunteerView) -> Shown {
        let mut values = HashMap::from([
            ("name".to_owned(), v.name.clone()),
            ("email".to_owned(), v.email.clone().unwrap_or_default()),
            ("phone".to_owned(), v.phone.clone().unwrap_or_default()),
            ("weekly_max".to_owned(), v.weekly_max.to_string()),
            ("preference".to_owned(), v.preference.to_string()),
        ]);
        if let Some(home) = &v.home {
            values.insert("home.lat".to_owned(), home["lat"].to_string());
            values.insert("home.lon".to_owned(), home["lon"].to_string());
        }
        let slots: Vec<Slot> = serde_json::from_value(v.availability.clone()).unwrap_or_default();
        Shown {
            values,
            skills: v.skills.iter().map(|s| s.code.clone()).collect(),
            qualifications: serde_json::from_value(v.qualifications.clone()).unwrap_or_default(),
            slots: slots
                .iter()
                .map(|s| SlotRow {
                    day: weekday_code(s.day).to_owned(),
                    from: s.from.format("%H:%M").to_string(),
                    to: s.to.format("%H:%M").to_string(),
                })
                .collect(),
            active: v.active,
            no_shows: v.no_shows,
            has_account: v.has_account,
        }
    }
}

fn form_page(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    id: Option<VolunteerId>,
    mut shown: Shown,
    errors: HashMap<String, String>,
    general: Vec<String>,
) -> Result<HttpResponse, PageError> {
    let cfg = config(&console.auth.district).map_err(ApiError::from)?;
    for _ in 0..BLANK_SLOTS {
        shown.slots.push(SlotRow {
            day: String::new(),
            from: String::new(),
            to: String::new(),
        });
    }
    let title = if id.is_some() {
        "编辑志愿者"
    } else {
        "登记志愿者"
    };
    page_with_status(
        status,
        &VolunteerForm {
            frame: console.frame(state, title, "/console/volunteers"),
            id,
            skills: cfg
                .skills
                .iter()
                .map(|s| {
                    (
                        s.code.clone(),
                        s.name.clone(),
                        shown.skills.contains(&s.code),
                    )
                })
                .collect(),
            qualifications: cfg
                .qualifications
                .iter()
                .map(|q| {
                    let held = shown.qualifications.iter().find(|h| h.code == q.code);
                    (
                        q.code.clone(),
                        q.name.clone(),
                        held.is_some(),
                        held.and_then(|h| h.expires_on)
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                    )
                })
                .collect(),
            values: shown.values,
            slots: shown.slots,
            days: DAYS,
            active: shown.active,
            no_shows: shown.no_shows,
            has_account: shown.has_account,
            errors,
            general,
        },
    )
}

/// `GET /console/volunteers/new`.
pub async fn new_volunteer(
    state: web::Data<AppState>,
    console: Console,
) -> Result<HttpResponse, PageError> {
    console
        .auth
        .require(Resource::VolunteerRecord, Action::Create)?;
    form_page(
        &state,
        &console,
        StatusCode::OK,
        None,
        Shown::blank(),
        HashMap::new(),
        Vec::new(),
    )
}

/// `GET /console/volunteers/{id}`: the edit form, with the no-show record.
pub async fn edit_volunteer(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<VolunteerId>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::VolunteerRecord, Action::Read)?;
    let id = id.into_inner();
    let v = volunteers::get(&state, auth, id)
        .await
        .map_err(ApiError::from)?;
    form_page(
        &state,
        &console,
        StatusCode::OK,
        Some(id),
        Shown::of(&v),
        HashMap::new(),
        Vec::new(),
    )
}

/// The form as the API's input, or the errors of what cannot even be read (a number, a date, a time).
fn read_form(
    form: &Posted,
    training: Vec<Training>,
) -> (Shown, Result<VolunteerInput, HashMap<String, String>>) {
    let mut errors = HashMap::new();
    let mut values = HashMap::new();
    for f in [
        "name",
        "username",
        "email",
        "phone",
        "weekly_max",
        "preference",
        "home.lat",
        "home.lon",
    ] {
        values.insert(f.to_owned(), form.get(f).to_owned());
    }
    let skills: Vec<String> = form.all("skills").map(str::to_owned).collect();
    let mut qualifications = Vec::new();
    for code in form.all("qualifications") {
        let expires = form.get(&format!("expires.{code}")).trim();
        let expires_on = match expires {
            "" => None,
            text => match text.parse::<NaiveDate>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.insert("qualifications".to_owned(), "有效期应为日期".to_owned());
                    None
                }
            },
        };
        qualifications.push(HeldQualification {
            code: code.to_owned(),
            expires_on,
        });
    }
    let days: Vec<&str> = form.all("availability.day").collect();
    let froms: Vec<&str> = form.all("availability.from").collect();
    let tos: Vec<&str> = form.all("availability.to").collect();
    let mut rows = Vec::new();
    let mut availability = Vec::new();
    for (i, day) in days.iter().enumerate() {
        let (from, to) = (
            froms.get(i).copied().unwrap_or(""),
            tos.get(i).copied().unwrap_or(""),
        );
        if day.is_empty() && from.is_empty() && to.is_empty() {
            continue;
        }
        let slot = availability.len();
        rows.push(SlotRow {
            day: (*day).to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
        });
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").ok();
        match (parse_weekday(day), time(from), time(to)) {
            (Some(day), Some(from), Some(to)) => availability.push(Slot { day, from, to }),
            _ => {
                errors.insert(
                    format!("availability[{slot}]"),
                    "请选择星期并填写开始、结束时间（时:分）".to_owned(),
                );
                // Keep the row's place so later rows' errors still point at their own row.
                availability.push(Slot {
                    day: chrono::Weekday::Mon,
                    from: NaiveTime::MIN,
                    to: NaiveTime::MIN,
                });
            }
        }
    }
    let number = |errors: &mut HashMap<String, String>, f: &str, message: &str| -> Option<f64> {
        match form.get(f).trim() {
            "" => None,
            text => text
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .or_else(|| {
                    errors.insert(f.to_owned(), message.to_owned());
                    None
                }),
        }
    };
    let lat = number(&mut errors, "home.lat", "纬度应为数字");
    let lon = number(&mut errors, "home.lon", "经度应为数字");
    let home = match (lat, lon) {
        (Some(lat), Some(lon)) => Some(Coordinates { lat, lon }),
        (None, None) => None,
        _ => {
            errors.insert("home.lat".to_owned(), "请同时填写纬度和经度".to_owned());
            None
        }
    };
    let weekly_max = form.get("weekly_max").trim().parse::<u32>().ok();
    if weekly_max.is_none() {
        errors.insert(
            "weekly_max".to_owned(),
            "每周最多任务数应为1至14的整数".to_owned(),
        );
    }
    let preference = match form.get("preference").trim() {
        "" => Some(0),
        text => text.parse::<u8>().ok(),
    };
    if preference.is_none() {
        errors.insert("preference".to_owned(), "机构排序应为0至3的整数".to_owned());
    }
    let shown = Shown {
        values,
        skills: skills.clone(),
        qualifications: qualifications.clone(),
        slots: rows,
        active: form.get("active") == "true",
        no_shows: 0,
        has_account: false,
    };
    let input = match (weekly_max, preference) {
        (Some(weekly_max), Some(preference)) if errors.is_empty() => Ok(VolunteerInput {
            name: form.get("name").to_owned(),
            organization: None,
            username: form.text("username"),
            email: form.text("email"),
            phone: form.text("phone"),
            skills,
            qualifications,
            home,
            availability,
            weekly_max,
            preference,
            training,
        }),
        _ => Err(errors),
    };
    (shown, input)
}

/// Where an error of the API lands: its own field, a list's field, an availability row.
fn place_errors(
    found: nuanxin_domain::ValidationErrors,
    errors: &mut HashMap<String, String>,
    general: &mut Vec<String>,
) {
    for e in found.0 {
        let field = if e.field.starts_with("availability[") {
            e.field.split(']').next().map(|f| format!("{f}]"))
        } else {
            let head = e.field.split('[').next().unwrap_or("");
            match head {
                "name" | "username" | "email" | "phone" | "weekly_max" | "preference"
                | "skills" | "qualifications" | "home.lat" | "home.lon" => Some(head.to_owned()),
                _ => None,
            }
        };
        match field {
            Some(f) => {
                errors.entry(f).or_insert(e.message);
            }
            None => general.push(e.message),
        }
    }
}

async fn save(
    state: &AppState,
    console: &Console,
    id: Option<VolunteerId>,
    form: &Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let (training, no_shows, has_account) = match id {
        Some(id) => {
            let current = volunteers::get(state, auth, id)
                .await
                .map_err(ApiError::from)?;
            let training = serde_json::from_value(current.training.clone()).unwrap_or_default();
            (training, current.no_shows, current.has_account)
        }
        None => (Vec::new(), 0, false),
    };
    let (mut shown, input) = read_form(form, training);
    shown.no_shows = no_shows;
    shown.has_account = has_account;
    let mut general = Vec::new();
    let errors = match input {
        Ok(input) => {
            let saved = match id {
                Some(id) => volunteers::update(state, auth, id, input, shown.active).await,
                None => volunteers::create(state, auth, input).await,
            };
            match saved.map_err(ApiError::from) {
                Ok(_) => {
                    let done = if id.is_some() { "updated" } else { "created" };
                    return Ok(see_other(&format!("/console/volunteers?done={done}")));
                }
                Err(ApiError::Validation(found)) => {
                    let mut errors = HashMap::new();
                    place_errors(found, &mut errors, &mut general);
                    errors
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(errors) => errors,
    };
    if id.is_none() {
        shown.active = true;
    }
    form_page(
        state,
        console,
        StatusCode::UNPROCESSABLE_ENTITY,
        id,
        shown,
        errors,
        general,
    )
}

/// `POST /console/volunteers/new`.
pub async fn create_volunteer(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console
        .auth
        .require(Resource::VolunteerRecord, Action::Create)?;
    save(&state, &console, None, &form).await
}

/// `POST /console/volunteers/{id}`: the whole volunteer replaced (training records kept).
pub async fn update_volunteer(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<VolunteerId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console
        .auth
        .require(Resource::VolunteerRecord, Action::Update)?;
    save(&state, &console, Some(id.into_inner()), &form).await
}

#[derive(Deserialize)]
pub struct Period {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

#[derive(Template)]
#[template(path = "tasks_hours.html")]
struct HoursPage {
    frame: Frame,
    report: hours::HoursReport,
    export: String,
}

/// The report of the period asked for, by default this month so far; refused as the API refuses it.
async fn report_of(
    state: &AppState,
    console: &Console,
    p: &Period,
) -> Result<(NaiveDate, NaiveDate, hours::HoursReport), PageError> {
    let to = p.to.unwrap_or_else(|| console.auth.district.today());
    let from = p.from.unwrap_or_else(|| to.with_day(1).unwrap_or(to));
    let report = hours::report(state, &console.auth, from, to)
        .await
        .map_err(ApiError::from)?;
    Ok((from, to, report))
}

/// `GET /console/volunteers/hours?from&to`: 志愿服务时长 per volunteer and organization.
pub async fn hours_page(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<Period>,
) -> Result<HttpResponse, PageError> {
    let (from, to, report) = report_of(&state, &console, &query).await?;
    page(&HoursPage {
        frame: console.frame(&state, "志愿服务时长", "/console/volunteers"),
        export: format!("/console/volunteers/hours/export?from={from}&to={to}"),
        report,
    })
}

/// `GET /console/volunteers/hours/export?from&to`: the same as xlsx.
pub async fn export_hours(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<Period>,
) -> Result<HttpResponse, PageError> {
    let (from, to, report) = report_of(&state, &console, &query).await?;
    let bytes = hours::workbook(&report).map_err(ApiError::from)?;
    Ok(crate::routes::xlsx_download(
        bytes,
        &format!("volunteer-hours-{from}-{to}.xlsx"),
    ))
}
