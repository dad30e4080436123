//! The verifier over whole records built without a board: a valid record of every contest kind
//! passes (text and JSON reports, the results, `--since`); and a mutation suite changes every
//! entry of a small valid record in turn (one byte, removed, duplicated, moved, or replaced by a
//! valid-looking entry of another election), with the checkpoint re-signed as a lying board
//! would, and the verifier must reject each, naming a V-step the entry's kind allows.
use std::path::{Path, PathBuf};
use std::process::Command;

use bulletin_board::sim::{every_contest_kind, every_kind_selection, SimElection, SimSpec};
use cli_support::record::read_record;
use cli_support::Error;
use protocol::manifest::BoardInfo;
use protocol::record::{Entry, Leaf};
use protocol::signature::SecretKey;
use protocol::verify::Step;
use rand_core::OsRng;

const ORIGIN: &str = "board.test/verifier";

fn board_key() -> SecretKey {
    SecretKey::from_seed(&[7; 32])
}

fn election(seed: &str, trustees: u32, threshold: u32, voters: usize) -> SimElection {
    SimElection::with_spec(
        seed,
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        (1_000, 2_000),
        SimSpec {
            trustees,
            threshold,
            contests: every_contest_kind(),
            weights: (0..voters).map(|v| 1 + (v % 3) as u64).collect(),
        },
        &mut OsRng,
    )
}

/// Every contest kind, weights, a revote and an audit; trustees 1 and 3 of 3 decrypt.
fn valid(seed: &str) -> (SimElection, Vec<Vec<u8>>) {
    let e = election(seed, 3, 2, 5);
    let leaves = record_of(&e);
    (e, leaves)
}

/// A fresh record of `e` (new ballot randomness each time).
fn record_of(e: &SimElection) -> Vec<Vec<u8>> {
    let mut ballots: Vec<(usize, Vec<Vec<u64>>)> =
        (0..5).map(|v| (v, every_kind_selection(v))).collect();
    ballots.push((2, every_kind_selection(7)));
    e.full_record(
        &ballots,
        &[(4, every_kind_selection(1))],
        &[1, 3],
        &mut OsRng,
    )
    .iter()
    .map(Leaf::to_bytes)
    .collect()
}

fn export(leaves: &[Vec<u8>]) -> Vec<u8> {
    bulletin_board::sim::export(leaves, ORIGIN, &board_key())
}

fn check(e: &SimElection, leaves: &[Vec<u8>]) -> Result<cli_support::record::Record, Error> {
    read_record(&export(leaves)[..], &e.id(), &mut |_, _, _| {})
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "verify-{name}-{:016x}",
        rand_core::RngCore::next_u64(&mut OsRng)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn verifier(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_thistle-verify"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_valid_record_of_every_contest_kind_passes_every_step() {
    let (e, leaves) = valid("valid");
    let dir = scratch("valid");
    let file = dir.join("record.bin");
    std::fs::write(&file, export(&leaves)).unwrap();
    let out = verifier(&["verify", "--file", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for step in verifier_cli::STEPS {
        let id = step.name().split(' ').next().unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no line for {id}: {text}"));
        assert!(line.contains(" pass "), "{line}");
    }
    assert!(text.contains("6 ballots"), "{text}");
    assert!(text.contains("1 audited ballot"), "{text}");
    assert!(text.contains("5 counted"), "{text}");
    assert!(text.contains("Verdict: VALID"), "{text}");
    assert!(
        text.contains(&hex::encode(e.manifest.administrator.as_bytes())),
        "{text}"
    );
    for contest in every_contest_kind() {
        assert!(text.contains(&contest.title), "{text}");
    }
    // The JSON report says the same, with the verified results.
    let out = verifier(&["verify", "--file", file.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "valid");
    assert_eq!(json["election"], e.id());
    assert_eq!(json["steps"].as_array().unwrap().len(), 15);
    let record = check(&e, &leaves).unwrap();
    let totals: Vec<Vec<u64>> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["totals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t[1].as_u64().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(totals, record.results().unwrap().totals);
}

#[test]
fn since_a_kept_checkpoint_the_board_may_only_append() {
    let (e, leaves) = valid("since");
    let dir = scratch("since");
    let (early, full) = (dir.join("early.bin"), dir.join("full.bin"));
    std::fs::write(&early, export(&leaves[..12])).unwrap();
    std::fs::write(&full, export(&leaves)).unwrap();
    let kept = dir.join("kept.note");
    let out = verifier(&[
        "verify",
        "--file",
        early.to_str().unwrap(),
        "--save-checkpoint",
        kept.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let out = verifier(&[
        "verify",
        "--file",
        full.to_str().unwrap(),
        "--since",
        kept.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("extends the kept checkpoint of 12 entries"),
        "{text}"
    );
    // A board that since rewrote the voting (another history, valid on its own) is exposed by
    // the kept checkpoint.
    let rewritten = record_of(&e);
    assert!(check(&e, &rewritten).is_ok());
    let forked = dir.join("forked.bin");
    std::fs::write(&forked, export(&rewritten)).unwrap();
    let out = verifier(&[
        "verify",
        "--file",
        forked.to_str().unwrap(),
        "--since",
        early.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("V1"), "{text}");
    assert!(text.contains("rewrote its history"), "{text}");
}

#[test]
fn a_missing_file_is_could_not_check() {
    let out = verifier(&["verify", "--file", "/nonexistent/record.bin"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Could not check"));
}

/// The V-steps that may rightly reject a mutation of an entry of this kind.
fn allowed(entry: &Entry) -> Vec<Step> {
    use Step::*;
    let own = match entry {
        Entry::Manifest(_) => V3Manifest,
        Entry::Phase { .. } => V4WritersAndPhases,
        Entry::DkgRound1(_) => V5Round1,
        Entry::DkgRound2(_) | Entry::DkgComplaint(_) => V6Complaints,
        Entry::CredentialList(_) => V8Credentials,
        Entry::Ballot(_) => V10Ballots,
        Entry::AuditedBallot(_) => V11Audits,
        Entry::EncryptedTally(_) => V13Tally,
        Entry::PartialDecryption(_) => V14PartialDecryptions,
        Entry::Results(_) => V15Results,
    };
    vec![V2Leaves, V4WritersAndPhases, own]
}

/// Adjacent entries whose order the spec leaves free: two of one kind from different writers
/// (round 1s, round 2s, ballots of different voters, partial decryptions), and the credential
/// list next to a key-ceremony entry (it may be posted any time before voting opens).
fn commute(a: &Entry, b: &Entry) -> bool {
    let dkg = |e: &Entry| {
        matches!(
            e,
            Entry::DkgRound1(_) | Entry::DkgRound2(_) | Entry::DkgComplaint(_)
        )
    };
    let list = |e: &Entry| matches!(e, Entry::CredentialList(_));
    a.tag() == b.tag() || (list(a) && dkg(b)) || (dkg(a) && list(b))
}

fn expect_rejected(e: &SimElection, leaves: &[Vec<u8>], what: &str, allowed: &[Step]) {
    match check(e, leaves) {
        Ok(_) => panic!("{what}: the mutated record was accepted"),
        Err(Error::Invalid(f)) => assert!(
            allowed.contains(&f.step),
            "{what}: rejected at {} (allowed: {allowed:?}): {f}",
            f.step.name()
        ),
        Err(other) => panic!("{what}: not a V-step failure: {other}"),
    }
}

#[test]
fn every_mutation_of_every_entry_is_rejected_at_its_step() {
    // No revote and no audit here, and exactly t partial decryptions, so that removing any
    // entry but the last changes what the record proves.
    let e = election("mutations", 3, 2, 4);
    let ballots: Vec<_> = (0..4).map(|v| (v, every_kind_selection(v))).collect();
    let leaves: Vec<Vec<u8>> = e
        .full_record(&ballots, &[], &[1, 2], &mut OsRng)
        .iter()
        .map(Leaf::to_bytes)
        .collect();
    check(&e, &leaves).expect("the unmutated record is valid");
    // Another election's entries, valid in their own record.
    let other = election("other", 3, 2, 4);
    let others: Vec<Leaf> = other.full_record(&ballots, &[], &[1, 2], &mut OsRng);
    let decoded: Vec<Leaf> = leaves
        .iter()
        .map(|l| Leaf::from_bytes(l, 2).unwrap())
        .collect();
    let n = leaves.len();
    let mut mutations = 0;
    for i in 0..n {
        let kind = &decoded[i].signed.entry;
        let ok = allowed(kind);
        // One byte of the entry (not the board's time), at its start, middle and end.
        for at in [9, 9 + (leaves[i].len() - 9) / 2, leaves[i].len() - 1] {
            let mut m = leaves.clone();
            m[i][at] ^= 0x01;
            expect_rejected(&e, &m, &format!("entry {i}: byte {at} flipped"), &ok);
            mutations += 1;
        }
        // Removed: the entries after it move, so the step may be theirs; any V-step will do but
        // the record must fail (only the last entry's removal leaves a valid prefix).
        if i + 1 < n {
            let mut m = leaves.clone();
            m.remove(i);
            expect_rejected(&e, &m, &format!("entry {i} removed"), &verifier_cli::STEPS);
            mutations += 1;
        }
        // Duplicated.
        let mut m = leaves.clone();
        m.insert(i + 1, leaves[i].clone());
        expect_rejected(
            &e,
            &m,
            &format!("entry {i} duplicated"),
            &verifier_cli::STEPS,
        );
        mutations += 1;
        // Moved one later, unless the two commute: the record then proves the same.
        if i + 1 < n && !commute(kind, &decoded[i + 1].signed.entry) {
            let mut m = leaves.clone();
            m.swap(i, i + 1);
            expect_rejected(
                &e,
                &m,
                &format!("entries {i} and {} swapped", i + 1),
                &verifier_cli::STEPS,
            );
            mutations += 1;
        }
        // Replaced by the other election's entry at the same place (same kind, valid there).
        let mut m = leaves.clone();
        m[i] = Leaf {
            time: decoded[i].time,
            signed: others[i].signed.clone(),
        }
        .to_bytes();
        expect_rejected(&e, &m, &format!("entry {i} from another election"), &ok);
        mutations += 1;
    }
    assert!(mutations > 5 * n, "{mutations} mutations of {n} entries");
}

/// The board's receipt for entry `index` (spec §13.5), as the API serves it.
fn receipt_json(manifest_hash: &[u8; 32], index: u64, leaf: &Leaf) -> serde_json::Value {
    use base64::Engine;
    let receipt = protocol::record::Receipt::for_leaf(index, leaf);
    let signature = receipt.sign(manifest_hash, &board_key());
    serde_json::json!({
        "index": receipt.index,
        "time": receipt.time,
        "leaf_hash": hex::encode(receipt.leaf_hash),
        "tracking_code": receipt.tracking_code.map(|c| hex::encode(c.0)),
        "signature": base64::engine::general_purpose::STANDARD.encode(signature),
    })
}

#[test]
fn a_voter_finds_a_ballot_counted_superseded_audited_or_missing() {
    let (e, leaves) = valid("ballot");
    let dir = scratch("ballot");
    let file = dir.join("record.bin");
    std::fs::write(&file, export(&leaves)).unwrap();
    let decoded: Vec<Leaf> = leaves
        .iter()
        .map(|l| Leaf::from_bytes(l, 2).unwrap())
        .collect();
    let code_of = |i: usize| match &decoded[i].signed.entry {
        Entry::Ballot(b) => b.tracking_code(),
        Entry::AuditedBallot(a) => a.encrypted.tracking_code(),
        _ => panic!("entry {i} is not a voter entry"),
    };
    let voter_entries: Vec<usize> = (0..decoded.len())
        .filter(|&i| {
            matches!(
                decoded[i].signed.entry,
                Entry::Ballot(_) | Entry::AuditedBallot(_)
            )
        })
        .collect();
    // Ballots of voters 0..5, then voter 2's revote, then voter 4's audit.
    let (first, revote_of_2, audit) = (voter_entries[0], voter_entries[5], voter_entries[6]);
    let ask = |code: String| {
        let out = verifier(&[
            "verify-ballot",
            "--file",
            file.to_str().unwrap(),
            "--code",
            &code,
        ]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (status, text) = ask(code_of(first).short());
    assert_eq!(status, Some(0), "{text}");
    assert!(text.contains("Status: counted"), "{text}");
    let (status, text) = ask(hex::encode(code_of(voter_entries[2]).0));
    assert_eq!(status, Some(0), "{text}");
    assert!(text.contains("Status: superseded"), "{text}");
    assert!(text.contains(&format!("at entry {revote_of_2}")), "{text}");
    let (status, text) = ask(code_of(audit).short().to_lowercase());
    assert_eq!(status, Some(0), "{text}");
    assert!(text.contains("Status: audited"), "{text}");
    let (status, text) = ask("0000-0000-0000-0000-0000-0000".into());
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("Status: missing"), "{text}");

    // While voting is open, a board that drops a receipted ballot is caught by the receipt.
    // The board swaps voter 2's receipted revote for another valid ballot at the same entry
    // (dropping it outright would break the later ballots' board sizes, V10).
    let receipt = receipt_json(&e.manifest_hash, revote_of_2 as u64, &decoded[revote_of_2]);
    let other = e.ballot_for(3, &every_kind_selection(9), revote_of_2 as u64, &mut OsRng);
    let mut dropped: Vec<Vec<u8>> = leaves[..revote_of_2].to_vec();
    dropped.push(
        Leaf {
            time: decoded[revote_of_2].time,
            signed: bulletin_board::sim::ballot_entry(other),
        }
        .to_bytes(),
    );
    let dropped_file = dir.join("dropped.bin");
    std::fs::write(&dropped_file, export(&dropped)).unwrap();
    let receipt_file = dir.join("receipt.json");
    std::fs::write(&receipt_file, receipt.to_string()).unwrap();
    let out = verifier(&[
        "verify-ballot",
        "--file",
        dropped_file.to_str().unwrap(),
        "--receipt",
        receipt_file.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("dropped or changed the ballot"), "{text}");
    // On a record that ends before the receipt's entry, the ballot is pending, not missing.
    let early_file = dir.join("early.bin");
    std::fs::write(&early_file, export(&leaves[..revote_of_2])).unwrap();
    let out = verifier(&[
        "verify-ballot",
        "--file",
        early_file.to_str().unwrap(),
        "--receipt",
        receipt_file.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Status: pending"), "{text}");
    // The same receipt on the honest record: on the board, and counted.
    let out = verifier(&[
        "verify-ballot",
        "--file",
        file.to_str().unwrap(),
        "--receipt",
        receipt_file.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Status: counted"), "{text}");
}
