//! Crash tests against real `bulletin-board` processes, on both stores: ballots from concurrent
//! clients, SIGKILL mid-load, restart. Every ballot that got a receipt must be in the log at its
//! receipted index, and the log after the restart must extend the last checkpoint seen before
//! the crash (a consistency proof verifies). Also: two processes sharing one PostgreSQL make one
//! log.
mod process;

use std::cell::RefCell;
use std::rc::Rc;

use bulletin_board::board::now;
use bulletin_board::sim::{ballot_entry, post_body, SimElection};
use process::{check_receipt, Server};
use protocol::merkle::{self, Checkpoint};
use protocol::record::Receipt;
use protocol::verify::RecordVerifier;
use rand_core::OsRng;

const VOTERS: usize = 240;
const CLIENTS: usize = 8;
/// Receipts to collect before the kill.
const KILL_AFTER: usize = 60;

fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must name a PostgreSQL server for these tests, \
         e.g. postgres://postgres@127.0.0.1:5432/test",
    )
}

struct Load {
    receipts: Vec<Receipt>,
    /// Checkpoints seen while the server ran, in order.
    checkpoints: Vec<Checkpoint>,
}

async fn crash_and_recover(database_url: Option<String>) {
    let dir = process::data_dir("crash");
    let mut server = Server::start(&dir, database_url.as_deref()).await;
    let base = server.url.clone();
    let client = process::client();
    let e = Rc::new(SimElection::new(
        &format!(
            "crash-{}",
            hex::encode(dir.file_name().unwrap().as_encoded_bytes())
        ),
        process::board_info(),
        VOTERS,
        (now() - 60, now() + 3600),
        &mut OsRng,
    ));
    process::set_up(&client, &base, &e, None).await;
    let id = e.id();
    let opened = 10;
    let bodies: Vec<String> = (0..VOTERS)
        .map(|v| post_body(&ballot_entry(e.ballot(v, v, opened, &mut OsRng))))
        .collect();
    let queue = Rc::new(RefCell::new(
        bodies.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let load = Rc::new(RefCell::new(Load {
        receipts: Vec::new(),
        checkpoints: Vec::new(),
    }));

    // Clients post until the server dies; a watcher records checkpoints.
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (queue, load, e, client, url) = (
            queue.clone(),
            load.clone(),
            e.clone(),
            client.clone(),
            format!("{base}/v1/elections/{id}/ballots"),
        );
        tasks.push(actix_web::rt::spawn(async move {
            loop {
                let Some((_, body)) = queue.borrow_mut().pop() else {
                    return;
                };
                match process::post(&client, &url, body).await {
                    Ok((201, r)) => {
                        let receipt = check_receipt(&e.manifest_hash, &r);
                        load.borrow_mut().receipts.push(receipt);
                    }
                    Ok((status, r)) => panic!("refused before the crash: {status} {r}"),
                    Err(_) => return, // the server was killed mid-request
                }
            }
        }));
    }
    let watcher = {
        let (load, client, base, id) = (load.clone(), client.clone(), base.clone(), id.clone());
        actix_web::rt::spawn(async move {
            loop {
                if let Ok(mut resp) = client
                    .get(format!("{base}/v1/elections/{id}/checkpoint"))
                    .send()
                    .await
                {
                    if let Ok(cp) = resp.json::<serde_json::Value>().await {
                        if let Some(note) = cp["note"].as_str() {
                            let cp = Checkpoint::verify_note(
                                note,
                                &format!("{}/{id}", process::ORIGIN),
                                &process::board_key().public_key(),
                            )
                            .unwrap();
                            load.borrow_mut().checkpoints.push(cp);
                        }
                    }
                }
                actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
    };
    while load.borrow().receipts.len() < KILL_AFTER {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill9();
    watcher.abort();
    for t in tasks {
        let _ = t.await;
    }
    let (receipts, before) = {
        let l = load.borrow();
        let before = l
            .checkpoints
            .iter()
            .max_by_key(|c| c.size)
            .cloned()
            .expect("a checkpoint before the crash");
        (l.receipts.clone(), before)
    };
    assert!(receipts.len() >= KILL_AFTER);
    assert!(
        receipts.len() < VOTERS,
        "the kill came after every ballot was in; nothing was tested mid-load"
    );

    server.restart().await;
    let top = receipts.iter().map(|r| r.index).max().unwrap() + 1;
    let after = process::wait_for_checkpoint(&client, &base, &id, top.max(before.size)).await;
    let leaves = process::all_leaves(&client, &base, &id, after.size).await;
    for r in &receipts {
        assert_eq!(
            merkle::leaf_hash(&leaves[r.index as usize]),
            r.leaf_hash,
            "receipted ballot at {} is missing after the crash",
            r.index
        );
    }
    let (status, proof) = process::get(
        &client,
        &format!(
            "{base}/v1/elections/{id}/proofs/consistency?from={}&to={}",
            before.size, after.size
        ),
    )
    .await;
    assert_eq!(status, 200, "{proof}");
    let proof: Vec<[u8; 32]> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(process::hex32)
        .collect();
    merkle::verify_consistency(before.size, after.size, &before.root, &after.root, &proof)
        .expect("the log after the restart extends the checkpoint seen before the crash");

    // The board goes on: the remaining ballots are accepted (or, if committed without an answer
    // before the kill, answered with their receipt); the whole record then verifies.
    let rest: Vec<_> = queue.borrow_mut().drain(..).collect();
    for (_, body) in rest {
        let (status, r) =
            process::post(&client, &format!("{base}/v1/elections/{id}/ballots"), body)
                .await
                .unwrap();
        // 200: committed before the kill without an answer; the retry gets its receipt.
        assert!(status == 201 || status == 200, "{status} {r}");
        check_receipt(&e.manifest_hash, &r);
    }
    let last = process::wait_for_checkpoint(&client, &base, &id, after.size + 1).await;
    let leaves = process::all_leaves(&client, &base, &id, last.size).await;
    let mut verifier = RecordVerifier::new();
    for l in &leaves {
        verifier.push(l, &mut OsRng).unwrap();
    }
    assert!(verifier.finish().unwrap().ballots >= receipts.len() as u64);
}

#[actix_web::test]
async fn sigkill_mid_load_loses_no_receipted_ballot_sqlite() {
    crash_and_recover(None).await;
}

#[actix_web::test]
async fn sigkill_mid_load_loses_no_receipted_ballot_postgres() {
    let schema = process::Schema::new(&database_url());
    crash_and_recover(Some(schema.url.clone())).await;
}

/// Two board processes on one PostgreSQL database, ballots posted to both at once: one log, no
/// gaps, no forks, and each process's checkpoints consistent with the other's.
#[actix_web::test]
async fn two_processes_on_one_postgres_make_one_log() {
    let schema = process::Schema::new(&database_url());
    let url = schema.url.clone();
    let a = Server::start(&process::data_dir("multi-a"), Some(&url)).await;
    let b = Server::start(&process::data_dir("multi-b"), Some(&url)).await;
    let client = process::client();
    let e = Rc::new(SimElection::new(
        &format!("multi-{}", now()),
        process::board_info(),
        60,
        (now() - 60, now() + 3600),
        &mut OsRng,
    ));
    process::set_up(&client, &a.url, &e, None).await;
    let id = e.id();
    let mut tasks = Vec::new();
    for v in 0..60 {
        let base = if v % 2 == 0 {
            a.url.clone()
        } else {
            b.url.clone()
        };
        let (client, e, id) = (client.clone(), e.clone(), id.clone());
        let body = post_body(&ballot_entry(e.ballot(v, v, 10, &mut OsRng)));
        tasks.push(actix_web::rt::spawn(async move {
            let (status, r) =
                process::post(&client, &format!("{base}/v1/elections/{id}/ballots"), body)
                    .await
                    .unwrap();
            assert_eq!(status, 201, "{r}");
            check_receipt(&e.manifest_hash, &r).index
        }));
    }
    let mut indexes = Vec::new();
    for t in tasks {
        indexes.push(t.await.unwrap());
    }
    indexes.sort();
    assert_eq!(
        indexes,
        (10..70).collect::<Vec<_>>(),
        "one index per ballot, no gaps"
    );
    let ca = process::wait_for_checkpoint(&client, &a.url, &id, 70).await;
    let cb = process::wait_for_checkpoint(&client, &b.url, &id, 70).await;
    assert_eq!(
        (ca.size, ca.root),
        (cb.size, cb.root),
        "both processes sign the same tree"
    );
    let leaves = process::all_leaves(&client, &b.url, &id, 70).await;
    let mut verifier = RecordVerifier::new();
    for l in &leaves {
        verifier.push(l, &mut OsRng).unwrap();
    }
    assert_eq!(verifier.finish().unwrap().ballots, 60);
    // An early checkpoint of one process is a prefix of the other's latest.
    let (status, proof) = process::get(
        &client,
        &format!(
            "{}/v1/elections/{id}/proofs/consistency?from=10&to=70",
            b.url
        ),
    )
    .await;
    assert_eq!(status, 200);
    let proof: Vec<[u8; 32]> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(process::hex32)
        .collect();
    let hashes: Vec<[u8; 32]> = leaves[..10].iter().map(|l| merkle::leaf_hash(l)).collect();
    merkle::verify_consistency(10, 70, &merkle::root(&hashes), &ca.root, &proof).unwrap();
}
