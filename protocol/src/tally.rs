//! The tally (spec §12): homomorphic aggregation, partial decryptions with proofs, Lagrange
//! combination and the bounded discrete logarithm.
use alloc::vec::Vec;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};

use crate::ballot::Ballot;
use crate::dkg::KeyShare;
use crate::elgamal::{Ciphertext, SumCiphertext};
use crate::encoding::{put_len, put_u32, put_u64, put_vec, Decode, Encode, Reader};
use crate::error::{Error, Result};
use crate::group::Point;
use crate::hash::{tagged_hash, tags, Digest32};
use crate::manifest::{limits, ContestKind, Manifest};
use crate::proofs::dleq::{DleqProof, DleqStatement};
use crate::transcript::ProofTranscript;

pub use crate::elgamal::MAX_TOTAL;

/// The encrypted tally: per contest, per option, the weighted sum of the counted ballots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedTally {
    /// Ciphertexts by contest, then option.
    pub contests: Vec<Vec<Ciphertext>>,
}

impl EncryptedTally {
    /// `TaggedHash("thistle-v1/encrypted-tally", encode(tally))`.
    pub fn hash(&self) -> Digest32 {
        tagged_hash(tags::TALLY, &self.to_bytes())
    }

    fn all(&self) -> impl Iterator<Item = &Ciphertext> {
        self.contests.iter().flatten()
    }
}

impl Encode for EncryptedTally {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(out, self.contests.len());
        for c in &self.contests {
            put_vec(out, c);
        }
    }
}

impl Decode for EncryptedTally {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(EncryptedTally {
            contests: r.vec(limits::CONTESTS, 4, "tally contests", |r| {
                r.vec(
                    limits::OPTIONS,
                    64,
                    "tally ciphertexts",
                    Ciphertext::decode_aggregate,
                )
            })?,
        })
    }
}

/// An encrypted tally this party summed itself from the ballots. Only [`TallyAccumulator::finish`]
/// makes one, and [`partial_decrypt`] takes nothing else, so a trustee cannot be handed an arbitrary
/// "tally" (a single ballot, say) to decrypt (spec §12.2, lesson 6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecomputedTally(EncryptedTally);

impl RecomputedTally {
    /// The tally.
    pub fn tally(&self) -> &EncryptedTally {
        &self.0
    }

    /// Whether the tally posted on the board is this one (a trustee refuses to decrypt otherwise).
    pub fn matches(&self, posted: &EncryptedTally) -> bool {
        self.0 == *posted
    }
}

/// Sums ballots, one running sum per distinct weight so that each weight multiplies once.
#[derive(Clone, Debug)]
pub struct TallyAccumulator {
    /// Ciphertexts a ballot holds per contest.
    slots: Vec<usize>,
    /// Ciphertexts summed per contest (none for a ranked contest).
    shape: Vec<usize>,
    classes: Vec<(u64, Vec<Vec<SumCiphertext>>)>,
    count: u64,
}

impl TallyAccumulator {
    /// An empty tally for the manifest's contests.
    pub fn new(manifest: &Manifest) -> Self {
        TallyAccumulator {
            slots: manifest.contests.iter().map(|c| c.slots()).collect(),
            shape: manifest.contests.iter().map(|c| c.tally_width()).collect(),
            classes: Vec::new(),
            count: 0,
        }
    }

    fn class(&mut self, weight: u64) -> &mut Vec<Vec<SumCiphertext>> {
        let pos = match self.classes.iter().position(|(w, _)| *w == weight) {
            Some(p) => p,
            None => {
                let empty = self
                    .shape
                    .iter()
                    .map(|&n| alloc::vec![SumCiphertext::default(); n])
                    .collect();
                self.classes.push((weight, empty));
                self.classes.len() - 1
            }
        };
        &mut self.classes[pos].1
    }

    /// Adds a ballot (already verified, and the counted one of its credential) with its weight.
    pub fn add(&mut self, ballot: &Ballot, weight: u64) -> Result<()> {
        self.add_rows(
            ballot
                .encrypted
                .contests
                .iter()
                .map(|c| c.ciphertexts.as_slice()),
            weight,
        )
    }

    /// Adds one ballot given as its ciphertexts, contest by contest.
    pub fn add_rows<'a>(
        &mut self,
        rows: impl ExactSizeIterator<Item = &'a [Ciphertext]> + Clone,
        weight: u64,
    ) -> Result<()> {
        if rows.len() != self.slots.len()
            || rows.clone().zip(&self.slots).any(|(r, &n)| r.len() != n)
        {
            return Err(Error::BallotShape {
                contest: 0,
                reason: "ballot does not have the manifest's shape",
            });
        }
        let sums = self.class(weight);
        for (sum, row) in sums.iter_mut().zip(rows) {
            for (s, ct) in sum.iter_mut().zip(row) {
                s.add(ct);
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Merges another accumulator (for parallel aggregation).
    pub fn merge(&mut self, other: TallyAccumulator) {
        for (w, sums) in other.classes {
            let mine = self.class(w);
            for (a, b) in mine.iter_mut().zip(&sums) {
                for (x, y) in a.iter_mut().zip(b) {
                    x.add_sum(y);
                }
            }
        }
        self.count += other.count;
    }

    /// Ballots added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// `Σ_w w·(Σ ballots of weight w)` per option.
    pub fn finish(&self) -> RecomputedTally {
        let contests = self
            .shape
            .iter()
            .enumerate()
            .map(|(ci, &n)| {
                (0..n)
                    .map(|oi| {
                        let mut total = SumCiphertext::default();
                        for (w, sums) in &self.classes {
                            total.add_sum(&if *w == 1 {
                                sums[ci][oi]
                            } else {
                                sums[ci][oi].scaled(*w)
                            });
                        }
                        total.to_ciphertext()
                    })
                    .collect()
            })
            .collect();
        RecomputedTally(EncryptedTally { contests })
    }
}

/// Trustee `j`'s partial decryption: `Dₘ = xⱼ·Aₘ` for every tally ciphertext, with one proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialDecryption {
    /// Trustee index.
    pub trustee: u32,
    /// `Dₘ`, by contest then option.
    pub shares: Vec<Vec<Point>>,
    /// `log_G Yⱼ = log_{Aₘ} Dₘ` for all `m`.
    pub proof: DleqProof,
}

fn decryption_transcript(
    fingerprint: &Digest32,
    trustee: u32,
    y: &Point,
    tally: &EncryptedTally,
    shares: &[Vec<Point>],
) -> ProofTranscript {
    let mut t = ProofTranscript::new(b"decryption-share", b"fingerprint", fingerprint);
    t.u64(b"trustee", trustee as u64);
    t.point(b"Y", y);
    t.bytes(b"tally", &tally.hash());
    for (ct, d) in tally.all().zip(shares.iter().flatten()) {
        t.point(b"A", &ct.alpha);
        t.point(b"B", &ct.beta);
        t.point(b"D", d);
    }
    t
}

/// Computes a trustee's partial decryption of a tally it recomputed itself (spec §12.2).
pub fn partial_decrypt<R: RngCore + CryptoRng>(
    fingerprint: &Digest32,
    share: &KeyShare,
    recomputed: &RecomputedTally,
    rng: &mut R,
) -> PartialDecryption {
    let tally = recomputed.tally();
    let x = share.secret();
    let shares: Vec<Vec<Point>> = tally
        .contests
        .iter()
        .map(|c| {
            c.iter()
                .map(|ct| Point::from_point(ct.alpha.point() * x))
                .collect()
        })
        .collect();
    let mut t = decryption_transcript(
        fingerprint,
        share.index(),
        share.verification_share(),
        tally,
        &shares,
    );
    let bases: Vec<RistrettoPoint> = tally.all().map(|ct| *ct.alpha.point()).collect();
    let proof = DleqProof::prove(&mut t, x, &bases, rng);
    PartialDecryption {
        trustee: share.index(),
        shares,
        proof,
    }
}

impl PartialDecryption {
    /// V14: the shape matches the tally and the proof verifies against `Yⱼ`.
    pub fn verify<R: RngCore + CryptoRng>(
        &self,
        fingerprint: &Digest32,
        y: &Point,
        tally: &EncryptedTally,
        rng: &mut R,
    ) -> Result<()> {
        if self.shares.len() != tally.contests.len()
            || self
                .shares
                .iter()
                .zip(&tally.contests)
                .any(|(s, c)| s.len() != c.len())
        {
            return Err(Error::TrusteeMisbehaved {
                trustee: self.trustee,
                reason: "partial decryption has the wrong shape",
            });
        }
        let mut t = decryption_transcript(fingerprint, self.trustee, y, tally, &self.shares);
        let bases: Vec<RistrettoPoint> = tally.all().map(|ct| *ct.alpha.point()).collect();
        let ds: Vec<RistrettoPoint> = self.shares.iter().flatten().map(|d| *d.point()).collect();
        self.proof
            .verify(
                &mut t,
                &DleqStatement {
                    y: y.point(),
                    bases: &bases,
                    shares: &ds,
                },
                rng,
                "partial decryption",
            )
            .map_err(|_| Error::TrusteeProof {
                trustee: self.trustee,
                what: "partial decryption proof",
            })
    }
}

impl Decode for PartialDecryption {
    /// Reads a partial decryption whose shape is checked against the tally by [`Self::verify`].
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let trustee = r.u32("trustee")?;
        let shares = r.vec(limits::CONTESTS, 4, "decryption shares", |r| {
            r.vec(limits::OPTIONS, 32, "decryption shares", |r| {
                Point::decode_any(r, "decryption share")
            })
        })?;
        let n = shares.iter().map(Vec::len).sum();
        Ok(PartialDecryption {
            trustee,
            shares,
            proof: DleqProof::decode(r, n)?,
        })
    }
}

impl Encode for PartialDecryption {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.trustee);
        put_len(out, self.shares.len());
        for s in &self.shares {
            put_vec(out, s);
        }
        self.proof.encode(out);
    }
}

/// Lagrange coefficients at 0 for the index set `s`: `λⱼ = Πₖ k / (k − j)`, `k ∈ s`, `k ≠ j`.
pub fn lagrange_at_zero(s: &[u32]) -> Vec<Scalar> {
    let mut num = Vec::with_capacity(s.len());
    let mut den = Vec::with_capacity(s.len());
    for &j in s {
        let (mut n, mut d) = (Scalar::ONE, Scalar::ONE);
        for &k in s.iter().filter(|&&k| k != j) {
            n *= Scalar::from(k as u64);
            d *= Scalar::from(k as u64) - Scalar::from(j as u64);
        }
        num.push(n);
        den.push(d);
    }
    Scalar::batch_invert(&mut den);
    num.iter().zip(&den).map(|(n, d)| n * d).collect()
}

/// Baby-step giant-step table for `m·G`, `0 ≤ m ≤ bound`, in time and space `O(√bound)`.
pub struct DlogTable {
    bound: u64,
    step: u64,
    /// `(compress(2·jG), j)` sorted; doubling lets the whole batch compress with one inversion.
    baby: Vec<([u8; 32], u32)>,
}

impl DlogTable {
    /// Builds the table for totals up to `bound` (at most [`MAX_TOTAL`]).
    pub fn new(bound: u64) -> Self {
        let bound = bound.min(MAX_TOTAL);
        let step = (bound + 1).isqrt() + 1;
        let mut points = Vec::with_capacity(step as usize);
        let mut p = RistrettoPoint::identity();
        for _ in 0..step {
            points.push(p);
            p += RISTRETTO_BASEPOINT_POINT;
        }
        let mut baby: Vec<([u8; 32], u32)> = RistrettoPoint::double_and_compress_batch(&points)
            .into_iter()
            .enumerate()
            .map(|(j, c)| (c.to_bytes(), j as u32))
            .collect();
        baby.sort_unstable();
        DlogTable { bound, step, baby }
    }

    /// The `m ≤ bound` with `m·G = target`, if any.
    pub fn solve(&self, target: &RistrettoPoint) -> Option<u64> {
        let giant = RistrettoPoint::vartime_multiscalar_mul(
            [Scalar::from(self.step)],
            [RISTRETTO_BASEPOINT_POINT],
        );
        let mut gamma = *target;
        let mut i = 0u64;
        const CHUNK: usize = 64;
        while i * self.step <= self.bound {
            let mut chunk = Vec::with_capacity(CHUNK);
            for _ in 0..CHUNK {
                chunk.push(gamma);
                gamma -= giant;
            }
            for (k, c) in RistrettoPoint::double_and_compress_batch(&chunk)
                .iter()
                .enumerate()
            {
                if let Ok(pos) = self
                    .baby
                    .binary_search_by(|(b, _)| b.as_slice().cmp(c.as_bytes().as_slice()))
                {
                    let m = (i + k as u64) * self.step + self.baby[pos].1 as u64;
                    if m <= self.bound {
                        return Some(m);
                    }
                }
            }
            i += CHUNK as u64;
        }
        None
    }
}

/// The published result: totals by contest, then option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Results {
    /// Totals.
    pub totals: Vec<Vec<u64>>,
}

impl Encode for Results {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(out, self.totals.len());
        for c in &self.totals {
            put_len(out, c.len());
            for v in c {
                put_u64(out, *v);
            }
        }
    }
}

impl Decode for Results {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Results {
            totals: r.vec(limits::CONTESTS, 4, "results", |r| {
                r.vec(limits::OPTIONS, 8, "totals", |r| r.u64("total"))
            })?,
        })
    }
}

/// Which projects a budget contest's totals fund (§12.7), in option order; `None` for other kinds.
///
/// Greedy, as participatory budgets usually count: most votes first (ties in manifest order), each
/// project with at least one vote funded if its cost fits what is left of the budget, else passed
/// over for the next. `totals` must have one entry per option (fewer are read as zero votes).
pub fn funded_projects(kind: &ContestKind, totals: &[u64]) -> Option<Vec<bool>> {
    let ContestKind::Budget { budget, costs } = kind else {
        return None;
    };
    let votes = |i: usize| totals.get(i).copied().unwrap_or(0);
    let mut order: Vec<usize> = (0..costs.len()).collect();
    // A stable sort keeps manifest order among equal totals.
    order.sort_by_key(|&i| core::cmp::Reverse(votes(i)));
    let mut left = *budget;
    let mut funded = alloc::vec![false; costs.len()];
    for i in order {
        if votes(i) > 0 && costs[i] <= left {
            left -= costs[i];
            funded[i] = true;
        }
    }
    Some(funded)
}

/// V15: combines verified partial decryptions from at least `threshold` distinct trustees and
/// recovers every total, each bounded by `total_weight × option maximum`.
pub fn combine(
    manifest: &Manifest,
    total_weight: u64,
    tally: &EncryptedTally,
    partials: &[&PartialDecryption],
) -> Result<Results> {
    let mut set: Vec<u32> = partials.iter().map(|p| p.trustee).collect();
    set.sort_unstable();
    set.dedup();
    if set.len() != partials.len() {
        return Err(Error::Ceremony(
            "a trustee's partial decryption appears twice",
        ));
    }
    if set.len() < manifest.threshold as usize {
        return Err(Error::Ceremony(
            "fewer than t valid partial decryptions; more trustees must take part",
        ));
    }
    let shape_ok = |rows: &[Vec<Point>]| {
        rows.len() == tally.contests.len()
            && rows
                .iter()
                .zip(&tally.contests)
                .all(|(a, b)| a.len() == b.len())
    };
    if tally.contests.len() != manifest.contests.len()
        || tally
            .contests
            .iter()
            .zip(&manifest.contests)
            .any(|(t, c)| t.len() != c.tally_width())
    {
        return Err(Error::BallotShape {
            contest: 0,
            reason: "the encrypted tally does not have the manifest's shape",
        });
    }
    if let Some(p) = partials.iter().find(|p| !shape_ok(&p.shares)) {
        return Err(Error::TrusteeMisbehaved {
            trustee: p.trustee,
            reason: "partial decryption has the wrong shape",
        });
    }
    let lambdas = lagrange_at_zero(&partials.iter().map(|p| p.trustee).collect::<Vec<_>>());
    let mut tables: Vec<(u64, DlogTable)> = Vec::new();
    let mut totals = Vec::with_capacity(tally.contests.len());
    for (ci, (contest, cts)) in manifest.contests.iter().zip(&tally.contests).enumerate() {
        if cts.is_empty() {
            // A ranked contest: nothing summed, nothing to recover.
            totals.push(Vec::new());
            continue;
        }
        let bound = total_weight.saturating_mul(contest.option_max());
        if !tables.iter().any(|(b, _)| *b == bound) {
            tables.push((bound, DlogTable::new(bound)));
        }
        let table = &tables
            .iter()
            .find(|(b, _)| *b == bound)
            .expect("just inserted")
            .1;
        let mut row = Vec::with_capacity(cts.len());
        for (oi, ct) in cts.iter().enumerate() {
            // M = B − Σ λⱼ·Dⱼ = m·G
            let ds = partials.iter().map(|p| *p.shares[ci][oi].point());
            let combined = RistrettoPoint::vartime_multiscalar_mul(&lambdas, ds);
            let m = ct.beta.point() - combined;
            row.push(table.solve(&m).ok_or(Error::TotalOutOfBound {
                contest: ci,
                option: oi,
                bound,
            })?);
        }
        totals.push(row);
    }
    Ok(Results { totals })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(budget: u64, costs: &[u64]) -> ContestKind {
        ContestKind::Budget {
            budget,
            costs: costs.to_vec(),
        }
    }

    #[test]
    fn funded_projects_follow_votes_and_pass_over_what_no_longer_fits() {
        // §12.7: 60 (9 votes) funded, 50 (7) does not fit the 40 left, 30 (5) does, 25 (5) no
        // longer does; the unvoted 5 is never funded.
        let kind = budget(100, &[50, 60, 30, 25, 5]);
        assert_eq!(
            funded_projects(&kind, &[7, 9, 5, 5, 0]),
            Some(alloc::vec![false, true, true, false, false])
        );
        // Equal totals: manifest order decides.
        assert_eq!(
            funded_projects(&budget(60, &[40, 40, 20]), &[3, 3, 3]),
            Some(alloc::vec![true, false, true])
        );
        assert_eq!(
            funded_projects(&ContestKind::Approval, &[1, 2]),
            None,
            "only budget contests fund projects"
        );
    }
}
