//! The board: one log per election, each with its verifier state, tree, sequencer and checkpoints.
//!
//! Write path: a handler decodes the entry and, for ballots, verifies signature and proofs on its
//! own thread against the opened election ([`VoterEntryChecker`]); the entry then joins the
//! election's queue. The sequencer takes whatever is queued as one batch and, under the store's
//! lock, catches up with leaves other board processes committed, runs the log-dependent checks
//! (phase, window, duplicates, revote order) leaf by leaf with the same `RecordVerifier` observers
//! run, and commits the accepted leaves in one transaction. Only then are receipts signed.
//! Checkpoints are signed on a timer, never per request, and reads never go past the last one.
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use protocol::hash::Digest32;
use protocol::manifest::Manifest;
use protocol::merkle::Checkpoint;
use protocol::record::{Entry, Leaf, Phase, Receipt, SignedEntry};
use protocol::signature::{PublicKey, SecretKey};
use protocol::tally::{RecomputedTally, TallyAccumulator};
use protocol::verify::{Admission, CheckedVoterEntry, RecordVerifier, Step, VoterEntryChecker};
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::error::{ApiError, ErrorCode};
use crate::metrics::Metrics;
use crate::store::{AnyStore, Decision, Store, StoreError, StoredCheckpoint, StoredLeaf};
use crate::tree::{NoteSigner, Tree};
use crate::witnesses::Witnessed;

/// How many queued entries one sequencer transaction takes at most.
const MAX_BATCH: usize = 1024;
/// Entries waiting for the sequencer before posters wait for room.
const QUEUE: usize = 8192;
/// Leaves read per query when loading a log.
const PAGE: u64 = 10_000;

/// The board's settings.
pub struct BoardConfig {
    /// The log origin (checkpoint first line, signed-note key name); manifests must name it.
    pub origin: String,
    /// The board's signing key; manifests must name its public half.
    pub key: SecretKey,
    /// If non-empty, only manifests signed by one of these administrators may create an election.
    pub administrators: Vec<PublicKey>,
    /// How often checkpoints are signed (when the log grew).
    pub checkpoint_interval: Duration,
    /// Back-pressure: what the board takes on at once.
    pub limits: crate::limits::Limits,
}

/// Current Unix time in seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The latest signed checkpoint of a log.
#[derive(Clone, Debug)]
pub struct Published {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Digest32,
    /// The signed note.
    pub note: String,
    /// The voter entries under it, when known (not for a checkpoint reloaded behind the log's
    /// end).
    pub counts: Option<VoterCounts>,
}

/// What a checkpoint covers of the vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoterCounts {
    /// Cast ballots, revotes included.
    pub ballots: u64,
    /// Audited ballots.
    pub audited: u64,
    /// Credentials with a counted ballot (V12).
    pub counted: u64,
    /// Listed credentials (0 before the credential list).
    pub listed: u64,
}

impl VoterCounts {
    fn of(verifier: &RecordVerifier) -> Self {
        let (ballots, audited) = verifier.voter_entry_counts();
        VoterCounts {
            ballots,
            audited,
            counted: verifier.counted_len(),
            listed: verifier.credentials_listed(),
        }
    }
}

/// A posting accepted and committed.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// What the board signs.
    pub receipt: Receipt,
    /// The board's signature over it.
    pub signature: [u8; 64],
    /// Whether the entry was already on the log (a retry), so nothing was appended now.
    pub replayed: bool,
}

enum Pending {
    Voter(CheckedVoterEntry),
    Signed(SignedEntry),
}

struct Job {
    pending: Pending,
    reply: oneshot::Sender<Result<Receipt, ApiError>>,
}

struct State {
    verifier: RecordVerifier,
    tree: Tree,
    /// Leaves known committed (the verifier may briefly hold more, inside an append).
    committed: u64,
    last_time: u64,
    /// A commit failed after the verifier took its leaves: reload before the next batch.
    stale: bool,
    /// Where the phase changed: (first leaf index after the change, phase, fingerprint), so that
    /// status reads can be answered as of a checkpoint.
    phases: Vec<(u64, Phase, Option<Digest32>)>,
    /// Index of the credential list's leaf, once the verifier holds one.
    list_at: Option<u64>,
    /// Every signed (non-voter) leaf's index by SHA-256 of its content and signature (the leaf
    /// without its time): a retried entry that is committed gets its receipt (§13.6). A few
    /// hundred entries at most.
    signed: HashMap<Digest32, u64>,
    /// Leaves of [`crate::limits::LARGE_LEAF`] bytes or more (a credential list, mixes), by
    /// index, with their length: reads take them alone and within a memory budget.
    large: std::collections::BTreeMap<u64, usize>,
}

/// SHA-256 of a leaf's bytes after its time, if it is a signed (non-voter) entry.
fn signed_digest(leaf_bytes: &[u8]) -> Option<Digest32> {
    let content = leaf_bytes.get(8..)?;
    (!matches!(content.first(), Some(6 | 7))).then(|| Sha256::digest(content).into())
}

impl State {
    /// An empty state. The verifier streams (it keeps no ballot ciphertexts: the board checks
    /// the encrypted tally against [`Board::counted_sum`]) and uses the board's salt for the V10
    /// digests, so that resume notes stay valid across restarts and processes.
    fn new(salt: [u8; 16]) -> Self {
        State {
            verifier: RecordVerifier::streaming().with_digest_salt(salt),
            tree: Tree::default(),
            committed: 0,
            last_time: 0,
            stale: false,
            phases: Vec::new(),
            list_at: None,
            signed: HashMap::new(),
            large: std::collections::BTreeMap::new(),
        }
    }

    /// Notes the leaf at `index` if it is a signed entry.
    fn note_signed(&mut self, index: u64, leaf_bytes: &[u8]) {
        if let Some(digest) = signed_digest(leaf_bytes) {
            self.signed.insert(digest, index);
            if leaf_bytes.len() >= crate::limits::LARGE_LEAF {
                self.large.insert(index, leaf_bytes.len());
            }
        }
    }

    /// Notes a phase change or the credential list made by the leaf just pushed.
    fn note_phase(&mut self) {
        if self.list_at.is_none() && self.verifier.has_credential_list() {
            self.list_at = Some(self.verifier.len() - 1);
        }
        let phase = self.verifier.phase();
        let changed = self.phases.last().is_none_or(|(_, p, _)| *p != phase);
        if changed {
            let fingerprint = self.verifier.fingerprint().copied();
            self.phases.push((self.verifier.len(), phase, fingerprint));
        }
    }

    /// Whether the credential list is among the log's first `size` leaves.
    fn has_list_at(&self, size: u64) -> bool {
        self.list_at.is_some_and(|at| at < size)
    }

    /// The phase and fingerprint of the log's first `size` leaves.
    fn phase_at(&self, size: u64) -> (Phase, Option<Digest32>) {
        self.phases
            .iter()
            .rev()
            .find(|(at, _, _)| *at <= size)
            .map_or((Phase::Setup, None), |(_, p, f)| (*p, *f))
    }

    /// Takes in committed leaves from the store that this state does not have yet. Large pages
    /// (loading a log) have their ballots' signatures and proofs checked on every core first.
    fn catch_up(&mut self, leaves: &[StoredLeaf]) -> Result<(), String> {
        let mut prechecked = self.precheck(leaves).into_iter();
        for leaf in leaves {
            let pre = prechecked.next().flatten();
            if leaf.index < self.verifier.len() {
                continue;
            }
            if leaf.index != self.verifier.len() {
                return Err(format!(
                    "leaf {} follows a log of {} leaves",
                    leaf.index,
                    self.verifier.len()
                ));
            }
            let time = leaf_time(&leaf.bytes)
                .ok_or_else(|| format!("stored leaf {} is truncated", leaf.index))?;
            let result = match pre {
                Some(checked) => self
                    .verifier
                    .push_checked(time, checked, &mut OsRng)
                    .map(drop),
                None => self.verifier.push(&leaf.bytes, &mut OsRng),
            };
            result.map_err(|f| format!("stored leaf refused: {f}"))?;
            self.note_phase();
            self.note_signed(leaf.index, &leaf.bytes);
            self.tree.push(&leaf.bytes);
            self.last_time = self.last_time.max(time);
            self.committed = self.verifier.len();
        }
        Ok(())
    }

    /// Takes in the committed leaf `index` from its resume note (a voter entry: no decoding, no
    /// signature or proof check) or else from its bytes (checked as [`RecordVerifier::push`]
    /// does, a credential list without parsing its keys again).
    fn resume(
        &mut self,
        index: u64,
        note: Option<&[u8]>,
        bytes: Option<&[u8]>,
    ) -> Result<(), String> {
        if index != self.verifier.len() {
            return Err(format!(
                "leaf {index} follows a log of {} leaves",
                self.verifier.len()
            ));
        }
        match (note, bytes) {
            (Some(note), _) => {
                let (hash, admission) = note
                    .split_first_chunk::<32>()
                    .ok_or_else(|| format!("the resume note of leaf {index} is truncated"))?;
                let admission = Admission::from_bytes(admission)
                    .map_err(|e| format!("the resume note of leaf {index}: {e}"))?;
                self.verifier
                    .readmit(&admission)
                    .map_err(|f| format!("stored leaf refused: {f}"))?;
                self.tree.push_hash(hash);
                self.last_time = self.last_time.max(admission.time());
            }
            (None, Some(bytes)) => {
                let time =
                    leaf_time(bytes).ok_or_else(|| format!("stored leaf {index} is truncated"))?;
                self.verifier
                    .readmit_leaf(bytes, &mut OsRng)
                    .map_err(|f| format!("stored leaf refused: {f}"))?;
                self.note_phase();
                self.note_signed(index, bytes);
                self.tree.push(bytes);
                self.last_time = self.last_time.max(time);
            }
            (None, None) => return Err(format!("leaf {index} is missing")),
        }
        self.committed = self.verifier.len();
        Ok(())
    }

    /// Takes in the committed leaves `range` from their resume notes (in order) or else from their
    /// bytes; returns how many were readmitted from notes.
    fn resume_page(
        &mut self,
        range: std::ops::Range<u64>,
        notes: Vec<(u64, Vec<u8>)>,
        leaves: Vec<StoredLeaf>,
    ) -> Result<u64, String> {
        let mut notes = notes.into_iter().peekable();
        let mut leaves = leaves.into_iter().peekable();
        let mut readmitted = 0;
        for i in range {
            while leaves.peek().is_some_and(|l| l.index < i) {
                leaves.next();
            }
            match notes.next_if(|(at, _)| *at == i) {
                Some((_, note)) => {
                    self.resume(i, Some(&note), None)?;
                    readmitted += 1;
                }
                None => {
                    let leaf = leaves.next_if(|l| l.index == i);
                    self.resume(i, None, leaf.as_ref().map(|l| l.bytes.as_slice()))?;
                }
            }
        }
        Ok(readmitted)
    }

    /// For each committed leaf, the voter entry admitted against the opened election, if it is
    /// one (anything else is checked in full by `push`). Committed voter entries had their
    /// signatures and proofs verified before the commit, by this process or another sharing the
    /// store, so they are not verified again (`admit_committed`): the log-dependent checks
    /// (window, duplicates, revote order) still run in full.
    fn precheck(&self, leaves: &[StoredLeaf]) -> Vec<Option<CheckedVoterEntry>> {
        const PARALLEL_FROM: usize = 16;
        let checker = match self.verifier.voter_entry_checker() {
            Some(c) if leaves.len() >= PARALLEL_FROM => c,
            _ => return Vec::new(),
        };
        let threshold = self.verifier.manifest().map_or(1, |(m, _)| m.threshold);
        let check = |leaf: &StoredLeaf| {
            let decoded = Leaf::from_bytes(&leaf.bytes, threshold).ok()?;
            if decoded.signed.entry.writer() != protocol::record::Writer::Voter
                || decoded.to_bytes() != leaf.bytes
            {
                return None;
            }
            checker.admit_committed(decoded.signed).ok()
        };
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let chunk = leaves.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = leaves
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().map(check).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("checking thread"))
                .collect()
        })
    }
}

/// A leaf's board time (its first 8 bytes); `None` for a truncated leaf.
pub fn leaf_time(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// A checkpoint sent to the witnesses and the cosignature lines collected for it, by witness.
type Cosigning = (Published, Vec<(usize, String)>);

/// One election's log.
pub struct Election {
    id: String,
    manifest: Manifest,
    manifest_hash: Digest32,
    state: Mutex<State>,
    checker: RwLock<Option<VoterEntryChecker>>,
    published: RwLock<Option<Published>>,
    queue: mpsc::Sender<Job>,
    /// Held by whoever changes the state from the store (the sequencer's append, a reload), so a
    /// reload never replaces a state an append is about to mark committed.
    writer: tokio::sync::Mutex<()>,
    /// Since when committed leaves have waited for a checkpoint (set by the commit that first
    /// went past the latest checkpoint, cleared by the checkpoint that covers everything).
    behind_since: Mutex<Option<std::time::Instant>>,
    /// The sum of the counted ballots once voting has closed (V13 is checked against it).
    counted_sum: RwLock<Option<Arc<RecomputedTally>>>,
    /// Held while the counted ballots are summed.
    summing: tokio::sync::Mutex<()>,
    /// Cosignatures collected for the checkpoint the witnesses were last sent: `(witness, line)`.
    cosigning: Mutex<Option<Cosigning>>,
    /// The latest checkpoint at least `k` of the manifest's witnesses cosigned.
    witnessed: RwLock<Option<Witnessed>>,
}

impl Election {
    /// The election id (hex of `ManifestHash`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// `ManifestHash`.
    pub fn manifest_hash(&self) -> &Digest32 {
        &self.manifest_hash
    }

    /// How much of `start..end` one read takes: up to the first large leaf, or that leaf alone
    /// if it is the first; with the large leaf's length (0 if none is read).
    pub fn read_span(&self, start: u64, end: u64) -> (u64, usize) {
        if start >= end {
            return (end, 0);
        }
        let state = self.state.lock().expect("not poisoned");
        match state.large.range(start..end).next() {
            Some((&at, &len)) if at == start => (start + 1, len),
            Some((&at, _)) => (at, 0),
            None => (end, 0),
        }
    }

    /// The latest signed checkpoint.
    pub fn published(&self) -> Option<Published> {
        self.published.read().expect("not poisoned").clone()
    }

    /// The latest checkpoint at least `k` witnesses cosigned (spec §13.9), with their lines.
    pub fn witnessed(&self) -> Option<Witnessed> {
        self.witnessed.read().expect("not poisoned").clone()
    }

    /// Takes in cosignature lines (each verified by the pusher) for `target`; once `k` witnesses
    /// cosigned it, it is the witnessed checkpoint (if newer).
    pub(crate) fn add_cosignatures(
        &self,
        target: &Published,
        lines: Vec<(usize, String)>,
    ) -> Option<Witnessed> {
        let mut cosigning = self.cosigning.lock().expect("not poisoned");
        let same = cosigning
            .as_ref()
            .is_some_and(|(p, _)| p.size == target.size);
        if !same {
            *cosigning = Some((target.clone(), Vec::new()));
        }
        let (_, collected) = cosigning.as_mut().expect("just set");
        for (i, line) in lines {
            if !collected.iter().any(|(j, _)| *j == i) {
                collected.push((i, line));
            }
        }
        collected.sort();
        let k = self.manifest.witness_quorum as usize;
        if k == 0 || collected.len() < k {
            return None;
        }
        let mut note = target.note.clone();
        for (_, line) in collected.iter() {
            note.push_str(line);
        }
        let witnessed = Witnessed {
            size: target.size,
            root: target.root,
            note,
            cosigners: collected.len(),
        };
        let mut current = self.witnessed.write().expect("not poisoned");
        let newer = current.as_ref().is_none_or(|w| {
            w.size < witnessed.size
                || (w.size == witnessed.size && w.cosigners < witnessed.cosigners)
        });
        newer.then(|| {
            *current = Some(witnessed.clone());
            witnessed
        })
    }

    /// Takes in the latest witnessed checkpoint stored before a restart.
    pub(crate) fn restore_witnessed(&self, witnessed: Witnessed) {
        *self.witnessed.write().expect("not poisoned") = Some(witnessed);
    }

    /// The largest body a ballot or audited ballot of this election can be posted in (§13.8):
    /// the base64 of its longest valid voter entry and [`crate::api::VOTER_JSON_SLACK`] bytes of
    /// JSON around it. Before voting opens (when no ballot is taken), the general voter limit.
    pub fn voter_body_limit(&self) -> usize {
        let checker = self.checker.read().expect("not poisoned");
        checker.as_ref().map_or(crate::api::VOTER_BODY_LIMIT, |c| {
            c.ballots().max_voter_entry_len().div_ceil(3) * 4 + crate::api::VOTER_JSON_SLACK
        })
    }

    /// The phase and fingerprint as of the latest checkpoint (reads never go past it).
    pub fn status(&self) -> (Phase, Option<Digest32>) {
        let size = self.published().map_or(0, |p| p.size);
        self.state.lock().expect("not poisoned").phase_at(size)
    }

    /// Early refusals that need no decoding, before a body is read: an entry type not accepted
    /// in the current phase, a second credential list, a ballot outside the window. Sequencing
    /// checks all of this again; this only keeps big or costly bodies away. Judged on the
    /// committed log only: the verifier may also hold a batch whose append is under way or failed.
    pub fn precheck(&self, tag: u8) -> Result<(), ApiError> {
        let (phase, has_list) = {
            let s = self.state.lock().expect("not poisoned");
            (s.phase_at(s.committed).0, s.has_list_at(s.committed))
        };
        let allowed = match tag {
            1 => phase < Phase::Tally,
            2..=4 => phase == Phase::KeyCeremony,
            5 => phase <= Phase::KeyCeremony && !has_list,
            6 | 7 => {
                let t = now();
                phase == Phase::VotingOpen
                    && t >= self.manifest.opens_at
                    && t < self.manifest.closes_at
            }
            8 | 11 => phase == Phase::VotingClosed,
            9 | 10 | 12 | 13 => phase == Phase::Tally,
            _ => true,
        };
        if allowed {
            Ok(())
        } else if tag == 5 && phase <= Phase::KeyCeremony {
            Err(ApiError::new(
                ErrorCode::Duplicate,
                "the credential list is already on the log",
            ))
        } else {
            Err(ApiError::new(
                ErrorCode::WrongPhase,
                format!("not accepted in the {phase:?} phase (or outside the voting window)"),
            ))
        }
    }

    /// What a voter's device needs (§11.8) once the latest checkpoint covers the opening of the
    /// vote: the voting-open entry's index and `FingerprintData`.
    pub fn voter_context(&self) -> Option<(u64, Vec<u8>)> {
        let size = self.published().map_or(0, |p| p.size);
        let state = self.state.lock().expect("not poisoned");
        state
            .verifier
            .voter_context()
            .filter(|(opened_at, _)| *opened_at < size)
    }

    /// A listed credential's weight, once the list is under a checkpoint (it is fixed from then).
    pub fn credential_weight(&self, key: &[u8; 32]) -> Option<u64> {
        let size = self.published().map_or(0, |p| p.size);
        let state = self.state.lock().expect("not poisoned");
        if !state.has_list_at(size) {
            return None;
        }
        state.verifier.credential_weight(key)
    }

    /// How long the oldest committed entry not under a checkpoint has waited, if there is one.
    pub fn checkpoint_lag(&self) -> Option<Duration> {
        self.behind_since
            .lock()
            .expect("not poisoned")
            .map(|since| since.elapsed())
    }

    /// Notes that committed leaves wait for a checkpoint (from now, unless some already did).
    fn note_uncovered(&self) {
        let mut since = self.behind_since.lock().expect("not poisoned");
        if since.is_none() {
            *since = Some(std::time::Instant::now());
        }
    }

    /// Notes that a checkpoint of `size` leaves is published; the wait ends if it covers every
    /// committed leaf.
    fn note_covered(&self, size: u64) {
        let committed = self.state.lock().expect("not poisoned").committed;
        if size >= committed {
            *self.behind_since.lock().expect("not poisoned") = None;
        }
    }

    /// The ballot checker, once voting has opened.
    pub fn checker(&self) -> Option<VoterEntryChecker> {
        self.checker.read().expect("not poisoned").clone()
    }

    /// What the sequencer's verifier has recorded (for the test that a state rebuilt from the
    /// store equals a full re-verification).
    pub fn state_summary(&self) -> protocol::verify::StateSummary {
        self.state.lock().expect("not poisoned").verifier.summary()
    }

    /// Runs `f` on the tree (for proofs).
    pub fn with_tree<T>(&self, f: impl FnOnce(&Tree) -> T) -> T {
        f(&self.state.lock().expect("not poisoned").tree)
    }

    fn decide(
        &self,
        new: Vec<StoredLeaf>,
        jobs: Vec<Pending>,
    ) -> Decision<Vec<Result<Receipt, ApiError>>> {
        let mut state = self.state.lock().expect("not poisoned");
        state.catch_up(&new)?;
        let mut appended = Vec::new();
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            let index = state.verifier.len();
            let time = now().max(state.last_time);
            let (leaf, result) = match job {
                Pending::Voter(checked) => {
                    let leaf = Leaf {
                        time,
                        signed: checked.entry().clone(),
                    };
                    let r = state.verifier.push_checked(time, checked, &mut OsRng);
                    (leaf, r.map(Some).map_err(|f| ApiError::from_failure(&f)))
                }
                Pending::Signed(signed) => {
                    let leaf = Leaf { time, signed };
                    let r = self.push_signed(&mut state.verifier, &leaf);
                    (leaf, r.map(|()| None))
                }
            };
            match result {
                Ok(admission) => {
                    state.note_phase();
                    let bytes = leaf.to_bytes();
                    // Noted before the commit; a lookup also checks the store (see
                    // `committed_signed_entry`), so a failed commit never answers for it.
                    state.note_signed(index, &bytes);
                    let receipt = Receipt::for_leaf(index, &leaf);
                    state.tree.push_hash(&receipt.leaf_hash);
                    state.last_time = time;
                    let note = admission.map_or_else(Vec::new, |a| {
                        [receipt.leaf_hash.as_slice(), &a.to_bytes()].concat()
                    });
                    appended.push(StoredLeaf {
                        index,
                        bytes,
                        tracking_code: receipt.tracking_code.map(|c| c.0),
                        note,
                    });
                    outcomes.push(Ok(receipt));
                }
                Err(e) => outcomes.push(Err(e)),
            }
        }
        // The caller commits; until then these leaves are the verifier's but not `committed`.
        Ok((appended, outcomes))
    }

    /// Checks and takes in a signed entry. The verifier streams, so an encrypted tally is
    /// checked here against the sum of the counted ballots (V13) before it is taken in.
    fn push_signed(&self, verifier: &mut RecordVerifier, leaf: &Leaf) -> Result<(), ApiError> {
        let Entry::EncryptedTally(posted) = &leaf.signed.entry else {
            return verifier
                .push(&leaf.to_bytes(), &mut OsRng)
                .map_err(|f| ApiError::from_failure(&f));
        };
        let sum = self.counted_sum.read().expect("not poisoned").clone();
        let Some(sum) = sum else {
            return Err(ApiError::new(
                ErrorCode::Busy,
                "the board is still summing the counted ballots; retry after the Retry-After delay",
            ));
        };
        if verifier.phase() == Phase::VotingClosed && !sum.matches(posted) {
            return Err(ApiError::from_protocol(
                Step::V13Tally,
                &protocol::Error::Malformed {
                    what: "record",
                    reason: "the encrypted tally is not the sum of the counted ballots",
                },
            ));
        }
        verifier
            .push(&leaf.to_bytes(), &mut OsRng)
            .map_err(|f| ApiError::from_failure(&f))?;
        verifier
            .confirm_tally(&sum)
            .map_err(|f| ApiError::from_failure(&f))
    }

    /// Whether voting has closed on the committed log and the counted ballots are not summed yet.
    fn wants_sum(&self) -> bool {
        let closed = {
            let s = self.state.lock().expect("not poisoned");
            s.phase_at(s.committed).0 == Phase::VotingClosed
        };
        closed && self.counted_sum.read().expect("not poisoned").is_none()
    }
}

/// Why the board could not open.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The store could not be read, or its logs did not verify.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The system would not start the ballot-check threads.
    #[error("cannot start the board's ballot-check threads: {0}; free memory or raise the process's thread limit")]
    Threads(String),
}

/// Every election on this board.
pub struct Board {
    store: Arc<AnyStore>,
    config: BoardConfig,
    signer: NoteSigner,
    elections: RwLock<HashMap<String, Arc<Election>>>,
    /// Where sequencers and checkpoint timers run: the runtime that opened the board, apart
    /// from the HTTP workers.
    runtime: tokio::runtime::Handle,
    /// Serialises loading logs created by other processes.
    loading: tokio::sync::Mutex<()>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Back-pressure.
    pub limits: crate::limits::Guards,
}

impl Board {
    /// Opens the board: loads and re-verifies every stored log, then starts sequencers and
    /// checkpoint timers. Must run inside a Tokio runtime.
    pub async fn open(store: AnyStore, config: BoardConfig) -> Result<Arc<Self>, OpenError> {
        let signer = NoteSigner::new(SecretKey::from_seed(&config.key.to_seed()));
        let limits = crate::limits::Guards::new(config.limits.clone())
            .map_err(|e| OpenError::Threads(e.to_string()))?;
        let board = Arc::new(Board {
            store: Arc::new(store),
            limits,
            config,
            signer,
            elections: RwLock::new(HashMap::new()),
            runtime: tokio::runtime::Handle::current(),
            loading: tokio::sync::Mutex::new(()),
            metrics: Metrics::default(),
        });
        for id in board.store.elections().await? {
            if board.hosts(&id).await? {
                board.load(&id).await?;
            } else {
                tracing::warn!(
                    election = id,
                    "skipping a log whose manifest names another board"
                );
            }
        }
        Ok(board)
    }

    /// The board's public key.
    pub fn public_key(&self) -> PublicKey {
        self.config.key.public_key()
    }

    /// How often checkpoints are signed.
    pub fn checkpoint_interval(&self) -> Duration {
        self.config.checkpoint_interval
    }

    /// The log origin.
    pub fn origin(&self) -> &str {
        &self.config.origin
    }

    /// The store.
    pub fn store(&self) -> &AnyStore {
        &self.store
    }

    /// The election with this id.
    pub fn election(&self, id: &str) -> Result<Arc<Election>, ApiError> {
        self.elections
            .read()
            .expect("not poisoned")
            .get(id)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::UnknownElection,
                    format!("no election {id} on this board; list them at /v1/board"),
                )
            })
    }

    /// The election with this id, loading it from the store if another board process sharing
    /// the database created it since this one started.
    pub async fn find(self: &Arc<Self>, id: &str) -> Result<Arc<Election>, ApiError> {
        if let Ok(e) = self.election(id) {
            return Ok(e);
        }
        let plausible = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !plausible {
            return self.election(id);
        }
        let _loading = self.loading.lock().await;
        if let Ok(e) = self.election(id) {
            return Ok(e);
        }
        if self.store.size(id).await? == 0 || !self.hosts(id).await? {
            return self.election(id);
        }
        Ok(self.load(id).await?)
    }

    /// Ids of every election.
    pub fn election_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .elections
            .read()
            .expect("not poisoned")
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    /// Whether the stored log's manifest names this board (origin and key).
    async fn hosts(&self, id: &str) -> Result<bool, StoreError> {
        let first = self.store.leaves(id, 0, 1).await?;
        let leaf = first
            .first()
            .ok_or_else(|| StoreError::Corrupt(format!("election {id} has no leaves")))?;
        let leaf = Leaf::from_bytes(&leaf.bytes, 1)
            .map_err(|e| StoreError::Corrupt(format!("election {id}, leaf 0: {e}")))?;
        Ok(match &leaf.signed.entry {
            Entry::Manifest(m) => {
                m.board.origin == self.config.origin && m.board.key == self.public_key()
            }
            _ => false,
        })
    }

    /// The V10 digest salt of an election's state: secret (derived from the board's key, which
    /// no writer of the record knows) and the same in every process and after every restart.
    fn digest_salt(&self, id: &str) -> [u8; 16] {
        let digest = Sha256::new()
            .chain_update(b"thistle-board/v10-digest-salt")
            .chain_update(self.config.key.to_seed().as_slice())
            .chain_update(id.as_bytes())
            .finalize();
        digest[..16].try_into().expect("16 bytes")
    }

    /// Rebuilds an election's state from the store: voter entries from their resume notes
    /// (what their admission recorded, so every log-dependent check runs again but no entry is
    /// decoded or verified again), every other leaf from its bytes. The time this takes grows
    /// with the number of voter entries only by reading and indexing their notes.
    async fn read_all(&self, id: &str) -> Result<State, StoreError> {
        let started = std::time::Instant::now();
        let mut waiting = Duration::ZERO;
        let size = self.store.size(id).await?;
        let mut state = State::new(self.digest_salt(id));
        let mut page = match size {
            0 => Vec::new(),
            _ => self.store.notes(id, 0, PAGE.min(size)).await?,
        };
        let mut notes = std::collections::VecDeque::new();
        let mut from = 0;
        while from < size {
            let to = (from + PAGE).min(size);
            let read_started = std::time::Instant::now();
            notes.extend(std::mem::take(&mut page));
            while notes.front().is_some_and(|(i, _)| *i < from) {
                notes.pop_front();
            }
            let noted = notes.iter().take_while(|(i, _)| *i < to).count();
            let missing = (to - from) as usize - noted;
            let leaves = if missing == 0 {
                Vec::new()
            } else if missing * 4 > (to - from) as usize {
                self.store.leaves(id, from, to).await?
            } else {
                let wanted = unnoted(from..to, &notes, missing);
                self.store.leaves_at(id, wanted).await?
            };
            waiting += read_started.elapsed();
            let page_notes: Vec<(u64, Vec<u8>)> = notes.drain(..noted).collect();
            let taking_in = tokio::task::spawn_blocking(move || {
                let readmitted = state.resume_page(from..to, page_notes, leaves)?;
                Ok::<_, String>((state, readmitted))
            });
            // The next page's notes are read while this one is taken in.
            let reading_next = self.store.notes(id, to, (to + PAGE).min(size));
            let (next_page, taken) = tokio::join!(reading_next, taking_in);
            page = next_page?;
            let (taken_in, readmitted) = taken
                .map_err(|e| StoreError::Unavailable(format!("rebuilding the state: {e}")))?
                .map_err(StoreError::Corrupt)?;
            state = taken_in;
            self.metrics
                .readmitted
                .fetch_add(readmitted, Ordering::Relaxed);
            from = to;
        }
        tracing::info!(
            election = id,
            leaves = size,
            seconds = started.elapsed().as_secs_f64(),
            waiting_for_the_store = waiting.as_secs_f64(),
            "state rebuilt from the store"
        );
        Ok(state)
    }

    /// The sum of the counted ballots, weights applied, once voting has closed on the committed
    /// log (the counted ballots are fixed from then): read back from the store and summed on
    /// every core, once per election. The board checks the posted encrypted tally against it.
    pub async fn counted_sum(&self, election: &Election) -> Result<Arc<RecomputedTally>, ApiError> {
        if let Some(sum) = election.counted_sum.read().expect("not poisoned").clone() {
            return Ok(sum);
        }
        let _summing = election.summing.lock().await;
        if let Some(sum) = election.counted_sum.read().expect("not poisoned").clone() {
            return Ok(sum);
        }
        let counted: Vec<(u64, u64)> = {
            let state = election.state.lock().expect("not poisoned");
            if state.phase_at(state.committed).0 < Phase::VotingClosed {
                return Err(ApiError::new(
                    ErrorCode::WrongPhase,
                    "the counted ballots are summed once voting has closed",
                ));
            }
            let mut counted: Vec<(u64, u64)> = state
                .verifier
                .counted()
                .map(|(key, _, index)| {
                    let weight = state.verifier.credential_weight(&key).unwrap_or(1);
                    (index, weight)
                })
                .collect();
            counted.sort_unstable();
            counted
        };
        let manifest = election.manifest.clone();
        let mut sum = TallyAccumulator::new(&manifest);
        for page in counted.chunks(PAGE as usize) {
            let indexes = page.iter().map(|(i, _)| *i).collect();
            let leaves = self.store.leaves_at(&election.id, indexes).await?;
            if leaves.len() != page.len() {
                return Err(StoreError::Corrupt("a counted ballot is missing".into()).into());
            }
            let weights: Vec<u64> = page.iter().map(|(_, w)| *w).collect();
            let manifest = manifest.clone();
            let part =
                tokio::task::spawn_blocking(move || sum_ballots(&manifest, &leaves, &weights))
                    .await
                    .map_err(|_| {
                        ApiError::new(ErrorCode::Unavailable, "the board is shutting down")
                    })?
                    .map_err(|e| ApiError::from(StoreError::Corrupt(e)))?;
            sum.merge(part);
        }
        let sum = Arc::new(sum.finish());
        *election.counted_sum.write().expect("not poisoned") = Some(sum.clone());
        tracing::info!(
            election = election.id,
            ballots = counted.len(),
            "counted ballots summed"
        );
        Ok(sum)
    }

    async fn load(self: &Arc<Self>, id: &str) -> Result<Arc<Election>, StoreError> {
        // The checkpoint first: other processes may sign larger ones while the leaves load.
        let stored_checkpoint = self.store.latest_checkpoint(id).await?;
        let stored_witnessed = self.store.witnessed(id, 0).await?;
        let state = self.read_all(id).await?;
        let (manifest, manifest_hash) = state
            .verifier
            .manifest()
            .map(|(m, h)| (m.clone(), *h))
            .ok_or_else(|| StoreError::Corrupt(format!("election {id} has no manifest")))?;
        if hex::encode(manifest_hash) != id {
            return Err(StoreError::Corrupt(format!(
                "election {id} holds another election's manifest"
            )));
        }
        let published = match stored_checkpoint {
            Some(c) => {
                let origin = protocol::merkle::log_origin(&self.config.origin, &manifest_hash);
                let cp = self.check_stored_checkpoint(&origin, &state, &c)?;
                Some(Published {
                    size: cp.size,
                    root: cp.root,
                    note: c.note,
                    counts: (cp.size == state.committed).then(|| VoterCounts::of(&state.verifier)),
                })
            }
            None => None,
        };
        let checker = state.verifier.voter_entry_checker();
        let (tx, rx) = mpsc::channel(QUEUE);
        let election = Arc::new(Election {
            id: id.to_owned(),
            manifest,
            manifest_hash,
            state: Mutex::new(state),
            checker: RwLock::new(checker),
            published: RwLock::new(published),
            queue: tx,
            writer: tokio::sync::Mutex::new(()),
            behind_since: Mutex::new(None),
            counted_sum: RwLock::new(None),
            summing: tokio::sync::Mutex::new(()),
            cosigning: Mutex::new(None),
            witnessed: RwLock::new(None),
        });
        // The latest witnessed checkpoint stored before a restart, if it is still this log's.
        if let Some(stored) = stored_witnessed.last() {
            let verified = protocol::witness::WitnessedCheckpoint::verify(
                &stored.note,
                &election.manifest,
                &election.manifest_hash,
            );
            let ours = verified.as_ref().is_ok_and(|w| {
                let cp = w.checkpoint();
                let state = election.state.lock().expect("not poisoned");
                w.meets_quorum()
                    && cp.size <= state.committed
                    && state.tree.root(cp.size) == cp.root
            });
            match verified {
                Ok(w) if ours => election.restore_witnessed(Witnessed {
                    size: w.checkpoint().size,
                    root: w.checkpoint().root,
                    note: stored.note.clone(),
                    cosigners: w.cosigned().len(),
                }),
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "the stored witnessed checkpoint of size {} is not one of this log's",
                        stored.size
                    )))
                }
            }
        }
        self.elections
            .write()
            .expect("not poisoned")
            .insert(id.to_owned(), election.clone());
        self.runtime
            .spawn(sequencer(self.clone(), election.clone(), rx));
        self.runtime
            .spawn(checkpointer(self.clone(), election.clone()));
        if !election.manifest.witnesses.is_empty() {
            // awc is not Send: the pusher runs on its own single-threaded runtime, on a thread
            // of the board's priority even when an HTTP worker opens the election.
            let (board, witnessed) = (self.clone(), election.clone());
            self.limits
                .start_thread(format!("witnesses-{}", &id[..8]), move || {
                    actix_web::rt::System::new()
                        .block_on(crate::witnesses::pusher(board, witnessed))
                });
        }
        tracing::info!(election = id, "log loaded");
        Ok(election)
    }

    fn check_stored_checkpoint(
        &self,
        origin: &str,
        state: &State,
        c: &StoredCheckpoint,
    ) -> Result<Checkpoint, StoreError> {
        let cp = Checkpoint::verify_note(&c.note, origin, &self.public_key())
            .map_err(|e| StoreError::Corrupt(format!("stored checkpoint: {e}")))?;
        if cp.size > state.tree.size() || state.tree.root(cp.size) != cp.root {
            return Err(StoreError::Corrupt(format!(
                "stored checkpoint of size {} does not match the stored leaves",
                cp.size
            )));
        }
        Ok(cp)
    }

    /// Creates an election's log from its signed manifest entry (leaf 0).
    pub async fn create(
        self: &Arc<Self>,
        signed: SignedEntry,
    ) -> Result<(String, Accepted), ApiError> {
        let Entry::Manifest(manifest) = signed.entry.clone() else {
            return Err(ApiError::new(
                ErrorCode::InvalidEntry,
                "an election starts with its manifest",
            ));
        };
        if manifest.board.origin != self.config.origin || manifest.board.key != self.public_key() {
            return Err(ApiError::new(
                ErrorCode::WrongElection,
                format!(
                    "the manifest names another board; this board's origin is {:?} and its key {}",
                    self.config.origin,
                    hex::encode(self.public_key().as_bytes())
                ),
            ));
        }
        if !self.config.administrators.is_empty()
            && !self.config.administrators.contains(&manifest.administrator)
        {
            return Err(ApiError::new(
                ErrorCode::Unauthorized,
                "this board only hosts elections of its listed administrators",
            ));
        }
        let leaf = Leaf {
            time: now(),
            signed,
        };
        let bytes = leaf.to_bytes();
        let mut check = RecordVerifier::new();
        check
            .push(&bytes, &mut OsRng)
            .map_err(|f| ApiError::from_failure(&f))?;
        let id = hex::encode(manifest.hash());
        let _loading = self.loading.lock().await;
        if let Ok(election) = self.election(&id) {
            // The same signed manifest posted again gets its receipt (§13.6).
            if let Some(accepted) = self.committed_signed_entry(&election, &leaf.signed).await? {
                return Ok((id, accepted));
            }
            return Err(ApiError::new(
                ErrorCode::Duplicate,
                format!("election {id} already exists"),
            ));
        }
        let created = self
            .store
            .create(
                &id,
                StoredLeaf {
                    index: 0,
                    bytes,
                    tracking_code: None,
                    note: Vec::new(),
                },
            )
            .await?;
        if !created {
            return Err(ApiError::new(
                ErrorCode::Duplicate,
                format!("election {id} already exists"),
            ));
        }
        let election = self.load(&id).await?;
        tracing::info!(election = id, title = %manifest.title, "election created");
        self.metrics.accepted.fetch_add(1, Ordering::Relaxed);
        let receipt = Receipt::for_leaf(0, &leaf);
        Ok((id, self.sign_receipt(&election, receipt)))
    }

    /// The receipt of `entry` if exactly it is committed under this tracking code.
    async fn receipt_of(
        &self,
        election: &Election,
        code: &[u8; 32],
        entry: &SignedEntry,
    ) -> Result<Option<Accepted>, ApiError> {
        let Some(stored) = self.store.leaf_by_code(&election.id, *code).await? else {
            return Ok(None);
        };
        let Some(leaf) = Leaf::from_bytes(&stored.bytes, election.manifest.threshold)
            .ok()
            .filter(|l| l.signed == *entry)
        else {
            return Ok(None);
        };
        let mut accepted = self.sign_receipt(election, Receipt::for_leaf(stored.index, &leaf));
        accepted.replayed = true;
        Ok(Some(accepted))
    }

    fn sign_receipt(&self, election: &Election, receipt: Receipt) -> Accepted {
        let signature = receipt.sign(&election.manifest_hash, &self.config.key);
        Accepted {
            receipt,
            signature,
            replayed: false,
        }
    }

    /// Posts a ballot or audited ballot: decodes it (`decode`), checks it against the opened
    /// election and sequences it. Decoding and the checks run on the ballot-check threads, not
    /// the HTTP worker: a ballot's points are most of what reading it costs, and under a flood
    /// the workers' time goes to the bad requests. `held` (the body's share of the body budget)
    /// is released when the checks are done.
    pub async fn post_voter_entry(
        &self,
        election: &Arc<Election>,
        held: Option<tokio::sync::OwnedSemaphorePermit>,
        decode: impl FnOnce() -> Result<SignedEntry, ApiError> + Send + 'static,
    ) -> Result<Accepted, ApiError> {
        let checker = election.checker().ok_or_else(|| {
            ApiError::new(
                ErrorCode::WrongPhase,
                "voting has not opened in this election",
            )
        })?;
        let t = now();
        if t < election.manifest.opens_at || t >= election.manifest.closes_at {
            return Err(ApiError::new(
                ErrorCode::WrongPhase,
                "outside the manifest's voting window",
            ));
        }
        // The same ballot posted again (a retry after a lost answer) gets its receipt, so a code
        // the board knows is looked up before the proofs are checked. Only the committed log
        // decides: the verifier may hold a batch whose append has not finished (or failed), so a
        // code it knows but the store does not goes on to be checked and sequenced.
        let state = election.clone();
        let first_checker = checker.clone();
        let (entry, code, credential, checked) = self
            .limits
            .check_ballot(held, move || {
                let entry = decode()?;
                let encrypted = match &entry.entry {
                    Entry::Ballot(b) => &b.encrypted,
                    Entry::AuditedBallot(a) => &a.encrypted,
                    _ => unreachable!("only voter entries come here"),
                };
                let (code, credential) =
                    (encrypted.tracking_code(), *encrypted.credential.as_bytes());
                let known = state
                    .state
                    .lock()
                    .expect("not poisoned")
                    .verifier
                    .knows_tracking_code(&code);
                let checked = (!known).then(|| first_checker.check(entry.clone(), &mut OsRng));
                Ok((entry, code, credential, checked))
            })
            .await?;
        let checked = match checked {
            Some(checked) => checked,
            None => {
                if let Some(accepted) = self
                    .committed_voter_entry(election, &code.0, &entry)
                    .await?
                {
                    return accepted;
                }
                let entry = entry.clone();
                self.limits
                    .check_ballot(None, move || Ok(checker.check(entry, &mut OsRng)))
                    .await?
            }
        };
        let checked = checked
            .map_err(|(step, e)| ApiError::from_protocol(step, &e))
            .inspect_err(|e| {
                // The signature is checked before the proofs: this failure is the holder's.
                if e.code == ErrorCode::InvalidProof {
                    self.limits.penalize(credential);
                }
            })?;
        match self.sequence(election, Pending::Voter(checked)).await {
            // Refused as a duplicate against the log as committed (or a batch committed with
            // it): if this very ballot is what is there, the answer is its receipt (§13.6).
            Err(e) if e.code == ErrorCode::Duplicate => {
                match self
                    .committed_voter_entry(election, &code.0, &entry)
                    .await?
                {
                    Some(accepted) => accepted,
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    /// What the committed log holds under a voter entry's tracking code: this very entry (its
    /// receipt), another entry with the code (a duplicate), or nothing.
    async fn committed_voter_entry(
        &self,
        election: &Election,
        code: &[u8; 32],
        entry: &SignedEntry,
    ) -> Result<Option<Result<Accepted, ApiError>>, ApiError> {
        if let Some(accepted) = self.receipt_of(election, code, entry).await? {
            return Ok(Some(Ok(accepted)));
        }
        let on_log = self
            .store
            .leaf_by_code(&election.id, *code)
            .await?
            .is_some();
        Ok(on_log.then(|| {
            Err(ApiError::new(
                ErrorCode::Duplicate,
                "a different ballot with this tracking code is already on the board; look it up at /tracking/{code}",
            ))
        }))
    }

    /// Posts an administrator, trustee or credential-authority entry.
    pub async fn post_signed_entry(
        &self,
        election: &Arc<Election>,
        entry: SignedEntry,
    ) -> Result<Accepted, ApiError> {
        if matches!(entry.entry, Entry::Manifest(_)) {
            return Err(ApiError::from_protocol(
                Step::V4WritersAndPhases,
                &protocol::Error::Duplicate("only one manifest"),
            ));
        }
        if matches!(entry.entry, Entry::EncryptedTally(_)) {
            self.counted_sum(election).await?;
        }
        match self
            .sequence(election, Pending::Signed(entry.clone()))
            .await
        {
            // A retry of an entry that is committed (refused now as a second one, or as out of
            // phase because it moved the phase on) gets its receipt (§13.6).
            Err(e) if matches!(e.code, ErrorCode::Duplicate | ErrorCode::WrongPhase) => {
                match self.committed_signed_entry(election, &entry).await? {
                    Some(accepted) => Ok(accepted),
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    /// The receipt of `entry` if exactly it (content and signature) is on the committed log.
    pub async fn committed_signed_entry(
        &self,
        election: &Election,
        entry: &SignedEntry,
    ) -> Result<Option<Accepted>, ApiError> {
        let bytes = Leaf {
            time: 0,
            signed: entry.clone(),
        }
        .to_bytes();
        let Some(digest) = signed_digest(&bytes) else {
            return Ok(None);
        };
        let index = {
            let state = election.state.lock().expect("not poisoned");
            state
                .signed
                .get(&digest)
                .copied()
                .filter(|&i| i < state.committed)
        };
        let Some(index) = index else {
            return Ok(None);
        };
        let stored = self.store.leaves(&election.id, index, index + 1).await?;
        let Some(leaf) = stored
            .first()
            .filter(|l| l.bytes.get(8..) == bytes.get(8..))
            .and_then(|l| Leaf::from_bytes(&l.bytes, election.manifest.threshold).ok())
        else {
            return Ok(None);
        };
        let mut accepted = self.sign_receipt(election, Receipt::for_leaf(index, &leaf));
        accepted.replayed = true;
        Ok(Some(accepted))
    }

    async fn sequence(
        &self,
        election: &Arc<Election>,
        pending: Pending,
    ) -> Result<Accepted, ApiError> {
        let (reply, answer) = oneshot::channel();
        election
            .queue
            .send(Job { pending, reply })
            .await
            .map_err(|_| ApiError::new(ErrorCode::Unavailable, "the board is shutting down"))?;
        let receipt = answer
            .await
            .map_err(|_| ApiError::new(ErrorCode::Unavailable, "the board is shutting down"))??;
        Ok(self.sign_receipt(election, receipt))
    }

    /// Rebuilds the state from the store. The caller holds `election.writer`.
    async fn reload(&self, election: &Election) -> Result<(), StoreError> {
        let state = self.read_all(&election.id).await?;
        let checker = state.verifier.voter_entry_checker();
        *election.state.lock().expect("not poisoned") = state;
        *election.checker.write().expect("not poisoned") = checker;
        self.metrics.reloads.fetch_add(1, Ordering::Relaxed);
        tracing::info!(election = election.id, "state reloaded from the store");
        Ok(())
    }

    /// Reloads if a failed append left the state ahead of the store. The caller holds
    /// `election.writer`.
    async fn recover_if_stale(&self, election: &Election) -> Result<(), StoreError> {
        let stale = election.state.lock().expect("not poisoned").stale;
        if stale {
            self.reload(election).await?;
        }
        Ok(())
    }

    /// Takes in what other board processes committed, outside the store's lock, so that the
    /// next append has little to catch up on while holding it.
    async fn sync(&self, election: &Election) -> Result<(), StoreError> {
        let known = election.state.lock().expect("not poisoned").verifier.len();
        let size = self.store.size(&election.id).await?;
        if size > known {
            let leaves = self.store.leaves(&election.id, known, size).await?;
            let mut state = election.state.lock().expect("not poisoned");
            // A reload may have replaced the state since `known` was read: then these leaves
            // do not follow it, and the next sync starts from where it is.
            if !state.stale
                && state.committed == state.verifier.len()
                && state.verifier.len() == known
            {
                state.catch_up(&leaves).map_err(StoreError::Corrupt)?;
                let checker = state.verifier.voter_entry_checker();
                *election.checker.write().expect("not poisoned") = checker;
            }
        }
        Ok(())
    }

    /// Signs a checkpoint for the committed log if it grew, after taking in what other board
    /// processes committed.
    pub async fn checkpoint(&self, election: &Election) -> Result<(), StoreError> {
        // A failed append's leaves leave the state now, not when the next entry arrives; unless
        // an append or a reload holds the state, which the checkpoint does not wait for.
        if let Ok(_writer) = election.writer.try_lock() {
            if let Err(e) = self.recover_if_stale(election).await {
                tracing::warn!(election = election.id, error = %e, "reload failed; signing the committed prefix");
            }
        }
        self.sync(election).await?;
        // The first `committed` leaves are the committed log, whatever the state holds after
        // them (a failed batch not reloaded yet): their root is what is signed.
        let (size, root, counts) = {
            let state = election.state.lock().expect("not poisoned");
            (
                state.committed,
                state.tree.root(state.committed),
                (!state.stale && state.committed == state.verifier.len())
                    .then(|| VoterCounts::of(&state.verifier)),
            )
        };
        if election.published().is_some_and(|p| p.size >= size) {
            election.note_covered(size);
            return Ok(());
        }
        let origin = protocol::merkle::log_origin(&self.config.origin, &election.manifest_hash);
        let note = self.signer.checkpoint(&origin, size, &root);
        self.store
            .put_checkpoint(
                &election.id,
                StoredCheckpoint {
                    size,
                    note: note.clone(),
                },
            )
            .await?;
        *election.published.write().expect("not poisoned") = Some(Published {
            size,
            root,
            note,
            counts,
        });
        election.note_covered(size);
        self.metrics.checkpoints.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

async fn sequencer(board: Arc<Board>, election: Arc<Election>, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let _writer = election.writer.lock().await;
        {
            if let Err(e) = board.recover_if_stale(&election).await {
                tracing::error!(election = election.id, error = %e, "reload failed");
                for j in jobs {
                    let _ = j.reply.send(Err(e.clone_for_reply()));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        }
        let (pendings, replies): (Vec<Pending>, Vec<_>) =
            jobs.into_iter().map(|j| (j.pending, j.reply)).unzip();
        if let Err(e) = board.sync(&election).await {
            tracing::warn!(election = election.id, error = %e, "catching up before an append failed");
        }
        let known = election.state.lock().expect("not poisoned").verifier.len();
        let decider = election.clone();
        let batch = pendings.len();
        let applied = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = applied.clone();
        let result = board
            .store
            .append(&election.id, known, move |new| {
                flag.store(true, Ordering::SeqCst);
                decider.decide(new, pendings)
            })
            .await;
        match result {
            Ok(outcomes) => {
                {
                    let mut state = election.state.lock().expect("not poisoned");
                    if state.verifier.len() > state.committed {
                        election.note_uncovered();
                    }
                    state.committed = state.verifier.len();
                    if election.checker.read().expect("not poisoned").is_none() {
                        let checker = state.verifier.voter_entry_checker();
                        *election.checker.write().expect("not poisoned") = checker;
                    }
                }
                board.metrics.batches.fetch_add(1, Ordering::Relaxed);
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    board.metrics.count(&outcome);
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(election = election.id, error = %e, batch, "append failed; reloading");
                board.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
                // The verifier took leaves only if the decision ran; otherwise nothing changed.
                if applied.load(Ordering::SeqCst) {
                    election.state.lock().expect("not poisoned").stale = true;
                }
                let err = ApiError::from(e);
                for reply in replies {
                    let _ = reply.send(Err(err.clone()));
                }
                // Drop the failed batch from the state at once (the checkpointer retries if the
                // store is still away), so nothing is judged against leaves that are not there.
                if let Err(e) = board.recover_if_stale(&election).await {
                    tracing::warn!(election = election.id, error = %e, "reload after a failed append failed; retrying at the next checkpoint tick");
                }
            }
        }
    }
}

async fn checkpointer(board: Arc<Board>, election: Arc<Election>) {
    let mut timer = tokio::time::interval(board.config.checkpoint_interval);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        timer.tick().await;
        if let Err(e) = board.checkpoint(&election).await {
            tracing::warn!(election = election.id, error = %e, "checkpoint failed");
        }
        // Summed ahead of the encrypted tally's post, which then needs not wait.
        if election.wants_sum() {
            if let Err(e) = board.counted_sum(&election).await {
                tracing::warn!(election = election.id, error = %e.message, "summing the counted ballots failed");
            }
        }
    }
}

impl StoreError {
    fn clone_for_reply(&self) -> ApiError {
        tracing::error!(error = %self, "store error");
        ApiError::new(
            ErrorCode::Unavailable,
            "the board is reloading its log; retry in a moment",
        )
    }
}

/// The indexes in `range` that have no note among `notes` (sorted by index).
fn unnoted(
    range: std::ops::Range<u64>,
    notes: &std::collections::VecDeque<(u64, Vec<u8>)>,
    missing: usize,
) -> Vec<u64> {
    let mut wanted = Vec::with_capacity(missing);
    let mut noted = notes.iter().map(|(i, _)| *i).peekable();
    for i in range {
        if noted.next_if_eq(&i).is_none() {
            wanted.push(i);
        }
    }
    wanted
}

/// The sum of these stored ballots with their weights, on every core.
fn sum_ballots(
    manifest: &Manifest,
    leaves: &[StoredLeaf],
    weights: &[u64],
) -> Result<TallyAccumulator, String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = leaves.len().div_ceil(threads).max(1);
    let part = |(leaves, weights): (&[StoredLeaf], &[u64])| {
        let mut acc = TallyAccumulator::new(manifest);
        for (leaf, weight) in leaves.iter().zip(weights) {
            let decoded = Leaf::from_bytes(&leaf.bytes, manifest.threshold)
                .map_err(|e| format!("counted leaf {}: {e}", leaf.index))?;
            let Entry::Ballot(ballot) = &decoded.signed.entry else {
                return Err(format!("counted leaf {} is not a ballot", leaf.index));
            };
            acc.add(ballot, *weight)
                .map_err(|e| format!("counted leaf {}: {e}", leaf.index))?;
        }
        Ok(acc)
    };
    let parts: Vec<Result<TallyAccumulator, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = leaves
            .chunks(chunk)
            .zip(weights.chunks(chunk))
            .map(|p| s.spawn(move || part(p)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("summing thread"))
            .collect()
    });
    let mut sum = TallyAccumulator::new(manifest);
    for p in parts {
        sum.merge(p?);
    }
    Ok(sum)
}
