//! Holiday visits and daily contact in the console: the campaigns (the district generates one from its
//! holiday programs), a campaign's progress by street and community with the caller's families and a
//! visit form for each (sized for a phone: contact persons use it on the doorstep), a family's contact
//! log with its form, the district's care dashboard, and the homes' activities against the year's
//! budget with the streets' signature projects — through the same service calls as the API.

use nuanxin_domain::family::FamilyKind;
use nuanxin_ids::{CampaignId, FamilyId};
use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::org::OrgKind;
use nuanxin_domain::visits::{
    festival_of_program, ActivityInput, ContactHow, ContactInput, Home, ProblemCategory,
    ProblemInput, VisitHow, VisitInput,
};
use nuanxin_text_enum::Labelled;
use serde::Deserialize;
use uuid::Uuid;

use super::charts::BarChart;
use super::session::{Console, Posted};
use super::views::{page, page_with_status, see_other, Frame, PageError};
use crate::error::ApiError;
use crate::page::Paging;
use crate::state::AppState;
use crate::visits::activities::{
    activity_page, save_activity, save_project, ActivityView, ActivityYear, ParticipantChoice,
    ProjectInput,
};
use crate::visits::campaign::{
    campaign_list, campaign_progress, families_page, generate_for, CampaignFamilyView,
    CampaignProgress, CampaignView,
};
use crate::visits::contacts::{contact_page, save_contact, ContactView, FamilyPlace};
use crate::visits::dashboard::{read_dashboard, Dashboard};
use crate::visits::record::save_visit;

#[derive(Template)]
#[template(path = "visits.html")]
struct CampaignsPage {
    frame: Frame,
    campaigns: Vec<CampaignView>,
    /// (code, title) of the policy's holiday programs, when the caller may generate.
    programs: Vec<(String, String)>,
    year: i32,
}

/// `GET /console/visits`: the district's campaigns.
pub async fn campaigns(
    state: web::Data<AppState>,
    console: Console,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let campaigns = campaign_list(&state, auth).await?;
    let programs = match &auth.district.policy {
        Some(policy) if auth.may(Resource::VisitCampaign, Action::Create) => policy
            .programs()
            .iter()
            .filter(|p| festival_of_program(&p.code).is_some())
            .map(|p| (p.code.clone(), p.title.clone()))
            .collect(),
        _ => Vec::new(),
    };
    page(&CampaignsPage {
        frame: console.frame(&state, "节日走访", "/console/visits"),
        campaigns,
        programs,
        year: auth.district.today().year(),
    })
}

/// `POST /console/visits`: generates a campaign (`program`, `year`).
pub async fn create(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let year = form
        .get("year")
        .trim()
        .parse::<i32>()
        .map_err(|_| ApiError::bad_request("invalid_year", "year", "请填写年份（如2025）"))?;
    let (view, _) =
        generate_for(state.into_inner(), &console.auth, form.get("program"), year).await?;
    Ok(see_other(&format!("/console/visits/{}", view.id)))
}

/// One family of the worklist, with what its visit form needs.
struct FamilyRow {
    family: CampaignFamilyView,
    kind: &'static str,
}

#[derive(Template)]
#[template(path = "visits_campaign.html")]
struct CampaignPage {
    frame: Frame,
    progress: CampaignProgress,
    chart: String,
    families: Vec<FamilyRow>,
    total: i64,
    may_visit: bool,
    hows: Vec<(&'static str, &'static str)>,
    today: NaiveDate,
    message: &'static str,
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /console/visits/{id}`: progress by street and community, and the caller's families.
pub async fn campaign(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<CampaignId>,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let id = id.into_inner();
    let progress = campaign_progress(&state, auth, id).await?;
    let list = families_page(&state, auth, id, Paging::new(None, Some(200), 200, 200)?).await?;
    let chart = BarChart {
        title: format!(
            "{}年{}走访进度",
            progress.campaign.year, progress.campaign.festival_name
        ),
        unit: "户数".into(),
        // Not visited first: the palette's first colour is the one the eye finds.
        series: vec!["未走访".into(), "逾期走访".into(), "按时走访".into()],
        bars: progress
            .progress
            .iter()
            .map(|p| {
                (
                    format!("{} {}", p.street, p.community),
                    vec![
                        p.not_visited,
                        p.visited - p.visited_on_time,
                        p.visited_on_time,
                    ],
                )
            })
            .collect(),
    }
    .to_svg();
    page(&CampaignPage {
        frame: console.frame(&state, "走访进度", "/console/visits"),
        chart,
        families: list
            .items
            .into_iter()
            .map(|family| FamilyRow {
                kind: family.kind.map_or("未知", FamilyKind::label),
                family,
            })
            .collect(),
        total: list.total,
        may_visit: auth.may(Resource::Visit, Action::Create),
        hows: VisitHow::choices(),
        today: auth.district.today(),
        message: match done.done.as_str() {
            "visit" => "已记录走访。",
            _ => "",
        },
        progress,
    })
}

/// A date field of a form, refused naming the field when it is not `YYYY-MM-DD`.
fn date_field(form: &Posted, name: &str) -> Result<NaiveDate, ApiError> {
    form.get(name)
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request("invalid_date", name, "请填写日期（年-月-日）"))
}

/// A choice of a form (a code of the API's vocabulary), refused naming the field when it is none.
fn choice<T: serde::de::DeserializeOwned>(
    form: &Posted,
    name: &str,
    message: &str,
) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::from(form.get(name)))
        .map_err(|_| ApiError::bad_request("invalid_choice", name, message))
}

/// `POST /console/visits/{id}/visits`: records a visit from the family's form.
pub async fn visit(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<CampaignId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let how: VisitHow = choice(&form, "how", "请选择走访方式")?;
    let family_id = form
        .get("family_id")
        .parse()
        .map_err(|_| ApiError::bad_request("invalid_family", "family_id", "请从列表中选择家庭"))?;
    let money_cny = match form.get("money_cny").trim() {
        "" => 0,
        money => money
            .parse()
            .map_err(|_| ApiError::bad_request("invalid_money", "money_cny", "慰问金应为整数元"))?,
    };
    save_visit(
        &state,
        &console.auth,
        id,
        VisitInput {
            family_id,
            visited_on: date_field(&form, "visited_on")?,
            how,
            money_cny,
            needs: form.text("needs"),
        },
    )
    .await?;
    Ok(see_other(&format!("/console/visits/{id}?done=visit")))
}

#[derive(Template)]
#[template(path = "visits_contacts.html")]
struct ContactsPage {
    frame: Frame,
    family_id: FamilyId,
    place: FamilyPlace,
    contacts: Vec<ContactView>,
    total: i64,
    may_log: bool,
    categories: Vec<(&'static str, &'static str)>,
    hows: Vec<(&'static str, &'static str)>,
    today: NaiveDate,
    message: &'static str,
}

/// `GET /console/contacts/{family}`: a family's contact log and the form to add one.
pub async fn contacts(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let family_id = id.into_inner();
    let (place, list) = contact_page(
        &state,
        auth,
        family_id,
        Paging::new(None, Some(50), 50, 50)?,
    )
    .await?;
    page(&ContactsPage {
        frame: console.frame(&state, "帮扶联系记录", "/console/visits"),
        family_id,
        place,
        contacts: list.items,
        total: list.total,
        may_log: auth.may(Resource::ContactLog, Action::Create),
        categories: ProblemCategory::choices(),
        hows: ContactHow::choices(),
        today: auth.district.today(),
        message: match done.done.as_str() {
            "contact" => "已记录联系。",
            _ => "",
        },
    })
}

/// `POST /console/contacts/{family}`: logs a contact (`on`, `how`, `summary`, `problems`…).
pub async fn log_contact(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let family_id = id.into_inner();
    let how: ContactHow = choice(&form, "how", "请选择联系方式")?;
    save_contact(
        &state,
        &console.auth,
        family_id,
        ContactInput {
            on: date_field(&form, "on")?,
            how,
            summary: form.get("summary").to_owned(),
            problems: form
                .all("problems")
                .map(|c| ProblemInput::Category(c.to_owned()))
                .collect(),
            contact_person: form.text("contact_person"),
        },
    )
    .await?;
    Ok(see_other(&format!(
        "/console/contacts/{family_id}?done=contact"
    )))
}

#[derive(Template)]
#[template(path = "visits_dashboard.html")]
struct DashboardPage {
    frame: Frame,
    dashboard: Dashboard,
    contacts_chart: String,
    visits_chart: String,
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

/// `GET /console/dashboard`: the care dashboard of a year, with its charts and export.
pub async fn dashboard(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, PageError> {
    let d = read_dashboard(&state, &console.auth, query.year).await?;
    let name =
        |l: &crate::visits::dashboard::CommunityLine| format!("{} {}", l.street, l.community);
    let contacts_chart = BarChart {
        title: format!("近{}天已联系的家庭", d.contact_days),
        unit: "户数".into(),
        series: vec!["已联系".into(), "未联系".into()],
        bars: d
            .communities
            .iter()
            .map(|l| (name(l), vec![l.contacted, l.families - l.contacted]))
            .collect(),
    }
    .to_svg();
    let visits_chart = BarChart {
        title: format!("{}年节日走访", d.year),
        unit: "户次".into(),
        series: vec!["按时走访".into(), "未按时".into()],
        bars: d
            .communities
            .iter()
            .filter(|l| l.visits_due > 0)
            .map(|l| {
                (
                    name(l),
                    vec![l.visits_on_time, l.visits_due - l.visits_on_time],
                )
            })
            .collect(),
    }
    .to_svg();
    page(&DashboardPage {
        frame: console.frame(&state, "考核看板", "/console/dashboard"),
        dashboard: d,
        contacts_chart,
        visits_chart,
    })
}

/// `GET /console/dashboard/export`: the dashboard as xlsx.
pub async fn export_dashboard(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, PageError> {
    let d = read_dashboard(&state, &console.auth, query.year).await?;
    let bytes = crate::visits::dashboard::workbook(&d).map_err(ApiError::internal)?;
    Ok(crate::routes::xlsx_download(
        bytes,
        &format!("{}-dashboard-{}.xlsx", console.auth.district.slug, d.year),
    ))
}

fn home_label(code: &str) -> &'static str {
    Home::parse(code).map_or("", Home::label)
}

/// An activity form as typed, and the API's refusals beside their fields.
#[derive(Debug, Default)]
struct ActivityForm {
    values: HashMap<String, String>,
    chosen: Vec<String>,
    errors: HashMap<String, String>,
    /// Refusals of no single field (a second project for the street and year).
    general: Vec<String>,
}

impl ActivityForm {
    fn posted(form: &Posted) -> ActivityForm {
        let values = [
            "home",
            "street",
            "project_id",
            "held_on",
            "place",
            "kind",
            "spending_cny",
            "name",
            "description",
            "project_year",
        ]
        .into_iter()
        .map(|k| (k.to_owned(), form.get(k).trim().to_owned()))
        .collect();
        ActivityForm {
            values,
            chosen: form.all("participants").map(str::to_owned).collect(),
            ..ActivityForm::default()
        }
    }

    fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors.get(name).map(String::as_str)
    }

    fn is_chosen(&self, family: &FamilyId) -> bool {
        let id = family.to_string();
        self.chosen.contains(&id)
    }

    /// Keeps a refusal the form can show (by field, or in general); any other error is the page's.
    fn refused(&mut self, error: ApiError) -> Result<(), ApiError> {
        match error {
            ApiError::Validation(errors) => {
                for e in errors.0 {
                    self.errors.entry(e.field).or_insert(e.message);
                }
            }
            ApiError::BadRequest {
                field: Some(field),
                message,
                ..
            } => {
                self.errors.entry(field).or_insert(message);
            }
            ApiError::Conflict { message, .. } => self.general.push(message),
            other => return Err(other),
        }
        Ok(())
    }

    /// The API's body of the activity, or the fields that are not of their type.
    fn activity(&mut self) -> Option<ActivityInput> {
        let mut participants = Vec::new();
        for id in &self.chosen {
            match id.parse() {
                Ok(id) => participants.push(id),
                Err(_) => {
                    self.errors
                        .insert("participants".into(), "参加家庭无效，请重新选择".into());
                }
            }
        }
        let home = Home::ALL
            .iter()
            .copied()
            .find(|h| h.as_str() == self.value("home"));
        let held_on = self.value("held_on").parse().ok();
        let spending = self.value("spending_cny").parse::<i64>().ok();
        let project_id = match self.value("project_id") {
            "" => Ok(None),
            id => id.parse().map(Some),
        };
        for (field, ok, message) in [
            ("home", home.is_some(), "请选择活动阵地"),
            ("held_on", held_on.is_some(), "请填写活动日期（年-月-日）"),
            (
                "spending_cny",
                spending.is_some(),
                "请填写活动经费（整数元）",
            ),
            ("project_id", project_id.is_ok(), "请重新选择“一镇一品”项目"),
        ] {
            if !ok {
                self.errors.insert(field.into(), message.into());
            }
        }
        if !self.errors.is_empty() {
            return None;
        }
        Some(ActivityInput {
            home: home?,
            street: Some(self.value("street").to_owned()).filter(|s| !s.is_empty()),
            project_id: project_id.ok()?,
            held_on: held_on?,
            place: self.value("place").to_owned(),
            kind: self.value("kind").to_owned(),
            spending_cny: spending?,
            participants,
        })
    }
}

/// One activity as the list shows it.
struct ActivityLine {
    activity: ActivityView,
    home: &'static str,
    project: String,
}

impl ActivityLine {
    fn of_project(&self, id: &Uuid) -> bool {
        self.activity.project_id.as_ref() == Some(id)
    }
}

#[derive(Template)]
#[template(path = "visits_activities.html")]
struct ActivitiesPage {
    frame: Frame,
    year: ActivityYear,
    activities: Vec<ActivityLine>,
    /// Share of the budget used, 0–100 (for the bar).
    used_percent: i64,
    choices: Vec<ParticipantChoice>,
    may_record: bool,
    /// (code, name) of the streets a district-wide caller records for; empty for a street.
    streets: Vec<(String, String)>,
    homes: Vec<(&'static str, &'static str)>,
    /// The caller's street has no signature project this year (and may create one).
    may_create_project: bool,
    form: ActivityForm,
    /// Which form was sent back with errors: "activity" or "project".
    refused: &'static str,
    today: NaiveDate,
    message: &'static str,
}

/// Renders the activities page; a form sent back with its errors is 422.
async fn activities_page(
    state: &AppState,
    console: &Console,
    year: Option<i32>,
    form: ActivityForm,
    refused: &'static str,
    message: &'static str,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let (year, choices) = activity_page(state, auth, year).await?;
    let may_record = auth.may(Resource::Activity, Action::Create);
    let streets = match auth.scope {
        nuanxin_access::Scope::District => auth
            .district
            .orgs
            .of_kind(OrgKind::Street)
            .map(|s| (s.code.clone(), s.name.clone()))
            .collect(),
        _ => Vec::new(),
    };
    let may_create_project = may_record && (!streets.is_empty() || year.projects.is_empty());
    let activities = year
        .activities
        .iter()
        .map(|a| ActivityLine {
            home: home_label(&a.home),
            project: a
                .project_id
                .and_then(|id| year.projects.iter().find(|p| p.id == id))
                .map_or(String::new(), |p| p.name.clone()),
            activity: a.clone(),
        })
        .collect();
    let used_percent = if year.budget_cny > 0 {
        (year.spent_cny.saturating_mul(100) / year.budget_cny).clamp(0, 100)
    } else {
        0
    };
    let status = if refused.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    page_with_status(
        status,
        &ActivitiesPage {
            frame: console.frame(state, "家园活动", "/console/activities"),
            activities,
            used_percent,
            year,
            choices,
            may_record,
            streets,
            homes: Home::choices(),
            may_create_project,
            form,
            refused,
            today: auth.district.today(),
            message,
        },
    )
}

#[derive(Deserialize)]
pub struct ActivitiesQuery {
    year: Option<i32>,
    #[serde(default)]
    done: String,
}

/// `GET /console/activities`: the year's activities against the budget, the signature projects with
/// their activities, and the forms to record them.
pub async fn activities(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<ActivitiesQuery>,
) -> Result<HttpResponse, PageError> {
    let message = match query.done.as_str() {
        "activity" => "已登记活动。",
        "project" => "已创建“一镇一品”项目。",
        _ => "",
    };
    activities_page(
        &state,
        &console,
        query.year,
        ActivityForm::default(),
        "",
        message,
    )
    .await
}

/// `POST /console/activities`: records an activity, or shows the form again with its errors.
pub async fn record_activity(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let mut form = ActivityForm::posted(&form);
    let saved = match form.activity() {
        Some(input) => save_activity(&state, &console.auth, input).await.map(Some),
        // A field not of its type: refused beside it before the API is asked.
        None => Ok(None),
    };
    match saved {
        Ok(Some(a)) => {
            return Ok(see_other(&format!(
                "/console/activities?year={}&done=activity",
                a.held_on.year()
            )))
        }
        Ok(None) => {}
        Err(e) => form.refused(e.into())?,
    }
    let year = form
        .value("held_on")
        .parse::<NaiveDate>()
        .ok()
        .map(|d| d.year());
    activities_page(&state, &console, year, form, "activity", "").await
}

/// `POST /console/activities/projects`: creates the street's signature project of a year.
pub async fn create_project(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let mut form = ActivityForm::posted(&form);
    let year: Option<i32> = form.value("project_year").parse().ok();
    let input = ProjectInput {
        street: Some(form.value("street").to_owned()).filter(|s| !s.is_empty()),
        year: year.unwrap_or(console.auth.district.today().year()),
        name: form.value("name").to_owned(),
        description: Some(form.value("description").to_owned()).filter(|s| !s.is_empty()),
    };
    let shown_year = input.year;
    match save_project(&state, &console.auth, input).await {
        Ok(p) => Ok(see_other(&format!(
            "/console/activities?year={}&done=project",
            p.year
        ))),
        Err(e) => {
            form.refused(e.into())?;
            activities_page(&state, &console, Some(shown_year), form, "project", "").await
        }
    }
}
