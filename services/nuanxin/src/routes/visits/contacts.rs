use actix_web::{web, HttpResponse};
use nuanxin_domain::visits::ContactInput;
use nuanxin_ids::{FamilyId, UserId};
use serde::{Deserialize, Serialize};

use super::PageQuery;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;
use crate::visits::contacts;

/// The family's contact log, the latest first.
pub async fn list_contacts(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = query.paging()?;
    let (_, page) = contacts::contact_page(&state, &auth, id.into_inner(), paging).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Logs a contact (`{"on", "how", "summary", "problems": [..]}`): 201.
pub async fn log_contact(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
    Body(body): Body<ContactInput>,
) -> Result<HttpResponse, ApiError> {
    let view = contacts::save_contact(&state, &auth, id.into_inner(), body).await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    user_id: UserId,
}

#[derive(Serialize)]
struct Linked {
    family_id: FamilyId,
    user_id: UserId,
}

/// Makes an account one of the family's contact persons (`{"user_id"}`): 201, or 200 when it was.
pub async fn link_account(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
    Body(body): Body<LinkBody>,
) -> Result<HttpResponse, ApiError> {
    let family_id = id.into_inner();
    let new = contacts::link_account(&state, &auth, family_id, body.user_id).await?;
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
