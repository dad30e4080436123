//! Ballots (spec §11): encryption, validity proofs, signature, tracking code, verification, audit.
//!
//! One Merlin transcript covers the whole ballot: the statement (fingerprint, credential, weight,
//! every ciphertext, every claim, every range commitment), then every sigma-protocol commitment, then
//! one challenge `c` shared by all the sigma proofs, then the contests' Bulletproofs in order.
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::batch::BatchVerifier;
use crate::credentials::Credential;
use crate::elgamal::{Ciphertext, ElectionPublicKey, Randomness, SumCiphertext};
use crate::encoding::{put_bytes, put_len, put_u64, put_vec, Decode, Encode, Reader};
use crate::error::{Error, Result};
use crate::group::{self, decode_scalar, put_scalar, Point};
use crate::hash::{tagged_hash, tags, Digest32};
use crate::manifest::{limits, Claim, Manifest, DISJUNCTION_MAX_WIDTH};
use crate::proofs::disjunctive::{CiphertextCoefficients, DisjunctiveProof, DisjunctiveProver};
use crate::proofs::equality::{EqualityProof, EqualityProver};
use crate::proofs::range::{self, RangeGenerators};
use crate::signature::{self, PublicKey};
use crate::transcript::ProofTranscript;

/// Largest Bulletproofs encoding accepted: 1,024 values of 64 bits, `32·(9 + 2·log₂(2¹⁶))` bytes.
const MAX_RANGE_PROOF_LEN: usize = 32 * (9 + 2 * 16);
/// Most range values in one contest (two per claim, padded to a power of two).
const MAX_RANGE_VALUES: usize = 1024;

/// One contest's part of a ballot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestBallot {
    /// One ciphertext per option.
    pub ciphertexts: Vec<Ciphertext>,
    /// One disjunctive proof per narrow claim, in claim order.
    pub disjunctive: Vec<DisjunctiveProof>,
    /// Two Pedersen commitments per wide claim (`v − lo`, then `hi − v`), then padding to a power of two.
    pub range_commitments: Vec<Point>,
    /// One equality proof per unpadded range commitment.
    pub equality: Vec<EqualityProof>,
    /// The aggregated Bulletproofs range proof over `range_commitments` (empty if there are none).
    pub range_proof: Vec<u8>,
}

/// A signed, encrypted ballot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    /// The election fingerprint.
    pub fingerprint: Digest32,
    /// The credential's public key.
    pub credential: PublicKey,
    /// The contests, in manifest order.
    pub contests: Vec<ContestBallot>,
    /// Ed25519 signature by the credential over the unsigned encoding.
    pub signature: [u8; 64],
}

/// A ballot's tracking code: the tagged hash of its full encoding.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrackingCode(pub Digest32);

impl TrackingCode {
    /// The short form shown to voters: the first 15 bytes in Crockford base32, six groups of four.
    ///
    /// ```
    /// let code = protocol::ballot::TrackingCode([0u8; 32]);
    /// assert_eq!(code.short(), "0000-0000-0000-0000-0000-0000");
    /// let mut d = [0u8; 32];
    /// d[0] = 0b1111_1000; // the first five bits are the first character
    /// assert!(protocol::ballot::TrackingCode(d).short().starts_with('Z'));
    /// ```
    pub fn short(&self) -> alloc::string::String {
        const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut out = alloc::string::String::with_capacity(29);
        let bits = &self.0[..15];
        for k in 0..24 {
            let bit = k * 5;
            let (byte, shift) = (bit / 8, bit % 8);
            let hi = (bits[byte] as u16) << 8;
            let lo = bits.get(byte + 1).copied().unwrap_or(0) as u16;
            let v = ((hi | lo) >> (11 - shift)) & 0x1f;
            if k > 0 && k % 4 == 0 {
                out.push('-');
            }
            out.push(ALPHABET[v as usize] as char);
        }
        out
    }
}

impl fmt::Debug for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrackingCode({})", self.short())
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

/// Per-contest plan derived from the manifest: claims and how each is proved.
#[derive(Clone, Debug)]
pub struct ContestPlan {
    options: usize,
    claims: Vec<Claim>,
    bits: u32,
    range_values: usize,
    padded: usize,
}

impl ContestPlan {
    fn new(contest: &crate::manifest::Contest) -> Self {
        let claims = contest.claims();
        let range_values = 2 * claims.iter().filter(|c| !c.is_disjunctive()).count();
        ContestPlan {
            options: contest.options.len(),
            bits: contest.range_bits(),
            padded: if range_values == 0 {
                0
            } else {
                range_values.next_power_of_two()
            },
            range_values,
            claims,
        }
    }
}

/// What encrypting and verifying ballots needs: the manifest's plans, the key, the fingerprint and
/// the generators (all recomputed from public labels).
pub struct BallotContext {
    /// The election fingerprint.
    pub fingerprint: Digest32,
    /// The election key.
    pub key: ElectionPublicKey,
    plans: Vec<ContestPlan>,
    h: RistrettoPoint,
    range: Option<RangeGenerators>,
}

impl BallotContext {
    /// Builds the context for a manifest, election key and fingerprint.
    pub fn new(manifest: &Manifest, key: Point, fingerprint: Digest32) -> Self {
        let plans: Vec<ContestPlan> = manifest.contests.iter().map(ContestPlan::new).collect();
        let bits = plans.iter().map(|p| p.bits).max().unwrap_or(0);
        let parties = plans.iter().map(|p| p.padded).max().unwrap_or(0);
        BallotContext {
            fingerprint,
            key: ElectionPublicKey::new(key),
            h: group::pedersen_blinding(),
            range: (parties > 0).then(|| RangeGenerators::new(bits as usize, parties)),
            plans,
        }
    }

    /// From a complete election context.
    pub fn from_election(ctx: &crate::context::ElectionContext) -> Self {
        Self::new(&ctx.manifest, ctx.ceremony.joint_key, ctx.fingerprint)
    }
}

impl fmt::Debug for BallotContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BallotContext")
            .field("fingerprint", &hex::encode(self.fingerprint))
            .finish_non_exhaustive()
    }
}

/// The voter's secrets for one ballot: values and randomness. Zeroized on drop; kept only to audit.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct BallotSecrets {
    values: Vec<Vec<u64>>,
    randomness: Vec<Vec<Scalar>>,
}

impl fmt::Debug for BallotSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BallotSecrets(<redacted>)")
    }
}

/// A ballot opened for a Benaloh audit: anyone can check it encrypts `values`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedBallot {
    /// The ballot (never to be cast: its ciphertexts are now on the board).
    pub ballot: Ballot,
    /// Per contest, per option: the plaintext and the revealed randomness.
    pub openings: Vec<Vec<(u64, Scalar)>>,
}

impl BallotSecrets {
    /// Reveals the randomness: the ballot becomes an audited ballot and can never be cast.
    pub fn audit(self, ballot: Ballot) -> AuditedBallot {
        let openings = self
            .values
            .iter()
            .zip(&self.randomness)
            .map(|(vs, rs)| vs.iter().copied().zip(rs.iter().copied()).collect())
            .collect();
        AuditedBallot { ballot, openings }
    }
}

fn derived(cts: &[Ciphertext], coefficients: &[u64]) -> SumCiphertext {
    let scalars: Vec<Scalar> = coefficients.iter().map(|&a| Scalar::from(a)).collect();
    SumCiphertext {
        alpha: RistrettoPoint::vartime_multiscalar_mul(
            &scalars,
            cts.iter().map(|c| *c.alpha.point()),
        ),
        beta: RistrettoPoint::vartime_multiscalar_mul(
            &scalars,
            cts.iter().map(|c| *c.beta.point()),
        ),
    }
}

fn statement(
    ctx: &BallotContext,
    credential: &PublicKey,
    weight: u64,
    contests: &[ContestBallot],
) -> ProofTranscript {
    let mut t = ProofTranscript::new(b"ballot", b"fingerprint", &ctx.fingerprint);
    t.bytes(b"credential", credential.as_bytes());
    t.u64(b"weight", weight);
    t.u64(b"contests", contests.len() as u64);
    for (index, (cb, plan)) in contests.iter().zip(&ctx.plans).enumerate() {
        t.u64(b"contest", index as u64);
        t.u64(b"options", cb.ciphertexts.len() as u64);
        for ct in &cb.ciphertexts {
            t.point(b"alpha", &ct.alpha);
            t.point(b"beta", &ct.beta);
        }
        t.u64(b"claims", plan.claims.len() as u64);
        for claim in &plan.claims {
            let mut coefficients = Vec::with_capacity(8 * claim.coefficients.len());
            for a in &claim.coefficients {
                put_u64(&mut coefficients, *a);
            }
            t.bytes(b"coefficients", &coefficients);
            t.u64(b"lo", claim.lo);
            t.u64(b"hi", claim.hi);
        }
        t.u64(b"range-bits", plan.bits as u64);
        for v in &cb.range_commitments {
            t.point(b"V", v);
        }
    }
    t
}

/// Encrypts and proves a ballot. `selections[c][i]` is the value for option `i` of contest `c`;
/// `weight` is the credential's weight in the posted list.
pub fn encrypt<R: RngCore + CryptoRng>(
    ctx: &BallotContext,
    manifest: &Manifest,
    credential: &Credential,
    weight: u64,
    selections: &[Vec<u64>],
    rng: &mut R,
) -> Result<(Ballot, BallotSecrets)> {
    if selections.len() != ctx.plans.len() || manifest.contests.len() != ctx.plans.len() {
        return Err(Error::InvalidSelection {
            contest: selections.len().min(ctx.plans.len()),
            reason: "one selection per contest is required",
        });
    }
    for (i, (contest, values)) in manifest.contests.iter().zip(selections).enumerate() {
        contest.check_selection(i, values)?;
    }
    let mut secrets = BallotSecrets {
        values: selections.to_vec(),
        randomness: Vec::new(),
    };
    let mut contests = Vec::with_capacity(ctx.plans.len());
    // Per contest: (value, ρ, s) of each range value, for the equality proofs and the Bulletproof.
    let mut range_witnesses: Vec<Vec<(u64, Scalar, Scalar)>> = Vec::new();
    for (plan, values) in ctx.plans.iter().zip(selections) {
        let rs: Vec<Randomness> = values
            .iter()
            .map(|_| Randomness(Scalar::random(rng)))
            .collect();
        let ciphertexts: Vec<Ciphertext> = values
            .iter()
            .zip(&rs)
            .map(|(&m, r)| ctx.key.encrypt_with(m, r))
            .collect();
        let mut witnesses = Vec::with_capacity(plan.padded);
        let mut range_commitments = Vec::with_capacity(plan.padded);
        for claim in plan.claims.iter().filter(|c| !c.is_disjunctive()) {
            let v = claim.evaluate(values).expect("checked by check_selection");
            let rho: Scalar = claim
                .coefficients
                .iter()
                .zip(&rs)
                .map(|(&a, r)| Scalar::from(a) * r.0)
                .sum();
            for (u, rho_u) in [(v - claim.lo, rho), (claim.hi - v, -rho)] {
                let s = Scalar::random(rng);
                range_commitments
                    .push(Point::from_point(group::small_multiple_of_g(u) + ctx.h * s));
                witnesses.push((u, rho_u, s));
            }
        }
        while witnesses.len() < plan.padded {
            let s = Scalar::random(rng);
            range_commitments.push(Point::from_point(ctx.h * s));
            witnesses.push((0, Scalar::ZERO, s));
        }
        secrets.randomness.push(rs.iter().map(|r| r.0).collect());
        range_witnesses.push(witnesses);
        contests.push(ContestBallot {
            ciphertexts,
            disjunctive: Vec::new(),
            range_commitments,
            equality: Vec::new(),
            range_proof: Vec::new(),
        });
    }

    let credential_key = credential.public_key();
    let mut t = statement(ctx, &credential_key, weight, &contests);
    let mut disjunctive_provers: Vec<Vec<DisjunctiveProver>> = Vec::new();
    let mut equality_provers: Vec<Vec<EqualityProver>> = Vec::new();
    for (ci, plan) in ctx.plans.iter().enumerate() {
        let (cts, values, rs) = (
            &contests[ci].ciphertexts,
            &selections[ci],
            &secrets.randomness[ci],
        );
        let mut dps = Vec::new();
        for claim in plan.claims.iter().filter(|c| c.is_disjunctive()) {
            let v = claim.evaluate(values).expect("checked by check_selection");
            let rho: Scalar = claim
                .coefficients
                .iter()
                .zip(rs)
                .map(|(&a, r)| Scalar::from(a) * r)
                .sum();
            let p = DisjunctiveProver::commit(
                &ctx.key,
                &derived(cts, &claim.coefficients),
                claim.lo,
                claim.hi,
                v,
                &rho,
                rng,
            );
            p.append(&mut t);
            dps.push(p);
        }
        let mut eps = Vec::new();
        for (u, rho, s) in range_witnesses[ci].iter().take(plan.range_values) {
            let p = EqualityProver::commit(&ctx.key, &ctx.h, &Scalar::from(*u), rho, s, rng);
            p.append(&mut t);
            eps.push(p);
        }
        disjunctive_provers.push(dps);
        equality_provers.push(eps);
    }
    let c = t.challenge(b"challenge");
    for (ci, (dps, eps)) in disjunctive_provers
        .into_iter()
        .zip(equality_provers)
        .enumerate()
    {
        contests[ci].disjunctive = dps.into_iter().map(|p| p.respond(&c)).collect();
        contests[ci].equality = eps.into_iter().map(|p| p.respond(&c)).collect();
    }
    for (ci, plan) in ctx.plans.iter().enumerate() {
        if plan.padded == 0 {
            continue;
        }
        t.u64(b"range-contest", ci as u64);
        let values: Vec<u64> = range_witnesses[ci].iter().map(|w| w.0).collect();
        let blindings: Vec<Scalar> = range_witnesses[ci].iter().map(|w| w.2).collect();
        let gens = ctx
            .range
            .as_ref()
            .expect("range generators exist when a contest has range values");
        contests[ci].range_proof = range::prove(gens, &mut t, &values, &blindings, plan.bits, rng)?;
    }
    for w in range_witnesses.iter_mut().flatten() {
        w.1.zeroize();
        w.2.zeroize();
    }
    let mut ballot = Ballot {
        fingerprint: ctx.fingerprint,
        credential: credential_key,
        contests,
        signature: [0; 64],
    };
    ballot.signature = credential.sign(signature::tags::BALLOT, &ballot.unsigned_bytes());
    Ok((ballot, secrets))
}

impl Ballot {
    /// The encoding without the signature: what the credential signs.
    pub fn unsigned_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.fingerprint);
        self.credential.encode(&mut out);
        put_vec(&mut out, &self.contests);
        out
    }

    /// The tracking code.
    pub fn tracking_code(&self) -> TrackingCode {
        TrackingCode(tagged_hash(tags::TRACKING_CODE, &self.to_bytes()))
    }

    /// Every ciphertext, for the board's duplicate check.
    pub fn ciphertexts(&self) -> impl Iterator<Item = &Ciphertext> {
        self.contests.iter().flat_map(|c| c.ciphertexts.iter())
    }
}

impl Encode for ContestBallot {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec(out, &self.ciphertexts);
        put_len(out, self.disjunctive.len());
        for d in &self.disjunctive {
            put_len(out, d.branches.len());
            d.encode(out);
        }
        put_vec(out, &self.range_commitments);
        put_vec(out, &self.equality);
        put_bytes(out, &self.range_proof);
    }
}

impl Decode for ContestBallot {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(ContestBallot {
            ciphertexts: r.vec(
                limits::OPTIONS,
                64,
                "ciphertexts",
                Ciphertext::decode_ballot,
            )?,
            disjunctive: r.vec(limits::OPTIONS + 1, 4, "disjunctive proofs", |r| {
                let width = r.count(DISJUNCTION_MAX_WIDTH as usize, 128, "disjunctive branches")?;
                DisjunctiveProof::decode(r, width)
            })?,
            range_commitments: r.vec(MAX_RANGE_VALUES, 32, "range commitments", |r| {
                Point::decode_any(r, "range commitment")
            })?,
            equality: r.vec(
                MAX_RANGE_VALUES,
                192,
                "equality proofs",
                EqualityProof::decode,
            )?,
            range_proof: r.bytes(MAX_RANGE_PROOF_LEN, "range proof")?.to_vec(),
        })
    }
}

impl Encode for Ballot {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.unsigned_bytes());
        out.extend_from_slice(&self.signature);
    }
}

impl Decode for Ballot {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Ballot {
            fingerprint: r.array("fingerprint")?,
            credential: PublicKey::decode(r, "credential")?,
            contests: r.vec(limits::CONTESTS, 16, "contests", ContestBallot::decode)?,
            signature: r.array("ballot signature")?,
        })
    }
}

/// A ballot that passed V9's cryptographic checks. Only verification makes one.
#[derive(Clone, Debug)]
pub struct VerifiedBallot {
    ballot: Ballot,
    weight: u64,
}

impl VerifiedBallot {
    /// The ballot.
    pub fn ballot(&self) -> &Ballot {
        &self.ballot
    }

    /// The credential's weight.
    pub fn weight(&self) -> u64 {
        self.weight
    }

    /// Gives the ballot back.
    pub fn into_inner(self) -> Ballot {
        self.ballot
    }
}

fn shape_error(contest: usize, reason: &'static str) -> Error {
    Error::BallotShape { contest, reason }
}

/// Runs every check of one ballot except the batched equation, adding its equations to `batch`.
fn collect<R: RngCore + CryptoRng>(
    ctx: &BallotContext,
    ballot: &Ballot,
    weight: u64,
    batch: &mut BatchVerifier,
    rng: &mut R,
) -> Result<()> {
    if ballot.fingerprint != ctx.fingerprint {
        return Err(Error::WrongElection {
            what: "ballot",
            reason: "its fingerprint is another election's",
        });
    }
    if ballot.contests.len() != ctx.plans.len() {
        return Err(shape_error(
            ballot.contests.len().min(ctx.plans.len()),
            "the ballot has the wrong number of contests",
        ));
    }
    for (ci, (cb, plan)) in ballot.contests.iter().zip(&ctx.plans).enumerate() {
        let disjunctive = plan.claims.iter().filter(|c| c.is_disjunctive()).count();
        if cb.ciphertexts.len() != plan.options {
            return Err(shape_error(ci, "wrong number of ciphertexts"));
        }
        if cb.disjunctive.len() != disjunctive {
            return Err(shape_error(ci, "wrong number of disjunctive proofs"));
        }
        if cb.range_commitments.len() != plan.padded || cb.equality.len() != plan.range_values {
            return Err(shape_error(
                ci,
                "wrong number of range commitments or equality proofs",
            ));
        }
        if (plan.padded == 0) != cb.range_proof.is_empty() {
            return Err(shape_error(
                ci,
                "range proof present where none belongs, or missing",
            ));
        }
    }
    ballot.credential.verify(
        signature::tags::BALLOT,
        &ballot.unsigned_bytes(),
        &ballot.signature,
        "ballot",
    )?;

    let mut t = statement(ctx, &ballot.credential, weight, &ballot.contests);
    for cb in &ballot.contests {
        for d in &cb.disjunctive {
            d.append(&mut t);
        }
        for e in &cb.equality {
            e.append(&mut t);
        }
    }
    let c = t.challenge(b"challenge");
    for (ci, (cb, plan)) in ballot.contests.iter().zip(&ctx.plans).enumerate() {
        let mut coef = vec![CiphertextCoefficients::default(); plan.options];
        let spread = |claim: &Claim,
                      k: CiphertextCoefficients,
                      sign: Scalar,
                      coef: &mut Vec<CiphertextCoefficients>| {
            for (i, &a) in claim.coefficients.iter().enumerate() {
                if a != 0 {
                    let a = sign * Scalar::from(a);
                    coef[i].alpha += a * k.alpha;
                    coef[i].beta += a * k.beta;
                }
            }
        };
        let mut disjunctive = cb.disjunctive.iter();
        let mut equality = cb.equality.iter().zip(&cb.range_commitments);
        for claim in &plan.claims {
            if claim.is_disjunctive() {
                let proof = disjunctive.next().expect("count checked");
                if proof.branches.len() as u64 != claim.hi - claim.lo + 1 {
                    return Err(shape_error(
                        ci,
                        "a disjunctive proof has the wrong number of branches",
                    ));
                }
                let k = proof.verify_into(
                    &c,
                    claim.lo,
                    claim.hi,
                    batch,
                    rng,
                    "disjunctive ballot proof",
                )?;
                spread(claim, k, Scalar::ONE, &mut coef);
            } else {
                // v − lo: (α', β' − lo·G);   hi − v: (−α', hi·G − β').
                let (e1, v1) = equality.next().expect("count checked");
                let k1 = e1.verify_into(&c, v1.point(), batch, rng);
                spread(claim, k1, Scalar::ONE, &mut coef);
                batch.add_g(-Scalar::from(claim.lo) * k1.beta);
                let (e2, v2) = equality.next().expect("count checked");
                let k2 = e2.verify_into(&c, v2.point(), batch, rng);
                spread(claim, k2, -Scalar::ONE, &mut coef);
                batch.add_g(Scalar::from(claim.hi) * k2.beta);
            }
        }
        for (ct, k) in cb.ciphertexts.iter().zip(coef) {
            batch.add_term(k.alpha, *ct.alpha.point());
            batch.add_term(k.beta, *ct.beta.point());
        }
    }
    for (ci, (cb, plan)) in ballot.contests.iter().zip(&ctx.plans).enumerate() {
        if plan.padded == 0 {
            continue;
        }
        t.u64(b"range-contest", ci as u64);
        let gens = ctx
            .range
            .as_ref()
            .expect("range generators exist when a contest has range values");
        range::verify(
            gens,
            &mut t,
            &cb.range_proof,
            &cb.range_commitments,
            plan.bits,
            rng,
        )?;
    }
    Ok(())
}

/// V9 (cryptographic part): signature, shape and every proof of one ballot, for a credential of
/// weight `weight`. The caller checks that the credential is listed with that weight.
pub fn verify<R: RngCore + CryptoRng>(
    ctx: &BallotContext,
    ballot: Ballot,
    weight: u64,
    rng: &mut R,
) -> Result<VerifiedBallot> {
    let mut batch = BatchVerifier::with_capacity(64);
    collect(ctx, &ballot, weight, &mut batch, rng)?;
    if batch.verify(ctx.key.point().point(), &ctx.h) {
        Ok(VerifiedBallot { ballot, weight })
    } else {
        Err(Error::InvalidProof {
            what: "ballot validity proofs",
        })
    }
}

/// Verifies many ballots with one multiscalar multiplication. If the combined check fails, each
/// ballot is checked alone, so every result names its own failure.
pub fn verify_batch<R: RngCore + CryptoRng>(
    ctx: &BallotContext,
    ballots: Vec<(Ballot, u64)>,
    rng: &mut R,
) -> Vec<Result<VerifiedBallot>> {
    let mut batch = BatchVerifier::with_capacity(40 * ballots.len());
    let mut prechecked: Vec<Result<()>> = Vec::with_capacity(ballots.len());
    for (ballot, weight) in &ballots {
        let mut own = BatchVerifier::with_capacity(40);
        let r = collect(ctx, ballot, *weight, &mut own, rng);
        if r.is_ok() {
            batch.absorb(own);
        }
        prechecked.push(r);
    }
    if batch.verify(ctx.key.point().point(), &ctx.h) {
        ballots
            .into_iter()
            .zip(prechecked)
            .map(|((ballot, weight), r)| r.map(|()| VerifiedBallot { ballot, weight }))
            .collect()
    } else {
        ballots
            .into_iter()
            .zip(prechecked)
            .map(|((ballot, weight), r)| r.and_then(|()| verify(ctx, ballot, weight, rng)))
            .collect()
    }
}

impl AuditedBallot {
    /// V10: every opening opens its ciphertext, and the revealed values are returned.
    pub fn check_openings(&self, key: &ElectionPublicKey) -> Result<Vec<Vec<u64>>> {
        if self.openings.len() != self.ballot.contests.len() {
            return Err(shape_error(
                0,
                "audited ballot: one opening per contest is required",
            ));
        }
        for (ci, (cb, ops)) in self.ballot.contests.iter().zip(&self.openings).enumerate() {
            if ops.len() != cb.ciphertexts.len() {
                return Err(shape_error(
                    ci,
                    "audited ballot: one opening per ciphertext is required",
                ));
            }
            for (ct, (m, r)) in cb.ciphertexts.iter().zip(ops) {
                if !ct.opens_to(key, *m, r) {
                    return Err(Error::InvalidProof {
                        what: "audited ballot opening",
                    });
                }
            }
        }
        Ok(self
            .openings
            .iter()
            .map(|ops| ops.iter().map(|(m, _)| *m).collect())
            .collect())
    }
}

impl Encode for AuditedBallot {
    fn encode(&self, out: &mut Vec<u8>) {
        self.ballot.encode(out);
        put_len(out, self.openings.len());
        for ops in &self.openings {
            put_len(out, ops.len());
            for (m, r) in ops {
                put_u64(out, *m);
                put_scalar(out, r);
            }
        }
    }
}

impl Decode for AuditedBallot {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(AuditedBallot {
            ballot: Ballot::decode(r)?,
            openings: r.vec(limits::CONTESTS, 4, "openings", |r| {
                r.vec(limits::OPTIONS, 40, "contest openings", |r| {
                    Ok((
                        r.u64("plaintext")?,
                        decode_scalar(r, "revealed randomness")?,
                    ))
                })
            })?,
        })
    }
}
