use actix_web::{web, HttpResponse};
use chrono::{Datelike, NaiveDate};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::FamilyFilter;
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::org::OrgKind;
use serde::Deserialize;
use serde_json::json;
use tracing_actix_web::RequestId;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::registry::view::{list_item, Reveal};
use crate::registry::{counts, Registry};
use crate::routes::district_of;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Street code.
    street: Option<String>,
    /// Community code.
    community: Option<String>,
    kind: Option<String>,
    /// `active` (default), `exited` or `all`.
    status: Option<String>,
    /// Age band of a living parent, inclusive.
    age_min: Option<i32>,
    age_max: Option<i32>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The date `years` years before `today` (29 Feb falls back to 28 Feb).
fn years_before(today: NaiveDate, years: i32) -> NaiveDate {
    let year = today.year() - years;
    NaiveDate::from_ymd_opt(year, today.month(), today.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, today.month(), today.day() - 1))
        .unwrap_or(NaiveDate::MIN)
}

pub async fn list_families(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::Family, Action::List)?;
    let (district, _) = district_of(&state, &caller, &request_id)?;
    let q = query.into_inner();
    let unit = |code: &Option<String>, kind: OrgKind, field: &str| -> Result<_, ApiError> {
        code.as_ref()
            .map(|c| {
                district
                    .orgs
                    .by_code_or_name(c, kind)
                    .map(|u| u.id)
                    .ok_or_else(|| {
                        ApiError::bad_request("unknown_org_unit", field, format!("本区没有“{c}”"))
                    })
            })
            .transpose()
    };
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k @ ("bereaved" | "disabled")) => Some(k.to_owned()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_kind",
                "kind",
                "家庭类别应为 bereaved 或 disabled",
            ))
        }
    };
    let status = match q.status.as_deref() {
        None | Some("active") => Some("active".to_owned()),
        Some("exited") => Some("exited".to_owned()),
        Some("all") => None,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_status",
                "status",
                "状态应为 active、exited 或 all",
            ))
        }
    };
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=200).contains(&per_page) {
        return Err(ApiError::bad_request(
            "out_of_range",
            "per_page",
            "每页条数应在1到200之间",
        ));
    }
    let page = q.page.unwrap_or(1);
    if page < 1 {
        return Err(ApiError::bad_request("out_of_range", "page", "页码从1开始"));
    }
    if let (Some(lo), Some(hi)) = (q.age_min, q.age_max) {
        if lo > hi {
            return Err(ApiError::bad_request(
                "out_of_range",
                "age_min",
                "最小年龄不能大于最大年龄",
            ));
        }
    }
    let today = district.today();
    let filter = FamilyFilter {
        street_id: unit(&q.street, OrgKind::Street, "street")?,
        community_id: unit(&q.community, OrgKind::Community, "community")?,
        kind,
        status,
        parent_born_on_or_before: q.age_min.map(|a| years_before(today, a)),
        parent_born_after: q.age_max.map(|a| years_before(today, a + 1)),
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let registry = Registry::new(&district, &state.keys);
    let scope = caller.family_scope();
    let (cached, cache_key) = counts::cached_total(&state.store, district.id, scope, &filter).await;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let (families, total) = registry.list(&mut tx, scope, &filter, cached).await?;
    tx.commit().await?;
    if let (None, Some(key)) = (cached, cache_key) {
        counts::remember_total(&state.store, &key, total).await;
    }
    let names_visible = caller.reveal(&state) == Reveal::Full;
    let items: Vec<_> = families
        .iter()
        .map(|(record, family)| list_item(record, family, &district.orgs, today, names_visible))
        .collect();
    Ok(HttpResponse::Ok()
        .json(json!({"items": items, "total": total, "page": page, "per_page": per_page})))
}
