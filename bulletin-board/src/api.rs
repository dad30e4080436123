//! The HTTP API (JSON; spec §13.7). Bytes travel as standard base64, hashes as lowercase hex.
//! Reads never go past the latest signed checkpoint.
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use futures_util::StreamExt;
use protocol::ballot::TrackingCode;
use protocol::encoding::Reader;
use protocol::record::{Entry, SignedEntry, Writer};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::board::{Accepted, Board, Election, Published};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::store::{Store, StoredLeaf};
use crate::witnesses::Witnessed;

/// Largest ballot or audited-ballot post before voting opens; once it is open, a voter's post is
/// at most the election's own [`Election::voter_body_limit`] (a 1-of-5 ballot's is under 4 KiB).
pub const VOTER_BODY_LIMIT: usize = 256 * 1024;
/// JSON a voter's post may carry around its base64 entry (the field names, a `null` signature,
/// whitespace).
pub const VOTER_JSON_SLACK: usize = 1024;
/// Largest credential-list upload (`application/octet-stream` with `Thistle-Signature`): 40
/// bytes a voter, so 13.4 million voters (Scotland's 4.3 million local-government electors are
/// 172 MB). Its bytes are authenticated as they arrive and spooled to disk, never held in memory
/// before the signature verifies.
pub const CREDENTIALS_BODY_LIMIT: usize = 512 * 1024 * 1024;
/// Largest mix or mix decryption upload (streamed like a credential list): a shuffle of 20,000
/// ballots ranking 13 candidates is about 20 MB; a million one-rank ballots about 230 MB.
pub const MIX_BODY_LIMIT: usize = protocol::mixnet::MAX_MIX_BYTES;
/// The credential list's entry tag (spec §13.1).
const CREDENTIAL_LIST_TAG: u8 = 5;
/// Entries that may be streamed as `application/octet-stream` with `Thistle-Signature`: the
/// credential list, mixes and mix decryptions (spec §13.7).
const STREAMED_TAGS: [u8; 3] = [CREDENTIAL_LIST_TAG, 11, 12];

/// The streamed upload limit of entry `tag`.
fn upload_limit(tag: u8) -> usize {
    if tag == CREDENTIAL_LIST_TAG {
        CREDENTIALS_BODY_LIMIT
    } else {
        MIX_BODY_LIMIT
    }
}
/// The header carrying the writer's signature of an `application/octet-stream` upload.
pub const SIGNATURE_HEADER: &str = "thistle-signature";
/// Largest post of any other entry.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Most entries one range read returns.
pub const PAGE_LIMIT: u64 = 1000;
/// Leaf bytes one range read returns at most (unless its first leaf alone is larger).
pub const PAGE_BYTES: usize = 8 * 1024 * 1024;

/// An entry posted to the board.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostEntry {
    /// The entry's body (spec §13.1: the canonical encoding of the manifest, ballot, ... without
    /// the tag byte), standard base64.
    pub body: String,
    /// The writer's Ed25519 signature under `thistle-v1/entry` over `ManifestHash ‖ tag ‖ body`
    /// (spec §13.1), base64; absent for ballots and audited ballots.
    #[serde(default)]
    pub signature: Option<String>,
}

/// A signed posting receipt (spec §13.5).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ReceiptJson {
    /// The election id (hex `ManifestHash`).
    pub election: String,
    /// Leaf index.
    pub index: u64,
    /// Board time of the leaf (Unix seconds).
    pub time: u64,
    /// RFC 9162 leaf hash, hex.
    pub leaf_hash: String,
    /// Tracking code of a ballot or audited ballot, hex.
    pub tracking_code: Option<String>,
    /// Its short form, as voters see it.
    pub tracking_code_short: Option<String>,
    /// The board's Ed25519 signature (tag `thistle-v1/receipt`), base64.
    pub signature: String,
    /// The board's public key, hex.
    pub board_key: String,
}

/// The board itself.
#[derive(Serialize, ToSchema)]
pub struct BoardInfo {
    /// Log origin (checkpoint first line).
    pub origin: String,
    /// The board's Ed25519 public key, hex.
    pub key: String,
    /// Election ids.
    pub elections: Vec<String>,
}

/// An election's state.
#[derive(Serialize, ToSchema)]
pub struct ElectionStatus {
    /// The election on this board: hex `ManifestHash`.
    pub election: String,
    /// The manifest's own `election_id` field (a name, not the board's id).
    pub election_id: String,
    /// The manifest's title.
    pub title: String,
    /// Voting window start (Unix seconds).
    pub opens_at: u64,
    /// Voting window end (Unix seconds, exclusive).
    pub closes_at: u64,
    /// The phase as of the latest checkpoint: Setup, KeyCeremony, VotingOpen, VotingClosed,
    /// Tally or ResultsPublished.
    pub phase: String,
    /// Whether ballots are accepted right now (voting open and within the window).
    pub accepting_ballots: bool,
    /// The fingerprint, once voting opened, hex.
    pub fingerprint: Option<String>,
    /// The latest checkpoint.
    pub checkpoint: Option<CheckpointJson>,
    /// Cast ballots (revotes included) under the latest checkpoint, when known.
    pub ballots: Option<u64>,
    /// Audited ballots under the latest checkpoint, when known.
    pub audited: Option<u64>,
    /// Credentials whose ballot counts (the last of each, V12) under the latest checkpoint, when
    /// known: the turnout, with `credentials`.
    pub counted: Option<u64>,
    /// Listed credentials, once the credential list is under the latest checkpoint.
    pub credentials: Option<u64>,
}

/// A signed checkpoint.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CheckpointJson {
    /// Tree size.
    pub size: u64,
    /// Root hash, hex.
    pub root: String,
    /// The C2SP signed note.
    pub note: String,
    /// The latest checkpoint `k` of the manifest's witnesses cosigned (spec §13.9), if any: a
    /// client proves inclusion under this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witnessed: Option<WitnessedJson>,
}

/// A checkpoint with its witnesses' cosignatures.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct WitnessedJson {
    /// Tree size.
    pub size: u64,
    /// Root hash, hex.
    pub root: String,
    /// The board's note followed by the witnesses' cosignature lines.
    pub note: String,
    /// How many of the manifest's witnesses cosigned it.
    pub cosigners: usize,
}

/// One leaf of the log.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EntryJson {
    /// Leaf index.
    pub index: u64,
    /// Board time (Unix seconds).
    pub time: u64,
    /// Entry type: manifest, phase, dkg_round1, dkg_round2, dkg_complaint, credential_list,
    /// ballot, audited_ballot, encrypted_tally, partial_decryption, results, mix,
    /// mix_decryption or ranked_count.
    #[serde(rename = "type")]
    pub kind: String,
    /// The leaf's canonical bytes (spec §13.1), base64.
    pub leaf: String,
    /// For ballots and audited ballots, the tracking code, hex.
    pub tracking_code: Option<String>,
}

/// A page of leaves.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EntriesJson {
    /// The checkpointed size the page was read under.
    pub size: u64,
    /// The leaves.
    pub entries: Vec<EntryJson>,
}

/// An inclusion proof.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct InclusionJson {
    /// Leaf index.
    pub index: u64,
    /// Tree size.
    pub size: u64,
    /// Root of that tree, hex.
    pub root: String,
    /// Sibling hashes, leaf to root, hex.
    pub proof: Vec<String>,
}

/// A consistency proof.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ConsistencyJson {
    /// Older size.
    pub from: u64,
    /// Newer size.
    pub to: u64,
    /// Proof hashes, hex.
    pub proof: Vec<String>,
}

/// Range query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First index.
    pub start: u64,
    /// One past the last index (at most `start + 1000` and about 8 MiB of leaves, clipped to the
    /// checkpoint; fewer come back when the page is full).
    pub end: u64,
}

/// Timeline query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterQuery {
    /// Only checkpoints larger than this size (0, the default, for the whole timeline): a
    /// follower asks for what it has not seen.
    #[serde(default)]
    pub after: u64,
}

/// Inclusion query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// Leaf index.
    pub index: u64,
    /// Tree size (default: the latest checkpoint's).
    pub size: Option<u64>,
}

/// Consistency query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// Older size.
    pub from: u64,
    /// Newer size (default: the latest checkpoint's).
    pub to: Option<u64>,
}

/// The record export: one binary file (spec §13.7).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct RecordFile(pub Vec<u8>);

/// The record export's first line (spec §13.7).
pub const RECORD_MAGIC: &[u8] = b"thistle-record-v1\n";

type Board_ = web::Data<Arc<Board>>;

fn kind_name(tag: u8) -> &'static str {
    match tag {
        0 => "manifest",
        1 => "phase",
        2 => "dkg_round1",
        3 => "dkg_round2",
        4 => "dkg_complaint",
        5 => "credential_list",
        6 => "ballot",
        7 => "audited_ballot",
        8 => "encrypted_tally",
        9 => "partial_decryption",
        10 => "results",
        11 => "mix",
        12 => "mix_decryption",
        13 => "ranked_count",
        _ => "unknown",
    }
}

/// The entry tag each write endpoint takes.
pub fn tag_of_path(kind: &str) -> Option<u8> {
    Some(match kind {
        "phase" => 1,
        "dkg-round1" => 2,
        "dkg-round2" => 3,
        "dkg-complaints" => 4,
        "credentials" => 5,
        "ballots" => 6,
        "audited-ballots" => 7,
        "tally" => 8,
        "partial-decryptions" => 9,
        "results" => 10,
        "mixes" => 11,
        "mix-decryptions" => 12,
        "ranked-counts" => 13,
        _ => return None,
    })
}

fn bad(code: ErrorCode, msg: impl Into<String>) -> ApiError {
    ApiError::new(code, msg)
}

fn content_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

fn too_large(limit: usize) -> ApiError {
    bad(
        ErrorCode::BodyTooLarge,
        format!("the body exceeds this endpoint's limit of {limit} bytes"),
    )
}

/// A request body in memory, with the share of the board's body budget it holds.
struct Body {
    bytes: Vec<u8>,
    held: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Reads a body of at most `limit` bytes within the body deadline, counting every byte against
/// the board's budget for unauthenticated bodies (§13.8).
async fn read_body(
    board: &Board,
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Body, ApiError> {
    let declared = content_length(req);
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large(limit));
    }
    let deadline = board.limits.limits.body_deadline_for(declared.unwrap_or(0));
    let read = async {
        let mut body = Body {
            bytes: Vec::new(),
            held: None,
        };
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| bad(ErrorCode::MalformedJson, format!("body: {e}")))?;
            if body.bytes.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            let more = board.limits.body_bytes(chunk.len())?;
            match &mut body.held {
                Some(held) => held.merge(more),
                None => body.held = Some(more),
            }
            body.bytes.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(deadline, read)
        .await
        .map_err(|_| body_timeout(deadline))?
}

fn body_timeout(deadline: std::time::Duration) -> ApiError {
    bad(
        ErrorCode::RequestTimeout,
        format!(
            "the body did not arrive within {} s; send it at once",
            deadline.as_secs()
        ),
    )
}

/// A private scratch file: created 0600 in `dir` and unlinked at once, so it lives exactly as
/// long as its handle (a crash leaves nothing behind).
fn spool_file(dir: &std::path::Path) -> std::io::Result<std::fs::File> {
    use rand_core::RngCore;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(format!(
        "thistle-upload-{:016x}",
        rand_core::OsRng.next_u64()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

fn unauthorised_list() -> ApiError {
    bad(
        ErrorCode::Unauthorized,
        "the credential list must be signed by the manifest's credential authority (in the JSON \"signature\", or in the Thistle-Signature header of a stream)",
    )
}

/// Starts checking the credential authority's `signature` over a credential list entry
/// (`ManifestHash ‖ 0x05 ‖ body`); the caller feeds the body, as it arrives or at once.
fn credential_list_check(
    election: &Election,
    signature: &[u8; 64],
) -> Result<protocol::signature::StreamingVerification, ApiError> {
    let mut check = election
        .manifest()
        .credential_authority
        .verify_streaming(
            protocol::signature::tags::ENTRY,
            signature,
            "credential list",
        )
        .map_err(|_| unauthorised_list())?;
    check.update(election.manifest_hash());
    check.update(&[CREDENTIAL_LIST_TAG]);
    Ok(check)
}

/// Decodes an authenticated entry on the ballot-check threads, not the HTTP worker (a credential
/// list decodes a point per voter, on every check thread). `held` (the entry's share of a budget)
/// goes with the job and comes back with the entry, so an entry whose request is given up on
/// still counts until its job has left the threads.
async fn decode_off_worker<H: Send + 'static>(
    board: &Board,
    tag: u8,
    entry: Vec<u8>,
    signature: Option<[u8; 64]>,
    threshold: u32,
    held: H,
) -> Result<(SignedEntry, H), ApiError> {
    let (decoded, held) = board
        .limits
        .on_check_threads(move || (decode_entry(tag, &entry, signature, threshold), held))
        .await
        .ok_or_else(|| {
            bad(
                ErrorCode::Unavailable,
                "the board failed while decoding this entry; retry after the Retry-After delay",
            )
        })?;
    Ok((decoded?, held))
}

/// How many leading body bytes name the writer of a streamed entry: none for a credential list
/// (the authority), `contest ‖ mixer` for a mix, `contest ‖ N ‖ w ‖ trustee` for a mix decryption.
fn writer_prefix(tag: u8) -> usize {
    match tag {
        11 => 8,
        12 => 16,
        _ => 0,
    }
}

/// Starts checking the writer's `signature` over a streamed entry (`ManifestHash ‖ tag ‖ body`)
/// once `head` (the body's first [`writer_prefix`] bytes) names the writer; the caller feeds the
/// whole body, `head` included.
fn streamed_entry_check(
    election: &Election,
    tag: u8,
    head: &[u8],
    signature: &[u8; 64],
) -> Result<protocol::signature::StreamingVerification, ApiError> {
    if tag == CREDENTIAL_LIST_TAG {
        return credential_list_check(election, signature);
    }
    let unauthorised = || {
        bad(
            ErrorCode::Unauthorized,
            "a mix or mix decryption must be signed by the trustee it names (Thistle-Signature)",
        )
    };
    let at = writer_prefix(tag) - 4;
    let trustee = u32::from_le_bytes(head[at..at + 4].try_into().expect("4 bytes"));
    let key = &election
        .manifest()
        .trustee(trustee)
        .ok_or_else(unauthorised)?
        .key;
    let mut check = key
        .verify_streaming(protocol::signature::tags::ENTRY, signature, "trustee entry")
        .map_err(|_| unauthorised())?;
    check.update(election.manifest_hash());
    check.update(&[tag]);
    Ok(check)
}

/// Receives an entry sent as `application/octet-stream` (the entry body without its tag) with
/// its writer's signature in `Thistle-Signature` (a credential list, a mix, a mix decryption):
/// the signature is checked as the bytes arrive and the bytes go to a private spool file, so an
/// unauthenticated upload makes the board hold one chunk, never the entry. Returns the body once
/// it verified.
async fn receive_signed_upload(
    board: &Board,
    election: &Election,
    tag: u8,
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<(Vec<u8>, [u8; 64]), ApiError> {
    use std::io::{Read, Seek, Write};
    let header = req
        .headers()
        .get(SIGNATURE_HEADER)
        .ok_or_else(unauthorised_list)?;
    // Present but not a signature: the client's encoding is at fault (§13.7 `bad_encoding`).
    let signature: [u8; 64] = header
        .to_str()
        .ok()
        .and_then(|v| B64.decode(v.trim()).ok())
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| {
            bad(
                ErrorCode::BadEncoding,
                "the Thistle-Signature header must be a 64-byte signature in standard base64",
            )
        })?;
    let limit = upload_limit(tag);
    let declared = content_length(req);
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large(limit));
    }
    let prefix = writer_prefix(tag);
    let mut head = Vec::new();
    let mut check = if prefix == 0 {
        Some(streamed_entry_check(election, tag, &[], &signature)?)
    } else {
        None
    };
    let mut spool = spool_file(&board.limits.limits.spool_dir)
        .map_err(|e| bad(ErrorCode::Unavailable, format!("no spool file: {e}")))?;
    let deadline = board.limits.limits.body_deadline_for(declared.unwrap_or(0));
    let receive = async {
        let mut len = 0usize;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| bad(ErrorCode::BadEncoding, format!("body: {e}")))?;
            len += chunk.len();
            if len > limit {
                return Err(too_large(limit));
            }
            match check.as_mut() {
                Some(check) => check.update(&chunk),
                None => {
                    head.extend_from_slice(&chunk);
                    if head.len() >= prefix {
                        let mut started =
                            streamed_entry_check(election, tag, &head[..prefix], &signature)?;
                        started.update(&head);
                        head = Vec::new();
                        check = Some(started);
                    }
                }
            }
            spool
                .write_all(&chunk)
                .map_err(|e| bad(ErrorCode::Unavailable, format!("spool file: {e}")))?;
        }
        Ok(len)
    };
    let len = tokio::time::timeout(deadline, receive)
        .await
        .map_err(|_| body_timeout(deadline))??;
    check
        .ok_or_else(|| {
            bad(
                ErrorCode::BadEncoding,
                "the body is too short to name its writer",
            )
        })?
        .finish()
        .map_err(|_| {
            if tag == CREDENTIAL_LIST_TAG {
                unauthorised_list()
            } else {
                bad(
                    ErrorCode::Unauthorized,
                    "the Thistle-Signature is not the named trustee's signature of this entry",
                )
            }
        })?;
    let mut body = Vec::with_capacity(len);
    spool
        .rewind()
        .and_then(|()| spool.read_to_end(&mut body))
        .map_err(|e| bad(ErrorCode::Unavailable, format!("spool file: {e}")))?;
    Ok((body, signature))
}

fn parse_post(body: &[u8]) -> Result<(Vec<u8>, Option<[u8; 64]>), ApiError> {
    let post: PostEntry = serde_json::from_slice(body).map_err(|e| {
        bad(
            ErrorCode::MalformedJson,
            format!("expected {{\"body\": base64, \"signature\": base64}}: {e}"),
        )
    })?;
    let entry = B64
        .decode(post.body.as_bytes())
        .map_err(|e| bad(ErrorCode::BadEncoding, format!("body is not base64: {e}")))?;
    let signature = match post.signature {
        None => None,
        Some(s) => {
            let bytes = B64.decode(s.as_bytes()).map_err(|e| {
                bad(
                    ErrorCode::BadEncoding,
                    format!("signature is not base64: {e}"),
                )
            })?;
            Some(
                bytes
                    .try_into()
                    .map_err(|_| bad(ErrorCode::BadEncoding, "a signature is 64 bytes"))?,
            )
        }
    };
    Ok((entry, signature))
}

fn decode_entry(
    tag: u8,
    body: &[u8],
    signature: Option<[u8; 64]>,
    threshold: u32,
) -> Result<SignedEntry, ApiError> {
    let mut content = Vec::with_capacity(body.len() + 1);
    content.push(tag);
    content.extend_from_slice(body);
    let mut r = Reader::new(&content);
    let entry = Entry::decode(&mut r, threshold)
        .and_then(|e| r.finish("entry").map(|()| e))
        .map_err(|e| bad(ErrorCode::BadEncoding, format!("{}: {e}", kind_name(tag))))?;
    match (entry.writer(), signature) {
        (Writer::Voter, Some(_)) => Err(bad(
            ErrorCode::BadEncoding,
            "ballots carry their own signature inside the body; send no \"signature\"",
        )),
        (Writer::Voter, None) => Ok(SignedEntry {
            entry,
            signature: None,
        }),
        (_, None) => Err(bad(
            ErrorCode::Unauthorized,
            "this entry needs its writer's signature (\"signature\")",
        )),
        (_, Some(sig)) => Ok(SignedEntry {
            entry,
            signature: Some(sig),
        }),
    }
}

fn receipt_json(board: &Board, election: &str, a: &Accepted) -> ReceiptJson {
    ReceiptJson {
        election: election.to_owned(),
        index: a.receipt.index,
        time: a.receipt.time,
        leaf_hash: hex::encode(a.receipt.leaf_hash),
        tracking_code: a.receipt.tracking_code.map(|c| hex::encode(c.0)),
        tracking_code_short: a.receipt.tracking_code.map(|c| c.short()),
        signature: B64.encode(a.signature),
        board_key: hex::encode(board.public_key().as_bytes()),
    }
}

/// Reads back a receipt as [`ReceiptJson`] serves it: the signed fields and the board's
/// signature (which the caller verifies against the manifest's board key).
pub fn parse_receipt(r: &serde_json::Value) -> Option<(protocol::record::Receipt, [u8; 64])> {
    let hash = |v: &serde_json::Value| -> Option<[u8; 32]> {
        hex::decode(v.as_str()?).ok()?.try_into().ok()
    };
    let tracking_code = match &r["tracking_code"] {
        serde_json::Value::Null => None,
        code => Some(protocol::ballot::TrackingCode(hash(code)?)),
    };
    let receipt = protocol::record::Receipt {
        index: r["index"].as_u64()?,
        time: r["time"].as_u64()?,
        leaf_hash: hash(&r["leaf_hash"])?,
        tracking_code,
    };
    let signature = B64.decode(r["signature"].as_str()?).ok()?.try_into().ok()?;
    Some((receipt, signature))
}

fn checkpoint_json(p: &Published, witnessed: Option<Witnessed>) -> CheckpointJson {
    CheckpointJson {
        size: p.size,
        root: hex::encode(p.root),
        note: p.note.clone(),
        witnessed: witnessed.map(|w| WitnessedJson {
            size: w.size,
            root: hex::encode(w.root),
            note: w.note,
            cosigners: w.cosigners,
        }),
    }
}

fn checkpointed(election: &Election) -> Result<Published, ApiError> {
    election.published().ok_or_else(|| {
        bad(
            ErrorCode::NotFound,
            "no checkpoint yet; one is signed within a second of the first entry",
        )
    })
}

fn entry_json(leaf: &StoredLeaf) -> EntryJson {
    EntryJson {
        index: leaf.index,
        time: crate::board::leaf_time(&leaf.bytes).unwrap_or(0),
        kind: kind_name(leaf.bytes.get(8).copied().unwrap_or(u8::MAX)).to_owned(),
        leaf: B64.encode(&leaf.bytes),
        tracking_code: leaf.tracking_code.map(hex::encode),
    }
}

/// Creates an election from its signed manifest (leaf 0).
#[utoipa::path(post, path = "/v1/elections", request_body = PostEntry,
    responses((status = 201, body = ReceiptJson),
              (status = 200, description = "This exact manifest was already posted: its receipt", body = ReceiptJson),
              (status = "4XX", body = ErrorBody)))]
pub async fn create_election(
    board: Board_,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = match read_body(&board, &req, payload, BODY_LIMIT).await {
        Ok(body) => body,
        Err(e) => return Ok(refusal(&req, &e, false)),
    };
    let (entry, signature) = parse_post(&body.bytes)?;
    let signed = decode_entry(0, &entry, signature, 1)?;
    let (id, accepted) = board
        .create(signed)
        .await
        .inspect_err(|e| board.metrics.refused(e.code))?;
    let receipt = receipt_json(&board, &id, &accepted);
    // The same manifest posted again gets its receipt, with 200 instead of 201.
    Ok(if accepted.replayed {
        HttpResponse::Ok().json(receipt)
    } else {
        HttpResponse::Created().json(receipt)
    })
}

/// Posts an entry of one type (`kind`: phase, dkg-round1, dkg-round2, dkg-complaints,
/// credentials, ballots, audited-ballots, tally, partial-decryptions, results, mixes,
/// mix-decryptions, ranked-counts). A credential list, a mix or a mix decryption may instead be
/// sent as `application/octet-stream` (the entry body) with its writer's signature in the
/// `Thistle-Signature` header (spec §13.7).
#[utoipa::path(post, path = "/v1/elections/{election}/{kind}", request_body = PostEntry,
    params(("election" = String, Path, description = "The election: hex of its ManifestHash"),
           ("kind" = String, Path, description = "Entry type: phase, dkg-round1, dkg-round2, dkg-complaints, credentials, ballots, audited-ballots, tally, partial-decryptions, results, mixes, mix-decryptions or ranked-counts")),
    responses((status = 201, description = "Appended", body = ReceiptJson),
              (status = 200, description = "This exact entry was already on the log: its receipt", body = ReceiptJson),
              (status = 408, description = "The body did not arrive within the deadline", body = ErrorBody),
              (status = 429, description = "Over this client's rate; see Retry-After", body = ErrorBody),
              (status = "4XX", body = ErrorBody),
              (status = 503, description = "unavailable or busy; see Retry-After", body = ErrorBody)))]
pub async fn post_entry(
    board: Board_,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (id, kind) = path.into_inner();
    let client = board.limits.client(
        req.peer_addr().map(|a| a.ip()),
        req.headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok()),
    );
    // Long enough for the largest body the request says it brings (a signed list upload).
    let deadline = board.limits.limits.request_deadline.max(
        board
            .limits
            .limits
            .body_deadline_for(content_length(&req).unwrap_or(0))
            + board.limits.limits.request_deadline,
    );
    let consumed = std::cell::Cell::new(false);
    let result = tokio::time::timeout(deadline, async {
        board.limits.admit(client)?;
        let tag = tag_of_path(&kind)
            .ok_or_else(|| bad(ErrorCode::NotFound, format!("no entry type {kind:?}")))?;
        // Cheap refusals first, before a (possibly large) body is read or decoded.
        let election = board.find(&id).await?;
        let limit = match tag {
            6 | 7 => election.voter_body_limit(),
            _ => BODY_LIMIT,
        };
        let threshold = election.manifest().threshold;
        if let Err(refused) = election.precheck(tag) {
            // A retry of a signed entry that is committed (a phase change that moved the phase
            // on, the results) gets its receipt (§13.6): its body is read, within the limits of
            // any body, only to look it up.
            let json = req
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|v| v.as_bytes().starts_with(b"application/json"));
            if refused.code != ErrorCode::WrongPhase || matches!(tag, 6 | 7) || !json {
                return Err(refused);
            }
            let body = read_body(&board, &req, payload, BODY_LIMIT).await?;
            consumed.set(true);
            let (entry, signature) = parse_post(&body.bytes)?;
            let signed = decode_entry(tag, &entry, signature, threshold).map_err(|_| refused.clone())?;
            return match board.committed_signed_entry(&election, &signed).await? {
                Some(accepted) => Ok((true, receipt_json(&board, &id, &accepted))),
                None => Err(refused),
            };
        }
        let binary = req
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/octet-stream"));
        // Held until the entry is answered (a ballot's, by its checks until they are done): a
        // body and its decoded form count against the budget until then.
        let mut _held = None;
        let signed = if STREAMED_TAGS.contains(&tag) && binary {
            let uploading = board.limits.upload()?;
            let (entry, signature) =
                receive_signed_upload(&board, &election, tag, &req, payload).await?;
            consumed.set(true);
            decode_off_worker(&board, tag, entry, Some(signature), threshold, uploading)
                .await?
                .0
        } else {
            let body = read_body(&board, &req, payload, limit).await.map_err(|e| {
                if tag == 5 && e.code == ErrorCode::BodyTooLarge {
                    bad(
                        ErrorCode::BodyTooLarge,
                        format!("a credential list over {BODY_LIMIT} bytes is sent as application/octet-stream with the Thistle-Signature header (spec §13.7)"),
                    )
                } else {
                    e
                }
            })?;
            consumed.set(true);
            let (entry, signature) = parse_post(&body.bytes)?;
            let held = body.held;
            if tag == CREDENTIAL_LIST_TAG {
                // The writer's signature over the raw bytes before any point is decoded.
                let mut check =
                    credential_list_check(&election, &signature.ok_or_else(unauthorised_list)?)?;
                check.update(&entry);
                check.finish().map_err(|_| unauthorised_list())?;
                let (signed, held) =
                    decode_off_worker(&board, tag, entry, signature, threshold, held).await?;
                _held = held;
                signed
            } else {
                if matches!(tag, 6 | 7) {
                    // A ballot starts with the fingerprint, then the credential key (§11.3): a
                    // credential waiting out a proof failure is refused before any point is
                    // decoded.
                    if let Some(credential) = entry.get(32..64).and_then(|c| c.try_into().ok()) {
                        board.limits.check_credential(credential)?;
                    }
                    // Its points are decoded with its checks, on the ballot-check threads,
                    // which hold its body's share of the budget until they are done.
                    let accepted = board
                        .post_voter_entry(&election, held, move || {
                            decode_entry(tag, &entry, signature, threshold)
                        })
                        .await?;
                    return Ok((accepted.replayed, receipt_json(&board, &id, &accepted)));
                }
                _held = held;
                decode_entry(tag, &entry, signature, threshold)?
            }
        };
        let accepted = if signed.entry.writer() == Writer::Voter {
            board
                .post_voter_entry(&election, None, move || Ok(signed))
                .await?
        } else {
            board.post_signed_entry(&election, signed).await?
        };
        Ok::<_, ApiError>((accepted.replayed, receipt_json(&board, &id, &accepted)))
    })
    .await
    .unwrap_or_else(|_| {
        Err(bad(
            ErrorCode::Unavailable,
            format!("no answer within {} s; look the entry up before posting it again (a ballot posted again gets its receipt)", deadline.as_secs()),
        ))
    });
    match result {
        // A retry of a committed ballot gets its original receipt, with 200 instead of 201.
        Ok((true, r)) => Ok(HttpResponse::Ok().json(r)),
        Ok((false, r)) => Ok(HttpResponse::Created().json(r)),
        Err(e) => {
            if e.code != ErrorCode::Unavailable {
                tracing::debug!(election = id, kind, code = e.code.as_str(), "refused");
            }
            board.metrics.refused(e.code);
            Ok(refusal(&req, &e, consumed.get()))
        }
    }
}

/// A second handle on a request's TCP connection (`serve` attaches one to every connection), so
/// that a refusal can stop the connection's reading side.
#[derive(Clone)]
pub struct ConnectionHandle(pub Arc<std::net::TcpStream>);

impl ConnectionHandle {
    /// A handle on the connection `conn` (as `HttpServer::on_connect` passes it), if it is TCP.
    pub fn of(conn: &dyn std::any::Any) -> Option<Self> {
        use std::os::fd::AsFd;
        let tcp = conn.downcast_ref::<actix_web::rt::net::TcpStream>()?;
        let fd = tcp.as_fd().try_clone_to_owned().ok()?;
        Some(ConnectionHandle(Arc::new(std::net::TcpStream::from(fd))))
    }
}

/// The error response; if the request's body was not read to its end, the connection is closed
/// with it and its reading side shut, rather than kept open while the server drains what the
/// client is still sending (64 MiB, or one byte at a time: actix drains a dropped chunked body,
/// and lingers reading before it closes).
fn refusal(req: &HttpRequest, e: &ApiError, body_consumed: bool) -> HttpResponse {
    let mut response = actix_web::ResponseError::error_response(e);
    if !body_consumed {
        response
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        if let Some(conn) = req.conn_data::<ConnectionHandle>() {
            let _ = conn.0.shutdown(std::net::Shutdown::Read);
        }
    }
    response
}

/// The board's origin, key and elections.
#[utoipa::path(get, path = "/v1/board", responses((status = 200, body = BoardInfo)))]
pub async fn board_info(board: Board_) -> HttpResponse {
    HttpResponse::Ok().json(BoardInfo {
        origin: board.origin().to_owned(),
        key: hex::encode(board.public_key().as_bytes()),
        elections: board.election_ids(),
    })
}

/// An election's phase, window and latest checkpoint.
#[utoipa::path(get, path = "/v1/elections/{election}",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash")),
    responses((status = 200, body = ElectionStatus), (status = 404, body = ErrorBody)))]
pub async fn election_status(
    board: Board_,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let e = board.find(&id).await?;
    let (phase, fingerprint) = e.status();
    let published = e.published();
    let m = e.manifest();
    let t = crate::board::now();
    Ok(HttpResponse::Ok().json(ElectionStatus {
        election: e.id().to_owned(),
        election_id: m.election_id.clone(),
        title: m.title.clone(),
        opens_at: m.opens_at,
        closes_at: m.closes_at,
        phase: phase.name().to_owned(),
        accepting_ballots: phase == protocol::record::Phase::VotingOpen
            && t >= m.opens_at
            && t < m.closes_at,
        fingerprint: fingerprint.map(hex::encode),
        checkpoint: published
            .as_ref()
            .map(|p| checkpoint_json(p, e.witnessed())),
        ballots: published.as_ref().and_then(|p| p.counts).map(|c| c.ballots),
        audited: published.as_ref().and_then(|p| p.counts).map(|c| c.audited),
        counted: published.as_ref().and_then(|p| p.counts).map(|c| c.counted),
        credentials: published
            .as_ref()
            .and_then(|p| p.counts)
            .map(|c| c.listed)
            .filter(|&n| n > 0),
    }))
}

/// What a voter's device needs to encrypt (spec §11.8).
#[derive(Serialize, ToSchema)]
pub struct VotingJson {
    /// Leaf 0 (the signed manifest), base64: its manifest must hash to the election id.
    pub manifest_leaf: String,
    /// Index of the voting-open entry.
    pub opened_index: u64,
    /// The voting-open entry's leaf, base64: signed by the administrator, it carries the
    /// fingerprint.
    pub opened_leaf: String,
    /// `FingerprintData`, base64: the election key, checked against the fingerprint.
    pub fingerprint_data: String,
}

/// What a voter's device needs to encrypt: the signed manifest, the signed opening of the vote
/// and the data under its fingerprint. None of it is trusted: the device checks each (§11.8).
#[utoipa::path(get, path = "/v1/elections/{election}/voting",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash")),
    responses((status = 200, body = VotingJson), (status = "4XX", body = ErrorBody)))]
pub async fn voting(board: Board_, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let e = board.find(&id).await?;
    let (opened_index, data) = e.voter_context().ok_or_else(|| {
        bad(
            ErrorCode::WrongPhase,
            "voting has not opened (or its opening is not under a checkpoint yet)",
        )
    })?;
    let first = board.store().leaves(e.id(), 0, 1).await?;
    let opened = board
        .store()
        .leaves(e.id(), opened_index, opened_index + 1)
        .await?;
    let (Some(first), Some(opened)) = (first.first(), opened.first()) else {
        return Err(bad(ErrorCode::NotFound, "the opening's leaves are missing"));
    };
    let b64 = |bytes: &[u8]| B64.encode(bytes);
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-cache"))
        .json(VotingJson {
            manifest_leaf: b64(&first.bytes),
            opened_index,
            opened_leaf: b64(&opened.bytes),
            fingerprint_data: b64(&data),
        }))
}

/// A listed credential's weight.
#[derive(Serialize, ToSchema)]
pub struct CredentialJson {
    /// The weight its ballots count with.
    pub weight: u64,
}

/// The weight of a listed credential (hex of its public key): the voter's device needs it to
/// encrypt. A wrong answer only gets the ballot refused (the weight is in its proofs, V10).
#[utoipa::path(get, path = "/v1/elections/{election}/credentials/{key}",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash"),
           ("key" = String, Path, description = "The credential's public key, 64 hex digits")),
    responses((status = 200, body = CredentialJson), (status = "4XX", body = ErrorBody)))]
pub async fn credential(
    board: Board_,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let e = board.find(&id).await?;
    let key: [u8; 32] = hex::decode(&key)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| bad(ErrorCode::BadRequest, "the key must be 64 hex digits"))?;
    let weight = e.credential_weight(&key).ok_or_else(|| {
        bad(
            ErrorCode::UnknownCredential,
            "this credential is not on the election's credential list (or the list is not posted yet)",
        )
    })?;
    Ok(HttpResponse::Ok().json(CredentialJson { weight }))
}

/// The latest signed checkpoint.
#[utoipa::path(get, path = "/v1/elections/{election}/checkpoint",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash")),
    responses((status = 200, body = CheckpointJson), (status = 404, body = ErrorBody)))]
pub async fn checkpoint(board: Board_, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let e = board.find(&id).await?;
    Ok(HttpResponse::Ok().json(checkpoint_json(&checkpointed(&e)?, e.witnessed())))
}

/// Every checkpoint `k` of the manifest's witnesses cosigned (spec §13.9), by increasing size: the
/// election's witnessed timeline (from `after`).
#[utoipa::path(get, path = "/v1/elections/{election}/checkpoints",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash"), AfterQuery),
    responses((status = 200, body = [WitnessedJson]), (status = 404, body = ErrorBody)))]
pub async fn checkpoints(
    board: Board_,
    id: web::Path<String>,
    q: web::Query<AfterQuery>,
) -> Result<HttpResponse, ApiError> {
    let e = board.find(&id).await?;
    let published = checkpointed(&e)?.size;
    let stored = board.store().witnessed(e.id(), q.after).await?;
    let out: Vec<WitnessedJson> = stored
        .into_iter()
        .filter(|c| c.size <= published)
        .filter_map(|c| {
            // Every line was verified before it was stored (and the latest again at start):
            // the root is read back, not re-verified, so the timeline costs no signature checks.
            let root = c.note.lines().nth(2).and_then(|r| B64.decode(r).ok())?;
            Some(WitnessedJson {
                size: c.size,
                root: hex::encode(root),
                cosigners: crate::witnesses::cosigners_in(&c.note),
                note: c.note,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// Leaves `start..end` (at most 1000, never past the latest checkpoint).
#[utoipa::path(get, path = "/v1/elections/{election}/entries",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash"), RangeQuery),
    responses((status = 200, body = EntriesJson), (status = "4XX", body = ErrorBody)))]
pub async fn entries(
    board: Board_,
    id: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let e = board.find(&id).await?;
    let size = checkpointed(&e)?.size;
    if q.start > q.end {
        return Err(bad(ErrorCode::BadRequest, "start must not exceed end"));
    }
    let end = q.end.min(size).min(q.start.saturating_add(PAGE_LIMIT));
    // A large leaf (a credential list, a mix) is read alone, within the read budget (JSON and
    // base64 cost about three times its size).
    let (end, large) = e.read_span(q.start, end);
    let _reading = board.limits.large_read(large, 3)?;
    let leaves = if q.start < end {
        board.store().leaves(e.id(), q.start, end).await?
    } else {
        Vec::new()
    };
    // Whole leaves up to about PAGE_BYTES (always at least one); the client asks again from the
    // next index.
    let mut bytes = 0;
    let entries = leaves
        .iter()
        .take_while(|l| {
            let fits = bytes == 0 || bytes + l.bytes.len() <= PAGE_BYTES;
            bytes += l.bytes.len();
            fits
        })
        .map(entry_json)
        .collect();
    Ok(HttpResponse::Ok().json(EntriesJson { size, entries }))
}

/// One leaf by index.
#[utoipa::path(get, path = "/v1/elections/{election}/entries/{index}",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash"),
           ("index" = u64, Path, description = "Leaf index")),
    responses((status = 200, body = EntryJson), (status = 404, body = ErrorBody)))]
pub async fn entry(
    board: Board_,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = path.into_inner();
    let e = board.find(&id).await?;
    let size = checkpointed(&e)?.size;
    if index >= size {
        return Err(bad(
            ErrorCode::NotFound,
            format!("no leaf {index} under the latest checkpoint (size {size})"),
        ));
    }
    let (_, large) = e.read_span(index, index + 1);
    let _reading = board.limits.large_read(large, 3)?;
    let leaves = board.store().leaves(e.id(), index, index + 1).await?;
    let leaf = leaves
        .first()
        .ok_or_else(|| bad(ErrorCode::NotFound, format!("no leaf {index}")))?;
    Ok(HttpResponse::Ok().json(entry_json(leaf)))
}

/// The ballot or audited ballot with this tracking code: 64 hex digits, or the short form the
/// voting page shows (Crockford base32 of the first 15 bytes; case, dashes and spaces ignored).
#[utoipa::path(get, path = "/v1/elections/{election}/tracking/{code}",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash"),
           ("code" = String, Path, description = "Tracking code: 64 hex digits, or the short form (24 Crockford base32 characters, dashes allowed)")),
    responses((status = 200, body = EntryJson), (status = "4XX", body = ErrorBody)))]
pub async fn by_tracking_code(
    board: Board_,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, code) = path.into_inner();
    let e = board.find(&id).await?;
    let size = checkpointed(&e)?.size;
    let full: Option<[u8; 32]> = hex::decode(code.trim())
        .ok()
        .and_then(|c| c.try_into().ok());
    let found: Vec<StoredLeaf> = match (full, TrackingCode::parse_short(&code)) {
        (Some(full), _) => board.store().leaf_by_code(e.id(), full).await?.into_iter().collect(),
        (None, Some(prefix)) => board.store().leaves_by_code_prefix(e.id(), prefix, size).await?,
        (None, None) => {
            return Err(bad(
                ErrorCode::BadEncoding,
                "a tracking code is its short form (24 characters in six groups of four, as the voting page shows it) or 64 hex digits (as in the receipt)",
            ))
        }
    };
    let under: Vec<&StoredLeaf> = found.iter().filter(|l| l.index < size).collect();
    match under[..] {
        [leaf] => Ok(HttpResponse::Ok().json(entry_json(leaf))),
        [] => Err(bad(
            ErrorCode::NotFound,
            "no ballot with this tracking code under the latest checkpoint; if you hold a receipt, retry after the next checkpoint",
        )),
        _ => Err(bad(
            ErrorCode::BadEncoding,
            "this short code matches more than one ballot (a collision of 120 bits, or a forged ballot): give the full code from the receipt",
        )),
    }
}

/// Inclusion proof of a leaf under a checkpointed size.
#[utoipa::path(get, path = "/v1/elections/{election}/proofs/inclusion",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash"), InclusionQuery),
    responses((status = 200, body = InclusionJson), (status = "4XX", body = ErrorBody)))]
pub async fn inclusion(
    board: Board_,
    id: web::Path<String>,
    q: web::Query<InclusionQuery>,
) -> Result<HttpResponse, ApiError> {
    let e = board.find(&id).await?;
    let latest = checkpointed(&e)?.size;
    let size = q.size.unwrap_or(latest);
    if size > latest {
        return Err(bad(
            ErrorCode::NotFound,
            format!("size {size} is past the latest checkpoint ({latest})"),
        ));
    }
    let (proof, root) = e
        .with_tree(|t| Some((t.inclusion_proof(q.index, size)?, t.root(size))))
        .ok_or_else(|| bad(ErrorCode::NotFound, "the index must be below the size"))?;
    Ok(HttpResponse::Ok().json(InclusionJson {
        index: q.index,
        size,
        root: hex::encode(root),
        proof: proof.iter().map(hex::encode).collect(),
    }))
}

/// Consistency proof between two checkpointed sizes.
#[utoipa::path(get, path = "/v1/elections/{election}/proofs/consistency",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash"), ConsistencyQuery),
    responses((status = 200, body = ConsistencyJson), (status = "4XX", body = ErrorBody)))]
pub async fn consistency(
    board: Board_,
    id: web::Path<String>,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let e = board.find(&id).await?;
    let latest = checkpointed(&e)?.size;
    let to = q.to.unwrap_or(latest);
    if to > latest || q.from > to {
        return Err(bad(
            ErrorCode::BadRequest,
            format!("need from <= to <= the latest checkpoint ({latest})"),
        ));
    }
    let proof = e
        .with_tree(|t| t.consistency_proof(q.from, to))
        .ok_or_else(|| bad(ErrorCode::BadRequest, "sizes out of range"))?;
    Ok(HttpResponse::Ok().json(ConsistencyJson {
        from: q.from,
        to,
        proof: proof.iter().map(hex::encode).collect(),
    }))
}

/// The whole record under the latest checkpoint, as one file for the verifier (spec §13.7).
#[utoipa::path(get, path = "/v1/elections/{election}/record",
    params(("election" = String, Path, description = "The election: hex of its ManifestHash")),
    responses((status = 200, content_type = "application/octet-stream", body = RecordFile),
              (status = 404, body = ErrorBody)))]
pub async fn record(board: Board_, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let e = board.find(&id).await?;
    let mut published = checkpointed(&e)?;
    // With witnesses, the record is exported under the latest checkpoint they witnessed (its
    // note carries their cosignatures), followed by the witnessed timeline up to it (§13.7).
    let mut timeline = Vec::new();
    if let Some(w) = e.witnessed() {
        published.size = w.size;
        published.note = w.note;
        timeline = board.store().witnessed(e.id(), 0).await?;
        timeline.retain(|c| c.size <= w.size);
    }
    let mut tail = (timeline.len() as u32).to_le_bytes().to_vec();
    for c in &timeline {
        tail.extend_from_slice(&(c.note.len() as u32).to_le_bytes());
        tail.extend_from_slice(c.note.as_bytes());
    }
    let mut head = RECORD_MAGIC.to_vec();
    head.extend_from_slice(&(published.note.len() as u32).to_le_bytes());
    head.extend_from_slice(published.note.as_bytes());
    head.extend_from_slice(&published.size.to_le_bytes());
    let size = published.size;
    let store = board.store().clone();
    let election = e.id().to_owned();
    let (reader, read_election) = (board.clone(), e.clone());
    // Streamed a page at a time, so an export of any size holds one page in memory; a large leaf
    // is a page of its own, read within the read budget (waiting for room).
    let pages = futures_util::stream::unfold(0u64, move |from| {
        let (store, election) = (store.clone(), election.clone());
        let (board, e) = (reader.clone(), read_election.clone());
        async move {
            if from >= size {
                return None;
            }
            let (to, large) = e.read_span(from, (from + 1000).min(size));
            let _reading = board.limits.large_read_wait(large, 2).await;
            let chunk = match store.leaves(&election, from, to).await {
                Ok(page) if page.len() as u64 == to - from => {
                    let mut out = Vec::new();
                    for leaf in &page {
                        out.extend_from_slice(&(leaf.bytes.len() as u32).to_le_bytes());
                        out.extend_from_slice(&leaf.bytes);
                    }
                    Ok(web::Bytes::from(out))
                }
                Ok(_) => Err(actix_web::error::ErrorServiceUnavailable("short page")),
                Err(err) => {
                    tracing::error!(error = %err, "export failed");
                    Err(actix_web::error::ErrorServiceUnavailable(
                        "storage unavailable",
                    ))
                }
            };
            Some((chunk, to))
        }
    });
    let body = futures_util::stream::once(async move { Ok(web::Bytes::from(head)) })
        .chain(pages)
        .chain(futures_util::stream::once(async move {
            Ok(web::Bytes::from(tail))
        }));
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-{}.thistle\"", e.id(), size),
        ))
        .streaming(body))
}

/// Liveness, storage reachability, and whether every committed entry gets under a checkpoint in
/// time (§13.5): 503 if an election's committed entries have waited longer than two checkpoint
/// intervals plus a second for a checkpoint the board cannot sign.
#[utoipa::path(get, path = "/v1/health", responses((status = 200), (status = 503, body = ErrorBody)))]
pub async fn health(board: Board_) -> Result<HttpResponse, ApiError> {
    board.store().elections().await?;
    let allowed = board.checkpoint_interval() * 2 + std::time::Duration::from_secs(1);
    for id in board.election_ids() {
        let Ok(e) = board.election(&id) else { continue };
        if let Some(lag) = e.checkpoint_lag().filter(|lag| *lag > allowed) {
            return Err(bad(
                ErrorCode::Unavailable,
                format!(
                    "election {id}: committed entries have waited {} s for a checkpoint the board cannot sign (storage failing?); receipts are not yet provable",
                    lag.as_secs()
                ),
            ));
        }
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, content_type = "text/plain")))]
pub async fn metrics(board: Board_) -> HttpResponse {
    let sizes: Vec<(String, u64)> = board
        .election_ids()
        .into_iter()
        .filter_map(|id| {
            let e = board.election(&id).ok()?;
            Some((id, e.published().map_or(0, |p| p.size)))
        })
        .collect();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(board.metrics.render(&sizes))
}

/// The OpenAPI document of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Thistle bulletin board",
        description = "The election's public, append-only, verifiable log (specs/protocol.md §13)."
    ),
    paths(
        create_election,
        post_entry,
        board_info,
        election_status,
        checkpoint,
        checkpoints,
        entries,
        entry,
        by_tracking_code,
        voting,
        credential,
        inclusion,
        consistency,
        record,
        health,
        metrics
    ),
    components(schemas(
        PostEntry,
        ReceiptJson,
        BoardInfo,
        ElectionStatus,
        CheckpointJson,
        WitnessedJson,
        EntryJson,
        EntriesJson,
        InclusionJson,
        ConsistencyJson,
        VotingJson,
        CredentialJson,
        ErrorBody,
        crate::error::ErrorDetail,
        ErrorCode
    ))
)]
pub struct ApiDoc;

/// JSON errors for unknown routes and bad query strings too.
fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    bad(ErrorCode::BadRequest, format!("query: {err}")).into()
}

fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    bad(ErrorCode::BadRequest, format!("path: {err}")).into()
}

/// Registers every route. `static_dir`, if set, is served at `/` (the voter web client).
pub fn configure(cfg: &mut web::ServiceConfig, static_dir: Option<std::path::PathBuf>) {
    cfg.app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .route("/metrics", web::get().to(metrics))
        .service(
            web::scope("/v1")
                // Posts first: each route tried costs a pattern match, and posts are the load.
                .route("/elections/{election}/{kind}", web::post().to(post_entry))
                .route("/health", web::get().to(health))
                .route("/board", web::get().to(board_info))
                .route("/elections", web::post().to(create_election))
                .route("/elections/{election}", web::get().to(election_status))
                .route(
                    "/elections/{election}/checkpoint",
                    web::get().to(checkpoint),
                )
                .route("/elections/{election}/entries", web::get().to(entries))
                .route(
                    "/elections/{election}/checkpoints",
                    web::get().to(checkpoints),
                )
                .route("/elections/{election}/voting", web::get().to(voting))
                .route(
                    "/elections/{election}/credentials/{key}",
                    web::get().to(credential),
                )
                .route(
                    "/elections/{election}/entries/{index}",
                    web::get().to(entry),
                )
                .route(
                    "/elections/{election}/tracking/{code}",
                    web::get().to(by_tracking_code),
                )
                .route(
                    "/elections/{election}/proofs/inclusion",
                    web::get().to(inclusion),
                )
                .route(
                    "/elections/{election}/proofs/consistency",
                    web::get().to(consistency),
                )
                .route("/elections/{election}/record", web::get().to(record))
                .default_service(web::to(|req: HttpRequest| async move {
                    refusal(
                        &req,
                        &ApiError::new(ErrorCode::NotFound, "no such endpoint; see openapi.json"),
                        false,
                    )
                })),
        );
    if let Some(dir) = static_dir {
        cfg.service(actix_files::Files::new("/", dir).index_file("index.html"));
    }
}
