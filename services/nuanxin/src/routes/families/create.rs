use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::FamilyScope;
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::family::FamilyInput;
use nuanxin_domain::org::OrgKind;
use tracing_actix_web::RequestId;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::registry::view::family_view;
use crate::registry::{counts, Registry};
use crate::routes::{district_of, Body};
use crate::state::AppState;

/// Registers a family. Street staff register families of their own street only.
pub async fn create_family(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    Body(input): Body<FamilyInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::Family, Action::Create)?;
    let (district, actor) = district_of(&state, &caller, &request_id)?;
    let scope = caller.family_scope();
    if let FamilyScope::Street(street) = scope {
        let target = district
            .orgs
            .by_code_or_name(input.street.trim(), OrgKind::Street)
            .map(|s| s.id);
        if target.is_some_and(|t| t != street) {
            return Err(ApiError::bad_request(
                "outside_scope",
                "street",
                "只能登记本街道的家庭",
            ));
        }
    }
    let registry = Registry::new(&district, &state.keys);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let id = registry.create(&mut tx, &actor, input).await?;
    let (record, family) = registry.load(&mut tx, scope, id).await?;
    tx.commit().await?;
    counts::register_changed(&state.store, district.id).await;
    let view = family_view(
        &record,
        &family,
        &district.orgs,
        district.today(),
        caller.reveal(&state),
    );
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/families/{id}")))
        .json(view))
}
