use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::benefit::EntryAction;
use serde::Deserialize;
use serde_json::json;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::auth::Caller;
use crate::benefits::ledger::{apply_step, entry_view, StepRequest};
use crate::error::ApiError;
use crate::routes::{district_of, Body};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// The verification note (verify) or the reason (reject).
    note: Option<String>,
    /// The bank's or treasury's payment reference (pay).
    payment_reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkStepBody {
    ids: Vec<Uuid>,
    note: Option<String>,
    payment_reference: Option<String>,
}

fn parse_action(action: &str) -> Result<EntryAction, ApiError> {
    EntryAction::parse(action).ok_or(ApiError::NotFound("没有该操作"))
}

/// The permission each step needs before looking at any entry (rejecting needs one of two).
fn require_step(state: &AppState, caller: &Caller, action: EntryAction) -> Result<(), ApiError> {
    let may = |a| caller.may(state, Resource::BenefitCycle, a);
    let allowed = match action {
        EntryAction::Verify => may(Action::Verify),
        EntryAction::Reject => may(Action::Verify) || may(Action::Approve),
        EntryAction::Approve => may(Action::Approve),
        EntryAction::Pay => may(Action::Disburse),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

async fn run(
    state: &web::Data<AppState>,
    caller: &Caller,
    request_id: &RequestId,
    request: StepRequest,
) -> Result<Vec<crate::benefits::ledger::EntryView>, ApiError> {
    require_step(state, caller, request.action)?;
    let (district, actor) = district_of(state, caller, request_id)?;
    let authority = super::authority(state, caller, &district);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let entries = apply_step(
        &mut tx,
        &district,
        caller.family_scope(),
        authority,
        &actor,
        &request,
    )
    .await?;
    tx.commit().await?;
    Ok(entries
        .into_iter()
        .map(|e| entry_view(&district, e))
        .collect())
}

/// One step on one entry: `verify`, `reject`, `approve` or `pay`.
pub async fn step_one(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(Uuid, String)>,
    Body(body): Body<StepBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, action) = path.into_inner();
    let request = StepRequest {
        action: parse_action(&action)?,
        ids: vec![id],
        note: body.note,
        payment_reference: body.payment_reference,
    };
    let mut entries = run(&state, &caller, &request_id, request).await?;
    let entry = entries.pop().ok_or(ApiError::NotFound("没有找到账目"))?;
    Ok(HttpResponse::Ok().json(entry))
}

/// One step on many entries, all or nothing.
pub async fn step_many(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    action: web::Path<String>,
    Body(body): Body<BulkStepBody>,
) -> Result<HttpResponse, ApiError> {
    let request = StepRequest {
        action: parse_action(&action)?,
        ids: body.ids,
        note: body.note,
        payment_reference: body.payment_reference,
    };
    let entries = run(&state, &caller, &request_id, request).await?;
    Ok(HttpResponse::Ok().json(json!({ "updated": entries.len(), "items": entries })))
}
