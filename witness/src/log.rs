//! What the witness does with an add-checkpoint request (spec §13.9), one log at a time.
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use protocol::hash::Digest32;
use protocol::manifest::Manifest;
use protocol::merkle::{verify_consistency, Checkpoint, Frontier};
use protocol::record::{Entry, Leaf};
use protocol::signature::SecretKey;
use protocol::verify::{Admission, RecordVerifier};
use protocol::witness::WitnessedCheckpoint;
use rand_core::OsRng;
use serde_json::Value;

use crate::error::WitnessError;
use crate::store::{Store, StoredLeaf, StoredLog};

/// Largest JSON answer the witness reads from a board or another witness (a timeline, a page of
/// 1,000 ordinary entries is well under it).
pub const MAX_ANSWER: u64 = 32 << 20;

/// Largest page of entries it reads from its board: the largest leaf a board takes (a mix of
/// 512 MiB, which a board serves alone) in base64, with room to spare.
pub const MAX_ENTRIES_ANSWER: u64 = (protocol::mixnet::MAX_MIX_BYTES as u64) * 3 / 2;

/// A witnessed note (§13.9) as kept: the checkpoint body, the board's line and one verified line
/// per manifest witness, nothing else (a source cannot pad a kept note with lines nobody checks);
/// `None` unless it verifies and `k` witnesses cosigned it.
fn verified_note(note: &str, manifest: &Manifest, hash: &Digest32) -> Option<(u64, String)> {
    let witnessed = WitnessedCheckpoint::verify(note, manifest, hash).ok()?;
    witnessed.quorum_time()?;
    let checkpoint = witnessed.checkpoint();
    let body = checkpoint.body();
    let (_, lines) = note.split_once("\n\n")?;
    let board = lines
        .lines()
        .find(|l| Checkpoint::verify_for(&format!("{body}\n{l}\n"), manifest, hash).is_ok())?;
    let mut kept = format!("{body}\n{board}\n");
    for w in &manifest.witnesses {
        if let Some(l) = lines.lines().find(|l| {
            matches!(
                protocol::witness::read_cosignature(w, &body, l),
                Some(Ok(_))
            )
        }) {
            kept.push_str(l);
            kept.push('\n');
        }
    }
    let again = WitnessedCheckpoint::verify(&kept, manifest, hash).ok()?;
    again.quorum_time()?;
    Some((checkpoint.size, kept))
}

/// Most consistency-proof lines a request may carry (C2SP tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;

/// How the witness runs.
pub struct WitnessConfig {
    /// Its name (the signed-note key name the manifest gives it).
    pub name: String,
    /// Its cosigning key.
    pub key: SecretKey,
    /// Base URLs of the boards whose elections it follows when they name it.
    pub boards: Vec<String>,
    /// Whether it fetches and verifies the entries before cosigning (the default).
    pub verifying: bool,
    /// Other C2SP logs it witnesses for consistency only, by their Ed25519 note verifier keys
    /// (`<origin>+<key id>+<base64(0x01 ‖ key)>`: the key's name is the log's origin).
    pub logs: Vec<String>,
}

/// A log other than a Thistle election: checkpoints signed by its note key, cosigned once they
/// are consistent with the last one cosigned (C2SP tlog-witness without the record check).
struct OtherLog {
    stored: StoredLog,
    key: signed_note::StandardVerifier,
}

/// One followed log in memory.
struct LogState {
    stored: StoredLog,
    manifest: Manifest,
    manifest_hash: Digest32,
    frontier: Frontier,
    /// The record verifier over the witness's copy (verifying mode); `None` until rebuilt.
    verifier: Option<RecordVerifier>,
}

/// The witness: its key, its store and the logs it follows.
pub struct Witness {
    config: WitnessConfig,
    store: Store,
    logs: RwLock<HashMap<String, Arc<Mutex<LogState>>>>,
    others: HashMap<String, Mutex<OtherLog>>,
    http: ureq::Agent,
}

fn unavailable(e: impl std::fmt::Display) -> WitnessError {
    WitnessError::Unavailable(e.to_string())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The parts of an add-checkpoint body.
#[derive(Debug)]
pub struct AddCheckpoint<'a> {
    /// The size the sender believes this witness last cosigned.
    pub old: u64,
    /// The consistency proof from `old`.
    pub proof: Vec<Digest32>,
    /// The checkpoint note.
    pub note: &'a str,
}

/// Parses `old <size>\n`, proof lines, an empty line and the note (C2SP tlog-witness).
pub fn parse_request(body: &[u8]) -> Result<AddCheckpoint<'_>, WitnessError> {
    let bad = |m: &str| WitnessError::Malformed(m.into());
    let text = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8"))?;
    let (first, mut rest) = text
        .split_once('\n')
        .ok_or_else(|| bad("no old size line"))?;
    let old = first
        .strip_prefix("old ")
        .filter(|n| !n.is_empty() && (n == &"0" || !n.starts_with('0')))
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("the first line must be `old <size>` in decimal, no leading zeros"))?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = rest
            .split_once('\n')
            .ok_or_else(|| bad("no empty line before the checkpoint"))?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(bad("more than 63 proof lines"));
        }
        let h: Digest32 = B64
            .decode(line)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("a proof line is not a base64 SHA-256 hash"))?;
        proof.push(h);
    }
    Ok(AddCheckpoint {
        old,
        proof,
        note: rest,
    })
}

/// The verifier's V10 digest salt for one log: secret (from the witness key) and stable across
/// restarts, since admissions hold salted digests.
fn digest_salt(key: &SecretKey, origin: &str) -> [u8; 16] {
    let mut data = key.to_seed().to_vec();
    data.extend_from_slice(origin.as_bytes());
    let d = protocol::hash::tagged_hash("thistle-witness/v10-digest-salt", &data);
    data.fill(0);
    d[..16].try_into().expect("16 bytes")
}

impl Witness {
    /// Opens the store and takes in every log it follows (in verifying mode, from the witness's
    /// copy of each record: voter entries from their admissions, without re-checking proofs).
    pub fn open(config: WitnessConfig, store: Store) -> Result<Self, WitnessError> {
        let http = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build();
        let mut others = HashMap::new();
        for vkey in &config.logs {
            let key = signed_note::StandardVerifier::new(vkey).map_err(|e| {
                WitnessError::Malformed(format!(
                    "--log {vkey}: not an Ed25519 note verifier key ({e:?})"
                ))
            })?;
            let origin = signed_note::Verifier::name(&key).to_owned();
            let stored = StoredLog {
                origin: origin.clone(),
                election: String::new(),
                board_url: String::new(),
                manifest_leaf: Vec::new(),
                size: 0,
                root: protocol::merkle::root(&[]),
                frontier: Frontier::default().to_bytes(),
                note: None,
            };
            store.follow(&stored)?;
            let stored = store
                .logs()?
                .into_iter()
                .find(|l| l.origin == origin)
                .ok_or_else(|| unavailable("a followed log is not in the store"))?;
            if !stored.election.is_empty() {
                return Err(WitnessError::Malformed(format!(
                    "--log {origin}: that origin is an election's log"
                )));
            }
            others.insert(origin, Mutex::new(OtherLog { stored, key }));
        }
        let witness = Witness {
            config,
            store,
            logs: RwLock::new(HashMap::new()),
            others,
            http,
        };
        for stored in witness.store.logs()? {
            if stored.election.is_empty() {
                // Another log: followed only while configured (above).
                continue;
            }
            let origin = stored.origin.clone();
            let state = witness.state_of(stored)?;
            witness
                .logs
                .write()
                .expect("not poisoned")
                .insert(origin, Arc::new(Mutex::new(state)));
        }
        Ok(witness)
    }

    /// The configuration.
    pub fn config(&self) -> &WitnessConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Origins followed, with their election id and latest cosigned size.
    pub fn followed(&self) -> Vec<(String, String, u64)> {
        let logs = self.logs.read().expect("not poisoned");
        let mut out: Vec<_> = logs
            .values()
            .map(|l| {
                let l = l.lock().unwrap_or_else(|p| p.into_inner());
                (
                    l.stored.origin.clone(),
                    l.stored.election.clone(),
                    l.stored.size,
                )
            })
            .collect();
        out.sort();
        out
    }

    /// The stored log of an election (by its hex id).
    pub fn log_of_election(&self, election: &str) -> Option<StoredLog> {
        let logs = self.logs.read().expect("not poisoned");
        logs.values().find_map(|l| {
            let l = l.lock().unwrap_or_else(|p| p.into_inner());
            (l.stored.election == election).then(|| l.stored.clone())
        })
    }

    fn state_of(&self, stored: StoredLog) -> Result<LogState, WitnessError> {
        let leaf = Leaf::from_bytes(&stored.manifest_leaf, 1)
            .map_err(|e| unavailable(format!("stored manifest: {e}")))?;
        let Entry::Manifest(manifest) = leaf.signed.entry else {
            return Err(unavailable("stored leaf 0 is not a manifest"));
        };
        let manifest_hash = manifest.hash();
        let frontier = Frontier::from_bytes(&stored.frontier)
            .ok_or_else(|| unavailable("stored frontier is malformed"))?;
        let mut state = LogState {
            stored,
            manifest,
            manifest_hash,
            frontier,
            verifier: None,
        };
        if self.config.verifying {
            self.rebuild(&mut state)?;
        }
        Ok(state)
    }

    /// Takes the witness's copy of the record in again, page by page.
    fn rebuild(&self, state: &mut LogState) -> Result<(), WitnessError> {
        let salt = digest_salt(&self.config.key, &state.stored.origin);
        let mut verifier = RecordVerifier::streaming().with_digest_salt(salt);
        let mut from = 0;
        while from < state.stored.size {
            let to = (from + 1000).min(state.stored.size);
            let page = self.store.leaves(&state.stored.origin, from, to)?;
            if page.len() as u64 != to - from {
                return Err(unavailable(format!(
                    "the witness's copy of {} lacks leaves {from}..{to}",
                    state.stored.origin
                )));
            }
            for leaf in page {
                let taken = match &leaf.admission {
                    Some(a) => Admission::from_bytes(a)
                        .map_err(|e| unavailable(format!("stored admission: {e}")))
                        .and_then(|a| verifier.readmit(&a).map_err(unavailable)),
                    None => verifier
                        .readmit_leaf(&leaf.bytes, &mut OsRng)
                        .map_err(unavailable),
                };
                taken?;
            }
            from = to;
        }
        state.verifier = Some(verifier);
        Ok(())
    }

    /// The log for `origin`: followed already, or an election on one of the witness's boards whose
    /// manifest names this witness (its name and key), which it starts following at size 0.
    fn log(&self, origin: &str) -> Result<Arc<Mutex<LogState>>, WitnessError> {
        if let Some(l) = self.logs.read().expect("not poisoned").get(origin) {
            return Ok(l.clone());
        }
        let unknown = || WitnessError::UnknownOrigin(origin.into());
        let (board_origin, election) = origin.rsplit_once('/').ok_or_else(unknown)?;
        if election.len() != 64
            || !election
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(unknown());
        }
        for url in &self.config.boards {
            let Ok(info) = self.get_json(&format!("{url}/v1/board")) else {
                continue;
            };
            if info["origin"].as_str() != Some(board_origin) {
                continue;
            }
            let Ok(first) = self.get_json(&format!("{url}/v1/elections/{election}/entries/0"))
            else {
                continue;
            };
            let Some(manifest_leaf) = first["leaf"].as_str().and_then(|s| B64.decode(s).ok())
            else {
                continue;
            };
            let Ok(leaf) = Leaf::from_bytes(&manifest_leaf, 1) else {
                continue;
            };
            let Entry::Manifest(m) = &leaf.signed.entry else {
                continue;
            };
            let me = self.config.key.public_key();
            let names_me = m
                .witnesses
                .iter()
                .any(|w| w.name == self.config.name && w.key == me);
            if hex::encode(m.hash()) != election || m.board.origin != board_origin || !names_me {
                continue;
            }
            let stored = StoredLog {
                origin: origin.into(),
                election: election.into(),
                board_url: url.clone(),
                manifest_leaf,
                size: 0,
                root: protocol::merkle::root(&[]),
                frontier: Frontier::default().to_bytes(),
                note: None,
            };
            self.store.follow(&stored)?;
            let stored = self
                .store
                .logs()?
                .into_iter()
                .find(|l| l.origin == origin)
                .ok_or_else(unknown)?;
            let state = Arc::new(Mutex::new(self.state_of(stored)?));
            let mut logs = self.logs.write().expect("not poisoned");
            let entry = logs.entry(origin.into()).or_insert(state);
            tracing::info!(
                origin,
                board = url,
                "following a new election that names this witness"
            );
            return Ok(entry.clone());
        }
        Err(unknown())
    }

    /// Reads the witnessed timeline (§13.9) of a followed log from its board and, when the board
    /// does not answer, from the other witnesses its manifest names, and keeps every checkpoint a
    /// quorum cosigned within this witness's copy of the record, so that the copy's export carries
    /// the quorum's cosignatures and outlives the board (§13.10). Returns how many it kept.
    pub fn gather_timeline(&self, origin: &str) -> Result<usize, WitnessError> {
        let log = self
            .logs
            .read()
            .expect("not poisoned")
            .get(origin)
            .cloned()
            .ok_or_else(|| WitnessError::UnknownOrigin(origin.into()))?;
        // A copy, so the log is not locked while other servers are asked.
        let (election, manifest, manifest_hash, size, board_url) = {
            let l = log.lock().unwrap_or_else(|p| p.into_inner());
            (
                l.stored.election.clone(),
                l.manifest.clone(),
                l.manifest_hash,
                l.stored.size,
                l.stored.board_url.clone(),
            )
        };
        // The timeline's right edge: every kept checkpoint's root is recomputed from this
        // witness's own leaves, so only this log's one history is kept.
        let (mut last, frontier_bytes) = self.store.timeline_frontier(origin)?;
        let mut frontier = Frontier::from_bytes(&frontier_bytes)
            .ok_or_else(|| unavailable("stored timeline frontier is malformed"))?;
        let me = self.config.key.public_key();
        let peers = manifest
            .witnesses
            .iter()
            .filter(|w| w.key != me)
            .map(|w| w.url.trim_end_matches('/').to_owned());
        let mut kept = 0;
        for source in std::iter::once(board_url).chain(peers) {
            if last >= size {
                break;
            }
            let url = format!("{source}/v1/elections/{election}/checkpoints?after={last}");
            let Ok(list) = self.get_json(&url) else {
                continue;
            };
            // Verified first, then taken in increasing size whatever order the source used.
            let mut offered: Vec<(u64, String)> = list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["note"].as_str())
                .filter_map(|note| verified_note(note, &manifest, &manifest_hash))
                .filter(|(s, _)| *s > last && *s <= size)
                .collect();
            offered.sort_by_key(|(s, _)| *s);
            offered.dedup_by_key(|(s, _)| *s);
            let mut new = Vec::new();
            for (at, note) in offered {
                let mut ahead = frontier.clone();
                let mut from = last;
                while from < at {
                    let to = (from + 1000).min(at);
                    let page = self.store.leaves(origin, from, to)?;
                    if page.len() as u64 != to - from {
                        return Err(unavailable(format!(
                            "the witness's copy of {origin} lacks leaves {from}..{to}"
                        )));
                    }
                    for leaf in &page {
                        ahead.push(&leaf.bytes);
                    }
                    from = to;
                }
                let root = note
                    .lines()
                    .nth(2)
                    .and_then(|r| B64.decode(r).ok())
                    .and_then(|r| <[u8; 32]>::try_from(r).ok());
                if root != Some(ahead.root()) {
                    tracing::warn!(
                        origin,
                        source,
                        size = at,
                        "a quorum cosigned a checkpoint that is not this log's history (a split view): not kept"
                    );
                    break;
                }
                frontier = ahead;
                last = at;
                new.push((at, note));
            }
            kept += new.len();
            self.store
                .add_timeline(origin, &new, last, &frontier.to_bytes())?;
        }
        Ok(kept)
    }

    /// A JSON answer of at most [`MAX_ANSWER`] bytes.
    fn get_json(&self, url: &str) -> Result<Value, WitnessError> {
        self.get_json_within(url, MAX_ANSWER)
    }

    /// A JSON answer of at most `cap` bytes.
    fn get_json_within(&self, url: &str, cap: u64) -> Result<Value, WitnessError> {
        let reader = self
            .http
            .get(url)
            .call()
            .map_err(|e| unavailable(format!("{url}: {e}")))?
            .into_reader()
            .take(cap);
        serde_json::from_reader(reader).map_err(|e| unavailable(format!("{url}: {e}")))
    }

    /// One page of leaves from `from` (below `to`) from the board.
    fn fetch_page(
        &self,
        state: &LogState,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, WitnessError> {
        let url = format!(
            "{}/v1/elections/{}/entries?start={from}&end={to}",
            state.stored.board_url, state.stored.election
        );
        let page = self.get_json_within(&url, MAX_ENTRIES_ANSWER)?;
        let entries = page["entries"].as_array().cloned().unwrap_or_default();
        if entries.is_empty() {
            return Err(unavailable(format!(
                "the board served no entries from {from} (below its checkpoint's {to})"
            )));
        }
        let mut out = Vec::with_capacity(entries.len());
        for (i, e) in entries.into_iter().enumerate() {
            let index = from + i as u64;
            let bytes = e["leaf"]
                .as_str()
                .and_then(|s| B64.decode(s).ok())
                .ok_or_else(|| unavailable("the board served an entry without its leaf"))?;
            if e["index"].as_u64() != Some(index) || index >= to {
                return Err(unavailable("the board served entries out of order"));
            }
            out.push((index, bytes));
        }
        Ok(out)
    }

    /// C2SP tlog-witness add-checkpoint: the cosignature line, or why not. Blocking: it may read
    /// the board and verify proofs.
    pub fn add_checkpoint(&self, body: &[u8]) -> Result<String, WitnessError> {
        let request = parse_request(body)?;
        let origin = request
            .note
            .split_once('\n')
            .map(|(o, _)| o)
            .ok_or_else(|| WitnessError::Malformed("the checkpoint has no origin line".into()))?;
        if let Some(other) = self.others.get(origin) {
            let mut other = other.lock().unwrap_or_else(|p| p.into_inner());
            return self.add_other_checkpoint(&mut other, &request);
        }
        let log = self.log(origin)?;
        let mut state = log.lock().unwrap_or_else(|p| p.into_inner());
        let checkpoint = Checkpoint::verify_for(
            request.note,
            &state.manifest,
            &state.manifest_hash,
        )
        .map_err(|e| match e {
            protocol::Error::BadSignature { .. } => WitnessError::BadSignature(e.to_string()),
            protocol::Error::Log(m) if m.contains("signature") => {
                WitnessError::BadSignature(m.into())
            }
            other => WitnessError::Malformed(other.to_string()),
        })?;
        if request.old > checkpoint.size {
            return Err(WitnessError::Malformed(format!(
                "old size {} is above the checkpoint's size {}",
                request.old, checkpoint.size
            )));
        }
        let size = state.stored.size;
        if request.old != size {
            return Err(WitnessError::WrongOldSize {
                old: request.old,
                size,
            });
        }
        let mut frontier = state.frontier.clone();
        if checkpoint.size == size {
            if checkpoint.root != state.stored.root {
                tracing::warn!(origin, size, "refused a fork: same size, another root");
                return Err(WitnessError::Fork(size));
            }
        } else {
            verify_consistency(
                size,
                checkpoint.size,
                &state.stored.root,
                &checkpoint.root,
                &request.proof,
            )
            .map_err(|e| WitnessError::Unprocessable(format!("the consistency proof: {e}")))?;
        }
        let growing = self.config.verifying && checkpoint.size > size;
        let target = checkpoint.size;
        let advanced = self.store.advance(origin, size, |put| {
            if growing {
                // Page by page: hashed into the tree, checked by the verifier, written.
                let mut next = size;
                while next < target {
                    let page = self.fetch_page(&state, next, target)?;
                    next += page.len() as u64;
                    for (_, bytes) in &page {
                        frontier.push(bytes);
                    }
                    let leaves = take_in(&mut state, page)
                        .map_err(|e| WitnessError::Unprocessable(format!("the record: {e}")))?;
                    put(&leaves)?;
                }
                if frontier.root() != checkpoint.root {
                    return Err(WitnessError::Unprocessable(
                        "the board's entries do not hash to the checkpoint's root".into(),
                    ));
                }
            }
            let time = now().max(1);
            let line = protocol::witness::cosign(
                &self.config.name,
                &self.config.key,
                &checkpoint.body(),
                time,
            );
            Ok(crate::store::Advanced {
                size: target,
                root: checkpoint.root,
                frontier: frontier.to_bytes(),
                note: format!("{}{line}", request.note),
                time,
                line,
            })
        });
        let advanced = match advanced {
            Ok(a) => a,
            Err(e) => {
                if growing {
                    // Nothing was written, but the verifier may have taken part of the gap in:
                    // start it again from the store.
                    if matches!(e, WitnessError::Unprocessable(_)) {
                        tracing::warn!(origin, error = %e, "refused a checkpoint whose record fails");
                    }
                    state.verifier = None;
                    self.rebuild(&mut state)?;
                }
                return Err(e);
            }
        };
        state.stored.size = advanced.size;
        state.stored.root = advanced.root;
        state.stored.frontier = advanced.frontier;
        state.stored.note = Some(advanced.note);
        state.frontier = frontier;
        Ok(advanced.line)
    }
}

impl Witness {
    /// add-checkpoint for another log: its key's signature on the note, the old size, the
    /// consistency proof; then the cosignature over the whole note body (extension lines too).
    fn add_other_checkpoint(
        &self,
        log: &mut OtherLog,
        request: &AddCheckpoint<'_>,
    ) -> Result<String, WitnessError> {
        let note = signed_note::Note::from_bytes(request.note.as_bytes())
            .map_err(|e| WitnessError::Malformed(format!("the checkpoint note: {e:?}")))?;
        let keys = signed_note::VerifierList::new(vec![Box::new(log.key.clone())]);
        note.verify(&keys)
            .map_err(|e| WitnessError::BadSignature(format!("the log's signature: {e:?}")))?;
        let body = std::str::from_utf8(note.text())
            .map_err(|_| WitnessError::Malformed("the checkpoint is not UTF-8".into()))?
            .to_owned();
        let mut lines = body.lines();
        let bad = |m: &str| WitnessError::Malformed(m.into());
        let (Some(_origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(bad("a checkpoint has an origin, a size and a root"));
        };
        let (size, root) = protocol::merkle::parse_size_and_root(size, root)
            .map_err(|e| WitnessError::Malformed(e.to_string()))?;
        if request.old > size {
            return Err(bad("the old size is above the checkpoint's size"));
        }
        let stored = log.stored.size;
        if request.old != stored {
            return Err(WitnessError::WrongOldSize {
                old: request.old,
                size: stored,
            });
        }
        if size == stored {
            if root != log.stored.root {
                return Err(WitnessError::Fork(size));
            }
        } else {
            verify_consistency(stored, size, &log.stored.root, &root, &request.proof)
                .map_err(|e| WitnessError::Unprocessable(format!("the consistency proof: {e}")))?;
        }
        let origin = log.stored.origin.clone();
        let advanced = self.store.advance(&origin, stored, |_| {
            let time = now().max(1);
            let line = protocol::witness::cosign(&self.config.name, &self.config.key, &body, time);
            Ok(crate::store::Advanced {
                size,
                root,
                frontier: Frontier::default().to_bytes(),
                note: format!("{}{line}", request.note),
                time,
                line,
            })
        })?;
        log.stored.size = advanced.size;
        log.stored.root = advanced.root;
        log.stored.note = Some(advanced.note);
        Ok(advanced.line)
    }
}

fn is_voter_entry(leaf: &[u8]) -> bool {
    matches!(leaf.get(8), Some(6 | 7))
}

/// Runs the record verifier over new leaves: voter entries in batches (signatures and proofs
/// checked together, then every log-dependent check one by one), every other leaf on its own.
fn take_in(state: &mut LogState, fetched: Vec<(u64, Vec<u8>)>) -> Result<Vec<StoredLeaf>, String> {
    let verifier = state.verifier.as_mut().ok_or("the verifier is not ready")?;
    let mut out = Vec::with_capacity(fetched.len());
    let mut rest = fetched.into_iter().peekable();
    while let Some((index, bytes)) = rest.next() {
        let checker = is_voter_entry(&bytes)
            .then(|| verifier.voter_entry_checker())
            .flatten();
        let Some(checker) = checker else {
            verifier
                .push(&bytes, &mut OsRng)
                .map_err(|e| e.to_string())?;
            out.push(StoredLeaf {
                index,
                bytes,
                admission: None,
            });
            continue;
        };
        let mut run = vec![(index, bytes)];
        while let Some((i, b)) = rest.next_if(|(_, b)| is_voter_entry(b)) {
            run.push((i, b));
        }
        let threshold = verifier.threshold();
        let mut times = Vec::with_capacity(run.len());
        let mut entries = Vec::with_capacity(run.len());
        for (i, b) in &run {
            let leaf = Leaf::from_bytes(b, threshold)
                .map_err(|e| format!("V2 failed at entry {i}: {e}"))?;
            times.push(leaf.time);
            entries.push(leaf.signed);
        }
        let checked = checker.check_batch(entries, &mut OsRng);
        for (((index, bytes), time), result) in run.into_iter().zip(times).zip(checked) {
            let checked = result
                .map_err(|(step, e)| format!("{} failed at entry {index}: {e}", step.name()))?;
            let admission = verifier
                .push_checked(time, checked, &mut OsRng)
                .map_err(|e| e.to_string())?;
            out.push(StoredLeaf {
                index,
                bytes,
                admission: Some(admission.to_bytes()),
            });
        }
    }
    Ok(out)
}
