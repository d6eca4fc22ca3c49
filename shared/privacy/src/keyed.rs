//! Keyed hashes: blind indexes for equality lookup and per-requester pseudonyms.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 keyed with a 32-byte key. A key shorter than SHA-256's 64-byte block is
/// zero-padded by HMAC itself, so padding it here gives exactly HMAC(key, ·) without a
/// fallible constructor.
fn keyed_mac(key: &[u8; 32]) -> HmacSha256 {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <HmacSha256 as Mac>::new(&block.into())
}

/// Deterministic keyed digest of a value, stored beside its ciphertext so that rows can be
/// found by equality (`WHERE id_number_bidx = $1`) without decrypting.
///
/// Callers must pass the **normalized** value (e.g. [`crate::ResidentId::as_str`],
/// [`crate::Phone::as_str`]), otherwise `x`/`X` or spacing variants produce different
/// digests. Use a different key per column (or prefix the value with the column name) so
/// that equal values in different columns cannot be correlated. The key must be kept as
/// secret as the encryption key: with it, small value spaces such as ID numbers can be
/// brute-forced.
#[derive(Clone)]
pub struct BlindIndex {
    mac: HmacSha256,
}

impl BlindIndex {
    /// A blind index with its own 32-byte key (not the encryption key).
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            mac: keyed_mac(&key),
        }
    }

    /// HMAC-SHA256 of the normalized value.
    pub fn digest(&self, normalized: &str) -> [u8; 32] {
        let mut m = self.mac.clone();
        m.update(normalized.as_bytes());
        m.finalize().into_bytes().into()
    }
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlindIndex").finish_non_exhaustive()
    }
}

/// Crockford base32 alphabet (no I, L, O, U): easy to read aloud and copy.
const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Per-requester pseudonyms for data releases: the same subject gets the same pseudonym in
/// every release to one requester (so releases can be joined over time), and unrelated
/// pseudonyms for different requesters (so two departments cannot link their releases).
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: HmacSha256,
}

impl Pseudonymizer {
    /// A pseudonymizer with its own 32-byte key.
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            mac: keyed_mac(&key),
        }
    }

    /// A pseudonymizer whose key is derived from this one for one requester (HMAC of the
    /// requester's code under this key): a requesting department can hold or be given its own
    /// key without holding the district's, and its pseudonyms are unrelated to another's.
    pub fn for_requester(&self, requester: &str) -> Pseudonymizer {
        let mut m = self.mac.clone();
        m.update(b"nuanxin.pseudonym.requester-key.v1");
        m.update(&(requester.len() as u64).to_be_bytes());
        m.update(requester.as_bytes());
        Pseudonymizer::new(m.finalize().into_bytes().into())
    }

    /// `P-` followed by 16 Crockford base32 characters (80 bits of
    /// HMAC-SHA256(key, requester, subject)), e.g. `P-7G3K0W9QH2M1XZ4A`.
    ///
    /// `requester` identifies the receiving party (e.g. the bureau's org id, or a
    /// data-sharing request id for single-use pseudonyms); `subject` is a stable id of the
    /// person or family (e.g. its UUID), not something that changes.
    pub fn pseudonym(&self, requester: &str, subject: &str) -> String {
        let mut m = self.mac.clone();
        m.update(b"nuanxin.pseudonym.v1");
        for part in [requester, subject] {
            m.update(&(part.len() as u64).to_be_bytes());
            m.update(part.as_bytes());
        }
        let digest = m.finalize().into_bytes();
        // 10 bytes = 80 bits = 16 base32 characters.
        let mut bits: u128 = 0;
        for b in digest.iter().take(10) {
            bits = (bits << 8) | u128::from(*b);
        }
        let mut out = String::with_capacity(18);
        out.push_str("P-");
        for i in (0..16).rev() {
            let idx = ((bits >> (i * 5)) & 0x1f) as usize;
            out.push(char::from(BASE32[idx]));
        }
        out
    }
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pseudonymizer").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_key_equals_plain_hmac() {
        let key = [7u8; 32];
        let mut reference = <HmacSha256 as Mac>::new_from_slice(&key).unwrap();
        reference.update(b"11010519491231002X");
        let expected: [u8; 32] = reference.finalize().into_bytes().into();
        assert_eq!(BlindIndex::new(key).digest("11010519491231002X"), expected);
    }

    #[test]
    fn rfc4231_style_vector() {
        // RFC 4231 test case 2 uses a short key ("Jefe"): zero-padding is HMAC's own rule.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let d = BlindIndex::new(key).digest("what do ya want for nothing?");
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn blind_index_is_deterministic_and_keyed() {
        let a = BlindIndex::new([1; 32]);
        let b = BlindIndex::new([2; 32]);
        assert_eq!(a.digest("x"), a.digest("x"));
        assert_ne!(a.digest("x"), a.digest("y"));
        assert_ne!(a.digest("x"), b.digest("x"));
        assert_eq!(format!("{a:?}"), "BlindIndex { .. }");
    }

    #[test]
    fn pseudonyms() {
        let p = Pseudonymizer::new([9; 32]);
        let a1 = p.pseudonym("民政局", "family-1");
        let a2 = p.pseudonym("民政局", "family-1");
        let b1 = p.pseudonym("司法局", "family-1");
        let a3 = p.pseudonym("民政局", "family-2");
        assert_eq!(a1, a2);
        assert_ne!(a1, b1);
        assert_ne!(a1, a3);
        assert_eq!(a1.len(), 18);
        assert!(a1.starts_with("P-"));
        assert!(a1[2..].bytes().all(|c| BASE32.contains(&c)));
        // Length prefixing: moving characters between the parts changes the result.
        assert_ne!(p.pseudonym("ab", "c"), p.pseudonym("a", "bc"));
        // Derived per-requester keys: deterministic, distinct per requester and from the parent key.
        let civil = p.for_requester("civil_affairs");
        assert_eq!(
            civil.pseudonym("civil_affairs", "family-1"),
            p.for_requester("civil_affairs")
                .pseudonym("civil_affairs", "family-1")
        );
        assert_ne!(
            civil.pseudonym("x", "family-1"),
            p.for_requester("justice").pseudonym("x", "family-1")
        );
        assert_ne!(
            civil.pseudonym("x", "family-1"),
            p.pseudonym("x", "family-1")
        );
        // Another key gives other pseudonyms.
        assert_ne!(
            Pseudonymizer::new([8; 32]).pseudonym("民政局", "family-1"),
            a1
        );
    }
}
