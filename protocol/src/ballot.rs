//! Ballots (spec §11): encryption, validity proofs, tracking code, casting, audit, verification.
//!
//! [`encrypt`] gives an unsigned [`EncryptedBallot`] whose tracking code the voter sees before
//! choosing: [`EncryptedBallot::cast`] signs it as a [`Ballot`], or [`BallotSecrets::audit`] opens it
//! as an [`AuditedBallot`], signed under another tag so that an audit can never be posted as a cast
//! ballot by whoever relays it.
//!
//! One Merlin transcript covers the whole ballot: the statement (fingerprint, credential, weight,
//! board size seen, every ciphertext, every claim, every range commitment), then every sigma-protocol
//! commitment, then one challenge `c` shared by all the sigma proofs, then the contests' Bulletproofs.
use alloc::boxed::Box;
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
use crate::manifest::{limits, Claim, Contest, Manifest, DISJUNCTION_MAX_WIDTH};
use crate::proofs::disjunctive::{
    self, CiphertextCoefficients, DisjunctiveProof, DisjunctiveProver,
};
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

/// An encrypted, proven, not yet signed ballot: what the voter's device shows a tracking code for
/// before the voter casts or audits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedBallot {
    /// The election fingerprint.
    pub fingerprint: Digest32,
    /// The credential's public key.
    pub credential: PublicKey,
    /// The size of the latest board checkpoint the device saw: the ballot must stand at an index at
    /// least this large, and among a credential's ballots the one with the largest value counts
    /// (then the later one), so a board cannot withhold a ballot and post it after a revote.
    pub board_size: u64,
    /// The contests, in manifest order.
    pub contests: Vec<ContestBallot>,
}

/// A cast ballot: the encrypted ballot signed by its credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    /// The encrypted ballot.
    pub encrypted: EncryptedBallot,
    /// Ed25519 signature by the credential, tag `thistle-v1/ballot`, over the encrypted ballot.
    pub signature: [u8; 64],
}

/// A ballot's tracking code: the tagged hash of the encrypted (unsigned) ballot.
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

impl TrackingCode {
    /// Reads a short form as a voter might type it back: case, dashes and spaces do not matter,
    /// and `O`, `I`, `L` are read as `0`, `1`, `1` (Crockford). Returns the 15 bytes it stands
    /// for, the prefix of the full code; `None` unless it is 24 such characters.
    ///
    /// ```
    /// use protocol::ballot::TrackingCode;
    /// let code = TrackingCode([0xa7; 32]);
    /// let typed = code.short().to_lowercase().replace('-', " ");
    /// assert_eq!(TrackingCode::parse_short(&typed), Some([0xa7; 15]));
    /// assert_eq!(TrackingCode::parse_short("0000-0000"), None);
    /// ```
    pub fn parse_short(text: &str) -> Option<[u8; 15]> {
        let mut out = [0u8; 15];
        let mut bits: u32 = 0;
        let mut held = 0u32;
        let mut filled = 0;
        for c in text.chars().filter(|c| *c != '-' && !c.is_whitespace()) {
            let v = match c.to_ascii_uppercase() {
                'O' => 0,
                'I' | 'L' => 1,
                c => b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
                    .iter()
                    .position(|&a| a as char == c)? as u32,
            };
            bits = (bits << 5) | v;
            held += 5;
            if held >= 8 {
                held -= 8;
                *out.get_mut(filled)? = (bits >> held) as u8;
                filled += 1;
                bits &= (1 << held) - 1;
            }
        }
        (filled == 15 && held == 0).then_some(out)
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
struct ContestPlan {
    contest: Contest,
    claims: Vec<Claim>,
    /// Each claim's coefficients as the transcript appends them (`u64le` each), fixed by the manifest.
    coefficient_bytes: Vec<Vec<u8>>,
    bits: u32,
    range_values: usize,
    padded: usize,
}

impl ContestPlan {
    fn new(contest: &Contest) -> Self {
        let claims = contest.claims();
        let range_values = 2 * claims.iter().filter(|c| !c.is_disjunctive()).count();
        let coefficient_bytes = claims
            .iter()
            .map(|c| {
                c.coefficients
                    .iter()
                    .flat_map(|a| a.to_le_bytes())
                    .collect()
            })
            .collect();
        ContestPlan {
            contest: contest.clone(),
            coefficient_bytes,
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

    fn slots(&self) -> usize {
        self.contest.slots()
    }

    /// The exact length of this contest's encoding in a valid ballot.
    fn encoded_len(&self) -> usize {
        let branches: usize = self
            .claims
            .iter()
            .filter(|c| c.is_disjunctive())
            .map(|c| (c.hi - c.lo + 1) as usize)
            .sum();
        let narrow = self.claims.iter().filter(|c| c.is_disjunctive()).count();
        let proof = if self.padded == 0 {
            0
        } else {
            range::proof_len(self.bits, self.padded)
        };
        4 + 64 * self.slots()
            + 4
            + 4 * narrow
            + 128 * branches
            + 4
            + 32 * self.padded
            + 4
            + 192 * self.range_values
            + 4
            + proof
    }
}

/// What encrypting and verifying ballots needs: the manifest's contests and their plans, the key,
/// the fingerprint and the generators (all recomputed from public labels). The key and fingerprint
/// must come from a verified election context (V7, V9).
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

    /// The exact length of a valid encrypted ballot's encoding (a cast ballot adds 64 bytes of
    /// signature). Anything else is refused before decoding.
    pub fn encrypted_ballot_len(&self) -> usize {
        32 + 32
            + 8
            + 4
            + self
                .plans
                .iter()
                .map(ContestPlan::encoded_len)
                .sum::<usize>()
    }

    /// The length of the longest valid voter entry of this election: an audited ballot (the
    /// encrypted ballot, an opening of 40 bytes per ciphertext, the signature), or a cast one.
    pub fn max_voter_entry_len(&self) -> usize {
        let openings: usize = 4 + self.plans.iter().map(|p| 4 + 40 * p.slots()).sum::<usize>();
        self.encrypted_ballot_len() + openings + 64
    }

    /// The counted-ballot view used by aggregation (§12.1): the credential, the board size and
    /// the ciphertexts of a cast ballot's encoding, read at the offsets every valid ballot of this
    /// election has, without decoding its proofs (about a fifth of a full decode for 1-of-5).
    /// Only for ballots already verified (V10) by the board or the record verifier; the points
    /// read are still checked canonical and non-identity.
    pub fn counted_view(&self, bytes: &[u8]) -> Result<CountedView> {
        let expected = self.encrypted_ballot_len() + 64;
        if bytes.len() != expected {
            return Err(Error::WrongLength {
                what: "ballot",
                expected,
                found: bytes.len(),
            });
        }
        let credential: [u8; 32] = bytes[32..64].try_into().expect("32 bytes");
        let board_size = u64::from_le_bytes(bytes[64..72].try_into().expect("8 bytes"));
        let mut at = 32 + 32 + 8 + 4;
        let mut contests = Vec::with_capacity(self.plans.len());
        for plan in &self.plans {
            let options = plan.slots();
            let mut r = Reader::new(&bytes[at + 4..at + 4 + 64 * options]);
            let row = (0..options)
                .map(|_| Ciphertext::decode_ballot(&mut r))
                .collect::<Result<Vec<_>>>()?;
            contests.push(row);
            at += plan.encoded_len();
        }
        Ok(CountedView {
            credential,
            board_size,
            contests,
        })
    }

    /// Decodes a cast ballot for this election, refusing any other length before decoding.
    pub fn decode_ballot(&self, bytes: &[u8]) -> Result<Ballot> {
        let expected = self.encrypted_ballot_len() + 64;
        if bytes.len() != expected {
            return Err(Error::WrongLength {
                what: "ballot",
                expected,
                found: bytes.len(),
            });
        }
        Ballot::from_bytes(bytes)
    }
}

impl fmt::Debug for BallotContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BallotContext")
            .field("fingerprint", &hex::encode(self.fingerprint))
            .finish_non_exhaustive()
    }
}

/// What aggregation needs of a counted ballot (see [`BallotContext::counted_view`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountedView {
    /// The credential's key bytes.
    pub credential: [u8; 32],
    /// The board size the device saw (§11.7).
    pub board_size: u64,
    /// Ciphertexts, by contest then option.
    pub contests: Vec<Vec<Ciphertext>>,
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

/// A ballot opened for a Benaloh audit: anyone can check what it encrypts. It carries no cast
/// signature, and its ciphertexts, once on the board, keep its twin from ever being cast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedBallot {
    /// The encrypted ballot that was audited instead of cast.
    pub encrypted: EncryptedBallot,
    /// Per contest, per option: the plaintext and the revealed randomness.
    pub openings: Vec<Vec<(u64, Scalar)>>,
    /// The credential's signature, tag `thistle-v1/audited-ballot`, over the encrypted ballot and
    /// the openings.
    pub signature: [u8; 64],
}

fn credential_mismatch() -> Error {
    Error::WrongElection {
        what: "credential",
        reason: "the signing credential is not the one the ballot was encrypted for",
    }
}

impl BallotSecrets {
    /// Reveals the randomness: the ballot becomes an audited ballot and can never be cast.
    pub fn audit(
        self,
        encrypted: EncryptedBallot,
        credential: &Credential,
    ) -> Result<AuditedBallot> {
        if credential.public_key() != encrypted.credential {
            return Err(credential_mismatch());
        }
        let openings: Vec<Vec<(u64, Scalar)>> = self
            .values
            .iter()
            .zip(&self.randomness)
            .map(|(vs, rs)| vs.iter().copied().zip(rs.iter().copied()).collect())
            .collect();
        let mut audited = AuditedBallot {
            encrypted,
            openings,
            signature: [0; 64],
        };
        audited.signature =
            credential.sign(signature::tags::AUDITED_BALLOT, &audited.signed_bytes());
        Ok(audited)
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

fn statement(ctx: &BallotContext, b: &EncryptedBallot, weight: u64) -> ProofTranscript {
    let mut t = ProofTranscript::new(b"ballot", b"fingerprint", &ctx.fingerprint);
    t.bytes(b"credential", b.credential.as_bytes());
    t.u64(b"weight", weight);
    t.u64(b"board-size", b.board_size);
    t.u64(b"contests", b.contests.len() as u64);
    for (index, (cb, plan)) in b.contests.iter().zip(&ctx.plans).enumerate() {
        t.u64(b"contest", index as u64);
        t.u64(b"options", cb.ciphertexts.len() as u64);
        for ct in &cb.ciphertexts {
            t.point(b"alpha", &ct.alpha);
            t.point(b"beta", &ct.beta);
        }
        t.u64(b"claims", plan.claims.len() as u64);
        for (claim, coefficients) in plan.claims.iter().zip(&plan.coefficient_bytes) {
            t.bytes(b"coefficients", coefficients);
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

/// Encrypts and proves a ballot for `credential` (the public key: nothing is signed yet).
/// `selections[c][i]` is the value for option `i` of contest `c`; `weight` is the credential's weight
/// in the posted list; `board_size` is the size of the latest checkpoint the device has seen.
///
/// The same as running a [`BallotEncryption`] to its end.
pub fn encrypt<R: RngCore + CryptoRng>(
    ctx: &BallotContext,
    credential: &PublicKey,
    weight: u64,
    board_size: u64,
    selections: &[Vec<u64>],
    rng: &mut R,
) -> Result<(EncryptedBallot, BallotSecrets)> {
    let mut work = BallotEncryption::new(ctx, credential, weight, board_size, selections)?;
    while !work.is_done() {
        work.step(rng)?;
    }
    Ok(work.finish().expect("every step ran"))
}

/// A ballot's encryption cut into steps, so that a page can paint its progress between them and
/// never block for long: one step per contest to encrypt, one per contest to commit the sigma
/// proofs, one for the shared challenge and responses, one per contest with a Bulletproof.
///
/// The steps draw randomness in the same order as one [`encrypt`] call, so the same seed gives the
/// same ballot either way. Abandoned part way, its secrets are zeroized on drop.
pub struct BallotEncryption<'a> {
    ctx: &'a BallotContext,
    weight: u64,
    secrets: BallotSecrets,
    ballot: EncryptedBallot,
    /// Per contest: (value, ρ, s) of each range value, for the equality proofs and the Bulletproof.
    range_witnesses: Vec<Vec<(u64, Scalar, Scalar)>>,
    stage: Stage,
}

enum Stage {
    /// Encrypting contest `.0`.
    Encrypt(usize),
    /// Committing contest `.0`'s sigma proofs; the transcript holds the whole statement.
    Commit(usize, Box<SigmaCommitments>),
    /// All commitments made: the challenge and every response.
    Respond(Box<SigmaCommitments>),
    /// Proving the ranges of contest `.0` (contests without range values are skipped).
    Range(usize, Box<ProofTranscript>),
    Done,
    /// A step failed (or is running): no ballot can come out of this encryptor.
    Failed,
}

struct SigmaCommitments {
    transcript: ProofTranscript,
    disjunctive: Vec<Vec<DisjunctiveProver>>,
    equality: Vec<Vec<EqualityProver>>,
}

impl fmt::Debug for BallotEncryption<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BallotEncryption")
            .field("done", &self.steps_done())
            .field("of", &self.steps_total())
            .finish_non_exhaustive()
    }
}

impl Drop for BallotEncryption<'_> {
    fn drop(&mut self) {
        for w in self.range_witnesses.iter_mut().flatten() {
            w.0.zeroize();
            w.1.zeroize();
            w.2.zeroize();
        }
    }
}

impl<'a> BallotEncryption<'a> {
    /// Checks the selections against every contest's rules; nothing is encrypted yet.
    pub fn new(
        ctx: &'a BallotContext,
        credential: &PublicKey,
        weight: u64,
        board_size: u64,
        selections: &[Vec<u64>],
    ) -> Result<Self> {
        if selections.len() != ctx.plans.len() {
            return Err(Error::InvalidSelection {
                contest: selections.len().min(ctx.plans.len()),
                reason: "one selection per contest is required",
            });
        }
        for (i, (plan, values)) in ctx.plans.iter().zip(selections).enumerate() {
            plan.contest.check_selection(i, values)?;
        }
        Ok(BallotEncryption {
            ctx,
            weight,
            secrets: BallotSecrets {
                values: selections.to_vec(),
                randomness: Vec::with_capacity(ctx.plans.len()),
            },
            ballot: EncryptedBallot {
                fingerprint: ctx.fingerprint,
                credential: *credential,
                board_size,
                contests: Vec::with_capacity(ctx.plans.len()),
            },
            range_witnesses: Vec::with_capacity(ctx.plans.len()),
            stage: if ctx.plans.is_empty() {
                Stage::Done
            } else {
                Stage::Encrypt(0)
            },
        })
    }

    /// How many steps the whole encryption takes.
    pub fn steps_total(&self) -> usize {
        let ranged = self.ctx.plans.iter().filter(|p| p.padded > 0).count();
        2 * self.ctx.plans.len() + 1 + ranged
    }

    /// How many steps have run.
    pub fn steps_done(&self) -> usize {
        let contests = self.ctx.plans.len();
        let ranged_before = |c: usize| self.ctx.plans[..c].iter().filter(|p| p.padded > 0).count();
        match &self.stage {
            Stage::Encrypt(c) => *c,
            Stage::Commit(c, _) => contests + c,
            Stage::Respond(_) => 2 * contests,
            Stage::Range(c, _) => 2 * contests + 1 + ranged_before(*c),
            Stage::Done => self.steps_total(),
            Stage::Failed => 0,
        }
    }

    /// Whether every step has run.
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// Runs the next step (nothing once done). After an error the encryptor is spent: every
    /// later step fails and [`Self::finish`] gives nothing, so no partly proven ballot escapes.
    pub fn step<R: RngCore + CryptoRng>(&mut self, rng: &mut R) -> Result<()> {
        self.stage = match core::mem::replace(&mut self.stage, Stage::Failed) {
            Stage::Encrypt(c) => {
                self.encrypt_contest(c, rng);
                if c + 1 < self.ctx.plans.len() {
                    Stage::Encrypt(c + 1)
                } else {
                    Stage::Commit(
                        0,
                        Box::new(SigmaCommitments {
                            transcript: statement(self.ctx, &self.ballot, self.weight),
                            disjunctive: Vec::with_capacity(self.ctx.plans.len()),
                            equality: Vec::with_capacity(self.ctx.plans.len()),
                        }),
                    )
                }
            }
            Stage::Commit(c, mut sigma) => {
                self.commit_contest(c, &mut sigma, rng);
                if c + 1 < self.ctx.plans.len() {
                    Stage::Commit(c + 1, sigma)
                } else {
                    Stage::Respond(sigma)
                }
            }
            Stage::Respond(sigma) => {
                let transcript = self.respond(*sigma);
                self.next_range(0, Box::new(transcript))
            }
            Stage::Range(c, mut t) => {
                self.prove_range(c, &mut t, rng)?;
                self.next_range(c + 1, t)
            }
            Stage::Done => Stage::Done,
            Stage::Failed => {
                return Err(Error::OutOfPhase(
                    "this ballot's encryption failed at an earlier step; encrypt it again",
                ))
            }
        };
        Ok(())
    }

    /// The encrypted ballot and its secrets, once every step has run.
    pub fn finish(mut self) -> Option<(EncryptedBallot, BallotSecrets)> {
        if !self.is_done() {
            return None;
        }
        let credential = self.ballot.credential;
        let ballot = core::mem::replace(
            &mut self.ballot,
            EncryptedBallot {
                fingerprint: self.ctx.fingerprint,
                credential,
                board_size: 0,
                contests: Vec::new(),
            },
        );
        let secrets = core::mem::replace(
            &mut self.secrets,
            BallotSecrets {
                values: Vec::new(),
                randomness: Vec::new(),
            },
        );
        Some((ballot, secrets))
    }

    fn next_range(&self, from: usize, t: Box<ProofTranscript>) -> Stage {
        match (from..self.ctx.plans.len()).find(|&c| self.ctx.plans[c].padded > 0) {
            Some(c) => Stage::Range(c, t),
            None => Stage::Done,
        }
    }

    /// The ciphertexts of contest `c`, and the Pedersen commitments `V = u·G + s·H` to its range
    /// values `u = v − lo` and `hi − v` of each wide claim (padded with commitments to 0).
    fn encrypt_contest<R: RngCore + CryptoRng>(&mut self, c: usize, rng: &mut R) {
        let (ctx, plan, values) = (self.ctx, &self.ctx.plans[c], &self.secrets.values[c]);
        let rs: Vec<Randomness> = values
            .iter()
            .map(|_| Randomness(Scalar::random(rng)))
            .collect();
        let halves: Vec<RistrettoPoint> = values
            .iter()
            .zip(&rs)
            .flat_map(|(&m, r)| ctx.key.encrypt_halves(m, r))
            .collect();
        let points = group::points_from_halves(&halves);
        let ciphertexts: Vec<Ciphertext> = points
            .chunks_exact(2)
            .map(|ab| Ciphertext {
                alpha: ab[0],
                beta: ab[1],
            })
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
                range_commitments.push(Point::from_point(group::mul_g(u) + ctx.h * s));
                witnesses.push((u, rho_u, s));
            }
        }
        while witnesses.len() < plan.padded {
            let s = Scalar::random(rng);
            range_commitments.push(Point::from_point(ctx.h * s));
            witnesses.push((0, Scalar::ZERO, s));
        }
        self.secrets
            .randomness
            .push(rs.iter().map(|r| r.0).collect());
        self.range_witnesses.push(witnesses);
        self.ballot.contests.push(ContestBallot {
            ciphertexts,
            disjunctive: Vec::new(),
            range_commitments,
            equality: Vec::new(),
            range_proof: Vec::new(),
        });
    }

    /// The first messages of contest `c`'s disjunctive and equality proofs.
    fn commit_contest<R: RngCore + CryptoRng>(
        &self,
        c: usize,
        sigma: &mut SigmaCommitments,
        rng: &mut R,
    ) {
        let plan = &self.ctx.plans[c];
        let (cts, values, rs) = (
            &self.ballot.contests[c].ciphertexts,
            &self.secrets.values[c],
            &self.secrets.randomness[c],
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
            dps.push(DisjunctiveProver::commit(
                &self.ctx.key,
                &derived(cts, &claim.coefficients),
                claim.lo,
                claim.hi,
                v,
                &rho,
                rng,
            ));
        }
        let eps = self.range_witnesses[c]
            .iter()
            .take(plan.range_values)
            .map(|(u, rho, s)| {
                EqualityProver::commit(&self.ctx.key, &self.ctx.h, &Scalar::from(*u), rho, s, rng)
            })
            .collect();
        sigma.disjunctive.push(dps);
        sigma.equality.push(eps);
    }

    /// One challenge `c` for every sigma proof of the ballot, and their responses.
    fn respond(&mut self, sigma: SigmaCommitments) -> ProofTranscript {
        let SigmaCommitments {
            mut transcript,
            mut disjunctive,
            equality,
        } = sigma;
        disjunctive::compress_commitments(disjunctive.iter_mut().flatten());
        for (dps, eps) in disjunctive.iter().zip(&equality) {
            for p in dps {
                p.append(&mut transcript);
            }
            for p in eps {
                p.append(&mut transcript);
            }
        }
        let c = transcript.challenge(b"challenge");
        for (ci, (dps, eps)) in disjunctive.into_iter().zip(equality).enumerate() {
            self.ballot.contests[ci].disjunctive = dps.into_iter().map(|p| p.respond(&c)).collect();
            self.ballot.contests[ci].equality = eps.into_iter().map(|p| p.respond(&c)).collect();
        }
        transcript
    }

    /// Contest `c`'s Bulletproof over its range commitments, on the ballot's transcript.
    fn prove_range<R: RngCore + CryptoRng>(
        &mut self,
        c: usize,
        t: &mut ProofTranscript,
        rng: &mut R,
    ) -> Result<()> {
        let plan = &self.ctx.plans[c];
        t.u64(b"range-contest", c as u64);
        let mut values: Vec<u64> = self.range_witnesses[c].iter().map(|w| w.0).collect();
        let mut blindings: Vec<Scalar> = self.range_witnesses[c].iter().map(|w| w.2).collect();
        let gens = self
            .ctx
            .range
            .as_ref()
            .expect("range generators exist when a contest has range values");
        let proof = range::prove(gens, t, &values, &blindings, plan.bits, rng);
        values.zeroize();
        blindings.zeroize();
        // Only this proof needs them.
        for w in &mut self.range_witnesses[c] {
            w.0.zeroize();
            w.1.zeroize();
            w.2.zeroize();
        }
        self.ballot.contests[c].range_proof = proof?;
        Ok(())
    }
}

impl EncryptedBallot {
    /// The tracking code, shown before the voter casts or audits.
    pub fn tracking_code(&self) -> TrackingCode {
        TrackingCode(tagged_hash(tags::TRACKING_CODE, &self.to_bytes()))
    }

    /// Signs the ballot with its credential for casting.
    pub fn cast(self, credential: &Credential) -> Result<Ballot> {
        if credential.public_key() != self.credential {
            return Err(credential_mismatch());
        }
        let signature = credential.sign(signature::tags::BALLOT, &self.to_bytes());
        Ok(Ballot {
            encrypted: self,
            signature,
        })
    }

    /// Every ciphertext, for the duplicate checks.
    pub fn ciphertexts(&self) -> impl Iterator<Item = &Ciphertext> {
        self.contests.iter().flat_map(|c| c.ciphertexts.iter())
    }
}

impl Ballot {
    /// The tracking code (that of the encrypted ballot).
    pub fn tracking_code(&self) -> TrackingCode {
        self.encrypted.tracking_code()
    }

    /// Every ciphertext, for the duplicate checks.
    pub fn ciphertexts(&self) -> impl Iterator<Item = &Ciphertext> {
        self.encrypted.ciphertexts()
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

impl Encode for EncryptedBallot {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.fingerprint);
        self.credential.encode(out);
        put_u64(out, self.board_size);
        put_vec(out, &self.contests);
    }
}

impl Decode for EncryptedBallot {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(EncryptedBallot {
            fingerprint: r.array("fingerprint")?,
            credential: PublicKey::decode(r, "credential")?,
            board_size: r.u64("board size")?,
            contests: r.vec(limits::CONTESTS, 16, "contests", ContestBallot::decode)?,
        })
    }
}

impl Encode for Ballot {
    fn encode(&self, out: &mut Vec<u8>) {
        self.encrypted.encode(out);
        out.extend_from_slice(&self.signature);
    }
}

impl Decode for Ballot {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Ballot {
            encrypted: EncryptedBallot::decode(r)?,
            signature: r.array("ballot signature")?,
        })
    }
}

/// A ballot that passed V10's cryptographic checks. Only verification makes one.
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

/// Spec §11.4 step 1: the ballot is for this election (checked first, so that a ballot for another
/// election is named as such rather than as a bad signature).
fn check_fingerprint(ctx: &BallotContext, b: &EncryptedBallot, what: &'static str) -> Result<()> {
    if b.fingerprint != ctx.fingerprint {
        return Err(Error::WrongElection {
            what,
            reason: "its fingerprint is another election's",
        });
    }
    Ok(())
}

fn shape_error(contest: usize, reason: &'static str) -> Error {
    Error::BallotShape { contest, reason }
}

/// Runs every check of an encrypted ballot's shape and proofs except the batched equation, adding
/// its equations to `batch` (spec §11.4, steps 2 and 4; callers check step 1 and the signature).
fn collect<R: RngCore + CryptoRng>(
    ctx: &BallotContext,
    ballot: &EncryptedBallot,
    weight: u64,
    batch: &mut BatchVerifier,
    rng: &mut R,
) -> Result<()> {
    if ballot.contests.len() != ctx.plans.len() {
        return Err(shape_error(
            ballot.contests.len().min(ctx.plans.len()),
            "the ballot has the wrong number of contests",
        ));
    }
    for (ci, (cb, plan)) in ballot.contests.iter().zip(&ctx.plans).enumerate() {
        let disjunctive = plan.claims.iter().filter(|c| c.is_disjunctive()).count();
        if cb.ciphertexts.len() != plan.slots() {
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

    let mut t = statement(ctx, ballot, weight);
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
        let mut coef = vec![CiphertextCoefficients::default(); plan.slots()];
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

/// Adds a ballot's checks: shape and proofs, then (cheaper to fail on, but done after the shape so the
/// error names the most specific problem) the signature.
fn collect_signed<R: RngCore + CryptoRng>(
    ctx: &BallotContext,
    ballot: &Ballot,
    weight: u64,
    batch: &mut BatchVerifier,
    rng: &mut R,
) -> Result<()> {
    check_fingerprint(ctx, &ballot.encrypted, "ballot")?;
    ballot.encrypted.credential.verify(
        signature::tags::BALLOT,
        &ballot.encrypted.to_bytes(),
        &ballot.signature,
        "ballot",
    )?;
    collect(ctx, &ballot.encrypted, weight, batch, rng)
}

/// V10 (cryptographic part, spec §11.4): signature, shape and every proof of one ballot, for a
/// credential of weight `weight`. The caller checks that the credential is listed with that weight.
/// `rng` draws the batch weights and must be unpredictable to the prover (use the OS's RNG).
pub fn verify<R: RngCore + CryptoRng>(
    ctx: &BallotContext,
    ballot: Ballot,
    weight: u64,
    rng: &mut R,
) -> Result<VerifiedBallot> {
    let mut batch = BatchVerifier::with_capacity(64);
    collect_signed(ctx, &ballot, weight, &mut batch, rng)?;
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
        let r = collect_signed(ctx, ballot, *weight, &mut own, rng);
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
    fn signed_bytes(&self) -> Vec<u8> {
        let mut out = self.encrypted.to_bytes();
        put_openings(&mut out, &self.openings);
        out
    }

    /// V11: the signature, the proofs (as for a cast ballot of weight `weight`), and every opening;
    /// returns the revealed values.
    pub fn verify<R: RngCore + CryptoRng>(
        &self,
        ctx: &BallotContext,
        weight: u64,
        rng: &mut R,
    ) -> Result<Vec<Vec<u64>>> {
        check_fingerprint(ctx, &self.encrypted, "audited ballot")?;
        self.encrypted.credential.verify(
            signature::tags::AUDITED_BALLOT,
            &self.signed_bytes(),
            &self.signature,
            "audited ballot",
        )?;
        let mut batch = BatchVerifier::with_capacity(64);
        collect(ctx, &self.encrypted, weight, &mut batch, rng)?;
        if !batch.verify(ctx.key.point().point(), &ctx.h) {
            return Err(Error::InvalidProof {
                what: "audited ballot validity proofs",
            });
        }
        self.check_openings(&ctx.key)
    }

    /// Every opening opens its ciphertext; returns the revealed values.
    pub fn check_openings(&self, key: &ElectionPublicKey) -> Result<Vec<Vec<u64>>> {
        if self.openings.len() != self.encrypted.contests.len() {
            return Err(shape_error(
                0,
                "audited ballot: one opening per contest is required",
            ));
        }
        for (ci, (cb, ops)) in self
            .encrypted
            .contests
            .iter()
            .zip(&self.openings)
            .enumerate()
        {
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

fn put_openings(out: &mut Vec<u8>, openings: &[Vec<(u64, Scalar)>]) {
    put_len(out, openings.len());
    for ops in openings {
        put_len(out, ops.len());
        for (m, r) in ops {
            put_u64(out, *m);
            put_scalar(out, r);
        }
    }
}

impl Encode for AuditedBallot {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.signed_bytes());
        out.extend_from_slice(&self.signature);
    }
}

impl Decode for AuditedBallot {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(AuditedBallot {
            encrypted: EncryptedBallot::decode(r)?,
            openings: r.vec(limits::CONTESTS, 4, "openings", |r| {
                r.vec(limits::OPTIONS, 40, "contest openings", |r| {
                    Ok((
                        r.u64("plaintext")?,
                        decode_scalar(r, "revealed randomness")?,
                    ))
                })
            })?,
            signature: r.array("audited ballot signature")?,
        })
    }
}
