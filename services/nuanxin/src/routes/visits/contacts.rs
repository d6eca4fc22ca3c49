use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::visits::ContactInput;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::PageQuery;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::page::{Page, Paging};
use crate::routes::Body;
use crate::state::AppState;
use crate::visits::contacts::{self, ContactView, FamilyPlace};

/// The family's contact log, the latest first.
pub async fn list_contacts(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = query.paging()?;
    let (_, page) = contact_page(&state, &auth, id.into_inner(), paging).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A page of the family's contact log as the caller sees it, with where the family lives (API and
/// console).
pub async fn contact_page(
    state: &AppState,
    auth: &Authorized,
    family_id: Uuid,
    paging: Paging,
) -> Result<(FamilyPlace, Page<ContactView>), ApiError> {
    auth.require(Resource::ContactLog, Action::List)?;
    let mut work = auth.begin(state).await?;
    let (place, items, total) = contacts::contact_log_page(
        &mut work,
        &state.read_log,
        auth,
        family_id,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    work.commit().await?;
    Ok((place, paging.page(items, total)))
}

/// Logs a contact (`{"on", "how", "summary", "problems": [..]}`): 201.
pub async fn log_contact(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
    Body(body): Body<ContactInput>,
) -> Result<HttpResponse, ApiError> {
    let view = save_contact(&state, &auth, id.into_inner(), body).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Logs the contact as the caller, in one transaction (API and console).
pub async fn save_contact(
    state: &AppState,
    auth: &Authorized,
    family_id: Uuid,
    body: ContactInput,
) -> Result<ContactView, ApiError> {
    auth.require(Resource::ContactLog, Action::Create)?;
    let contact = body
        .validate(auth.district.today())
        .map_err(ApiError::Validation)?;
    let mut work = auth.begin(state).await?;
    let view = contacts::log_contact(&mut work, auth, family_id, contact).await?;
    work.commit().await?;
    Ok(view)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    user_id: Uuid,
}

#[derive(Serialize)]
struct Linked {
    family_id: Uuid,
    user_id: Uuid,
}

/// Makes an account one of the family's contact persons (`{"user_id"}`): 201, or 200 when it was.
pub async fn link_account(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
    Body(body): Body<LinkBody>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::Family, Action::Update)?;
    let family_id = id.into_inner();
    let mut work = auth.begin(&state).await?;
    let new = contacts::link_contact_account(&mut work, &auth, family_id, body.user_id).await?;
    work.commit().await?;
    let linked = Linked {
        family_id,
        user_id: body.user_id,
    };
    Ok(if new {
        HttpResponse::Created().json(linked)
    } else {
        HttpResponse::Ok().json(linked)
    })
}
