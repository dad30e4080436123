//! Talking to the bulletin board (spec §13.7): posting signed entries, and reading the record
//! back, verified (V1–V15), before acting on it. The tools never trust what the board says
//! without checking it: every decision is taken on a verified record.
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use protocol::ballot::BallotContext;
use protocol::credentials::CredentialList;
use protocol::dkg::{
    CeremonyOutcome, CeremonyParams, CeremonyRecord, Complaint, Round1Package, Round1Set,
    Round2Package,
};
use protocol::hash::Digest32;
use protocol::manifest::Manifest;
use protocol::merkle::{self, Checkpoint};
use protocol::record::{Entry, Leaf, Phase, Receipt, SignedEntry};
use protocol::tally::{EncryptedTally, PartialDecryption, Results};
use protocol::verify::{RecordVerifier, VoterEntryChecker};
use rand_core::OsRng;
use serde_json::Value;

use crate::error::{Error, Result};

/// A board's HTTP API.
pub struct BoardClient {
    base: String,
    agent: ureq::Agent,
}

/// A posting, from a receipt checked against the manifest's board key.
#[derive(Clone, Debug)]
pub struct Posted {
    /// Leaf index.
    pub index: u64,
    /// The election id (hex `ManifestHash`).
    pub election: String,
}

/// The record, read under a checkpoint and verified.
pub struct Record {
    /// The manifest (leaf 0).
    pub manifest: Manifest,
    /// `ManifestHash`.
    pub manifest_hash: Digest32,
    /// Every leaf under the checkpoint, decoded.
    pub leaves: Vec<Leaf>,
    /// The checkpoint it was read under.
    pub checkpoint: Checkpoint,
    /// The phase the record reached.
    pub phase: Phase,
    /// The fingerprint, once voting opened (V9 recomputed it).
    pub fingerprint: Option<Digest32>,
    /// Leaf indexes of the counted ballots, one per credential (V12).
    pub counted: Vec<u64>,
    /// Every leaf's bytes, as exported.
    pub raw: Vec<Vec<u8>>,
    checker: Option<VoterEntryChecker>,
}

impl Record {
    /// Round 1 packages, in log order.
    pub fn round1(&self) -> Vec<Round1Package> {
        self.entries(|e| match e {
            Entry::DkgRound1(p) => Some(p.clone()),
            _ => None,
        })
    }

    /// Round 2 packages, in log order.
    pub fn round2(&self) -> Vec<Round2Package> {
        self.entries(|e| match e {
            Entry::DkgRound2(p) => Some(p.clone()),
            _ => None,
        })
    }

    /// Complaints, in log order.
    pub fn complaints(&self) -> Vec<Complaint> {
        self.entries(|e| match e {
            Entry::DkgComplaint(c) => Some(c.clone()),
            _ => None,
        })
    }

    /// Whether this record extends the log whose first `size` leaves had root `root` (the board
    /// shows one history: what a trustee acted on earlier is still there).
    pub fn extends(&self, size: u64, root: &Digest32) -> bool {
        self.leaves.len() as u64 >= size && self.root_at(size) == *root
    }

    /// The root of this record's first `size` leaves.
    pub fn root_at(&self, size: u64) -> Digest32 {
        let hashes: Vec<Digest32> = self
            .leaves
            .iter()
            .take(size as usize)
            .map(|l| merkle::leaf_hash(&l.to_bytes()))
            .collect();
        merkle::root(&hashes)
    }

    /// The encrypted tally, if posted (V13 checked it is the sum of the counted ballots).
    pub fn tally(&self) -> Option<EncryptedTally> {
        self.entries(|e| match e {
            Entry::EncryptedTally(t) => Some(t.clone()),
            _ => None,
        })
        .pop()
    }

    /// Partial decryptions, in log order (each passed V14).
    pub fn partials(&self) -> Vec<PartialDecryption> {
        self.entries(|e| match e {
            Entry::PartialDecryption(p) => Some(p.clone()),
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

    /// The results, if published (V15 checked them).
    pub fn results(&self) -> Option<Results> {
        self.entries(|e| match e {
            Entry::Results(r) => Some(r.clone()),
            _ => None,
        })
        .pop()
    }

    /// The credential list, if posted.
    pub fn credentials(&self) -> Option<CredentialList> {
        self.entries(|e| match e {
            Entry::CredentialList(l) => Some(l.clone()),
            _ => None,
        })
        .pop()
    }

    fn entries<T>(&self, f: impl Fn(&Entry) -> Option<T>) -> Vec<T> {
        self.leaves
            .iter()
            .filter_map(|l| f(&l.signed.entry))
            .collect()
    }
}

fn board_error(url: &str, e: ureq::Error) -> Error {
    match e {
        ureq::Error::Status(status, resp) => {
            let body: Value = resp.into_json().unwrap_or(Value::Null);
            Error::Refused {
                what: url.rsplit('/').next().unwrap_or(url).to_owned(),
                code: body["error"]["code"]
                    .as_str()
                    .map_or_else(|| status.to_string(), str::to_owned),
                message: body["error"]["message"]
                    .as_str()
                    .unwrap_or("no message")
                    .to_owned(),
            }
        }
        other => Error::Board {
            url: url.to_owned(),
            reason: other.to_string(),
        },
    }
}

impl BoardClient {
    /// A client for the board at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Self {
        BoardClient {
            base: base.trim_end_matches('/').to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(120))
                .build(),
        }
    }

    fn get(&self, path: &str) -> Result<ureq::Response> {
        let url = format!("{}{path}", self.base);
        self.agent
            .get(&url)
            .call()
            .map_err(|e| board_error(&url, e))
    }

    fn post_json(&self, path: &str, entry: &SignedEntry) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let content = entry.entry.content_bytes();
        let mut body = serde_json::json!({ "body": B64.encode(&content[1..]) });
        if let Some(sig) = &entry.signature {
            body["signature"] = B64.encode(sig).into();
        }
        let resp = self
            .agent
            .post(&url)
            .send_json(body)
            .map_err(|e| board_error(&url, e))?;
        resp.into_json().map_err(|e| Error::Board {
            url,
            reason: format!("unreadable answer: {e}"),
        })
    }

    /// Creates the election from its signed manifest; returns the election id, computed here.
    pub fn create(&self, manifest: &Manifest, entry: &SignedEntry) -> Result<Posted> {
        let r = self.post_json("/v1/elections", entry)?;
        checked_receipt(&r, manifest, entry)
    }

    /// Posts an entry of `manifest`'s election to `/v1/elections/{id}/{kind}` and checks the
    /// board's receipt (§13.5): signed by the manifest's board key, over exactly this entry.
    pub fn post(&self, manifest: &Manifest, kind: &str, entry: &SignedEntry) -> Result<Posted> {
        let election = hex::encode(manifest.hash());
        let r = self.post_json(&format!("/v1/elections/{election}/{kind}"), entry)?;
        checked_receipt(&r, manifest, entry)
    }

    /// Downloads the record export, checks the checkpoint against the manifest's board key
    /// (V1), and runs the record verifier over every leaf (V2–V15).
    pub fn record(&self, election: &str) -> Result<Record> {
        self.record_with(election, &mut |_, _| {})
    }

    /// [`Self::record`], calling `progress(leaves verified, leaves)` as it goes.
    pub fn record_with(
        &self,
        election: &str,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Record> {
        let path = format!("/v1/elections/{election}/record");
        let resp = self.get(&path)?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).map_err(|e| {
            Error::Board {
                url: path.clone(),
                reason: e.to_string(),
            }
        })?;
        read_record_with(&bytes, election, progress)
    }

    /// The verified record, waiting up to 15 s for a first checkpoint if the election was just
    /// created.
    pub fn current(&self, election: &str) -> Result<Record> {
        let start = Instant::now();
        loop {
            match self.record(election) {
                Err(Error::Refused { code, .. })
                    if code == "not_found" && start.elapsed() < Duration::from_secs(15) =>
                {
                    std::thread::sleep(Duration::from_millis(200));
                }
                other => return other,
            }
        }
    }

    /// Polls the verified record until `ready` holds for it (or `timeout` passes).
    pub fn wait_for<T>(
        &self,
        election: &str,
        what: &str,
        timeout: Duration,
        mut ready: impl FnMut(&Record) -> Result<Option<T>>,
    ) -> Result<T> {
        let start = Instant::now();
        loop {
            match self.record(election) {
                Ok(record) => {
                    if let Some(t) = ready(&record)? {
                        return Ok(t);
                    }
                }
                // No checkpoint yet (a fresh election), or the board briefly away: retry.
                Err(e) if transient(&e) => {}
                Err(e) => return Err(e),
            }
            if start.elapsed() > timeout {
                return Err(Error::Timeout(what.to_owned()));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// A receipt must be the board's signature over this very entry at the index and time it states.
fn checked_receipt(r: &Value, manifest: &Manifest, entry: &SignedEntry) -> Result<Posted> {
    let bad = |why: &str| Error::Record(format!("the board's receipt is not valid: {why}"));
    let index = r["index"].as_u64().ok_or_else(|| bad("no index"))?;
    let time = r["time"].as_u64().ok_or_else(|| bad("no time"))?;
    let sig: [u8; 64] = r["signature"]
        .as_str()
        .and_then(|s| B64.decode(s).ok())
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad("no signature"))?;
    let leaf = Leaf {
        time,
        signed: entry.clone(),
    };
    let receipt = Receipt::for_leaf(index, &leaf);
    let manifest_hash = manifest.hash();
    receipt
        .verify(&manifest_hash, &manifest.board.key, &sig)
        .map_err(|_| bad("not signed by the manifest's board key over this entry"))?;
    Ok(Posted {
        index,
        election: hex::encode(manifest_hash),
    })
}

/// Errors worth retrying while waiting: the board restarting or briefly unreachable.
fn transient(e: &Error) -> bool {
    match e {
        Error::Board { .. } => true,
        Error::Refused { code, .. } => code == "unavailable" || code == "not_found",
        _ => false,
    }
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if bytes.len() < n {
        return Err(Error::Record("the record export is truncated".into()));
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

/// Parses and verifies a record export (spec §13.7) of election `election`.
pub fn read_record(bytes: &[u8], election: &str) -> Result<Record> {
    read_record_with(bytes, election, &mut |_, _| {})
}

/// [`read_record`], calling `progress(leaves verified, leaves)` as it goes.
pub fn read_record_with(
    mut bytes: &[u8],
    election: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Record> {
    let magic = b"thistle-record-v1\n";
    if take(&mut bytes, magic.len())? != magic {
        return Err(Error::Record("not a Thistle record export".into()));
    }
    let n = u32::from_le_bytes(take(&mut bytes, 4)?.try_into().expect("4 bytes")) as usize;
    let note = String::from_utf8(take(&mut bytes, n)?.to_vec())
        .map_err(|_| Error::Record("the checkpoint is not UTF-8".into()))?;
    let count = u64::from_le_bytes(take(&mut bytes, 8)?.try_into().expect("8 bytes"));
    let mut verifier = RecordVerifier::new();
    let mut leaves = Vec::new();
    let mut raws = Vec::new();
    let mut hashes = Vec::new();
    for done in 0..count {
        if done % 1024 == 0 {
            progress(done, count);
        }
        let len = u32::from_le_bytes(take(&mut bytes, 4)?.try_into().expect("4 bytes")) as usize;
        let raw = take(&mut bytes, len)?;
        verifier
            .push(raw, &mut OsRng)
            .map_err(|f| Error::Record(f.to_string()))?;
        let threshold = verifier.manifest().map_or(1, |(m, _)| m.threshold);
        leaves.push(Leaf::from_bytes(raw, threshold)?);
        raws.push(raw.to_vec());
        hashes.push(merkle::leaf_hash(raw));
    }
    if !bytes.is_empty() {
        return Err(Error::Record("trailing bytes after the last leaf".into()));
    }
    progress(count, count);
    let phase = verifier.phase();
    let fingerprint = verifier.fingerprint().copied();
    let mut counted: Vec<u64> = verifier.counted().map(|(_, _, index)| index).collect();
    counted.sort_unstable();
    let (manifest, manifest_hash) = verifier
        .manifest()
        .map(|(m, h)| (m.clone(), *h))
        .ok_or_else(|| Error::Record("the record is empty".into()))?;
    if hex::encode(manifest_hash) != election {
        return Err(Error::Record(
            "the board served another election's record".into(),
        ));
    }
    let checkpoint = Checkpoint::verify_note(&note, &manifest.board.origin, &manifest.board.key)
        .map_err(|e| Error::Record(format!("V1: {e}")))?;
    if checkpoint.size != count || checkpoint.root != merkle::root(&hashes) {
        return Err(Error::Record(
            "V1: the leaves do not match the checkpoint they came with".into(),
        ));
    }
    Ok(Record {
        manifest,
        manifest_hash,
        leaves,
        checkpoint,
        phase,
        fingerprint,
        counted,
        raw: raws,
        checker: verifier.voter_entry_checker(),
    })
}
