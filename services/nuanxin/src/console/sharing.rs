//! `/console/sharing`: data sharing between departments (issue 12). A department's staff see the
//! rules they may request under, ask for data, and open their requests and releases; the steward
//! (the district office) sees the queue and each request beside its rule, and decides or revokes.
//! `/console/families/{id}/access-log` is the page a worker prints and hands to the family. Every
//! page calls the same service functions with the same authorization as the API.

use actix_web::{web, HttpResponse};
use askama::Template;
use nuanxin_access::{Action, Resource};
use nuanxin_domain::labels;
use nuanxin_domain::org::OrgKind;
use nuanxin_domain::sharing::RequestStatus;
use nuanxin_sharing::{AGE_BANDS, KINDS};
use uuid::Uuid;

use super::session::{Console, Posted};
use super::views::{page, see_other, Frame, PageError};
use crate::benefits::Access;
use crate::error::ApiError;
use crate::routes::sharing::{own_unit, viewer};
use crate::sharing::access_log::AccessEntry;
use crate::sharing::records::{self, RecordsPage, ReleaseView};
use crate::sharing::requests::{self, RequestDetail, RequestView, Viewer};
use crate::sharing::{release, rule_views, RuleView};
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
    let auth = &console.auth;
    auth.require(Resource::DataRequest, Action::List)?;
    let viewer = viewer(auth)?;
    let steward = viewer == Viewer::Steward;
    let district = &auth.district;
    let status = steward.then_some(RequestStatus::Pending);
    let requests = requests::list(&state.pool, district, viewer, status, 100, 0)
        .await
        .map_err(ApiError::from)?;
    let releases = records::list(&state, district, viewer, 100, 0)
        .await
        .map_err(ApiError::from)?;
    let unit = (!steward).then(|| auth.unit_code());
    page(&SharingPage {
        frame: console.frame(&state, "数据共享", "/console/sharing"),
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
        message: match done.done.as_str() {
            "requested" => "申请已提交，等待区数据管理部门审批。",
            "approved" => "已批准，数据发布已生成。",
            "rejected" => "已驳回，申请部门会收到理由。",
            "revoked" => "已撤销该数据发布，申请部门不能再查阅。",
            _ => "",
        },
    })
}

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
        days: form.get("days").trim().parse().unwrap_or(0),
    };
    requests::create(&state.pool, &auth.district, &auth.actor, unit, req)
        .await
        .map_err(ApiError::from)?;
    Ok(see_other("/console/sharing?done=requested"))
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
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let detail =
        crate::routes::sharing::requests::request_detail(&state, &console.auth, id.into_inner())
            .await?;
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
    id: web::Path<Uuid>,
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
    id: web::Path<Uuid>,
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
    id: web::Path<Uuid>,
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
    id: web::Path<Uuid>,
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
    family_id: Uuid,
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
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let id = id.into_inner();
    let items = crate::routes::sharing::access_log::access_log(&state, auth, id).await?;
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
