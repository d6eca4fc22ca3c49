//! Who is knocking, and how often: the client's address (believing `X-Forwarded-For` only from
//! configured proxies) and the login limits.
//!
//! Three counters, so that an attacker can neither spray passwords nor lock a user out:
//! - every attempt from one address, on any account, counted before the body is read (spraying many
//!   accounts, or flooding, from one place);
//! - failures on one account from one address: tight (guessing one account's password);
//! - failures on one account from every address: loose (a distributed guess), ten times the tight one.
//!
//! A wrong password from elsewhere therefore never stops the real user at their own address until the
//! loose limit is reached, which takes ten addresses' worth of failures.

use std::net::IpAddr;
use std::time::Duration;

use actix_web::HttpRequest;

use crate::cache::Store;
use crate::error::ApiError;

pub const LOGIN_WINDOW: Duration = Duration::from_secs(300);

/// The client's address: the peer's, or — when the peer is a trusted proxy — the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted.contains(a))
            .unwrap_or(peer),
    )
}

/// The login limits for one attempt.
pub struct LoginThrottle<'a> {
    store: &'a Store,
    limit: u64,
    address: String,
}

impl<'a> LoginThrottle<'a> {
    /// Counts the attempt from `address`; refuses a flood before its body is read.
    pub async fn admit(
        store: &'a Store,
        limit: u64,
        address: Option<IpAddr>,
    ) -> Result<LoginThrottle<'a>, ApiError> {
        let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        let (count, retry_after) = store
            .hit(&format!("rl:login-ip:{address}"), LOGIN_WINDOW)
            .await;
        if count > limit.saturating_mul(10) {
            return Err(ApiError::TooManyRequests { retry_after });
        }
        Ok(LoginThrottle {
            store,
            limit,
            address,
        })
    }

    fn keys(&self, tenant: &str, username: &str) -> [(String, u64); 2] {
        let account = format!("{}:{}", tenant.len(), tenant) + username;
        [
            (
                format!("rl:login-fail:{account}:{}", self.address),
                self.limit,
            ),
            (
                format!("rl:login-fail:{account}"),
                self.limit.saturating_mul(10),
            ),
        ]
    }

    /// Refuses an account that failed too often from here, or from everywhere.
    pub async fn check_account(&self, tenant: &str, username: &str) -> Result<(), ApiError> {
        for (key, allowed) in self.keys(tenant, username) {
            let failures = self.store.count(&key).await;
            if failures >= allowed {
                return Err(ApiError::TooManyRequests {
                    retry_after: LOGIN_WINDOW.as_secs(),
                });
            }
        }
        Ok(())
    }

    /// Counts a failed login.
    pub async fn failed(&self, tenant: &str, username: &str) {
        for (key, _) in self.keys(tenant, username) {
            self.store.hit(&key, LOGIN_WINDOW).await;
        }
    }
}
