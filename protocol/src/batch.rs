//! Batch verification (spec §5.6): every verification equation `Σ sᵢ·Pᵢ = 0` is multiplied by an
//! independent random 128-bit weight and all of them are summed into one vartime multiscalar
//! multiplication. A false equation survives with probability at most 2⁻¹²⁸. The weights come from the
//! verifier's RNG, which the prover cannot predict. 128 bits rather than 252 because most terms'
//! scalar is the bare weight, and the multiscalar multiplication skips their all-zero upper digits.
use alloc::vec::Vec;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};

use crate::group;

/// Terms held before they are summed into the running total: large enough for Pippenger's
/// multiscalar multiplication to be near its best, small enough that a batch of millions of terms
/// (a mix of a million ballots) holds a few MiB instead of gigabytes.
const CHUNK: usize = 1 << 16;

/// Accumulates weighted equations over the fixed generators `G`, `K`, `H` and arbitrary points.
pub struct BatchVerifier {
    g: Scalar,
    k: Scalar,
    h: Scalar,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    /// The sum of the terms already multiplied out.
    total: RistrettoPoint,
    /// Terms added in all.
    terms: usize,
}

impl BatchVerifier {
    /// An empty batch with room for `terms` point terms.
    pub fn with_capacity(terms: usize) -> Self {
        BatchVerifier {
            g: Scalar::ZERO,
            k: Scalar::ZERO,
            h: Scalar::ZERO,
            scalars: Vec::with_capacity(terms.min(CHUNK)),
            points: Vec::with_capacity(terms.min(CHUNK)),
            total: RistrettoPoint::default(),
            terms: 0,
        }
    }

    /// Draws a fresh random 128-bit weight.
    pub fn weight<R: RngCore + CryptoRng>(rng: &mut R) -> Scalar {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes[..16]);
        Scalar::from_bytes_mod_order(bytes)
    }

    /// Adds `coef·G` to the combined equation.
    pub fn add_g(&mut self, coef: Scalar) {
        self.g += coef;
    }

    /// Adds `coef·K` (the election key).
    pub fn add_k(&mut self, coef: Scalar) {
        self.k += coef;
    }

    /// Adds `coef·H` (the Pedersen blinding generator).
    pub fn add_h(&mut self, coef: Scalar) {
        self.h += coef;
    }

    /// Adds `coef·P`.
    pub fn add_term(&mut self, coef: Scalar, p: RistrettoPoint) {
        self.scalars.push(coef);
        self.points.push(p);
        self.terms += 1;
        if self.points.len() >= CHUNK {
            self.total += RistrettoPoint::vartime_multiscalar_mul(&self.scalars, &self.points);
            self.scalars.clear();
            self.points.clear();
        }
    }

    /// Moves another batch's terms into this one.
    pub fn absorb(&mut self, other: BatchVerifier) {
        self.g += other.g;
        self.k += other.k;
        self.h += other.h;
        self.total += other.total;
        self.terms += other.terms - other.points.len();
        for (s, p) in other.scalars.into_iter().zip(other.points) {
            self.add_term(s, p);
        }
    }

    /// Number of point terms (the multiscalar multiplication's size, less the three generators).
    pub fn len(&self) -> usize {
        self.terms
    }

    /// Whether no term was added.
    pub fn is_empty(&self) -> bool {
        self.terms == 0
    }

    /// Checks that the weighted sum is the identity. `key` is `K` (or any point if no `K` term was added).
    pub fn verify(mut self, key: &RistrettoPoint, h: &RistrettoPoint) -> bool {
        self.scalars.extend([self.g, self.k, self.h]);
        self.points.extend([group::g(), *key, *h]);
        (self.total + RistrettoPoint::vartime_multiscalar_mul(&self.scalars, &self.points))
            .is_identity()
    }
}
