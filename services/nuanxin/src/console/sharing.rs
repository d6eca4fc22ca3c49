//! `/console/sharing`: data sharing between departments (issue 12). A department's staff see the
//! rules they may request under, ask for data, and open their requests and releases; the steward
//! (the district office) sees the queue and each request beside its rule, and decides or revokes.
//! `/console/families/{id}/access-log` is the page a worker prints and hands to the family, and
//! `/console/families/{id}/sharing-consents` where street and district staff record and withdraw the
//! family's consents. Every page calls the same service functions with the same authorization as the
//! API, and a refused form comes back with each error beside its field and what was typed kept.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use nuanxin_access::{Action, Resource};
use nuanxin_domain::labels;
use nuanxin_domain::org::OrgKind;
use nuanxin_domain::sharing::ReleaseState;
use nuanxin_domain::sharing::{ConsentHow, RequestStatus};
use nuanxin_ids::{DataReleaseId, DataRequestId, FamilyId};
use nuanxin_sharing::{AGE_BANDS, KINDS};
use nuanxin_text_enum::Labelled;

use super::session::{Console, Posted};
use super::views::{page, page_with_status, see_other, Frame, PageError};
use crate::benefits::Access;
use crate::error::ApiError;
use crate::sharing::access_log::AccessEntry;
use crate::sharing::consent::{self, ConsentInput, ConsentView, WithdrawInput};
use crate::sharing::records::{self, RecordsPage, ReleaseView};
use crate::sharing::requests::{self, RequestDetail, RequestView, Viewer};
use crate::sharing::{own_unit, viewer};
use crate::sharing::{release, rule_views, RuleView, SharingError};
use crate::state::AppState;

/// Codes and labels for a select.
type Options = Vec<(String, String)>;

#[derive(Template)]
#[template(path = "sharing.html")]
struct SharingPage {
    frame: Frame,
    steward: bool,
    may_request: bool,
    rules: Vec<RuleView>,
    requests: Vec<RequestView>,
    releases: Vec<ReleaseView>,
    streets: Options,
    kinds: Options,
    age_bands: Options,
    programs: Options,
    message: &'static str,
    /// The request form sent back with the service's refusal, if any.
    form: Sent,
}

impl SharingPage {
    /// The days field of `rule`'s form: as typed when that form came back, else the longest allowed.
    fn days_of(&self, rule: &RuleView) -> String {
        self.form
            .value(&rule.purpose, "days")
            .map_or_else(|| rule.max_days.to_string(), str::to_owned)
    }
}

/// A console form sent back with the service's refusal: what was typed, and each error beside the
/// field its API path names (`fields[1]` beside the box of the second field asked, `filter.street`
/// beside its select); an error that names no field of the form goes above it. `which` tells the
/// page's forms apart (a request form: its rule's purpose), so only the one sent shows its input.
#[derive(Default)]
pub struct Sent {
    which: Option<String>,
    values: Vec<(String, String)>,
    errors: std::collections::HashMap<String, String>,
    general: Vec<String>,
}

impl Sent {
    /// The values of `names` in `form`, as typed.
    fn new(which: &str, form: &Posted, names: &[&str]) -> Sent {
        Sent {
            which: Some(which.to_owned()),
            values: names
                .iter()
                .flat_map(|&n| form.all(n).map(move |v| (n.to_owned(), v.to_owned())))
                .collect(),
            ..Sent::default()
        }
    }

    fn is(&self, which: &str) -> bool {
        self.which.as_deref() == Some(which)
    }

    /// The first value typed in `name` when form `which` came back.
    pub fn value(&self, which: &str, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| self.is(which) && n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `value` was ticked or selected in `name` when form `which` came back.
    pub fn has(&self, which: &str, name: &str, value: &str) -> bool {
        self.is(which) && self.values.iter().any(|(n, v)| n == name && v == value)
    }

    pub fn error(&self, which: &str, name: &str) -> Option<&str> {
        self.errors
            .get(name)
            .filter(|_| self.is(which))
            .map(String::as_str)
    }

    pub fn general(&self, which: &str) -> &[String] {
        if self.is(which) {
            &self.general
        } else {
            &[]
        }
    }

    pub fn refused(&self, which: &str) -> bool {
        self.is(which) && (!self.errors.is_empty() || !self.general.is_empty())
    }

    /// Places a refusal of the service: problems beside their fields (`fields[i]` as `fields:<code>`
    /// of the i-th value of `fields`), the other refusals above the form; any other error is returned.
    fn place(&mut self, error: SharingError, names: &[&str]) -> Result<(), SharingError> {
        match error {
            SharingError::Invalid(problems) => {
                for p in problems {
                    let field = match p
                        .field
                        .strip_prefix("fields[")
                        .and_then(|r| r.strip_suffix(']'))
                    {
                        Some(i) => i
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| self.values.iter().filter(|(n, _)| n == "fields").nth(i))
                            .map_or_else(
                                || "fields".to_owned(),
                                |(_, code)| format!("fields:{code}"),
                            ),
                        None => p.field,
                    };
                    let known = names.contains(&field.as_str())
                        || (field.starts_with("fields:") && names.contains(&"fields"));
                    if known {
                        self.errors.entry(field).or_insert(p.message);
                    } else {
                        self.general.push(p.message);
                    }
                }
                Ok(())
            }
            SharingError::NotFound(message) | SharingError::Conflict(message) => {
                self.general.push(message.to_owned());
                Ok(())
            }
            other => Err(other),
        }
    }
}

#[derive(serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /console/sharing`: the department's requests and releases, or the steward's queue.
pub async fn index(
    state: web::Data<AppState>,
    console: Console,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let message = match done.done.as_str() {
        "requested" => "申请已提交，等待区数据管理部门审批。",
        "approved" => "已批准，数据发布已生成。",
        "rejected" => "已驳回，申请部门会收到理由。",
        "revoked" => "已撤销该数据发布，申请部门不能再查阅。",
        _ => "",
    };
    sharing_page(&state, &console, message, Sent::default()).await
}

/// The sharing page, with a request form sent back (422) when `form` holds a refusal.
async fn sharing_page(
    state: &AppState,
    console: &Console,
    message: &'static str,
    form: Sent,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::DataRequest, Action::List)?;
    let viewer = viewer(auth)?;
    let steward = viewer == Viewer::Steward;
    let district = &auth.district;
    let status = steward.then_some(RequestStatus::Pending);
    let requests = requests::list(&state.pool, district, viewer, status, 100, 0)
        .await
        .map_err(ApiError::from)?;
    let releases = records::list(state, district, viewer, 100, 0)
        .await
        .map_err(ApiError::from)?;
    let unit = (!steward).then(|| auth.unit_code());
    let status = if form.which.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page_with_status(
        status,
        &SharingPage {
            frame: console.frame(state, "数据共享", "/console/sharing"),
            steward,
            may_request: auth.may(Resource::DataRequest, Action::Create),
            rules: rule_views(district, unit),
            requests,
            releases,
            streets: district
                .orgs
                .of_kind(OrgKind::Street)
                .map(|s| (s.code.clone(), s.name.clone()))
                .collect(),
            kinds: KINDS
                .iter()
                .map(|k| ((*k).to_owned(), labels::family_kind(k).to_owned()))
                .collect(),
            age_bands: AGE_BANDS
                .iter()
                .map(|(code, lo, hi)| {
                    let label = if *hi == u32::MAX {
                        format!("{lo}岁及以上")
                    } else {
                        format!("{lo}–{hi}岁")
                    };
                    ((*code).to_owned(), label)
                })
                .collect(),
            programs: district.policy.as_ref().map_or_else(Vec::new, |p| {
                p.programs()
                    .iter()
                    .map(|p| (p.code.clone(), p.title.clone()))
                    .collect()
            }),
            message,
            form,
        },
    )
}

/// The names of the request form's inputs (the API's field paths).
const REQUEST_FORM: [&str; 7] = [
    "fields",
    "filter.kind",
    "filter.street",
    "filter.age_band",
    "filter.program",
    "days",
    "purpose",
];

/// `POST /console/sharing/requests`: a department's request from the form (`purpose`, checked
/// `fields`, `filter.<name>` selects left empty for none, `days`).
pub async fn create(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::DataRequest, Action::Create)?;
    let unit = own_unit(auth)?;
    let filter = ["kind", "street", "age_band", "program"]
        .into_iter()
        .filter_map(|name| {
            form.text(&format!("filter.{name}"))
                .map(|value| (name.to_owned(), value))
        })
        .collect();
    let req = nuanxin_sharing::Request {
        purpose: form.get("purpose").to_owned(),
        fields: form.all("fields").map(str::to_owned).collect(),
        filter,
        // Not a number: 0, which the rule check refuses naming `days`.
        days: form.get("days").trim().parse().unwrap_or(0),
    };
    let mut sent = Sent::new(&req.purpose, &form, &REQUEST_FORM);
    match requests::create(&state.pool, &auth.district, &auth.actor, unit, req).await {
        Ok(_) => Ok(see_other("/console/sharing?done=requested")),
        Err(e) => {
            sent.place(e, &REQUEST_FORM).map_err(ApiError::from)?;
            sharing_page(&state, &console, "", sent).await
        }
    }
}

#[derive(Template)]
#[template(path = "sharing_request.html")]
struct RequestPage {
    frame: Frame,
    detail: RequestDetail,
    /// The filter as (名称, 值) in Chinese.
    filter: Vec<(&'static str, String)>,
    steward: bool,
}

/// `GET /console/sharing/requests/{id}`: the request beside its rule.
pub async fn request(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<DataRequestId>,
) -> Result<HttpResponse, PageError> {
    let access: crate::benefits::Access = state.clone().into_inner();
    let detail = crate::sharing::requests::detail(&access, &console.auth, id.into_inner()).await?;
    let district = &console.auth.district;
    let filter = detail
        .request
        .filter
        .iter()
        .map(|(name, value)| {
            let value = value.as_str().unwrap_or_default();
            match name.as_str() {
                "street" => ("街道", records::shown(district, "street", &value.into())),
                "kind" => ("家庭类别", labels::family_kind(value).to_owned()),
                "age_band" => ("父母年龄段", value.to_owned()),
                _ => (
                    "享受的项目",
                    records::shown(district, "entitlements", &value.into()),
                ),
            }
        })
        .collect();
    page(&RequestPage {
        frame: console.frame(&state, "数据共享申请", "/console/sharing"),
        filter,
        steward: console.auth.may(Resource::DataRequest, Action::Approve),
        detail,
    })
}

/// `POST /console/sharing/requests/{id}/decide`: `action` = `approve`, or `reject` with `reason`.
pub async fn decide(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<DataRequestId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::DataRequest, Action::Approve)?;
    let id = id.into_inner();
    let done = match form.get("action") {
        "approve" => {
            let access: Access = state.clone().into_inner();
            release::approve(access, &auth.district, &auth.actor, id)
                .await
                .map_err(ApiError::from)?;
            "approved"
        }
        "reject" => {
            requests::reject(
                &state.pool,
                &auth.district,
                &auth.actor,
                id,
                form.get("reason"),
            )
            .await
            .map_err(ApiError::from)?;
            "rejected"
        }
        _ => return Err(ApiError::bad_request("invalid_action", "action", "未知的操作").into()),
    };
    Ok(see_other(&format!("/console/sharing?done={done}")))
}

#[derive(Template)]
#[template(path = "sharing_release.html")]
struct ReleasePage {
    frame: Frame,
    release: ReleaseView,
    watermark: String,
    /// Column codes and labels: `pid` then the release's fields.
    columns: Vec<(String, String)>,
    rows: Vec<Vec<String>>,
    next: Option<i32>,
}

#[derive(serde::Deserialize)]
pub struct After {
    #[serde(default)]
    after: i32,
}

/// `GET /console/sharing/releases/{id}`: a page of the records, for the department they were
/// released to (each page read is recorded like the API's).
pub async fn release(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<DataReleaseId>,
    after: web::Query<After>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::DataRelease, Action::Read)?;
    let unit = own_unit(auth)?;
    let id = id.into_inner();
    let district = &auth.district;
    let RecordsPage { items, next } = records::page(
        &state,
        district,
        &auth.actor,
        unit,
        id,
        after.after.max(0),
        50,
    )
    .await
    .map_err(ApiError::from)?;
    let view = records::get(&state, district, Viewer::Unit(unit), id)
        .await
        .map_err(ApiError::from)?;
    let mut columns = vec![("pid".to_owned(), "化名编号".to_owned())];
    columns.extend(
        view.fields
            .iter()
            .map(|f| (f.field.to_owned(), f.label.to_owned())),
    );
    let rows = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|(code, _)| {
                    records::shown(
                        district,
                        code,
                        item.get(code).unwrap_or(&serde_json::Value::Null),
                    )
                })
                .collect()
        })
        .collect();
    page(&ReleasePage {
        frame: console.frame(&state, "数据发布", "/console/sharing"),
        watermark: records::watermark(district, &view),
        release: view,
        columns,
        rows,
        next,
    })
}

/// `GET /console/sharing/releases/{id}/export`: the xlsx with its watermark line.
pub async fn export(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<DataReleaseId>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::DataRelease, Action::Read)?;
    let unit = own_unit(auth)?;
    let id = id.into_inner();
    let bytes = records::export(&state, &auth.district, &auth.actor, unit, id)
        .await
        .map_err(ApiError::from)?;
    Ok(crate::routes::xlsx_download(
        bytes,
        &format!("release-{id}.xlsx"),
    ))
}

/// `POST /console/sharing/releases/{id}/revoke`: the steward ends a release at once.
pub async fn revoke(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<DataReleaseId>,
    _form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::DataRelease, Action::Revoke)?;
    records::revoke(&state, &auth.district, &auth.actor, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(see_other("/console/sharing?done=revoked"))
}

#[derive(Template)]
#[template(path = "sharing_access_log.html")]
struct AccessLogPage {
    frame: Frame,
    family_id: FamilyId,
    district_name: String,
    /// The district office that provides the data (区人口计生委 / 区卫生健康局).
    office: String,
    entries: Vec<(String, AccessEntry)>,
    printed_on: String,
}

/// `GET /console/families/{id}/access-log`: who received or looked up the family's data, as a page
/// to print and hand to the family.
pub async fn access_log(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let id = id.into_inner();
    let items = crate::sharing::access_log::family_access_log(&state, auth, id).await?;
    let district = &auth.district;
    page(&AccessLogPage {
        frame: console.frame(&state, "数据使用记录", "/console/families"),
        family_id: id,
        district_name: district.name.clone(),
        office: district
            .orgs
            .of_kind(OrgKind::DistrictOffice)
            .next()
            .map_or_else(String::new, |o| o.name.clone()),
        entries: items
            .into_iter()
            .map(|e| (district.local(e.at).format("%Y-%m-%d %H:%M").to_string(), e))
            .collect(),
        printed_on: district.today().to_string(),
    })
}

/// A rule that needs the family's consent, as the consent form offers it.
struct ConsentRule {
    /// `org_unit|purpose`: the form's value for the rule.
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "sharing_consents.html")]
struct ConsentsPage {
    frame: Frame,
    family_id: FamilyId,
    consents: Vec<ConsentView>,
    rules: Vec<ConsentRule>,
    hows: Options,
    today: String,
    message: &'static str,
    form: Sent,
}

impl ConsentsPage {
    /// The form's value of `name` as typed when it came back, else `default`.
    fn typed<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.form.value(CONSENT_FORM_NAME, name).unwrap_or(default)
    }
}

/// The one consent form of its page.
const CONSENT_FORM_NAME: &str = "consent";
const CONSENT_FORM: [&str; 4] = ["rule", "given_on", "how", "note"];

fn consent_rules(district: &crate::state::District) -> Vec<ConsentRule> {
    district.sharing.as_ref().map_or_else(Vec::new, |rules| {
        rules
            .rules
            .iter()
            .filter(|r| r.consent_required)
            .map(|r| ConsentRule {
                value: format!("{}|{}", r.org_unit, r.purpose),
                label: format!(
                    "{} · {}",
                    district
                        .orgs
                        .by_code(&r.org_unit)
                        .map_or(r.org_unit.as_str(), |u| u.name.as_str()),
                    r.purpose
                ),
            })
            .collect()
    })
}

/// The consents page of a family, with the form sent back (422) when `form` holds a refusal.
async fn consents_page(
    state: &AppState,
    console: &Console,
    family_id: FamilyId,
    message: &'static str,
    form: Sent,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::SharingConsent, Action::Update)?;
    let district = &auth.district;
    let consents = consent::of_family(&state.pool, district, auth.scope, family_id)
        .await
        .map_err(ApiError::from)?;
    let status = if form.which.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page_with_status(
        status,
        &ConsentsPage {
            frame: console.frame(state, "家庭同意", "/console/families"),
            family_id,
            consents,
            rules: consent_rules(district),
            hows: ConsentHow::choices()
                .into_iter()
                .map(|(code, label)| (code.to_owned(), label.to_owned()))
                .collect(),
            today: district.today().to_string(),
            message,
            form,
        },
    )
}

/// `GET /console/families/{id}/sharing-consents`: the family's consents to departments' purposes,
/// the form to record one and a withdraw button for each in force (street and district staff).
pub async fn consents(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let message = match done.done.as_str() {
        "given" => "已记录家庭的同意。",
        "withdrawn" => "已撤回同意：此后批准的数据发布不再包含该家庭。",
        _ => "",
    };
    consents_page(&state, &console, id.into_inner(), message, Sent::default()).await
}

/// A rule's `org_unit|purpose` from the form.
fn rule_of(form: &Posted) -> (String, String) {
    let (unit, purpose) = form.get("rule").split_once('|').unwrap_or(("", ""));
    (unit.to_owned(), purpose.to_owned())
}

/// `POST /console/families/{id}/sharing-consents`: records a consent through the API's service call.
pub async fn give_consent(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::SharingConsent, Action::Update)?;
    let family_id = id.into_inner();
    let mut sent = Sent::new(CONSENT_FORM_NAME, &form, &CONSENT_FORM);
    let (org_unit, purpose) = rule_of(&form);
    let Ok(given_on) = chrono::NaiveDate::parse_from_str(form.get("given_on").trim(), "%Y-%m-%d")
    else {
        sent.errors
            .insert("given_on".into(), "日期应为年-月-日，如 2026-12-01".into());
        return consents_page(&state, &console, family_id, "", sent).await;
    };
    let input = ConsentInput {
        org_unit,
        purpose,
        given_on,
        how: form.get("how").to_owned(),
        note: form.text("note"),
    };
    match consent::give(
        &state.pool,
        &auth.district,
        &auth.actor,
        auth.scope,
        family_id,
        input,
    )
    .await
    {
        Ok(()) => Ok(see_other(&format!(
            "/console/families/{family_id}/sharing-consents?done=given"
        ))),
        Err(e) => {
            sent.place(rule_field(e), &CONSENT_FORM)
                .map_err(ApiError::from)?;
            consents_page(&state, &console, family_id, "", sent).await
        }
    }
}

/// The service names the rule by its parts (`org_unit`, `purpose`); the form has one select for it.
fn rule_field(e: SharingError) -> SharingError {
    match e {
        SharingError::Invalid(problems) => SharingError::Invalid(
            problems
                .into_iter()
                .map(|mut p| {
                    if p.field == "purpose" || p.field == "org_unit" {
                        p.field = "rule".into();
                    }
                    p
                })
                .collect(),
        ),
        other => other,
    }
}

/// `POST /console/families/{id}/sharing-consents/withdraw`: withdraws a consent in force today.
pub async fn withdraw_consent(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::SharingConsent, Action::Update)?;
    let family_id = id.into_inner();
    let (org_unit, purpose) = rule_of(&form);
    consent::withdraw(
        &state.pool,
        &auth.district,
        &auth.actor,
        auth.scope,
        family_id,
        WithdrawInput {
            org_unit,
            purpose,
            withdrawn_on: None,
        },
    )
    .await
    .map_err(ApiError::from)?;
    Ok(see_other(&format!(
        "/console/families/{family_id}/sharing-consents?done=withdrawn"
    )))
}
