//! Field-level encryption with AES-256-GCM and a keyring for key rotation.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use std::fmt;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Smallest valid blob: key-id byte, nonce, tag (empty plaintext).
const MIN_BLOB: usize = 1 + NONCE_LEN + TAG_LEN;

/// Errors from key loading, encryption and decryption. Never contain key material or
/// plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CipherError {
    /// The key is not valid base64 or not 32 bytes long.
    #[error("encryption key must be 32 bytes encoded in base64")]
    BadKey,
    /// The blob is shorter than key id + nonce + tag.
    #[error("ciphertext is too short")]
    TooShort,
    /// The blob names a key id this cipher or keyring does not have.
    #[error("ciphertext was made with unknown key id {0}")]
    UnknownKey(u8),
    /// Authentication failed: wrong key, wrong AAD (value moved to another row or column)
    /// or tampered ciphertext.
    #[error("decryption failed: wrong key, wrong associated data or tampered ciphertext")]
    Decrypt,
    /// The plaintext exceeds the AES-GCM limit (about 64 GiB).
    #[error("plaintext too long for AES-GCM")]
    TooLong,
}

/// Builds associated data from parts, length-prefixed so that `["ab", "c"]` and
/// `["a", "bc"]` differ. Typical use: `aad(&[tenant_id, "families", "id_number"])`, so that
/// a ciphertext copied to another tenant or column fails to decrypt. Add the row's primary
/// key as well if values must not be movable between rows of the same tenant.
pub fn aad(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 4).sum::<usize>() + 8);
    out.extend_from_slice(b"nuanxin.aad.v1");
    for p in parts {
        // Field values are far below 4 GiB; saturate rather than panic.
        out.extend_from_slice(&u32::try_from(p.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(p.as_bytes());
    }
    out
}

/// AES-256-GCM for one key, identified by a one-byte key id.
///
/// Blob layout: `key_id (1 byte) || nonce (12 bytes, random) || ciphertext || tag (16 bytes)`.
/// The key-id byte is also authenticated (it is prepended to the caller's AAD).
///
/// With random 96-bit nonces a single key should encrypt fewer than 2^32 values; rotate
/// keys (see [`Keyring`]) long before that.
#[derive(Clone)]
pub struct FieldCipher {
    key_id: u8,
    cipher: Aes256Gcm,
}

impl FieldCipher {
    /// A cipher for a raw 32-byte key.
    pub fn new(key_id: u8, key: [u8; 32]) -> Self {
        Self {
            key_id,
            cipher: Aes256Gcm::new(&key.into()),
        }
    }

    /// A cipher for a key given in standard base64 (surrounding whitespace ignored), e.g.
    /// from an environment variable or secret file. Generate one with
    /// `head -c 32 /dev/urandom | base64`.
    pub fn from_base64(key_id: u8, key_b64: &str) -> Result<Self, CipherError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key_b64.trim())
            .map_err(|_| CipherError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CipherError::BadKey)?;
        Ok(Self::new(key_id, key))
    }

    /// This cipher's key id (the first byte of its blobs).
    pub fn key_id(&self) -> u8 {
        self.key_id
    }

    fn full_aad(key_id: u8, aad: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(aad.len() + 1);
        v.push(key_id);
        v.extend_from_slice(aad);
        v
    }

    /// Encrypts `plaintext` bound to `aad`, with a fresh random nonce.
    pub fn try_encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CipherError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let full_aad = Self::full_aad(self.key_id, aad);
        let ct = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &full_aad,
                },
            )
            .map_err(|_| CipherError::TooLong)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(self.key_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Encrypts `plaintext` bound to `aad`, with a fresh random nonce.
    ///
    /// # Panics
    /// Only if `plaintext` exceeds AES-GCM's limit of about 64 GiB; use
    /// [`FieldCipher::try_encrypt`] for untrusted sizes.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        match self.try_encrypt(plaintext, aad) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    /// Decrypts a blob made by [`FieldCipher::encrypt`] with the same key and AAD.
    pub fn decrypt(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, CipherError> {
        if blob.len() < MIN_BLOB {
            return Err(CipherError::TooShort);
        }
        let (id, rest) = (blob[0], &blob[1..]);
        if id != self.key_id {
            return Err(CipherError::UnknownKey(id));
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let full_aad = Self::full_aad(id, aad);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: &full_aad,
                },
            )
            .map_err(|_| CipherError::Decrypt)
    }
}

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldCipher")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Key id of a blob (its first byte), if any.
fn blob_key_id(blob: &[u8]) -> Option<u8> {
    blob.first().copied()
}

/// A primary key for encryption plus older keys for decryption, selected by the blob's
/// key-id byte. Rotation: add a new primary, keep the old one with [`Keyring::with_old`],
/// re-encrypt rows where [`Keyring::needs_reencrypt`] is true, then drop the old key.
#[derive(Clone)]
pub struct Keyring {
    primary: FieldCipher,
    old: Vec<FieldCipher>,
}

impl Keyring {
    /// A keyring that encrypts with `primary`.
    pub fn new(primary: FieldCipher) -> Self {
        Self {
            primary,
            old: Vec::new(),
        }
    }

    /// Adds a key that is only used to decrypt. A key id equal to the primary's, or to an
    /// earlier old key's, is shadowed by that earlier key.
    #[must_use]
    pub fn with_old(mut self, old: FieldCipher) -> Self {
        self.old.push(old);
        self
    }

    /// The key id new blobs get.
    pub fn primary_key_id(&self) -> u8 {
        self.primary.key_id
    }

    fn cipher_for(&self, key_id: u8) -> Option<&FieldCipher> {
        std::iter::once(&self.primary)
            .chain(&self.old)
            .find(|c| c.key_id == key_id)
    }

    /// Encrypts with the primary key.
    pub fn try_encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CipherError> {
        self.primary.try_encrypt(plaintext, aad)
    }

    /// Encrypts with the primary key. Panics only past AES-GCM's 64 GiB limit.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        self.primary.encrypt(plaintext, aad)
    }

    /// Decrypts with whichever key the blob names.
    pub fn decrypt(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, CipherError> {
        let id = blob_key_id(blob).ok_or(CipherError::TooShort)?;
        self.cipher_for(id)
            .ok_or(CipherError::UnknownKey(id))?
            .decrypt(blob, aad)
    }

    /// True if the blob was not made with the primary key.
    pub fn needs_reencrypt(&self, blob: &[u8]) -> bool {
        blob_key_id(blob) != Some(self.primary.key_id)
    }

    /// Decrypts with any known key and encrypts again with the primary key.
    pub fn reencrypt(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, CipherError> {
        let plain = self.decrypt(blob, aad)?;
        self.try_encrypt(&plain, aad)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("primary_key_id", &self.primary.key_id)
            .field(
                "old_key_ids",
                &self.old.iter().map(|c| c.key_id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: [u8; 32] = [1; 32];
    const K2: [u8; 32] = [2; 32];

    #[test]
    fn round_trip() {
        let c = FieldCipher::new(1, K1);
        let a = aad(&["tenant-zhangdian", "families", "id_number"]);
        let blob = c.encrypt("11010519491231002X".as_bytes(), &a);
        assert_eq!(blob.len(), 1 + 12 + 18 + 16);
        assert_eq!(blob[0], 1);
        assert_eq!(c.decrypt(&blob, &a).unwrap(), b"11010519491231002X");
        // Empty plaintext works too.
        let e = c.encrypt(b"", &a);
        assert_eq!(c.decrypt(&e, &a).unwrap(), b"");
    }

    #[test]
    fn nonces_are_random() {
        let c = FieldCipher::new(1, K1);
        assert_ne!(c.encrypt(b"same", b"x"), c.encrypt(b"same", b"x"));
    }

    #[test]
    fn wrong_aad_fails() {
        let c = FieldCipher::new(1, K1);
        let blob = c.encrypt(b"13812345678", &aad(&["t1", "phone"]));
        assert_eq!(
            c.decrypt(&blob, &aad(&["t2", "phone"])),
            Err(CipherError::Decrypt)
        );
        assert_eq!(
            c.decrypt(&blob, &aad(&["t1", "id_number"])),
            Err(CipherError::Decrypt)
        );
        assert_ne!(aad(&["ab", "c"]), aad(&["a", "bc"]));
    }

    #[test]
    fn tampering_fails() {
        let c = FieldCipher::new(1, K1);
        let blob = c.encrypt(b"secret", b"aad");
        for i in 1..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 0x01;
            assert_eq!(c.decrypt(&t, b"aad"), Err(CipherError::Decrypt), "byte {i}");
        }
        let mut t = blob.clone();
        t[0] = 9;
        assert_eq!(c.decrypt(&t, b"aad"), Err(CipherError::UnknownKey(9)));
        assert_eq!(c.decrypt(&blob[..20], b"aad"), Err(CipherError::TooShort));
        assert_eq!(c.decrypt(&[], b"aad"), Err(CipherError::TooShort));
    }

    #[test]
    fn wrong_key_fails() {
        let a = FieldCipher::new(1, K1);
        let b = FieldCipher::new(1, K2);
        let blob = a.encrypt(b"x", b"");
        assert_eq!(b.decrypt(&blob, b""), Err(CipherError::Decrypt));
    }

    #[test]
    fn base64_keys() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(K1);
        let c = FieldCipher::from_base64(7, &format!(" {b64}\n")).unwrap();
        assert_eq!(c.key_id(), 7);
        let blob = FieldCipher::new(7, K1).encrypt(b"v", b"");
        assert_eq!(c.decrypt(&blob, b"").unwrap(), b"v");
        assert_eq!(
            FieldCipher::from_base64(1, "c2hvcnQ=").unwrap_err(),
            CipherError::BadKey
        );
        assert_eq!(
            FieldCipher::from_base64(1, "not base64!").unwrap_err(),
            CipherError::BadKey
        );
    }

    #[test]
    fn keyring_rotation() {
        let old = FieldCipher::new(1, K1);
        let old_blob = old.encrypt(b"value", b"row");
        let ring = Keyring::new(FieldCipher::new(2, K2)).with_old(old);
        assert_eq!(ring.primary_key_id(), 2);
        assert_eq!(ring.decrypt(&old_blob, b"row").unwrap(), b"value");
        assert!(ring.needs_reencrypt(&old_blob));
        let new_blob = ring.reencrypt(&old_blob, b"row").unwrap();
        assert_eq!(new_blob[0], 2);
        assert!(!ring.needs_reencrypt(&new_blob));
        assert_eq!(ring.decrypt(&new_blob, b"row").unwrap(), b"value");
        let enc = ring.encrypt(b"v2", b"row");
        assert_eq!(enc[0], 2);
        let unknown = FieldCipher::new(3, K1).encrypt(b"v", b"");
        assert_eq!(ring.decrypt(&unknown, b""), Err(CipherError::UnknownKey(3)));
    }

    #[test]
    fn debug_hides_keys() {
        let ring = Keyring::new(FieldCipher::new(2, K2)).with_old(FieldCipher::new(1, K1));
        let dbg = format!("{ring:?} {:?}", FieldCipher::new(1, K1));
        assert!(!dbg.contains("[1, 1"), "{dbg}");
        assert!(dbg.contains("key_id"));
    }
}
