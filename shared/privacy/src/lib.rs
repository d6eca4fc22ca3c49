//! Privacy primitives for Nuanxin (暖心): validated and masked personal identifiers,
//! field-level encryption, blind indexes, per-requester pseudonyms, a tamper-evident
//! audit hash chain and small-cell suppression for aggregate statistics.
//!
//! Everything here is pure: no I/O, no logging, no global state. Types that hold personal
//! data or keys print only masked values (or nothing) through `Debug`, so they are safe to
//! put into a `tracing` field by accident.
//!
//! Only the cipher's nonce generation touches the OS (random numbers via `getrandom`).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod bank;
mod chain;
mod cipher;
mod keyed;
mod name;
mod phone;
mod resident_id;
mod suppress;

pub use bank::{AccountError, AccountNumber};
pub use chain::{
    canonical_json, chain_hash, verify_chain, verify_chain_from, BreakKind, ChainBreak, ChainEntry,
    GENESIS,
};
pub use cipher::{aad, CipherError, FieldCipher, Keyring};
pub use keyed::{BlindIndex, Pseudonymizer};
pub use name::mask_name;
pub use phone::{Phone, PhoneError, PhoneKind};
pub use resident_id::{check_digit, ResidentId, ResidentIdError};
pub use suppress::{suppress_small_cells, Cell};
