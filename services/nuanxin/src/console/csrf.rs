//! CSRF tokens: an HMAC-SHA256 keyed by the session's secret token (or, before sign-in, by the secret of
//! the sign-in cookie). A page embeds the token in every form; a forged form from another site cannot
//! know it (the cookie is `HttpOnly`, `SameSite=Strict`, and the token reveals nothing of its key), and
//! any node can check it without storing anything.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The message signed: fixed, so a token is bound to its key alone.
const PURPOSE: &[u8] = b"nuanxin console csrf v1";

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(PURPOSE);
    mac
}

/// The token for forms of the session (or sign-in cookie) whose secret is `secret`.
pub fn token(secret: &str) -> String {
    hex::encode(mac(secret).finalize().into_bytes())
}

/// Whether `given` is the token of `secret` (compared in constant time).
pub fn matches(secret: &str, given: &str) -> bool {
    match hex::decode(given.trim()) {
        Ok(bytes) => mac(secret).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_token_matches_its_own_secret_only(a in "[A-Za-z0-9_-]{1,64}", b in "[A-Za-z0-9_-]{1,64}") {
            prop_assert!(matches(&a, &token(&a)));
            prop_assert_eq!(matches(&a, &token(&b)), a == b);
        }
    }

    #[test]
    fn empty_and_malformed_tokens_are_refused() {
        assert!(!matches("secret", ""));
        assert!(!matches("secret", "not hex"));
        assert!(!matches("secret", &token("secret")[..10]));
    }
}
