//! Changing the register for a caller: each change authorized, made in the caller's unit of work and
//! committed with what waits for the commit (this node's copy of the family dropped, the district's
//! cached list totals marked stale); the API's routes and the console's forms both call these.

use nuanxin_ids::FamilyId;
use std::sync::Arc;
use std::time::Duration;

use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::Scope;
use nuanxin_domain::family::{Exit, FamilyInput};

use super::view::{family_view, FamilyView};
use super::{Registry, RegistryError};
use crate::auth::Authorized;
use crate::state::AppState;
use crate::work::AfterCommit;

/// Registers a family and answers it as the caller may see it. Street staff register families of
/// their own street only.
pub async fn register_family(
    state: &AppState,
    auth: &Authorized,
    input: FamilyInput,
) -> Result<FamilyView, RegistryError> {
    auth.check(Resource::Family, Action::Create)?;
    let district = &auth.district;
    let registry = Registry::new(district, &state.keys);
    let mut work = auth.begin(state).await?;
    let id = registry
        .create(&mut work, auth.scope, &auth.actor, input)
        .await?;
    answer(work, &registry, auth, id).await
}

/// Replaces a family's data if it is still at version `expected`, and answers it as the caller may
/// see it.
pub async fn replace_family(
    state: &AppState,
    auth: &Authorized,
    id: FamilyId,
    input: FamilyInput,
    expected: i32,
) -> Result<FamilyView, RegistryError> {
    auth.check(Resource::Family, Action::Update)?;
    let district = &auth.district;
    let registry = Registry::new(district, &state.keys);
    let mut work = auth.begin(state).await?;
    registry
        .replace(
            &mut work,
            auth.scope,
            &auth.actor,
            id,
            input,
            Some(expected),
        )
        .await?;
    work.after_commit(AfterCommit::FamilyChanged(id));
    answer(work, &registry, auth, id).await
}

/// Takes a family in the caller's scope off the register; its new version.
pub async fn take_off_register(
    state: &AppState,
    auth: &Authorized,
    id: FamilyId,
    exit: Exit,
) -> Result<i32, RegistryError> {
    auth.check(Resource::Family, Action::Exit)?;
    let registry = Registry::new(&auth.district, &state.keys);
    let mut work = auth.begin(state).await?;
    let version = registry
        .exit(&mut work, auth.scope, &auth.actor, id, exit)
        .await?;
    work.after_commit(AfterCommit::FamilyChanged(id));
    work.after_commit(AfterCommit::RegisterChanged);
    work.commit().await?;
    Ok(version)
}

/// Commits `work` with the register marked changed, and answers family `id` as the caller may see it
/// (read inside the work, so the answer is what was committed).
async fn answer(
    mut work: crate::work::Work<'_>,
    registry: &Registry<'_>,
    auth: &Authorized,
    id: FamilyId,
) -> Result<FamilyView, RegistryError> {
    let (record, family) = registry.load(&mut work, auth.scope, id).await?;
    work.after_commit(AfterCommit::RegisterChanged);
    work.commit().await?;
    let district = registry.district;
    Ok(family_view(
        &record,
        &family,
        &district.orgs,
        district.today(),
        auth.reveal(),
    ))
}

/// How long an import waits for its turn (`IMPORTS_AT_ONCE`) before it is refused as busy.
const WAIT_FOR_TURN: Duration = Duration::from_secs(30);

/// Importing is for the district office (whole district) and streets; a street's file may hold only its
/// own families.
pub fn import_scope(auth: &Authorized) -> Result<Scope, RegistryError> {
    auth.check(Resource::FamilyImport, Action::Create)?;
    match auth.scope {
        scope @ (Scope::District | Scope::Street(_)) => Ok(scope),
        _ => Err(RegistryError::Forbidden),
    }
}

/// Waits for this node's turn to import (one at a time: checking a file takes memory and a core).
pub async fn import_turn(
    state: &AppState,
) -> Result<tokio::sync::SemaphorePermit<'_>, RegistryError> {
    match tokio::time::timeout(WAIT_FOR_TURN, state.imports.acquire()).await {
        Ok(Ok(turn)) => Ok(turn),
        _ => Err(RegistryError::Busy("另一份登记表正在导入，请稍后再试")),
    }
}

/// Checks and imports one register file (xlsx or CSV), all rows or none, on this node's turn for imports
/// (the caller holds it): the API's import and the console's upload form. Reading and checking the
/// file run on a blocking thread, so the HTTP workers keep answering meanwhile. Returns how many
/// families the file registered.
pub async fn import_file<B: AsRef<[u8]> + Send + 'static>(
    state: &Arc<AppState>,
    auth: &Authorized,
    body: B,
) -> Result<usize, RegistryError> {
    let scope = import_scope(auth)?;
    if body.as_ref().is_empty() {
        return Err(RegistryError::BadInput {
            code: "empty_file",
            field: "file",
            message: "请上传登记表（xlsx 或 CSV）".to_owned(),
        });
    }
    let district = &auth.district;
    let checked = {
        let (state, district) = (state.clone(), district.clone());
        tokio::task::spawn_blocking(move || {
            Registry::new(&district, &state.keys).check_import(body.as_ref(), scope)
        })
        .await??
    };
    let registry = Registry::new(district, &state.keys);
    let mut work = auth.begin(state).await?;
    let imported = registry
        .import_checked(&mut work, &auth.actor, checked)
        .await?;
    work.after_commit(AfterCommit::RegisterChanged);
    work.commit().await?;
    tracing::info!(imported, "families imported");
    Ok(imported)
}
