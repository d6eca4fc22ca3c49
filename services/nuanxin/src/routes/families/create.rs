use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::family::FamilyInput;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::view::{family_view, FamilyView};
use crate::registry::Registry;
use crate::routes::Body;
use crate::state::AppState;
use crate::work::AfterCommit;

/// Registers a family. Street staff register families of their own street only.
pub async fn create_family(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(input): Body<FamilyInput>,
) -> Result<HttpResponse, ApiError> {
    let view = register_family(&state, &auth, input).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/families/{}", view.id)))
        .json(view))
}

/// Registers a family and answers it as the caller may see it: the API's `POST` and the console's form.
pub async fn register_family(
    state: &AppState,
    auth: &Authorized,
    input: FamilyInput,
) -> Result<FamilyView, ApiError> {
    auth.require(Resource::Family, Action::Create)?;
    let district = &auth.district;
    let registry = Registry::new(district, &state.keys);
    let mut work = auth.begin(state).await?;
    let id = registry
        .create(&mut work, auth.scope, &auth.actor, input)
        .await?;
    let (record, family) = registry.load(&mut work, auth.scope, id).await?;
    work.after_commit(AfterCommit::RegisterChanged);
    work.commit().await?;
    Ok(family_view(
        &record,
        &family,
        &district.orgs,
        district.today(),
        auth.reveal(),
    ))
}
