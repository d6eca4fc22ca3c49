//! The register (filters, search, pager, export and a chart of the whole register) and the family page
//! (kind, child, parents, entitlements on a date, notices, history), drawn from the same service calls
//! as `GET /api/v1/families`, `/families/{id}`, `/entitlements` and `/history`.

use nuanxin_ids::{FamilyId, OrgUnitId};
use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use nuanxin_access::{Action, Resource, Scope};
use nuanxin_domain::family::{Child, Exit, ExitReason, FamilyKind, FamilyStatus};
use nuanxin_domain::labels;
use nuanxin_domain::org::OrgKind;
use nuanxin_text_enum::Labelled;
use serde::Deserialize;

use super::charts::BarChart;
use super::session::Console;
use super::views::{page, PageError, Pager};
use crate::error::ApiError;
use crate::registry::reads::{family_changes, family_facts, read_family, register_workbook};
use crate::registry::search::{family_page, register_counts, FamilySearch};
use crate::registry::view::{FamilyView, Reveal};
use crate::registry::writes::{import_scope, take_off_register};
use crate::routes::policy::evaluation;
use crate::state::{AppState, District};

/// The register's rows on one page.
const PER_PAGE: i64 = 50;

/// The chart of a register counted by street and kind, with the streets' full names.
pub fn register_chart(
    district: &District,
    counts: &[(OrgUnitId, FamilyKind, i64)],
    title: &str,
) -> String {
    let mut by_street: BTreeMap<String, [i64; 2]> = BTreeMap::new();
    for (street, kind, n) in counts {
        let slot = by_street
            .entry(district.orgs.name_of(*street).to_owned())
            .or_default();
        slot[usize::from(*kind != FamilyKind::Bereaved)] += n;
    }
    BarChart {
        title: title.to_owned(),
        unit: "户数".to_owned(),
        series: vec![
            FamilyKind::Bereaved.label().to_owned(),
            FamilyKind::Disabled.label().to_owned(),
        ],
        bars: by_street
            .into_iter()
            .map(|(name, n)| (name, n.to_vec()))
            .collect(),
    }
    .to_svg()
}

/// The filter bar as the browser sends it: every field text, empty when not chosen.
#[derive(Debug, Default, Deserialize)]
pub struct RegisterQuery {
    #[serde(default)]
    street: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    age_min: String,
    #[serde(default)]
    age_max: String,
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

fn some(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

fn age(text: &str, field: &str) -> Result<Option<i32>, ApiError> {
    some(text)
        .map(|t| {
            t.parse().map_err(|_| {
                ApiError::bad_request("invalid_age", field, format!("年龄应为整数，而不是“{t}”"))
            })
        })
        .transpose()
}

impl RegisterQuery {
    fn to_list_query(&self) -> Result<FamilySearch, ApiError> {
        Ok(FamilySearch {
            street: some(&self.street),
            kind: some(&self.kind),
            status: some(&self.status),
            age_min: age(&self.age_min, "age_min")?,
            age_max: age(&self.age_max, "age_max")?,
            q: some(&self.q),
            page: self.page,
            per_page: Some(PER_PAGE),
            ..FamilySearch::default()
        })
    }

    /// The register's URL with these filters, ready for `page=`.
    fn base_url(&self) -> String {
        let pairs = [
            ("street", &self.street),
            ("kind", &self.kind),
            ("status", &self.status),
            ("age_min", &self.age_min),
            ("age_max", &self.age_max),
            ("q", &self.q),
        ];
        let mut url = String::from("/console/families?");
        for (k, v) in pairs.iter().filter(|(_, v)| !v.trim().is_empty()) {
            url.push_str(k);
            url.push('=');
            url.push_str(&super::views::url_encode(v.trim()));
            url.push('&');
        }
        url
    }
}

struct Row {
    id: String,
    kind: &'static str,
    street: String,
    community: String,
    parents: String,
    status_code: &'static str,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "families.html")]
struct Register {
    frame: super::views::Frame,
    query: RegisterQuery,
    /// Streets to filter by (empty for callers scoped to one street or community).
    streets: Vec<(String, String)>,
    can_search: bool,
    can_export: bool,
    can_register: bool,
    can_import: bool,
    error: String,
    rows: Vec<Row>,
    pager: Pager,
    chart: String,
}

/// `GET /console/families`: the register with its filter bar, pager and chart.
pub async fn register(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<RegisterQuery>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::Family, Action::List)?;
    let query = query.into_inner();
    let streets = if matches!(auth.scope, Scope::District) {
        auth.district
            .orgs
            .of_kind(OrgKind::Street)
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let base = query.base_url();
    let mut error = String::new();
    let (rows, pager, chart) = match query.to_list_query() {
        Ok(list) => match family_page(&state, auth, &list)
            .await
            .map_err(ApiError::from)
        {
            Ok(found) => {
                let counts = register_counts(&state, auth, &list).await?;
                let chart =
                    register_chart(&auth.district, &counts, "符合条件的家庭（按街道、类别）");
                let rows = found
                    .items
                    .into_iter()
                    .map(|f| Row {
                        id: f.id.to_string(),
                        kind: f.kind.label(),
                        parents: f
                            .parents
                            .iter()
                            .map(|p| {
                                let dead = if p.alive { "" } else { "（已故）" };
                                format!("{} {}，{}岁{dead}", labels::person(p.role), p.name, p.age)
                            })
                            .collect::<Vec<_>>()
                            .join("；"),
                        street: f.street.name,
                        community: f.community.name,
                        status: f.status.label(),
                        status_code: f.status.as_str(),
                    })
                    .collect();
                (
                    rows,
                    Pager::new(&base, found.page, found.per_page, found.total),
                    chart,
                )
            }
            Err(e @ (ApiError::BadRequest { .. } | ApiError::Validation(_))) => {
                error = e.to_string();
                (Vec::new(), Pager::new(&base, 1, PER_PAGE, 0), String::new())
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => {
            error = e.to_string();
            (Vec::new(), Pager::new(&base, 1, PER_PAGE, 0), String::new())
        }
    };
    page(&Register {
        frame: console.frame(&state, "家庭登记", "/console/families"),
        can_search: auth.reveal() == Reveal::Full,
        can_export: auth.may(Resource::FamilyExport, Action::Read),
        can_register: auth.may(Resource::Family, Action::Create),
        can_import: import_scope(auth).is_ok(),
        streets,
        query,
        error,
        rows,
        pager,
        chart,
    })
}

/// `GET /console/families/export`: the register as xlsx, through the API's own export.
pub async fn export(
    state: web::Data<AppState>,
    console: Console,
) -> Result<HttpResponse, PageError> {
    let bytes = register_workbook(&state, &console.auth)
        .await
        .map_err(ApiError::from)?;
    Ok(crate::routes::xlsx_download(
        bytes,
        &format!("{}-families.xlsx", console.auth.district.slug),
    ))
}

struct EntitlementRow {
    program: String,
    person: &'static str,
    amount: String,
    period: &'static str,
    payer: String,
    basis: String,
    reasons: String,
}

struct ChangeRow {
    version: i32,
    at: String,
    actor: String,
    action: &'static str,
    /// (field, before, after)
    fields: Vec<(String, String, String)>,
}

/// Entitlements on a date, or why there are none to show.
enum Entitlements {
    Shown {
        rows: Vec<EntitlementRow>,
        notices: Vec<String>,
    },
    /// The district has no policy, or none in force on the date: what to do, in words.
    NoPolicy(String),
    /// The caller may not read entitlements.
    Hidden,
}

#[derive(Template)]
#[template(path = "family.html")]
struct FamilyPage {
    frame: super::views::Frame,
    family: FamilyView,
    kind: &'static str,
    status: &'static str,
    child: String,
    as_of: String,
    entitlements: Entitlements,
    history: Option<Vec<ChangeRow>>,
    exit_reason: &'static str,
    /// Offered to those who may take families off the register, while the family is on it.
    can_exit: bool,
    /// Offered to those who may change the family's data, while the family is on the register.
    can_edit: bool,
    /// Offered to street and district staff: the page of who received the family's data (issue 12).
    can_see_access_log: bool,
    can_record_consent: bool,
    exit_reasons: Vec<(&'static str, &'static str)>,
    message: &'static str,
}

#[derive(Deserialize)]
pub struct FamilyQuery {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    done: String,
}

fn child_text(child: &Child) -> String {
    match child {
        Child::Deceased { died_on } => format!("独生子女已于{died_on}死亡"),
        Child::Disabled {
            disability_grade,
            certified_on,
        } => format!("独生子女{disability_grade}级残疾（{certified_on}认定）"),
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::Bool(true) => "是".to_owned(),
        serde_json::Value::Bool(false) => "否".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        // A whole section (a new registration): its fields are the family page itself.
        _ => "（见档案）".to_owned(),
    }
}

fn entitlements(
    district: &District,
    facts: serde_json::Value,
    as_of: NaiveDate,
) -> Result<Entitlements, ApiError> {
    let policy = match (
        district.policy.as_ref(),
        super::views::policy_notice(district, as_of),
    ) {
        (Some(policy), None) => policy,
        (policy, notice) => {
            let hint = if policy.is_some() {
                "请选择有效期内的日期查看。"
            } else {
                ""
            };
            return Ok(Entitlements::NoPolicy(format!(
                "{}{hint}",
                notice.unwrap_or_default()
            )));
        }
    };
    let evaluation = evaluation(district, facts, as_of)?;
    let rows = evaluation
        .entitlements
        .iter()
        .map(|e| EntitlementRow {
            program: policy
                .program(e.program)
                .map_or_else(|| "（未知项目）".to_owned(), |p| p.title.clone()),
            person: e.person.map_or(labels::person(""), |p| p.label()),
            amount: e
                .amount_cny
                .map_or_else(|| "—".to_owned(), |a| format!("{a}元")),
            period: labels::period(e.period.as_str()),
            payer: labels::payer(e.payer),
            basis: e.basis.to_owned(),
            reasons: e
                .reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("；"),
        })
        .collect();
    Ok(Entitlements::Shown {
        rows,
        notices: evaluation.notices,
    })
}

/// `GET /console/families/{id}`: one family with its entitlements on `as_of` and its history.
pub async fn family(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
    query: web::Query<FamilyQuery>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let id = id.into_inner();
    let family = read_family(&state, auth, id)
        .await
        .map_err(ApiError::from)?;
    let district = &auth.district;
    let as_of = match some(&query.as_of) {
        None => district.today(),
        Some(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
            ApiError::bad_request(
                "invalid_date",
                "as_of",
                format!("日期应为年-月-日，而不是“{text}”"),
            )
        })?,
    };
    let entitlements = if auth.may(Resource::Entitlement, Action::Read) {
        entitlements(district, family_facts(&state, auth, id).await?, as_of)?
    } else {
        Entitlements::Hidden
    };
    let history = if auth.may(Resource::FamilyHistory, Action::Read) {
        let changes = family_changes(&state, auth, id).await?;
        Some(
            changes
                .into_iter()
                .rev()
                .map(|c| ChangeRow {
                    version: c.version,
                    at: district
                        .local(c.changed_at)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    actor: c.actor_name,
                    action: labels::history_action(&c.action),
                    fields: c
                        .changes
                        .as_array()
                        .map(|list| {
                            list.iter()
                                .map(|f| {
                                    let path =
                                        f.get("field").and_then(|p| p.as_str()).unwrap_or("");
                                    let null = serde_json::Value::Null;
                                    (
                                        labels::field(path),
                                        value_text(f.get("from").unwrap_or(&null)),
                                        value_text(f.get("to").unwrap_or(&null)),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect(),
        )
    } else {
        None
    };
    page(&FamilyPage {
        frame: console.frame(&state, "家庭档案", "/console/families"),
        exit_reason: family.exit.as_ref().map_or("", |e| e.reason.label()),
        can_exit: family.status == FamilyStatus::Active && auth.may(Resource::Family, Action::Exit),
        can_edit: family.status == FamilyStatus::Active
            && auth.may(Resource::Family, Action::Update),
        can_see_access_log: auth.may(Resource::FamilyAccessLog, Action::Read),
        can_record_consent: auth.may(Resource::SharingConsent, Action::Update),
        exit_reasons: ExitReason::choices(),
        message: match query.done.as_str() {
            "exited" => "已退出登记，并已通知区级管理部门。",
            "registered" => "已登记该家庭。",
            "updated" => "已保存修改。",
            _ => "",
        },
        kind: family.kind.label(),
        status: family.status.label(),
        child: child_text(&family.child),
        as_of: as_of.to_string(),
        family,
        entitlements,
        history,
    })
}

/// `POST /console/families/{id}/exit`: takes the family off the register with a reason and date.
pub async fn exit(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
    form: super::session::Posted,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let reason = ExitReason::parse(form.get("reason"))
        .ok_or_else(|| ApiError::bad_request("invalid_reason", "reason", "请选择退出原因"))?;
    let exited_on = form
        .text("exited_on")
        .map(|d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request(
                    "invalid_date",
                    "exited_on",
                    format!("日期应为年-月-日，而不是“{d}”"),
                )
            })
        })
        .transpose()?;
    let body = Exit {
        reason,
        note: form.text("note"),
        exited_on,
    };
    take_off_register(&state, &console.auth, id, body).await?;
    Ok(super::views::see_other(&format!(
        "/console/families/{id}?done=exited"
    )))
}
