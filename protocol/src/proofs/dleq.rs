//! Chaum–Pedersen proof of equal discrete logarithms (spec §5.2), batched over many bases:
//! `Y = x·G` and `Dₘ = x·Aₘ` for every `m`, with one witness `x`.
//!
//! Commitments `a = k·G`, `bₘ = k·Aₘ`; challenge `c`; response `z = k + c·x`. The verifier checks
//! `z·G = a + c·Y` and `z·Aₘ = bₘ + c·Dₘ`. One `k` serves every `m` because the witness is shared.
use alloc::vec::Vec;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use crate::batch::BatchVerifier;
use crate::encoding::{Encode, Reader};
use crate::error::{Error, Result};
use crate::group::{decode_scalar, put_scalar, Point};
use crate::transcript::ProofTranscript;

/// The statement: `Y = x·G` and `Dₘ = x·Aₘ` for every `m`.
#[derive(Clone, Copy, Debug)]
pub struct DleqStatement<'a> {
    /// `Y`.
    pub y: &'a RistrettoPoint,
    /// The bases `Aₘ`.
    pub bases: &'a [RistrettoPoint],
    /// The claimed `Dₘ`.
    pub shares: &'a [RistrettoPoint],
}

/// A proof that `log_G Y = log_{Aₘ} Dₘ` for all `m`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DleqProof {
    /// `a = k·G`.
    pub a: Point,
    /// `bₘ = k·Aₘ`.
    pub b: Vec<Point>,
    /// `z = k + c·x`.
    pub z: Scalar,
}

impl DleqProof {
    /// Proves; the statement (`Y`, every `Aₘ` and `Dₘ`) must already be in `t`.
    pub fn prove<R: RngCore + CryptoRng>(
        t: &mut ProofTranscript,
        x: &Scalar,
        bases: &[RistrettoPoint],
        rng: &mut R,
    ) -> Self {
        let mut k = Scalar::random(rng);
        let a = Point::from_point(RISTRETTO_BASEPOINT_TABLE * &k);
        let b: Vec<Point> = bases
            .iter()
            .map(|base| Point::from_point(base * k))
            .collect();
        t.point(b"a", &a);
        for bm in &b {
            t.point(b"b", bm);
        }
        let c = t.challenge(b"challenge");
        let z = k + c * x;
        k.zeroize();
        DleqProof { a, b, z }
    }

    /// Adds this proof's equations to `batch`; the statement must already be in `t`.
    pub fn verify_into<R: RngCore + CryptoRng>(
        &self,
        t: &mut ProofTranscript,
        st: &DleqStatement<'_>,
        batch: &mut BatchVerifier,
        rng: &mut R,
        what: &'static str,
    ) -> Result<()> {
        let (y, bases, shares) = (st.y, st.bases, st.shares);
        if self.b.len() != bases.len() || shares.len() != bases.len() {
            return Err(Error::InvalidProof { what });
        }
        t.point(b"a", &self.a);
        for bm in &self.b {
            t.point(b"b", bm);
        }
        let c = t.challenge(b"challenge");
        // ρ₀(z·G − a − c·Y) = 0
        let w = BatchVerifier::weight(rng);
        batch.add_g(w * self.z);
        batch.add_term(-w, *self.a.point());
        batch.add_term(-w * c, *y);
        // ρₘ(z·Aₘ − bₘ − c·Dₘ) = 0
        for ((base, bm), d) in bases.iter().zip(&self.b).zip(shares) {
            let w = BatchVerifier::weight(rng);
            batch.add_term(w * self.z, *base);
            batch.add_term(-w, *bm.point());
            batch.add_term(-w * c, *d);
        }
        Ok(())
    }

    /// Verifies on its own.
    pub fn verify<R: RngCore + CryptoRng>(
        &self,
        t: &mut ProofTranscript,
        st: &DleqStatement<'_>,
        rng: &mut R,
        what: &'static str,
    ) -> Result<()> {
        let mut batch = BatchVerifier::with_capacity(3 * st.bases.len() + 2);
        self.verify_into(t, st, &mut batch, rng, what)?;
        if batch.verify(&crate::group::g(), &crate::group::g()) {
            Ok(())
        } else {
            Err(Error::InvalidProof { what })
        }
    }

    /// Reads a proof over `n` bases.
    pub fn decode(r: &mut Reader<'_>, n: usize) -> Result<Self> {
        let a = Point::decode_any(r, "DLEQ commitment a")?;
        let mut b = Vec::with_capacity(n);
        for _ in 0..n {
            b.push(Point::decode_any(r, "DLEQ commitment b")?);
        }
        let z = decode_scalar(r, "DLEQ response")?;
        Ok(DleqProof { a, b, z })
    }
}

impl Encode for DleqProof {
    fn encode(&self, out: &mut Vec<u8>) {
        self.a.encode(out);
        for bm in &self.b {
            bm.encode(out);
        }
        put_scalar(out, &self.z);
    }
}
