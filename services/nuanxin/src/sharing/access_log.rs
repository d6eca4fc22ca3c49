//! A family's access log (the right to know who processed their data): every department that
//! received its data in a release, read or exported a release holding it, or asked a yes/no question
//! about one of its members — when, why, and under which release.

use chrono::{DateTime, Utc};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::FamilyRecord;
use nuanxin_db::models::sharing::{releases_of_family, sharing_events};
use nuanxin_db::pool::TenantTx;
use nuanxin_ids::{DataReleaseId, FamilyId, OrgUnitId};
use serde::Serialize;
use serde_json::json;

use super::SharingError;
use crate::audit;
use crate::auth::Authorized;
use crate::state::AppState;

/// One line of the log.
#[derive(Debug, Clone, Serialize)]
pub struct AccessEntry {
    pub at: DateTime<Utc>,
    pub org_unit: String,
    pub org_unit_name: String,
    pub purpose: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_id: Option<DataReleaseId>,
    /// `received`, `read`, `export` or `verification`.
    pub action: &'static str,
    pub action_label: &'static str,
}

fn action_label(action: &str) -> &'static str {
    match action {
        "received" => "获得数据（批准发布）",
        "read" => "查阅",
        "export" => "导出",
        _ => "核验是否享受待遇",
    }
}

/// The access log of a family in the caller's scope (404 outside it), oldest first, for street and
/// district staff (the API and the printable page); the reading of the log is itself recorded.
pub async fn family_access_log(
    state: &AppState,
    auth: &Authorized,
    family_id: FamilyId,
) -> Result<Vec<AccessEntry>, SharingError> {
    auth.check(Resource::FamilyAccessLog, Action::Read)?;
    let (district, actor, scope) = (&auth.district, &auth.actor, auth.scope);
    // This node's queued reads and verifications are written first, so the log is complete up to now.
    state.read_log.flush().await;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    FamilyRecord::find(&mut tx, scope, family_id)
        .await?
        .ok_or(SharingError::NotFound("没有找到该家庭"))?;
    let releases = releases_of_family(&mut tx, family_id).await?;
    let ids: Vec<String> = releases.iter().map(|(r, _)| r.id.to_string()).collect();
    let uses = sharing_events(&mut tx, "data_release", &ids).await?;
    let asked = sharing_events(&mut tx, "family", &[family_id.to_string()]).await?;
    tx.commit().await?;

    let unit_of = |id: OrgUnitId| {
        district.orgs.get(id).map_or_else(
            || (String::new(), String::new()),
            |u| (u.code.clone(), u.name.clone()),
        )
    };
    let unit_by_code = |code: &str| {
        let name = district
            .orgs
            .by_code(code)
            .map_or_else(|| code.to_owned(), |u| u.name.clone());
        (code.to_owned(), name)
    };
    let entry =
        |at, (org_unit, org_unit_name): (String, String), purpose: String, release_id, action| {
            AccessEntry {
                at,
                org_unit,
                org_unit_name,
                purpose,
                release_id,
                action,
                action_label: action_label(action),
            }
        };
    let mut items = Vec::new();
    for (release, seq) in &releases {
        items.push(entry(
            release.approved_at,
            unit_of(release.org_unit_id),
            release.purpose.clone(),
            Some(release.id),
            "received",
        ));
        let held = |e: &&nuanxin_db::models::audit::AuditEvent| {
            let bound = |k: &str| e.detail.get(k).and_then(serde_json::Value::as_i64);
            e.object_id == release.id.to_string()
                && bound("from")
                    .zip(bound("to"))
                    .is_some_and(|(from, to)| (from..=to).contains(&i64::from(*seq)))
        };
        for e in uses.iter().filter(held) {
            let action = if e.action == "data_release.export" {
                "export"
            } else {
                "read"
            };
            items.push(entry(
                e.occurred_at,
                unit_of(release.org_unit_id),
                release.purpose.clone(),
                Some(release.id),
                action,
            ));
        }
    }
    for e in &asked {
        let text = |k: &str| {
            e.detail
                .get(k)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        items.push(entry(
            e.occurred_at,
            unit_by_code(&text("org_unit")),
            text("purpose"),
            None,
            "verification",
        ));
    }
    items.sort_by_key(|e| e.at);
    state
        .read_log
        .record(
            audit::event(
                district.id,
                actor,
                "family.access_log.read",
                "family",
                &family_id.to_string(),
                json!({"entries": items.len()}),
            ),
            crate::audit::reads::WAIT,
        )
        .await?;
    Ok(items)
}
