//! Bulletproofs range proofs (spec §5.5): an aggregated proof that each of `m` Pedersen commitments
//! `Vᵢ = uᵢ·G + sᵢ·H` holds `0 ≤ uᵢ < 2ⁿ`, from the `bulletproofs` crate (version 5) with Thistle's
//! Pedersen generators `(B, B_blinding) = (G, H)` and the crate's label-derived vector generators.
use alloc::vec::Vec;

use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};

use crate::error::{Error, Result};
use crate::group::{self, Point};
use crate::transcript::ProofTranscript;

/// Bit sizes Bulletproofs supports.
pub const BIT_SIZES: [u32; 4] = [8, 16, 32, 64];

/// Generators for range proofs, derived from public labels (never read from the record).
pub struct RangeGenerators {
    /// `(G, H)`.
    pub pedersen: PedersenGens,
    /// The vector generators, for up to `party_capacity` values of up to 64 bits.
    pub bulletproof: BulletproofGens,
}

impl RangeGenerators {
    /// Generators for aggregating up to `parties` values (a power of two) of up to `bits` bits.
    pub fn new(bits: usize, parties: usize) -> Self {
        RangeGenerators {
            pedersen: PedersenGens {
                B: group::g(),
                B_blinding: group::pedersen_blinding(),
            },
            bulletproof: BulletproofGens::new(bits.max(8), parties.max(1)),
        }
    }
}

/// The smallest supported bit size `n` with `max < 2ⁿ`.
pub fn bits_for(max: u64) -> u32 {
    BIT_SIZES
        .into_iter()
        .find(|&n| n == 64 || max < (1u64 << n))
        .unwrap_or(64)
}

/// Proves `0 ≤ values[i] < 2^bits` for commitments with the given blindings. `values.len()` must be
/// a power of two (callers pad).
pub fn prove<R: RngCore + CryptoRng>(
    gens: &RangeGenerators,
    t: &mut ProofTranscript,
    values: &[u64],
    blindings: &[Scalar],
    bits: u32,
    rng: &mut R,
) -> Result<Vec<u8>> {
    let (proof, _) = RangeProof::prove_multiple_with_rng(
        &gens.bulletproof,
        &gens.pedersen,
        t.inner(),
        values,
        blindings,
        bits as usize,
        rng,
    )
    .map_err(|_| Error::InvalidProof {
        what: "range proof (prover)",
    })?;
    Ok(proof.to_bytes())
}

/// Verifies an aggregated range proof over `commitments`; the encoding must be canonical.
pub fn verify<R: RngCore + CryptoRng>(
    gens: &RangeGenerators,
    t: &mut ProofTranscript,
    proof_bytes: &[u8],
    commitments: &[Point],
    bits: u32,
    rng: &mut R,
) -> Result<()> {
    const WHAT: &str = "Bulletproofs range proof";
    let proof =
        RangeProof::from_bytes(proof_bytes).map_err(|_| Error::InvalidProof { what: WHAT })?;
    if proof.to_bytes() != proof_bytes {
        return Err(Error::Malformed {
            what: WHAT,
            reason: "not the canonical encoding",
        });
    }
    let compressed: Vec<CompressedRistretto> = commitments
        .iter()
        .map(|v| CompressedRistretto(*v.as_bytes()))
        .collect();
    proof
        .verify_multiple_with_rng(
            &gens.bulletproof,
            &gens.pedersen,
            t.inner(),
            &compressed,
            bits as usize,
            rng,
        )
        .map_err(|_| Error::InvalidProof { what: WHAT })
}

/// Size in bytes of an aggregated proof of `m` values of `n` bits: `32·(9 + 2·log₂(n·m))`.
pub fn proof_len(bits: u32, m: usize) -> usize {
    let lg = ((bits as usize) * m).trailing_zeros() as usize;
    32 * (9 + 2 * lg)
}
