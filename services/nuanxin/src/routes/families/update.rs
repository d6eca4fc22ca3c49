use actix_web::{web, HttpRequest, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::family::FamilyInput;
use nuanxin_ids::FamilyId;
use serde_json::Value;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::writes::replace_family;
use crate::routes::extract::from_value;
use crate::routes::Body;
use crate::state::AppState;

/// Fields of the family as `GET` shows it that a client cannot change: a `GET`, an edit and a `PUT` of
/// the same document work, and these are ignored.
const READ_ONLY: [&str; 6] = [
    "id",
    "status",
    "exit",
    "version",
    "created_at",
    "updated_at",
];

/// The family as `GET` shows it (or as `POST` takes it) turned into the input a `PUT` takes.
fn input_of(mut body: Value) -> Result<FamilyInput, ApiError> {
    if let Some(fields) = body.as_object_mut() {
        for key in READ_ONLY {
            fields.remove(key);
        }
        for unit in ["street", "community"] {
            if let Some(code) = fields.get(unit).and_then(|u| u.get("code")).cloned() {
                fields.insert(unit.into(), code);
            }
        }
        if let Some(parents) = fields.get_mut("parents").and_then(Value::as_array_mut) {
            for parent in parents.iter_mut().filter_map(Value::as_object_mut) {
                parent.remove("age");
            }
        }
    }
    from_value(body, "")
}

/// Replaces a family's data. `If-Match: "<version>"` is required: nobody overwrites a change they did not
/// see (428 without it, 409 when the version moved on).
pub async fn update_family(
    state: web::Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    id: web::Path<FamilyId>,
    Body(body): Body<Value>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::Family, Action::Update)?;
    let expected = match req.headers().get("If-Match").and_then(|v| v.to_str().ok()) {
        None => {
            return Err(ApiError::PreconditionRequired(
                "请在 If-Match 中给出所改的版本号（GET 返回的 version）",
            ))
        }
        Some(v) => v
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse::<i32>()
            .map_err(|_| {
                ApiError::bad_request("invalid_header", "If-Match", "If-Match 应为版本号")
            })?,
    };
    let input = input_of(body)?;
    let view = replace_family(&state, &auth, id.into_inner(), input, expected).await?;
    Ok(HttpResponse::Ok().json(view))
}
