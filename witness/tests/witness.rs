//! The witness against a board built in test code (spec §13.9): it cosigns a growing, valid record;
//! refuses forks, rollbacks, bad signatures, bad proofs and a record that fails verification, each
//! with C2SP tlog-witness's status; and keeps what it cosigned across a restart.
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bulletin_board::sim::{one_of_five, SimElection, SimSpec};
use protocol::manifest::{BoardInfo, WitnessInfo};
use protocol::merkle::{consistency_proof, leaf_hash, log_origin, root, Checkpoint};
use protocol::record::{Entry, Leaf};
use protocol::signature::SecretKey;
use rand_core::OsRng;
use serde_json::json;
use witness::store::Store;
use witness::{Witness, WitnessConfig, WitnessError};

const BOARD_ORIGIN: &str = "board.test/thistle";
const NAME: &str = "witness.test/w1";

fn board_key() -> SecretKey {
    SecretKey::from_seed(&[7; 32])
}

fn witness_key() -> SecretKey {
    SecretKey::from_seed(&[9; 32])
}

/// What the test board serves: the leaves of one history, which a test may swap for a fork.
type Served = Arc<Mutex<Vec<Vec<u8>>>>;

/// A board in test code: `/v1/board` and the entries of whatever `served` holds.
fn start_board(id: String, served: Served) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let served = served.clone();
                let id = id.clone();
                App::new()
                    .route(
                        "/v1/board",
                        web::get().to(|| async { HttpResponse::Ok().json(json!({"origin": BOARD_ORIGIN})) }),
                    )
                    .route(
                        "/v1/elections/{id}/entries/{index}",
                        web::get().to({
                            let served = served.clone();
                            let id = id.clone();
                            move |path: web::Path<(String, u64)>| {
                                let (served, id) = (served.clone(), id.clone());
                                async move {
                                    let leaves = served.lock().unwrap();
                                    match leaves.get(path.1 as usize) {
                                        Some(l) if path.0 == id => HttpResponse::Ok()
                                            .json(json!({"index": path.1, "leaf": B64.encode(l)})),
                                        _ => HttpResponse::NotFound().finish(),
                                    }
                                }
                            }
                        }),
                    )
                    .route(
                        "/v1/elections/{id}/entries",
                        web::get().to(move |q: web::Query<std::collections::HashMap<String, u64>>| {
                            let served = served.clone();
                            async move {
                                let leaves = served.lock().unwrap();
                                let (start, end) = (q["start"], q["end"].min(leaves.len() as u64));
                                let entries: Vec<_> = (start..end.min(start + 7))
                                    .map(|i| json!({"index": i, "leaf": B64.encode(&leaves[i as usize])}))
                                    .collect();
                                HttpResponse::Ok().json(json!({"size": leaves.len(), "entries": entries}))
                            }
                        }),
                    )
            })
            .listen(listener)
            .unwrap()
            .run()
            .await
        })
    });
    url
}

struct Setup {
    leaves: Vec<Vec<u8>>,
    served: Served,
    origin: String,
    url: String,
    dir: std::path::PathBuf,
}

fn setup(name: &str) -> Setup {
    let board = BoardInfo {
        origin: BOARD_ORIGIN.into(),
        key: board_key().public_key(),
    };
    let witnesses = vec![WitnessInfo {
        name: NAME.into(),
        key: witness_key().public_key(),
        url: "http://witness.test".into(),
    }];
    let e = SimElection::witnessed(
        &format!("witness-{name}"),
        board,
        (1_800_000_000, 1_800_086_400),
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests: one_of_five(),
            weights: vec![1; 6],
            tampered_share: None,
        },
        (witnesses, 1),
        &mut OsRng,
    );
    let ballots: Vec<(usize, Vec<Vec<u64>>)> = (0..6)
        .map(|v| (v, vec![(0..5).map(|o| (o == v % 5) as u64).collect()]))
        .collect();
    let leaves: Vec<Vec<u8>> = e
        .full_record(&ballots, &[], &[1, 2], &mut OsRng)
        .iter()
        .map(Leaf::to_bytes)
        .collect();
    let origin = log_origin(BOARD_ORIGIN, &e.manifest_hash);
    let served: Served = Arc::new(Mutex::new(leaves.clone()));
    let url = start_board(e.id(), served.clone());
    let dir = std::env::temp_dir().join(format!(
        "thistle-witness-test-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    Setup {
        leaves,
        served,
        origin,
        url,
        dir,
    }
}

fn open(s: &Setup) -> Witness {
    let config = WitnessConfig {
        name: NAME.into(),
        key: witness_key(),
        boards: vec![s.url.clone()],
        verifying: true,
        logs: Vec::new(),
    };
    Witness::open(config, Store::open(&s.dir).unwrap()).unwrap()
}

fn note(origin: &str, leaves: &[Vec<u8>], key: &SecretKey) -> String {
    let hashes: Vec<_> = leaves.iter().map(|l| leaf_hash(l)).collect();
    Checkpoint {
        origin: origin.into(),
        size: leaves.len() as u64,
        root: root(&hashes),
    }
    .sign(key)
}

fn request(old: u64, leaves: &[Vec<u8>], note: &str) -> Vec<u8> {
    let hashes: Vec<_> = leaves.iter().map(|l| leaf_hash(l)).collect();
    let mut body = format!("old {old}\n");
    if old > 0 {
        for h in consistency_proof(&hashes, old as usize) {
            body.push_str(&B64.encode(h));
            body.push('\n');
        }
    }
    body.push('\n');
    body.push_str(note);
    body.into_bytes()
}

fn add(w: &Witness, s: &Setup, old: u64, upto: usize) -> Result<String, WitnessError> {
    let leaves = &s.leaves[..upto];
    w.add_checkpoint(&request(
        old,
        leaves,
        &note(&s.origin, leaves, &board_key()),
    ))
}

#[test]
fn a_growing_valid_record_is_cosigned_and_every_refusal_has_its_status() {
    let s = setup("grow");
    let w = open(&s);
    let n = s.leaves.len();
    // Cosigned from nothing, then grown; each cosignature verifies under the witness's key.
    let line = add(&w, &s, 0, 12).unwrap();
    let me = WitnessInfo {
        name: NAME.into(),
        key: witness_key().public_key(),
        url: String::new(),
    };
    let body = note(&s.origin, &s.leaves[..12], &board_key());
    let body = format!("{}\n", body.split_once("\n\n").unwrap().0);
    assert!(matches!(
        protocol::witness::read_cosignature(&me, &body, line.trim_end()),
        Some(Ok(_))
    ));
    add(&w, &s, 12, 20).unwrap();

    // Wrong old size: 409 with the witness's size.
    let e = add(&w, &s, 12, 21).unwrap_err();
    assert!(
        matches!(e, WitnessError::WrongOldSize { old: 12, size: 20 }),
        "{e}"
    );
    assert_eq!(e.status(), 409);
    // A smaller tree: old above the checkpoint's size.
    assert_eq!(add(&w, &s, 20, 15).unwrap_err().status(), 400);
    // The same size again with the same root is cosigned again; with another root it is a fork.
    add(&w, &s, 20, 20).unwrap();
    let mut fork = s.leaves.clone();
    fork[15] = fork[16].clone();
    let forked = |old: u64, upto: usize| {
        w.add_checkpoint(&request(
            old,
            &fork[..upto],
            &note(&s.origin, &fork[..upto], &board_key()),
        ))
    };
    assert!(matches!(
        forked(20, 20).unwrap_err(),
        WitnessError::Fork(20)
    ));
    // A fork that grows: its consistency proof from the witness's tree fails.
    assert_eq!(forked(20, 22).unwrap_err().status(), 422);
    // Not the board's key: 403. An origin nobody follows: 404. Garbage: 400.
    let other = SecretKey::from_seed(&[1; 32]);
    let e = w
        .add_checkpoint(&request(
            20,
            &s.leaves[..22],
            &note(&s.origin, &s.leaves[..22], &other),
        ))
        .unwrap_err();
    assert_eq!(e.status(), 403, "{e}");
    let e = w
        .add_checkpoint(&request(
            0,
            &s.leaves[..3],
            &note("elsewhere.test/log", &s.leaves[..3], &board_key()),
        ))
        .unwrap_err();
    assert_eq!(e.status(), 404, "{e}");
    assert_eq!(w.add_checkpoint(b"old 01\n\nx").unwrap_err().status(), 400);
    assert_eq!(w.add_checkpoint(b"hello").unwrap_err().status(), 400);

    // The whole record, to the results.
    add(&w, &s, 20, n).unwrap();
    assert_eq!(w.followed()[0].2, n as u64);
}

#[test]
fn a_record_that_fails_verification_is_not_cosigned_even_if_consistent() {
    let s = setup("invalid");
    let w = open(&s);
    // The board serves a ballot whose bytes were altered: the tree and the board's signature
    // agree with it, but V10 fails.
    let mut bad = s.leaves.clone();
    let ballot = bad
        .iter()
        .position(|l| {
            matches!(
                Leaf::from_bytes(l, 2).map(|l| l.signed.entry),
                Ok(Entry::Ballot(_))
            )
        })
        .unwrap();
    add(&w, &s, 0, ballot).unwrap();
    let len = bad[ballot].len();
    bad[ballot][len - 40] ^= 1;
    *s.served.lock().unwrap() = bad.clone();
    let upto = ballot + 2;
    let at = ballot as u64;
    let e = w
        .add_checkpoint(&request(
            at,
            &bad[..upto],
            &note(&s.origin, &bad[..upto], &board_key()),
        ))
        .unwrap_err();
    assert_eq!(e.status(), 422, "{e}");
    assert_eq!(w.followed()[0].2, at, "nothing was taken in");
    // The honest continuation is still cosigned (the verifier was rebuilt from the store).
    *s.served.lock().unwrap() = s.leaves.clone();
    add(&w, &s, at, upto).unwrap();
}

#[test]
fn what_was_cosigned_survives_a_restart() {
    let s = setup("restart");
    {
        let w = open(&s);
        add(&w, &s, 0, 14).unwrap();
    }
    let w = open(&s);
    assert_eq!(w.followed()[0].2, 14);
    assert!(matches!(
        add(&w, &s, 0, 16).unwrap_err(),
        WitnessError::WrongOldSize { size: 14, .. }
    ));
    add(&w, &s, 14, s.leaves.len()).unwrap();
    assert_eq!(w.store().cosigned(&s.origin).unwrap().len(), 2);
}

/// Thistle's witness with another C2SP log (spec §13.9): a log built here with other crates'
/// code (tlog_tiles for the tree, its checkpoints and consistency proofs; signed_note for the
/// log's Ed25519 note signature) is cosigned on consistency alone, and refused as C2SP says.
#[test]
fn another_logs_checkpoints_are_cosigned_on_consistency() {
    use protocol::witness::read_cosignature;
    use tlog_tiles::checkpoint::Checkpoint as TlogCheckpoint;
    use tlog_tiles::tlog::{self, Hash, HashReader};

    struct Tree(Vec<Hash>);
    impl HashReader for Tree {
        fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
            Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
        }
    }
    const ORIGIN: &str = "example.org/other-log";
    let (skey, vkey) = signed_note::generate_key(&mut OsRng, ORIGIN);
    let signer = signed_note::StandardSigner::new(&skey).unwrap();
    let mut tree = Tree(Vec::new());
    let mut size = 0u64;
    let mut grow = |tree: &mut Tree, to: u64| {
        while size < to {
            let more = tlog::stored_hashes(size, format!("entry {size}").as_bytes(), tree).unwrap();
            tree.0.extend(more);
            size += 1;
        }
    };
    let note_at = |tree: &Tree, n: u64, signer: &dyn signed_note::Signer| {
        let root = tlog::tree_hash(n, tree).unwrap();
        let text = TlogCheckpoint::new(ORIGIN, n, root, "").unwrap().to_bytes();
        let mut note = signed_note::Note::new(&text, &[]).unwrap();
        note.add_sigs(&[signer]).unwrap();
        (
            String::from_utf8(text).unwrap(),
            String::from_utf8(note.to_bytes()).unwrap(),
        )
    };
    let request = |tree: &Tree, old: u64, n: u64, note: &str| {
        let mut body = format!("old {old}\n");
        if old > 0 && old < n {
            for h in tlog::prove_tree(n, old, tree).unwrap() {
                body.push_str(&B64.encode(h.0));
                body.push('\n');
            }
        }
        body.push('\n');
        body.push_str(note);
        body.into_bytes()
    };
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "witness-other-log-{}",
        rand_core::RngCore::next_u64(&mut OsRng)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let open = || {
        let config = WitnessConfig {
            name: NAME.into(),
            key: witness_key(),
            boards: Vec::new(),
            verifying: true,
            logs: vec![vkey.clone()],
        };
        Witness::open(config, Store::open(&dir).unwrap()).unwrap()
    };
    let me = WitnessInfo {
        name: NAME.into(),
        key: witness_key().public_key(),
        url: String::new(),
    };
    let w = open();
    grow(&mut tree, 5);
    let (body5, note5) = note_at(&tree, 5, &signer);
    let line = w.add_checkpoint(&request(&tree, 0, 5, &note5)).unwrap();
    let time = read_cosignature(&me, &body5, line.trim_end())
        .unwrap()
        .unwrap();
    assert!(time > 0);
    // Grown with a consistency proof made by tlog_tiles: cosigned.
    grow(&mut tree, 12);
    let (body12, note12) = note_at(&tree, 12, &signer);
    let line = w.add_checkpoint(&request(&tree, 5, 12, &note12)).unwrap();
    assert!(read_cosignature(&me, &body12, line.trim_end())
        .unwrap()
        .is_ok());
    // A stale old size: 409 with the witness's size.
    assert!(matches!(
        w.add_checkpoint(&request(&tree, 5, 12, &note12)),
        Err(WitnessError::WrongOldSize { size: 12, .. })
    ));
    // Another key's signature: 403.
    let (other_skey, _) = signed_note::generate_key(&mut OsRng, ORIGIN);
    let other = signed_note::StandardSigner::new(&other_skey).unwrap();
    grow(&mut tree, 13);
    let (_, forged) = note_at(&tree, 13, &other);
    assert!(matches!(
        w.add_checkpoint(&request(&tree, 12, 13, &forged)),
        Err(WitnessError::BadSignature(_))
    ));
    // A fork: another tree of size 12 (same key), and a growing fork whose proof fails.
    let mut fork = Tree(Vec::new());
    for i in 0..14u64 {
        let more = tlog::stored_hashes(i, format!("forked {i}").as_bytes(), &fork).unwrap();
        fork.0.extend(more);
    }
    let (_, fork12) = note_at(&fork, 12, &signer);
    assert!(matches!(
        w.add_checkpoint(&request(&fork, 12, 12, &fork12)),
        Err(WitnessError::Fork(12))
    ));
    let (_, fork14) = note_at(&fork, 14, &signer);
    assert!(matches!(
        w.add_checkpoint(&request(&fork, 12, 14, &fork14)),
        Err(WitnessError::Unprocessable(_))
    ));
    // A log it does not follow: 404.
    let (stranger_skey, _) = signed_note::generate_key(&mut OsRng, "example.org/unknown");
    let stranger = signed_note::StandardSigner::new(&stranger_skey).unwrap();
    let text = TlogCheckpoint::new("example.org/unknown", 1, tlog::record_hash(b"x"), "")
        .unwrap()
        .to_bytes();
    let mut note = signed_note::Note::new(&text, &[]).unwrap();
    note.add_sigs(&[&stranger]).unwrap();
    let body = format!("old 0\n\n{}", String::from_utf8(note.to_bytes()).unwrap());
    assert!(matches!(
        w.add_checkpoint(body.as_bytes()),
        Err(WitnessError::UnknownOrigin(_))
    ));
    // After a restart it remembers size 12.
    drop(w);
    let w = open();
    assert!(matches!(
        w.add_checkpoint(&request(&tree, 5, 12, &note12)),
        Err(WitnessError::WrongOldSize { size: 12, .. })
    ));
    let (body13, note13) = note_at(&tree, 13, &signer);
    let line = w.add_checkpoint(&request(&tree, 12, 13, &note13)).unwrap();
    assert!(read_cosignature(&me, &body13, line.trim_end())
        .unwrap()
        .is_ok());
}
