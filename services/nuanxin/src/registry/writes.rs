//! Changing the register for a caller: each change authorized, made in the caller's unit of work and
//! committed with what waits for the commit (this node's copy of the family dropped, the district's
//! cached list totals marked stale); the API's routes and the console's forms both call these.

use nuanxin_access::{Action, Resource};
use nuanxin_domain::family::{Exit, FamilyInput};
use uuid::Uuid;

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
    id: Uuid,
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
    id: Uuid,
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
    id: Uuid,
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
