use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::{FamilyFilter, FamilyRecord};
use nuanxin_db::pool::TenantTx;
use serde_json::json;

use crate::audit;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::Registry;
use crate::state::AppState;

/// The caller's register (active families) as an xlsx workbook in the import layout.
pub async fn export_families(
    state: web::Data<AppState>,
    auth: Authorized,
) -> Result<HttpResponse, ApiError> {
    let bytes = register_workbook(&state, &auth).await?;
    Ok(crate::routes::xlsx_download(
        bytes,
        &format!("{}-families.xlsx", auth.district.slug),
    ))
}

/// The caller's active register as xlsx bytes, the export audited.
pub async fn register_workbook(state: &AppState, auth: &Authorized) -> Result<Vec<u8>, ApiError> {
    auth.require(Resource::FamilyExport, Action::Read)?;
    let (district, actor) = (&auth.district, &auth.actor);
    let reveal = auth.reveal();
    let registry = Registry::new(district, &state.keys);
    let filter = FamilyFilter {
        status: Some("active".into()),
        ..FamilyFilter::default()
    };
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let records = FamilyRecord::all(&mut tx, auth.scope, &filter).await?;
    let detail = json!({"families": records.len()});
    audit::record(
        &tx,
        district.id,
        actor,
        "family.export",
        "register",
        &district.slug,
        detail,
    )
    .await?;
    tx.commit().await?;
    let families = records
        .into_iter()
        .map(|r| registry.codec.decode(&r).map(|f| (r, f)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    Ok(registry.export(&families, reveal)?)
}
