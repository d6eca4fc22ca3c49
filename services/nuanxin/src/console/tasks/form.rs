//! The new-task form: its field names are the API's JSON fields (`starts_at`, `qualifications`, …), so
//! every error `TaskInput::validate` or the service gives lands beside its field; the household is
//! chosen among the caller's own families (the register's list call, so the same scope).

use nuanxin_ids::FamilyId;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use nuanxin_access::{Action, Resource};
use nuanxin_domain::family::FamilyKind;
use nuanxin_domain::tasks::input::TaskInput;
use nuanxin_domain::tasks::Urgency;
use serde::Deserialize;

use super::super::session::{Console, Posted};
use super::super::views::{page_with_status, see_other, Frame, PageError};
use crate::error::ApiError;
use crate::registry::reads::read_family;
use crate::registry::search::{family_page, FamilySearch};
use crate::registry::RegistryError;
use crate::state::AppState;
use crate::tasks::{config, service_tasks};

/// The form's fields, in the API's names.
const FIELDS: [&str; 14] = [
    "family_id",
    "service",
    "starts_at",
    "ends_at",
    "repeat_weekly_until",
    "place",
    "helpers_needed",
    "urgency",
    "contact_name",
    "contact_phone",
    "notes",
    "by_phone",
    "qualifications",
    "proposal_id",
];

/// A household the caller may create a task for.
pub struct Household {
    pub id: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "tasks_new.html")]
struct NewTaskPage {
    frame: Frame,
    households: Vec<Household>,
    /// (code, name) of the district's services and qualifications.
    services: Vec<(String, String)>,
    qualifications: Vec<(String, String)>,
    values: HashMap<String, String>,
    chosen_qualifications: Vec<String>,
    errors: HashMap<String, String>,
    /// Errors that name no field of the form.
    general: Vec<String>,
    /// The household search typed (a parent's name or resident ID).
    search: String,
}

impl NewTaskPage {
    fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn chosen(&self, field: &str, option: &str) -> bool {
        self.value(field) == option
    }

    fn holds(&self, qualification: &str) -> bool {
        self.chosen_qualifications
            .iter()
            .any(|q| q == qualification)
    }
}

/// The form filled in: a household (from its page), or a proposal's household and service.
#[derive(Deserialize)]
pub struct NewQuery {
    family_id: Option<String>,
    service: Option<String>,
    proposal_id: Option<String>,
    by_phone: Option<String>,
    /// Households whose parent's name (or resident ID) matches.
    q: Option<String>,
}

/// A household as it is chosen: `社区 地址 · 姓名（类别）`, the living parents named.
fn household<'a>(
    id: FamilyId,
    community: &str,
    address: &str,
    living: impl Iterator<Item = &'a str>,
    kind: FamilyKind,
) -> Household {
    Household {
        id: id.to_string(),
        label: format!(
            "{community} {address} · {}（{}）",
            living.collect::<Vec<_>>().join("、"),
            kind.label()
        ),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the form's whole state, sent back as it came"
)]
async fn form_page(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    values: HashMap<String, String>,
    chosen_qualifications: Vec<String>,
    errors: HashMap<String, String>,
    general: Vec<String>,
    search: Option<String>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let cfg = config(&auth.district).map_err(ApiError::from)?;
    let families = family_page(
        state,
        auth,
        &FamilySearch {
            per_page: Some(200),
            q: search.clone().filter(|q| !q.trim().is_empty()),
            ..FamilySearch::default()
        },
    )
    .await?;
    let mut households: Vec<Household> = families
        .items
        .into_iter()
        .map(|f| {
            let living = f
                .parents
                .iter()
                .filter(|p| p.alive)
                .map(|p| p.name.as_str());
            household(f.id, &f.community.name, &f.address, living, f.kind)
        })
        .collect();
    // The household asked for (from its page or a proposal) is offered even beyond the first page.
    let asked = values
        .get("family_id")
        .and_then(|v| v.parse::<FamilyId>().ok());
    if let Some(id) = asked.filter(|id| !households.iter().any(|h| h.id == id.to_string())) {
        match read_family(state, auth, id).await {
            Ok(f) => {
                let living = f
                    .parents
                    .iter()
                    .filter(|p| p.alive)
                    .map(|p| p.name.as_str());
                households.insert(
                    0,
                    household(f.id, &f.community.name, &f.address, living, f.kind),
                );
            }
            // Not the caller's: not offered (and refused if sent anyway).
            Err(RegistryError::NotFound | RegistryError::Forbidden) => {}
            Err(other) => return Err(ApiError::from(other).into()),
        }
    }
    page_with_status(
        status,
        &NewTaskPage {
            frame: console.frame(state, "新建服务任务", "/console/tasks"),
            households,
            services: cfg
                .skills
                .iter()
                .map(|s| (s.code.clone(), s.name.clone()))
                .collect(),
            qualifications: cfg
                .qualifications
                .iter()
                .map(|q| (q.code.clone(), q.name.clone()))
                .collect(),
            values,
            chosen_qualifications,
            errors,
            general,
            search: search.unwrap_or_default(),
        },
    )
}

/// `GET /console/tasks/new[?family_id=…]`.
pub async fn new_task(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    console
        .auth
        .require(Resource::ServiceTask, Action::Create)?;
    let mut values = HashMap::from([
        ("helpers_needed".to_owned(), "1".to_owned()),
        ("urgency".to_owned(), "normal".to_owned()),
    ]);
    let given = [
        ("family_id", &query.family_id),
        ("service", &query.service),
        ("proposal_id", &query.proposal_id),
        ("by_phone", &query.by_phone),
    ];
    for (field, value) in given {
        if let Some(v) = value {
            values.insert(field.to_owned(), v.clone());
        }
    }
    form_page(
        &state,
        &console,
        StatusCode::OK,
        values,
        Vec::new(),
        HashMap::new(),
        Vec::new(),
        query.q.clone(),
    )
    .await
}

/// The field of the form an error path belongs to (`qualifications[0]` → `qualifications`).
fn form_field(path: &str) -> Option<&'static str> {
    let head = path.split(['[', '.']).next().unwrap_or(path);
    FIELDS.iter().copied().find(|f| *f == head)
}

/// `POST /console/tasks/new`: creates the task (each week of a weekly rule), or shows the form again
/// with its errors beside the fields (422) and nothing written.
pub async fn create_task(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::ServiceTask, Action::Create)?;
    let values: HashMap<String, String> = FIELDS
        .iter()
        .map(|f| ((*f).to_owned(), form.get(f).to_owned()))
        .collect();
    let chosen: Vec<String> = form.all("qualifications").map(str::to_owned).collect();
    let mut errors = HashMap::new();
    let mut note = |field: &str, message: &str| {
        errors
            .entry(field.to_owned())
            .or_insert_with(|| message.to_owned());
    };
    let family_id = form.get("family_id").parse().ok();
    if family_id.is_none() {
        note("family_id", "请选择服务的家庭");
    }
    let helpers_needed = form.get("helpers_needed").trim().parse::<u32>().ok();
    if helpers_needed.is_none() {
        note("helpers_needed", "所需人数应为1至5的整数");
    }
    let repeat = match form.get("repeat_weekly_until").trim() {
        "" => Ok(None),
        text => text.parse().map(Some),
    };
    if repeat.is_err() {
        note("repeat_weekly_until", "请填写日期（年-月-日）");
    }
    let urgency = if form.get("urgency") == "urgent" {
        Urgency::Urgent
    } else {
        Urgency::Normal
    };
    let proposal_id = match form.get("proposal_id").trim() {
        "" => Ok(None),
        text => text.parse().map(Some),
    };
    if proposal_id.is_err() {
        note("proposal_id", "任务建议的编号不正确，请从任务建议重新进入");
    }
    let mut general = Vec::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Some(family_id), Some(helpers_needed), Ok(repeat_weekly_until), Ok(proposal_id)) =
        (family_id, helpers_needed, repeat, proposal_id)
    {
        let input = TaskInput {
            family_id,
            service: form.get("service").to_owned(),
            starts_at: form.get("starts_at").to_owned(),
            ends_at: form.get("ends_at").to_owned(),
            place: form.text("place"),
            by_phone: form.get("by_phone") == "true",
            qualifications: chosen.clone(),
            helpers_needed,
            urgency,
            contact_name: form.get("contact_name").to_owned(),
            contact_phone: form.text("contact_phone"),
            notes: form.get("notes").to_owned(),
            repeat_weekly_until,
            proposal_id,
        };
        match service_tasks::create(&state, auth, input)
            .await
            .map_err(ApiError::from)
        {
            Ok(tasks) => {
                let target = match tasks.first() {
                    Some(t) => format!("/console/tasks/{}?done=created", t.id),
                    None => "/console/tasks?done=created".to_owned(),
                };
                return Ok(see_other(&target));
            }
            Err(ApiError::Validation(found)) => {
                for e in found.0 {
                    match form_field(&e.field) {
                        Some(f) => note(f, &e.message),
                        None => general.push(e.message),
                    }
                }
            }
            // The proposal was taken up or dismissed meanwhile.
            Err(ApiError::Conflict { message, .. }) => {
                status = StatusCode::CONFLICT;
                general.push(message);
            }
            Err(other) => return Err(other.into()),
        }
    }
    form_page(
        &state, &console, status, values, chosen, errors, general, None,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::form_field;

    #[test]
    fn an_error_path_finds_its_field() {
        assert_eq!(form_field("qualifications[2]"), Some("qualifications"));
        assert_eq!(form_field("starts_at"), Some("starts_at"));
        assert_eq!(form_field("body"), None);
    }
}
