//! The verifier over whole records built without a board: a valid record of every contest kind
//! passes (text and JSON reports, the results, `--since`); and a mutation suite changes every
//! entry of a small valid record in turn (one byte, removed, duplicated, moved, or replaced by a
//! valid-looking entry of another election), with the checkpoint re-signed as a lying board
//! would, and the verifier must reject each, naming a V-step the entry's kind allows.
use std::path::{Path, PathBuf};
use std::process::Command;

use bulletin_board::sim::{
    every_contest_kind, every_kind_selection, ward, ward_ranking, SimElection, SimSpec,
};
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
    election_with(
        seed,
        SimSpec {
            trustees,
            threshold,
            contests: every_contest_kind(),
            weights: (0..voters).map(|v| 1 + (v % 3) as u64).collect(),
            tampered_share: None,
        },
    )
}

fn election_with(seed: &str, spec: SimSpec) -> SimElection {
    SimElection::with_spec(
        seed,
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        (1_000, 2_000),
        spec,
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
    assert_eq!(json["steps"].as_array().unwrap().len(), 19);
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
    // A checkpoint kept of another election on the same board is not evidence against this
    // one: the saved checkpoint names its election.
    let (other, other_leaves) = valid("since-other");
    let other_file = dir.join("other.bin");
    std::fs::write(&other_file, export(&other_leaves)).unwrap();
    let other_kept = dir.join("other.note");
    let out = verifier(&[
        "verify",
        "--file",
        other_file.to_str().unwrap(),
        "--save-checkpoint",
        other_kept.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let saved = std::fs::read_to_string(&other_kept).unwrap();
    assert!(saved.starts_with(&format!("thistle-kept-checkpoint {}\n", other.id())));
    for kept in [&other_kept, &other_file] {
        let out = verifier(&[
            "verify",
            "--file",
            full.to_str().unwrap(),
            "--since",
            kept.to_str().unwrap(),
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("not this one's"), "{text}");
    }
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
        Entry::Mix(_) => V17Mixes,
        Entry::MixDecryption(_) => V18MixDecryptions,
        Entry::RankedCount(_) => V19RankedCounts,
    };
    vec![V2Leaves, V4WritersAndPhases, own]
}

/// Adjacent entries whose order the spec leaves free: two of one kind from different writers
/// (round 1s, round 2s, ballots of different voters, partial decryptions), a complaint and a
/// round 2 other than the accused dealer's, and the credential list next to a key-ceremony entry
/// (it may be posted any time before voting opens).
fn commute(a: &Entry, b: &Entry) -> bool {
    if let (Entry::DkgRound2(p), Entry::DkgComplaint(c))
    | (Entry::DkgComplaint(c), Entry::DkgRound2(p)) = (a, b)
    {
        return p.dealer != c.accused;
    }
    let dkg = |e: &Entry| {
        matches!(
            e,
            Entry::DkgRound1(_) | Entry::DkgRound2(_) | Entry::DkgComplaint(_)
        )
    };
    let list = |e: &Entry| matches!(e, Entry::CredentialList(_));
    // The encrypted tally and the mixes are independent (both need only the closed vote), and
    // so are partial decryptions and mix decryptions.
    let closed = |e: &Entry| matches!(e, Entry::EncryptedTally(_) | Entry::Mix(_));
    let decrypting = |e: &Entry| matches!(e, Entry::PartialDecryption(_) | Entry::MixDecryption(_));
    a.tag() == b.tag()
        || (list(a) && dkg(b))
        || (dkg(a) && list(b))
        || (closed(a) && closed(b))
        || (decrypting(a) && decrypting(b))
}

/// Checks one mutated record: it must fail at one of `steps`, at an entry in `at`. Returns what
/// went wrong instead, if anything.
fn rejection_problem(
    e: &SimElection,
    leaves: &[Vec<u8>],
    what: &str,
    steps: &[Step],
    at: std::ops::RangeInclusive<u64>,
) -> Option<String> {
    match check(e, leaves) {
        Ok(_) => Some(format!("{what}: the mutated record was accepted")),
        Err(Error::Invalid(f)) if steps.contains(&f.step) && at.contains(&f.index) => None,
        Err(Error::Invalid(f)) => Some(format!(
            "{what}: rejected as \"{f}\" (expected one of {steps:?} at an entry in {at:?})"
        )),
        Err(other) => Some(format!("{what}: not a V-step failure: {other}")),
    }
}

/// What a mutation suite runs over: a valid record, and entries to swap in.
struct Suite<'a> {
    election: &'a SimElection,
    leaves: Vec<Vec<u8>>,
    /// Another election's record of the same shape: entries valid there, signed by other keys.
    other_election: Vec<Leaf>,
    /// A record of the same election (same manifest and keys) with another key ceremony and
    /// other ballots: entries signed by the right people, that would be valid in a different
    /// history.
    other_history: Vec<Leaf>,
}

/// Runs every mutation of every entry; returns the count and the mutations not rejected as
/// they should be.
fn run_mutations(suite: &Suite<'_>) -> (usize, Vec<String>) {
    use Step::*;
    let (e, leaves) = (suite.election, &suite.leaves);
    let decoded: Vec<Leaf> = leaves
        .iter()
        .map(|l| Leaf::from_bytes(l, 2).unwrap())
        .collect();
    let n = leaves.len();
    let last = n as u64;
    let mut problems = Vec::new();
    let mut count = 0;
    let mut run = |m: &[Vec<u8>], what: String, steps: &[Step], at| {
        count += 1;
        problems.extend(rejection_problem(e, m, &what, steps, at));
    };
    for i in 0..n {
        let kind = &decoded[i].signed.entry;
        let own = allowed(kind);
        let at = i as u64;
        // One byte of the entry (not the board's time), at its start, middle and end: this
        // entry's own step.
        for byte in [9, 9 + (leaves[i].len() - 9) / 2, leaves[i].len() - 1] {
            let mut m = leaves.clone();
            m[i][byte] ^= 0x01;
            run(&m, format!("entry {i}: byte {byte} flipped"), &own, at..=at);
        }
        // Removed: the record must fail at or after the gap (what broke depends on what came
        // next). Only the last entry's removal leaves a valid prefix, and an audited ballot's
        // leaves a record that proves the same: the voter's receipt catches that (see the
        // verify-ballot test).
        if i + 1 < n && !matches!(kind, Entry::AuditedBallot(_)) {
            let mut m = leaves.clone();
            m.remove(i);
            run(
                &m,
                format!("entry {i} removed"),
                &verifier_cli::STEPS,
                at..=last,
            );
        }
        // Duplicated: the copy is at fault, at its own step (a second manifest or phase breaks
        // the writers and phases).
        let mut m = leaves.clone();
        m.insert(i + 1, leaves[i].clone());
        run(&m, format!("entry {i} duplicated"), &own, at + 1..=at + 1);
        // Moved one later, unless the two commute (the record then proves the same): the
        // first entry out of place is at fault, at either entry's step, or at the step a later
        // entry could no longer pass.
        if i + 1 < n && !commute(kind, &decoded[i + 1].signed.entry) {
            let mut m = leaves.clone();
            m.swap(i, i + 1);
            let mut steps = own.clone();
            steps.extend(allowed(&decoded[i + 1].signed.entry));
            steps.extend([V7ElectionKey, V9Fingerprint]);
            run(
                &m,
                format!("entries {i} and {} swapped", i + 1),
                &steps,
                at..=at + 1,
            );
        }
        // Replaced by the other election's entry at the same place (same kind, valid there).
        let mut m = leaves.clone();
        m[i] = Leaf {
            time: decoded[i].time,
            signed: suite.other_election[i].signed.clone(),
        }
        .to_bytes();
        run(
            &m,
            format!("entry {i} from another election"),
            &own,
            at..=at,
        );
        // Replaced by this election's entry from another history. Identical entries (the
        // manifest, phases, the credential list, the results) prove nothing; nor do audited
        // ballots, which count for nothing. Nor does another round 2 from a dealer who signed
        // two: its shares are encrypted to the recipients, so only they can tell, by complaining
        // (§8.4), and nothing public is derived from it. A round 1 from another ceremony is
        // valid on its own: the record then fails at the election key or the fingerprint the
        // administrator opened the vote with.
        let replacement = Leaf {
            time: decoded[i].time,
            signed: suite.other_history[i].signed.clone(),
        }
        .to_bytes();
        if replacement != leaves[i]
            && !matches!(kind, Entry::AuditedBallot(_) | Entry::DkgRound2(_))
        {
            let mut m = leaves.clone();
            m[i] = replacement;
            let mut steps = own.clone();
            steps.extend([V7ElectionKey, V9Fingerprint]);
            run(
                &m,
                format!("entry {i} from another history of this election"),
                &steps,
                at..=last,
            );
        }
    }
    (count, problems)
}

fn assert_all_rejected(suite: &Suite<'_>) {
    check(suite.election, &suite.leaves).expect("the unmutated record is valid");
    let (count, problems) = run_mutations(suite);
    assert!(
        problems.is_empty(),
        "{} of {count} mutations not rejected as they should be:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(count > 5 * suite.leaves.len(), "{count} mutations");
}

#[test]
fn every_mutation_of_every_entry_is_rejected_at_its_step() {
    // No revote and no audit here, and exactly t partial decryptions, so that removing any
    // entry but the last changes what the record proves.
    let ballots: Vec<_> = (0..4).map(|v| (v, every_kind_selection(v))).collect();
    let record = |e: &SimElection| e.full_record(&ballots, &[], &[1, 2], &mut OsRng);
    let e = election("mutations", 3, 2, 4);
    assert_all_rejected(&Suite {
        election: &e,
        leaves: record(&e).iter().map(Leaf::to_bytes).collect(),
        other_election: record(&election("other", 3, 2, 4)),
        other_history: record(&election("mutations", 3, 2, 4)),
    });
}

#[test]
fn every_mutation_of_a_record_with_a_complaint_a_revote_and_an_audit_is_rejected() {
    // Trustee 2 deals trustee 3 a bad share; trustee 3 complains, trustee 2 is disqualified,
    // and trustees 1 and 3 decrypt. Voter 1 votes again; voter 2 audits a ballot.
    let spec = |seed: &str| {
        election_with(
            seed,
            SimSpec {
                trustees: 3,
                threshold: 2,
                contests: every_contest_kind(),
                weights: vec![1, 2, 3],
                tampered_share: Some((2, 3)),
            },
        )
    };
    let ballots: Vec<_> = [0, 1, 1]
        .iter()
        .enumerate()
        .map(|(k, &v)| (v, every_kind_selection(k)))
        .collect();
    let audits = [(2, every_kind_selection(5))];
    let record = |e: &SimElection| e.full_record(&ballots, &audits, &[1, 3], &mut OsRng);
    let e = spec("complaint");
    assert_eq!(e.complaints.len(), 1);
    let leaves: Vec<Leaf> = record(&e);
    assert!(leaves
        .iter()
        .any(|l| matches!(l.signed.entry, Entry::DkgComplaint(_))));
    assert_all_rejected(&Suite {
        election: &e,
        leaves: leaves.iter().map(Leaf::to_bytes).collect(),
        other_election: record(&spec("other-complaint")),
        other_history: record(&spec("complaint")),
    });
}

/// Every contest kind and a ranked ward (weights 1, as a ranked contest needs).
fn ranked_election(seed: &str) -> SimElection {
    let mut contests = every_contest_kind();
    contests.push(ward());
    election_with(
        seed,
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests,
            weights: vec![1; 4],
            tampered_share: None,
        },
    )
}

fn ranked_selection(v: usize) -> Vec<Vec<u64>> {
    let mut selection = every_kind_selection(v);
    selection.push(ward_ranking(v));
    selection
}

/// Four voters (one votes twice); trustees 1 and 2 mix the ward and decrypt.
fn ranked_record(e: &SimElection) -> Vec<Leaf> {
    let mut ballots: Vec<_> = (0..4).map(|v| (v, ranked_selection(v))).collect();
    ballots.push((1, ranked_selection(5)));
    e.full_record(&ballots, &[], &[1, 2], &mut OsRng)
}

#[test]
fn every_mutation_of_a_record_with_a_ranked_contest_is_rejected() {
    let e = ranked_election("ranked-mutations");
    let leaves = ranked_record(&e);
    let kinds = |tag: u8| {
        leaves
            .iter()
            .filter(|l| l.signed.entry.tag() == tag)
            .count()
    };
    assert_eq!((kinds(11), kinds(12), kinds(13)), (2, 2, 1));
    assert_all_rejected(&Suite {
        election: &e,
        leaves: leaves.iter().map(Leaf::to_bytes).collect(),
        other_election: ranked_record(&ranked_election("ranked-other")),
        other_history: ranked_record(&ranked_election("ranked-mutations")),
    });
}

#[test]
fn a_ranked_contest_is_mixed_decrypted_and_recounted_and_a_false_count_named_at_its_stage() {
    let e = ranked_election("ranked-cli");
    let leaves = ranked_record(&e);
    let dir = scratch("ranked");
    let file = dir.join("record.bin");
    let bytes: Vec<Vec<u8>> = leaves.iter().map(Leaf::to_bytes).collect();
    std::fs::write(&file, export(&bytes)).unwrap();
    let out = verifier(&["verify", "--file", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("ward: 4 ballots mixed by trustees [1, 2], every shuffle proof verified"),
        "{text}"
    );
    assert!(
        text.contains("ward: last mix decrypted by trustees [1, 2]"),
        "{text}"
    );
    assert!(
        text.contains("ward: 4 papers recounted; the count sheet equals the recount"),
        "{text}"
    );
    assert!(
        text.contains("ranked: 4 papers, mixed by trustees [1, 2]"),
        "{text}"
    );
    assert!(text.contains("Scottish STV"), "{text}");
    let out = verifier(&["verify", "--file", file.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ward = &json["results"].as_array().unwrap().last().unwrap()["ranked"];
    assert_eq!(ward["papers"], 4);
    assert_eq!(ward["elected"].as_array().unwrap().len(), 2);
    assert_eq!(
        ward["sheet"]["stages"][0]["action"]["kind"],
        "first-preferences"
    );

    // The administrator publishes a sheet that moves a vote at stage 2 (re-signed, as a lying
    // administrator would; the board's checkpoint re-signed as a lying board would).
    let at = leaves
        .iter()
        .position(|l| matches!(l.signed.entry, Entry::RankedCount(_)))
        .unwrap();
    let Entry::RankedCount(mut count) = leaves[at].signed.entry.clone() else {
        unreachable!()
    };
    assert!(count.sheet.stages.len() >= 2, "the count has a transfer");
    count.sheet.stages[1].votes[0] += 1;
    count.sheet.stages[1].votes[1] -= 1;
    let mut forged = bytes.clone();
    forged[at] = Leaf {
        time: leaves[at].time,
        signed: e.sign(Entry::RankedCount(count), &e.admin),
    }
    .to_bytes();
    std::fs::write(&file, export(&forged)).unwrap();
    let out = verifier(&["verify", "--file", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("V19 ")
            && l.contains("FAIL")
            && l.contains(&format!("at entry {at} ranked count: the published count sheet differs from the recount at stage 2"))),
        "{text}"
    );
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
    assert_eq!(status, Some(4), "{text}");
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
    assert_eq!(out.status.code(), Some(4), "{text}");
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

/// An export of `leaves` under any note and leaf count, as a lying or broken board might send.
fn export_with(leaves: &[Vec<u8>], note: &str, count: u64) -> Vec<u8> {
    let mut out = b"thistle-record-v1\n".to_vec();
    out.extend_from_slice(&(note.len() as u32).to_le_bytes());
    out.extend_from_slice(note.as_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    for l in leaves {
        out.extend_from_slice(&(l.len() as u32).to_le_bytes());
        out.extend_from_slice(l);
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // no witnessed timeline
    out
}

fn note(origin: &str, leaves: &[Vec<u8>], key: &SecretKey) -> String {
    let hashes: Vec<_> = leaves
        .iter()
        .map(|l| protocol::merkle::leaf_hash(l))
        .collect();
    protocol::merkle::Checkpoint {
        origin: origin.into(),
        size: leaves.len() as u64,
        root: protocol::merkle::root(&hashes),
    }
    .sign(key)
}

#[test]
fn a_broken_export_or_checkpoint_fails_the_log_step() {
    let (e, leaves) = valid("framing");
    let n = leaves.len() as u64;
    let origin = protocol::merkle::log_origin(ORIGIN, &e.manifest_hash);
    let honest = note(&origin, &leaves, &board_key());
    let read = |bytes: Vec<u8>| read_record(&bytes[..], &e.id(), &mut |_, _, _| {});
    let expect = |bytes: Vec<u8>, what: &str, steps: &[Step], at: Option<u64>| match read(bytes) {
        Ok(_) => panic!("{what}: accepted"),
        Err(Error::Invalid(f)) => {
            assert!(steps.contains(&f.step), "{what}: {f}");
            // A broken length prefix may only show when the next leaf is read.
            if let Some(at) = at {
                assert!(
                    f.index == at || (steps.len() > 1 && f.index == at + 1),
                    "{what}: {f}"
                );
            }
        }
        Err(other) => panic!("{what}: not a V-step failure: {other}"),
    };
    assert!(read(export_with(&leaves, &honest, n)).is_ok());
    // The note: any byte of its body or signature.
    for at in [0, honest.len() / 2, honest.len() - 3] {
        let mut bytes = honest.clone().into_bytes();
        bytes[at] ^= 0x02;
        let bad = String::from_utf8(bytes).unwrap();
        expect(
            export_with(&leaves, &bad, n),
            &format!("note byte {at}"),
            &[Step::V1Log],
            Some(n),
        );
    }
    // Notes the board's key signed but that do not fit: another size, another root, another
    // origin; and the right note signed by another key.
    let cases = [
        (
            "a checkpoint of one leaf fewer",
            note(&origin, &leaves[..leaves.len() - 1], &board_key()),
        ),
        ("a checkpoint of other leaves", {
            let mut other = leaves.clone();
            other.swap(1, 2);
            note(&origin, &other, &board_key())
        }),
        (
            "another origin",
            note("board.test/other", &leaves, &board_key()),
        ),
        (
            "the board's origin without the election's id (§13.4)",
            note(ORIGIN, &leaves, &board_key()),
        ),
        (
            "another key",
            note(&origin, &leaves, &SecretKey::from_seed(&[8; 32])),
        ),
    ];
    for (what, bad) in cases {
        expect(export_with(&leaves, &bad, n), what, &[Step::V1Log], Some(n));
    }
    // The framing: a count that promises a leaf more, or one fewer (bytes left over), a cut
    // download, trailing bytes.
    // A count that promises a leaf more reads the (empty) witnessed timeline's count as that
    // leaf: it fails as a leaf (V2) or, with nothing left, as the log (V1), at entry n.
    expect(
        export_with(&leaves, &honest, n + 1),
        "count + 1",
        &[Step::V1Log, Step::V2Leaves],
        Some(n),
    );
    expect(
        export_with(&leaves, &honest, n - 1),
        "count - 1",
        &[Step::V1Log],
        Some(n - 1),
    );
    let full = export_with(&leaves, &honest, n);
    expect(
        full[..full.len() - 10].to_vec(),
        "cut short",
        &[Step::V1Log],
        Some(n - 1),
    );
    let mut longer = full.clone();
    longer.push(0);
    expect(longer, "a trailing byte", &[Step::V1Log], Some(n));
    // A leaf's length prefix one more: it swallows a byte of what follows, so that leaf no
    // longer decodes (V2) or, for the last, the export ends early (V1).
    // The leaves end 4 bytes before the export does (the empty witnessed timeline's count).
    let mut offset = full.len() - 4 - leaves.iter().map(|l| 4 + l.len()).sum::<usize>();
    for (i, l) in leaves.iter().enumerate() {
        let mut bytes = full.clone();
        bytes[offset] = bytes[offset].wrapping_add(1);
        expect(
            bytes,
            &format!("leaf {i}'s length + 1"),
            &[Step::V1Log, Step::V2Leaves],
            Some(i as u64),
        );
        offset += 4 + l.len();
    }
    // Not an export at all: could not check.
    let mut bytes = full.clone();
    bytes[0] ^= 0x20;
    assert!(matches!(read(bytes), Err(Error::Io { .. })));
}

#[test]
fn the_cli_names_the_failing_step_and_entry_and_exits_1() {
    let (e, leaves) = valid("cli-invalid");
    let dir = scratch("cli-invalid");
    let decoded: Vec<Leaf> = leaves
        .iter()
        .map(|l| Leaf::from_bytes(l, 2).unwrap())
        .collect();
    let ballot = decoded
        .iter()
        .position(|l| matches!(l.signed.entry, Entry::Ballot(_)))
        .unwrap();
    let mut m = leaves.clone();
    let last = m[ballot].len() - 1;
    m[ballot][last] ^= 0x01;
    let file = dir.join("record.bin");
    std::fs::write(&file, export(&m)).unwrap();
    let out = verifier(&["verify", "--file", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let fail = text.lines().find(|l| l.contains("FAIL")).expect(&text);
    assert!(fail.starts_with("V10 "), "{fail}");
    assert!(fail.contains(&format!("at entry {ballot}")), "{fail}");
    assert!(text.contains("Verdict: INVALID"), "{text}");
    // No other step is claimed to pass: the leaves after the fault were not checked, so not
    // even the checkpoint (V1) is known to cover what was.
    for l in text
        .lines()
        .filter(|l| l.starts_with('V') && !l.starts_with("V10 ") && !l.starts_with("Verdict"))
    {
        assert!(
            l.contains("incomplete") && l.contains(&format!("up to entry {ballot}")),
            "{l}"
        );
    }
    let out = verifier(&["verify", "--file", file.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "invalid");
    assert_eq!(json["election"], e.id());
    let failed: Vec<_> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{json}");
    assert_eq!(failed[0]["id"], "V10");
    assert_eq!(failed[0]["index"], ballot as u64);
    // verify-ballot on an invalid record says so, also as JSON.
    let out = verifier(&[
        "verify-ballot",
        "--file",
        file.to_str().unwrap(),
        "--code",
        "0000-0000-0000-0000-0000-0000",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "invalid");
}

#[test]
fn a_receipt_that_is_not_one_is_bad_input() {
    let (e, leaves) = valid("bad-receipt");
    let dir = scratch("bad-receipt");
    let file = dir.join("record.bin");
    std::fs::write(&file, export(&leaves)).unwrap();
    let decoded = Leaf::from_bytes(&leaves[12], 2).unwrap();
    let ask = |receipt: &str, json: bool| {
        let path = dir.join("receipt.json");
        std::fs::write(&path, receipt).unwrap();
        let mut args = vec![
            "verify-ballot",
            "--file",
            file.to_str().unwrap(),
            "--receipt",
            path.to_str().unwrap(),
        ];
        if json {
            args.push("--json");
        }
        let out = verifier(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (status, text) = ask("not json", false);
    assert_eq!(status, Some(2), "{text}");
    let (status, text) = ask(r#"{"index": 3}"#, false);
    assert_eq!(status, Some(2), "{text}");
    assert!(text.contains("receipt"), "{text}");
    // Signed by another key (or for another election): proves nothing here.
    let mut forged = receipt_json(&e.manifest_hash, 12, &decoded);
    let other = protocol::record::Receipt::for_leaf(12, &decoded)
        .sign(&e.manifest_hash, &SecretKey::from_seed(&[9; 32]));
    use base64::Engine;
    forged["signature"] = base64::engine::general_purpose::STANDARD
        .encode(other)
        .into();
    let (status, text) = ask(&forged.to_string(), true);
    assert_eq!(status, Some(2), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["verdict"], "bad_input");
}

/// An export with a cosigned final note and a witnessed timeline (§13.7, §13.9).
fn witnessed_export(leaves: &[Vec<u8>], note: &str, timeline: &[String]) -> Vec<u8> {
    let mut out = export_with(leaves, note, leaves.len() as u64);
    out.truncate(out.len() - 4);
    out.extend_from_slice(&(timeline.len() as u32).to_le_bytes());
    for t in timeline {
        out.extend_from_slice(&(t.len() as u32).to_le_bytes());
        out.extend_from_slice(t.as_bytes());
    }
    out
}

/// V1 with witnesses (§13.9): the final checkpoint needs the quorum's cosignatures, and every
/// checkpoint of the witnessed timeline must be this log at its size; an equivocating board,
/// which showed the witnesses another history, fails V1.
#[test]
fn v1_requires_the_witness_quorum_and_one_history() {
    let keys: Vec<SecretKey> = (0..3)
        .map(|i| SecretKey::from_seed(&[40 + i; 32]))
        .collect();
    let witnesses: Vec<protocol::manifest::WitnessInfo> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| protocol::manifest::WitnessInfo {
            name: format!("w{i}.test"),
            key: k.public_key(),
            url: format!("https://w{i}.test"),
        })
        .collect();
    let e = SimElection::witnessed(
        "witnessed-v1",
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        (1_000, 2_000),
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests: every_contest_kind(),
            weights: vec![1; 5],
            tampered_share: None,
        },
        (witnesses.clone(), 2),
        &mut OsRng,
    );
    let leaves = record_of(&e);
    let origin = protocol::merkle::log_origin(ORIGIN, &e.manifest_hash);
    // The board's note over `leaves` cosigned by witnesses `who` at `time`.
    let cosigned_at = |leaves: &[Vec<u8>], who: &[usize], time: u64| {
        let hashes: Vec<_> = leaves
            .iter()
            .map(|l| protocol::merkle::leaf_hash(l))
            .collect();
        let cp = protocol::merkle::Checkpoint {
            origin: origin.clone(),
            size: leaves.len() as u64,
            root: protocol::merkle::root(&hashes),
        };
        let mut note = cp.sign(&board_key());
        for &i in who {
            note.push_str(&protocol::witness::cosign(
                &witnesses[i].name,
                &keys[i],
                &cp.body(),
                time,
            ));
        }
        note
    };
    let cosigned = |leaves: &[Vec<u8>], who: &[usize]| cosigned_at(leaves, who, 1_500);
    let n = leaves.len();
    let timeline = vec![
        cosigned(&leaves[..12], &[0, 1]),
        cosigned(&leaves[..n - 3], &[1, 2]),
    ];
    let read = |bytes: Vec<u8>| read_record(&bytes[..], &e.id(), &mut |_, _, _| {});
    let record = read(witnessed_export(
        &leaves,
        &cosigned(&leaves, &[2, 0]),
        &timeline,
    ))
    .unwrap();
    assert_eq!(
        record.witnessed_by,
        vec!["w2.test".to_owned(), "w0.test".to_owned()]
    );
    assert_eq!(record.timeline, vec![(12, 1_500), (n as u64 - 3, 1_500)]);

    let v1 = |bytes: Vec<u8>, what: &str| match read(bytes) {
        Err(Error::Invalid(f)) => {
            assert_eq!(f.step, Step::V1Log, "{what}: {f}");
            f.to_string()
        }
        Ok(_) => panic!("{what}: accepted"),
        Err(other) => panic!("{what}: {other}"),
    };
    // The board's signature alone, or one cosignature of the two needed: not witnessed.
    let alone = v1(
        witnessed_export(&leaves, &cosigned(&leaves, &[]), &timeline),
        "no cosignature",
    );
    assert!(alone.contains("not witnessed"), "{alone}");
    v1(
        witnessed_export(&leaves, &cosigned(&leaves, &[1]), &timeline),
        "one of two",
    );
    // The board showed the witnesses another history at size 12 (it swapped two entries there),
    // then this one to everyone else: the timeline's checkpoint is not this log at 12.
    let mut fork = leaves.clone();
    fork.swap(5, 6);
    let forked = vec![cosigned(&fork[..12], &[0, 1]), timeline[1].clone()];
    let f = v1(
        witnessed_export(&leaves, &cosigned(&leaves, &[0, 1]), &forked),
        "a fork",
    );
    assert!(f.contains("another history"), "{f}");
    // Out of order.
    let swapped = vec![timeline[1].clone(), timeline[0].clone()];
    v1(
        witnessed_export(&leaves, &cosigned(&leaves, &[0, 1]), &swapped),
        "out of order",
    );

    // Asked directly (`--witness`), a witness's checkpoint must be this history: one cosigned at
    // the record's size or below passes; one of a fork fails V1.
    let seen =
        verifier_cli::check_witness_note(&record, &cosigned(&leaves[..15], &[1]), None).unwrap();
    assert_eq!(
        (seen.names.clone(), seen.size, seen.checked),
        (vec!["w1.test".to_owned()], 15, true)
    );
    match verifier_cli::check_witness_note(&record, &cosigned(&fork[..15], &[1]), None) {
        Err(Error::Invalid(f)) => assert_eq!(f.step, Step::V1Log, "{f}"),
        other => panic!("a witness of a fork: {:?}", other.map(|_| ())),
    }

    // V16: the witnesses' clocks bound the ballots' times.
    assert_eq!(record.last_ballot_witnessed_at, Some(1_500));
    let v16 = |timeline: &[String], what: &str| match read(witnessed_export(
        &leaves,
        &cosigned(&leaves, &[0, 1]),
        timeline,
    )) {
        Err(Error::Invalid(f)) => {
            assert_eq!(f.step, Step::V16WitnessedTime, "{what}: {f}");
            f.to_string()
        }
        Ok(_) => panic!("{what}: accepted"),
        Err(other) => panic!("{what}: {other}"),
    };
    // A board that backdates a late ballot: it stamped the ballot inside the window, but the first
    // checkpoint the quorum saw with it was cosigned after the close (2_000) and its slack.
    let late = v16(
        &[
            timeline[0].clone(),
            cosigned_at(&leaves[..n - 3], &[1, 2], 2_000 + 61),
        ],
        "a late ballot",
    );
    assert!(late.contains("after the closing time"), "{late}");
    // On the edge of the slack it is on time.
    assert!(read(witnessed_export(
        &leaves,
        &cosigned(&leaves, &[0, 1]),
        &[
            timeline[0].clone(),
            cosigned_at(&leaves[..n - 3], &[1, 2], 2_000 + 60)
        ]
    ))
    .is_ok());
    // A ballot under a checkpoint the witnesses saw before voting opened (1_000).
    let early = v16(
        &[
            cosigned_at(&leaves[..12], &[0, 1], 999),
            timeline[1].clone(),
        ],
        "an early ballot",
    );
    assert!(early.contains("before voting opened"), "{early}");
    // No witnessed checkpoint covers the last ballot.
    let unwitnessed = v16(&timeline[..1], "the last ballot unwitnessed");
    assert!(
        unwitnessed.contains("rests on the board's word"),
        "{unwitnessed}"
    );
}

/// Without witnesses in the manifest, a record that carries a witnessed timeline fails V1, and the
/// report says plainly that nobody witnessed the record.
#[test]
fn without_witnesses_the_report_says_so() {
    let (e, leaves) = valid("unwitnessed");
    let record = check(&e, &leaves).unwrap();
    assert!(record.witnessed_by.is_empty() && record.timeline.is_empty());
    let note = note(
        &protocol::merkle::log_origin(ORIGIN, &e.manifest_hash),
        &leaves,
        &board_key(),
    );
    let with_timeline = witnessed_export(&leaves, &note, std::slice::from_ref(&note));
    match read_record(&with_timeline[..], &e.id(), &mut |_, _, _| {}) {
        Err(Error::Invalid(f)) => assert_eq!(f.step, Step::V1Log, "{f}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let dir = scratch("unwitnessed");
    let file = dir.join("record");
    std::fs::write(&file, export(&leaves)).unwrap();
    let out = verifier(&["verify", "--file", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("the manifest names NO WITNESSES"), "{text}");
}
