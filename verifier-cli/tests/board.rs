//! The verifier against a running `bulletin-board` process (embedded store): `--board` downloads
//! the record under the board's own checkpoint, while voting is open and once the results are
//! out; `verify-ballot --board` follows a voter's receipt; and a kept checkpoint (`--since`) from
//! the board is extended by the final record.
#[path = "../../election-authority/tests/common/processes.rs"]
mod processes;

use std::process::Command;

use bulletin_board::sim::{every_contest_kind, every_kind_selection, SimElection, SimSpec};
use processes::{board_key, scratch, Board, ORIGIN};
use protocol::manifest::BoardInfo;
use protocol::record::{Entry, Leaf};
use rand_core::OsRng;

/// Runs `thistle-verify <command> --board <url> --election <id> <args>`.
fn on_board(command: &str, board: &str, id: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec![command, "--board", board, "--election", id];
    all.extend_from_slice(args);
    verifier(&all)
}

fn verifier(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_thistle-verify"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The board endpoint each kind of entry is posted to (spec §13.7).
fn endpoint(entry: &Entry) -> &'static str {
    match entry {
        Entry::Manifest(_) => unreachable!("the manifest creates the election"),
        Entry::Phase { .. } => "phase",
        Entry::DkgRound1(_) => "dkg-round1",
        Entry::DkgRound2(_) => "dkg-round2",
        Entry::DkgComplaint(_) => "dkg-complaints",
        Entry::CredentialList(_) => "credentials",
        Entry::Ballot(_) => "ballots",
        Entry::AuditedBallot(_) => "audited-ballots",
        Entry::EncryptedTally(_) => "tally",
        Entry::PartialDecryption(_) => "partial-decryptions",
        Entry::Results(_) => "results",
        Entry::Mix(_) => "mixes",
        Entry::MixDecryption(_) => "mix-decryptions",
        Entry::RankedCount(_) => "ranked-counts",
    }
}

/// Posts a leaf's entry; returns the board's receipt as the voting page would save it.
fn post(url: &str, id: &str, leaf: &Leaf) -> String {
    let path = match &leaf.signed.entry {
        Entry::Manifest(_) => format!("{url}/v1/elections"),
        other => format!("{url}/v1/elections/{id}/{}", endpoint(other)),
    };
    ureq::post(&path)
        .set("content-type", "application/json")
        .send_string(&bulletin_board::sim::post_body(&leaf.signed))
        .unwrap_or_else(|e| panic!("posting to {path}: {e}"))
        .into_string()
        .unwrap()
}

/// Waits until the board's checkpoint covers `size` leaves.
fn wait_for_checkpoint(url: &str, id: &str, size: u64) {
    for _ in 0..200 {
        let status: serde_json::Value = ureq::get(&format!("{url}/v1/elections/{id}"))
            .call()
            .ok()
            .and_then(|r| r.into_json().ok())
            .unwrap_or_default();
        if status["checkpoint"]["size"].as_u64().unwrap_or(0) >= size {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no checkpoint of {size} leaves");
}

#[test]
fn an_observer_verifies_a_live_board_and_a_voter_follows_a_receipt() {
    let dir = scratch("verify-board");
    let board = Board::start(&dir.join("board"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // A complaint in the ceremony (trustee 2 dealt trustee 3 a bad share), a revote and an
    // audit, as a real board sequences them.
    let e = SimElection::with_spec(
        &format!("verify-board-{}", dir.display()),
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        (now - 60, now + 3600),
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests: every_contest_kind(),
            weights: vec![1, 2, 1, 3],
            tampered_share: Some((2, 3)),
        },
        &mut OsRng,
    );
    let ballots: Vec<_> = [0, 1, 2, 1]
        .iter()
        .enumerate()
        .map(|(k, &v)| (v, every_kind_selection(k)))
        .collect();
    let leaves = e.full_record(
        &ballots,
        &[(3, every_kind_selection(2))],
        &[1, 3],
        &mut OsRng,
    );
    let id = e.id();
    let closing = leaves
        .iter()
        .position(|l| {
            matches!(
                l.signed.entry,
                Entry::Phase {
                    phase: protocol::record::Phase::VotingClosed,
                    ..
                }
            )
        })
        .unwrap();
    let first_ballot = leaves
        .iter()
        .position(|l| matches!(l.signed.entry, Entry::Ballot(_)))
        .unwrap();
    let mut receipt = String::new();
    for (i, leaf) in leaves[..closing].iter().enumerate() {
        let r = post(&board.url, &id, leaf);
        if i == first_ballot {
            receipt = r;
        }
    }
    wait_for_checkpoint(&board.url, &id, closing as u64);

    // While voting is open: everything so far holds, the tally steps are not yet due.
    let kept = dir.join("kept.note");
    let (code, text) = on_board(
        "verify",
        &board.url,
        &id,
        &["--save-checkpoint", kept.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Verdict: VALID"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("V13 ") && l.contains("not yet")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("V6 ") && l.contains(" pass ")),
        "{text}"
    );
    let receipt_file = dir.join("receipt.json");
    std::fs::write(&receipt_file, &receipt).unwrap();
    let (code, text) = on_board(
        "verify-ballot",
        &board.url,
        &id,
        &["--receipt", receipt_file.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Status: cast"), "{text}");

    // The vote closes, the tally is decrypted and the results published.
    for leaf in &leaves[closing..] {
        post(&board.url, &id, leaf);
    }
    wait_for_checkpoint(&board.url, &id, leaves.len() as u64);
    let (code, text) = on_board(
        "verify",
        &board.url,
        &id,
        &["--since", kept.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!("extends the kept checkpoint of {closing} entries")),
        "{text}"
    );
    assert!(text.contains("Results (verified)"), "{text}");
    // The first ballot's voter (voter 0) did not vote again: counted.
    let (code, text) = on_board(
        "verify-ballot",
        &board.url,
        &id,
        &["--receipt", receipt_file.to_str().unwrap(), "--json"],
    );
    assert_eq!(code, Some(0), "{text}");
    let status: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status["status"], "counted");
    assert_eq!(status["index"], first_ballot as u64);

    // The export the board serves verifies the same, from a file.
    let export = ureq::get(&format!("{}/v1/elections/{id}/record", board.url))
        .call()
        .unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut export.into_reader(), &mut bytes).unwrap();
    let file = dir.join("record.bin");
    std::fs::write(&file, bytes).unwrap();
    let (code, text) = verifier(&["verify", "--file", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");

    // A board that is gone is "could not check", not "invalid".
    let url = board.url.clone();
    drop(board);
    let (code, text) = verifier(&["verify", "--board", &url, "--election", &id]);
    assert_eq!(code, Some(3), "{text}");
}
