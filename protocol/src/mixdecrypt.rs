//! Decrypting the last mix's rows (spec §12.10): each trustee publishes `D_m = x_j·α_m` for every
//! mixed ciphertext with one constant-size proof that every `D_m` uses its key share, and anyone
//! combines `t` of them into the plaintext option numbers.
//!
//! The proof batches the `M` equal-logarithm statements `log_G Y_j = log_(α_m) D_m` into one by a
//! random linear combination fixed after the shares: `ρ_m` from the transcript, `A* = Σ ρ_m·α_m`,
//! `D* = Σ ρ_m·D_m`, and a Chaum–Pedersen proof that `log_G Y_j = log_(A*) D*`. A wrong `D_m`
//! survives only if `Σ ρ_m·(D_m − x_j·α_m) = 0`, which happens with probability `2⁻¹²⁸` over `ρ`.
use alloc::vec::Vec;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::dkg::KeyShare;
use crate::elgamal::Ciphertext;
use crate::encoding::{Encode, Reader};
use crate::error::{Error, Result};
use crate::group::{decode_scalar, put_scalar, Point};
use crate::shuffle::Row;
use crate::tally::lagrange_at_zero;
use crate::transcript::ProofTranscript;

/// The domain label of the proof's transcript.
pub const MIX_DECRYPTION: &[u8] = b"mix-decryption-share";

/// One trustee's decryption shares of the mixed rows, with the batched proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixDecryption {
    /// The trustee's index.
    pub trustee: u32,
    /// `D_ik = x_j·α_ik`, row by row.
    pub shares: Vec<Vec<Point>>,
    /// `a = k·G`.
    pub a: Point,
    /// `b = k·A*`.
    pub b: Point,
    /// `z = k + c·x_j`.
    pub z: Scalar,
}

impl Encode for MixDecryption {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.trustee.to_le_bytes());
        for d in self.shares.iter().flatten() {
            d.encode(out);
        }
        self.a.encode(out);
        self.b.encode(out);
        put_scalar(out, &self.z);
    }
}

impl MixDecryption {
    /// Reads the shares of `n` rows of width `w` (the shape comes from the mix they decrypt).
    pub fn decode(r: &mut Reader<'_>, n: usize, w: usize) -> Result<Self> {
        let trustee = r.u32("trustee")?;
        let shares = (0..n)
            .map(|_| {
                (0..w)
                    .map(|_| Point::decode_nonidentity(r, "decryption share"))
                    .collect()
            })
            .collect::<Result<_>>()?;
        Ok(MixDecryption {
            trustee,
            shares,
            a: Point::decode_any(r, "mix decryption: a")?,
            b: Point::decode_any(r, "mix decryption: b")?,
            z: decode_scalar(r, "mix decryption: z")?,
        })
    }
}

fn transcript(
    fingerprint: &[u8; 32],
    trustee: u32,
    y: &Point,
    rows: &[Row],
    shares: &[Vec<Point>],
) -> ProofTranscript {
    let mut t = ProofTranscript::new(MIX_DECRYPTION, b"fingerprint", fingerprint);
    t.u64(b"trustee", u64::from(trustee));
    t.point(b"Y", y);
    t.u64(b"N", rows.len() as u64);
    t.u64(b"w", rows.first().map_or(0, Vec::len) as u64);
    let mut bytes = Vec::new();
    for c in rows.iter().flatten() {
        c.encode(&mut bytes);
    }
    t.bytes(b"rows", &bytes);
    bytes.clear();
    for d in shares.iter().flatten() {
        d.encode(&mut bytes);
    }
    t.bytes(b"shares", &bytes);
    t
}

/// `ρ_m`: the first 16 bytes, little-endian, of `SHA-256(seed ‖ u64le(m))`, `seed` being 32 bytes
/// squeezed as `challenge_bytes("rho")` once the shares are in the transcript.
fn weights(t: &mut ProofTranscript, m: usize) -> Vec<Scalar> {
    let mut seed = [0u8; 32];
    t.inner().challenge_bytes(b"rho", &mut seed);
    (0..m as u64)
        .map(|i| {
            let mut h = Sha256::new();
            h.update(seed);
            h.update(i.to_le_bytes());
            let mut bytes = [0u8; 32];
            bytes[..16].copy_from_slice(&h.finalize()[..16]);
            Scalar::from_bytes_mod_order(bytes)
        })
        .collect()
}

/// The mixed ciphertexts' `α`s in row-major order (collected: dalek sizes a multiscalar
/// multiplication by its iterators' lower bounds, which a flattened iterator does not give).
fn alphas(rows: &[Row]) -> Vec<RistrettoPoint> {
    rows.iter().flatten().map(|c| *c.alpha.point()).collect()
}

/// Trustee `share`'s decryption shares of the mixed `rows`, with the proof.
pub fn decrypt_share<R: RngCore + CryptoRng>(
    fingerprint: &[u8; 32],
    share: &KeyShare,
    rows: &[Row],
    rng: &mut R,
) -> MixDecryption {
    let x = share.secret();
    let shares: Vec<Vec<Point>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| Point::from_point(c.alpha.point() * x))
                .collect()
        })
        .collect();
    let y = share.verification_share();
    let mut t = transcript(fingerprint, share.index(), y, rows, &shares);
    let rho = weights(&mut t, shares.iter().map(Vec::len).sum());
    let a_star = RistrettoPoint::vartime_multiscalar_mul(&rho, alphas(rows));
    let k = Zeroizing::new(Scalar::random(rng));
    let a = Point::from_point(RISTRETTO_BASEPOINT_TABLE * &*k);
    let b = Point::from_point(a_star * *k);
    t.point(b"a", &a);
    t.point(b"b", &b);
    let c = t.challenge(b"challenge");
    MixDecryption {
        trustee: share.index(),
        shares,
        a,
        b,
        z: *k + c * x,
    }
}

impl MixDecryption {
    /// Checks the shares' shape and the proof against the trustee's verification share `y`.
    pub fn verify(&self, fingerprint: &[u8; 32], y: &Point, rows: &[Row]) -> Result<()> {
        if self.shares.len() != rows.len()
            || self
                .shares
                .iter()
                .zip(rows)
                .any(|(s, r)| s.len() != r.len())
        {
            return Err(Error::TrusteeMisbehaved {
                trustee: self.trustee,
                reason: "decryption shares of another shape than the mixed rows",
            });
        }
        let mut t = transcript(fingerprint, self.trustee, y, rows, &self.shares);
        let rho = weights(&mut t, self.shares.iter().map(Vec::len).sum());
        let a_star = RistrettoPoint::vartime_multiscalar_mul(&rho, alphas(rows));
        let ds: Vec<RistrettoPoint> = self.shares.iter().flatten().map(|d| *d.point()).collect();
        let d_star = RistrettoPoint::vartime_multiscalar_mul(&rho, &ds);
        t.point(b"a", &self.a);
        t.point(b"b", &self.b);
        let c = t.challenge(b"challenge");
        let g_ok = RistrettoPoint::vartime_multiscalar_mul(
            [self.z, -c, -Scalar::ONE],
            [crate::group::g(), *y.point(), *self.a.point()],
        )
        .is_identity();
        let a_ok = RistrettoPoint::vartime_multiscalar_mul(
            [self.z, -c, -Scalar::ONE],
            [a_star, d_star, *self.b.point()],
        )
        .is_identity();
        if g_ok && a_ok {
            Ok(())
        } else {
            Err(Error::TrusteeProof {
                trustee: self.trustee,
                what: "mix decryption proof",
            })
        }
    }
}

/// Combines the verified shares of `threshold` or more distinct trustees into each ciphertext's
/// value, which must be at most `max` (a ranked row's option numbers: `max = n`). Any value outside
/// `[0, max]` refuses the whole combination: the range proofs make it reachable only through a
/// misbehaving trustee or mixer, whose proofs the caller has checked, so it is a bug to report,
/// never a row to drop quietly.
pub fn combine(
    rows: &[Row],
    shares: &[&MixDecryption],
    threshold: u32,
    max: u64,
) -> Result<Vec<Vec<u64>>> {
    let trustees: Vec<u32> = shares.iter().map(|s| s.trustee).collect();
    let distinct = trustees
        .iter()
        .enumerate()
        .all(|(i, t)| !trustees[..i].contains(t));
    if !distinct || trustees.len() < threshold as usize || threshold == 0 {
        return Err(Error::Malformed {
            what: "mix decryption",
            reason: "needs the shares of at least t distinct trustees",
        });
    }
    if let Some(s) = shares.iter().find(|s| {
        s.shares.len() != rows.len() || s.shares.iter().zip(rows).any(|(a, b)| a.len() != b.len())
    }) {
        return Err(Error::TrusteeMisbehaved {
            trustee: s.trustee,
            reason: "decryption shares of another shape than the mixed rows",
        });
    }
    let lambdas = lagrange_at_zero(&trustees);
    let table: Vec<[u8; 32]> = (0..=max)
        .map(|v| {
            (RISTRETTO_BASEPOINT_TABLE * &Scalar::from(v))
                .compress()
                .to_bytes()
        })
        .collect();
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(|(k, c): (usize, &Ciphertext)| {
                    let combined = RistrettoPoint::vartime_multiscalar_mul(
                        &lambdas,
                        shares.iter().map(|s| *s.shares[i][k].point()),
                    );
                    let m = (c.beta.point() - combined).compress().to_bytes();
                    table
                        .iter()
                        .position(|t| *t == m)
                        .map(|v| v as u64)
                        .ok_or(Error::Malformed {
                            what: "mixed ballot",
                            reason: "decrypts to no option number",
                        })
                })
                .collect()
        })
        .collect()
}
