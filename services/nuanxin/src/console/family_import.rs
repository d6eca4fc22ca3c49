//! `/console/families/import`: a register file (xlsx or CSV, the export's layout) uploaded from a plain
//! HTML form and imported through the API's own import (all rows or none, the same limits and checks);
//! a rejected file is shown with each bad row, column and reason.
//!
//! The form is multipart, so its CSRF token is checked here, from the form's first field, before any of
//! the file is read; the caller's right to import and this node's turn come before that.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;

use super::session::{session_csrf_matches, Console};
use super::views::{page, page_with_status, Frame, PageError};
use crate::error::ApiError;
use crate::registry::import::RowError;
use crate::registry::writes::{import_file, import_scope, import_turn};
use crate::routes::families::import::MAX_IMPORT_BYTES;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "family_import.html")]
struct ImportPage {
    frame: Frame,
    imported: Option<usize>,
    /// Why the whole file was refused, when it was.
    refused: String,
    rows: Vec<RowError>,
    total_errors: usize,
}

fn import_page_of(console: &Console, state: &AppState) -> ImportPage {
    ImportPage {
        frame: console.frame(state, "导入登记表", "/console/families"),
        imported: None,
        refused: String::new(),
        rows: Vec::new(),
        total_errors: 0,
    }
}

/// `GET /console/families/import`: the upload form.
pub async fn import_page(
    state: web::Data<AppState>,
    console: Console,
) -> Result<HttpResponse, PageError> {
    import_scope(&console.auth)?;
    page(&import_page_of(&console, &state))
}

/// `POST /console/families/import`: imports the uploaded file and shows what happened.
pub async fn import(
    state: web::Data<AppState>,
    console: Console,
    req: HttpRequest,
    form: Multipart,
) -> Result<HttpResponse, PageError> {
    import_scope(&console.auth)?;
    let _turn = import_turn(&state).await?;
    let file = read_upload(&req, form).await?;
    let mut shown = import_page_of(&console, &state);
    match import_file(&state, &console.auth, file)
        .await
        .map_err(ApiError::from)
    {
        Ok(n) => {
            shown.imported = Some(n);
            page(&shown)
        }
        Err(ApiError::ImportRejected { reported, total }) => {
            shown.refused = format!("文件中有{total}处错误，未导入任何数据。请改正后重新上传。");
            shown.rows = reported;
            shown.total_errors = total;
            page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &shown)
        }
        Err(
            e @ (ApiError::SheetTooLarge { .. }
            | ApiError::BadRequest { .. }
            | ApiError::Validation(_)),
        ) => {
            shown.refused = e.to_string();
            page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &shown)
        }
        Err(e) => Err(e.into()),
    }
}

/// The form's file, after its first field proved the form is this session's (403 otherwise); at most
/// [`MAX_IMPORT_BYTES`] (413 past it).
async fn read_upload(req: &HttpRequest, mut form: Multipart) -> Result<web::Bytes, PageError> {
    let malformed = || {
        PageError::Api(ApiError::bad_request(
            "invalid_form",
            "file",
            "上传的表单无法识别，请刷新页面后重新选择文件",
        ))
    };
    let mut csrf_checked = false;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| malformed())?;
        let name = field.name().unwrap_or("").to_owned();
        let mut bytes = web::BytesMut::new();
        let limit = if name == "file" {
            MAX_IMPORT_BYTES
        } else {
            1024
        };
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| malformed())?;
            if bytes.len() + chunk.len() > limit {
                return Err(if name == "file" {
                    PageError::Api(ApiError::PayloadTooLarge {
                        max_bytes: MAX_IMPORT_BYTES,
                        field: "file",
                    })
                } else {
                    malformed()
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => {
                let given = std::str::from_utf8(&bytes).unwrap_or("");
                if !session_csrf_matches(req, given) {
                    return Err(PageError::Csrf);
                }
                csrf_checked = true;
            }
            "file" if csrf_checked => return Ok(bytes.freeze()),
            // A file before the token, or any other field: not a form this console drew.
            _ => return Err(PageError::Csrf),
        }
    }
    if csrf_checked {
        Err(PageError::Api(ApiError::bad_request(
            "empty_file",
            "file",
            "请选择要导入的登记表（xlsx 或 CSV）",
        )))
    } else {
        Err(PageError::Csrf)
    }
}
