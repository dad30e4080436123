//! A record export (spec §13.7) read and verified with bounded memory: the export is spooled to a
//! private temporary file, then read twice. The first pass checks the checkpoint (V1) and runs the
//! streaming record verifier over every leaf (V2–V15 but V13), voter entries' signatures and
//! proofs in parallel; it keeps the entries that are not voter entries, every leaf hash, and pass 1
//! of the tally (§12.1). Once voting has closed, the second pass recomputes the encrypted tally from
//! the counted ballots, in parallel, and confirms V13. Memory grows with what V1 and V10–V12 must
//! remember of each ballot (its leaf hash, a short code, salted 16-byte ciphertext digests, a
//! 16-byte counted slot per listed credential, the list's 40 bytes a credential): about 300 MiB
//! for a million ballots as measured, never the ballots themselves.
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use protocol::ballot::BallotContext;
use protocol::credentials::CredentialList;
use protocol::dkg::{
    CeremonyOutcome, CeremonyParams, CeremonyRecord, Complaint, Round1Package, Round1Set,
    Round2Package,
};
use protocol::hash::Digest32;
use protocol::manifest::Manifest;
use protocol::merkle::{self, Checkpoint};
use protocol::mixdecrypt::MixDecryption;
use protocol::mixnet::{Mix, RankedCount};
use protocol::record::{Entry, Leaf, Phase};
use protocol::shuffle::Row;
use protocol::tally::{EncryptedTally, PartialDecryption, RecomputedTally, Results};
use protocol::verify::{CheckedVoterEntry, Failure, RecordVerifier, Step, VoterEntryChecker};
use protocol::witness::WitnessedCheckpoint;
use rand_core::{OsRng, RngCore};
use rayon::prelude::*;

use crate::aggregate::{Aggregator, Error as AggregateError};
use crate::error::{Error, Result};

/// The record export's first line (spec §13.7).
pub const MAGIC: &[u8] = b"thistle-record-v1\n";

/// Leaves checked together: voter entries of a batch are verified in parallel.
const BATCH: usize = 2048;
/// Voter entries verified in one batch by one thread.
const CHECK_CHUNK: usize = 128;
/// Leaves per page of the tally's second pass.
const PAGE: usize = 16_384;
/// Tags of voter entries (ballot, audited ballot), which are not kept decoded.
const VOTER_TAGS: [u8; 2] = [6, 7];

/// What a long read is doing, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Checking leaves (V1–V15).
    Verify,
    /// Recomputing the encrypted tally (§12.1, V13).
    Aggregate,
}

impl Stage {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Verify => "verify the record",
            Stage::Aggregate => "recompute the tally",
        }
    }
}

/// `progress(stage, done, total)`.
pub type Progress<'a> = &'a mut dyn FnMut(Stage, u64, u64);

/// A private temporary file, removed when dropped. Reads go through the handle that wrote it, and
/// the second pass re-checks every leaf against the hashes the first pass verified, so the file
/// cannot be swapped between the passes.
struct Spool {
    path: PathBuf,
    file: File,
}

impl Spool {
    fn create() -> Result<Spool> {
        let path = std::env::temp_dir().join(format!(
            "thistle-record-{:016x}{:016x}",
            OsRng.next_u64(),
            OsRng.next_u64()
        ));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(Spool { path, file })
    }

    fn open(&self) -> Result<BufReader<File>> {
        let mut file = self
            .file
            .try_clone()
            .map_err(|e| Error::io(&self.path, e))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(BufReader::with_capacity(1 << 20, file))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The record, read under a checkpoint and verified (V1–V15).
pub struct Record {
    /// The manifest (leaf 0).
    pub manifest: Manifest,
    /// `ManifestHash`.
    pub manifest_hash: Digest32,
    /// Every leaf that is not a voter entry, decoded, with its index. Ballots and audited ballots
    /// stay in the spooled export.
    pub entries: Vec<(u64, Leaf)>,
    /// Every leaf's hash, in order.
    pub leaf_hashes: Vec<Digest32>,
    /// The time of the last leaf.
    pub last_time: u64,
    /// The checkpoint it was read under.
    pub checkpoint: Checkpoint,
    /// That checkpoint as the board signed it (a note to keep for `--since`).
    pub checkpoint_note: String,
    /// The phase the record reached.
    pub phase: Phase,
    /// The fingerprint, once voting opened (V9 recomputed it).
    pub fingerprint: Option<Digest32>,
    /// Leaf indexes of the counted ballots, one per credential (V12).
    pub counted: Vec<u64>,
    /// Ballots cast (revotes included; audited ballots not).
    pub ballots_cast: u64,
    /// Audited ballots.
    pub ballots_audited: u64,
    /// The witnesses (by name) whose cosignatures on the final checkpoint verified (§13.9); empty
    /// when the manifest names none.
    pub witnessed_by: Vec<String>,
    /// The record's witnessed timeline (§13.7): every checkpoint `k` witnesses cosigned, as
    /// `(size, witnessed time)`, each verified and a prefix of these leaves.
    pub timeline: Vec<(u64, u64)>,
    /// Once voting has closed, with witnesses: when the quorum had cosigned a checkpoint covering
    /// the last ballot (V16).
    pub last_ballot_witnessed_at: Option<u64>,
    /// Once voting has closed: each ranked contest's first mix input (§12.11), the counted
    /// ballots' rows in credential-list order, in the manifest's order of ranked contests.
    pub ranked_inputs: Vec<Vec<Row>>,
    recomputed: Option<RecomputedTally>,
    checker: Option<VoterEntryChecker>,
    spool: Spool,
}

impl Record {
    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.leaf_hashes.len() as u64
    }

    /// Whether the record has no leaves (never: leaf 0 is the manifest).
    pub fn is_empty(&self) -> bool {
        self.leaf_hashes.is_empty()
    }

    /// Round 1 packages, in log order.
    pub fn round1(&self) -> Vec<Round1Package> {
        self.pick(|e| match e {
            Entry::DkgRound1(p) => Some(p.clone()),
            _ => None,
        })
    }

    /// Round 2 packages, in log order.
    pub fn round2(&self) -> Vec<Round2Package> {
        self.pick(|e| match e {
            Entry::DkgRound2(p) => Some(p.clone()),
            _ => None,
        })
    }

    /// Complaints, in log order.
    pub fn complaints(&self) -> Vec<Complaint> {
        self.pick(|e| match e {
            Entry::DkgComplaint(c) => Some(c.clone()),
            _ => None,
        })
    }

    /// Whether this record extends the log whose first `size` leaves had root `root` (the board
    /// shows one history: what a trustee acted on earlier is still there).
    pub fn extends(&self, size: u64, root: &Digest32) -> bool {
        self.len() >= size && self.root_at(size) == *root
    }

    /// The root of this record's first `size` leaves.
    pub fn root_at(&self, size: u64) -> Digest32 {
        merkle::root(&self.leaf_hashes[..(size as usize).min(self.leaf_hashes.len())])
    }

    /// The encrypted tally, if posted (V13 checked it is the sum of the counted ballots).
    pub fn tally(&self) -> Option<EncryptedTally> {
        self.pick(|e| match e {
            Entry::EncryptedTally(t) => Some(t.clone()),
            _ => None,
        })
        .pop()
    }

    /// The tally recomputed from the counted ballots while reading, once voting has closed.
    pub fn recomputed_tally(&self) -> Option<&RecomputedTally> {
        self.recomputed.as_ref()
    }

    /// The mixes of ranked contest `contest`, in order (V17 checked them).
    pub fn mixes(&self, contest: u32) -> Vec<&Mix> {
        self.entries
            .iter()
            .filter_map(|(_, l)| match &l.signed.entry {
                Entry::Mix(m) if m.contest == contest => Some(m),
                _ => None,
            })
            .collect()
    }

    /// The first mix's input of ranked contest `contest` if nothing is mixed yet, else the last
    /// mix's rows.
    pub fn rows_to_mix(&self, contest: u32) -> Option<&[Row]> {
        if let Some(last) = self.mixes(contest).last() {
            return Some(&last.rows);
        }
        let slot = self
            .manifest
            .contests
            .iter()
            .take(contest as usize)
            .filter(|c| c.is_ranked())
            .count();
        self.ranked_inputs.get(slot).map(Vec::as_slice)
    }

    /// The mix decryptions of ranked contest `contest` (V18 checked them).
    pub fn mix_decryptions(&self, contest: u32) -> Vec<&MixDecryption> {
        self.entries
            .iter()
            .filter_map(|(_, l)| match &l.signed.entry {
                Entry::MixDecryption(d) if d.contest == contest => Some(&d.decryption),
                _ => None,
            })
            .collect()
    }

    /// The ranked counts on the record (V19 recounted them).
    pub fn ranked_counts(&self) -> Vec<&RankedCount> {
        self.entries
            .iter()
            .filter_map(|(_, l)| match &l.signed.entry {
                Entry::RankedCount(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// Partial decryptions, in log order (each passed V14).
    pub fn partials(&self) -> Vec<PartialDecryption> {
        self.pick(|e| match e {
            Entry::PartialDecryption(p) => Some(p.clone()),
            _ => None,
        })
    }

    /// The results, if published (V15 checked them).
    pub fn results(&self) -> Option<Results> {
        self.pick(|e| match e {
            Entry::Results(r) => Some(r.clone()),
            _ => None,
        })
        .pop()
    }

    /// The credential list, if posted.
    pub fn credentials(&self) -> Option<&CredentialList> {
        self.entries
            .iter()
            .find_map(|(_, l)| match &l.signed.entry {
                Entry::CredentialList(list) => Some(list),
                _ => None,
            })
    }

    /// What encrypts and verifies this election's ballots, once voting opened (V9).
    pub fn ballots(&self) -> Option<&BallotContext> {
        self.checker.as_ref().map(VoterEntryChecker::ballots)
    }

    /// The ceremony's outcome recomputed from the record (V5–V7), if every round is in.
    pub fn ceremony_outcome(&self) -> Result<Option<(Round1Set, CeremonyOutcome)>> {
        let params = CeremonyParams::from_manifest(&self.manifest);
        let round1 = self.round1();
        let round2 = self.round2();
        if round1.len() < params.n as usize || round2.len() < params.n as usize {
            return Ok(None);
        }
        let set = Round1Set::verify(&params, round1)?;
        let complaints = self.complaints();
        let outcome = CeremonyRecord {
            round1: &set,
            round2: &round2,
            complaints: &complaints,
        }
        .outcome(&params, &mut OsRng)?;
        Ok(Some((set, outcome)))
    }

    /// Every leaf's bytes, in order, read again from the spooled export, in pages; each is
    /// checked against the leaf hash verified on the first read.
    pub fn for_each_page(
        &self,
        mut visit: impl FnMut(&[(u64, Vec<u8>)]) -> Result<()>,
    ) -> Result<()> {
        let changed = |index: u64| {
            Error::io(
                &self.spool.path,
                std::io::Error::other(format!(
                    "this tool's private copy of the record changed at leaf {index} between two reads; run it again"
                )),
            )
        };
        let mut reader = self.spool.open()?;
        let (_, count) = read_header(&mut reader).map_err(|_| changed(0))?;
        let mut page = Vec::with_capacity(PAGE);
        for index in 0..count {
            let leaf = read_leaf(&mut reader, index).map_err(|_| changed(index))?;
            if self.leaf_hashes.get(index as usize) != Some(&merkle::leaf_hash(&leaf)) {
                return Err(changed(index));
            }
            page.push((index, leaf));
            if page.len() == PAGE || index + 1 == count {
                visit(&page)?;
                page.clear();
            }
        }
        Ok(())
    }

    fn pick<T>(&self, f: impl Fn(&Entry) -> Option<T>) -> Vec<T> {
        self.entries
            .iter()
            .filter_map(|(_, l)| f(&l.signed.entry))
            .collect()
    }
}

/// V1 fails at `index`: the export's framing (spec §13.7) is broken there.
fn framing(index: u64, reason: &'static str) -> Error {
    log_failure(index, protocol::Error::Log(reason))
}

/// The export's framing around leaf `index` (the header counts as leaf 0's).
fn read_exact(r: &mut impl Read, buf: &mut [u8], index: u64) -> Result<()> {
    r.read_exact(buf).map_err(|_| {
        framing(
            index,
            "the export ends before the leaves its header announces (if a download was cut short, fetch it again)",
        )
    })
}

fn read_header(r: &mut impl Read) -> Result<(String, u64)> {
    let mut magic = [0u8; MAGIC.len()];
    if r.read_exact(&mut magic).is_err() || magic != MAGIC {
        return Err(Error::io(
            std::path::Path::new("the record export"),
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not a Thistle record export (it must start with \"thistle-record-v1\")",
            ),
        ));
    }
    let mut len = [0u8; 4];
    read_exact(r, &mut len, 0)?;
    let n = u32::from_le_bytes(len) as usize;
    if n > 64 * 1024 {
        return Err(framing(0, "the checkpoint note is too long"));
    }
    let mut note = vec![0u8; n];
    read_exact(r, &mut note, 0)?;
    let note =
        String::from_utf8(note).map_err(|_| framing(0, "the checkpoint note is not UTF-8"))?;
    let mut count = [0u8; 8];
    read_exact(r, &mut count, 0)?;
    Ok((note, u64::from_le_bytes(count)))
}

/// The witnessed timeline after the leaves (§13.7): `u32 count`, then each note as `u32 len ‖ note`.
/// Sizes strictly increase and none exceeds the leaves', so there are at most `leaves + 1`.
fn read_timeline(r: &mut impl Read, leaves: u64) -> Result<Vec<String>> {
    let mut n = [0u8; 4];
    read_exact(r, &mut n, leaves)?;
    let n = u32::from_le_bytes(n) as u64;
    if n > leaves + 1 {
        return Err(framing(
            leaves,
            "the witnessed timeline is longer than the log",
        ));
    }
    (0..n)
        .map(|_| {
            let mut len = [0u8; 4];
            read_exact(r, &mut len, leaves)?;
            let len = u32::from_le_bytes(len) as usize;
            if len > 64 * 1024 {
                return Err(framing(leaves, "a witnessed checkpoint note is too long"));
            }
            let mut note = vec![0u8; len];
            read_exact(r, &mut note, leaves)?;
            String::from_utf8(note)
                .map_err(|_| framing(leaves, "a witnessed checkpoint note is not UTF-8"))
        })
        .collect()
}

/// V1's refusal of a record whose final checkpoint lacks the witness quorum (§13.9): a board
/// serves one until the quorum first cosigns, and while fewer than `k` witnesses answer.
pub const NOT_WITNESSED: &str = "the final checkpoint lacks the cosignatures of the witness quorum the manifest requires: the record is not witnessed";

/// A witnessed timeline: `(size, witnessed time)` of each checkpoint.
type Timeline = Vec<(u64, u64)>;

/// V1 with witnesses (§13.9, §15): the final checkpoint carries `k` verified cosignatures of the
/// manifest's witnesses, and every checkpoint of the timeline is witnessed, in increasing size,
/// with the root of these leaves at its size (one history). Returns who cosigned the final
/// checkpoint and the timeline's `(size, witnessed time)`.
fn check_witnessed(
    note: &str,
    timeline: &[String],
    manifest: &protocol::manifest::Manifest,
    manifest_hash: &Digest32,
    hashes: &[Digest32],
) -> Result<(Vec<String>, Timeline)> {
    let fail = |index: u64, why: &'static str| {
        Error::Invalid(Failure {
            step: Step::V1Log,
            index,
            error: protocol::Error::Log(why),
        })
    };
    let size = hashes.len() as u64;
    if manifest.witnesses.is_empty() {
        if !timeline.is_empty() {
            return Err(fail(
                size,
                "the manifest names no witnesses, yet the record carries a witnessed timeline",
            ));
        }
        return Ok((Vec::new(), Vec::new()));
    }
    let verify = |note: &str| {
        WitnessedCheckpoint::verify(note, manifest, manifest_hash).map_err(|error| {
            Error::Invalid(Failure {
                step: Step::V1Log,
                index: size,
                error,
            })
        })
    };
    let last = verify(note)?;
    if !last.meets_quorum() {
        return Err(fail(size, NOT_WITNESSED));
    }
    let names = last
        .cosigned()
        .iter()
        .map(|c| manifest.witnesses[c.witness].name.clone())
        .collect();
    let mut frontier = merkle::Frontier::default();
    let mut out = Vec::with_capacity(timeline.len());
    for n in timeline {
        let w = verify(n)?;
        let at = w.checkpoint().size;
        let time = w.quorum_time().ok_or_else(|| {
            fail(
                at,
                "a checkpoint of the witnessed timeline lacks the witness quorum",
            )
        })?;
        if out.last().is_some_and(|&(s, _)| s >= at) || at > size {
            return Err(fail(
                at,
                "the witnessed timeline's sizes must increase, up to the record's",
            ));
        }
        while frontier.size() < at {
            frontier.push_hash(hashes[frontier.size() as usize]);
        }
        if frontier.root() != w.checkpoint().root {
            return Err(fail(at, "a witnessed checkpoint's root is not these leaves' root at its size: the board showed the witnesses another history"));
        }
        out.push((at, time));
    }
    Ok((names, out))
}

/// V16 (§15): the witnesses' clocks bound the ballots' times. No voter entry lies under a
/// checkpoint the quorum witnessed before `opens_at`; once voting has closed, the last voter entry
/// (so every one) lies under a checkpoint the quorum witnessed by `closes_at + CLOSING_SLACK`.
/// Returns that time. Without witnesses there is nothing to check (the report says so).
fn check_times(
    manifest: &protocol::manifest::Manifest,
    timeline: &[(u64, u64)],
    voters: Option<(u64, u64)>,
    closed: bool,
) -> Result<Option<u64>> {
    let fail = |index: u64, why: &'static str| {
        Error::Invalid(Failure {
            step: Step::V16WitnessedTime,
            index,
            error: protocol::Error::Log(why),
        })
    };
    let Some((first, last)) = voters.filter(|_| !manifest.witnesses.is_empty()) else {
        return Ok(None);
    };
    if timeline
        .iter()
        .any(|&(size, time)| time < manifest.opens_at && size > first)
    {
        return Err(fail(
            first,
            "a ballot lies under a checkpoint the witnesses cosigned before voting opened",
        ));
    }
    if !closed {
        return Ok(None);
    }
    let witnessed = timeline
        .iter()
        .filter(|&&(size, _)| size > last)
        .map(|&(_, time)| time)
        .min()
        .ok_or_else(|| fail(last, "the last ballot lies under no witnessed checkpoint: its time rests on the board's word alone"))?;
    if witnessed
        > manifest
            .closes_at
            .saturating_add(protocol::witness::CLOSING_SLACK)
    {
        return Err(fail(last, "the last ballot was first witnessed after the closing time and the slack §15 allows: the board may have taken it late"));
    }
    Ok(Some(witnessed))
}

/// Leaves are bounded by the board's body limits; this only stops a hostile length.
const MAX_LEAF: usize = protocol::mixnet::MAX_MIX_BYTES + 1024;

fn read_leaf(r: &mut impl Read, index: u64) -> Result<Vec<u8>> {
    let mut len = [0u8; 4];
    read_exact(r, &mut len, index)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_LEAF {
        return Err(framing(index, "a leaf is impossibly long"));
    }
    let mut leaf = vec![0u8; len];
    read_exact(r, &mut leaf, index)?;
    Ok(leaf)
}

/// The election id (hex `ManifestHash`) of a record export, from its leaf 0, without verifying
/// anything: to know which election a record file claims to be.
pub fn election_of(mut export: impl Read) -> Result<String> {
    read_header(&mut export)?;
    let leaf = read_leaf(&mut export, 0)?;
    match Leaf::from_bytes(&leaf, 1).map(|l| l.signed.entry) {
        Ok(Entry::Manifest(m)) => Ok(hex::encode(m.hash())),
        _ => Err(manifest_failure("the first entry must be the manifest")),
    }
}

/// The signed checkpoint note a record export starts with, unverified: to keep it, or to compare
/// a later record with it (`--since`).
pub fn checkpoint_note_of(mut export: impl Read) -> Result<String> {
    read_header(&mut export).map(|(note, _)| note)
}

fn invalid(f: Failure) -> Error {
    Error::Invalid(f)
}

/// A V3 failure of the record's leaf 0.
fn manifest_failure(reason: &'static str) -> Error {
    invalid(Failure {
        step: Step::V3Manifest,
        index: 0,
        error: protocol::Error::Malformed {
            what: "record",
            reason,
        },
    })
}

fn log_failure(index: u64, error: protocol::Error) -> Error {
    Error::Invalid(Failure {
        step: Step::V1Log,
        index,
        error,
    })
}

/// Spools a record export from `source` and verifies it as election `election`'s.
pub fn read_record(
    mut source: impl Read,
    election: &str,
    progress: Progress<'_>,
) -> Result<Record> {
    let spool = Spool::create()?;
    let mut out = BufWriter::with_capacity(
        1 << 20,
        spool
            .file
            .try_clone()
            .map_err(|e| Error::io(&spool.path, e))?,
    );
    std::io::copy(&mut source, &mut out).map_err(|e| Error::Board {
        url: "record export".into(),
        reason: e.to_string(),
    })?;
    out.flush().map_err(|e| Error::io(&spool.path, e))?;
    drop(out);
    verify_spooled(spool, election, progress)
}

/// A batch of leaves read from the export: (index, bytes).
type Batch = Vec<(u64, Vec<u8>)>;

/// A voter entry's time and the outcome of its batched check, or `None` for any other leaf.
type Prechecked = Option<(
    u64,
    std::result::Result<CheckedVoterEntry, (Step, protocol::Error)>,
)>;

/// Reads and hashes up to [`BATCH`] leaves from `next` on.
fn read_batch(
    reader: &mut impl Read,
    next: &mut u64,
    count: u64,
    hashes: &mut Vec<Digest32>,
) -> Result<Batch> {
    let mut batch = Vec::with_capacity(BATCH);
    while batch.len() < BATCH && *next < count {
        let leaf = read_leaf(reader, *next)?;
        hashes.push(merkle::leaf_hash(&leaf));
        batch.push((*next, leaf));
        *next += 1;
    }
    Ok(batch)
}

/// Whether a leaf's tag is a voter entry's (a leaf too short to have one is not).
fn is_voter_leaf(raw: &[u8]) -> bool {
    raw.len() >= 9 && VOTER_TAGS.contains(&raw[8])
}

/// Voter entries' signatures and proofs, in parallel, in batches of [`CHECK_CHUNK`] (§5.6).
fn precheck(
    leaves: &[(u64, Vec<u8>)],
    checker: Option<&VoterEntryChecker>,
    threshold: u32,
) -> Vec<Prechecked> {
    leaves
        .par_chunks(CHECK_CHUNK)
        .flat_map_iter(|chunk| {
            let decoded: Vec<Option<Leaf>> = chunk
                .iter()
                .map(|(_, raw)| {
                    checker?;
                    if !is_voter_leaf(raw) {
                        return None;
                    }
                    Leaf::from_bytes(raw, threshold).ok()
                })
                .collect();
            let times: Vec<Option<u64>> =
                decoded.iter().map(|l| l.as_ref().map(|l| l.time)).collect();
            let entries: Vec<_> = decoded.into_iter().flatten().map(|l| l.signed).collect();
            let mut checked = match checker {
                Some(c) if !entries.is_empty() => {
                    // Weights unknown to the record's writers (§5.6): seeded from the OS.
                    let mut rng =
                        <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_rng(OsRng)
                            .expect("the OS random source");
                    c.check_batch(entries, &mut rng)
                }
                _ => Vec::new(),
            }
            .into_iter();
            times
                .into_iter()
                .map(move |t| t.map(|t| (t, checked.next().expect("one result per entry"))))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A V14 or V15 failure waits for the second pass (it may be the tally's fault, V13).
fn defer(taken: Result<()>) -> Result<Option<Failure>> {
    match taken {
        Err(Error::Invalid(f))
            if matches!(f.step, Step::V14PartialDecryptions | Step::V15Results) =>
        {
            Ok(Some(f))
        }
        Err(e) => Err(e),
        Ok(()) => Ok(None),
    }
}

/// What the first pass keeps as it takes leaves in, in order.
struct FirstPass<'a> {
    verifier: &'a mut RecordVerifier,
    entries: &'a mut Vec<(u64, Leaf)>,
    ballots_cast: &'a mut u64,
    ballots_audited: &'a mut u64,
    last_time: &'a mut u64,
    voters: &'a mut Option<(u64, u64)>,
    election: &'a str,
}

impl FirstPass<'_> {
    /// A voter entry taken in at `index`, with its tag.
    fn count_voter(&mut self, index: u64, tag: u8) {
        *self.ballots_cast += u64::from(tag == VOTER_TAGS[0]);
        *self.ballots_audited += u64::from(tag == VOTER_TAGS[1]);
        *self.voters = Some((self.voters.map_or(index, |v| v.0), index));
    }

    /// Takes a checked batch in, leaf by leaf: every check that depends on the log.
    fn take_in(&mut self, leaves: Batch, mut prechecked: Vec<Prechecked>) -> Result<()> {
        // A batch read before this verifier saw voting open was prechecked without a checker:
        // its voter entries are batch-checked in parallel once the checker exists, rather than
        // one by one on this thread (the first two batches of every record).
        let mut rechecked = false;
        for (at, (index, raw)) in leaves.iter().enumerate() {
            let (index, raw) = (*index, raw.as_slice());
            if prechecked[at].is_none() && !rechecked && is_voter_leaf(raw) {
                if let Some(checker) = self.verifier.voter_entry_checker() {
                    let threshold = self.verifier.threshold();
                    let rest = precheck(&leaves[at..], Some(&checker), threshold);
                    prechecked.splice(at.., rest);
                    rechecked = true;
                }
            }
            match prechecked[at].take() {
                // A voter entry whose signature or proofs failed is checked again in full below,
                // so that it fails at the first step that refuses it, in the spec's order (§15).
                Some((time, Ok(checked))) => {
                    self.verifier
                        .push_checked(time, checked, &mut OsRng)
                        .map_err(invalid)?;
                    self.count_voter(index, raw[8]);
                    *self.last_time = time;
                }
                Some((_, Err(_))) | None => {
                    // Decoded once, kept if it is not a voter entry.
                    let leaf =
                        Leaf::from_bytes(raw, self.verifier.threshold()).map_err(|error| {
                            invalid(Failure {
                                step: Step::V2Leaves,
                                index,
                                error,
                            })
                        })?;
                    self.verifier
                        .push_leaf(&leaf, &mut OsRng)
                        .map_err(invalid)?;
                    if index == 0
                        && !self.verifier.manifest().is_some_and(|(_, hash)| {
                            hex::encode(hash).eq_ignore_ascii_case(self.election)
                        })
                    {
                        return Err(manifest_failure(
                            "leaf 0 is another election's manifest: its hash is not the election id asked for",
                        ));
                    }
                    *self.last_time = leaf.time;
                    if VOTER_TAGS.contains(&raw[8]) {
                        self.count_voter(index, raw[8]);
                    } else {
                        self.entries.push((index, leaf));
                    }
                }
            }
        }
        Ok(())
    }
}

fn verify_spooled(spool: Spool, election: &str, progress: Progress<'_>) -> Result<Record> {
    let mut reader = spool.open()?;
    let (note, count) = read_header(&mut reader)?;
    let mut verifier = RecordVerifier::streaming();
    let mut entries = Vec::new();
    let mut hashes = Vec::with_capacity(count.min(1 << 24) as usize);
    let mut ballots_cast = 0u64;
    let mut ballots_audited = 0u64;
    let mut last_time = 0u64;
    // The first and last voter entries' indexes (V16).
    let mut voters: Option<(u64, u64)> = None;
    // A partial decryption or the results failing against a posted tally that is itself wrong
    // must be reported as the tally's fault (V13), which only the second pass can see: such a
    // failure waits for it, and the rest of the leaves are only hashed.
    let mut deferred: Option<Failure> = None;
    // Pipelined: while one batch's entries are taken in (one thread: the checks that depend on
    // the log), the next batch's signatures and proofs are checked (every other thread), so the
    // sequential part no longer leaves cores idle.
    let mut pending: Option<(Batch, Vec<Prechecked>)> = None;
    let mut state = FirstPass {
        verifier: &mut verifier,
        entries: &mut entries,
        ballots_cast: &mut ballots_cast,
        ballots_audited: &mut ballots_audited,
        last_time: &mut last_time,
        voters: &mut voters,
        election,
    };
    let mut next = 0u64;
    let mut leaves = read_batch(&mut reader, &mut next, count, &mut hashes)?;
    while let Some(&(first, _)) = leaves.first() {
        progress(Stage::Verify, first, count);
        // Checked against the election as it stands before the pending batch is taken in;
        // `push_checked` checks again in full an entry checked against another election.
        let checker = state.verifier.voter_entry_checker();
        let threshold = state.verifier.threshold();
        let taking = pending.take();
        // The next batch is read and hashed on the sequential side too.
        let ((taken, read), checked) = rayon::join(
            || {
                let taken = taking.map_or(Ok(()), |(l, p)| state.take_in(l, p));
                (
                    taken,
                    read_batch(&mut reader, &mut next, count, &mut hashes),
                )
            },
            || precheck(&leaves, checker.as_ref(), threshold),
        );
        // An earlier leaf's failure first; a deferred one waits for the rest to be read.
        let taken = defer(taken)?;
        let read = match read {
            Ok(read) => read,
            Err(framing) => {
                // The batch read before it fails first if one of its leaves does.
                if taken.is_none() {
                    defer(state.take_in(leaves, checked))?;
                }
                return Err(framing);
            }
        };
        if taken.is_some() {
            deferred = taken;
            break;
        }
        pending = Some((std::mem::replace(&mut leaves, read), checked));
    }
    if let Some((l, p)) = pending.take() {
        deferred = defer(state.take_in(l, p))?;
    }
    // After a deferred failure the rest of the leaves are only hashed.
    while next < count {
        hashes.push(merkle::leaf_hash(&read_leaf(&mut reader, next)?));
        next += 1;
    }
    let timeline_notes = read_timeline(&mut reader, count)?;
    let mut rest = [0u8; 1];
    if reader
        .read(&mut rest)
        .map_err(|e| Error::io(&spool.path, e))?
        != 0
    {
        return Err(framing(
            count,
            "bytes follow the witnessed timeline its header announces",
        ));
    }
    progress(Stage::Verify, count, count);
    let (manifest, manifest_hash) = verifier
        .manifest()
        .map(|(m, h)| (m.clone(), *h))
        .ok_or_else(|| manifest_failure("the record is empty"))?;
    // Leaf 0 was checked against `election` as it was read.
    let checkpoint = Checkpoint::verify_for(&note, &manifest, &manifest_hash)
        .map_err(|e| log_failure(count, e))?;
    if checkpoint.size != count || checkpoint.root != merkle::root(&hashes) {
        return Err(log_failure(
            count,
            protocol::Error::Log("the leaves do not match the checkpoint they came with"),
        ));
    }
    let (witnessed_by, timeline) =
        check_witnessed(&note, &timeline_notes, &manifest, &manifest_hash, &hashes)?;
    let closed = verifier.phase() >= Phase::VotingClosed;
    let last_ballot_witnessed_at = check_times(&manifest, &timeline, voters, closed)?;
    let mut counted: Vec<u64> = verifier.counted().map(|(_, _, index)| index).collect();
    counted.sort_unstable();
    let checker = verifier.voter_entry_checker();
    let mut record = Record {
        manifest,
        manifest_hash,
        entries,
        leaf_hashes: hashes,
        last_time,
        checkpoint,
        checkpoint_note: note,
        phase: verifier.phase(),
        fingerprint: verifier.fingerprint().copied(),
        counted,
        ballots_cast,
        ballots_audited,
        witnessed_by,
        timeline,
        last_ballot_witnessed_at,
        ranked_inputs: Vec::new(),
        recomputed: None,
        checker,
        spool,
    };
    if record.phase >= Phase::VotingClosed {
        let ranked = record.manifest.contests.iter().filter(|c| c.is_ranked());
        record.ranked_inputs = (0..ranked.count())
            .map(|slot| verifier.ranked_inputs(slot))
            .collect();
        let recomputed = aggregate(&record, progress)?;
        verifier.confirm_tally(&recomputed).map_err(invalid)?;
        record.recomputed = Some(recomputed);
    }
    if let Some(failure) = deferred {
        return Err(invalid(failure));
    }
    verifier.finish().map_err(invalid)?;
    Ok(record)
}

/// Pass 2 of §12.1 over the spooled export.
fn aggregate(record: &Record, progress: Progress<'_>) -> Result<RecomputedTally> {
    // V9 passed at the opening, so both exist once voting has closed.
    let list = record.credentials().expect("voting opened with a list");
    let ballots = record.ballots().expect("voting opened");
    let total = record.counted.len() as u64;
    let mut aggregator =
        Aggregator::for_counted(&record.manifest, ballots, list, record.counted.clone());
    progress(Stage::Aggregate, 0, total);
    let v13 = |index, error| {
        invalid(Failure {
            step: Step::V13Tally,
            index,
            error,
        })
    };
    record.for_each_page(|page| {
        aggregator.add_page(page).map_err(|e| match e {
            AggregateError::Ballot { index, source } => v13(index, source),
            AggregateError::UnknownCredential(index) => {
                v13(index, protocol::Error::UnknownCredential)
            }
            other => Error::Record(other.to_string()),
        })?;
        progress(Stage::Aggregate, aggregator.added(), total);
        Ok(())
    })?;
    // Every page was checked against the verified leaf hashes, so the counted ballots were all
    // seen: a shortfall is this tool's bug, not the record's.
    aggregator
        .finish()
        .map_err(|e| Error::Record(format!("internal: {e}")))
}
