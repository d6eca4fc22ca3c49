use std::time::Duration;

use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::writes;
use crate::state::AppState;

/// The largest import body read (413 past it). A district's register as xlsx is a few MB; the sheet's own
/// limits (`IMPORT_LIMITS`) bound what it unpacks to.
pub const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;

/// How long the body may take to arrive: a 50 MB file over a slow office line, not a connection held open.
const UPLOAD_DEADLINE: Duration = Duration::from_secs(300);

/// Imports a spreadsheet (xlsx or CSV as the raw body): all rows or none.
///
/// The caller is checked before the body is read; an import then waits for its turn on this node; the body is
/// read up to [`MAX_IMPORT_BYTES`]; reading and checking the file run on a blocking thread, so the HTTP workers
/// keep answering meanwhile.
pub async fn import_families(
    state: web::Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    writes::import_scope(&auth)?;
    let _turn = writes::import_turn(&state).await?;
    let body = upload(&req, payload).await?;
    let imported = writes::import_file(&state, &auth, body).await?;
    Ok(HttpResponse::Ok().json(Imported { imported }))
}

/// How many families the file registered (all its rows: an import is all or nothing).
#[derive(Serialize)]
pub struct Imported {
    pub imported: usize,
}

/// The uploaded file: read within [`UPLOAD_DEADLINE`] and up to [`MAX_IMPORT_BYTES`] (the register's and
/// the volunteers' imports).
pub async fn upload(req: &HttpRequest, payload: web::Payload) -> Result<web::Bytes, ApiError> {
    tokio::time::timeout(UPLOAD_DEADLINE, read_file(req, payload))
        .await
        .map_err(|_| ApiError::bad_request("upload_timeout", "file", "文件上传超时，请重新上传"))?
}

/// The body, refused with 413 as soon as it is known to exceed [`MAX_IMPORT_BYTES`]: from its declared
/// length before anything is read, or while it streams in.
async fn read_file(req: &HttpRequest, payload: web::Payload) -> Result<web::Bytes, ApiError> {
    let too_large = || ApiError::PayloadTooLarge {
        max_bytes: MAX_IMPORT_BYTES,
        field: "file",
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_IMPORT_BYTES as u64) {
        return Err(too_large());
    }
    match payload.to_bytes_limited(MAX_IMPORT_BYTES).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(_)) => Err(ApiError::bad_request(
            "upload_failed",
            "file",
            "文件上传中断，请重新上传",
        )),
        Err(_) => Err(too_large()),
    }
}
