//! Tamper-evident audit log: a SHA-256 hash chain and canonical JSON payloads.

use sha2::{Digest, Sha256};
use std::fmt;

/// The `prev_hash` of the first entry of a chain.
pub const GENESIS: [u8; 32] = [0u8; 32];

const DOMAIN: &[u8] = b"nuanxin.audit.chain.v1\0";

/// One audit entry as stored: its sequence number, the hash of the entry before it, and
/// the payload bytes (use [`canonical_json`] for JSON payloads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainEntry<'a> {
    /// Position in the chain; consecutive, conventionally starting at 1.
    pub seq: i64,
    /// Hash of the previous entry, [`GENESIS`] for the first.
    pub prev_hash: [u8; 32],
    /// The audited event.
    pub payload: &'a [u8],
}

impl ChainEntry<'_> {
    /// This entry's hash, to store beside it and to use as the next entry's `prev_hash`.
    pub fn hash(&self) -> [u8; 32] {
        chain_hash(&self.prev_hash, self.seq, self.payload)
    }
}

/// `SHA-256(domain || prev_hash || seq (i64 big-endian) || len(payload) (u64 big-endian) || payload)`.
///
/// Fixed-width fields and the length prefix make the encoding unambiguous; the domain tag
/// keeps these hashes apart from any other SHA-256 use.
pub fn chain_hash(prev_hash: &[u8; 32], seq: i64, payload: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(prev_hash);
    h.update(seq.to_be_bytes());
    h.update((payload.len() as u64).to_be_bytes());
    h.update(payload);
    h.finalize().into()
}

/// What is wrong at the entry where verification stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakKind {
    /// The stored hash is not the hash of (stored prev, seq, payload): the payload, seq or
    /// hash was modified.
    HashMismatch,
    /// The stored prev hash is not the previous entry's hash (or not [`GENESIS`] /
    /// the anchor for the first entry): an entry before it was removed, inserted or
    /// replaced.
    PrevMismatch,
    /// The sequence number is not the previous one plus one: entries missing or reordered.
    SeqGap {
        /// The sequence number that should have come.
        expected: i64,
        /// The one found.
        found: i64,
    },
}

/// Where and why a chain failed to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at seq {seq}: {kind}")]
pub struct ChainBreak {
    /// Sequence number of the first entry that failed.
    pub seq: i64,
    /// What failed.
    pub kind: BreakKind,
}

impl fmt::Display for BreakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HashMismatch => f.write_str("stored hash does not match the entry"),
            Self::PrevMismatch => f.write_str("previous-hash link does not match"),
            Self::SeqGap { expected, found } => {
                write!(f, "expected seq {expected}, found {found}")
            }
        }
    }
}

/// Verifies a whole chain given in ascending `seq` order as
/// `(seq, payload, stored prev_hash, stored hash)`. The first entry must link to
/// [`GENESIS`]; its seq may be any value (conventionally 1), later ones must be consecutive.
///
/// Returns the number of entries verified. This detects modified, deleted, inserted and
/// reordered entries, but not a rewrite of the whole chain from some point on with freshly
/// computed hashes, nor truncation at the end: compare the returned count and the last hash
/// with a checkpoint kept elsewhere (e.g. the head hash published daily), or use
/// [`verify_chain_from`] with a trusted checkpoint.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = (i64, &'a [u8], [u8; 32], [u8; 32])>,
) -> Result<u64, ChainBreak> {
    verify(None, GENESIS, entries)
}

/// Verifies a segment that continues after a trusted checkpoint `(anchor_seq, anchor_hash)`:
/// the first entry must have seq `anchor_seq + 1` and prev hash `anchor_hash`.
pub fn verify_chain_from<'a>(
    anchor_seq: i64,
    anchor_hash: [u8; 32],
    entries: impl IntoIterator<Item = (i64, &'a [u8], [u8; 32], [u8; 32])>,
) -> Result<u64, ChainBreak> {
    verify(Some(anchor_seq), anchor_hash, entries)
}

fn verify<'a>(
    mut last_seq: Option<i64>,
    mut last_hash: [u8; 32],
    entries: impl IntoIterator<Item = (i64, &'a [u8], [u8; 32], [u8; 32])>,
) -> Result<u64, ChainBreak> {
    let mut count = 0u64;
    for (seq, payload, prev, hash) in entries {
        if let Some(last) = last_seq {
            let expected = last.wrapping_add(1);
            if seq != expected {
                return Err(ChainBreak {
                    seq,
                    kind: BreakKind::SeqGap {
                        expected,
                        found: seq,
                    },
                });
            }
        }
        if prev != last_hash {
            return Err(ChainBreak {
                seq,
                kind: BreakKind::PrevMismatch,
            });
        }
        if chain_hash(&prev, seq, payload) != hash {
            return Err(ChainBreak {
                seq,
                kind: BreakKind::HashMismatch,
            });
        }
        last_seq = Some(seq);
        last_hash = hash;
        count += 1;
    }
    Ok(count)
}

/// Canonical JSON bytes: object keys sorted (by Unicode code point), no whitespace,
/// strings escaped minimally (`"`, `\`, control characters; non-ASCII kept as UTF-8),
/// and floats with an integral value below 2^53 written as integers (`100.0` → `100`).
///
/// The same value therefore hashes the same before and after a round-trip through a
/// PostgreSQL `jsonb` column, which reorders keys and may rewrite number formatting.
/// Prefer integers (fen, counts, ids) in audited payloads; non-integral floats are written
/// with Rust's shortest round-trip formatting.
pub fn canonical_json(value: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_value(value, &mut out);
    out
}

fn write_value(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sort explicitly: serde_json's map keeps insertion order when another crate
            // enables its `preserve_order` feature.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, out);
            }
            out.push(b'}');
        }
    }
}

fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if let Some(i) = n.as_i64() {
        out.extend_from_slice(i.to_string().as_bytes());
    } else if let Some(u) = n.as_u64() {
        out.extend_from_slice(u.to_string().as_bytes());
    } else if let Some(f) = n.as_f64() {
        if f.is_finite() && f.fract() == 0.0 && f.abs() < MAX_EXACT {
            // Exact: |f| < 2^53 and integral.
            out.extend_from_slice(format!("{}", f as i64).as_bytes());
        } else {
            out.extend_from_slice(format!("{f:?}").as_bytes());
        }
    } else {
        // Arbitrary-precision numbers (serde_json feature) keep their text.
        out.extend_from_slice(n.to_string().as_bytes());
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{0C}' => out.extend_from_slice(b"\\f"),
            c if u32::from(c) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", u32::from(c)).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Stored = (i64, &'static [u8], [u8; 32], [u8; 32]);

    /// Builds a valid stored chain from payloads, seq starting at 1.
    fn build(payloads: &[&'static [u8]]) -> Vec<Stored> {
        let mut prev = GENESIS;
        let mut out = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let e = ChainEntry {
                seq: i as i64 + 1,
                prev_hash: prev,
                payload: p,
            };
            let h = e.hash();
            out.push((e.seq, *p, prev, h));
            prev = h;
        }
        out
    }

    const PAYLOADS: [&[u8]; 4] = [b"read family 1", b"export", b"approve", b"read family 2"];

    #[test]
    fn valid_chain_verifies() {
        let chain = build(&PAYLOADS);
        assert_eq!(verify_chain(chain.clone()), Ok(4));
        assert_eq!(verify_chain(Vec::new()), Ok(0));
        // A later segment verifies from its checkpoint.
        let (seq, _, _, hash) = chain[1];
        assert_eq!(verify_chain_from(seq, hash, chain[2..].to_vec()), Ok(2));
    }

    #[test]
    fn modified_payload_detected() {
        let mut chain = build(&PAYLOADS);
        chain[2].1 = b"approvE";
        assert_eq!(
            verify_chain(chain),
            Err(ChainBreak {
                seq: 3,
                kind: BreakKind::HashMismatch
            })
        );
    }

    #[test]
    fn deleted_entry_detected() {
        let mut chain = build(&PAYLOADS);
        chain.remove(1);
        assert_eq!(
            verify_chain(chain),
            Err(ChainBreak {
                seq: 3,
                kind: BreakKind::SeqGap {
                    expected: 2,
                    found: 3
                }
            })
        );
        // Deleting the first entry breaks the link to GENESIS.
        let mut chain = build(&PAYLOADS);
        chain.remove(0);
        assert_eq!(
            verify_chain(chain).unwrap_err().kind,
            BreakKind::PrevMismatch
        );
    }

    #[test]
    fn deleted_entry_with_renumbering_detected() {
        let mut chain = build(&PAYLOADS);
        chain.remove(1);
        for (i, e) in chain.iter_mut().enumerate() {
            e.0 = i as i64 + 1;
        }
        assert_eq!(
            verify_chain(chain),
            Err(ChainBreak {
                seq: 2,
                kind: BreakKind::PrevMismatch
            })
        );
    }

    #[test]
    fn reordered_entry_detected() {
        let mut chain = build(&PAYLOADS);
        chain.swap(1, 2);
        let err = verify_chain(chain).unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(matches!(
            err.kind,
            BreakKind::SeqGap {
                expected: 2,
                found: 3
            }
        ));
        assert!(err.to_string().contains("seq 3"));
        // Swapping payloads while keeping seq order breaks the hashes.
        let mut chain = build(&PAYLOADS);
        let (a, b) = (chain[1].1, chain[2].1);
        chain[1].1 = b;
        chain[2].1 = a;
        assert_eq!(
            verify_chain(chain).unwrap_err().kind,
            BreakKind::HashMismatch
        );
    }

    #[test]
    fn hash_is_length_prefixed_and_seq_bound() {
        assert_ne!(
            chain_hash(&GENESIS, 1, b"ab"),
            chain_hash(&GENESIS, 2, b"ab")
        );
        assert_ne!(chain_hash(&GENESIS, 1, b""), chain_hash(&[1; 32], 1, b""));
    }

    #[test]
    fn canonical_json_sorts_and_compacts() {
        let v = json!({"b": 1, "a": {"z": [1, 2.5, "x"], "y": null}, "中": "暖心\n\"q\""});
        assert_eq!(
            String::from_utf8(canonical_json(&v)).unwrap(),
            r#"{"a":{"y":null,"z":[1,2.5,"x"]},"b":1,"中":"暖心\n\"q\""}"#
        );
    }

    #[test]
    fn canonical_json_survives_jsonb_style_round_trip() {
        let original: serde_json::Value = serde_json::from_str(
            r#"{"amount": 100.0, "who": "张三", "fields": ["id", "phone"], "ctl": "\u0001"}"#,
        )
        .unwrap();
        // jsonb reorders keys (shorter first) and prints 100.0 as 100.
        let after: serde_json::Value = serde_json::from_str(
            r#"{"ctl": "\u0001", "who": "张三", "amount": 100, "fields": ["id", "phone"]}"#,
        )
        .unwrap();
        assert_eq!(canonical_json(&original), canonical_json(&after));
        // And the canonical form parses back to the same value.
        let reparsed: serde_json::Value =
            serde_json::from_slice(&canonical_json(&original)).unwrap();
        assert_eq!(canonical_json(&reparsed), canonical_json(&original));
    }
}
