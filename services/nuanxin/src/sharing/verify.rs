//! Verification queries: does the person with this resident ID hold this entitlement now? Yes or no,
//! nothing else — not whether the person is registered at all (an unknown ID is a plain no).
//!
//! The ID is looked up by the registry's keyed hash (never stored or logged by this module); the
//! answer is the benefits module's evaluation of the person's family under the district's policy
//! today. Each question is rate-limited per account (counted near, see `limit`) and recorded in the audit log through the read
//! log (against the family when there is one, so the family's access log lists it).

use std::time::Duration;

use nuanxin_db::models::sharing::family_of_resident;
use nuanxin_policy::Evaluation;
use nuanxin_privacy::ResidentId;
use serde_json::json;

use super::{rules_of, SharingError};
use crate::audit::{self, Actor};
use crate::registry::Codec;
use crate::state::{AppState, District};

/// The rate limit's window.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Answers whether the holder of `resident_id` is entitled to `program` today, for `unit_code`'s staff.
pub async fn verify(
    state: &AppState,
    district: &District,
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
    let found = family_of_resident(&state.pool, district.id, codec.resident_hash(&id)).await?;
    let (entitled, object) = match (found, &district.policy) {
        (Some(record), Some(policy)) => {
            let family = codec
                .decode(&record)
                .map_err(|e| SharingError::Decode(e.to_string()))?;
            let role = family
                .parents
                .iter()
                .find(|p| p.resident_id == id)
                .map(|p| p.role.as_str());
            let facts = nuanxin_policy::FamilyFacts::from(&family);
            let mut eval = Evaluation::default();
            nuanxin_policy::evaluate_with(
                policy,
                &facts,
                district.today(),
                nuanxin_policy::Detail::ENTITLEMENTS_ONLY,
                &mut eval,
            );
            // The person's own entitlement, or one of their household.
            let entitled = eval
                .entitlements
                .iter()
                .any(|e| e.program == program && e.person.is_none_or(|r| Some(r.as_str()) == role));
            (entitled, ("family", record.family.id.to_string()))
        }
        (Some(record), None) => (false, ("family", record.family.id.to_string())),
        (None, _) => (false, ("verification", "unregistered".to_owned())),
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
