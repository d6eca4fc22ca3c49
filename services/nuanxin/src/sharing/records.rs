//! Reading a release: its records in keyset pages and as an xlsx export, for the requesting
//! department only; the releases a viewer sees; revocation by the steward. Each page and each export
//! is an audit event naming the records' range, so a family's access log can tell which reads held it.

use chrono::{DateTime, NaiveDate, Utc};
use nuanxin_db::models::sharing::{records_page, DataRelease};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::labels;
use nuanxin_domain::sharing::ReleaseState;
use nuanxin_ids::{DataReleaseId, DataRequestId, FamilyId, OrgUnitId};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::release::record_aad;
use super::requests::Viewer;
use super::{check_readable, mail, release_fields, FieldView, SharingError};
use crate::audit::{self, Actor};
use crate::state::{AppState, District};

/// Records per page when the caller names no `limit`, and the most a page may hold.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;
/// An export is written from pages of this many records.
const EXPORT_PAGE: i64 = 5000;

/// A page of a release's records: `next` is the `after` of the following page (none at the end).
#[derive(Debug, Serialize)]
pub struct RecordsPage {
    pub items: Vec<Map<String, Value>>,
    pub next: Option<i32>,
}

/// The release `id` if `unit` is the department it was released to; 404 for anyone else (another
/// department, the steward, another district).
async fn own_release(
    tx: &mut TenantTx,
    unit: OrgUnitId,
    id: DataReleaseId,
) -> Result<DataRelease, SharingError> {
    DataRelease::find(tx, id)
        .await?
        .filter(|r| r.org_unit_id == unit)
        .ok_or(SharingError::NotFound("没有找到该数据发布"))
}

fn open_record(
    state: &AppState,
    tenant: &str,
    release: &str,
    family: FamilyId,
    blob: &[u8],
) -> Result<Map<String, Value>, SharingError> {
    let plain = state
        .keys
        .cipher
        .decrypt(blob, &record_aad(tenant, release, &family.to_string()))
        .map_err(|e| SharingError::Decode(e.to_string()))?;
    serde_json::from_slice(&plain).map_err(|e| SharingError::Decode(e.to_string()))
}

/// The read of a range of a release's records, for the audit log.
fn use_event(
    district: &District,
    actor: &Actor,
    action: &str,
    release: &DataRelease,
    range: Option<(i32, i32)>,
) -> nuanxin_db::models::audit::NewAuditEvent {
    let unit = district
        .orgs
        .get(release.org_unit_id)
        .map_or("", |u| u.code.as_str());
    audit::event(
        district.id,
        actor,
        action,
        "data_release",
        &release.id.to_string(),
        json!({"org_unit": unit, "purpose": release.purpose,
               "from": range.map(|r| r.0), "to": range.map(|r| r.1)}),
    )
}

/// One page of the records after `after` (0: from the start), for the requesting department.
pub async fn page(
    state: &AppState,
    district: &District,
    actor: &Actor,
    unit: OrgUnitId,
    id: DataReleaseId,
    after: i32,
    limit: i64,
) -> Result<RecordsPage, SharingError> {
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let release = own_release(&mut tx, unit, id).await?;
    check_readable(&release, district)?;
    let rows = records_page(&mut tx, id, after, limit).await?;
    tx.commit().await?;
    let (tenant, rel) = (district.id.to_string(), id.to_string());
    let items = rows
        .iter()
        .map(|(_, family, blob)| open_record(state, &tenant, &rel, *family, blob))
        .collect::<Result<Vec<_>, _>>()?;
    let range = rows.first().zip(rows.last()).map(|(a, b)| (a.0, b.0));
    if range.is_some() {
        state
            .read_log
            .record(
                use_event(district, actor, "data_release.read", &release, range),
                crate::audit::reads::WAIT,
            )
            .await?;
    }
    let next = (rows.len() as i64 == limit)
        .then(|| range.map(|r| r.1))
        .flatten();
    Ok(RecordsPage { items, next })
}

/// The line every export carries: who asked, why, under which release.
pub fn watermark(district: &District, release: &ReleaseView) -> String {
    format!(
        "仅限{}用于“{}”（数据发布 {}，{}至{}）；禁止转给他人或用于其他用途；生成于{}",
        release.org_unit_name,
        release.purpose,
        release.id,
        release.released_on,
        release.expires_on,
        district.local(Utc::now()).format("%Y-%m-%d %H:%M"),
    )
}

/// A released value as a person reads it in a cell: the codes of streets, communities, kinds,
/// self-care, child status and programs by their Chinese names, a parent list joined with “；”
/// (the API's records keep the codes).
pub fn shown(district: &District, field: &str, value: &Value) -> String {
    let one = |v: &Value| -> String {
        let text = match v {
            Value::Null => return String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match field {
            "street" | "community" => district
                .orgs
                .by_code(&text)
                .map_or(text, |u| u.name.clone()),
            "kind" => labels::family_kind(&text).to_owned(),
            "parent.self_care" => labels::self_care(&text).to_owned(),
            "parent.alive" => if text == "true" { "健在" } else { "已故" }.to_owned(),
            "child.status" => if text == "deceased" {
                "已故"
            } else {
                "残疾"
            }
            .to_owned(),
            "entitlements" => district
                .policy
                .as_ref()
                .and_then(|p| p.program(&text).map(|p| p.title.clone()))
                .unwrap_or(text),
            _ => text,
        }
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect::<Vec<_>>().join("；"),
        other => one(other),
    }
}

/// The whole release as xlsx, in the same masking as its records, with the watermark line first and
/// last; audited as one export.
pub async fn export(
    state: &AppState,
    district: &District,
    actor: &Actor,
    unit: OrgUnitId,
    id: DataReleaseId,
) -> Result<Vec<u8>, SharingError> {
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let release = own_release(&mut tx, unit, id).await?;
    check_readable(&release, district)?;
    tx.commit().await?;
    let fields = release_fields(&release);
    let mut headers: Vec<&str> = vec!["化名编号"];
    headers.extend(fields.iter().map(|(f, _)| f.label()));
    let mark = watermark(district, &release_view(district, &release));
    let mut rows = vec![vec![mark.clone()]];
    let (tenant, rel) = (district.id.to_string(), id.to_string());
    let mut after = 0;
    loop {
        let mut tx = TenantTx::begin(&state.pool, district.id).await?;
        let page = records_page(&mut tx, id, after, EXPORT_PAGE).await?;
        tx.commit().await?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (_, family, blob) in &page {
            let record = open_record(state, &tenant, &rel, *family, blob)?;
            let mut row = vec![shown(district, "pid", &record["pid"])];
            row.extend(fields.iter().map(|(f, _)| {
                shown(
                    district,
                    f.as_str(),
                    record.get(f.as_str()).unwrap_or(&Value::Null),
                )
            }));
            rows.push(row);
        }
    }
    rows.push(vec![mark]);
    state
        .read_log
        .record(
            use_event(
                district,
                actor,
                "data_release.export",
                &release,
                (after > 0).then_some((1, after)),
            ),
            crate::audit::reads::WAIT,
        )
        .await?;
    nuanxin_sheets::write_xlsx("数据发布", &headers, rows)
        .map_err(|e| SharingError::Decode(e.to_string()))
}

/// A release as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseView {
    pub id: DataReleaseId,
    pub request_id: DataRequestId,
    pub org_unit: String,
    pub org_unit_name: String,
    pub purpose: String,
    pub fields: Vec<FieldView>,
    pub families: i32,
    pub approved_at: DateTime<Utc>,
    pub released_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub revoked_at: Option<DateTime<Utc>>,
    pub state: ReleaseState,
    pub state_label: &'static str,
}

pub fn release_view(district: &District, r: &DataRelease) -> ReleaseView {
    let state = match check_readable(r, district) {
        Ok(()) => ReleaseState::Ready,
        Err(SharingError::Conflict(_)) => ReleaseState::Building,
        Err(_) if r.revoked_at.is_some() => ReleaseState::Revoked,
        Err(_) => ReleaseState::Expired,
    };
    let unit = district.orgs.get(r.org_unit_id);
    ReleaseView {
        id: r.id,
        request_id: r.request_id,
        org_unit: unit.map_or_else(String::new, |u| u.code.clone()),
        org_unit_name: unit.map_or_else(String::new, |u| u.name.clone()),
        purpose: r.purpose.clone(),
        fields: release_fields(r)
            .into_iter()
            .map(|(f, m)| FieldView::new(f, m))
            .collect(),
        families: r.families,
        approved_at: r.approved_at,
        released_on: r.released_on,
        expires_on: r.expires_on,
        revoked_at: r.revoked_at,
        state,
        state_label: state.label(),
    }
}

/// The releases the viewer sees, newest first.
pub async fn list(
    state: &AppState,
    district: &District,
    viewer: Viewer,
    limit: i64,
    offset: i64,
) -> Result<Vec<ReleaseView>, SharingError> {
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let rows = DataRelease::list(&mut tx, viewer.unit(), limit, offset).await?;
    tx.commit().await?;
    Ok(rows.iter().map(|r| release_view(district, r)).collect())
}

/// One release the viewer sees (404 otherwise).
pub async fn get(
    state: &AppState,
    district: &District,
    viewer: Viewer,
    id: DataReleaseId,
) -> Result<ReleaseView, SharingError> {
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let release = DataRelease::find(&mut tx, id)
        .await?
        .filter(|r| viewer.sees(r.org_unit_id))
        .ok_or(SharingError::NotFound("没有找到该数据发布"))?;
    tx.commit().await?;
    Ok(release_view(district, &release))
}

/// The steward revokes a release at once: every later read is 410; the department is told.
pub async fn revoke(
    state: &AppState,
    district: &District,
    actor: &Actor,
    id: DataReleaseId,
) -> Result<ReleaseView, SharingError> {
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    DataRelease::find(&mut tx, id)
        .await?
        .ok_or(SharingError::NotFound("没有找到该数据发布"))?;
    let revoked = DataRelease::revoke(&mut tx, id, actor.user_id, Utc::now())
        .await?
        .ok_or(SharingError::Conflict("该数据发布已撤销"))?;
    audit::record(
        &tx,
        district.id,
        actor,
        "data_release.revoke",
        "data_release",
        &id.to_string(),
        json!({"purpose": revoked.purpose, "families": revoked.families}),
    )
    .await?;
    mail::revoked(&mut tx, district, &revoked).await?;
    tx.commit().await?;
    Ok(release_view(district, &revoked))
}
