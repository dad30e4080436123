//! Proof that an ElGamal ciphertext and a Pedersen commitment hold the same integer (spec §5.4).
//!
//! Statement: `(α, β)` under `K`, and `V` over `(G, H)`. Witness `(u, ρ, s)` with
//!   `α = ρ·G`,   `β = u·G + ρ·K`,   `V = u·G + s·H`.
//! Commitments `A₁ = k_ρ·G`, `A₂ = k_u·G + k_ρ·K`, `A₃ = k_u·G + k_s·H`; responses
//! `z_u = k_u + c·u`, `z_ρ = k_ρ + c·ρ`, `z_s = k_s + c·s`. Since `α` fixes `ρ`, `β` fixes `u·G`, so
//! soundness needs nobody to know `log_G H`; it does not matter that the trustees know `log_G K`.
use alloc::vec::Vec;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::batch::BatchVerifier;
use crate::elgamal::ElectionPublicKey;
use crate::encoding::{Encode, Reader};
use crate::error::Result;
use crate::group::{decode_scalar, put_scalar, Point};
use crate::proofs::disjunctive::CiphertextCoefficients;
use crate::transcript::ProofTranscript;

/// The proof `(A₁, A₂, A₃, z_u, z_ρ, z_s)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EqualityProof {
    /// `A₁`.
    pub a1: Point,
    /// `A₂`.
    pub a2: Point,
    /// `A₃`.
    pub a3: Point,
    /// `z_u`.
    pub z_u: Scalar,
    /// `z_ρ`.
    pub z_rho: Scalar,
    /// `z_s`.
    pub z_s: Scalar,
}

/// The prover between commitments and challenge; zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct EqualityProver {
    #[zeroize(skip)]
    commitments: [Point; 3],
    k: [Scalar; 3],
    w: [Scalar; 3],
}

impl EqualityProver {
    /// Commits for witness `u`, `ρ`, `s`.
    pub fn commit<R: RngCore + CryptoRng>(
        key: &ElectionPublicKey,
        h: &RistrettoPoint,
        u: &Scalar,
        rho: &Scalar,
        s: &Scalar,
        rng: &mut R,
    ) -> Self {
        let k = [
            Scalar::random(rng),
            Scalar::random(rng),
            Scalar::random(rng),
        ];
        let ku_g = RISTRETTO_BASEPOINT_TABLE * &k[0];
        let a1 = RISTRETTO_BASEPOINT_TABLE * &k[1];
        let a2 = ku_g + key.mul(&k[1]);
        let a3 = ku_g + h * k[2];
        EqualityProver {
            commitments: [
                Point::from_point(a1),
                Point::from_point(a2),
                Point::from_point(a3),
            ],
            k,
            w: [*u, *rho, *s],
        }
    }

    /// Appends `A₁, A₂, A₃`.
    pub fn append(&self, t: &mut ProofTranscript) {
        append(
            t,
            &self.commitments[0],
            &self.commitments[1],
            &self.commitments[2],
        );
    }

    /// Answers the challenge.
    pub fn respond(self, c: &Scalar) -> EqualityProof {
        EqualityProof {
            a1: self.commitments[0],
            a2: self.commitments[1],
            a3: self.commitments[2],
            z_u: self.k[0] + c * self.w[0],
            z_rho: self.k[1] + c * self.w[1],
            z_s: self.k[2] + c * self.w[2],
        }
    }
}

fn append(t: &mut ProofTranscript, a1: &Point, a2: &Point, a3: &Point) {
    t.point(b"A1", a1);
    t.point(b"A2", a2);
    t.point(b"A3", a3);
}

impl EqualityProof {
    /// Appends the commitments (verifier side).
    pub fn append(&self, t: &mut ProofTranscript) {
        append(t, &self.a1, &self.a2, &self.a3);
    }

    /// Adds the three equations (weighted) to `batch` for commitment `v`; returns the coefficients
    /// of the statement's `α` and `β`.
    pub fn verify_into<R: RngCore + CryptoRng>(
        &self,
        c: &Scalar,
        v: &RistrettoPoint,
        batch: &mut BatchVerifier,
        rng: &mut R,
    ) -> CiphertextCoefficients {
        let (w1, w2, w3) = (
            BatchVerifier::weight(rng),
            BatchVerifier::weight(rng),
            BatchVerifier::weight(rng),
        );
        // w1(z_ρ·G − A₁ − c·α) + w2(z_u·G + z_ρ·K − A₂ − c·β) + w3(z_u·G + z_s·H − A₃ − c·V) = 0
        batch.add_g(w1 * self.z_rho + (w2 + w3) * self.z_u);
        batch.add_k(w2 * self.z_rho);
        batch.add_h(w3 * self.z_s);
        batch.add_term(-w1, *self.a1.point());
        batch.add_term(-w2, *self.a2.point());
        batch.add_term(-w3, *self.a3.point());
        batch.add_term(-w3 * c, *v);
        CiphertextCoefficients {
            alpha: -w1 * c,
            beta: -w2 * c,
        }
    }

    /// Reads a proof.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(EqualityProof {
            a1: Point::decode_any(r, "equality commitment A1")?,
            a2: Point::decode_any(r, "equality commitment A2")?,
            a3: Point::decode_any(r, "equality commitment A3")?,
            z_u: decode_scalar(r, "equality response z_u")?,
            z_rho: decode_scalar(r, "equality response z_rho")?,
            z_s: decode_scalar(r, "equality response z_s")?,
        })
    }
}

impl Encode for EqualityProof {
    fn encode(&self, out: &mut Vec<u8>) {
        self.a1.encode(out);
        self.a2.encode(out);
        self.a3.encode(out);
        put_scalar(out, &self.z_u);
        put_scalar(out, &self.z_rho);
        put_scalar(out, &self.z_s);
    }
}
