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
