//! Exponential ElGamal over Ristretto255 (spec §4): `Enc_K(m; r) = (α, β) = (r·G, m·G + r·K)`.
use alloc::vec::Vec;
use core::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::encoding::{Encode, Reader};
use crate::error::Result;
use crate::group::Point;

/// Largest total recoverable by the tally (exponential ElGamal: the discrete logarithm is found
/// by search); manifests and credential lists are refused beyond it.
pub const MAX_TOTAL: u64 = 1 << 40;

/// The joint election public key `K`, with a precomputed table for constant-time `r·K`.
pub struct ElectionPublicKey {
    key: Point,
    table: alloc::boxed::Box<RistrettoBasepointTable>,
}

impl ElectionPublicKey {
    /// Wraps a key (must not be the identity: it is checked when the key is decoded or derived).
    pub fn new(key: Point) -> Self {
        let table = alloc::boxed::Box::new(RistrettoBasepointTable::create(key.point()));
        ElectionPublicKey { key, table }
    }

    /// The key as a point.
    pub fn point(&self) -> &Point {
        &self.key
    }

    /// Constant-time `s·K`.
    pub fn mul(&self, s: &Scalar) -> RistrettoPoint {
        &*self.table * s
    }

    /// Encrypts `m` with fresh randomness.
    pub fn encrypt<R: RngCore + CryptoRng>(&self, m: u64, rng: &mut R) -> (Ciphertext, Randomness) {
        let r = Randomness(Scalar::random(rng));
        (self.encrypt_with(m, &r), r)
    }

    /// The halves `(α/2, β/2)` of `Enc(m; r)`, for batch compression with
    /// [`crate::group::points_from_halves`] (constant time in `m` and `r`).
    pub fn encrypt_halves(&self, m: u64, r: &Randomness) -> [RistrettoPoint; 2] {
        let half = crate::group::half();
        let r_half = r.0 * half;
        let m_half = Scalar::from(m) * half;
        [
            RISTRETTO_BASEPOINT_TABLE * &r_half,
            RISTRETTO_BASEPOINT_TABLE * &m_half + self.mul(&r_half),
        ]
    }

    /// Encrypts `m` with the given randomness (constant time in `m` and `r`).
    pub fn encrypt_with(&self, m: u64, r: &Randomness) -> Ciphertext {
        let alpha = RISTRETTO_BASEPOINT_TABLE * &r.0;
        let beta = RISTRETTO_BASEPOINT_TABLE * &Scalar::from(m) + self.mul(&r.0);
        Ciphertext {
            alpha: Point::from_point(alpha),
            beta: Point::from_point(beta),
        }
    }
}

impl fmt::Debug for ElectionPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ElectionPublicKey").field(&self.key).finish()
    }
}

/// Encryption randomness `r`. Secret until the voter audits the ballot: zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Randomness(pub(crate) Scalar);

impl Randomness {
    /// Wraps a scalar chosen by the caller (tests and audits; fresh randomness comes from
    /// [`ElectionPublicKey::encrypt`]).
    pub fn from_scalar(r: Scalar) -> Self {
        Randomness(r)
    }

    /// Reveals the scalar, for a Benaloh audit (the randomness then stops being secret).
    pub fn reveal(&self) -> Scalar {
        self.0
    }
}

impl fmt::Debug for Randomness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Randomness(<redacted>)")
    }
}

/// A ciphertext `(α, β)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ciphertext {
    /// `α = r·G`.
    pub alpha: Point,
    /// `β = m·G + r·K`.
    pub beta: Point,
}

impl Ciphertext {
    /// Reads a ballot ciphertext: neither component may be the identity (spec §1.3).
    pub fn decode_ballot(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Ciphertext {
            alpha: Point::decode_nonidentity(r, "ciphertext α")?,
            beta: Point::decode_nonidentity(r, "ciphertext β")?,
        })
    }

    /// Reads an aggregate ciphertext (an empty sum is the identity pair, so the identity is allowed).
    pub fn decode_aggregate(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Ciphertext {
            alpha: Point::decode_any(r, "tally α")?,
            beta: Point::decode_any(r, "tally β")?,
        })
    }

    /// Whether `(α, β)` opens to `m` with randomness `r`.
    pub fn opens_to(&self, key: &ElectionPublicKey, m: u64, r: &Scalar) -> bool {
        let alpha = RISTRETTO_BASEPOINT_TABLE * r;
        let beta = RISTRETTO_BASEPOINT_TABLE * &Scalar::from(m) + key.mul(r);
        alpha == *self.alpha.point() && beta == *self.beta.point()
    }
}

impl Encode for Ciphertext {
    fn encode(&self, out: &mut Vec<u8>) {
        self.alpha.encode(out);
        self.beta.encode(out);
    }
}

/// A ciphertext being summed (uncompressed, for the tally and derived claims).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SumCiphertext {
    /// Σ α.
    pub alpha: RistrettoPoint,
    /// Σ β.
    pub beta: RistrettoPoint,
}

impl Default for SumCiphertext {
    fn default() -> Self {
        SumCiphertext {
            alpha: RistrettoPoint::identity(),
            beta: RistrettoPoint::identity(),
        }
    }
}

impl SumCiphertext {
    /// Adds a ciphertext.
    pub fn add(&mut self, c: &Ciphertext) {
        self.alpha += c.alpha.point();
        self.beta += c.beta.point();
    }

    /// Adds another sum.
    pub fn add_sum(&mut self, c: &SumCiphertext) {
        self.alpha += c.alpha;
        self.beta += c.beta;
    }

    /// Multiplies by a public integer (a voter's weight).
    pub fn scaled(&self, w: u64) -> SumCiphertext {
        let s = Scalar::from(w);
        SumCiphertext {
            alpha: self.alpha * s,
            beta: self.beta * s,
        }
    }

    /// Compresses into a ciphertext.
    pub fn to_ciphertext(&self) -> Ciphertext {
        Ciphertext {
            alpha: Point::from_point(self.alpha),
            beta: Point::from_point(self.beta),
        }
    }
}
