//! Totals of family lists, cached in the shared store (Redis): counting a large register on every page
//! turn is the costly part of a list. Each district's register has a generation that every change bumps,
//! and the generation is part of the key, so a total is never served after a change; entries also expire.
//! Without the store (Redis down) lists simply count every time.

use std::time::Duration;

use nuanxin_db::models::family::{FamilyFilter, Scope};
use nuanxin_ids::TenantId;

use crate::cache::Store;

const TOTAL_TTL: Duration = Duration::from_secs(60);
/// Generations outlive every total cached under them.
const GENERATION_TTL: Duration = Duration::from_secs(24 * 3600);

fn generation_key(tenant: TenantId) -> String {
    format!("register-generation:{tenant}")
}

/// The key of one list's total: district, generation, scope and every filter except the page.
fn total_key(tenant: TenantId, generation: &str, scope: Scope, f: &FamilyFilter) -> String {
    format!(
        "family-total:{tenant}:{generation}:{scope:?}:{:?}:{:?}:{:?}:{:?}:{:?}:{:?}",
        f.street_id,
        f.community_id,
        f.kind,
        f.status,
        f.parent_born_on_or_before,
        f.parent_born_after
    )
}

/// A cached total for this list, with the key to store it under when there is none.
pub async fn cached_total(
    store: &Store,
    tenant: TenantId,
    scope: Scope,
    filter: &FamilyFilter,
) -> (Option<i64>, Option<String>) {
    // A name or an ID never goes into a cache key.
    if filter.names_a_person() {
        return (None, None);
    }
    let Ok(generation) = store.get(&generation_key(tenant)).await else {
        return (None, None);
    };
    let key = total_key(tenant, generation.as_deref().unwrap_or("0"), scope, filter);
    let total = store
        .get(&key)
        .await
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok());
    (total, Some(key))
}

pub async fn remember_total(store: &Store, key: &str, total: i64) {
    let _ = store.set_ex(key, &total.to_string(), TOTAL_TTL).await;
}

/// Marks the district's register as changed: every cached total of it is stale from now on.
pub async fn register_changed(store: &Store, tenant: TenantId) {
    if let Err(e) = store.incr(&generation_key(tenant), GENERATION_TTL).await {
        tracing::warn!(error = %e, "list totals may be stale for up to a minute");
    }
}
