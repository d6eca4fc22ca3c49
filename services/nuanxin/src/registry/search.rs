//! Searching the register for a caller: the filters of `GET /api/v1/families` and of the console's
//! filter bar, checked against the district (street and community by code or name, a person by
//! resident ID through its keyed hash or by part of a name, for those who may see who they are), a
//! page of what matches and the same matches counted by street and kind.

use chrono::{Datelike, NaiveDate};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::{FamilyFilter, FamilyRecord};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::family::{FamilyKind, FamilyStatus};
use nuanxin_domain::org::OrgKind;
use nuanxin_ids::OrgUnitId;
use nuanxin_privacy::ResidentId;
use serde::Deserialize;

use super::view::{list_item, FamilyListItem, Reveal};
use super::{counts, Registry, RegistryError};
use crate::auth::Authorized;
use crate::page::{Page, Paging};
use crate::state::AppState;

fn bad_query(code: &'static str, field: &'static str, message: impl Into<String>) -> RegistryError {
    RegistryError::BadInput {
        code,
        field,
        message: message.into(),
    }
}

/// The register's filters and page (the API's query and the console's filter bar alike).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilySearch {
    /// Street code.
    pub street: Option<String>,
    /// Community code.
    pub community: Option<String>,
    pub kind: Option<String>,
    /// `active` (default), `exited` or `all`.
    pub status: Option<String>,
    /// Age band of a living parent, inclusive.
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    /// A parent's resident ID (exact), or part of a parent's name.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Ages asked for are of living people.
const MAX_AGE: i32 = 150;

/// The date `years` years before `today` (29 Feb falls back to 28 Feb).
fn years_before(today: NaiveDate, years: i32) -> NaiveDate {
    let year = today.year() - years;
    NaiveDate::from_ymd_opt(year, today.month(), today.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, today.month(), today.day() - 1))
        .unwrap_or(NaiveDate::MIN)
}

/// The checked filter and page of a register query.
fn filter_of(
    state: &AppState,
    auth: &Authorized,
    q: &FamilySearch,
) -> Result<(FamilyFilter, Paging), RegistryError> {
    auth.check(Resource::Family, Action::List)?;
    let district = &auth.district;
    let unit = |code: &Option<String>, kind: OrgKind, field| -> Result<_, RegistryError> {
        code.as_ref()
            .map(|c| {
                district
                    .orgs
                    .by_code_or_name(c, kind)
                    .map(|u| u.id)
                    .ok_or_else(|| bad_query("unknown_org_unit", field, format!("本区没有“{c}”")))
            })
            .transpose()
    };
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(FamilyKind::parse(k).ok_or_else(|| {
            bad_query("invalid_kind", "kind", "家庭类别应为 bereaved 或 disabled")
        })?),
    };
    let status = nuanxin_text_enum::one_or_all(q.status.as_deref(), FamilyStatus::Active)
        .map_err(|message| bad_query("invalid_status", "status", message))?;
    let paging = Paging::new(q.page, q.per_page, 50, 200)?;
    for (field, age) in [("age_min", q.age_min), ("age_max", q.age_max)] {
        if age.is_some_and(|a| !(0..=MAX_AGE).contains(&a)) {
            return Err(bad_query(
                "out_of_range",
                field,
                format!("年龄应在0到{MAX_AGE}之间"),
            ));
        }
    }
    if let (Some(lo), Some(hi)) = (q.age_min, q.age_max) {
        if lo > hi {
            return Err(bad_query(
                "out_of_range",
                "age_min",
                "最小年龄不能大于最大年龄",
            ));
        }
    }
    let today = district.today();
    let registry = Registry::new(district, &state.keys);
    let names_visible = auth.reveal() == Reveal::Full;
    let (name_contains, resident_hash) = match q.q.as_deref().map(str::trim) {
        None | Some("") => (None, None),
        // Looking a person up is for those who may see who they are.
        Some(_) if !names_visible => return Err(RegistryError::Forbidden),
        Some(text) => match ResidentId::parse(text) {
            Ok(id) => (None, Some(registry.codec.resident_hash(&id).to_vec())),
            Err(_) if text.chars().count() <= 20 && !text.chars().any(char::is_control) => {
                (Some(text.to_owned()), None)
            }
            Err(_) => {
                return Err(bad_query(
                    "invalid_query",
                    "q",
                    "请输入完整的身份证号，或不超过20个字的姓名",
                ))
            }
        },
    };
    let filter = FamilyFilter {
        street_id: unit(&q.street, OrgKind::Street, "street")?,
        community_id: unit(&q.community, OrgKind::Community, "community")?,
        kind,
        status,
        parent_born_on_or_before: q.age_min.map(|a| years_before(today, a)),
        parent_born_after: q.age_max.map(|a| years_before(today, a + 1)),
        name_contains,
        resident_hash,
        ids: None,
        limit: paging.limit(),
        offset: paging.offset(),
    };
    Ok((filter, paging))
}

/// A page of the caller's register matching `q` (what `GET /api/v1/families` answers and the console's
/// register shows).
pub async fn family_page(
    state: &AppState,
    auth: &Authorized,
    q: &FamilySearch,
) -> Result<Page<FamilyListItem>, RegistryError> {
    let (filter, paging) = filter_of(state, auth, q)?;
    let district = &auth.district;
    let today = district.today();
    let registry = Registry::new(district, &state.keys);
    let names_visible = auth.reveal() == Reveal::Full;
    let scope = auth.scope;
    let (cached, cache_key) = counts::cached_total(&state.store, district.id, scope, &filter).await;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let (families, total) = registry.list(&mut tx, scope, &filter, cached).await?;
    tx.commit().await?;
    if let (None, Some(key)) = (cached, cache_key) {
        counts::remember_total(&state.store, &key, total).await;
    }
    let items: Vec<_> = families
        .iter()
        .map(|(record, family)| list_item(record, family, &district.orgs, today, names_visible))
        .collect();
    Ok(paging.page(items, total))
}

/// The whole register matching `q` (every page) counted by street and kind, within the caller's scope:
/// one grouped count, only the (street, kind) pairs that have families.
pub async fn register_counts(
    state: &AppState,
    auth: &Authorized,
    q: &FamilySearch,
) -> Result<Vec<(OrgUnitId, FamilyKind, i64)>, RegistryError> {
    let (filter, _) = filter_of(state, auth, q)?;
    let mut tx = TenantTx::begin(&state.pool, auth.district.id).await?;
    let counts = FamilyRecord::count_by_street_and_kind(&mut tx, auth.scope, &filter).await?;
    tx.commit().await?;
    Ok(counts)
}
