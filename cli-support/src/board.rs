//! Talking to the bulletin board (spec §13.7): posting signed entries, and reading the record
//! back, verified (V1–V15, [`crate::record`]), before acting on it. The tools never trust what the board says
//! without checking it: every decision is taken on a verified record.
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use protocol::manifest::Manifest;
use protocol::merkle::Checkpoint;
use protocol::record::{Phase, Receipt, SignedEntry};
use serde_json::Value;

use crate::error::{Error, Result};
pub use crate::record::Record;
use crate::record::{read_record, Progress};

/// The credential list's entry tag (spec §13.1).
const CREDENTIAL_LIST_TAG: u8 = 5;

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

    fn get_json(&self, path: &str) -> Result<Value> {
        self.get(path)?.into_json().map_err(|e| Error::Board {
            url: format!("{}{path}", self.base),
            reason: format!("unreadable answer: {e}"),
        })
    }

    /// Posts an entry (spec §13.7): JSON, except a credential list, a mix or a mix decryption,
    /// which goes as
    /// `application/octet-stream` with its signature in `Thistle-Signature` (the board checks it
    /// as the bytes arrive). A refusal that asks to come back (`503`, `429`) is retried with
    /// backoff, honouring `Retry-After`, for up to about a minute.
    fn post_json(&self, path: &str, entry: &SignedEntry) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let content = entry.entry.content_bytes();
        // The entries that may be large go as a signed stream (§13.7).
        let stream = [CREDENTIAL_LIST_TAG, 11, 12].contains(&content[0]);
        let mut json = serde_json::json!({ "body": B64.encode(&content[1..]) });
        if let Some(sig) = &entry.signature {
            json["signature"] = B64.encode(sig).into();
        }
        let mut delay = Duration::from_millis(250);
        let started = Instant::now();
        loop {
            let request = self.agent.post(&url);
            let sent = if stream {
                let signature = entry.signature.map(|s| B64.encode(s)).unwrap_or_default();
                request
                    .set("content-type", "application/octet-stream")
                    .set("thistle-signature", &signature)
                    .send_bytes(&content[1..])
            } else {
                request.send_json(&json)
            };
            match sent {
                Ok(resp) => {
                    return resp.into_json().map_err(|e| Error::Board {
                        url,
                        reason: format!("unreadable answer: {e}"),
                    })
                }
                Err(ureq::Error::Status(status, resp))
                    if (status == 429 || status == 503)
                        && started.elapsed() < Duration::from_secs(60) =>
                {
                    let asked = resp
                        .header("retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    std::thread::sleep(asked.unwrap_or(delay).max(delay));
                    delay = (delay * 2).min(Duration::from_secs(8));
                }
                Err(e) => return Err(board_error(&url, e)),
            }
        }
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

    /// The latest checkpoint, accepted only as a note signed by the manifest's board key: its
    /// size is the `board_size` a ballot binds (§11.2, §11.7).
    pub fn checkpoint(&self, manifest: &Manifest) -> Result<Checkpoint> {
        let hash = manifest.hash();
        let path = format!("/v1/elections/{}/checkpoint", hex::encode(hash));
        let body = self.get_json(&path)?;
        let note = body["note"].as_str().ok_or_else(|| Error::Board {
            url: format!("{}{path}", self.base),
            reason: "the checkpoint has no note".into(),
        })?;
        Ok(Checkpoint::verify_for(note, manifest, &hash)?)
    }

    /// Whether the board answers its health check.
    pub fn healthy(&self) -> bool {
        self.get("/v1/health").is_ok()
    }

    /// The phase the board's status claims under its latest checkpoint: a hint for when to
    /// download and verify the record, never a fact to act on; `None` if the board did not say.
    pub fn phase_hint(&self, election: &str) -> Option<Phase> {
        self.get_json(&format!("/v1/elections/{election}"))
            .ok()
            .and_then(|v| v["phase"].as_str().and_then(Phase::named))
    }

    /// Copies the record export (`GET /v1/elections/{id}/record`, unverified) to `out`; returns
    /// its length in bytes. Verify the copy with `thistle-verify verify --file`.
    pub fn export(&self, election: &str, out: &mut impl std::io::Write) -> Result<u64> {
        let path = format!("/v1/elections/{election}/record");
        let mut reader = self.get(&path)?.into_reader();
        std::io::copy(&mut reader, out).map_err(|e| Error::Board {
            url: format!("{}{path}", self.base),
            reason: format!("the export broke off: {e}"),
        })
    }

    /// Downloads the record export, checks the checkpoint against the manifest's board key
    /// (V1), and runs the record verifier over every leaf (V2–V15), with bounded memory.
    pub fn record(&self, election: &str) -> Result<Record> {
        self.record_with(election, &mut |_, _, _| {})
    }

    /// [`Self::record`], reporting progress.
    pub fn record_with(&self, election: &str, progress: Progress<'_>) -> Result<Record> {
        let path = format!("/v1/elections/{election}/record");
        let resp = self.get(&path)?;
        read_record(resp.into_reader(), election, progress)
    }

    /// The verified record, waiting up to 15 s for a first checkpoint if the election was just
    /// created, and up to 30 s for the witness quorum's first cosignatures (§13.9).
    pub fn current(&self, election: &str) -> Result<Record> {
        let start = Instant::now();
        loop {
            match self.record(election) {
                Err(Error::Refused { code, .. })
                    if code == "not_found" && start.elapsed() < Duration::from_secs(15) =>
                {
                    std::thread::sleep(Duration::from_millis(200));
                }
                // A new election is witnessed within a round of pushes; a quorum that stays
                // away is reported (V1) after half a minute.
                Err(e) if not_witnessed(&e) && start.elapsed() < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                other => return other,
            }
        }
    }

    /// Waits until the verified record reaches `phase` (or `timeout` passes) and returns it. It
    /// polls the board's cheap status for a hint and downloads and verifies the record only when
    /// the hint says the phase was reached, so a long wait does not re-verify a large record.
    pub fn wait_for_phase(
        &self,
        election: &str,
        phase: Phase,
        timeout: Duration,
        progress: Progress<'_>,
    ) -> Result<Record> {
        let start = Instant::now();
        loop {
            let hint = self.phase_hint(election);
            // No usable hint (an old or minimal board): verify the record each time.
            if hint.is_none_or(|p| p >= phase) {
                match self.record_with(election, &mut *progress) {
                    Ok(record) if record.phase >= phase => return Ok(record),
                    Ok(_) => {}
                    Err(e) if transient(&e) => {}
                    Err(e) => return Err(e),
                }
            }
            if start.elapsed() > timeout {
                return Err(Error::Timeout(format!("the {phase:?} phase")));
            }
            std::thread::sleep(Duration::from_millis(500));
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
    let manifest_hash = manifest.hash();
    Receipt::check_for(
        entry,
        index,
        time,
        &sig,
        &manifest_hash,
        &manifest.board.key,
    )
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
        // Not witnessed yet: a new election is witnessed within a round of pushes.
        Error::Invalid(_) => not_witnessed(e),
        _ => false,
    }
}

/// V1's refusal of a record not (yet) witnessed by the quorum (§13.9).
fn not_witnessed(e: &Error) -> bool {
    matches!(e, Error::Invalid(f) if f.error == protocol::Error::Log(crate::record::NOT_WITNESSED))
}
