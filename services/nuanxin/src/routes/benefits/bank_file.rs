use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::benefit::BenefitCycle;
use nuanxin_sheets::SheetData;
use serde_json::json;
use uuid::Uuid;

use crate::audit;
use crate::auth::Authorized;
use crate::benefits::ledger::{bank_file, BANK_FILE_HEADERS, BANK_MISSING_HEADERS};
use crate::error::ApiError;
use crate::registry::Codec;
use crate::state::AppState;

/// The bank's batch-payment file of a cycle's approved entries, for the disbursing unit (区财政局) only:
/// full names, account numbers and ID numbers, so the export is audited with its count and total. A
/// second sheet lists the entries that cannot be sent yet, with the reason.
pub async fn export_bank_file(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::BenefitCycle, Action::Disburse)?;
    let district = &auth.district;
    if auth.unit_code() != district.benefit_units.disbursing {
        return Err(ApiError::Forbidden);
    }
    let codec = Codec::new(&state.keys, district.id);
    let mut work = auth.begin(&state).await?;
    let cycle = BenefitCycle::find(&mut work, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("没有找到该发放周期"))?;
    let file = bank_file(&mut work, &codec, district, &cycle).await?;
    audit::record(
        &work,
        district.id,
        &auth.actor,
        "benefit.bank_file",
        "benefit_cycle",
        &cycle.id.to_string(),
        json!({"transfers": file.transfers.len(), "total_cny": file.total_cny,
               "missing": file.missing.len()}),
    )
    .await?;
    work.commit().await?;
    let missing = file.missing.len();
    let bytes = nuanxin_sheets::write_workbook(vec![
        SheetData {
            name: "代发明细",
            headers: &BANK_FILE_HEADERS,
            rows: file.transfers,
        },
        SheetData {
            name: "暂不能发放",
            headers: &BANK_MISSING_HEADERS,
            rows: file.missing,
        },
    ])
    .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(("X-Total-Cny", file.total_cny.to_string()))
        .insert_header(("X-Missing-Entries", missing.to_string()))
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}-{}-{}-bank.xlsx\"",
                district.slug, cycle.program, cycle.period
            ),
        ))
        .body(bytes))
}
