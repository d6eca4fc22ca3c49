//! A cycle's payment documents, each download audited with what it held: the payment list (approved and
//! paid entries; full names and ID numbers only for callers who may read personal data) and the bank's
//! batch-payment file (代发), for the disbursing unit (区财政局) alone.

use nuanxin_access::{Action, Resource};
use nuanxin_db::models::benefit::BenefitCycle;
use nuanxin_db::pool::TenantTx;
use nuanxin_ids::CycleId;
use nuanxin_sheets::SheetData;
use serde_json::json;

use super::ledger::{
    bank_file, payment_rows, BANK_FILE_HEADERS, BANK_MISSING_HEADERS, PAYMENT_LIST_HEADERS,
};
use super::BenefitError;
use crate::audit;
use crate::auth::Authorized;
use crate::registry::view::Reveal;
use crate::registry::Codec;
use crate::state::AppState;

/// An xlsx file to download.
pub struct Workbook {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

/// The bank's file and what it adds up to.
pub struct BankExport {
    pub workbook: Workbook,
    /// Sum of the transfers (yuan).
    pub total_cny: i64,
    /// Entries that cannot be sent yet (second sheet, with the reason).
    pub missing: usize,
}

fn cycle_not_found() -> BenefitError {
    BenefitError::NotFound("没有找到该发放周期")
}

/// A cycle's payment list (approved and paid entries) in the caller's scope.
pub async fn payment_list(
    state: &AppState,
    auth: &Authorized,
    cycle_id: CycleId,
) -> Result<Workbook, BenefitError> {
    auth.check(Resource::BenefitCycle, Action::Read)?;
    let (district, actor) = (&auth.district, &auth.actor);
    let reveal = auth.reveal();
    let codec = Codec::new(&state.keys, district.id);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let cycle = BenefitCycle::find(&mut tx, cycle_id)
        .await?
        .ok_or_else(cycle_not_found)?;
    let rows = payment_rows(&mut tx, &codec, district, auth.scope, &cycle, reveal).await?;
    audit::record(
        &tx,
        district.id,
        actor,
        "benefit.payment_list",
        "benefit_cycle",
        &cycle.id.to_string(),
        json!({"rows": rows.len(), "full_identifiers": reveal == Reveal::Full}),
    )
    .await?;
    tx.commit().await?;
    let sheet = format!("{}-{}", cycle.program, cycle.period);
    Ok(Workbook {
        bytes: nuanxin_sheets::write_xlsx(&sheet, &PAYMENT_LIST_HEADERS, rows)?,
        file_name: format!(
            "{}-{}-{}-payment-list.xlsx",
            district.slug, cycle.program, cycle.period
        ),
    })
}

/// The bank's batch-payment file of a cycle's approved entries: full names, account numbers and ID
/// numbers, so the export is audited with its count and total; a second sheet lists the entries that
/// cannot be sent yet.
pub async fn bank_export(
    state: &AppState,
    auth: &Authorized,
    cycle_id: CycleId,
) -> Result<BankExport, BenefitError> {
    let district = &auth.district;
    if !auth.may(Resource::BenefitCycle, Action::Disburse)
        || auth.unit_code() != district.benefit_units.disbursing
    {
        return Err(BenefitError::Forbidden);
    }
    let codec = Codec::new(&state.keys, district.id);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let cycle = BenefitCycle::find(&mut tx, cycle_id)
        .await?
        .ok_or_else(cycle_not_found)?;
    let file = bank_file(&mut tx, &codec, district, &cycle).await?;
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "benefit.bank_file",
        "benefit_cycle",
        &cycle.id.to_string(),
        json!({"transfers": file.transfers.len(), "total_cny": file.total_cny,
               "missing": file.missing.len()}),
    )
    .await?;
    tx.commit().await?;
    let (total_cny, missing) = (file.total_cny, file.missing.len());
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
    ])?;
    Ok(BankExport {
        workbook: Workbook {
            bytes,
            file_name: format!(
                "{}-{}-{}-bank.xlsx",
                district.slug, cycle.program, cycle.period
            ),
        },
        total_cny,
        missing,
    })
}
