//! The record verifier (spec §15): leaves are fed in log order and each is checked against every
//! V-step it touches before any state changes, so a failed [`RecordVerifier::push`] leaves the
//! verifier as it was. A board runs the same checks to refuse a post; an observer runs them over the
//! whole record. V1 (checkpoints against the tree) is the caller's, with [`crate::merkle`].
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

use crate::ballot::{self, BallotContext, EncryptedBallot, TrackingCode};
use crate::context::ElectionContext;
use crate::credentials::CredentialList;
use crate::dkg::{
    CeremonyOutcome, CeremonyParams, CeremonyRecord, Complaint, Round1Package, Round1Set,
    Round2Package,
};
use crate::elgamal::Ciphertext;
use crate::encoding::Encode;
use crate::error::{Error, Result};
use crate::hash::Digest32;
use crate::manifest::Manifest;
use crate::mixdecrypt::{self, MixDecryption};
use crate::mixnet::{self, RankedCount};
use crate::record::{next_phase_ok, Entry, Leaf, Phase, SignedEntry, Writer};
use crate::shuffle::{self, Row};
use crate::tally::{
    self, EncryptedTally, PartialDecryption, RecomputedTally, Results, TallyAccumulator,
};

/// The verification steps of spec §15.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// V1: checkpoints and the Merkle tree.
    V1Log,
    /// V2: canonical leaves, times in order.
    V2Leaves,
    /// V3: the manifest.
    V3Manifest,
    /// V4: writers, phases, counts, the voting window.
    V4WritersAndPhases,
    /// V5: key ceremony round 1.
    V5Round1,
    /// V6: shares and complaints.
    V6Complaints,
    /// V7: the election key.
    V7ElectionKey,
    /// V8: the credential list.
    V8Credentials,
    /// V9: the fingerprint.
    V9Fingerprint,
    /// V10: ballots.
    V10Ballots,
    /// V11: audited ballots.
    V11Audits,
    /// V12: counted ballots.
    V12Counted,
    /// V13: the encrypted tally.
    V13Tally,
    /// V14: partial decryptions.
    V14PartialDecryptions,
    /// V15: results.
    V15Results,
    /// V16: the ballots' times, bounded by the witnesses' clocks.
    V16WitnessedTime,
    /// V17: the mixes of every ranked contest.
    V17Mixes,
    /// V18: the decryption shares of every ranked contest's last mix.
    V18MixDecryptions,
    /// V19: every ranked contest's papers and count sheet, recounted.
    V19RankedCounts,
}

impl Step {
    /// The step's name as the specification gives it.
    pub fn name(self) -> &'static str {
        match self {
            Step::V1Log => "V1 log",
            Step::V2Leaves => "V2 leaves",
            Step::V3Manifest => "V3 manifest",
            Step::V4WritersAndPhases => "V4 writers and phases",
            Step::V5Round1 => "V5 key ceremony round 1",
            Step::V6Complaints => "V6 shares and complaints",
            Step::V7ElectionKey => "V7 election key",
            Step::V8Credentials => "V8 credentials",
            Step::V9Fingerprint => "V9 fingerprint",
            Step::V10Ballots => "V10 ballots",
            Step::V11Audits => "V11 audited ballots",
            Step::V12Counted => "V12 counted ballots",
            Step::V13Tally => "V13 encrypted tally",
            Step::V14PartialDecryptions => "V14 partial decryptions",
            Step::V15Results => "V15 results",
            Step::V16WitnessedTime => "V16 witnessed time",
            Step::V17Mixes => "V17 mixes",
            Step::V18MixDecryptions => "V18 mix decryptions",
            Step::V19RankedCounts => "V19 ranked counts",
        }
    }
}

/// A failed step: which, at which leaf, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The step.
    pub step: Step,
    /// The leaf index at fault.
    pub index: u64,
    /// What is wrong.
    pub error: Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed at entry {}: {}",
            self.step.name(),
            self.index,
            self.error
        )
    }
}

fn rule(reason: &'static str) -> Error {
    Error::Malformed {
        what: "record",
        reason,
    }
}

/// A credential's counted ballot so far (V12): the largest `(board_size, index)`.
#[derive(Clone, Copy)]
struct CountedSlot {
    board_size: u64,
    /// [`CountedSlot::NONE`] while the credential has no ballot.
    index: u64,
}

impl CountedSlot {
    const NONE: u64 = u64::MAX;
    const EMPTY: CountedSlot = CountedSlot {
        board_size: 0,
        index: Self::NONE,
    };
}

/// A ballot that becomes its credential's counted one.
struct Counted {
    position: usize,
    slot: CountedSlot,
    /// Kept only when not streaming, for V13: the weight and the ciphertexts.
    ciphertexts: Option<(u64, Vec<Vec<Ciphertext>>)>,
    /// Kept always: the rows of the ranked contests, in manifest order (V17's first input).
    ranked: Vec<Row>,
}

/// One ranked contest's mixing ceremony so far (V17–V19).
#[derive(Clone)]
struct Mixing {
    contest: u32,
    mixers: Vec<u32>,
    /// The last mix's output rows.
    last: Option<Arc<Vec<Row>>>,
    decryptions: Vec<MixDecryption>,
    count: Option<RankedCount>,
}

struct Voting {
    election: ElectionContext,
    ballots: BallotContext,
    /// Prefix of the V10 ciphertext digests, drawn by this verifier: nobody who writes the record
    /// can search for two ciphertexts whose (truncated) digests collide.
    digest_salt: [u8; 16],
    /// The voting-open entry's leaf index.
    opened_at: u64,
}

/// What a complete check established.
#[derive(Debug)]
pub struct VerifiedRecord {
    /// The manifest.
    pub manifest: Manifest,
    /// The fingerprint (if voting opened).
    pub fingerprint: Option<Digest32>,
    /// The phase the record reached.
    pub phase: Phase,
    /// Leaves checked.
    pub leaves: u64,
    /// The key ceremony's outcome (if it completed).
    pub ceremony: Option<CeremonyOutcome>,
    /// Cast ballots on the record (revotes included).
    pub ballots: u64,
    /// Credentials with a counted ballot.
    pub counted: u64,
    /// Audited ballots with their revealed values.
    pub audited: Vec<(TrackingCode, Vec<Vec<u64>>)>,
    /// The encrypted tally (if posted).
    pub tally: Option<EncryptedTally>,
    /// Trustees whose partial decryptions were used.
    pub decrypting_trustees: Vec<u32>,
    /// The results (if published).
    pub results: Option<Results>,
    /// Each ranked contest's mixers in order: (contest, trustees).
    pub mixers: Vec<(u32, Vec<u32>)>,
    /// Each ranked contest's trustees whose mix decryptions are on the record.
    pub mix_decrypting_trustees: Vec<(u32, Vec<u32>)>,
    /// The ranked contests' published (and recounted) papers and count sheets.
    pub ranked_counts: Vec<RankedCount>,
}

/// The V10 sets: hash sets, not ordered ones, because a million ballots put five million digests
/// in them and a B-tree costs a cache miss per level on every lookup (a board's restart and the
/// verifier both spend most of their set time there).
type DigestSet<T> = hashbrown::HashSet<T, DigestHashing>;

/// Hashes the sets' keys (SHA-256 outputs: tracking codes, salted ciphertext digests) with a cheap
/// mix under a key derived from the verifier's secret digest salt, so that nobody who writes the
/// record can aim entries at one bucket.
#[derive(Clone, Copy, Default)]
struct DigestHashing {
    key: u64,
}

impl DigestHashing {
    fn keyed(salt: &[u8; 16]) -> Self {
        let digest = Sha256::new()
            .chain_update(b"thistle-v1/verifier/set-key")
            .chain_update(salt)
            .finalize();
        DigestHashing {
            key: u64::from_le_bytes(digest[..8].try_into().expect("8 bytes")),
        }
    }
}

impl core::hash::BuildHasher for DigestHashing {
    type Hasher = DigestHasher;
    fn build_hasher(&self) -> DigestHasher {
        DigestHasher {
            key: self.key,
            state: self.key,
        }
    }
}

struct DigestHasher {
    key: u64,
    state: u64,
}

impl core::hash::Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.state = (self.state ^ u64::from_le_bytes(word))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(29);
        }
    }

    fn finish(&self) -> u64 {
        (self.state ^ self.key).wrapping_mul(0xff51_afd7_ed55_8ccd | self.key | 1)
    }
}

/// Checks a record leaf by leaf (V2–V15).
pub struct RecordVerifier {
    index: u64,
    last_time: u64,
    phase: Phase,
    manifest: Option<(Manifest, Digest32, CeremonyParams)>,
    round1: Vec<Round1Package>,
    round2: Vec<Round2Package>,
    complaints: Vec<Complaint>,
    credentials: Option<Arc<CredentialList>>,
    ceremony: Option<CeremonyOutcome>,
    voting: Option<Arc<Voting>>,
    /// Short tracking codes of voter entries (distinct short codes imply distinct full codes).
    /// Emptied when voting closes, like `ciphertexts`.
    short_codes: DigestSet<[u8; 15]>,
    /// The first 16 bytes of SHA-256(salt ‖ encoding) of every voter-entry ciphertext. Equal
    /// encodings always collide, so nothing repeated passes; a false alarm needs a collision of
    /// 128 bits under a salt the record's writers never see.
    ciphertexts: DigestSet<[u8; 16]>,
    /// One slot per listed credential, in list order (V12), from the opening.
    counted: Vec<CountedSlot>,
    counted_len: u64,
    /// Not streaming: the counted ballots' weights and ciphertexts, by list position (V13).
    counted_ciphertexts: BTreeMap<usize, (u64, Vec<Vec<Ciphertext>>)>,
    /// The counted ballots' ranked rows, by list position, kept in both modes (a mix needs its
    /// whole input at once): 64 bytes per rank position per counted ballot.
    ranked_rows: BTreeMap<usize, Vec<Row>>,
    /// One per ranked contest, in manifest order.
    mixing: Vec<Mixing>,
    ballots: u64,
    audited: Vec<(TrackingCode, Vec<Vec<u64>>)>,
    tally: Option<EncryptedTally>,
    partials: Vec<PartialDecryption>,
    results: Option<Results>,
    /// Streaming mode: counted ballots keep no ciphertexts, and V13 waits for
    /// [`RecordVerifier::confirm_tally`]; holds the tally leaf's index until then.
    streaming: bool,
    unconfirmed_tally: Option<u64>,
    /// The V10 digest salt to use at the opening instead of a random one (a board that persists
    /// [`Admission`]s needs the same salt after a restart).
    fixed_salt: Option<[u8; 16]>,
}

impl Default for RecordVerifier {
    fn default() -> Self {
        Self::new()
    }
}

/// What one leaf changes, computed before anything is applied. One lives per push, briefly, so its
/// size does not matter.
#[allow(clippy::large_enum_variant)]
enum Change {
    Manifest(Manifest, Digest32, CeremonyParams),
    Phase(Phase, Option<(CeremonyOutcome, Arc<Voting>)>),
    Round1(Round1Package),
    Round2(Round2Package),
    Complaint(Complaint),
    Credentials(Arc<CredentialList>),
    Ballot {
        counted: Option<Counted>,
        code: TrackingCode,
        cts: Vec<[u8; 16]>,
    },
    Audit {
        code: TrackingCode,
        values: Vec<Vec<u64>>,
        cts: Vec<[u8; 16]>,
    },
    Tally(EncryptedTally),
    Partial(PartialDecryption),
    Results(Results),
    Mix {
        slot: usize,
        mixer: u32,
        rows: Arc<Vec<Row>>,
    },
    MixDecryption {
        slot: usize,
        decryption: MixDecryption,
    },
    RankedCount {
        slot: usize,
        count: RankedCount,
    },
}

impl RecordVerifier {
    /// An empty verifier, expecting the manifest as leaf 0.
    pub fn new() -> Self {
        RecordVerifier {
            index: 0,
            last_time: 0,
            phase: Phase::Setup,
            manifest: None,
            round1: Vec::new(),
            round2: Vec::new(),
            complaints: Vec::new(),
            credentials: None,
            ceremony: None,
            voting: None,
            short_codes: DigestSet::default(),
            ciphertexts: DigestSet::default(),
            counted: Vec::new(),
            counted_len: 0,
            counted_ciphertexts: BTreeMap::new(),
            ranked_rows: BTreeMap::new(),
            mixing: Vec::new(),
            ballots: 0,
            audited: Vec::new(),
            tally: None,
            partials: Vec::new(),
            results: None,
            streaming: false,
            unconfirmed_tally: None,
            fixed_salt: None,
        }
    }

    /// Uses `salt` for the V10 ciphertext digests instead of drawing one at the opening. It must
    /// stay secret from everyone who writes the record (a board derives it from its own key), or
    /// they could search for colliding digests.
    pub fn with_digest_salt(self, salt: [u8; 16]) -> Self {
        RecordVerifier {
            fixed_salt: Some(salt),
            ..self
        }
    }

    /// A verifier whose memory does not grow with the ballots' size: counted ballots are kept as
    /// (credential, board size, index, weight) only, and V13 is left to the caller, who recomputes
    /// the tally in a second pass over the record (§12.1, §12.6) and hands it to
    /// [`Self::confirm_tally`]; [`Self::finish`] fails until it has.
    pub fn streaming() -> Self {
        RecordVerifier {
            streaming: true,
            ..Self::new()
        }
    }

    /// V13 for a streaming verifier: `recomputed` (the sum of the counted ballots, weights applied,
    /// computed by the caller over exactly the ballots [`Self::counted`] names) must equal the
    /// posted encrypted tally.
    pub fn confirm_tally(&mut self, recomputed: &RecomputedTally) -> Result<(), Failure> {
        let Some(index) = self.unconfirmed_tally else {
            return Ok(());
        };
        let posted = self.tally.as_ref().expect("a tally leaf was recorded");
        if !recomputed.matches(posted) {
            return Err(Failure {
                step: Step::V13Tally,
                index,
                error: rule("the encrypted tally is not the sum of the counted ballots"),
            });
        }
        self.unconfirmed_tally = None;
        Ok(())
    }

    /// The next leaf's index.
    pub fn len(&self) -> u64 {
        self.index
    }

    /// Whether no leaf was accepted yet.
    pub fn is_empty(&self) -> bool {
        self.index == 0
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The manifest and `ManifestHash`, once leaf 0 is in.
    pub fn manifest(&self) -> Option<(&Manifest, &Digest32)> {
        self.manifest.as_ref().map(|(m, h, _)| (m, h))
    }

    /// The fingerprint, once voting has opened.
    pub fn fingerprint(&self) -> Option<&Digest32> {
        self.voting.as_ref().map(|v| &v.election.fingerprint)
    }

    /// Checks the next leaf and, only if every check passes, records it. `rng` draws the batch
    /// verification weights and must be unpredictable to whoever wrote the record.
    pub fn push<R: RngCore + CryptoRng>(
        &mut self,
        leaf_bytes: &[u8],
        rng: &mut R,
    ) -> Result<(), Failure> {
        let leaf = Leaf::from_bytes(leaf_bytes, self.threshold())
            .map_err(|e| self.fail(Step::V2Leaves, e))?;
        self.push_leaf(&leaf, rng)
    }

    /// [`Self::push`] for a leaf the caller decoded itself with [`Leaf::from_bytes`] and
    /// [`Self::threshold`] (V2: only that decoding is canonical), so that a caller who keeps the
    /// decoded entry does not decode it twice.
    pub fn push_leaf<R: RngCore + CryptoRng>(
        &mut self,
        leaf: &Leaf,
        rng: &mut R,
    ) -> Result<(), Failure> {
        let change = self.check(leaf, None, rng)?;
        self.apply(change);
        self.index += 1;
        Ok(())
    }

    /// The threshold the next leaf decodes with (1 until the manifest is in).
    pub fn threshold(&self) -> u32 {
        self.manifest.as_ref().map_or(1, |(m, _, _)| m.threshold)
    }

    /// Appends a voter entry whose signature and proofs a [`VoterEntryChecker`] already verified,
    /// as a leaf with board time `time`, after every check that depends on the log so far (V4
    /// phase and window, V10 board size, credential and uniqueness, V12). An entry checked against
    /// another election's context is checked again in full.
    pub fn push_checked<R: RngCore + CryptoRng>(
        &mut self,
        time: u64,
        checked: CheckedVoterEntry,
        rng: &mut R,
    ) -> Result<Admission, Failure> {
        let leaf = Leaf {
            time,
            signed: checked.entry,
        };
        let same_election = self.fingerprint() == Some(&checked.fingerprint);
        let pre = same_election.then_some(checked.revealed);
        let change = self.check(&leaf, pre, rng)?;
        let encrypted = match &leaf.signed.entry {
            Entry::Ballot(b) => &b.encrypted,
            Entry::AuditedBallot(a) => &a.encrypted,
            _ => unreachable!("a checked voter entry is a ballot or an audited ballot"),
        };
        let admission = match &change.0 {
            Change::Ballot { code, cts, .. } | Change::Audit { code, cts, .. } => Admission {
                time,
                board_size: encrypted.board_size,
                credential: *encrypted.credential.as_bytes(),
                position: self
                    .credentials
                    .as_ref()
                    .and_then(|l| l.position(encrypted.credential.as_bytes()))
                    .expect("a checked entry's credential is listed")
                    as u64,
                code: *code,
                digests: cts.clone(),
                revealed: match &change.0 {
                    Change::Audit { values, .. } => Some(values.clone()),
                    _ => None,
                },
                ranked: match &change.0 {
                    Change::Ballot { .. } => {
                        let manifest = &self.manifest.as_ref().expect("voting opened").0;
                        encrypted
                            .contests
                            .iter()
                            .zip(&manifest.contests)
                            .filter(|(_, contest)| contest.is_ranked())
                            .flat_map(|(c, _)| c.ciphertexts.iter().copied())
                            .collect()
                    }
                    _ => Vec::new(),
                },
            },
            _ => unreachable!("voter entries change voter state"),
        };
        self.apply(change);
        self.index += 1;
        Ok(admission)
    }

    /// An admission's flattened ranked ciphertexts split into the ranked contests' rows.
    fn ranked_rows_of(
        &self,
        manifest: &Manifest,
        flat: &[Ciphertext],
        step: Step,
    ) -> Result<Vec<Row>, Failure> {
        let widths: Vec<usize> = manifest
            .contests
            .iter()
            .filter(|c| c.is_ranked())
            .map(|c| c.slots())
            .collect();
        if widths.iter().sum::<usize>() != flat.len() {
            return Err(self.fail(
                step,
                rule("the admission's ranked rows do not fit the manifest"),
            ));
        }
        let mut rest = flat;
        Ok(widths
            .into_iter()
            .map(|w| {
                let (row, tail) = rest.split_at(w);
                rest = tail;
                row.to_vec()
            })
            .collect())
    }

    /// Takes in a voter entry this verifier's owner admitted before (with
    /// [`Self::push_checked`], under the same digest salt) from its [`Admission`] alone: a board
    /// rebuilding its state from its own store at start. Every check that depends on the log runs
    /// again (V2 time order, V4 phase and window, V10 board size, credential and uniqueness, V12);
    /// the entry's decoding, signature and proofs are not checked again. Only a streaming verifier
    /// can do this (it keeps no ballot ciphertexts).
    pub fn readmit(&mut self, a: &Admission) -> Result<(), Failure> {
        let step = if a.revealed.is_some() {
            Step::V11Audits
        } else {
            Step::V10Ballots
        };
        if !self.streaming {
            return Err(self.fail(step, rule("only a streaming verifier readmits entries")));
        }
        if a.time < self.last_time {
            return Err(self.fail(Step::V2Leaves, rule("leaf times must not decrease")));
        }
        let Some((manifest, _, _)) = &self.manifest else {
            return Err(self.fail(
                Step::V3Manifest,
                rule("the first entry must be the manifest"),
            ));
        };
        if self.phase != Phase::VotingOpen || self.voting.is_none() {
            return Err(self.fail(
                Step::V4WritersAndPhases,
                Error::OutOfPhase("this entry is not accepted in the current phase"),
            ));
        }
        self.check_window(manifest, a.time, step)?;
        if a.board_size > self.index {
            return Err(self.fail(
                step,
                rule("the ballot claims a board size larger than its position"),
            ));
        }
        let position = usize::try_from(a.position).unwrap_or(usize::MAX);
        let listed = self.credentials.as_ref().and_then(|l| l.key_at(position));
        if listed != Some(&a.credential) {
            return Err(self.fail(step, Error::UnknownCredential));
        }
        let mut cts = a.digests.clone();
        cts.sort_unstable();
        self.check_new(&a.code, &cts, a.digests.len(), step)?;
        let change = match &a.revealed {
            Some(values) => Change::Audit {
                code: a.code,
                values: values.clone(),
                cts,
            },
            None => Change::Ballot {
                counted: self.counted_change(
                    position,
                    a.board_size,
                    None,
                    self.ranked_rows_of(manifest, &a.ranked, step)?,
                ),
                code: a.code,
                cts,
            },
        };
        self.apply((change, a.time));
        self.index += 1;
        Ok(())
    }

    /// [`Self::push`] for a leaf this verifier's owner checked before committing it: a credential
    /// list is decoded without parsing every key as a point again (a million keys cost seconds);
    /// everything else, and every check, is as [`Self::push`].
    pub fn readmit_leaf<R: RngCore + CryptoRng>(
        &mut self,
        leaf_bytes: &[u8],
        rng: &mut R,
    ) -> Result<(), Failure> {
        if leaf_bytes.get(8) != Some(&5) {
            return self.push(leaf_bytes, rng);
        }
        let decode = || -> Result<Leaf> {
            let mut r = crate::encoding::Reader::new(leaf_bytes);
            let time = r.u64("leaf time")?;
            r.u8("entry tag")?;
            let list = CredentialList::decode_committed(&mut r)?;
            let signature = r.array("entry signature")?;
            r.finish("leaf")?;
            Ok(Leaf {
                time,
                signed: SignedEntry {
                    entry: Entry::CredentialList(list),
                    signature: Some(signature),
                },
            })
        };
        let leaf = decode().map_err(|e| self.fail(Step::V2Leaves, e))?;
        self.push_leaf(&leaf, rng)
    }

    /// What a voter's device needs once voting has opened (§11.8): the voting-open entry's leaf
    /// index and `FingerprintData`.
    pub fn voter_context(&self) -> Option<(u64, Vec<u8>)> {
        let v = self.voting.as_ref()?;
        let e = &v.election;
        Some((
            v.opened_at,
            crate::context::fingerprint_data(
                &e.manifest_hash,
                &e.ceremony,
                &e.credential_list_commitment,
            ),
        ))
    }

    /// The weight of a listed credential, by its key's encoding.
    pub fn credential_weight(&self, key: &[u8; 32]) -> Option<u64> {
        self.credentials.as_ref()?.weight_of_bytes(key)
    }

    /// What this verifier has recorded, comparable between two verifiers of one log: a board
    /// that rebuilds its state from its own store checks it against a full re-verification. The
    /// salted ciphertext digests are counted, not listed (each verifier draws its own salt).
    pub fn summary(&self) -> StateSummary {
        StateSummary {
            leaves: self.index,
            last_time: self.last_time,
            phase: self.phase,
            fingerprint: self.fingerprint().copied(),
            ballots: self.ballots,
            audited: self.audited.clone(),
            counted: self
                .counted
                .iter()
                .enumerate()
                .filter(|(_, slot)| slot.index != CountedSlot::NONE)
                .map(|(position, slot)| (position, slot.board_size, slot.index))
                .collect(),
            short_codes: {
                let mut codes: Vec<[u8; 15]> = self.short_codes.iter().copied().collect();
                codes.sort_unstable();
                codes
            },
            ciphertext_digests: self.ciphertexts.len(),
            counted_ciphertexts: self
                .counted_ciphertexts
                .iter()
                .map(|(position, (weight, rows))| {
                    let bytes = rows.iter().flatten().flat_map(|c| c.to_bytes()).collect();
                    (*position, *weight, bytes)
                })
                .collect(),
            tally: self.tally.is_some(),
            partials: self.partials.iter().map(|p| p.trustee).collect(),
            results: self.results.as_ref().map(|r| r.totals.clone()),
            ranked_rows: self
                .ranked_rows
                .iter()
                .map(|(position, rows)| {
                    (
                        *position,
                        rows.iter().flatten().flat_map(|c| c.to_bytes()).collect(),
                    )
                })
                .collect(),
            mixes: self
                .mixing
                .iter()
                .map(|m| (m.contest, m.mixers.clone()))
                .collect(),
        }
    }

    /// Cast ballots (revotes included) and audited ballots so far.
    pub fn voter_entry_counts(&self) -> (u64, u64) {
        (self.ballots, self.audited.len() as u64)
    }

    /// How many credentials are listed (0 before the credential list).
    pub fn credentials_listed(&self) -> u64 {
        self.credentials.as_ref().map_or(0, |l| l.len() as u64)
    }

    /// Whether the credential list is on the log.
    pub fn has_credential_list(&self) -> bool {
        self.credentials.is_some()
    }

    /// Whether a voter entry with this tracking code (or its short form) is already recorded: a
    /// cheap test a board runs before verifying a ballot's proofs.
    pub fn knows_tracking_code(&self, code: &TrackingCode) -> bool {
        let short: [u8; 15] = code.0[..15].try_into().expect("15 bytes");
        self.short_codes.contains(&short)
    }

    /// A checker for voter entries against the opened election, usable outside this verifier
    /// (on other threads, before sequencing); `None` until voting has opened.
    pub fn voter_entry_checker(&self) -> Option<VoterEntryChecker> {
        Some(VoterEntryChecker {
            voting: self.voting.clone()?,
            credentials: self.credentials.clone()?,
        })
    }

    fn fail(&self, step: Step, error: Error) -> Failure {
        Failure {
            step,
            index: self.index,
            error,
        }
    }

    fn trustee_fault(&self, step: Step, trustee: u32, reason: &'static str) -> Failure {
        self.fail(step, Error::TrusteeMisbehaved { trustee, reason })
    }

    /// `pre`: for a voter entry whose signature and proofs were verified against this election,
    /// what the audit revealed (`Some(None)` for a cast ballot); those checks are then skipped.
    fn check<R: RngCore + CryptoRng>(
        &self,
        leaf: &Leaf,
        pre: Option<Option<Vec<Vec<u64>>>>,
        rng: &mut R,
    ) -> Result<(Change, u64), Failure> {
        if leaf.time < self.last_time {
            return Err(self.fail(Step::V2Leaves, rule("leaf times must not decrease")));
        }
        let Some((manifest, manifest_hash, params)) = &self.manifest else {
            let Entry::Manifest(m) = &leaf.signed.entry else {
                return Err(self.fail(
                    Step::V3Manifest,
                    rule("the first entry must be the manifest"),
                ));
            };
            m.validate().map_err(|e| self.fail(Step::V3Manifest, e))?;
            let hash = m.hash();
            leaf.signed
                .verify_writer(m, &hash)
                .map_err(|e| self.fail(Step::V3Manifest, e))?;
            let params = CeremonyParams::from_manifest(m);
            return Ok((Change::Manifest(m.clone(), hash, params), leaf.time));
        };
        let v4 = |e| self.fail(Step::V4WritersAndPhases, e);
        leaf.signed
            .verify_writer(manifest, manifest_hash)
            .map_err(v4)?;
        let entry = &leaf.signed.entry;
        if !matches!(entry, Entry::Phase { .. }) && !entry.allowed_in(self.phase) {
            return Err(v4(Error::OutOfPhase(
                "this entry is not accepted in the current phase",
            )));
        }
        let change = match entry {
            Entry::Manifest(_) => return Err(v4(Error::Duplicate("only one manifest"))),
            Entry::Phase { phase, fingerprint } => {
                self.check_phase(*phase, fingerprint.as_ref(), manifest, params, rng)?
            }
            Entry::DkgRound1(p) => {
                if self.round1.iter().any(|q| q.dealer == p.dealer) {
                    return Err(self.fail(
                        Step::V5Round1,
                        Error::Duplicate("a trustee posted round 1 twice"),
                    ));
                }
                p.verify(params).map_err(|e| self.fail(Step::V5Round1, e))?;
                Change::Round1(p.clone())
            }
            Entry::DkgRound2(p) => {
                let bad = |reason| self.trustee_fault(Step::V6Complaints, p.dealer, reason);
                if self.round1.len() != params.n as usize {
                    return Err(bad("posted round 2 before every trustee posted round 1"));
                }
                if self.round2.iter().any(|q| q.dealer == p.dealer) {
                    return Err(self.fail(
                        Step::V6Complaints,
                        Error::Duplicate("a trustee posted round 2 twice"),
                    ));
                }
                if !p.is_well_formed(params) {
                    return Err(bad(
                        "round 2 must hold one share for every other trustee, in order",
                    ));
                }
                Change::Round2(p.clone())
            }
            Entry::DkgComplaint(c) => {
                let bad = |reason| self.trustee_fault(Step::V6Complaints, c.complainer, reason);
                if c.complainer == 0
                    || c.complainer > params.n
                    || c.accused == 0
                    || c.accused > params.n
                    || c.complainer == c.accused
                {
                    return Err(bad(
                        "a complaint must name two different trustees of the manifest",
                    ));
                }
                if !self.round2.iter().any(|p| p.dealer == c.accused) {
                    return Err(bad("a complaint must follow the accused's round 2"));
                }
                if self
                    .complaints
                    .iter()
                    .any(|o| o.complainer == c.complainer && o.accused == c.accused)
                {
                    return Err(self.fail(
                        Step::V6Complaints,
                        Error::Duplicate("a trustee complained twice about the same trustee"),
                    ));
                }
                Change::Complaint(c.clone())
            }
            Entry::CredentialList(l) => {
                if self.credentials.is_some() {
                    return Err(self.fail(
                        Step::V8Credentials,
                        Error::Duplicate("only one credential list"),
                    ));
                }
                // Checked here as well as at opening: a list that breaks it could never open.
                crate::context::check_total_weight(manifest, l)
                    .map_err(|e| self.fail(Step::V8Credentials, e))?;
                Change::Credentials(Arc::new(l.clone()))
            }
            Entry::Ballot(b) => self.check_ballot(manifest, leaf.time, b, pre.is_some(), rng)?,
            Entry::AuditedBallot(a) => {
                let voting = self
                    .voting
                    .as_ref()
                    .expect("ballots are only accepted while voting is open");
                self.check_window(manifest, leaf.time, Step::V11Audits)?;
                if a.encrypted.board_size > self.index {
                    return Err(self.fail(
                        Step::V11Audits,
                        rule("the audited ballot claims a board size larger than its position"),
                    ));
                }
                let (_, weight) = self.listed(&a.encrypted, Step::V11Audits)?;
                let (code, cts) = self.check_unique(&a.encrypted, Step::V11Audits)?;
                let values = match pre.flatten() {
                    Some(values) => values,
                    None => a
                        .verify(&voting.ballots, weight, rng)
                        .map_err(|e| self.fail(Step::V11Audits, e))?,
                };
                Change::Audit { code, values, cts }
            }
            Entry::EncryptedTally(t) => {
                if self.tally.is_some() {
                    return Err(
                        self.fail(Step::V13Tally, Error::Duplicate("only one encrypted tally"))
                    );
                }
                if !self.streaming {
                    let mut acc = TallyAccumulator::new(manifest);
                    for (weight, rows) in self.counted_ciphertexts.values() {
                        acc.add_rows(rows.iter().map(Vec::as_slice), *weight)
                            .map_err(|e| self.fail(Step::V13Tally, e))?;
                    }
                    if !acc.finish().matches(t) {
                        return Err(self.fail(
                            Step::V13Tally,
                            rule("the encrypted tally is not the sum of the counted ballots"),
                        ));
                    }
                }
                Change::Tally(t.clone())
            }
            Entry::PartialDecryption(p) => {
                let step = Step::V14PartialDecryptions;
                let ceremony = self
                    .ceremony
                    .as_ref()
                    .expect("the tally phase follows the ceremony");
                let t = self.tally.as_ref().ok_or_else(|| {
                    self.fail(step, Error::OutOfPhase("no encrypted tally to decrypt"))
                })?;
                let y = ceremony.verification_share(p.trustee).ok_or_else(|| {
                    self.trustee_fault(step, p.trustee, "is not a qualified trustee")
                })?;
                if self.partials.iter().any(|q| q.trustee == p.trustee) {
                    return Err(self.fail(
                        step,
                        Error::Duplicate("a trustee posted two partial decryptions"),
                    ));
                }
                let fp = self
                    .voting
                    .as_ref()
                    .expect("voting opened")
                    .election
                    .fingerprint;
                p.verify(&fp, &y, t, rng).map_err(|e| self.fail(step, e))?;
                Change::Partial(p.clone())
            }
            Entry::Mix(m) => self.check_mix(m, rng)?,
            Entry::MixDecryption(d) => {
                let step = Step::V18MixDecryptions;
                let (slot, mixing) = self.mixing_of(d.contest, step)?;
                let Some(last) = &mixing.last else {
                    return Err(self.fail(
                        step,
                        Error::OutOfPhase("this contest has no mix to decrypt"),
                    ));
                };
                let trustee = d.decryption.trustee;
                let y = self.qualified(trustee, step)?;
                if mixing.decryptions.iter().any(|o| o.trustee == trustee) {
                    return Err(self.fail(
                        step,
                        Error::Duplicate("a trustee decrypted this contest's mix twice"),
                    ));
                }
                d.decryption
                    .verify(&self.election().fingerprint, &y, last)
                    .map_err(|e| self.fail(step, e))?;
                Change::MixDecryption {
                    slot,
                    decryption: d.decryption.clone(),
                }
            }
            Entry::RankedCount(c) => self.check_ranked_count(c)?,
            Entry::Results(r) => {
                if let Some(m) = self.mixing.iter().find(|m| m.count.is_none()) {
                    return Err(self.fail(
                        Step::V19RankedCounts,
                        Error::Count(alloc::format!(
                            "the results must follow the count of every ranked contest; contest {} has none",
                            m.contest
                        )),
                    ));
                }
                let t = self
                    .tally
                    .as_ref()
                    .ok_or_else(|| self.fail(Step::V15Results, rule("no encrypted tally")))?;
                let total_weight = self
                    .voting
                    .as_ref()
                    .expect("voting opened")
                    .election
                    .total_weight;
                let refs: Vec<&PartialDecryption> = self.partials.iter().collect();
                let combined = tally::combine(manifest, total_weight, t, &refs)
                    .map_err(|e| self.fail(Step::V15Results, e))?;
                if combined != *r {
                    return Err(self.fail(
                        Step::V15Results,
                        rule("the published results are not the decrypted tally"),
                    ));
                }
                Change::Results(r.clone())
            }
        };
        Ok((change, leaf.time))
    }

    fn check_phase<R: RngCore + CryptoRng>(
        &self,
        next: Phase,
        fingerprint: Option<&Digest32>,
        manifest: &Manifest,
        params: &CeremonyParams,
        rng: &mut R,
    ) -> Result<Change, Failure> {
        let v4 = |reason| self.fail(Step::V4WritersAndPhases, Error::OutOfPhase(reason));
        if !next_phase_ok(self.phase, next) || self.phase >= Phase::Tally {
            return Err(v4(
                "a phase change must move exactly one phase forward, and results end the tally",
            ));
        }
        if fingerprint.is_some() != (next == Phase::VotingOpen) {
            return Err(v4(
                "only the voting-open entry carries the fingerprint, and it must",
            ));
        }
        match next {
            Phase::VotingOpen => {
                let set = Round1Set::verify(params, self.round1.clone())
                    .map_err(|e| self.fail(Step::V5Round1, e))?;
                let record = CeremonyRecord {
                    round1: &set,
                    round2: &self.round2,
                    complaints: &self.complaints,
                };
                let outcome = record
                    .outcome(params, rng)
                    .map_err(|e| self.fail(Step::V7ElectionKey, e))?;
                let credentials = self.credentials.as_ref().ok_or_else(|| {
                    self.fail(
                        Step::V8Credentials,
                        Error::OutOfPhase(
                            "voting cannot open before the credential list is posted",
                        ),
                    )
                })?;
                let election = ElectionContext::new(manifest.clone(), outcome.clone(), credentials)
                    .map_err(|e| self.fail(Step::V8Credentials, e))?;
                if Some(&election.fingerprint) != fingerprint {
                    return Err(self.fail(
                        Step::V9Fingerprint,
                        rule("the voting-open entry's fingerprint is not the recomputed one"),
                    ));
                }
                let ballots = BallotContext::from_election(&election);
                let digest_salt = self.fixed_salt.unwrap_or_else(|| {
                    let mut salt = [0u8; 16];
                    rng.fill_bytes(&mut salt);
                    salt
                });
                Ok(Change::Phase(
                    next,
                    Some((
                        outcome,
                        Arc::new(Voting {
                            election,
                            ballots,
                            digest_salt,
                            opened_at: self.index,
                        }),
                    )),
                ))
            }
            Phase::Tally if self.tally.is_none() => Err(self.fail(
                Step::V13Tally,
                Error::OutOfPhase("the tally phase needs the encrypted tally first"),
            )),
            Phase::Tally
                if self.mixing.iter().any(|m| {
                    m.mixers.len() < manifest.threshold as usize
                        && (m.last.is_some() || !self.ranked_rows.is_empty())
                }) =>
            {
                Err(self.fail(
                    Step::V17Mixes,
                    Error::OutOfPhase(
                        "the tally phase needs every ranked contest mixed by at least t trustees",
                    ),
                ))
            }
            _ => Ok(Change::Phase(next, None)),
        }
    }

    /// The opened election (the ceremony entries follow the opening).
    fn election(&self) -> &ElectionContext {
        &self.voting.as_ref().expect("voting opened").election
    }

    /// The trustee's verification share `Y_j`, if it is qualified.
    fn qualified(&self, trustee: u32, step: Step) -> Result<crate::group::Point, Failure> {
        self.ceremony
            .as_ref()
            .and_then(|c| c.verification_share(trustee))
            .ok_or_else(|| self.trustee_fault(step, trustee, "is not a qualified trustee"))
    }

    /// The ranked contest `contest`'s ceremony state and its slot.
    fn mixing_of(&self, contest: u32, step: Step) -> Result<(usize, &Mixing), Failure> {
        self.mixing
            .iter()
            .enumerate()
            .find(|(_, m)| m.contest == contest)
            .ok_or_else(|| {
                self.fail(
                    step,
                    rule("the entry names no ranked contest of the manifest"),
                )
            })
    }

    /// The first mix's input for ranked contest `slot` (§12.11): the counted ballots' rows, in
    /// the order of their credentials in the credential list.
    pub fn ranked_inputs(&self, slot: usize) -> Vec<Row> {
        self.ranked_rows
            .values()
            .map(|rows| rows[slot].clone())
            .collect()
    }

    /// V17: a mix by a qualified trustee who has not mixed this contest, of the previous mix's
    /// rows (or the counted ballots'), with a shuffle proof that verifies.
    fn check_mix<R: RngCore + CryptoRng>(
        &self,
        m: &mixnet::Mix,
        rng: &mut R,
    ) -> Result<Change, Failure> {
        let step = Step::V17Mixes;
        let (slot, mixing) = self.mixing_of(m.contest, step)?;
        self.qualified(m.mixer, step)?;
        if mixing.mixers.contains(&m.mixer) {
            return Err(self.fail(step, Error::Duplicate("a trustee mixed this contest twice")));
        }
        if m.position as usize != mixing.mixers.len() {
            return Err(self.fail(
                step,
                Error::OutOfPhase(
                    "the mix does not follow the contest's latest mix: mix the latest rows again",
                ),
            ));
        }
        let first;
        let input: &[Row] = match &mixing.last {
            Some(rows) => rows,
            None => {
                first = self.ranked_inputs(slot);
                &first
            }
        };
        if input.is_empty() {
            return Err(self.fail(
                step,
                Error::OutOfPhase("this contest has no counted ballot to mix"),
            ));
        }
        let misbehaved = |reason| self.trustee_fault(step, m.mixer, reason);
        if m.rows.len() != input.len() {
            return Err(misbehaved(
                "its mix has another number of ballots than its input (a ballot dropped or added)",
            ));
        }
        if m.rows.iter().any(|r| r.len() != input[0].len()) {
            return Err(misbehaved(
                "its mix has rows of another width than the contest's ranks",
            ));
        }
        let election = self.election();
        shuffle::verify(
            &election.fingerprint,
            &election.ceremony.joint_key,
            input,
            &m.rows,
            &m.proof,
            rng,
        )
        .map_err(|_| {
            self.fail(
                step,
                Error::TrusteeProof {
                    trustee: m.mixer,
                    what: "shuffle proof (a ballot replaced, duplicated or altered)",
                },
            )
        })?;
        Ok(Change::Mix {
            slot,
            mixer: m.mixer,
            rows: Arc::new(m.rows.clone()),
        })
    }

    /// V19: the papers are the combination of the mix decryptions on the record, and the count
    /// sheet is their recount under the contest's method with the lot seed of §12.8.
    fn check_ranked_count(&self, c: &RankedCount) -> Result<Change, Failure> {
        let step = Step::V19RankedCounts;
        let (slot, mixing) = self.mixing_of(c.contest, step)?;
        if mixing.count.is_some() {
            return Err(self.fail(step, Error::Duplicate("one count per ranked contest")));
        }
        let (manifest, manifest_hash, _) = self.manifest.as_ref().expect("after the manifest");
        let contest = &manifest.contests[c.contest as usize];
        let no_rows = Vec::new();
        let last: &[Row] = mixing.last.as_deref().unwrap_or(&no_rows);
        let rows: Vec<Vec<u16>> = if last.is_empty() {
            Vec::new()
        } else {
            let shares: Vec<&MixDecryption> = mixing.decryptions.iter().collect();
            if shares.len() < manifest.threshold as usize {
                return Err(self.fail(
                    step,
                    Error::OutOfPhase("a ranked count needs the mix decryptions of t trustees"),
                ));
            }
            let values = mixdecrypt::combine(
                last,
                &shares,
                manifest.threshold,
                contest.options.len() as u64,
            )
            .map_err(|e| self.fail(step, e))?;
            values
                .into_iter()
                .map(|row| row.into_iter().map(|v| v as u16).collect())
                .collect()
        };
        if rows != c.rows {
            return Err(self.fail(
                step,
                Error::Count("the published papers are not the decrypted last mix".into()),
            ));
        }
        let seed = mixnet::lot_seed(manifest_hash, c.contest, &rows);
        let recount = mixnet::count(contest, &rows, &seed).map_err(|e| self.fail(step, e))?;
        if let Some(stage) = c.sheet.first_difference(&recount) {
            let what = if stage == 0 {
                alloc::string::String::from(
                    "the published count sheet's valid papers, quota or elected differ from the recount",
                )
            } else {
                alloc::format!(
                    "the published count sheet differs from the recount at stage {stage}"
                )
            };
            return Err(self.fail(step, Error::Count(what)));
        }
        Ok(Change::RankedCount {
            slot,
            count: c.clone(),
        })
    }

    fn check_window(&self, manifest: &Manifest, time: u64, step: Step) -> Result<(), Failure> {
        if time < manifest.opens_at || time >= manifest.closes_at {
            return Err(self.fail(
                step,
                Error::OutOfPhase("posted outside the manifest's voting window"),
            ));
        }
        Ok(())
    }

    /// The ballot's credential's position in the list and its weight.
    fn listed(&self, b: &EncryptedBallot, step: Step) -> Result<(usize, u64), Failure> {
        let list = self.credentials.as_ref();
        list.and_then(|l| {
            let position = l.position(b.credential.as_bytes())?;
            Some((position, l.weight_at(position)?))
        })
        .ok_or_else(|| self.fail(step, Error::UnknownCredential))
    }

    /// Tracking code, short code and every ciphertext must be new (V10).
    fn check_unique(
        &self,
        b: &EncryptedBallot,
        step: Step,
    ) -> Result<(TrackingCode, Vec<[u8; 16]>), Failure> {
        let code = b.tracking_code();
        let salt = &self.voting.as_ref().expect("voting opened").digest_salt;
        let mut cts: Vec<[u8; 16]> = b
            .ciphertexts()
            .map(|c| {
                let digest = Sha256::new()
                    .chain_update(salt)
                    .chain_update(c.to_bytes())
                    .finalize();
                digest[..16].try_into().expect("16 bytes")
            })
            .collect();
        let n = cts.len();
        cts.sort_unstable();
        self.check_new(&code, &cts, n, step)?;
        Ok((code, cts))
    }

    /// V10 uniqueness of sorted digests `cts` (of `n` ciphertexts) and of the code, against the log.
    fn check_new(
        &self,
        code: &TrackingCode,
        cts: &[[u8; 16]],
        n: usize,
        step: Step,
    ) -> Result<(), Failure> {
        if self.knows_tracking_code(code) {
            return Err(self.fail(
                step,
                Error::Duplicate("a ballot with this tracking code is already on the board"),
            ));
        }
        let distinct = cts.windows(2).all(|w| w[0] != w[1]);
        if !distinct || cts.len() != n || cts.iter().any(|c| self.ciphertexts.contains(c)) {
            return Err(self.fail(
                step,
                Error::Duplicate("a ciphertext of this ballot is already on the board"),
            ));
        }
        Ok(())
    }

    fn check_ballot<R: RngCore + CryptoRng>(
        &self,
        manifest: &Manifest,
        time: u64,
        b: &crate::ballot::Ballot,
        proofs_checked: bool,
        rng: &mut R,
    ) -> Result<Change, Failure> {
        let voting = self
            .voting
            .as_ref()
            .expect("ballots are only accepted while voting is open");
        self.check_window(manifest, time, Step::V10Ballots)?;
        if b.encrypted.board_size > self.index {
            return Err(self.fail(
                Step::V10Ballots,
                rule("the ballot claims a board size larger than its position"),
            ));
        }
        let (position, weight) = self.listed(&b.encrypted, Step::V10Ballots)?;
        let (code, cts) = self.check_unique(&b.encrypted, Step::V10Ballots)?;
        if !proofs_checked {
            ballot::verify(&voting.ballots, b.clone(), weight, rng)
                .map_err(|e| self.fail(Step::V10Ballots, e))?;
        }
        let kept = (!self.streaming).then(|| {
            let rows = b.encrypted.contests.iter();
            (weight, rows.map(|c| c.ciphertexts.clone()).collect())
        });
        let ranked = b
            .encrypted
            .contests
            .iter()
            .zip(&manifest.contests)
            .filter(|(_, contest)| contest.is_ranked())
            .map(|(c, _)| c.ciphertexts.clone())
            .collect();
        let counted = self.counted_change(position, b.encrypted.board_size, kept, ranked);
        Ok(Change::Ballot { counted, code, cts })
    }

    /// V12: the ballot at the next index becomes its credential's counted one if its
    /// `(board_size, index)` is the largest so far.
    fn counted_change(
        &self,
        position: usize,
        board_size: u64,
        ciphertexts: Option<(u64, Vec<Vec<Ciphertext>>)>,
        ranked: Vec<Row>,
    ) -> Option<Counted> {
        let candidate = (board_size, self.index);
        let so_far = self.counted[position];
        let replaces =
            so_far.index == CountedSlot::NONE || (so_far.board_size, so_far.index) < candidate;
        replaces.then_some(Counted {
            position,
            slot: CountedSlot {
                board_size,
                index: self.index,
            },
            ciphertexts,
            ranked,
        })
    }

    fn apply(&mut self, (change, time): (Change, u64)) {
        self.last_time = time;
        match change {
            Change::Manifest(m, h, p) => {
                self.mixing = (0u32..)
                    .zip(&m.contests)
                    .filter(|(_, c)| c.is_ranked())
                    .map(|(contest, _)| Mixing {
                        contest,
                        mixers: Vec::new(),
                        last: None,
                        decryptions: Vec::new(),
                        count: None,
                    })
                    .collect();
                self.manifest = Some((m, h, p));
            }
            Change::Phase(p, opened) => {
                self.phase = p;
                if let Some((outcome, voting)) = opened {
                    self.ceremony = Some(outcome);
                    let key = DigestHashing::keyed(&voting.digest_salt);
                    self.short_codes = DigestSet::with_hasher(key);
                    self.ciphertexts = DigestSet::with_hasher(key);
                    self.voting = Some(voting);
                    let listed = self.credentials.as_ref().map_or(0, |l| l.len());
                    self.counted = alloc::vec![CountedSlot::EMPTY; listed];
                }
                if p == Phase::VotingClosed {
                    // No voter entry can follow: what only uniqueness needed goes.
                    self.short_codes = DigestSet::default();
                    self.ciphertexts = DigestSet::default();
                }
            }
            Change::Round1(p) => self.round1.push(p),
            Change::Round2(p) => self.round2.push(p),
            Change::Complaint(c) => self.complaints.push(c),
            Change::Credentials(l) => self.credentials = Some(l),
            Change::Ballot { counted, code, cts } => {
                self.ballots += 1;
                self.note_unique(code, cts);
                if let Some(c) = counted {
                    if self.counted[c.position].index == CountedSlot::NONE {
                        self.counted_len += 1;
                    }
                    self.counted[c.position] = c.slot;
                    if let Some(kept) = c.ciphertexts {
                        self.counted_ciphertexts.insert(c.position, kept);
                    }
                    if !c.ranked.is_empty() {
                        self.ranked_rows.insert(c.position, c.ranked);
                    }
                }
            }
            Change::Audit { code, values, cts } => {
                self.note_unique(code, cts);
                self.audited.push((code, values));
            }
            Change::Tally(t) => {
                if self.streaming {
                    self.unconfirmed_tally = Some(self.index);
                }
                self.tally = Some(t);
            }
            Change::Partial(p) => self.partials.push(p),
            Change::Results(r) => {
                self.results = Some(r);
                self.phase = Phase::ResultsPublished;
            }
            Change::Mix { slot, mixer, rows } => {
                let m = &mut self.mixing[slot];
                m.mixers.push(mixer);
                m.last = Some(rows);
            }
            Change::MixDecryption { slot, decryption } => {
                self.mixing[slot].decryptions.push(decryption)
            }
            Change::RankedCount { slot, count } => self.mixing[slot].count = Some(count),
        }
    }

    fn note_unique(&mut self, code: TrackingCode, cts: Vec<[u8; 16]>) {
        self.short_codes
            .insert(code.0[..15].try_into().expect("15 bytes"));
        self.ciphertexts.extend(cts);
    }

    /// The counted ballot of each credential: (credential, board size, leaf index), in the
    /// credential list's order (V12).
    pub fn counted(&self) -> impl Iterator<Item = ([u8; 32], u64, u64)> + '_ {
        let list = self.credentials.as_deref();
        self.counted
            .iter()
            .enumerate()
            .filter(|(_, c)| c.index != CountedSlot::NONE)
            .map(move |(position, c)| {
                let key = list.and_then(|l| l.key_at(position));
                (*key.expect("slots follow the list"), c.board_size, c.index)
            })
    }

    /// Number of credentials with a counted ballot.
    pub fn counted_len(&self) -> u64 {
        self.counted_len
    }

    /// Ends the check: what the record established, up to the phase it reached.
    pub fn finish(self) -> Result<VerifiedRecord, Failure> {
        if let Some(index) = self.unconfirmed_tally {
            return Err(Failure {
                step: Step::V13Tally,
                index,
                error: rule("the encrypted tally was not recomputed (confirm_tally)"),
            });
        }
        let Some((manifest, _, _)) = self.manifest else {
            return Err(Failure {
                step: Step::V3Manifest,
                index: 0,
                error: rule("the record is empty"),
            });
        };
        Ok(VerifiedRecord {
            manifest,
            fingerprint: self.voting.as_ref().map(|v| v.election.fingerprint),
            phase: self.phase,
            leaves: self.index,
            ceremony: self.ceremony,
            ballots: self.ballots,
            counted: self.counted_len,
            audited: self.audited,
            tally: self.tally,
            decrypting_trustees: self.partials.iter().map(|p| p.trustee).collect(),
            results: self.results,
            mixers: self
                .mixing
                .iter()
                .map(|m| (m.contest, m.mixers.clone()))
                .collect(),
            mix_decrypting_trustees: self
                .mixing
                .iter()
                .map(|m| (m.contest, m.decryptions.iter().map(|d| d.trustee).collect()))
                .collect(),
            ranked_counts: self.mixing.into_iter().filter_map(|m| m.count).collect(),
        })
    }
}

/// What admitting one voter entry recorded ([`RecordVerifier::push_checked`]), enough to take it in
/// again with [`RecordVerifier::readmit`] without decoding or verifying the entry: a board persists
/// it beside the leaf, in the same commit, so that its restart does not grow with the log's
/// size. It is the board's own note, not part of the record: observers verify the record itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    time: u64,
    board_size: u64,
    credential: [u8; 32],
    /// The credential's position in the list (checked against the key when readmitted).
    position: u64,
    code: TrackingCode,
    /// Salted V10 digests of the entry's ciphertexts, sorted.
    digests: Vec<[u8; 16]>,
    /// For an audited ballot, the revealed values.
    revealed: Option<Vec<Vec<u64>>>,
    /// For a ballot, its ranked contests' ciphertexts in manifest order (V17 needs them).
    ranked: Vec<Ciphertext>,
}

impl Admission {
    /// Version 2 added `ranked`; version 1 (no ranked contest possible) still reads.
    const VERSION: u8 = 2;

    /// The leaf's board time.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// The entry's tracking code.
    pub fn tracking_code(&self) -> &TrackingCode {
        &self.code
    }

    /// `u8 version ‖ u64 time ‖ u64 board_size ‖ credential ‖ u64 position ‖ code ‖ digests ‖
    /// revealed ‖ ranked`, with
    /// counts as `u32` and `revealed` behind a presence byte.
    pub fn to_bytes(&self) -> Vec<u8> {
        use crate::encoding::{put_len, put_u64};
        let mut out = Vec::with_capacity(90 + 16 * self.digests.len());
        out.push(Self::VERSION);
        put_u64(&mut out, self.time);
        put_u64(&mut out, self.board_size);
        out.extend_from_slice(&self.credential);
        put_u64(&mut out, self.position);
        out.extend_from_slice(&self.code.0);
        put_len(&mut out, self.digests.len());
        for d in &self.digests {
            out.extend_from_slice(d);
        }
        match &self.revealed {
            None => out.push(0),
            Some(contests) => {
                out.push(1);
                put_len(&mut out, contests.len());
                for values in contests {
                    put_len(&mut out, values.len());
                    for v in values {
                        put_u64(&mut out, *v);
                    }
                }
            }
        }
        put_len(&mut out, self.ranked.len());
        for c in &self.ranked {
            c.encode(&mut out);
        }
        out
    }

    /// Decodes [`Self::to_bytes`] exactly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        use crate::encoding::Reader;
        const MANY: usize = 1 << 16;
        let mut r = Reader::new(bytes);
        let version = r.u8("admission version")?;
        if version != Self::VERSION && version != 1 {
            return Err(Error::Malformed {
                what: "admission",
                reason: "unknown version",
            });
        }
        let time = r.u64("time")?;
        let board_size = r.u64("board size")?;
        let credential = r.array("credential")?;
        let position = r.u64("position")?;
        let code = TrackingCode(r.array("tracking code")?);
        let digests = r.vec(MANY, 16, "digests", |r| r.array("digest"))?;
        let revealed = if r.bool("revealed present")? {
            Some(r.vec(MANY, 4, "contests", |r| {
                r.vec(MANY, 8, "values", |r| r.u64("value"))
            })?)
        } else {
            None
        };
        let ranked = if version == 1 {
            Vec::new()
        } else {
            r.vec(MANY, 64, "ranked", Ciphertext::decode_ballot)?
        };
        r.finish("admission")?;
        Ok(Admission {
            time,
            board_size,
            credential,
            position,
            code,
            digests,
            revealed,
            ranked,
        })
    }
}

/// Verifies voter entries (signature, credential, every proof, and an audit's openings) against an
/// opened election, away from the log: the expensive part of V10–V11, which a board runs on many
/// threads before sequencing. Only [`VoterEntryChecker::check`] makes a [`CheckedVoterEntry`].
#[derive(Clone)]
pub struct VoterEntryChecker {
    voting: Arc<Voting>,
    credentials: Arc<CredentialList>,
}

/// What a [`RecordVerifier`] has recorded ([`RecordVerifier::summary`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateSummary {
    /// Leaves taken in.
    pub leaves: u64,
    /// The latest leaf time.
    pub last_time: u64,
    /// The phase.
    pub phase: Phase,
    /// The fingerprint, once voting opened.
    pub fingerprint: Option<Digest32>,
    /// Cast ballots, revotes included.
    pub ballots: u64,
    /// Audited ballots: tracking code and revealed values.
    pub audited: Vec<(TrackingCode, Vec<Vec<u64>>)>,
    /// Credentials with a counted ballot: list position, its `board_size` and leaf index.
    pub counted: Vec<(usize, u64, u64)>,
    /// Short tracking codes held for the uniqueness check.
    pub short_codes: Vec<[u8; 15]>,
    /// How many ciphertext digests are held for the uniqueness check.
    pub ciphertext_digests: usize,
    /// Counted ballots' ciphertexts (not streaming): position, weight, encodings.
    pub counted_ciphertexts: Vec<(usize, u64, Vec<u8>)>,
    /// Whether the encrypted tally is on the log.
    pub tally: bool,
    /// Trustees whose partial decryptions are on the log.
    pub partials: Vec<u32>,
    /// The published totals.
    pub results: Option<Vec<Vec<u64>>>,
    /// Counted ballots' ranked rows: position, encodings.
    pub ranked_rows: Vec<(usize, Vec<u8>)>,
    /// Each ranked contest's mixers so far.
    pub mixes: Vec<(u32, Vec<u32>)>,
}

/// A voter entry whose signature and proofs verified against the election with `fingerprint`.
#[derive(Debug)]
pub struct CheckedVoterEntry {
    entry: SignedEntry,
    fingerprint: Digest32,
    revealed: Option<Vec<Vec<u64>>>,
}

impl CheckedVoterEntry {
    /// The entry.
    pub fn entry(&self) -> &SignedEntry {
        &self.entry
    }
}

impl VoterEntryChecker {
    /// The election fingerprint the checks run against.
    pub fn fingerprint(&self) -> &Digest32 {
        &self.voting.election.fingerprint
    }

    /// The ballot context (to size and decode ballots).
    pub fn ballots(&self) -> &BallotContext {
        &self.voting.ballots
    }

    /// [`Self::check`] for many entries, with the cast ballots' proofs verified together in one
    /// multiscalar multiplication (§5.6; if it fails, each ballot is checked alone, so each result
    /// names its own failure). Results are in the entries' order.
    pub fn check_batch<R: RngCore + CryptoRng>(
        &self,
        entries: Vec<SignedEntry>,
        rng: &mut R,
    ) -> Vec<Result<CheckedVoterEntry, (Step, Error)>> {
        let mut results: Vec<Option<Result<CheckedVoterEntry, (Step, Error)>>> =
            Vec::with_capacity(entries.len());
        let mut batch: Vec<(ballot::Ballot, u64)> = Vec::new();
        let mut slots: Vec<usize> = Vec::new();
        for entry in entries {
            let plain_ballot = matches!(entry.entry, Entry::Ballot(_))
                && entry.signature.is_none()
                && entry.entry.writer() == Writer::Voter;
            let weight = match &entry.entry {
                Entry::Ballot(b) if plain_ballot => {
                    self.credentials.weight_of(&b.encrypted.credential)
                }
                _ => None,
            };
            match (entry.entry, weight) {
                (Entry::Ballot(b), Some(weight)) => {
                    slots.push(results.len());
                    results.push(None);
                    batch.push((b, weight));
                }
                (other, _) => {
                    let entry = SignedEntry {
                        entry: other,
                        signature: entry.signature,
                    };
                    results.push(Some(self.check(entry, rng)));
                }
            }
        }
        let fingerprint = self.voting.election.fingerprint;
        for (slot, verified) in
            slots
                .into_iter()
                .zip(ballot::verify_batch(&self.voting.ballots, batch, rng))
        {
            results[slot] = Some(match verified {
                Ok(v) => Ok(CheckedVoterEntry {
                    entry: SignedEntry {
                        entry: Entry::Ballot(v.into_inner()),
                        signature: None,
                    },
                    fingerprint,
                    revealed: None,
                }),
                Err(e) => Err((Step::V10Ballots, e)),
            });
        }
        results
            .into_iter()
            .map(|r| r.expect("every entry has a result"))
            .collect()
    }

    /// For a voter entry that a board checked with [`Self::check`] before committing it, read
    /// back from that board's own store when it starts or catches up: the entry is for this
    /// election and its credential is listed, but the signature and proofs are not verified
    /// again. Only a board reading its own committed log may use this; the record verifier that
    /// observers run checks every entry in full (V10, V11), so a store altered behind the board's
    /// back is caught there.
    pub fn admit_committed(&self, entry: SignedEntry) -> Result<CheckedVoterEntry, (Step, Error)> {
        let (step, encrypted) = match &entry.entry {
            Entry::Ballot(b) => (Step::V10Ballots, &b.encrypted),
            Entry::AuditedBallot(a) => (Step::V11Audits, &a.encrypted),
            _ => {
                return Err((
                    Step::V4WritersAndPhases,
                    rule("only ballots and audited ballots are voter entries"),
                ))
            }
        };
        if entry.signature.is_some() {
            return Err((step, rule("ballots carry their own signature")));
        }
        let fingerprint = self.voting.election.fingerprint;
        if encrypted.fingerprint != fingerprint {
            return Err((
                step,
                Error::WrongElection {
                    what: "ballot",
                    reason: "its fingerprint is another election's",
                },
            ));
        }
        self.credentials
            .weight_of(&encrypted.credential)
            .ok_or((step, Error::UnknownCredential))?;
        let revealed = match &entry.entry {
            Entry::AuditedBallot(a) => Some(
                a.openings
                    .iter()
                    .map(|contest| contest.iter().map(|(m, _)| *m).collect())
                    .collect(),
            ),
            _ => None,
        };
        Ok(CheckedVoterEntry {
            entry,
            fingerprint,
            revealed,
        })
    }

    /// The V10 (ballot) or V11 (audited ballot) checks that do not depend on the log: the
    /// credential is listed, the signature and every proof verify, an audit's openings open.
    pub fn check<R: RngCore + CryptoRng>(
        &self,
        entry: SignedEntry,
        rng: &mut R,
    ) -> Result<CheckedVoterEntry, (Step, Error)> {
        let step = match &entry.entry {
            Entry::Ballot(_) => Step::V10Ballots,
            Entry::AuditedBallot(_) => Step::V11Audits,
            _ => {
                return Err((
                    Step::V4WritersAndPhases,
                    rule("only ballots and audited ballots are voter entries"),
                ))
            }
        };
        if entry.entry.writer() != Writer::Voter || entry.signature.is_some() {
            return Err((step, rule("ballots carry their own signature")));
        }
        let encrypted = match &entry.entry {
            Entry::Ballot(b) => &b.encrypted,
            Entry::AuditedBallot(a) => &a.encrypted,
            _ => unreachable!("matched above"),
        };
        let weight = self
            .credentials
            .weight_of(&encrypted.credential)
            .ok_or((step, Error::UnknownCredential))?;
        let revealed = match &entry.entry {
            Entry::Ballot(b) => {
                ballot::verify(&self.voting.ballots, b.clone(), weight, rng)
                    .map_err(|e| (step, e))?;
                None
            }
            Entry::AuditedBallot(a) => Some(
                a.verify(&self.voting.ballots, weight, rng)
                    .map_err(|e| (step, e))?,
            ),
            _ => unreachable!("matched above"),
        };
        Ok(CheckedVoterEntry {
            entry,
            fingerprint: self.voting.election.fingerprint,
            revealed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(revealed: Option<Vec<Vec<u64>>>) -> Admission {
        Admission {
            time: 1_700_000_000,
            board_size: 41,
            credential: [7; 32],
            position: 3,
            code: TrackingCode([9; 32]),
            digests: alloc::vec![[1; 16], [2; 16], [3; 16]],
            revealed,
            ranked: Vec::new(),
        }
    }

    #[test]
    fn admissions_round_trip_exactly() {
        for a in [
            admission(None),
            admission(Some(alloc::vec![alloc::vec![0, 1, 0], alloc::vec![5]])),
        ] {
            let bytes = a.to_bytes();
            assert_eq!(Admission::from_bytes(&bytes).unwrap(), a);
            assert!(Admission::from_bytes(&bytes[..bytes.len() - 1]).is_err());
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(Admission::from_bytes(&longer).is_err(), "trailing bytes");
            let mut other_version = bytes.clone();
            other_version[0] = 3;
            assert!(Admission::from_bytes(&other_version).is_err());
            // A version 1 admission (before ranked rows) still reads, with none.
            let mut v1 = bytes[..bytes.len() - 4].to_vec();
            v1[0] = 1;
            assert_eq!(Admission::from_bytes(&v1).unwrap(), a);
        }
        let g = crate::group::Point::from_point(crate::group::g());
        let ranked = Admission {
            ranked: alloc::vec![Ciphertext { alpha: g, beta: g }; 2],
            ..admission(None)
        };
        assert_eq!(Admission::from_bytes(&ranked.to_bytes()).unwrap(), ranked);
    }

    #[test]
    fn only_a_streaming_verifier_readmits() {
        let mut v = RecordVerifier::new();
        let failure = v.readmit(&admission(None)).unwrap_err();
        assert_eq!(failure.step, Step::V10Ballots);
        assert_eq!(v.len(), 0, "nothing taken in");
        let mut v = RecordVerifier::streaming();
        let failure = v.readmit(&admission(None)).unwrap_err();
        assert_eq!(failure.step, Step::V3Manifest, "no manifest yet");
        assert_eq!(v.len(), 0);
    }
}
