//! Benefit administration (免申即享): generating cycles over the whole register, the ledger's steps
//! (verify → approve → pay, reject, exit), the payment list, next year's forecast, the impact of a
//! policy change, and the newly-eligible job. Nothing here knows HTTP.
//!
//! Register-wide work streams the register in keyset pages of [`PAGE`] families: each page is read in
//! its own short transaction, decrypted and evaluated on a blocking thread (CPU work never runs on the
//! async workers), and its results written in another short transaction. Memory holds a page or two,
//! whatever the size of the register.

pub mod cli;
pub mod cycle;
pub mod forecast;
pub mod ledger;
pub mod newly_eligible;
pub mod payments;

use nuanxin_ids::{FamilyId, OrgUnitId, TenantId};
use std::sync::Arc;

use nuanxin_db::models::benefit::register_page;
use nuanxin_db::models::family::FamilyRecord;
use nuanxin_db::pool::{DbPool, TenantTx, TxError};
use nuanxin_domain::benefit::PeriodKind;
use nuanxin_policy::{FamilyFacts, Period, Role};

use crate::registry::Codec;
use crate::sharing::held::ResidentHash;
use crate::state::{AppState, Keys};

/// Families per page of register-wide work.
pub const PAGE: i64 = 1000;

/// The page of active families after `after` (in family order), in its own short transaction: the
/// walk over the register that cycles, the register's fold and releases share.
pub async fn active_page(
    access: &Access,
    tenant_id: TenantId,
    after: Option<FamilyId>,
) -> Result<Vec<FamilyRecord>, TxError> {
    let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
    let page = register_page(&mut tx, after, PAGE, true).await?;
    tx.commit().await?;
    Ok(page)
}

#[derive(Debug, thiserror::Error)]
pub enum BenefitError {
    #[error("本区尚未配置政策")]
    NoPolicy,
    #[error("政策中没有项目“{0}”")]
    UnknownProgram(String),
    #[error("{0}")]
    BadPeriod(String),
    /// A year outside what the question can be asked for (400 on `year`).
    #[error("{0}")]
    BadYear(String),
    #[error("{0}")]
    NotInForce(String),
    #[error("{0}")]
    BadPolicy(String),
    #[error("{message}")]
    MissingField {
        field: &'static str,
        message: &'static str,
    },
    /// A value given is not acceptable (422 naming the field).
    #[error("{message}")]
    Invalid {
        field: &'static str,
        code: &'static str,
        message: String,
    },
    /// The message says what was not found.
    #[error("{0}")]
    NotFound(&'static str),
    #[error("no authority for this step")]
    Forbidden,
    #[error("{message}")]
    InvalidTransition { message: String },
    /// The step was taken already (by someone else meanwhile): 409 with `code`.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: &'static str,
    },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Tx(#[from] TxError),
    #[error("stored family does not decode: {0}")]
    Decode(String),
    #[error("worker stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Sheet(#[from] nuanxin_sheets::SheetError),
}

impl From<crate::auth::authorized::Refused> for BenefitError {
    fn from(_: crate::auth::authorized::Refused) -> BenefitError {
        BenefitError::Forbidden
    }
}

/// What register-wide work needs, shareable with blocking threads: the app state in the service,
/// a pool and the keys in the CLI and the benchmark.
pub trait RegisterAccess: Send + Sync + 'static {
    fn pool(&self) -> &DbPool;
    fn keys(&self) -> &Keys;
}

impl RegisterAccess for AppState {
    fn pool(&self) -> &DbPool {
        &self.pool
    }
    fn keys(&self) -> &Keys {
        &self.keys
    }
}

/// A pool and keys without the rest of the service (CLI, benchmarks).
pub struct Standalone {
    pub pool: DbPool,
    pub keys: Keys,
}

impl RegisterAccess for Standalone {
    fn pool(&self) -> &DbPool {
        &self.pool
    }
    fn keys(&self) -> &Keys {
        &self.keys
    }
}

pub type Access = Arc<dyn RegisterAccess>;

/// The policy's period as the ledger's period kind.
pub fn period_kind(period: Period) -> PeriodKind {
    match period {
        Period::Once => PeriodKind::Once,
        Period::Year => PeriodKind::Year,
        Period::Month => PeriodKind::Month,
        Period::Event => PeriodKind::Event,
    }
}

/// The ledger's beneficiary key: the parent, or `household`.
pub fn person_key(person: Option<Role>) -> &'static str {
    person.map_or("household", Role::as_str)
}

/// The engine's facts of a stored family, through the registry's one mapping.
pub fn facts_of(
    codec: &Codec<'_>,
    record: &FamilyRecord,
) -> Result<(nuanxin_domain::family::Family, FamilyFacts), BenefitError> {
    let family = codec
        .decode(record)
        .map_err(|e| BenefitError::Decode(e.to_string()))?;
    let facts = FamilyFacts::from(&family);
    Ok((family, facts))
}

/// One family of the register as the streaming consumers see it.
pub struct RegisterFamily {
    pub id: FamilyId,
    pub street_id: OrgUnitId,
    pub facts: FamilyFacts,
    /// Each parent's role and keyed resident-ID hash (what a verification finds a person by).
    pub parents: Vec<(Role, ResidentHash)>,
}

/// Feeds every active family of the district, decoded, to `consume` on a blocking thread, while
/// this task reads the next page: a bounded channel keeps at most two pages in memory.
pub async fn fold_register<R, F>(
    access: Access,
    tenant_id: TenantId,
    consume: F,
) -> Result<R, BenefitError>
where
    R: Send + 'static,
    F: FnOnce(&mut dyn Iterator<Item = RegisterFamily>) -> R + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<FamilyRecord>>(2);
    let worker_access = access.clone();
    let worker = tokio::task::spawn_blocking(move || {
        let codec = Codec::new(worker_access.keys(), tenant_id);
        let mut pages = Decoded {
            receiver,
            codec,
            page: Vec::new().into_iter(),
            error: None,
        };
        let result = consume(&mut pages);
        match pages.error {
            Some(e) => Err(e),
            None => Ok(result),
        }
    });
    let mut after = None;
    let produced: Result<(), BenefitError> = async {
        loop {
            let page = active_page(&access, tenant_id, after).await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.family.id);
            if sender.send(page).await.is_err() {
                // The consumer stopped (a decode error): its error is reported below.
                return Ok(());
            }
        }
    }
    .await;
    drop(sender);
    let consumed = worker.await?;
    produced?;
    consumed
}

struct Decoded<'a> {
    receiver: tokio::sync::mpsc::Receiver<Vec<FamilyRecord>>,
    codec: Codec<'a>,
    page: std::vec::IntoIter<FamilyRecord>,
    error: Option<BenefitError>,
}

impl Iterator for Decoded<'_> {
    type Item = RegisterFamily;

    fn next(&mut self) -> Option<RegisterFamily> {
        loop {
            if let Some(record) = self.page.next() {
                return match facts_of(&self.codec, &record) {
                    Ok((_, facts)) => Some(RegisterFamily {
                        id: record.family.id,
                        street_id: record.family.street_id,
                        facts,
                        parents: record
                            .members
                            .iter()
                            .filter_map(|m| {
                                Some((
                                    Role::parse(&m.role)?,
                                    m.resident_id_hash.as_slice().try_into().ok()?,
                                ))
                            })
                            .collect(),
                    }),
                    Err(e) => {
                        self.error = Some(e);
                        self.receiver.close();
                        None
                    }
                };
            }
            self.page = self.receiver.blocking_recv()?.into_iter();
        }
    }
}
