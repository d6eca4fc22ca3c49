use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::FamilyRecord;
use nuanxin_db::pool::TenantTx;
use serde_json::json;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::audit;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::registry::view::{family_view, Reveal};
use crate::registry::Registry;
use crate::routes::district_of;
use crate::state::AppState;

/// One family in full; the read is audited. The hot path of the registry: the reads and the audit insert
/// go to the database together (pipelined), and a family outside the caller's scope rolls the audit back.
pub async fn get_family(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::Family, Action::Read)?;
    let (district, actor) = district_of(&state, &caller, &request_id)?;
    let id = id.into_inner();
    let reveal = caller.reveal(&state);
    let event = audit::event(
        district.id,
        &actor,
        "family.read",
        "family",
        &id.to_string(),
        json!({"pii": reveal == Reveal::Full}),
    );
    let tx = TenantTx::begin_audited_read(&state.pool, district.id).await?;
    let (found, ()) = tokio::try_join!(
        FamilyRecord::find(&tx, caller.family_scope(), id),
        event.insert(&tx)
    )?;
    let Some(record) = found else {
        tx.rollback().await?;
        return Err(ApiError::NotFound("没有找到该家庭"));
    };
    tx.commit().await?;
    let family = Registry::new(&district, &state.keys)
        .codec
        .decode(&record)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(family_view(
        &record,
        &family,
        &district.orgs,
        district.today(),
        reveal,
    )))
}
