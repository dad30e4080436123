//! Proof of knowledge of discrete logarithms to base `G` (spec §5.1), AND-composed under one challenge.
//!
//! For statements `Xᵢ = xᵢ·G`: commitments `Rᵢ = kᵢ·G`, challenge `c`, responses `zᵢ = kᵢ + c·xᵢ`;
//! the verifier checks `zᵢ·G = Rᵢ + c·Xᵢ`.
use alloc::vec::Vec;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use crate::encoding::{Encode, Reader};
use crate::error::{Error, Result};
use crate::group::{decode_scalar, put_scalar, Point};
use crate::transcript::ProofTranscript;

/// A proof of knowledge of the logarithms of several points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchnorrProof {
    /// `Rᵢ`.
    pub commitments: Vec<Point>,
    /// `zᵢ`.
    pub responses: Vec<Scalar>,
}

impl SchnorrProof {
    /// Proves knowledge of `secrets` (the statement must already be in `t`).
    pub fn prove<R: RngCore + CryptoRng>(
        t: &mut ProofTranscript,
        secrets: &[&Scalar],
        rng: &mut R,
    ) -> Self {
        let mut nonces: Vec<Scalar> = secrets.iter().map(|_| Scalar::random(rng)).collect();
        let commitments: Vec<Point> = nonces
            .iter()
            .map(|k| Point::from_point(RISTRETTO_BASEPOINT_TABLE * k))
            .collect();
        for r in &commitments {
            t.point(b"R", r);
        }
        let c = t.challenge(b"challenge");
        let responses = nonces
            .iter()
            .zip(secrets)
            .map(|(k, x)| k + c * *x)
            .collect();
        nonces.zeroize();
        SchnorrProof {
            commitments,
            responses,
        }
    }

    /// Verifies against `publics` (the statement must already be in `t`).
    pub fn verify(
        &self,
        t: &mut ProofTranscript,
        publics: &[&Point],
        what: &'static str,
    ) -> Result<()> {
        if self.commitments.len() != publics.len() || self.responses.len() != publics.len() {
            return Err(Error::InvalidProof { what });
        }
        for r in &self.commitments {
            t.point(b"R", r);
        }
        let c = t.challenge(b"challenge");
        for ((r, z), x) in self.commitments.iter().zip(&self.responses).zip(publics) {
            // z·G − R − c·X = 0
            let check = curve25519_dalek::ristretto::RistrettoPoint::vartime_multiscalar_mul(
                [*z, -Scalar::ONE, -c],
                [crate::group::g(), *r.point(), *x.point()],
            );
            if !curve25519_dalek::traits::IsIdentity::is_identity(&check) {
                return Err(Error::InvalidProof { what });
            }
        }
        Ok(())
    }

    /// Reads a proof of `n` logarithms.
    pub fn decode(r: &mut Reader<'_>, n: usize) -> Result<Self> {
        let mut commitments = Vec::with_capacity(n);
        let mut responses = Vec::with_capacity(n);
        for _ in 0..n {
            commitments.push(Point::decode_any(r, "Schnorr commitment")?);
        }
        for _ in 0..n {
            responses.push(decode_scalar(r, "Schnorr response")?);
        }
        Ok(SchnorrProof {
            commitments,
            responses,
        })
    }
}

impl Encode for SchnorrProof {
    fn encode(&self, out: &mut Vec<u8>) {
        for c in &self.commitments {
            c.encode(out);
        }
        for z in &self.responses {
            put_scalar(out, z);
        }
    }
}
