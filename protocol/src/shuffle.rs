//! A verifiable shuffle of ciphertext vectors (spec §12.9): re-encryption and permutation of `N`
//! ranked ballots, each a vector of `w` ciphertexts, with the proof of shuffle of Terelius and
//! Wikström (2010) in the form Haenni, Locher, Koenig and Dubuis give as pseudo-code for CHVote
//! ("Pseudo-code algorithms for verifiable re-encryption mix-nets", FC 2017), written additively and
//! with one re-encryption randomness per component as Verificatum does for product ciphertexts.
//!
//! Notation (as in §12.9 and the variable names below): inputs `e_j = (α_jk, β_jk)_k`, outputs
//! `e'_i = e_ψ(i) + (r'_ik·G, r'_ik·K)_k`; generators `h_i` and the chain base `h` are hashed from
//! public labels; the permutation commitment is `c_ψ(i) = r_ψ(i)·G + h_i`; challenges `u_j` bind
//! the whole statement and `c`; `u'_i = u_ψ(i)`; the commitment chain is
//! `ĉ_i = r̂_i·G + u'_i·ĉ_(i−1)` from `ĉ_(−1) = h` (every index from 0). The verifier checks, with
//! `c̄ = Σ c_j − Σ h_i`, `ĉ = ĉ_(N−1) − (Π u_j)·h`, `c̃ = Σ u_j·c_j`, `A_k = Σ u_j·α_jk`,
//! `B_k = Σ u_j·β_jk`:
//!
//! ```text
//! t1 = c·c̄ + s1·G            t2 = c·ĉ + s2·G            t3 = c·c̃ + s3·G + Σ s'_i·h_i
//! t4_k^α = c·A_k − s4_k·G + Σ s'_i·α'_ik      t4_k^β = c·B_k − s4_k·K + Σ s'_i·β'_ik
//! t̂_i = c·ĉ_i + ŝ_i·G + s'_i·ĉ_(i−1)
//! ```
//!
//! all at once as one random linear combination (§5.6).
use alloc::vec::Vec;
use core::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::MultiscalarMul;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::batch::BatchVerifier;
use crate::elgamal::{Ciphertext, ElectionPublicKey};
use crate::encoding::{Encode, Reader};
use crate::error::{Error, Result};
use crate::group::{self, decode_scalar, hash_to_group, put_scalar, Point};
use crate::transcript::ProofTranscript;

/// The domain label of the proof's transcript.
pub const SHUFFLE_PROOF: &[u8] = b"shuffle";

/// Prefix of the label of `h_i`: `hash_to_group(prefix ‖ u32le(i))`, `i` from 0.
pub const GENERATOR_LABEL: &[u8] = b"thistle-v1/generator/shuffle/";

/// Label of the commitment chain's base `h`.
pub const CHAIN_BASE_LABEL: &[u8] = b"thistle-v1/generator/shuffle-chain";

/// Largest mix entry body (§6.2, §12.11): a board takes no larger upload, so a manifest whose
/// ranked contest would need one is refused with its credential list (V8).
pub const MAX_MIX_BYTES: usize = 512 << 20;

/// The size of a mix entry body for `n` ballots of width `w`: the 20-byte head, the rows and
/// the proof of §12.9.
pub fn mix_bytes(n: usize, w: usize) -> usize {
    20usize
        .saturating_add(n.saturating_mul(w).saturating_mul(64))
        .saturating_add(
            n.saturating_mul(5)
                .saturating_add(w.saturating_mul(3))
                .saturating_add(6)
                .saturating_mul(32),
        )
}

/// Most ciphertexts one shuffle may hold (`N · w`): the input and output lists are each one
/// transcript message, which Merlin frames with a 32-bit length (64 bytes a ciphertext).
pub const MAX_CIPHERTEXTS: usize = 1 << 25;

/// One ranked ballot: a ciphertext per rank position.
pub type Row = Vec<Ciphertext>;

/// The generators `h_0, …, h_(n−1)` (recomputed by every verifier, never read from a record).
pub fn generators(n: usize) -> Vec<RistrettoPoint> {
    (0..n as u32)
        .map(|i| {
            let mut label = GENERATOR_LABEL.to_vec();
            label.extend_from_slice(&i.to_le_bytes());
            hash_to_group(&label)
        })
        .collect()
}

/// The mixer's secret: the permutation `ψ` (output `i` is input `ψ(i)`) and the re-encryption
/// randomness `r'_ik`. Consumed by [`prove`]; zeroized on drop; never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ShuffleSecret {
    psi: Vec<u32>,
    r_prime: Vec<Vec<Scalar>>,
}

impl fmt::Debug for ShuffleSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShuffleSecret(<redacted>)")
    }
}

impl ShuffleSecret {
    /// A secret from its parts (test vectors; a mixer that re-derives its own mix): `psi` must be
    /// a permutation of `0..N` and `r_prime` hold `N` rows.
    pub fn from_parts(psi: Vec<u32>, r_prime: Vec<Vec<Scalar>>) -> Result<Self> {
        let mut seen = alloc::vec![false; psi.len()];
        for &j in &psi {
            match seen.get_mut(j as usize) {
                Some(s) if !*s => *s = true,
                _ => {
                    return Err(Error::Malformed {
                        what: "shuffle secret",
                        reason: "not a permutation",
                    })
                }
            }
        }
        if r_prime.len() != psi.len() {
            return Err(Error::Malformed {
                what: "shuffle secret",
                reason: "one row of randomness per ballot",
            });
        }
        Ok(ShuffleSecret { psi, r_prime })
    }

    /// The permutation, for tests that check a mix by hand.
    pub fn permutation(&self) -> &[u32] {
        &self.psi
    }
}

/// A proof of shuffle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShuffleProof {
    /// The permutation commitment `c_j`.
    pub commitments: Vec<Point>,
    /// The commitment chain `ĉ_1, …, ĉ_N`.
    pub chain: Vec<Point>,
    /// `t1`, `t2`, `t3`.
    pub t: [Point; 3],
    /// `(t4_k^α, t4_k^β)` per component.
    pub t4: Vec<[Point; 2]>,
    /// `t̂_i`.
    pub t_hat: Vec<Point>,
    /// `s1`, `s2`, `s3`.
    pub s: [Scalar; 3],
    /// `s4_k` per component.
    pub s4: Vec<Scalar>,
    /// `ŝ_i`.
    pub s_hat: Vec<Scalar>,
    /// `s'_i`.
    pub s_prime: Vec<Scalar>,
}

impl Encode for ShuffleProof {
    fn encode(&self, out: &mut Vec<u8>) {
        for p in self.commitments.iter().chain(&self.chain).chain(&self.t) {
            p.encode(out);
        }
        for p in self.t4.iter().flatten().chain(&self.t_hat) {
            p.encode(out);
        }
        for s in self
            .s
            .iter()
            .chain(&self.s4)
            .chain(&self.s_hat)
            .chain(&self.s_prime)
        {
            put_scalar(out, s);
        }
    }
}

impl ShuffleProof {
    /// Reads the proof of a shuffle of `n` rows of width `w` (its length follows from them).
    pub fn decode(r: &mut Reader<'_>, n: usize, w: usize) -> Result<Self> {
        let points = |r: &mut Reader<'_>, k: usize, what| -> Result<Vec<Point>> {
            (0..k).map(|_| Point::decode_any(r, what)).collect()
        };
        let scalars = |r: &mut Reader<'_>, k: usize, what| -> Result<Vec<Scalar>> {
            (0..k).map(|_| decode_scalar(r, what)).collect()
        };
        let commitments = points(r, n, "shuffle: permutation commitment")?;
        let chain = points(r, n, "shuffle: commitment chain")?;
        let t = points(r, 3, "shuffle: t")?;
        let t4 = points(r, 2 * w, "shuffle: t4")?;
        let t_hat = points(r, n, "shuffle: t̂")?;
        let s = scalars(r, 3, "shuffle: s")?;
        let s4 = scalars(r, w, "shuffle: s4")?;
        let s_hat = scalars(r, n, "shuffle: ŝ")?;
        let s_prime = scalars(r, n, "shuffle: s'")?;
        Ok(ShuffleProof {
            commitments,
            chain,
            t: [t[0], t[1], t[2]],
            t4: t4.chunks(2).map(|p| [p[0], p[1]]).collect(),
            t_hat,
            s: [s[0], s[1], s[2]],
            s4,
            s_hat,
            s_prime,
        })
    }
}

/// The shape `(N, w)` of a statement: at least one row, every row of one width ≥ 1.
fn shape(input: &[Row], output: &[Row]) -> Result<(usize, usize)> {
    let bad = |reason| {
        Err(Error::Malformed {
            what: "shuffle",
            reason,
        })
    };
    let n = input.len();
    let Some(w) = input.first().map(Vec::len) else {
        return bad("nothing to shuffle");
    };
    if w == 0 || n.saturating_mul(w) > MAX_CIPHERTEXTS {
        return bad("rows must hold 1 to 2^25 ciphertexts in all");
    }
    if output.len() != n {
        return bad("the output has another number of rows than the input");
    }
    if input.iter().chain(output).any(|row| row.len() != w) {
        return bad("every row must have the same width");
    }
    Ok((n, w))
}

fn put_rows(out: &mut Vec<u8>, rows: &[Row]) {
    for c in rows.iter().flatten() {
        c.encode(out);
    }
}

/// The transcript up to the challenges `u_j`: the statement (key, `N`, `w`, inputs, outputs) and
/// the permutation commitment.
fn statement_transcript(
    fingerprint: &[u8; 32],
    key: &Point,
    input: &[Row],
    output: &[Row],
    commitments: &[Point],
) -> ProofTranscript {
    let (n, w) = (input.len(), input[0].len());
    let mut t = ProofTranscript::new(SHUFFLE_PROOF, b"fingerprint", fingerprint);
    t.point(b"K", key);
    t.u64(b"N", n as u64);
    t.u64(b"w", w as u64);
    let mut bytes = Vec::with_capacity(n * w * 64);
    put_rows(&mut bytes, input);
    t.bytes(b"input", &bytes);
    bytes.clear();
    put_rows(&mut bytes, output);
    t.bytes(b"output", &bytes);
    bytes.clear();
    for c in commitments {
        c.encode(&mut bytes);
    }
    t.bytes(b"commitments", &bytes);
    t
}

fn challenges(t: &mut ProofTranscript, n: usize) -> Vec<Scalar> {
    (0..n).map(|_| t.challenge(b"u")).collect()
}

/// Appends the prover's commitments and squeezes `c`.
fn final_challenge(
    t: &mut ProofTranscript,
    chain: &[Point],
    t123: &[Point; 3],
    t4: &[[Point; 2]],
    t_hat: &[Point],
) -> Scalar {
    let mut bytes = Vec::with_capacity(chain.len() * 64 + (3 + 2 * t4.len()) * 32);
    for p in chain {
        p.encode(&mut bytes);
    }
    t.bytes(b"chain", &bytes);
    bytes.clear();
    for p in t123.iter().chain(t4.iter().flatten()).chain(t_hat) {
        p.encode(&mut bytes);
    }
    t.bytes(b"t", &bytes);
    t.challenge(b"c")
}

/// A uniform integer below `bound` (rejection sampling, no modulo bias).
fn below<R: RngCore>(rng: &mut R, bound: u64) -> u64 {
    let zone = u64::MAX - u64::MAX % bound;
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % bound;
        }
    }
}

/// Re-encrypts and permutes `input` under `key`: the output rows and the secret that proves it.
pub fn shuffle<R: RngCore + CryptoRng>(
    key: &ElectionPublicKey,
    input: &[Row],
    rng: &mut R,
) -> Result<(Vec<Row>, ShuffleSecret)> {
    let (n, _) = shape(input, input)?;
    let mut psi: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        psi.swap(i, below(rng, i as u64 + 1) as usize);
    }
    let mut output = Vec::with_capacity(n);
    let mut r_prime = Vec::with_capacity(n);
    for &j in &psi {
        let row: Vec<Scalar> = input[j as usize]
            .iter()
            .map(|_| Scalar::random(rng))
            .collect();
        output.push(
            input[j as usize]
                .iter()
                .zip(&row)
                .map(|(c, r)| Ciphertext {
                    alpha: Point::from_point(c.alpha.point() + RISTRETTO_BASEPOINT_TABLE * r),
                    beta: Point::from_point(c.beta.point() + key.mul(r)),
                })
                .collect(),
        );
        r_prime.push(row);
    }
    Ok((output, ShuffleSecret { psi, r_prime }))
}

/// Proves that `output` is a shuffle of `input` (the secret is consumed).
pub fn prove<R: RngCore + CryptoRng>(
    fingerprint: &[u8; 32],
    key: &ElectionPublicKey,
    input: &[Row],
    output: &[Row],
    secret: ShuffleSecret,
    rng: &mut R,
) -> Result<ShuffleProof> {
    let h = generators(input.len());
    let h0 = hash_to_group(CHAIN_BASE_LABEL);
    prove_with(fingerprint, key, input, output, secret, rng, h, h0)
}

#[allow(clippy::too_many_arguments)]
fn prove_with<R: RngCore + CryptoRng>(
    fingerprint: &[u8; 32],
    key: &ElectionPublicKey,
    input: &[Row],
    output: &[Row],
    secret: ShuffleSecret,
    rng: &mut R,
    h: Vec<RistrettoPoint>,
    h0: RistrettoPoint,
) -> Result<ShuffleProof> {
    let (n, w) = shape(input, output)?;
    if secret.psi.len() != n || secret.r_prime.iter().any(|row| row.len() != w) {
        return Err(Error::Malformed {
            what: "shuffle",
            reason: "the secret is of another shuffle",
        });
    }
    // Everything below that reveals ψ (its copy, the permuted challenges, the nonces) is wiped
    // when the proof is made.
    let psi: Zeroizing<Vec<usize>> =
        Zeroizing::new(secret.psi.iter().map(|&j| j as usize).collect());
    let g = |s: &Scalar| RISTRETTO_BASEPOINT_TABLE * s;

    // Permutation commitment, by input index: c_ψ(i) = r_ψ(i)·G + h_i.
    // Memory: a million-ballot mix holds its input and output (about 850 MB) while proving, so
    // each list of N points below lives only as long as it must.
    let r: Zeroizing<Vec<Scalar>> = Zeroizing::new((0..n).map(|_| Scalar::random(rng)).collect());
    let commitments = {
        let mut c_points = alloc::vec![RistrettoPoint::default(); n];
        for (i, &j) in psi.iter().enumerate() {
            c_points[j] = g(&r[j]) + h[i];
        }
        compress(&c_points)
    };
    let mut t = statement_transcript(fingerprint, key.point(), input, output, &commitments);
    let u = challenges(&mut t, n);
    let u_prime: Zeroizing<Vec<Scalar>> = Zeroizing::new(psi.iter().map(|&j| u[j]).collect());

    // Commitment chain.
    let r_hat: Zeroizing<Vec<Scalar>> =
        Zeroizing::new((0..n).map(|_| Scalar::random(rng)).collect());
    let mut chain_points = Vec::with_capacity(n);
    let mut previous = h0;
    for i in 0..n {
        previous = g(&r_hat[i]) + u_prime[i] * previous;
        chain_points.push(previous);
    }
    let chain = compress(&chain_points);

    // Commitments of the proof.
    let w123: Zeroizing<[Scalar; 3]> =
        Zeroizing::new(core::array::from_fn(|_| Scalar::random(rng)));
    let w4: Zeroizing<Vec<Scalar>> = Zeroizing::new((0..w).map(|_| Scalar::random(rng)).collect());
    let w_hat: Zeroizing<Vec<Scalar>> =
        Zeroizing::new((0..n).map(|_| Scalar::random(rng)).collect());
    let w_prime: Zeroizing<Vec<Scalar>> =
        Zeroizing::new((0..n).map(|_| Scalar::random(rng)).collect());
    let t123_points = [
        g(&w123[0]),
        g(&w123[1]),
        // Constant time: a w'_i leaked by timing gives ψ(i) away through s'_i = w'_i − c·u'_i.
        g(&w123[2]) + ct_multiscalar(&w_prime, h.iter().copied()),
    ];
    drop(h);
    let mut t4_points = Vec::with_capacity(2 * w);
    for (k, w4k) in w4.iter().enumerate() {
        let alphas = output.iter().map(|row| *row[k].alpha.point());
        let betas = output.iter().map(|row| *row[k].beta.point());
        t4_points.push(ct_multiscalar(&w_prime, alphas) - g(w4k));
        t4_points.push(ct_multiscalar(&w_prime, betas) - key.mul(w4k));
    }
    let t_hat: Vec<Point> = (0..n)
        .map(|i| {
            let before = if i == 0 { h0 } else { chain_points[i - 1] };
            Point::from_point(g(&w_hat[i]) + w_prime[i] * before)
        })
        .collect();
    drop(chain_points);
    let t123 = compress(&t123_points);
    let t123 = [t123[0], t123[1], t123[2]];
    let t4: Vec<[Point; 2]> = compress(&t4_points)
        .chunks(2)
        .map(|p| [p[0], p[1]])
        .collect();
    let c = final_challenge(&mut t, &chain, &t123, &t4, &t_hat);

    // Responses.
    let r_bar: Scalar = r.iter().sum();
    let mut v: Zeroizing<Vec<Scalar>> = Zeroizing::new(alloc::vec![Scalar::ONE; n]);
    for i in (0..n - 1).rev() {
        v[i] = u_prime[i + 1] * v[i + 1];
    }
    let r_hat_sum: Scalar = r_hat.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
    let r_tilde: Scalar = r.iter().zip(&u).map(|(a, b)| a * b).sum();
    let s4 = (0..w)
        .map(|k| {
            let rho: Scalar = (0..n).map(|i| secret.r_prime[i][k] * u_prime[i]).sum();
            w4[k] - c * rho
        })
        .collect();
    Ok(ShuffleProof {
        commitments,
        chain,
        t: t123,
        t4,
        t_hat,
        s: [
            w123[0] - c * r_bar,
            w123[1] - c * r_hat_sum,
            w123[2] - c * r_tilde,
        ],
        s4,
        s_hat: (0..n).map(|i| w_hat[i] - c * r_hat[i]).collect(),
        s_prime: (0..n).map(|i| w_prime[i] - c * u_prime[i]).collect(),
    })
}

/// `Σ sᵢ·Pᵢ` in constant time, a chunk at a time: one call over a million points would build a
/// lookup table for each of them at once (over a GiB).
fn ct_multiscalar(
    scalars: &[Scalar],
    points: impl Iterator<Item = RistrettoPoint>,
) -> RistrettoPoint {
    const CT_CHUNK: usize = 4096;
    let mut total = RistrettoPoint::default();
    let mut chunk = Vec::with_capacity(CT_CHUNK);
    let mut at = 0;
    for p in points {
        chunk.push(p);
        if chunk.len() == CT_CHUNK {
            total += RistrettoPoint::multiscalar_mul(&scalars[at..at + CT_CHUNK], &chunk);
            at += CT_CHUNK;
            chunk.clear();
        }
    }
    total + RistrettoPoint::multiscalar_mul(&scalars[at..at + chunk.len()], &chunk)
}

fn compress(points: &[RistrettoPoint]) -> Vec<Point> {
    points.iter().map(|p| Point::from_point(*p)).collect()
}

/// Verifies a proof that `output` is a shuffle of `input` under `key`, for the election with
/// this fingerprint. `rng` draws the batch weights (§5.6): a fresh OS RNG, never one seeded from
/// the record, since a prover who knows the weights can make errors that cancel.
pub fn verify<R: RngCore + CryptoRng>(
    fingerprint: &[u8; 32],
    key: &Point,
    input: &[Row],
    output: &[Row],
    proof: &ShuffleProof,
    rng: &mut R,
) -> Result<()> {
    let (n, w) = shape(input, output)?;
    if output
        .iter()
        .flatten()
        .any(|c| c.alpha.is_identity() || c.beta.is_identity())
    {
        return Err(Error::Malformed {
            what: "shuffle",
            reason: "an output ciphertext holds the identity point",
        });
    }
    let invalid = Err(Error::InvalidProof {
        what: "proof of shuffle",
    });
    if proof.commitments.len() != n
        || proof.chain.len() != n
        || proof.t4.len() != w
        || proof.t_hat.len() != n
        || proof.s4.len() != w
        || proof.s_hat.len() != n
        || proof.s_prime.len() != n
    {
        return invalid;
    }
    let mut t = statement_transcript(fingerprint, key, input, output, &proof.commitments);
    let u = challenges(&mut t, n);
    let c = final_challenge(&mut t, &proof.chain, &proof.t, &proof.t4, &proof.t_hat);
    let h = generators(n);
    let h0 = hash_to_group(CHAIN_BASE_LABEL);
    let u_product: Scalar = u.iter().product();
    let [s1, s2, s3] = proof.s;

    // Each equation `rhs − t = 0`, weighted by its own random γ.
    let mut batch = BatchVerifier::with_capacity((4 * w + 5) * n + 4 * w + 8);
    let weight = |rng: &mut R| BatchVerifier::weight(rng);
    // t1 = c·(Σ c_j − Σ h_i) + s1·G ; t3 = c·Σ u_j·c_j + s3·G + Σ s'_i·h_i
    let (g1, g3) = (weight(rng), weight(rng));
    batch.add_g(g1 * s1 + g3 * s3);
    batch.add_term(-g1, *proof.t[0].point());
    batch.add_term(-g3, *proof.t[2].point());
    for j in 0..n {
        batch.add_term(g1 * c + g3 * c * u[j], *proof.commitments[j].point());
        batch.add_term(g3 * proof.s_prime[j] - g1 * c, h[j]);
    }
    // t2 = c·(ĉ_N − (Π u_j)·h) + s2·G ; t̂_i = c·ĉ_i + ŝ_i·G + s'_i·ĉ_(i−1)
    let g2 = weight(rng);
    batch.add_g(g2 * s2);
    batch.add_term(-g2, *proof.t[1].point());
    let mut h0_coef = -g2 * c * u_product;
    let mut chain_coef = alloc::vec![Scalar::ZERO; n];
    chain_coef[n - 1] = g2 * c;
    for i in 0..n {
        let gi = weight(rng);
        chain_coef[i] += gi * c;
        batch.add_g(gi * proof.s_hat[i]);
        if i == 0 {
            h0_coef += gi * proof.s_prime[0];
        } else {
            chain_coef[i - 1] += gi * proof.s_prime[i];
        }
        batch.add_term(-gi, *proof.t_hat[i].point());
    }
    batch.add_term(h0_coef, h0);
    for (coef, p) in chain_coef.into_iter().zip(&proof.chain) {
        batch.add_term(coef, *p.point());
    }
    // t4_k^α = c·Σ u_j·α_jk − s4_k·G + Σ s'_i·α'_ik ; t4_k^β likewise with β and K.
    for k in 0..w {
        let (ga, gb) = (weight(rng), weight(rng));
        batch.add_g(-ga * proof.s4[k]);
        batch.add_k(-gb * proof.s4[k]);
        batch.add_term(-ga, *proof.t4[k][0].point());
        batch.add_term(-gb, *proof.t4[k][1].point());
        for j in 0..n {
            batch.add_term(ga * c * u[j], *input[j][k].alpha.point());
            batch.add_term(gb * c * u[j], *input[j][k].beta.point());
            batch.add_term(ga * proof.s_prime[j], *output[j][k].alpha.point());
            batch.add_term(gb * proof.s_prime[j], *output[j][k].beta.point());
        }
    }
    if batch.verify(key.point(), &group::g()) {
        Ok(())
    } else {
        invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    #[test]
    fn a_proof_made_with_other_generators_is_refused() {
        let key = ElectionPublicKey::new(Point::from_point(group::mul_g(7)));
        let input: Vec<Row> = (0..4)
            .map(|m| alloc::vec![key.encrypt(m, &mut OsRng).0])
            .collect();
        let fp = [3u8; 32];
        // Two generators swapped; then a chain base that is not the labelled one.
        let mut h = generators(4);
        h.swap(0, 1);
        let (output, secret) = shuffle(&key, &input, &mut OsRng).unwrap();
        let proof = prove_with(
            &fp,
            &key,
            &input,
            &output,
            secret,
            &mut OsRng,
            h,
            hash_to_group(CHAIN_BASE_LABEL),
        )
        .unwrap();
        assert!(verify(&fp, key.point(), &input, &output, &proof, &mut OsRng).is_err());
        let (output, secret) = shuffle(&key, &input, &mut OsRng).unwrap();
        let proof = prove_with(
            &fp,
            &key,
            &input,
            &output,
            secret,
            &mut OsRng,
            generators(4),
            group::g(),
        )
        .unwrap();
        assert!(verify(&fp, key.point(), &input, &output, &proof, &mut OsRng).is_err());
        // A "permutation" that maps two outputs to one input (ballot 0 twice, ballot 1 dropped),
        // outputs built to match and proved by the honest code: the permutation argument fails.
        let psi = alloc::vec![0u32, 0, 2, 3];
        let r_prime: Vec<Vec<Scalar>> = (0..4)
            .map(|_| alloc::vec![Scalar::random(&mut OsRng)])
            .collect();
        let output: Vec<Row> = psi
            .iter()
            .zip(&r_prime)
            .map(|(&j, r)| {
                let c = input[j as usize][0];
                alloc::vec![Ciphertext {
                    alpha: Point::from_point(c.alpha.point() + group::g() * r[0]),
                    beta: Point::from_point(c.beta.point() + key.mul(&r[0])),
                }]
            })
            .collect();
        let cheat = ShuffleSecret { psi, r_prime };
        let proof = prove(&fp, &key, &input, &output, cheat, &mut OsRng).unwrap();
        assert!(verify(&fp, key.point(), &input, &output, &proof, &mut OsRng).is_err());
        // And the same prover with the labelled generators is accepted.
        let (output, secret) = shuffle(&key, &input, &mut OsRng).unwrap();
        let proof = prove(&fp, &key, &input, &output, secret, &mut OsRng).unwrap();
        assert!(verify(&fp, key.point(), &input, &output, &proof, &mut OsRng).is_ok());
    }
}
