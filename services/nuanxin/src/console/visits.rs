//! Holiday visits and daily contact in the console: the campaigns (the district generates one from its
//! holiday programs), a campaign's progress by street and community with the caller's families and a
//! visit form for each (sized for a phone: contact persons use it on the doorstep), a family's contact
//! log with its form, and the district's care dashboard — through the same service calls as the API.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::visits::{
    festival_of_program, ContactHow, ContactInput, ProblemCategory, ProblemInput, VisitHow,
    VisitInput,
};
use serde::Deserialize;
use uuid::Uuid;

use super::charts::BarChart;
use super::session::{Console, Posted};
use super::views::{page, see_other, Frame, PageError};
use crate::error::ApiError;
use crate::routes::page::Paging;
use crate::routes::visits::campaigns::{campaign_list, campaign_progress, families_page, generate};
use crate::routes::visits::contacts::{contact_page, save_contact};
use crate::routes::visits::dashboard::read_dashboard;
use crate::routes::visits::record::save_visit;
use crate::state::AppState;
use crate::visits::campaign::{CampaignFamilyView, CampaignProgress, CampaignView};
use crate::visits::contacts::ContactView;
use crate::visits::dashboard::Dashboard;

/// The ways of a visit, as the form offers them.
const VISIT_HOWS: [(&str, &str); 3] = [
    ("at_home", "入户走访"),
    ("by_phone", "电话慰问"),
    ("family_away", "家中无人"),
];

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
    let (view, _) = generate(&state, &console.auth, form.get("program"), year).await?;
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
    hows: [(&'static str, &'static str); 3],
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
    id: web::Path<Uuid>,
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
                kind: nuanxin_domain::labels::family_kind(&family.kind),
                family,
            })
            .collect(),
        total: list.total,
        may_visit: auth.may(Resource::Visit, Action::Create),
        hows: VISIT_HOWS,
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
    id: web::Path<Uuid>,
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
    family_id: Uuid,
    contacts: Vec<ContactView>,
    total: i64,
    may_log: bool,
    categories: Vec<(&'static str, &'static str)>,
    today: NaiveDate,
    message: &'static str,
}

/// `GET /console/contacts/{family}`: a family's contact log and the form to add one.
pub async fn contacts(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<Uuid>,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let family_id = id.into_inner();
    let list = contact_page(
        &state,
        auth,
        family_id,
        Paging::new(None, Some(50), 50, 50)?,
    )
    .await?;
    page(&ContactsPage {
        frame: console.frame(&state, "帮扶联系记录", "/console/visits"),
        family_id,
        contacts: list.items,
        total: list.total,
        may_log: auth.may(Resource::ContactLog, Action::Create),
        categories: ProblemCategory::ALL
            .iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
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
    id: web::Path<Uuid>,
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
