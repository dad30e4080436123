//! Pushing each new checkpoint to the manifest's witnesses (C2SP tlog-witness) and collecting
//! their cosignatures (spec §13.9). Runs beside the checkpointer: a witness that is down or slow
//! delays only the next witnessed checkpoint, never a ballot.
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use protocol::hash::Digest32;
use protocol::manifest::WitnessInfo;
use protocol::witness::read_cosignature;

use crate::board::{Board, Election, Published};
use crate::store::{Store, StoredCheckpoint};

/// A checkpoint with the witnesses' cosignatures the board collected for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witnessed {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Digest32,
    /// The board's note with every collected cosignature line after the board's.
    pub note: String,
    /// Witnesses whose cosignature verified.
    pub cosigners: usize,
}

pub use protocol::witness::cosigners_in;

/// How long one add-checkpoint may take (a verifying witness fetches and checks the new entries).
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(20);

enum Refused {
    /// 409 with the witness's size: push again from there.
    Size(u64),
    Other(String),
}

fn request_body(old: u64, proof: &[Digest32], note: &str) -> String {
    let mut body = format!("old {old}\n");
    for h in proof {
        body.push_str(&B64.encode(h));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    body
}

async fn push(
    client: &awc::Client,
    election: &Election,
    witness: &WitnessInfo,
    old: u64,
    target: &Published,
) -> Result<String, Refused> {
    // `target` is a published checkpoint, so within the committed log.
    let proof = election
        .with_tree(|t| t.consistency_proof(old, target.size))
        .ok_or_else(|| Refused::Other(format!("no proof from size {old}")))?;
    let url = format!("{}/add-checkpoint", witness.url.trim_end_matches('/'));
    let mut response = client
        .post(&url)
        .content_type("text/plain; charset=utf-8")
        .send_body(request_body(old, &proof, &target.note))
        .await
        .map_err(|e| Refused::Other(format!("{url}: {e}")))?;
    let body = response
        .body()
        .limit(64 * 1024)
        .await
        .map_err(|e| Refused::Other(format!("{url}: {e}")))?;
    let text = String::from_utf8_lossy(&body);
    match response.status().as_u16() {
        200 => {
            let checkpoint_body = target
                .note
                .split_once("\n\n")
                .map(|(b, _)| format!("{b}\n"))
                .unwrap_or_default();
            // Only the line of this witness's key over this checkpoint is kept.
            text.lines()
                .find(|line| {
                    matches!(
                        read_cosignature(witness, &checkpoint_body, line),
                        Some(Ok(_))
                    )
                })
                .map(|line| format!("{line}\n"))
                .ok_or_else(|| {
                    Refused::Other(format!(
                        "{url}: no valid cosignature from {} in the answer",
                        witness.name
                    ))
                })
        }
        409 if response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/x.tlog.size")) =>
        {
            let size = text
                .trim_end_matches('\n')
                .parse()
                .map_err(|_| Refused::Other(format!("{url}: an unreadable size {text:?}")))?;
            Err(Refused::Size(size))
        }
        status => Err(Refused::Other(format!("{url}: {status} {}", text.trim()))),
    }
}

/// Pushes the latest checkpoint to every witness, one round at a time: every witness gets the
/// same checkpoint, so `k` of them can cosign the same one however fast the log grows. A round
/// ends when every push has answered or timed out.
pub(crate) async fn pusher(board: Arc<Board>, election: Arc<Election>) {
    let witnesses = election.manifest().witnesses.clone();
    if witnesses.is_empty() {
        return;
    }
    let client = awc::Client::builder().timeout(PUSH_TIMEOUT).finish();
    let mut known: Vec<u64> = vec![0; witnesses.len()];
    // Said once when a witness stops answering and once when it is back, not every round.
    let mut failing = vec![false; witnesses.len()];
    let mut timer = tokio::time::interval(board.checkpoint_interval());
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        timer.tick().await;
        let Some(target) = election.published() else {
            continue;
        };
        let due: Vec<usize> = (0..witnesses.len())
            .filter(|&i| known[i] < target.size)
            .collect();
        if due.is_empty() {
            continue;
        }
        let pushes = due
            .iter()
            .map(|&i| push(&client, &election, &witnesses[i], known[i], &target));
        let answers = futures_util::future::join_all(pushes).await;
        let mut lines = Vec::new();
        for (&i, answer) in due.iter().zip(answers) {
            match answer {
                Ok(line) => {
                    if std::mem::take(&mut failing[i]) {
                        tracing::info!(
                            election = election.id(),
                            witness = witnesses[i].name,
                            size = target.size,
                            "a witness cosigns again"
                        );
                    }
                    known[i] = target.size;
                    lines.push((i, line));
                }
                Err(Refused::Size(size)) => known[i] = size,
                Err(Refused::Other(e)) => {
                    if !std::mem::replace(&mut failing[i], true) {
                        tracing::warn!(election = election.id(), witness = witnesses[i].name, error = %e, "a witness did not cosign; retrying every checkpoint");
                    }
                }
            }
        }
        if let Some(w) = election.add_cosignatures(&target, lines) {
            let stored = StoredCheckpoint {
                size: w.size,
                note: w.note,
            };
            if let Err(e) = board.store().put_witnessed(election.id(), stored).await {
                tracing::warn!(election = election.id(), error = %e, "a witnessed checkpoint could not be stored; it is kept in memory and stored with the next");
            }
        }
    }
}
