//! What the page exchanges with the board, as pure functions of JSON text (the page's fetches
//! run in the browser; these run anywhere and are tested natively).
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use protocol::context::VoterElection;
use protocol::hash::Digest32;
use protocol::record::{Entry, Receipt, SignedEntry};
use serde_json::Value;

/// Parses an election id (64 hex digits).
pub fn election_id(hex_id: &str) -> Option<Digest32> {
    let mut id = [0u8; 32];
    hex::decode_to_slice(hex_id.trim(), &mut id).ok()?;
    Some(id)
}

/// Opens the election from `GET /v1/elections/{id}/voting` (spec §11.8), checking everything.
pub fn open_election(id: &Digest32, voting_json: &str) -> Result<VoterElection, String> {
    let v: Value = serde_json::from_str(voting_json).map_err(|e| e.to_string())?;
    let field = |name: &str| {
        v[name]
            .as_str()
            .and_then(|s| B64.decode(s).ok())
            .ok_or_else(|| format!("the board's answer has no {name}"))
    };
    VoterElection::open(
        id,
        &field("manifest_leaf")?,
        &field("opened_leaf")?,
        &field("fingerprint_data")?,
    )
    .map_err(|e| e.to_string())
}

/// An entry the page posts (ballots and audited ballots carry their own signatures).
pub fn voter_entry(entry: Entry) -> SignedEntry {
    SignedEntry {
        entry,
        signature: None,
    }
}

/// Checks the board's receipt for the page's own entry (§13.5 step 1): signed by the manifest's
/// board key over exactly this entry.
pub fn check_receipt(
    receipt_json: &str,
    election: &VoterElection,
    entry: &SignedEntry,
) -> Result<Receipt, String> {
    let r: Value = serde_json::from_str(receipt_json).map_err(|e| e.to_string())?;
    let index = r["index"].as_u64().ok_or("the receipt has no index")?;
    let time = r["time"].as_u64().ok_or("the receipt has no time")?;
    let signature: [u8; 64] = r["signature"]
        .as_str()
        .and_then(|s| B64.decode(s).ok())
        .and_then(|s| s.try_into().ok())
        .ok_or("the receipt has no signature")?;
    Receipt::check_for(
        entry,
        index,
        time,
        &signature,
        &election.manifest_hash,
        &election.manifest.board.key,
    )
    .map_err(|_| "the receipt is not the board's signature over this ballot".into())
}

/// The size of the latest checkpoint from `GET /v1/elections/{id}` (the board size a ballot
/// binds, §11.7).
pub fn checkpoint_size(status_json: &str) -> Option<u64> {
    let v: Value = serde_json::from_str(status_json).ok()?;
    v["checkpoint"]["size"].as_u64()
}

/// The board's error message from an error body, or the body itself.
pub fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            let code = v["error"]["code"].as_str()?.to_owned();
            let message = v["error"]["message"].as_str()?.to_owned();
            Some(format!("{message} ({code})"))
        })
        .unwrap_or_else(|| body.to_owned())
}

/// §13.5 steps 2–3 on the device: the checkpoint (`GET .../checkpoint`) is a note signed by the
/// manifest's board key that covers the receipt's entry, and the inclusion proof
/// (`GET .../proofs/inclusion?index=&size=`) leads from the receipt's leaf hash to its root.
/// Returns the checkpoint's size, to show and to compare with other observers.
pub fn check_inclusion(
    election: &VoterElection,
    receipt: &Receipt,
    checkpoint_json: &str,
    proof_json: &str,
) -> Result<u64, String> {
    let cp: Value = serde_json::from_str(checkpoint_json).map_err(|e| e.to_string())?;
    let note = cp["note"].as_str().ok_or("the checkpoint has no note")?;
    let board = &election.manifest.board;
    let checkpoint = protocol::merkle::Checkpoint::verify_note(note, &board.origin, &board.key)
        .map_err(|e| format!("the checkpoint is not the board's: {e}"))?;
    if checkpoint.size <= receipt.index {
        return Err("the checkpoint does not cover the ballot yet".into());
    }
    let p: Value = serde_json::from_str(proof_json).map_err(|e| e.to_string())?;
    let path: Vec<Digest32> = p["proof"]
        .as_array()
        .ok_or("the inclusion proof has no path")?
        .iter()
        .map(|h| {
            let mut d = [0u8; 32];
            hex::decode_to_slice(h.as_str().unwrap_or_default(), &mut d).ok()?;
            Some(d)
        })
        .collect::<Option<_>>()
        .ok_or("the inclusion proof is not hex")?;
    protocol::merkle::verify_inclusion(
        receipt.index,
        checkpoint.size,
        &receipt.leaf_hash,
        &path,
        &checkpoint.root,
    )
    .map_err(|e| format!("the ballot is not under the board's checkpoint: {e}"))?;
    Ok(checkpoint.size)
}
