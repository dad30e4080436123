//! Disjunctive Chaum–Pedersen proof (Cramer–Damgård–Schoenmakers) that a ciphertext `(α, β)` under
//! `K` encrypts one of the consecutive values `lo, lo+1, …, hi` (spec §5.3).
//!
//! For every branch `j` (value `vⱼ = lo + j`) the proof holds `(aⱼ, bⱼ, cⱼ, zⱼ)` with
//!   `zⱼ·G = aⱼ + cⱼ·α`   and   `zⱼ·K = bⱼ + cⱼ·(β − vⱼ·G)`,   and   `Σⱼ cⱼ = c`,
//! where `c` is the transcript's challenge. The prover simulates every branch but the true one.
//! To keep the true branch's position out of the timing, every branch is computed by the same
//! formulas: the true branch uses `(cⱼ, zⱼ) = (0, k)` before the challenge, which gives
//! `aⱼ = k·G`, `bⱼ = k·K`.
use alloc::vec::Vec;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::batch::BatchVerifier;
use crate::elgamal::{ElectionPublicKey, SumCiphertext};
use crate::encoding::{Encode, Reader};
use crate::error::{Error, Result};
use crate::group::{decode_scalar, mul_g, put_scalar, Point};
use crate::transcript::ProofTranscript;

/// One branch `(aⱼ, bⱼ, cⱼ, zⱼ)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// `aⱼ`.
    pub a: Point,
    /// `bⱼ`.
    pub b: Point,
    /// `cⱼ`.
    pub c: Scalar,
    /// `zⱼ`.
    pub z: Scalar,
}

/// A proof that a ciphertext encrypts a value in `[lo, hi]`, one branch per value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisjunctiveProof {
    /// Branches in order of value.
    pub branches: Vec<Branch>,
}

/// The prover between its commitments and the challenge. Holds secrets; zeroized on drop.
/// Its commitments are computed as halves and compressed, for many provers at once, by
/// [`compress_commitments`] before they are appended.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DisjunctiveProver {
    #[zeroize(skip)]
    halves: Vec<RistrettoPoint>,
    #[zeroize(skip)]
    commitments: Vec<(Point, Point)>,
    cs: Vec<Scalar>,
    zs: Vec<Scalar>,
    real: u64,
    r: Scalar,
}

impl DisjunctiveProver {
    /// Commits for a ciphertext `ct = Enc(value; r)` with `lo ≤ value ≤ hi` (the caller checks this).
    pub fn commit<R: RngCore + CryptoRng>(
        key: &ElectionPublicKey,
        ct: &SumCiphertext,
        lo: u64,
        hi: u64,
        value: u64,
        r: &Scalar,
        rng: &mut R,
    ) -> Self {
        debug_assert!(lo <= value && value <= hi);
        let width = hi - lo + 1;
        let real = value - lo;
        let k = Scalar::random(rng);
        let mut cs = Vec::with_capacity(width as usize);
        let mut zs = Vec::with_capacity(width as usize);
        let mut halves = Vec::with_capacity(2 * width as usize);
        let half = crate::group::half();
        // β − vⱼ·G for vⱼ = lo + j: the values are public, so one subtraction of G per branch.
        let mut shifted = ct.beta - mul_g(lo);
        for j in 0..width {
            let is_real = j.ct_eq(&real);
            let c = Scalar::conditional_select(&Scalar::random(rng), &Scalar::ZERO, is_real);
            let z = Scalar::conditional_select(&Scalar::random(rng), &k, is_real);
            // aⱼ/2 and bⱼ/2, from the halved scalars.
            let (z_half, c_half) = (z * half, c * half);
            halves.push(RISTRETTO_BASEPOINT_TABLE * &z_half - ct.alpha * c_half);
            halves.push(key.mul(&z_half) - shifted * c_half);
            shifted -= curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
            cs.push(c);
            zs.push(z);
        }
        DisjunctiveProver {
            halves,
            commitments: Vec::new(),
            cs,
            zs,
            real,
            r: *r,
        }
    }

    /// Appends the commitments to the transcript (after [`compress_commitments`]).
    pub fn append(&self, t: &mut ProofTranscript) {
        assert_eq!(
            2 * self.commitments.len(),
            self.halves.len(),
            "compress_commitments first"
        );
        for (a, b) in &self.commitments {
            t.point(b"a", a);
            t.point(b"b", b);
        }
    }

    /// Answers the challenge.
    pub fn respond(mut self, c: &Scalar) -> DisjunctiveProof {
        let others: Scalar = self.cs.iter().sum();
        let c_real = c - others;
        let mut branches = Vec::with_capacity(self.cs.len());
        for j in 0..self.cs.len() {
            let is_real = (j as u64).ct_eq(&self.real);
            let cj = Scalar::conditional_select(&self.cs[j], &c_real, is_real);
            let z_if_real = self.zs[j] + c_real * self.r;
            let zj = Scalar::conditional_select(&self.zs[j], &z_if_real, is_real);
            let (a, b) = self.commitments[j];
            branches.push(Branch { a, b, c: cj, z: zj });
        }
        self.cs.zeroize();
        DisjunctiveProof { branches }
    }
}

/// Compresses the commitments of many provers with one shared inversion.
pub fn compress_commitments<'a>(provers: impl IntoIterator<Item = &'a mut DisjunctiveProver>) {
    let mut provers: Vec<&mut DisjunctiveProver> = provers.into_iter().collect();
    let halves: Vec<RistrettoPoint> = provers
        .iter()
        .flat_map(|p| p.halves.iter().copied())
        .collect();
    let mut points = crate::group::points_from_halves(&halves).into_iter();
    for p in provers.iter_mut() {
        p.commitments = (0..p.halves.len() / 2)
            .map(|_| {
                (
                    points.next().expect("one per half"),
                    points.next().expect("one per half"),
                )
            })
            .collect();
    }
}

/// What a verified proof contributes on the ciphertext it is about: the caller adds
/// `alpha·α + beta·β` to the batch (distributing over the options when the ciphertext is derived).
#[derive(Clone, Copy, Debug, Default)]
pub struct CiphertextCoefficients {
    /// Coefficient of `α`.
    pub alpha: Scalar,
    /// Coefficient of `β`.
    pub beta: Scalar,
}

impl DisjunctiveProof {
    /// Appends the commitments to the transcript (verifier side).
    pub fn append(&self, t: &mut ProofTranscript) {
        for br in &self.branches {
            t.point(b"a", &br.a);
            t.point(b"b", &br.b);
        }
    }

    /// Checks `Σ cⱼ = c` and adds the branch equations (weighted) to `batch`, returning the
    /// coefficients of the statement's `α` and `β` for the caller to add.
    pub fn verify_into<R: RngCore + CryptoRng>(
        &self,
        c: &Scalar,
        lo: u64,
        hi: u64,
        batch: &mut BatchVerifier,
        rng: &mut R,
        what: &'static str,
    ) -> Result<CiphertextCoefficients> {
        if self.branches.len() as u64 != hi - lo + 1 {
            return Err(Error::InvalidProof { what });
        }
        let sum: Scalar = self.branches.iter().map(|b| b.c).sum();
        if sum != *c {
            return Err(Error::InvalidProof { what });
        }
        let mut out = CiphertextCoefficients::default();
        for (j, br) in self.branches.iter().enumerate() {
            let w1 = BatchVerifier::weight(rng);
            let w2 = BatchVerifier::weight(rng);
            // w1(z·G − a − c·α) + w2(z·K − b − c·β + c·v·G) = 0
            batch.add_g(w1 * br.z + w2 * br.c * Scalar::from(lo + j as u64));
            batch.add_k(w2 * br.z);
            batch.add_term(-w1, *br.a.point());
            batch.add_term(-w2, *br.b.point());
            out.alpha -= w1 * br.c;
            out.beta -= w2 * br.c;
        }
        Ok(out)
    }

    /// Reads a proof with `width` branches.
    pub fn decode(r: &mut Reader<'_>, width: usize) -> Result<Self> {
        let mut branches = Vec::with_capacity(width);
        for _ in 0..width {
            branches.push(Branch {
                a: Point::decode_any(r, "disjunctive commitment a")?,
                b: Point::decode_any(r, "disjunctive commitment b")?,
                c: decode_scalar(r, "disjunctive challenge share")?,
                z: decode_scalar(r, "disjunctive response")?,
            });
        }
        Ok(DisjunctiveProof { branches })
    }
}

impl Encode for DisjunctiveProof {
    fn encode(&self, out: &mut Vec<u8>) {
        for br in &self.branches {
            br.a.encode(out);
            br.b.encode(out);
            put_scalar(out, &br.c);
            put_scalar(out, &br.z);
        }
    }
}
