//! The audit log: record an event in the working transaction (changes) or through the read log (reads);
//! seal events into the hash chain; verify it.

pub mod reads;

use chrono::SecondsFormat;
use nuanxin_db::models::audit::{AuditEvent, ChainLink, NewAuditEvent};
use nuanxin_db::pool::{DbPool, TenantTx, TxError};
use nuanxin_db::AsyncPgConnection;
use nuanxin_ids::{TenantId, UserId};
use nuanxin_privacy::{canonical_json, chain_hash, GENESIS};
use serde_json::json;

/// Who did something, for audit records and history.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub name: String,
    /// `user:<id>` or `operator:<id>` or `system:<job>`.
    pub actor: String,
    pub request_id: Option<String>,
}

/// An event of the tenant's audit log, to be inserted in the transaction that did the work.
pub fn event(
    tenant_id: TenantId,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: &str,
    detail: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent {
        tenant_id,
        occurred_at: None,
        actor: actor.actor.clone(),
        action: action.to_owned(),
        object_type: object_type.to_owned(),
        object_id: object_id.to_owned(),
        detail,
        request_id: actor.request_id.clone(),
    }
}

/// Appends an event to the tenant's audit log inside the caller's transaction.
pub async fn record(
    conn: &AsyncPgConnection,
    tenant_id: TenantId,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: &str,
    detail: serde_json::Value,
) -> diesel::QueryResult<()> {
    event(tenant_id, actor, action, object_type, object_id, detail)
        .insert(conn)
        .await
}

/// The bytes of an event that its chain link hashes. Built from the stored row, so the sealer and the
/// verifier agree whatever the database did to the JSON's key order or whitespace.
fn payload(e: &AuditEvent) -> Vec<u8> {
    canonical_json(&json!({
        "id": e.id,
        "occurred_at": e.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "actor": e.actor,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "detail": e.detail,
        "request_id": e.request_id,
    }))
}

/// Links the tenant's unsealed events into its chain, oldest first; returns how many were sealed. An event
/// whose transaction committed late is sealed when it appears, behind newer ones.
pub async fn seal(pool: &DbPool, tenant_id: TenantId) -> Result<usize, TxError> {
    let mut sealed = 0;
    loop {
        let mut tx = TenantTx::begin(pool, tenant_id).await?;
        AuditEvent::lock_chain(&mut tx, tenant_id).await?;
        let last = ChainLink::last(&mut tx).await?;
        let events = AuditEvent::unsealed(&mut tx, 5000).await?;
        if events.is_empty() {
            tx.commit().await?;
            return Ok(sealed);
        }
        let (mut seq, mut prev) = match last {
            Some(l) => (
                l.seq,
                <[u8; 32]>::try_from(l.hash.as_slice()).unwrap_or(GENESIS),
            ),
            None => (0, GENESIS),
        };
        let now = chrono::Utc::now();
        let links: Vec<ChainLink> = events
            .iter()
            .map(|e| {
                seq += 1;
                let hash = chain_hash(&prev, seq, &payload(e));
                let link = ChainLink {
                    tenant_id,
                    seq,
                    event_id: e.id,
                    prev_hash: prev.to_vec(),
                    hash: hash.to_vec(),
                    sealed_at: now,
                };
                prev = hash;
                link
            })
            .collect();
        ChainLink::insert_many(&mut tx, &links).await?;
        tx.commit().await?;
        sealed += links.len();
    }
}

/// The outcome of verifying a tenant's chain.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verification {
    pub ok: bool,
    pub events: i64,
    pub sealed: i64,
    pub verified: u64,
    /// Where the chain breaks and why.
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

/// Walks the whole chain, recomputing every link from the stored event.
pub async fn verify(pool: &DbPool, tenant_id: TenantId) -> Result<Verification, TxError> {
    let mut tx = TenantTx::begin(pool, tenant_id).await?;
    let (events, sealed) = ChainLink::counts(&mut tx).await?;
    let mut expected_seq = 0i64;
    let mut prev = GENESIS;
    let mut verified = 0u64;
    let fail = |at: i64, problem: String, verified: u64| Verification {
        ok: false,
        events,
        sealed,
        verified,
        broken_at: Some(at),
        problem: Some(problem),
    };
    loop {
        let page = ChainLink::page(&mut tx, expected_seq, 5000).await?;
        if page.is_empty() {
            break;
        }
        for (link, event) in page {
            expected_seq += 1;
            if link.seq != expected_seq {
                return Ok(fail(
                    expected_seq,
                    format!("sequence gap: expected {expected_seq}, found {}", link.seq),
                    verified,
                ));
            }
            if link.prev_hash != prev {
                return Ok(fail(
                    link.seq,
                    "link does not follow the previous one".into(),
                    verified,
                ));
            }
            let hash = chain_hash(&prev, link.seq, &payload(&event));
            if link.hash != hash {
                return Ok(fail(
                    link.seq,
                    format!("event {} differs from what was sealed", event.id),
                    verified,
                ));
            }
            prev = hash;
            verified += 1;
        }
    }
    tx.commit().await?;
    if i64::try_from(verified).unwrap_or(i64::MAX) != sealed {
        return Ok(fail(
            expected_seq + 1,
            "links without their events".into(),
            verified,
        ));
    }
    Ok(Verification {
        ok: true,
        events,
        sealed,
        verified,
        broken_at: None,
        problem: None,
    })
}
