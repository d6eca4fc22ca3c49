use actix_web::{web, HttpResponse};
use nuanxin_domain::benefit::EntryAction;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authorized;
use crate::benefits::ledger::{self, EntryView, StepRequest};
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// The verification note (verify) or the reason (reject).
    note: Option<String>,
    /// The bank's or treasury's payment reference (pay).
    payment_reference: Option<String>,
    /// Approving a cash entry whose standard is not configured: the amount, with its basis in `note`.
    amount_cny: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkStepBody {
    ids: Vec<Uuid>,
    note: Option<String>,
    payment_reference: Option<String>,
    amount_cny: Option<i64>,
}

fn parse_action(action: &str) -> Result<EntryAction, ApiError> {
    EntryAction::parse(action).ok_or(ApiError::NotFound("没有该操作"))
}

/// One step on one entry: `verify`, `reject`, `approve` or `pay`.
pub async fn step_one(
    state: web::Data<AppState>,
    auth: Authorized,
    path: web::Path<(Uuid, String)>,
    Body(body): Body<StepBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, action) = path.into_inner();
    let request = StepRequest {
        action: parse_action(&action)?,
        ids: vec![id],
        note: body.note,
        payment_reference: body.payment_reference,
        amount_cny: body.amount_cny,
    };
    let mut entries = ledger::take_step(&state, &auth, request).await?;
    let entry = entries.pop().ok_or(ApiError::NotFound("没有找到账目"))?;
    Ok(HttpResponse::Ok().json(entry))
}

/// `{"updated", "items"}`: how many entries a bulk step moved, and each as it is now.
#[derive(serde::Serialize)]
struct Stepped {
    updated: usize,
    items: Vec<EntryView>,
}

/// One step on many entries, all or nothing.
pub async fn step_many(
    state: web::Data<AppState>,
    auth: Authorized,
    action: web::Path<String>,
    Body(body): Body<BulkStepBody>,
) -> Result<HttpResponse, ApiError> {
    let request = StepRequest {
        action: parse_action(&action)?,
        ids: body.ids,
        note: body.note,
        payment_reference: body.payment_reference,
        amount_cny: body.amount_cny,
    };
    let entries = ledger::take_step(&state, &auth, request).await?;
    Ok(HttpResponse::Ok().json(Stepped {
        updated: entries.len(),
        items: entries,
    }))
}
