//! Ed25519 signatures, verified strictly (spec §1.4): canonical keys and `R`, no small-order key or
//! `R`, canonical `s`. Plain `verify` accepts small-order keys (ed25519-speccheck cases 0–2, 11), so two
//! honest verifiers could disagree about a record; `verify_strict` plus the canonical-key check cannot.
use alloc::vec::Vec;
use core::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use zeroize::ZeroizeOnDrop;

use crate::encoding::{put_bytes, Encode, Reader};
use crate::error::{Error, Result};

/// An Ed25519 public key that passed the strict checks, kept decompressed so that each key is
/// decompressed once however often it verifies.
#[derive(Clone, Copy)]
pub struct PublicKey {
    bytes: [u8; 32],
    key: VerifyingKey,
}

/// Whether the encoded `y` (bit 255 cleared) is at least `p = 2²⁵⁵ − 19`. With small-order keys
/// refused, this is the only way an Ed25519 point encoding can be non-canonical (a set sign bit with
/// `x = 0` only occurs for `y = ±1`, both of small order).
fn y_unreduced(bytes: &[u8; 32]) -> bool {
    bytes[0] >= 0xed && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[31] & 0x7f == 0x7f
}

impl PublicKey {
    /// Parses a key: the encoding must be canonical and the point of large order.
    pub fn from_bytes(bytes: [u8; 32], what: &'static str) -> Result<Self> {
        if y_unreduced(&bytes) {
            return Err(Error::BadPublicKey { what });
        }
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| Error::BadPublicKey { what })?;
        if key.is_weak() {
            return Err(Error::BadPublicKey { what });
        }
        Ok(PublicKey { bytes, key })
    }

    /// Reads a key.
    pub fn decode(r: &mut Reader<'_>, what: &'static str) -> Result<Self> {
        Self::from_bytes(r.array(what)?, what)
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Verifies `sig` over `signing_message(tag, data)` strictly.
    pub fn verify(&self, tag: &str, data: &[u8], sig: &[u8; 64], what: &'static str) -> Result<()> {
        self.verify_raw(&signing_message(tag, data), sig, what)
    }

    /// Starts verifying `sig` over `signing_message(tag, data)` strictly, with `data` fed in
    /// pieces: a large upload is authenticated as it arrives, before the board holds it. The
    /// checks `verify_strict` makes on `R` and `s` are made here; the key passed them when parsed.
    pub fn verify_streaming(
        &self,
        tag: &str,
        sig: &[u8; 64],
        what: &'static str,
    ) -> Result<StreamingVerification> {
        let bad = Error::BadSignature { what };
        let r =
            curve25519_dalek::edwards::CompressedEdwardsY(sig[..32].try_into().expect("32 bytes"));
        if r.decompress().is_none_or(|r| r.is_small_order()) {
            return Err(bad);
        }
        let mut inner = self
            .key
            .verify_stream(&Signature::from_bytes(sig))
            .map_err(|_| bad.clone())?;
        let mut prefix = Vec::with_capacity(4 + tag.len());
        put_bytes(&mut prefix, tag.as_bytes());
        inner.update(&prefix);
        Ok(StreamingVerification { inner, what })
    }

    /// Verifies a signature over `msg` itself, strictly (signed notes sign their body untagged).
    pub fn verify_raw(&self, msg: &[u8], sig: &[u8; 64], what: &'static str) -> Result<()> {
        self.key
            .verify_strict(msg, &Signature::from_bytes(sig))
            .map_err(|_| Error::BadSignature { what })
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

impl core::hash::Hash for PublicKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl Encode for PublicKey {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.bytes))
    }
}

/// A strict Ed25519 verification fed the signed data piece by piece
/// ([`PublicKey::verify_streaming`]).
pub struct StreamingVerification {
    inner: ed25519_dalek::StreamVerifier,
    what: &'static str,
}

impl StreamingVerification {
    /// Feeds the next piece of the signed data (after the tag).
    pub fn update(&mut self, piece: &[u8]) {
        self.inner.update(piece);
    }

    /// Whether the signature verifies over everything fed.
    pub fn finish(self) -> Result<()> {
        self.inner
            .finalize_and_verify()
            .map_err(|_| Error::BadSignature { what: self.what })
    }
}

/// What is actually signed: `u32le(len(tag)) ‖ tag ‖ data`, so a signature for one purpose can
/// never be replayed as another.
pub fn signing_message(tag: &str, data: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(4 + tag.len() + data.len());
    put_bytes(&mut msg, tag.as_bytes());
    msg.extend_from_slice(data);
    msg
}

/// An Ed25519 signing key. Zeroized on drop; never printed.
#[derive(ZeroizeOnDrop)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A fresh key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        SecretKey(SigningKey::generate(rng))
    }

    /// Restores a key from its 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(seed))
    }

    /// The seed, for storing (encrypted) by its holder.
    pub fn to_seed(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        let key = self.0.verifying_key();
        PublicKey {
            bytes: key.to_bytes(),
            key,
        }
    }

    /// Signs `signing_message(tag, data)`.
    pub fn sign(&self, tag: &str, data: &[u8]) -> [u8; 64] {
        self.0.sign(&signing_message(tag, data)).to_bytes()
    }

    /// Signs `msg` untagged. Only for formats that fix their own message, as C2SP signed notes
    /// do (checkpoints, §13.4); everything of Thistle's own is signed with [`SecretKey::sign`].
    pub fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("public", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// Signing tags (spec §3, table "Signatures").
pub mod tags {
    /// A ballot, signed with the voter's credential.
    pub const BALLOT: &str = "thistle-v1/ballot";
    /// An audited ballot with its openings, signed with the voter's credential (never a cast ballot).
    pub const AUDITED_BALLOT: &str = "thistle-v1/audited-ballot";
    /// A record entry, signed by its writer.
    pub const ENTRY: &str = "thistle-v1/entry";
    /// A posting receipt, signed by the board.
    pub const RECEIPT: &str = "thistle-v1/receipt";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_order_and_noncanonical_keys_are_refused() {
        // The identity (small order) and a point of order 8 (ed25519-speccheck).
        let identity = {
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        };
        assert!(PublicKey::from_bytes(identity, "k").is_err());
        let order8 =
            hex_literal("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
        assert!(PublicKey::from_bytes(order8, "k").is_err());
        // y = p + 1 ≡ 1: a non-canonical encoding of the identity.
        let noncanonical =
            hex_literal("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        assert!(PublicKey::from_bytes(noncanonical, "k").is_err());
        // Every unreduced y (p ≤ y < 2²⁵⁵), with either sign bit, is refused.
        for low in 0xedu8..=0xff {
            for top in [0x7fu8, 0xff] {
                let mut b = [0xffu8; 32];
                b[0] = low;
                b[31] = top;
                assert!(PublicKey::from_bytes(b, "k").is_err());
            }
        }
    }

    #[test]
    fn streaming_verification_agrees_with_the_one_shot_check() {
        let key = SecretKey::from_seed(&[3u8; 32]);
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let sig = key.sign("thistle-v1/entry", &data);
        let pk = key.public_key();
        pk.verify("thistle-v1/entry", &data, &sig, "d").unwrap();
        let streamed = |data: &[u8], sig: &[u8; 64], tag: &str| {
            let mut v = pk.verify_streaming(tag, sig, "d")?;
            for piece in data.chunks(777) {
                v.update(piece);
            }
            v.finish()
        };
        streamed(&data, &sig, "thistle-v1/entry").expect("the same signature verifies in pieces");
        let mut changed = data.clone();
        changed[4000] ^= 1;
        assert!(streamed(&changed, &sig, "thistle-v1/entry").is_err());
        assert!(
            streamed(&data, &sig, "thistle-v1/receipt").is_err(),
            "the tag is bound"
        );
        let mut bad_s = sig;
        bad_s[63] |= 0xf0; // s ≥ ℓ: not canonical
        assert!(streamed(&data, &bad_s, "thistle-v1/entry").is_err());
        let mut small_r = sig;
        small_r[..32].copy_from_slice(&{
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        }); // R = identity, of small order
        assert!(streamed(&data, &small_r, "thistle-v1/entry").is_err());
    }

    fn hex_literal(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).unwrap();
        out
    }
}
