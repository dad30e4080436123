//! The store-independent test suite: every case runs against SQLite (tests/sqlite.rs) and against
//! a real PostgreSQL (tests/postgres.rs), through the HTTP handlers in-process.
#![allow(dead_code, unused_macros, unused_imports)]

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{test, web, App};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bulletin_board::api;
use bulletin_board::board::now;
use bulletin_board::sim::{ballot_entry, post_body, SimElection};
use bulletin_board::store::{AnyStore, Store};
use bulletin_board::{Board, BoardConfig};
use protocol::manifest::BoardInfo;
use protocol::merkle::{self, Checkpoint};
use protocol::record::{Entry, Phase, Receipt, SignedEntry};
use protocol::signature::SecretKey;
use protocol::verify::RecordVerifier;
use rand_core::{OsRng, RngCore};
use serde_json::{json, Value};

pub const ORIGIN: &str = "board.test/thistle";

pub fn board_key() -> SecretKey {
    SecretKey::from_seed(&[7u8; 32])
}

pub fn config() -> BoardConfig {
    BoardConfig {
        origin: ORIGIN.into(),
        key: board_key(),
        administrators: vec![],
        checkpoint_interval: Duration::from_millis(50),
        limits: Default::default(),
    }
}

/// A fresh seed, so tests sharing one PostgreSQL never share an election.
pub fn seed(label: &str) -> String {
    format!("{label}-{:016x}", OsRng.next_u64())
}

pub fn sim(label: &str, voters: usize, window: (u64, u64)) -> SimElection {
    SimElection::new(
        &seed(label),
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        voters,
        window,
        &mut OsRng,
    )
}

pub fn open_window() -> (u64, u64) {
    (now() - 60, now() + 3600)
}

pub async fn call<S, B>(app: &S, req: actix_http::Request) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let resp = test::call_service(app, req).await;
    let status = resp.status();
    let body = test::read_body(resp).await;
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, json)
}

pub async fn post<S, B>(app: &S, uri: &str, body: String) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = test::TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/json"))
        .set_payload(body)
        .to_request();
    call(app, req).await
}

pub async fn get<S, B>(app: &S, uri: &str) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    call(app, test::TestRequest::get().uri(uri).to_request()).await
}

pub fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<no error code>")
}

/// Polls until the election's checkpoint covers `size` leaves.
pub async fn wait_for_checkpoint(
    board: &Board,
    id: &str,
    size: u64,
) -> bulletin_board::board::Published {
    for _ in 0..400 {
        if let Some(p) = board.election(id).unwrap().published() {
            if p.size >= size {
                return p;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no checkpoint of size {size} within 10 s");
}

macro_rules! app {
    ($board:expr) => {{
        let data = web::Data::new($board.clone());
        test::init_service(
            App::new()
                .app_data(data)
                .configure(|c| api::configure(c, None)),
        )
        .await
    }};
}

/// Creates the election and posts everything up to the opening of the vote.
async fn set_up<S, B>(app: &S, e: &SimElection)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, body) = post(app, "/v1/elections", post_body(&e.manifest_entry())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["election"], e.id());
    for (kind, entry) in e.setup_entries() {
        let (status, body) = post(
            app,
            &format!("/v1/elections/{}/{kind}", e.id()),
            post_body(&entry),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
    }
}

fn verify_receipt(e: &SimElection, r: &Value) -> Receipt {
    let (receipt, sig) = api::parse_receipt(r).expect("a well-formed receipt");
    receipt
        .verify(&e.manifest_hash, e.board_key(), &sig)
        .expect("the receipt is signed by the board");
    receipt
}

fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

/// Parses a record export (spec §13.7).
pub fn parse_record(bytes: &[u8]) -> (String, Vec<Vec<u8>>) {
    let rest = bytes.strip_prefix(api::RECORD_MAGIC).expect("magic line");
    let n = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
    let note = String::from_utf8(rest[4..4 + n].to_vec()).unwrap();
    let mut rest = &rest[4 + n..];
    let count = u64::from_le_bytes(rest[..8].try_into().unwrap());
    rest = &rest[8..];
    let mut leaves = Vec::new();
    for _ in 0..count {
        let len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        leaves.push(rest[4..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    let timeline = u32::from_le_bytes(rest[..4].try_into().unwrap());
    assert_eq!(timeline, 0, "no witnesses, no witnessed timeline");
    rest = &rest[4..];
    assert!(rest.is_empty(), "trailing bytes in the record");
    (note, leaves)
}

/// A whole election's voting phase: ballots, a revote, an audit; receipts, checkpoints,
/// inclusion and consistency proofs (cross-checked with ct-merkle), lookups, and an export that
/// the record verifier accepts.
pub async fn voting_and_proofs(store: AnyStore) {
    let board = Board::open(store, config()).await.unwrap();
    let app = app!(board);
    let e = sim("voting", 6, open_window());
    set_up(&app, &e).await;
    let id = e.id();
    let opened = 10u64; // the manifest and 9 set-up entries
    let first = wait_for_checkpoint(&board, &id, opened).await;

    // What a voter's device fetches before encrypting (§11.8), checked as the device does.
    let (status, v) = get(&app, &format!("/v1/elections/{id}/voting")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["opened_index"], opened - 1);
    let field = |name: &str| B64.decode(v[name].as_str().unwrap()).unwrap();
    let device = protocol::voter::VoterElection::open(
        &e.manifest_hash,
        &field("manifest_leaf"),
        &field("opened_leaf"),
        &field("fingerprint_data"),
    )
    .unwrap();
    assert_eq!(device.fingerprint, e.context.fingerprint);
    assert_eq!(device.manifest, e.manifest);
    // Served for another election, the same items are refused.
    assert!(protocol::voter::VoterElection::open(
        &[0; 32],
        &field("manifest_leaf"),
        &field("opened_leaf"),
        &field("fingerprint_data"),
    )
    .is_err());
    let key = hex::encode(e.credentials[2].public_key().as_bytes());
    let (status, w) = get(&app, &format!("/v1/elections/{id}/credentials/{key}")).await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["weight"], e.weights[2]);
    let unknown = hex::encode(SecretKey::from_seed(&[3; 32]).public_key().as_bytes());
    let (status, w) = get(&app, &format!("/v1/elections/{id}/credentials/{unknown}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{w}");
    assert_eq!(error_code(&w), "unknown_credential");
    let (status, w) = get(&app, &format!("/v1/elections/{id}/credentials/zz")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{w}");

    let mut receipts = Vec::new();
    for v in 0..6 {
        let b = e.ballot(v, v, opened, &mut OsRng);
        let (status, body) = post(
            &app,
            &format!("/v1/elections/{id}/ballots"),
            post_body(&ballot_entry(b.clone())),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let r = verify_receipt(&e, &body);
        assert_eq!(r.index, opened + v as u64);
        assert_eq!(r.tracking_code, Some(b.encrypted.tracking_code()));
        receipts.push(r);
    }
    // Voter 0 revotes after seeing a later checkpoint; an audit is posted too.
    let revote = e.ballot(0, 4, opened + 6, &mut OsRng);
    let (status, body) = post(
        &app,
        &format!("/v1/elections/{id}/ballots"),
        post_body(&ballot_entry(revote)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let audit = SignedEntry {
        entry: Entry::AuditedBallot(e.audited(1, opened + 6, &mut OsRng)),
        signature: None,
    };
    // The longest voter entry, padded with whitespace to exactly this election's limit for a
    // voter's post (§13.8), is still taken.
    let limit = e.ballots.max_voter_entry_len().div_ceil(3) * 4 + api::VOTER_JSON_SLACK;
    let padded = format!("{:<limit$}", post_body(&audit));
    assert_eq!(padded.len(), limit);
    let (status, body) = post(&app, &format!("/v1/elections/{id}/audited-ballots"), padded).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let size = opened + 8;

    let latest = wait_for_checkpoint(&board, &id, size).await;
    // The counts observers see are those under the checkpoint.
    let (status, st) = get(&app, &format!("/v1/elections/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (st["ballots"].as_u64(), st["audited"].as_u64()),
        (Some(7), Some(1)),
        "{st}"
    );
    let (status, cp) = get(&app, &format!("/v1/elections/{id}/checkpoint")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cp["size"], size);
    let parsed =
        Checkpoint::verify_for(cp["note"].as_str().unwrap(), &e.manifest, &e.manifest_hash)
            .unwrap();
    assert_eq!((parsed.size, parsed.root), (latest.size, latest.root));

    // Every leaf, its inclusion proof under the checkpoint, and ct-merkle's root for the same leaves.
    let (status, page) = get(&app, &format!("/v1/elections/{id}/entries?start=0&end=100")).await;
    assert_eq!(status, StatusCode::OK);
    let leaves: Vec<Vec<u8>> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| B64.decode(x["leaf"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(leaves.len() as u64, size);
    let mut independent =
        ct_merkle::mem_backed_tree::MemoryBackedTree::<sha2_11::Sha256, Vec<u8>>::new();
    for l in &leaves {
        independent.push(l.clone());
    }
    assert_eq!(
        independent.root().as_bytes().as_slice(),
        parsed.root.as_slice()
    );
    for r in &receipts {
        assert_eq!(merkle::leaf_hash(&leaves[r.index as usize]), r.leaf_hash);
        let (status, inc) = get(
            &app,
            &format!("/v1/elections/{id}/proofs/inclusion?index={}", r.index),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{inc}");
        let path: Vec<[u8; 32]> = inc["proof"].as_array().unwrap().iter().map(hex32).collect();
        merkle::verify_inclusion(r.index, size, &r.leaf_hash, &path, &parsed.root).unwrap();
        let ct_proof = ct_merkle::InclusionProof::<sha2_11::Sha256>::from_bytes(path.concat());
        independent
            .root()
            .verify_inclusion(&leaves[r.index as usize], r.index, &ct_proof)
            .expect("ct-merkle accepts the board's inclusion proof");
    }
    let (status, con) = get(
        &app,
        &format!(
            "/v1/elections/{id}/proofs/consistency?from={}&to={size}",
            first.size
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{con}");
    let proof: Vec<[u8; 32]> = con["proof"].as_array().unwrap().iter().map(hex32).collect();
    merkle::verify_consistency(first.size, size, &first.root, &parsed.root, &proof).unwrap();

    // Lookups: by index and by tracking code; nothing past the checkpoint.
    let code = hex::encode(receipts[2].tracking_code.unwrap().0);
    let (status, found) = get(&app, &format!("/v1/elections/{id}/tracking/{code}")).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["index"], receipts[2].index);
    assert_eq!(found["type"], "ballot");
    // The short form the page shows finds the same ballot, however the voter types it back.
    let short = receipts[2].tracking_code.unwrap().short();
    for typed in [short.clone(), short.to_lowercase().replace('-', "")] {
        let (status, by_short) = get(&app, &format!("/v1/elections/{id}/tracking/{typed}")).await;
        assert_eq!(status, StatusCode::OK, "{typed}: {by_short}");
        assert_eq!(by_short, found);
    }
    let other = if short.starts_with('0') { "1" } else { "0" };
    let (status, err) = get(
        &app,
        &format!("/v1/elections/{id}/tracking/{other}{}", &short[1..]),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, err) = get(&app, &format!("/v1/elections/{id}/entries/{size}")).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, err) = get(
        &app,
        &format!(
            "/v1/elections/{id}/proofs/inclusion?index=0&size={}",
            size + 1
        ),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::NOT_FOUND, "not_found")
    );

    // The export is the whole record under the checkpoint, and the verifier accepts it.
    let resp = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/v1/elections/{id}/record"))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (note, exported) = parse_record(&test::read_body(resp).await);
    assert_eq!(exported, leaves);
    let cp = Checkpoint::verify_for(&note, &e.manifest, &e.manifest_hash).unwrap();
    let hashes: Vec<[u8; 32]> = exported.iter().map(|l| merkle::leaf_hash(l)).collect();
    assert_eq!(merkle::root(&hashes), cp.root);
    let mut verifier = RecordVerifier::new();
    for l in &exported {
        verifier.push(l, &mut OsRng).unwrap();
    }
    let rec = verifier.finish().unwrap();
    assert_eq!((rec.ballots, rec.counted, rec.audited.len()), (7, 6, 1));
    assert_eq!(rec.phase, Phase::VotingOpen);
}

/// Every refusal listed in the issue, each leaving the log as it was.
pub async fn bad_input_is_refused_and_changes_nothing(store: AnyStore) {
    let board = Board::open(store, config()).await.unwrap();
    let app = app!(board);
    let e = sim("refusals", 3, open_window());
    let id = e.id();
    let ballots = format!("/v1/elections/{id}/ballots");

    // Before the election exists, and before voting opens.
    let b0 = e.ballot(0, 0, 0, &mut OsRng);
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(b0.clone()))).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::NOT_FOUND, "unknown_election")
    );
    let (status, body) = post(&app, "/v1/elections", post_body(&e.manifest_entry())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The same manifest again (a retry) gets its receipt (§13.6), and nothing is added.
    let (status, again) = post(&app, "/v1/elections", post_body(&e.manifest_entry())).await;
    assert_eq!(
        (status, &again["index"]),
        (StatusCode::OK, &body["index"]),
        "{again}"
    );
    assert_eq!(board.store().size(&e.id()).await.unwrap(), 1);
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(b0))).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::CONFLICT, "wrong_phase"),
        "{err}"
    );

    let setup = e.setup_entries();
    // Out of phase: round 1 before the key ceremony phase.
    let (status, err) = post(
        &app,
        &format!("/v1/elections/{id}/dkg-round1"),
        post_body(&setup[1].1),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::CONFLICT, "wrong_phase"),
        "{err}"
    );
    // Unauthorized: the phase change signed by a trustee, or not signed at all.
    let forged = SignedEntry::sign(&e.manifest_hash, setup[0].1.entry.clone(), &e.trustees[0]);
    let (status, err) = post(
        &app,
        &format!("/v1/elections/{id}/phase"),
        post_body(&forged),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::FORBIDDEN, "unauthorized"),
        "{err}"
    );
    let unsigned = SignedEntry {
        entry: setup[0].1.entry.clone(),
        signature: None,
    };
    let (status, err) = post(
        &app,
        &format!("/v1/elections/{id}/phase"),
        post_body(&unsigned),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::FORBIDDEN, "unauthorized"),
        "{err}"
    );
    // A credential list signed by anyone but the credential authority.
    let by_admin = SignedEntry::sign(&e.manifest_hash, setup[7].1.entry.clone(), &e.admin);
    let (status, err) = post(
        &app,
        &format!("/v1/elections/{id}/credentials"),
        post_body(&by_admin),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::FORBIDDEN, "unauthorized"),
        "{err}"
    );
    // An entry posted to another type's endpoint does not decode as that type.
    let (status, err) = post(
        &app,
        &format!("/v1/elections/{id}/phase"),
        post_body(&setup[7].1),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::BAD_REQUEST, "bad_encoding"),
        "{err}"
    );

    for (kind, entry) in &setup {
        let (status, body) = post(
            &app,
            &format!("/v1/elections/{id}/{kind}"),
            post_body(entry),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
    }
    // Replays of setup entries get their receipts (§13.6); another round 1 is out of phase.
    for (kind, k, index) in [("dkg-round1", 1, 2), ("credentials", 7, 8)] {
        let (status, again) = post(
            &app,
            &format!("/v1/elections/{id}/{kind}"),
            post_body(&setup[k].1),
        )
        .await;
        assert_eq!(
            (status, &again["index"]),
            (StatusCode::OK, &json!(index)),
            "{kind}: {again}"
        );
    }
    let mut other = e.round1[0].clone();
    other.commitments[0] = other.encryption_key;
    let other = SignedEntry::sign(&e.manifest_hash, Entry::DkgRound1(other), &e.trustees[0]);
    let (status, err) = post(
        &app,
        &format!("/v1/elections/{id}/dkg-round1"),
        post_body(&other),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::CONFLICT, "wrong_phase"),
        "{err}"
    );
    let size = 10u64;
    wait_for_checkpoint(&board, &id, size).await;

    let good = e.ballot(0, 1, size, &mut OsRng);
    let good_body = post_body(&ballot_entry(good.clone()));
    let mut good_bytes = B64
        .decode(
            serde_json::from_str::<Value>(&good_body).unwrap()["body"]
                .as_str()
                .unwrap(),
        )
        .unwrap();

    // A voter's post is at most the base64 of this election's longest voter entry (an audited
    // ballot) and some JSON around it (§13.8): far below the general limit.
    let limit = e.ballots.max_voter_entry_len().div_ceil(3) * 4 + api::VOTER_JSON_SLACK;
    assert!(limit < api::VOTER_BODY_LIMIT / 16, "{limit}");
    let refusals: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "oversized body",
            format!("{{\"body\": \"{}\"}}", "A".repeat(api::VOTER_BODY_LIMIT)),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "a good ballot padded past this election's limit",
            format!("{good_body:<0$}", limit + 1),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "not JSON",
            "{\"body\": ".into(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "unknown field",
            "{\"body\": \"\", \"extra\": 1}".into(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not base64",
            "{\"body\": \"***\"}".into(),
            StatusCode::BAD_REQUEST,
            "bad_encoding",
        ),
        (
            "truncated",
            format!("{{\"body\": \"{}\"}}", B64.encode(&good_bytes[..100])),
            StatusCode::BAD_REQUEST,
            "bad_encoding",
        ),
        (
            "signature on a ballot",
            format!(
                "{{\"body\": \"{}\", \"signature\": \"{}\"}}",
                B64.encode(&good_bytes),
                B64.encode([0u8; 64])
            ),
            StatusCode::BAD_REQUEST,
            "bad_encoding",
        ),
    ];
    for (what, body, want_status, want_code) in refusals {
        let (status, err) = post(&app, &ballots, body).await;
        assert_eq!(
            (status, error_code(&err)),
            (want_status, want_code),
            "{what}: {err}"
        );
    }
    // A non-canonical point: the first ciphertext's α with its top bit set.
    let alpha_at = 32 + 32 + 8 + 4 + 4;
    good_bytes[alpha_at + 31] |= 0x80;
    let (status, err) = post(
        &app,
        &ballots,
        format!("{{\"body\": \"{}\"}}", B64.encode(&good_bytes)),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::BAD_REQUEST, "bad_encoding"),
        "{err}"
    );

    // A forged signature, a wrong proof, an unknown credential, another election's ballot.
    let mut bad_sig = good.clone();
    bad_sig.signature[0] ^= 1;
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(bad_sig))).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::BAD_REQUEST, "bad_signature"),
        "{err}"
    );
    let other = e.ballot(1, 2, size, &mut OsRng);
    let mut swapped = e.ballot(1, 3, size, &mut OsRng).encrypted;
    swapped.contests[0].ciphertexts = other.encrypted.contests[0].ciphertexts.clone();
    let swapped = swapped.cast(&e.credentials[1]).unwrap();
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(swapped))).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::BAD_REQUEST, "invalid_proof"),
        "{err}"
    );
    // That credential's holder signed a failing proof: its next ballot waits (§13.8), unchecked.
    let next = e.ballot(1, 1, size, &mut OsRng);
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(next))).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "{err}"
    );
    let stranger = sim("stranger", 1, open_window());
    let mut foreign = stranger.ballot(0, 0, size, &mut OsRng).encrypted;
    foreign.fingerprint = e.context.fingerprint;
    let foreign = foreign.cast(&stranger.credentials[0]).unwrap();
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(foreign))).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::FORBIDDEN, "unknown_credential"),
        "{err}"
    );
    let elsewhere = stranger.ballot(0, 0, size, &mut OsRng);
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(elsewhere))).await;
    assert!(
        matches!(error_code(&err), "wrong_election" | "unknown_credential"),
        "{status}: {err}"
    );
    // A ballot claiming a board size it cannot have seen.
    let future = e.ballot(2, 0, size + 50, &mut OsRng);
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(future))).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_entry"),
        "{err}"
    );

    // Nothing above changed the log.
    actix_web::rt::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(board.store().size(&id).await.unwrap(), size);

    // The good ballot goes in once; posting it again (a retry) returns the same receipt and
    // appends nothing.
    let (status, first) = post(&app, &ballots, good_body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = post(&app, &ballots, good_body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, first);
    assert_eq!(board.store().size(&id).await.unwrap(), size + 1);
    // An audited ballot and its cast twin share a tracking code: the second is refused.
    let audit = e.audited(2, size, &mut OsRng);
    let twin = audit.encrypted.clone().cast(&e.credentials[2]).unwrap();
    let audit = SignedEntry {
        entry: Entry::AuditedBallot(audit),
        signature: None,
    };
    let (status, body) = post(
        &app,
        &format!("/v1/elections/{id}/audited-ballots"),
        post_body(&audit),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(twin))).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::CONFLICT, "duplicate"),
        "{err}"
    );
    assert_eq!(board.store().size(&id).await.unwrap(), size + 2);

    // Unknown routes and entry types, bad queries.
    let (status, err) = post(&app, &format!("/v1/elections/{id}/nonsense"), "{}".into()).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, err) = get(&app, &format!("/v1/elections/{id}/entries?start=x")).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, err) = get(&app, &format!("/v1/elections/{id}/tracking/zz")).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::BAD_REQUEST, "bad_encoding")
    );

    // Closing the vote: ballots are then refused as out of phase.
    let (status, body) = post(
        &app,
        &format!("/v1/elections/{id}/phase"),
        post_body(&e.phase(Phase::VotingClosed)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let late = e.ballot(2, 0, size, &mut OsRng);
    let (status, err) = post(&app, &ballots, post_body(&ballot_entry(late))).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::CONFLICT, "wrong_phase"),
        "{err}"
    );
    assert_eq!(board.store().size(&id).await.unwrap(), size + 3);
}

/// The manifest's closing time closes the vote even if nobody posts the phase change.
pub async fn voting_closes_at_the_manifest_time(store: AnyStore) {
    let board = Board::open(store, config()).await.unwrap();
    let app = app!(board);
    let closes = now() + 3;
    let e = sim("closing", 2, (now() - 60, closes));
    set_up(&app, &e).await;
    let id = e.id();
    let (status, body) = post(
        &app,
        &format!("/v1/elections/{id}/ballots"),
        post_body(&ballot_entry(e.ballot(0, 0, 10, &mut OsRng))),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let late = e.ballot(1, 0, 10, &mut OsRng);
    while now() < closes {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, err) = post(
        &app,
        &format!("/v1/elections/{id}/ballots"),
        post_body(&ballot_entry(late)),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::CONFLICT, "wrong_phase"),
        "{err}"
    );
    let (_, st) = get(&app, &format!("/v1/elections/{id}")).await;
    assert_eq!(st["accepting_ballots"], false);
    assert_eq!(board.store().size(&id).await.unwrap(), 11);
}

/// A board reopened on the same store has the same log, checkpoints and state.
pub async fn reopening_restores_every_log(store: AnyStore) {
    let e = sim("reopen", 3, open_window());
    let id = e.id();
    let (root, size) = {
        let board = Board::open(store.clone(), config()).await.unwrap();
        let app = app!(board);
        set_up(&app, &e).await;
        let (status, _) = post(
            &app,
            &format!("/v1/elections/{id}/ballots"),
            post_body(&ballot_entry(e.ballot(0, 0, 10, &mut OsRng))),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let p = wait_for_checkpoint(&board, &id, 11).await;
        (p.root, p.size)
    };
    let board = Board::open(store, config()).await.unwrap();
    let app = app!(board);
    let p = board
        .election(&id)
        .unwrap()
        .published()
        .expect("checkpoint reloaded");
    assert_eq!((p.size, p.root), (size, root));
    assert_eq!(board.election(&id).unwrap().status().0, Phase::VotingOpen);
    // The revote ordering and duplicate checks continue from the reloaded state.
    let (status, err) = post(
        &app,
        &format!("/v1/elections/{id}/ballots"),
        post_body(&ballot_entry(e.ballot(1, 0, 99, &mut OsRng))),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_entry")
    );
    let (status, body) = post(
        &app,
        &format!("/v1/elections/{id}/ballots"),
        post_body(&ballot_entry(e.ballot(1, 0, 11, &mut OsRng))),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let p2 = wait_for_checkpoint(&board, &id, 12).await;
    let proof = board
        .election(&id)
        .unwrap()
        .with_tree(|t| t.consistency_proof(size, 12))
        .unwrap();
    merkle::verify_consistency(size, 12, &root, &p2.root, &proof).unwrap();
}

/// Many concurrent posters: every accepted ballot has a distinct index, the log has no gaps, and
/// the store's leaves re-verify.
pub async fn concurrent_posts_make_one_log(store: AnyStore) {
    let board = Board::open(store, config()).await.unwrap();
    let app = std::rc::Rc::new(app!(board));
    let e = Arc::new(sim("concurrent", 40, open_window()));
    set_up(&*app, &e).await;
    let id = e.id();
    let bodies: Vec<String> = (0..40)
        .map(|v| post_body(&ballot_entry(e.ballot(v, v, 10, &mut OsRng))))
        .collect();
    let futures = bodies.into_iter().map(|b| {
        let app = app.clone();
        let uri = format!("/v1/elections/{id}/ballots");
        async move { post(&*app, &uri, b).await }
    });
    let results = futures_util::future::join_all(futures).await;
    let mut indexes: Vec<u64> = results
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, StatusCode::CREATED, "{b}");
            b["index"].as_u64().unwrap()
        })
        .collect();
    indexes.sort();
    assert_eq!(indexes, (10..50).collect::<Vec<_>>());
    let leaves = board.store().leaves(&id, 0, 100).await.unwrap();
    assert_eq!(leaves.len(), 50);
    let mut verifier = RecordVerifier::new();
    for l in &leaves {
        verifier.push(&l.bytes, &mut OsRng).unwrap();
    }
}

/// §13.7's code table, for the entry kinds whose proofs are a trustee's: a round 1 whose proof
/// of knowledge fails and a partial decryption whose proof fails are `400 invalid_proof` (they
/// were `422 invalid_entry`); a wrong tally or wrong results, which break a rule with no proof
/// of their own, stay `422 invalid_entry`. Nothing refused changes the log.
pub async fn trustee_proofs_are_invalid_proof(store: AnyStore) {
    let board = Board::open(store, config()).await.unwrap();
    let app = app!(board);
    let e = sim("codes", 3, open_window());
    let id = e.id();
    let (status, body) = post(&app, "/v1/elections", post_body(&e.manifest_entry())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let setup = e.setup_entries();
    let (kind, phase) = &setup[0];
    let (status, body) = post(
        &app,
        &format!("/v1/elections/{id}/{kind}"),
        post_body(phase),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Round 1 with a proof over other commitments, signed by its (real) dealer.
    let mut forged = e.round1[0].clone();
    forged.commitments[0] = forged.encryption_key;
    let forged = SignedEntry::sign(&e.manifest_hash, Entry::DkgRound1(forged), &e.trustees[0]);
    let size = board.store().size(&id).await.unwrap();
    let (status, err) = post(
        &app,
        &format!("/v1/elections/{id}/dkg-round1"),
        post_body(&forged),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::BAD_REQUEST, "invalid_proof"),
        "{err}"
    );
    assert_eq!(board.store().size(&id).await.unwrap(), size);
    for (kind, entry) in &setup[1..] {
        let (status, body) = post(
            &app,
            &format!("/v1/elections/{id}/{kind}"),
            post_body(entry),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
    }
    let opened = board.store().size(&id).await.unwrap();
    let ballots: Vec<_> = (0..3).map(|v| e.ballot(v, v, opened, &mut OsRng)).collect();
    for b in &ballots {
        let (status, body) = post(
            &app,
            &format!("/v1/elections/{id}/ballots"),
            post_body(&ballot_entry(b.clone())),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let counted: Vec<_> = ballots.iter().map(|b| (b, 1)).collect();
    let closing = e.closing(&counted, &[1, 2], &mut OsRng);
    // [closed, tally, tally phase, partial 1, partial 2, results]
    let url = |kind: &str| format!("/v1/elections/{id}/{kind}");
    let (status, body) = post(&app, &url("phase"), post_body(&closing[0])).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let Entry::EncryptedTally(tally) = closing[1].entry.clone() else {
        panic!("the second closing entry is the tally")
    };
    let mut wrong_tally = tally.clone();
    wrong_tally.contests[0].swap(0, 1);
    let wrong_tally = SignedEntry::sign(
        &e.manifest_hash,
        Entry::EncryptedTally(wrong_tally),
        &e.admin,
    );
    let (status, err) = post(&app, &url("tally"), post_body(&wrong_tally)).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_entry"),
        "{err}"
    );
    for (kind, entry) in [("tally", &closing[1]), ("phase", &closing[2])] {
        let (status, body) = post(&app, &url(kind), post_body(entry)).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
    }
    let Entry::PartialDecryption(partial) = closing[3].entry.clone() else {
        panic!("the fourth closing entry is a partial decryption")
    };
    let mut forged = partial.clone();
    forged.shares[0].swap(0, 1);
    let forged = SignedEntry::sign(
        &e.manifest_hash,
        Entry::PartialDecryption(forged),
        &e.trustees[partial.trustee as usize - 1],
    );
    let size = board.store().size(&id).await.unwrap();
    let (status, err) = post(&app, &url("partial-decryptions"), post_body(&forged)).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::BAD_REQUEST, "invalid_proof"),
        "{err}"
    );
    assert_eq!(board.store().size(&id).await.unwrap(), size);
    for entry in &closing[3..5] {
        let (status, body) = post(&app, &url("partial-decryptions"), post_body(entry)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let Entry::Results(results) = closing[5].entry.clone() else {
        panic!("the last closing entry is the results")
    };
    let mut wrong = results.clone();
    wrong.totals[0][0] += 1;
    let wrong = SignedEntry::sign(&e.manifest_hash, Entry::Results(wrong), &e.admin);
    let (status, err) = post(&app, &url("results"), post_body(&wrong)).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_entry"),
        "{err}"
    );
    let (status, body) = post(&app, &url("results"), post_body(&closing[5])).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Streams an entry as `application/octet-stream` with `signature` in `Thistle-Signature`.
async fn post_stream<S, B>(
    app: &S,
    uri: &str,
    entry: &SignedEntry,
    signature: &[u8; 64],
) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let content = entry.entry.content_bytes();
    let req = test::TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/octet-stream"))
        .insert_header(("thistle-signature", B64.encode(signature)))
        .set_payload(content[1..].to_vec())
        .to_request();
    call(app, req).await
}

/// The mixing ceremony of a ranked contest through the board (spec §12.11): every refusal has
/// the code of §13.7 and leaves the log as it was; the honest ceremony is accepted, by JSON or
/// as a signed stream, and the record verifies with its count.
pub async fn the_mixing_ceremony_through_the_board(store: AnyStore) {
    use bulletin_board::sim::{one_of_five, ward, ward_ranking, SimSpec};
    let board = Board::open(store.clone(), config()).await.unwrap();
    let app = app!(board);
    let mut contests = one_of_five();
    contests.push(ward());
    let e = SimElection::with_spec(
        &seed("mixing"),
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        open_window(),
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests,
            weights: vec![1; 4],
            tampered_share: None,
        },
        &mut OsRng,
    );
    set_up(&app, &e).await;
    let id = e.id();
    let url = |kind: &str| format!("/v1/elections/{id}/{kind}");
    let opened = board.store().size(&id).await.unwrap();
    let ballots: Vec<_> = (0..4)
        .map(|v| {
            e.ballot_for(
                v,
                &[
                    vec![(v == 0) as u64, (v != 0) as u64, 0, 0, 0],
                    ward_ranking(v),
                ],
                opened,
                &mut OsRng,
            )
        })
        .collect();
    for b in &ballots {
        let (status, body) = post(&app, &url("ballots"), post_body(&ballot_entry(b.clone()))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let counted: Vec<_> = ballots.iter().map(|b| (b, 1)).collect();
    let closing = e.closing(&counted, &[1, 2], &mut OsRng);
    // [closed, tally, mix 1, mix 2, tally phase, partial 1, partial 2, mix decryption 1 and 2,
    // count, results]
    let kinds: Vec<u8> = closing.iter().map(|s| s.entry.tag()).collect();
    assert_eq!(kinds, [1, 8, 11, 11, 1, 9, 9, 12, 12, 13, 10]);
    let Entry::Mix(first) = closing[2].entry.clone() else {
        unreachable!()
    };
    let refused = |status: StatusCode, err: &Value, code: &str, expected: StatusCode| {
        assert_eq!((status, error_code(err)), (expected, code), "{err}");
    };
    // Before the close, no mix.
    let (status, err) = post(&app, &url("mixes"), post_body(&closing[2])).await;
    refused(status, &err, "wrong_phase", StatusCode::CONFLICT);
    for (kind, entry) in [("phase", &closing[0]), ("tally", &closing[1])] {
        let (status, body) = post(&app, &url(kind), post_body(entry)).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
    }
    let size = board.store().size(&id).await.unwrap();
    // The tally phase waits for t mixes.
    let (status, err) = post(&app, &url("phase"), post_body(&closing[4])).await;
    refused(status, &err, "wrong_phase", StatusCode::CONFLICT);
    // A stream whose signature is another trustee's than the mixer it names.
    let by_other = SignedEntry::sign(&e.manifest_hash, closing[2].entry.clone(), &e.trustees[2]);
    let (status, err) = post_stream(
        &app,
        &url("mixes"),
        &closing[2],
        &by_other.signature.unwrap(),
    )
    .await;
    refused(status, &err, "unauthorized", StatusCode::FORBIDDEN);
    // A mix that drops a ballot, and one whose rows are not its input's shuffle.
    // (an honest proof of a shuffle of three of the four ballots)
    let dropped = e.mixes(&counted[..3], &[1], &mut OsRng)[0].1[0].clone();
    let mut swapped = first.clone();
    swapped.rows[0] = ballots[0].encrypted.contests[1].ciphertexts.clone();
    for (forged, code, status_code) in [
        (dropped, "invalid_entry", StatusCode::UNPROCESSABLE_ENTITY),
        (swapped, "invalid_proof", StatusCode::BAD_REQUEST),
    ] {
        let forged = SignedEntry::sign(&e.manifest_hash, Entry::Mix(forged), &e.trustees[0]);
        let (status, err) = post(&app, &url("mixes"), post_body(&forged)).await;
        refused(status, &err, code, status_code);
    }
    assert_eq!(
        board.store().size(&id).await.unwrap(),
        size,
        "refusals change nothing"
    );
    // The honest mixes: the first as a signed stream, the second as JSON.
    let (status, body) = post_stream(
        &app,
        &url("mixes"),
        &closing[2],
        &closing[2].signature.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A trustee who mixed the counted ballots while the first mix landed is told to mix again.
    let mut late = first.clone();
    late.mixer = 3;
    let late = SignedEntry::sign(&e.manifest_hash, Entry::Mix(late), &e.trustees[2]);
    let (status, err) = post(&app, &url("mixes"), post_body(&late)).await;
    refused(status, &err, "wrong_phase", StatusCode::CONFLICT);
    // A restart takes the counted ranked rows in from the admission notes and the mix from the
    // log: the state of a full verification.
    let size = board.store().size(&id).await.unwrap();
    wait_for_checkpoint(&board, &id, size).await;
    let summary = board.election(&id).unwrap().state_summary();
    assert_eq!(summary.ranked_rows.len(), 4);
    assert_eq!(summary.mixes, vec![(1, vec![1])]);
    let restarted = Board::open(store.clone(), config()).await.unwrap();
    assert_eq!(restarted.election(&id).unwrap().state_summary(), summary);
    drop(restarted);
    let (status, body) = post(&app, &url("mixes"), post_body(&closing[3])).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The same mix posted again gets its receipt; another mix by the same trustee is refused.
    let (status, again) = post(&app, &url("mixes"), post_body(&closing[3])).await;
    assert_eq!(
        (status, &again["index"]),
        (StatusCode::OK, &body["index"]),
        "{again}"
    );
    let mut remix = e.mixes(&counted, &[2], &mut OsRng)[0].1[0].clone();
    remix.position = 2;
    let remix = SignedEntry::sign(&e.manifest_hash, Entry::Mix(remix), &e.trustees[1]);
    let (status, err) = post(&app, &url("mixes"), post_body(&remix)).await;
    refused(status, &err, "duplicate", StatusCode::CONFLICT);
    for (kind, entry) in [
        ("phase", &closing[4]),
        ("partial-decryptions", &closing[5]),
        ("partial-decryptions", &closing[6]),
    ] {
        let (status, body) = post(&app, &url(kind), post_body(entry)).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
    }
    // A retried phase change (now out of phase) and partial decryption get their receipts.
    for (kind, entry) in [("phase", &closing[4]), ("partial-decryptions", &closing[5])] {
        let (status, body) = post(&app, &url(kind), post_body(entry)).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
    }
    // A mix decryption with a wrong share.
    let Entry::MixDecryption(mut forged) = closing[7].entry.clone() else {
        unreachable!()
    };
    forged.decryption.shares.swap(0, 1);
    let trustee = forged.decryption.trustee as usize;
    let forged = SignedEntry::sign(
        &e.manifest_hash,
        Entry::MixDecryption(forged),
        &e.trustees[trustee - 1],
    );
    let (status, err) = post_stream(
        &app,
        &url("mix-decryptions"),
        &forged,
        &forged.signature.unwrap(),
    )
    .await;
    refused(status, &err, "invalid_proof", StatusCode::BAD_REQUEST);
    // The count before t decryptions, and the results before the count.
    let (status, err) = post(&app, &url("results"), post_body(&closing[10])).await;
    refused(
        status,
        &err,
        "invalid_entry",
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    for entry in &closing[7..9] {
        let (status, body) = post(&app, &url("mix-decryptions"), post_body(entry)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let Entry::RankedCount(count) = closing[9].entry.clone() else {
        unreachable!()
    };
    let mut wrong = count.clone();
    wrong.sheet.elected.reverse();
    let wrong = SignedEntry::sign(&e.manifest_hash, Entry::RankedCount(wrong), &e.admin);
    let (status, err) = post(&app, &url("ranked-counts"), post_body(&wrong)).await;
    refused(
        status,
        &err,
        "invalid_entry",
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    for (kind, entry) in [("ranked-counts", &closing[9]), ("results", &closing[10])] {
        let (status, body) = post(&app, &url(kind), post_body(entry)).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
    }
    // The whole log verifies, with the ward's count.
    let size = board.store().size(&id).await.unwrap();
    let leaves = board.store().leaves(&id, 0, size).await.unwrap();
    let mut verifier = RecordVerifier::new();
    for leaf in &leaves {
        verifier.push(&leaf.bytes, &mut OsRng).unwrap();
    }
    let verified = verifier.finish().unwrap();
    assert_eq!(verified.phase, Phase::ResultsPublished);
    assert_eq!(verified.ranked_counts, vec![count]);
    assert_eq!(verified.mixers, vec![(1, vec![1, 2])]);
}

/// A large leaf (here a credential list of 30,000 voters, about 1.2 MB) is read alone and within
/// the board's read budget: a range stops before it, a read of it is `503 busy` while readers
/// hold the budget, and served once they let go.
pub async fn large_entries_are_read_alone_within_the_read_budget(store: AnyStore) {
    let board = Board::open(store, config()).await.unwrap();
    let app = app!(board);
    let e = sim("large-read", 30_000, open_window());
    set_up(&app, &e).await;
    let id = e.id();
    let size = board.store().size(&id).await.unwrap();
    wait_for_checkpoint(&board, &id, size).await;
    let leaves = board.store().leaves(&id, 0, size).await.unwrap();
    let list_at = leaves.iter().position(|l| l.bytes[8] == 5).unwrap() as u64;
    assert!(leaves[list_at as usize].bytes.len() >= bulletin_board::limits::LARGE_LEAF);
    // A range that starts past the checkpoint is empty (and a range read never panics).
    let (status, page) = get(
        &app,
        &format!(
            "/v1/elections/{id}/entries?start={}&end={}",
            size + 5,
            size + 9
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page["entries"].as_array().unwrap().is_empty());
    // A range over it stops just before it; a range from it holds it alone.
    let (status, page) = get(
        &app,
        &format!("/v1/elections/{id}/entries?start=0&end={size}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["entries"].as_array().unwrap().len() as u64, list_at);
    // Readers holding the whole budget: the large read must wait, the small ones need not.
    let held = board.limits.large_read(usize::MAX / 4, 1).unwrap();
    let (status, err) = get(&app, &format!("/v1/elections/{id}/entries/{list_at}")).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        "{err}"
    );
    let (status, err) = get(
        &app,
        &format!("/v1/elections/{id}/entries?start={list_at}&end={size}"),
    )
    .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        "{err}"
    );
    let (status, _) = get(&app, &format!("/v1/elections/{id}/entries/0")).await;
    assert_eq!(status, StatusCode::OK);
    drop(held);
    let (status, page) = get(
        &app,
        &format!("/v1/elections/{id}/entries?start={list_at}&end={size}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page["entries"][0]["type"], "credential_list");
}

/// A board over `store` whose writes can be broken.
async fn faulty_board(
    store: AnyStore,
    checkpoint_interval: Duration,
) -> (Arc<Board>, Arc<bulletin_board::store::faults::FaultPlan>) {
    let (faulty, plan) = bulletin_board::store::faults::FaultyStore::new(store);
    let mut config = config();
    config.checkpoint_interval = checkpoint_interval;
    let board = Board::open(AnyStore::Faulty(faulty), config).await.unwrap();
    (board, plan)
}

/// Fault 1 of issue 17: an append that fails after the board decided its batch (a full disk, a
/// connection lost mid-commit) left the ballots in the board's state, and a byte-identical retry
/// was told `409 duplicate` although nothing was on the log. Fault 2: in that state no checkpoint
/// was signed, so a ballot receipted just before stayed unprovable, while health said 200.
pub async fn a_failed_append_never_answers_duplicate(store: AnyStore) {
    // A long interval: the test signs checkpoints itself, so it knows what each one covers.
    let (board, plan) = faulty_board(store, Duration::from_secs(3600)).await;
    let app = app!(board);
    let e = sim("failed-append", 4, open_window());
    let id = e.id();
    set_up(&app, &e).await;
    let ballots = format!("/v1/elections/{id}/ballots");
    let opened = board.store().size(&id).await.unwrap();
    let election = board.election(&id).unwrap();
    board.checkpoint(&election).await.unwrap();

    // Ballot 0 is committed and receipted, but not yet under a checkpoint.
    let b0 = post_body(&ballot_entry(e.ballot(0, 0, opened, &mut OsRng)));
    let (status, r0) = post(&app, &ballots, b0).await;
    assert_eq!(status, StatusCode::CREATED, "{r0}");
    let r0 = verify_receipt(&e, &r0);

    // Ballot 1's append fails after the decision.
    plan.fail_next_appends(1);
    let b1 = post_body(&ballot_entry(e.ballot(1, 1, opened, &mut OsRng)));
    let (status, err) = post(&app, &ballots, b1.clone()).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        "{err}"
    );
    // Nothing new arrives, yet the next checkpoint covers ballot 0.
    board.checkpoint(&election).await.unwrap();
    let published = election.published().unwrap();
    assert!(
        published.size > r0.index,
        "the ballot receipted before the failure is under a checkpoint (size {})",
        published.size
    );
    let (status, proof) = get(
        &app,
        &format!("/v1/elections/{id}/proofs/inclusion?index={}", r0.index),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{proof}");

    // The retry of ballot 1, byte for byte, is appended: it was never on the log.
    let (status, r1) = post(&app, &ballots, b1.clone()).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a retry of a ballot that is not on the log: {r1}"
    );
    let r1 = verify_receipt(&e, &r1);
    assert_eq!(r1.index, r0.index + 1);
    let (status, again) = post(&app, &ballots, b1).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "once committed, a retry gets its receipt: {again}"
    );

    // A failure of two ballots in one batch: both retries go in.
    plan.fail_next_appends(1);
    let b2 = post_body(&ballot_entry(e.ballot(2, 2, opened, &mut OsRng)));
    let b3 = post_body(&ballot_entry(e.ballot(3, 3, opened, &mut OsRng)));
    let ((s2, _), (s3, _)) = tokio::join!(
        post(&app, &ballots, b2.clone()),
        post(&app, &ballots, b3.clone())
    );
    for (status, body) in [
        post(&app, &ballots, b2).await,
        post(&app, &ballots, b3).await,
    ] {
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "never 409 for a ballot that is not on the log: {status} {body}"
        );
    }
    assert!(
        s2 == StatusCode::SERVICE_UNAVAILABLE || s3 == StatusCode::SERVICE_UNAVAILABLE,
        "one of the two posts met the failure"
    );

    // The record verifies and holds each ballot once.
    board.checkpoint(&election).await.unwrap();
    let size = election.published().unwrap().size;
    let leaves = board.store().leaves(&id, 0, size).await.unwrap();
    let mut verifier = RecordVerifier::new();
    for l in &leaves {
        verifier.push(&l.bytes, &mut OsRng).unwrap();
    }
    assert_eq!(verifier.voter_entry_counts(), (4, 0));
}

/// Fault 2's other half: while committed entries cannot get under a checkpoint (writes failing),
/// health says so within two intervals and a second, and says 200 again once they can.
pub async fn health_tells_when_checkpoints_cannot_be_signed(store: AnyStore) {
    let (board, plan) = faulty_board(store, Duration::from_millis(100)).await;
    let app = app!(board);
    let e = sim("health", 2, open_window());
    let id = e.id();
    set_up(&app, &e).await;
    let opened = board.store().size(&id).await.unwrap();
    wait_for_checkpoint(&board, &id, opened).await;
    let (status, _) = get(&app, "/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    let (status, r) = post(
        &app,
        &format!("/v1/elections/{id}/ballots"),
        post_body(&ballot_entry(e.ballot(0, 0, opened, &mut OsRng))),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    plan.set_writes_fail(true);
    let mut unhealthy = None;
    for _ in 0..60 {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        let (status, body) = get(&app, "/v1/health").await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            unhealthy = Some(body);
            break;
        }
    }
    let body = unhealthy.expect("health turns 503 while a receipted ballot cannot be covered");
    assert_eq!(error_code(&body), "unavailable");
    plan.set_writes_fail(false);
    wait_for_checkpoint(&board, &id, opened + 1).await;
    let (status, body) = get(&app, "/v1/health").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Fault 3 of issue 17: a retry racing its original (the same bytes posted several times at
/// once) gets the original's receipt (200), never `409`: every copy answers with one index.
pub async fn racing_retries_get_the_original_receipt(store: AnyStore) {
    let board = Board::open(store, config()).await.unwrap();
    let app = app!(board);
    let e = sim("racing-retries", 12, open_window());
    let id = e.id();
    set_up(&app, &e).await;
    let ballots = format!("/v1/elections/{id}/ballots");
    let opened = board.store().size(&id).await.unwrap();
    let bodies: Vec<String> = (0..12)
        .map(|v| post_body(&ballot_entry(e.ballot(v, v, opened, &mut OsRng))))
        .collect();
    let posts = bodies
        .iter()
        .flat_map(|b| (0..3).map(move |_| b.clone()))
        .map(|b| post(&app, &ballots, b));
    let answers = futures_util::future::join_all(posts).await;
    for (v, copies) in answers.chunks(3).enumerate() {
        let mut indexes = Vec::new();
        for (status, body) in copies {
            assert!(
                *status == StatusCode::CREATED || *status == StatusCode::OK,
                "voter {v}: a copy of a ballot on the log got {status} {body}"
            );
            indexes.push(verify_receipt(&e, body).index);
        }
        indexes.dedup();
        assert_eq!(indexes.len(), 1, "voter {v}: one ballot, one index");
        let created = copies
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "voter {v}: appended once");
    }
    assert_eq!(board.store().size(&id).await.unwrap(), opened + 12);
}

/// Issue 17, restart: the state a board rebuilds from its own store at start (committed voter
/// entries' proofs not verified again) equals what a full re-verification of the same leaves
/// records, through ballots, a revote, duplicates refused, an audit, the tally and the results.
pub async fn a_restart_rebuilds_the_state_of_a_full_verification(store: AnyStore) {
    let e = sim("rebuild", 8, open_window());
    let id = e.id();
    let voting_summary = {
        let board = Board::open(store.clone(), config()).await.unwrap();
        let app = app!(board);
        set_up(&app, &e).await;
        let ballots = format!("/v1/elections/{id}/ballots");
        let opened = board.store().size(&id).await.unwrap();
        let mut counted = Vec::new();
        for v in 0..8 {
            let b = e.ballot(v, v, opened, &mut OsRng);
            let (status, body) = post(&app, &ballots, post_body(&ballot_entry(b.clone()))).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            counted.push(b);
        }
        let p = wait_for_checkpoint(&board, &id, opened + 8).await;
        // Voter 0 votes again after a newer checkpoint; voter 7 audits a ballot.
        let revote = e.ballot(0, 3, p.size, &mut OsRng);
        let (status, body) = post(&app, &ballots, post_body(&ballot_entry(revote.clone()))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        counted[0] = revote;
        let audit = SignedEntry {
            entry: Entry::AuditedBallot(e.audited(7, p.size, &mut OsRng)),
            signature: None,
        };
        let (status, body) = post(
            &app,
            &format!("/v1/elections/{id}/audited-ballots"),
            post_body(&audit),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let size = board.store().size(&id).await.unwrap();
        wait_for_checkpoint(&board, &id, size).await;
        let summary = board.election(&id).unwrap().state_summary();
        // A board started on the store now takes the voter entries in from their resume notes
        // (none decoded or verified again) and holds the same state.
        let restarted = Board::open(store.clone(), config()).await.unwrap();
        assert_eq!(restarted.election(&id).unwrap().state_summary(), summary);
        assert_eq!(
            restarted.metrics.readmitted.load(Ordering::Relaxed),
            10,
            "nine ballots and the audit were readmitted from their notes"
        );
        drop(restarted);
        // Then the close, tally and results, each posted by its writer.
        let weighted: Vec<_> = counted.iter().map(|b| (b, 1)).collect();
        let closing = e.closing(&weighted, &[1, 3], &mut OsRng);
        for (kind, entry) in [
            "phase",
            "tally",
            "phase",
            "partial-decryptions",
            "partial-decryptions",
            "results",
        ]
        .into_iter()
        .zip(&closing)
        {
            let (status, body) = post(
                &app,
                &format!("/v1/elections/{id}/{kind}"),
                post_body(entry),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
        }
        let size = board.store().size(&id).await.unwrap();
        wait_for_checkpoint(&board, &id, size).await;
        summary
    };
    let full = |leaves: &[bulletin_board::store::StoredLeaf]| {
        let mut verifier = RecordVerifier::streaming();
        for l in leaves {
            verifier.push(&l.bytes, &mut OsRng).unwrap();
        }
        verifier.summary()
    };
    let leaves = store
        .leaves(&id, 0, store.size(&id).await.unwrap())
        .await
        .unwrap();
    let rebuilt = Board::open(store.clone(), config()).await.unwrap();
    let summary = rebuilt.election(&id).unwrap().state_summary();
    assert_eq!(
        summary,
        full(&leaves),
        "the rebuilt state is a full verification's"
    );
    assert_eq!(summary.ballots, 9);
    assert_eq!(summary.audited.len(), 1);
    assert_eq!(summary.counted.len(), 8);
    assert!(summary.results.is_some());
    // And at the voting stage (the sets for duplicates are emptied at the close): a full
    // verification of the leaves up to the audit records what the board held then.
    let upto = voting_summary.leaves as usize;
    assert_eq!(voting_summary, full(&leaves[..upto]));
}

macro_rules! store_suite {
    ($make:expr) => {
        #[actix_web::test]
        async fn voting_and_proofs() {
            let (store, _guard) = $make;
            suite::voting_and_proofs(store).await;
        }

        #[actix_web::test]
        async fn bad_input_is_refused_and_changes_nothing() {
            let (store, _guard) = $make;
            suite::bad_input_is_refused_and_changes_nothing(store).await;
        }

        #[actix_web::test]
        async fn voting_closes_at_the_manifest_time() {
            let (store, _guard) = $make;
            suite::voting_closes_at_the_manifest_time(store).await;
        }

        #[actix_web::test]
        async fn reopening_restores_every_log() {
            let (store, _guard) = $make;
            suite::reopening_restores_every_log(store).await;
        }

        #[actix_web::test]
        async fn concurrent_posts_make_one_log() {
            let (store, _guard) = $make;
            suite::concurrent_posts_make_one_log(store).await;
        }
        #[actix_web::test]
        async fn the_mixing_ceremony_through_the_board() {
            let (store, _guard) = $make;
            suite::the_mixing_ceremony_through_the_board(store).await;
        }

        #[actix_web::test]
        async fn large_entries_are_read_alone_within_the_read_budget() {
            let (store, _guard) = $make;
            suite::large_entries_are_read_alone_within_the_read_budget(store).await;
        }

        #[actix_web::test]
        async fn trustee_proofs_are_invalid_proof() {
            let (store, _guard) = $make;
            suite::trustee_proofs_are_invalid_proof(store).await;
        }

        #[actix_web::test]
        async fn a_failed_append_never_answers_duplicate() {
            let (store, _guard) = $make;
            suite::a_failed_append_never_answers_duplicate(store).await;
        }

        #[actix_web::test]
        async fn health_tells_when_checkpoints_cannot_be_signed() {
            let (store, _guard) = $make;
            suite::health_tells_when_checkpoints_cannot_be_signed(store).await;
        }

        #[actix_web::test]
        async fn a_restart_rebuilds_the_state_of_a_full_verification() {
            let (store, _guard) = $make;
            suite::a_restart_rebuilds_the_state_of_a_full_verification(store).await;
        }

        #[actix_web::test]
        async fn racing_retries_get_the_original_receipt() {
            let (store, _guard) = $make;
            suite::racing_retries_get_the_original_receipt(store).await;
        }
    };
}
pub(crate) use store_suite;
