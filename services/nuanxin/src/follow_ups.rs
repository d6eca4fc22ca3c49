//! Follow-ups: the items the newly-eligible job (a family's entitlements changed) and holiday visits (a
//! family's needs) open for a street. A street sees and closes its own; the district sees all. Nothing
//! here knows HTTP: `routes/follow_ups.rs` and the console's home page call these.

use chrono::{DateTime, NaiveDate, Utc};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::follow_up::FollowUp;
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::benefit::FollowUpStatus;
use nuanxin_ids::FamilyId;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit;
use crate::auth::Authorized;
use crate::benefits::BenefitError;
use crate::page::{Page, Paging};
use crate::state::{AppState, District};

/// A follow-up as the API and the console show it.
#[derive(Debug, Serialize)]
pub struct FollowUpView {
    pub id: Uuid,
    pub family_id: FamilyId,
    pub street: String,
    pub change: String,
    pub program: String,
    pub person: String,
    pub detail: serde_json::Value,
    pub created_on: NaiveDate,
    pub status: FollowUpStatus,
    pub done_at: Option<DateTime<Utc>>,
    pub done_note: Option<String>,
}

fn not_found() -> BenefitError {
    BenefitError::NotFound("没有找到该跟进事项")
}

fn view(district: &District, f: FollowUp) -> FollowUpView {
    FollowUpView {
        street: district.orgs.name_of(f.street_id).to_owned(),
        id: f.id,
        family_id: f.family_id,
        change: f.change,
        program: f.program,
        person: f.person,
        detail: f.detail,
        created_on: f.created_on,
        status: f.status,
        done_at: f.done_at,
        done_note: f.done_note,
    }
}

/// A page of the follow-ups in the caller's scope, of one status (`None`: all).
pub async fn page(
    state: &AppState,
    auth: &Authorized,
    status: Option<FollowUpStatus>,
    paging: Paging,
) -> Result<Page<FollowUpView>, BenefitError> {
    auth.check(Resource::Entitlement, Action::Read)?;
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let (rows, total) =
        FollowUp::list(&mut tx, auth.scope, status, paging.limit(), paging.offset()).await?;
    tx.commit().await?;
    let items: Vec<_> = rows.into_iter().map(|f| view(district, f)).collect();
    Ok(paging.page(items, total))
}

/// Closes an open follow-up of the caller's scope with an optional note, audited; a follow-up closed
/// meanwhile is a conflict (of two closes at once, one wins).
pub async fn mark_done(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    note: Option<&str>,
) -> Result<FollowUpView, BenefitError> {
    auth.check(Resource::Family, Action::Update)?;
    let (district, actor) = (&auth.district, &auth.actor);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let item = FollowUp::find(&mut tx, auth.scope, id)
        .await?
        .ok_or_else(not_found)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !FollowUp::mark_done(&mut tx, id, &actor.actor, note).await? {
        return Err(BenefitError::Conflict {
            code: "already_done",
            message: "该跟进事项已办结",
        });
    }
    audit::record(
        &tx,
        district.id,
        actor,
        "follow_up.done",
        "follow_up",
        &id.to_string(),
        json!({"family_id": item.family_id, "program": item.program, "change": item.change}),
    )
    .await?;
    let item = FollowUp::find(&mut tx, auth.scope, id)
        .await?
        .ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(view(district, item))
}
