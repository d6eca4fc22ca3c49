use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::benefit::BenefitCycle;
use nuanxin_db::pool::TenantTx;
use serde_json::json;
use uuid::Uuid;

use crate::audit;
use crate::auth::Authorized;
use crate::benefits::ledger::{payment_rows, PAYMENT_LIST_HEADERS};
use crate::error::ApiError;
use crate::registry::view::Reveal;
use crate::registry::Codec;
use crate::state::AppState;

/// A cycle's payment list (approved and paid entries) as an xlsx workbook for the bank. ID numbers
/// and names are full only for callers who may read personal data.
pub async fn export_payment_list(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (bytes, file_name) = payment_workbook(&state, &auth, id.into_inner()).await?;
    Ok(crate::routes::xlsx_download(bytes, &file_name))
}

/// A cycle's payment list as xlsx bytes and its file name, the download audited.
pub async fn payment_workbook(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
) -> Result<(Vec<u8>, String), ApiError> {
    auth.require(Resource::BenefitCycle, Action::Read)?;
    let (district, actor) = (&auth.district, &auth.actor);
    let reveal = auth.reveal();
    let codec = Codec::new(&state.keys, district.id);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let cycle = BenefitCycle::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("没有找到该发放周期"))?;
    let rows = payment_rows(&mut tx, &codec, district, auth.scope, &cycle, reveal).await?;
    audit::record(
        &tx,
        district.id,
        actor,
        "benefit.payment_list",
        "benefit_cycle",
        &cycle.id.to_string(),
        json!({"rows": rows.len(), "full_identifiers": reveal == Reveal::Full}),
    )
    .await?;
    tx.commit().await?;
    let sheet = format!("{}-{}", cycle.program, cycle.period);
    let bytes = nuanxin_sheets::write_xlsx(&sheet, &PAYMENT_LIST_HEADERS, rows)
        .map_err(ApiError::internal)?;
    let file_name = format!(
        "{}-{}-{}-payment-list.xlsx",
        district.slug, cycle.program, cycle.period
    );
    Ok((bytes, file_name))
}
