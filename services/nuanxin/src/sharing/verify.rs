//! Verification queries: does the person with this resident ID hold this entitlement now? Yes or no,
//! nothing else — not whether the person is registered at all (an unknown ID is a plain no).
//!
//! The ID is looked up by the registry's keyed hash (never stored or logged by this module); the
//! answer is the benefits module's evaluation of the person's family under the district's policy
//! today: from this node's index of what every parent holds today ([`held`]) where it has the
//! person, else from the family as the database has it. Each question is rate-limited per account
//! (counted near, see `limit`) and recorded in the audit log through the read log (against the family
//! when there is one, so the family's access log lists it).

use nuanxin_ids::FamilyId;
use std::sync::Arc;
use std::time::Duration;

use nuanxin_policy::{Detail, Evaluation, Policy};
use nuanxin_privacy::ResidentId;
use serde_json::json;

use super::held::{self, BuildTicket, IndexBuilder, Lookup, ResidentHash};
use super::{rules_of, SharingError};
use crate::audit::{self, Actor};
use crate::benefits::fold_register;
use crate::registry::Codec;
use crate::state::{AppState, District};

/// The rate limit's window.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Answers whether the holder of `resident_id` is entitled to `program` today, for `unit_code`'s staff.
pub async fn verify(
    state: &Arc<AppState>,
    district: &Arc<District>,
    actor: &Actor,
    unit_code: &str,
    resident_id: &str,
    program: &str,
) -> Result<bool, SharingError> {
    let rules = rules_of(district)?;
    let rule = nuanxin_sharing::check_verification(&rules, unit_code, program)
        .map_err(|p| SharingError::Invalid(vec![p]))?;
    let id = ResidentId::parse(resident_id.trim())
        .map_err(|_| SharingError::invalid("resident_id", "身份证号码格式不正确"))?;
    let (count, retry_after) = state.verification_limits.hit(
        &state.store,
        format!("rl:verify:{}:{}", district.id, actor.user_id),
    );
    if count > state.settings.security.verifications_per_minute {
        return Err(SharingError::TooMany { retry_after });
    }
    let codec = Codec::new(&state.keys, district.id);
    let hash = codec.resident_hash(&id);
    let known = match &district.policy {
        Some(policy) => {
            let held = state.near_families.held();
            let today = district.today();
            match held.lookup(district.id, policy, today, &hash, program) {
                Lookup::Held { family, entitled } => Some((family, entitled)),
                Lookup::Ask => None,
                Lookup::Build => {
                    if let Some(ticket) = held.begin(district.id) {
                        tokio::spawn(build(state.clone(), ticket, policy.clone(), today));
                    }
                    None
                }
            }
        }
        None => None,
    };
    let answer = match known {
        Some(known) => Some(known),
        None => asked(state, district, &codec, &id, hash, program).await?,
    };
    let (entitled, object) = match answer {
        Some((family, entitled)) => (entitled, ("family", family.to_string())),
        None => (false, ("verification", "unregistered".to_owned())),
    };
    state
        .read_log
        .record(
            audit::event(
                district.id,
                actor,
                "verification.ask",
                object.0,
                &object.1,
                json!({"org_unit": unit_code, "purpose": rule.purpose, "program": program,
                       "entitled": entitled}),
            ),
            crate::audit::reads::WAIT,
        )
        .await?;
    Ok(entitled)
}

/// The family of `id` as the database has it, and whether the person holds `program` in it today.
async fn asked(
    state: &AppState,
    district: &District,
    codec: &Codec<'_>,
    id: &ResidentId,
    hash: ResidentHash,
    program: &str,
) -> Result<Option<(FamilyId, bool)>, SharingError> {
    let Some(record) =
        nuanxin_db::models::sharing::family_of_resident(&state.pool, district.id, hash.to_vec())
            .await?
    else {
        return Ok(None);
    };
    let Some(policy) = &district.policy else {
        return Ok(Some((record.family.id, false)));
    };
    let family = codec
        .decode(&record)
        .map_err(|e| SharingError::Decode(e.to_string()))?;
    let role = family
        .parents
        .iter()
        .find(|p| p.resident_id == *id)
        .map(|p| p.role);
    let facts = nuanxin_policy::FamilyFacts::from(&family);
    let mut eval = Evaluation::default();
    nuanxin_policy::evaluate_with(
        policy,
        &facts,
        district.today(),
        Detail::ENTITLEMENTS_ONLY,
        &mut eval,
    );
    let entitled = held::held_by(&eval, role).any(|p| p == program);
    Ok(Some((record.family.id, entitled)))
}

/// Builds the district's index for `day` under `policy` from the whole register, on a blocking
/// thread beside the page reads; installed only if nothing spoiled it meanwhile (see [`held`]).
async fn build(
    state: Arc<AppState>,
    ticket: BuildTicket,
    policy: Arc<Policy>,
    day: chrono::NaiveDate,
) {
    let tenant_id = ticket.tenant_id();
    let began = std::time::Instant::now();
    let worker_policy = policy.clone();
    let built = fold_register(state.clone(), tenant_id, move |families| {
        let mut index = IndexBuilder::default();
        let mut eval = Evaluation::default();
        for family in families {
            nuanxin_policy::evaluate_with(
                &worker_policy,
                &family.facts,
                day,
                Detail::ENTITLEMENTS_ONLY,
                &mut eval,
            );
            index.add(family.id, &family.parents, &eval);
        }
        index
    })
    .await;
    let held = state.near_families.held().clone();
    match built {
        Ok(index) => {
            let parents = index.len();
            held.install(ticket, index, policy, day);
            tracing::info!(district = %tenant_id, parents, ms = began.elapsed().as_millis(), "verification index built");
        }
        Err(e) => {
            tracing::warn!(district = %tenant_id, error = %e, "verification index not built; answering from the database");
            held.failed(ticket);
        }
    }
}
