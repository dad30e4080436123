//! What the page exchanges with the board, as pure functions of JSON text (the page's fetches
//! run in the browser; these run anywhere and are tested natively).
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use protocol::hash::Digest32;
use protocol::mixnet::RankedCount;
use protocol::record::{Entry, Receipt, SignedEntry};
use protocol::voter::VoterElection;
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
) -> Result<(Receipt, [u8; 64]), String> {
    let r: Value = serde_json::from_str(receipt_json).map_err(|e| e.to_string())?;
    let index = r["index"].as_u64().ok_or("the receipt has no index")?;
    let time = r["time"].as_u64().ok_or("the receipt has no time")?;
    let signature: [u8; 64] = r["signature"]
        .as_str()
        .and_then(|s| B64.decode(s).ok())
        .and_then(|s| s.try_into().ok())
        .ok_or("the receipt has no signature")?;
    let receipt = Receipt::check_for(
        entry,
        index,
        time,
        &signature,
        &election.manifest_hash,
        &election.manifest.board.key,
    )
    .map_err(|_| "the receipt is not the board's signature over this ballot".to_owned())?;
    if let Entry::Ballot(b) = &entry.entry {
        if index < b.encrypted.board_size {
            return Err("the board put the ballot before the checkpoint it was made after".into());
        }
    }
    Ok((receipt, signature))
}

/// The board size a ballot binds (§11.2, §11.7): the size of the latest checkpoint
/// (`GET /v1/elections/{id}/checkpoint`), taken only from a note the manifest's board key signed.
pub fn signed_checkpoint_size(
    election: &VoterElection,
    checkpoint_json: &str,
) -> Result<u64, String> {
    let cp: Value = serde_json::from_str(checkpoint_json).map_err(|e| e.to_string())?;
    let note = cp["note"].as_str().ok_or("the checkpoint has no note")?;
    protocol::merkle::Checkpoint::verify_for(note, &election.manifest, &election.manifest_hash)
        .map(|c| c.size)
        .map_err(|e| format!("the checkpoint is not the board's: {e}"))
}

/// The receipt file the voter keeps: only values the device checked or computed itself (the
/// board's signature over them verified by [`check_receipt`]), so the file cannot disagree with
/// the signature it carries.
pub fn receipt_file(election: &VoterElection, receipt: &Receipt, signature: &[u8; 64]) -> String {
    let code = receipt.tracking_code;
    serde_json::json!({
        "election": hex::encode(election.manifest_hash),
        "index": receipt.index,
        "time": receipt.time,
        "leaf_hash": hex::encode(receipt.leaf_hash),
        "tracking_code": code.map(|c| hex::encode(c.0)),
        "tracking_code_short": code.map(|c| c.short()),
        "board_key": hex::encode(election.manifest.board.key.as_bytes()),
        "signature": B64.encode(signature),
    })
    .to_string()
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

/// How long the page waits before posting a voter entry again, or `None` to give up and show
/// the error: after a refusal that asks to come back (`429`, `503`, honouring `Retry-After`)
/// or a connection lost before any answer (`status` is `None`). Posting the same ballot again
/// is always safe: the board answers a ballot it already holds with its receipt (§13.6). Other
/// refusals are final. Waits double from half a second to eight, for up to eight attempts.
pub fn retry_delay_ms(
    attempt: u32,
    status: Option<u16>,
    retry_after_s: Option<u32>,
) -> Option<u32> {
    const ATTEMPTS: u32 = 8;
    if attempt + 1 >= ATTEMPTS || !matches!(status, None | Some(429) | Some(503)) {
        return None;
    }
    let backoff = 500u32.saturating_mul(1 << attempt.min(4)).min(8_000);
    let asked = retry_after_s.map_or(0, |s| s.min(60).saturating_mul(1000));
    Some(backoff.max(asked))
}

/// A checkpoint the device may prove a ballot's inclusion under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provable {
    /// Its size.
    pub size: u64,
    /// Its root, hex.
    pub root: String,
    /// The witnesses who cosigned it, by name; `None` when the manifest names no witnesses.
    pub witnesses: Option<Vec<String>>,
}

/// The checkpoint to prove inclusion under (§13.5, §13.9), from `GET .../checkpoint`: with witnesses
/// in the manifest, only the latest one `k` of them cosigned (`witnessed`; every cosignature line of
/// a manifest witness verified); without witnesses, the board's own. `Ok(None)`: no checkpoint is
/// witnessed yet.
pub fn provable_checkpoint(
    election: &VoterElection,
    checkpoint_json: &str,
) -> Result<Option<Provable>, String> {
    let cp: Value = serde_json::from_str(checkpoint_json).map_err(|e| e.to_string())?;
    let (manifest, hash) = (&election.manifest, &election.manifest_hash);
    if manifest.witnesses.is_empty() {
        let note = cp["note"].as_str().ok_or("the checkpoint has no note")?;
        let checkpoint = protocol::merkle::Checkpoint::verify_for(note, manifest, hash)
            .map_err(|e| format!("the checkpoint is not the board's: {e}"))?;
        return Ok(Some(Provable {
            size: checkpoint.size,
            root: hex::encode(checkpoint.root),
            witnesses: None,
        }));
    }
    let Some(note) = cp["witnessed"]["note"].as_str() else {
        return Ok(None);
    };
    let witnessed = protocol::witness::WitnessedCheckpoint::verify(note, manifest, hash)
        .map_err(|e| format!("the witnessed checkpoint does not verify: {e}"))?;
    if !witnessed.meets_quorum() {
        return Ok(None);
    }
    let names = witnessed
        .cosigned()
        .iter()
        .map(|c| manifest.witnesses[c.witness].name.clone())
        .collect();
    Ok(Some(Provable {
        size: witnessed.checkpoint().size,
        root: hex::encode(witnessed.checkpoint().root),
        witnesses: Some(names),
    }))
}

/// §13.5 steps 2–3 on the device: the checkpoint [`provable_checkpoint`] picks covers the
/// receipt's entry, and the inclusion proof (`GET .../proofs/inclusion?index=&size=` at its size)
/// leads from the receipt's leaf hash to its root. Returns that checkpoint, to show and to compare
/// with other observers.
pub fn check_inclusion(
    election: &VoterElection,
    receipt: &Receipt,
    checkpoint_json: &str,
    proof_json: &str,
) -> Result<Provable, String> {
    let provable =
        provable_checkpoint(election, checkpoint_json)?.ok_or("no checkpoint is witnessed yet")?;
    if provable.size <= receipt.index {
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
    let mut root = [0u8; 32];
    hex::decode_to_slice(&provable.root, &mut root).map_err(|e| e.to_string())?;
    protocol::merkle::verify_inclusion(
        receipt.index,
        provable.size,
        &receipt.leaf_hash,
        &path,
        &root,
    )
    .map_err(|e| format!("the ballot is not under the checkpoint: {e}"))?;
    Ok(provable)
}

/// One contest's published results: its title, `(option title, total)` rows and, for a budget, what they fund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestTotals {
    /// The contest's title.
    pub title: String,
    /// `(option title, total)` in manifest order.
    pub rows: Vec<(String, u64)>,
    /// For a budget contest, whether each option is funded (spec §12.7).
    pub funded: Option<Vec<bool>>,
    /// For a ranked contest, its published count (spec §12.8, §12.11).
    pub ranked: Option<RankedView>,
}

/// A ranked contest's count sheet as the observer view shows it; values in units of 10⁻⁵ vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedView {
    /// Papers decrypted (one per counted ballot).
    pub papers: usize,
    /// Valid papers.
    pub valid: u64,
    /// The quota (Scottish STV).
    pub quota: Option<u64>,
    /// Candidates' names, in manifest order.
    pub candidates: Vec<String>,
    /// The stages, the first first.
    pub stages: Vec<StageView>,
    /// The elected, in order of election.
    pub elected: Vec<String>,
}

/// What one stage did, and every candidate's votes at its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageView {
    /// The stage's action.
    pub action: StageAction,
    /// Votes per candidate, in units.
    pub votes: Vec<u64>,
    /// Non-transferable so far, in units.
    pub non_transferable: u64,
    /// Elected at the end of the stage.
    pub elected: Vec<String>,
    /// The candidate a lot chose at this stage, if one did.
    pub lot: Option<String>,
}

/// A stage's action, with names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StageAction {
    /// Stage 1.
    FirstPreferences,
    /// A surplus transferred: whose, how many units.
    Surplus(String, u64),
    /// A candidate excluded.
    Exclusion(String),
}

fn ranked_view(contest: &protocol::manifest::Contest, count: &RankedCount) -> RankedView {
    use protocol::stv::Action;
    let name = |c: u16| {
        contest
            .options
            .get(usize::from(c))
            .map_or_else(|| format!("#{c}"), |o| o.title.clone())
    };
    RankedView {
        papers: count.rows.len(),
        valid: count.sheet.valid,
        quota: count.sheet.quota,
        candidates: contest.options.iter().map(|o| o.title.clone()).collect(),
        stages: count
            .sheet
            .stages
            .iter()
            .map(|s| StageView {
                action: match &s.action {
                    Action::FirstPreferences => StageAction::FirstPreferences,
                    Action::Surplus { from, surplus } => {
                        StageAction::Surplus(name(*from), *surplus)
                    }
                    Action::Exclusion { of } => StageAction::Exclusion(name(*of)),
                },
                votes: s.votes.clone(),
                non_transferable: s.non_transferable,
                elected: s.elected.iter().map(|&c| name(c)).collect(),
                lot: s.lot.as_ref().map(|l| name(l.chosen)),
            })
            .collect(),
        elected: count.sheet.elected.iter().map(|&c| name(c)).collect(),
    }
}

/// How many entries at most follow the move to the tally phase (the phase change, each
/// trustee's partial decryption and mix decryptions, the ranked counts, the results): the tail
/// of the log the observer view reads for the results, from leaf 0's JSON.
pub fn tally_tail_len(manifest_entry_json: &str) -> Result<u64, String> {
    let first = leaf_of(manifest_entry_json, 1)?;
    let Entry::Manifest(m) = &first.signed.entry else {
        return Err("leaf 0 is not a manifest".into());
    };
    let ranked = m.contests.iter().filter(|c| c.is_ranked()).count() as u64;
    let trustees = m.trustees.len() as u64;
    Ok(2 + trustees * (1 + ranked) + ranked)
}

/// The exact command that verifies this election from this board, ready to copy.
pub fn verify_command(board_origin: &str, election_hex: &str) -> String {
    format!("thistle-verify verify --board {board_origin} --election {election_hex}")
}

/// What the observer view shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardView {
    /// The election's title.
    pub title: String,
    /// The phase under the latest checkpoint.
    pub phase: String,
    /// The latest checkpoint's size and root (hex), to compare with other observers.
    pub checkpoint: Option<(u64, String)>,
    /// Cast and audited ballots under it, when the board knows them.
    pub counts: Option<(u64, u64)>,
    /// Once published: per contest, its title and `(option title, total)`.
    pub results: Option<Vec<ContestTotals>>,
    /// Credentials with a counted ballot and listed credentials, when the board knows them.
    pub turnout: Option<(u64, u64)>,
    /// The manifest's witnesses (§13.9) and what each cosigned of the latest witnessed
    /// checkpoint; empty when the manifest names none.
    pub witnesses: Vec<WitnessLine>,
    /// The latest checkpoint `k` witnesses cosigned: its size, once there is one.
    pub witnessed: Option<u64>,
}

/// One witness in the observer view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessLine {
    /// Its name.
    pub name: String,
    /// Where it serves its copy of the record.
    pub url: String,
    /// When (Unix seconds, its clock) it cosigned the latest witnessed checkpoint, if it did.
    pub cosigned_at: Option<u64>,
}

/// `part` as a percentage of `whole` with one decimal (`"–"` for an empty whole).
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".into();
    }
    let tenths = (part as u128 * 1000 + whole as u128 / 2) / whole as u128;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// Whether voting is over, from the board's status (`GET /v1/elections/{id}`) and the device's
/// clock (Unix seconds): the phase moved past voting (the administrator may close early), or the
/// manifest's closing time has passed (the board refuses ballots from then on).
pub fn voting_closed(status_json: &str, now: u64) -> bool {
    let Ok(status) = serde_json::from_str::<Value>(status_json) else {
        return false;
    };
    let past_voting = matches!(
        status["phase"].as_str(),
        Some("VotingClosed" | "Tally" | "ResultsPublished")
    );
    past_voting || status["closes_at"].as_u64().is_some_and(|at| now >= at)
}

fn leaf_of(entry_json: &str, threshold: u32) -> Result<protocol::record::Leaf, String> {
    let v: Value = serde_json::from_str(entry_json).map_err(|e| e.to_string())?;
    let bytes = v["leaf"]
        .as_str()
        .and_then(|s| B64.decode(s).ok())
        .ok_or("the entry has no leaf")?;
    protocol::record::Leaf::from_bytes(&bytes, threshold).map_err(|e| e.to_string())
}

/// The observer view from the board's status (`GET /v1/elections/{id}`), leaf 0 and, once
/// published, the log's last entries (`GET .../entries?start=..&end=size`, at least
/// [`tally_tail_len`] of them): the last is the results, and before it each ranked contest's
/// count. The manifest must hash to the id and the results and counts be signed by its
/// administrator; the full check is the verifier's (V1–V19).
pub fn board_view(
    id: &Digest32,
    status_json: &str,
    manifest_entry_json: &str,
    tail_entries_json: Option<&str>,
) -> Result<BoardView, String> {
    let status: Value = serde_json::from_str(status_json).map_err(|e| e.to_string())?;
    let first = leaf_of(manifest_entry_json, 1)?;
    let Entry::Manifest(manifest) = &first.signed.entry else {
        return Err("leaf 0 is not a manifest".into());
    };
    let hash = manifest.hash();
    if hash != *id {
        return Err("the manifest is not this election's".into());
    }
    let results = match tail_entries_json {
        None => None,
        Some(json) => {
            let page: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
            let leaves = page["entries"]
                .as_array()
                .ok_or("the board sent no entries")?
                .iter()
                .map(|e| leaf_of(&e.to_string(), manifest.threshold))
                .collect::<Result<Vec<_>, _>>()?;
            let Some(Entry::Results(r)) = leaves.last().map(|l| &l.signed.entry) else {
                return Err("the last entry is not the results".into());
            };
            let mut counts = Vec::new();
            for leaf in &leaves {
                if matches!(leaf.signed.entry, Entry::Results(_) | Entry::RankedCount(_)) {
                    leaf.signed
                        .verify_writer(manifest, &hash)
                        .map_err(|e| e.to_string())?;
                }
                if let Entry::RankedCount(c) = &leaf.signed.entry {
                    counts.push(c);
                }
            }
            if r.totals.len() != manifest.contests.len() {
                return Err("the results do not match the contests".into());
            }
            Some(
                manifest
                    .contests
                    .iter()
                    .zip(&r.totals)
                    .enumerate()
                    .map(|(index, (c, totals))| ContestTotals {
                        title: c.title.clone(),
                        rows: c
                            .options
                            .iter()
                            .map(|o| o.title.clone())
                            .zip(totals.iter().copied())
                            .collect(),
                        funded: protocol::tally::funded_projects(&c.kind, totals),
                        ranked: counts
                            .iter()
                            .find(|k| k.contest as usize == index)
                            .map(|k| ranked_view(c, k)),
                    })
                    .collect(),
            )
        }
    };
    let checkpoint = status["checkpoint"]["size"].as_u64().map(|size| {
        (
            size,
            status["checkpoint"]["root"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    });
    let counts = status["ballots"].as_u64().zip(status["audited"].as_u64());
    let turnout = status["counted"]
        .as_u64()
        .zip(status["credentials"].as_u64());
    // Every cosignature on the witnessed checkpoint is verified before it is shown.
    let witnessed = match status["checkpoint"]["witnessed"]["note"].as_str() {
        Some(note) => Some(
            protocol::witness::WitnessedCheckpoint::verify(note, manifest, &hash)
                .map_err(|e| format!("the witnessed checkpoint does not verify: {e}"))?,
        )
        .filter(|w| w.meets_quorum()),
        None => None,
    };
    let witnesses = manifest
        .witnesses
        .iter()
        .enumerate()
        .map(|(i, w)| WitnessLine {
            name: w.name.clone(),
            url: w.url.clone(),
            cosigned_at: witnessed
                .as_ref()
                .and_then(|c| c.cosigned().iter().find(|c| c.witness == i))
                .map(|c| c.time),
        })
        .collect();
    Ok(BoardView {
        title: manifest.title.clone(),
        phase: status["phase"].as_str().unwrap_or_default().to_owned(),
        checkpoint,
        counts,
        results,
        turnout,
        witnesses,
        witnessed: witnessed.map(|w| w.checkpoint().size),
    })
}
