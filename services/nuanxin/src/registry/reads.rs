//! Reading the register for a caller, each read recorded: one family in full (the hot path: this node's
//! recent copies or one statement, the read handed to the read log before the answer leaves), and the
//! caller's whole active register as a workbook in the import layout (an audited export); a family's
//! history and its policy facts.

use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::{FamilyChange, FamilyFilter, FamilyRecord};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::family::FamilyStatus;
use nuanxin_ids::FamilyId;
use serde_json::json;

use super::view::{family_view, FamilyView, Reveal};
use super::{Registry, RegistryError};
use crate::audit;
use crate::auth::Authorized;
use crate::state::AppState;

/// One family in the caller's scope, its read recorded (the API's answer and the console's family page).
pub async fn read_family(
    state: &AppState,
    auth: &Authorized,
    id: FamilyId,
) -> Result<FamilyView, RegistryError> {
    auth.check(Resource::Family, Action::Read)?;
    let (district, actor) = (&auth.district, &auth.actor);
    let reveal = auth.reveal();
    let record = state
        .near_families
        .read(&state.pool, district.id, auth.scope, id)
        .await?
        .ok_or(RegistryError::NotFound)?;
    let family = Registry::new(district, &state.keys).codec.decode(&record)?;
    let read = audit::event(
        district.id,
        actor,
        "family.read",
        "family",
        &id.to_string(),
        json!({"pii": reveal == Reveal::Full}),
    );
    state
        .read_log
        .record(read, crate::audit::reads::WAIT)
        .await?;
    Ok(family_view(
        &record,
        &family,
        &district.orgs,
        district.today(),
        reveal,
    ))
}

/// The caller's active register as xlsx bytes, the export audited.
pub async fn register_workbook(
    state: &AppState,
    auth: &Authorized,
) -> Result<Vec<u8>, RegistryError> {
    auth.check(Resource::FamilyExport, Action::Read)?;
    let (district, actor) = (&auth.district, &auth.actor);
    let reveal = auth.reveal();
    let registry = Registry::new(district, &state.keys);
    let filter = FamilyFilter {
        status: Some(FamilyStatus::Active),
        ..FamilyFilter::default()
    };
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let records = FamilyRecord::all(&mut tx, auth.scope, &filter).await?;
    audit::record(
        &tx,
        district.id,
        actor,
        "family.export",
        "register",
        &district.slug,
        json!({"families": records.len()}),
    )
    .await?;
    tx.commit().await?;
    let families = records
        .into_iter()
        .map(|r| registry.codec.decode(&r).map(|f| (r, f)))
        .collect::<Result<Vec<_>, _>>()?;
    registry.export(&families, reveal)
}

/// Every change of a family in the caller's scope, oldest first (its history).
pub async fn family_changes(
    state: &AppState,
    auth: &Authorized,
    id: FamilyId,
) -> Result<Vec<FamilyChange>, RegistryError> {
    auth.check(Resource::FamilyHistory, Action::Read)?;
    let mut tx = TenantTx::begin(&state.pool, auth.district.id).await?;
    FamilyRecord::find(&mut tx, auth.scope, id)
        .await?
        .ok_or(RegistryError::NotFound)?;
    let changes = FamilyChange::of_family(&mut tx, id).await?;
    tx.commit().await?;
    Ok(changes)
}

/// The policy facts of a family in the caller's scope, for those who may read entitlements.
pub async fn family_facts(
    state: &AppState,
    auth: &Authorized,
    id: FamilyId,
) -> Result<serde_json::Value, RegistryError> {
    auth.check(Resource::Entitlement, Action::Read)?;
    let registry = Registry::new(&auth.district, &state.keys);
    let mut tx = TenantTx::begin(&state.pool, auth.district.id).await?;
    let (_, family) = registry.load(&mut tx, auth.scope, id).await?;
    tx.commit().await?;
    Ok(nuanxin_domain::facts::facts_json(&family))
}
