//! The daily end-of-release work of a district: a notice to each department whose release ends
//! within [`NOTICE_DAYS`] (once per release), and the sealed records of releases that ended emptied.
//! Reads after the end are refused by date whatever this job did (410); it only tells and cleans.

use chrono::{Days, NaiveDate, Utc};
use nuanxin_db::models::sharing::{purge_ended_records, DataRelease};
use nuanxin_db::pool::{DbPool, TenantTx};

use super::{mail, SharingError};
use crate::state::District;

/// A department hears this many days before its release's last day.
pub const NOTICE_DAYS: u64 = 3;

/// What one run did.
#[derive(Debug, Default)]
pub struct ExpiryRun {
    pub notices: usize,
    pub records_emptied: usize,
}

pub async fn run(
    pool: &DbPool,
    district: &District,
    today: NaiveDate,
) -> Result<ExpiryRun, SharingError> {
    let last_day = today
        .checked_add_days(Days::new(NOTICE_DAYS - 1))
        .unwrap_or(today);
    let mut tx = TenantTx::begin(pool, district.id).await?;
    // Claimed and mailed in one transaction: a notice is sent exactly once.
    let ending = DataRelease::claim_expiry_notices(&mut tx, last_day, today, Utc::now()).await?;
    for release in &ending {
        mail::expiry_notice(&mut tx, district, release, today).await?;
    }
    tx.commit().await?;
    let mut tx = TenantTx::begin(pool, district.id).await?;
    let records_emptied = purge_ended_records(&mut tx, today).await?;
    tx.commit().await?;
    Ok(ExpiryRun {
        notices: ending.len(),
        records_emptied,
    })
}
