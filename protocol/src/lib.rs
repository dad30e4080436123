//! Thistle's protocol: the group, exponential ElGamal, zero-knowledge proofs, Merlin transcripts,
//! ballots, the trustees' key ceremony, the tally and the record's entries.
//!
//! Every item here follows `specs/protocol.md`; the numbered verification steps (V1, V2, ...) named in
//! the documentation are that specification's. The crate is `no_std` + `alloc` so that the voter's
//! browser (wasm32) runs exactly the code the verifier runs.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod ballot;
pub mod batch;
pub mod context;
pub mod credentials;
pub mod dkg;
pub mod elgamal;
pub mod encoding;
pub mod error;
pub mod group;
pub mod hash;
pub mod manifest;
pub mod merkle;
pub mod mixdecrypt;
pub mod mixnet;
pub mod proofs;
pub mod record;
pub mod shuffle;
pub mod signature;
pub mod stv;
pub mod tally;
pub mod transcript;
pub mod verify;
pub mod voter;
pub mod witness;

pub use error::{Error, Result};

/// The protocol version label: the first thing every Merlin transcript and every tagged hash binds.
pub const PROTOCOL_LABEL: &[u8] = b"thistle-v1";

/// The cipher suite named in the election context (and hence in the fingerprint).
pub const SUITE: &str =
    "thistle-v1/ristretto255/merlin-strobe128/sha-256/ed25519-strict/bulletproofs-5";
