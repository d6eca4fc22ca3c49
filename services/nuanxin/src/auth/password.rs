//! Password hashing with argon2id, off the async workers.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashes a password (PHC string). CPU-heavy: call from a blocking task.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// A valid hash of a random password, verified against when the username does not exist so that
/// unknown and known usernames take the same time.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

/// Checks `password` against `stored` (or against a dummy when there is no such user).
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let ok = PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && ok
    })
    .await
    .unwrap_or(false)
}

/// Hashes off the async workers.
pub async fn hash_blocking(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password).map_err(|e| e.to_string()))
        .await
        .map_err(|e| e.to_string())?
}
