//! What the page checks of the board's answers, without a browser: the election it opens
//! (§11.8), the receipt for its own ballot, and the inclusion proof under a signed checkpoint.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bulletin_board::sim::{ballot_entry, one_of_five, SimElection, SimSpec};
use protocol::manifest::{BoardInfo, WitnessInfo};
use protocol::merkle::{self, Checkpoint};
use protocol::record::{Leaf, Receipt};
use protocol::signature::SecretKey;
use rand_core::OsRng;
use serde_json::json;
use voter_client::board::{check_inclusion, check_receipt, election_id, open_election};

const ORIGIN: &str = "board.test/page";

fn board_key() -> SecretKey {
    SecretKey::from_seed(&[4; 32])
}

/// A 1-of-5 election whose manifest names this board, with voters of these weights.
fn election(seed: &str, weights: Vec<u64>) -> SimElection {
    witnessed_election(seed, weights, (Vec::new(), 0))
}

fn witnessed_election(
    seed: &str,
    weights: Vec<u64>,
    witnesses: (Vec<WitnessInfo>, u32),
) -> SimElection {
    SimElection::witnessed(
        seed,
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        (1_000, 2_000),
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests: one_of_five(),
            weights,
            tampered_share: None,
        },
        witnesses,
        &mut OsRng,
    )
}

/// The record up to the opening, then one ballot of voter 0; with `GET .../voting`'s answer.
struct OneBallot {
    leaves: Vec<Leaf>,
    bytes: Vec<Vec<u8>>,
    ballot: protocol::record::SignedEntry,
    voting: String,
}

fn one_ballot(e: &SimElection) -> OneBallot {
    let mut leaves: Vec<Leaf> = vec![Leaf {
        time: 1_000,
        signed: e.manifest_entry(),
    }];
    leaves.extend(e.setup_entries().into_iter().map(|(_, signed)| Leaf {
        time: 1_000,
        signed,
    }));
    let opened_index = leaves.len() - 1;
    let ballot = ballot_entry(e.ballot(0, 2, leaves.len() as u64, &mut OsRng));
    leaves.push(Leaf {
        time: 1_001,
        signed: ballot.clone(),
    });
    let bytes: Vec<Vec<u8>> = leaves.iter().map(Leaf::to_bytes).collect();
    let data = protocol::context::fingerprint_data(
        &e.context.manifest_hash,
        &e.context.ceremony,
        &e.context.credential_list_commitment,
    );
    let voting = json!({
        "manifest_leaf": B64.encode(&bytes[0]),
        "opened_index": opened_index,
        "opened_leaf": B64.encode(&bytes[opened_index]),
        "fingerprint_data": B64.encode(&data),
    })
    .to_string();
    OneBallot {
        leaves,
        bytes,
        ballot,
        voting,
    }
}

#[test]
fn the_page_trusts_the_board_for_nothing_it_can_check() {
    let board = board_key();
    let e = election("page", vec![1, 1]);
    let OneBallot {
        leaves,
        bytes,
        ballot,
        voting,
    } = one_ballot(&e);
    let data = protocol::context::fingerprint_data(
        &e.context.manifest_hash,
        &e.context.ceremony,
        &e.context.credential_list_commitment,
    );
    let id = election_id(&e.id()).unwrap();
    let election = open_election(&id, &voting).unwrap();
    assert_eq!(election.fingerprint, e.context.fingerprint);
    assert!(open_election(&[9; 32], &voting).is_err());
    let swapped = json!({
        "manifest_leaf": B64.encode(&bytes[0]),
        "opened_leaf": B64.encode(&bytes[1]),
        "fingerprint_data": B64.encode(&data),
    })
    .to_string();
    assert!(open_election(&id, &swapped).is_err());

    // The board's receipt for the ballot, and one for another leaf.
    let index = bytes.len() as u64 - 1;
    let receipt = Receipt::for_leaf(index, &leaves[index as usize]);
    let receipt_json = |r: &Receipt| {
        json!({
            "index": r.index,
            "time": r.time,
            "signature": B64.encode(r.sign(&e.manifest_hash, &board)),
        })
        .to_string()
    };
    let (checked, signature) = check_receipt(&receipt_json(&receipt), &election, &ballot).unwrap();
    assert_eq!(checked, receipt);
    // The file the voter keeps holds the checked values, whatever else the board's JSON said.
    let file: serde_json::Value = serde_json::from_str(&voter_client::board::receipt_file(
        &election, &checked, &signature,
    ))
    .unwrap();
    assert_eq!(file["index"], index);
    assert_eq!(file["leaf_hash"], hex::encode(receipt.leaf_hash));
    assert_eq!(
        file["tracking_code_short"],
        receipt.tracking_code.unwrap().short()
    );
    // A board that files the ballot before the checkpoint it was made after is caught.
    let early = Receipt::for_leaf(3, &leaves[index as usize]);
    assert!(check_receipt(&receipt_json(&early), &election, &ballot)
        .unwrap_err()
        .contains("before the checkpoint"));
    let other = Receipt::for_leaf(index - 1, &leaves[index as usize - 1]);
    assert!(check_receipt(&receipt_json(&other), &election, &ballot).is_err());

    // Inclusion under the board's checkpoint; a proof under another root, or a note by another
    // key, fails.
    let hashes: Vec<_> = bytes.iter().map(|l| merkle::leaf_hash(l)).collect();
    let note = |key: &SecretKey, hashes: &[[u8; 32]]| {
        json!({
            "note": Checkpoint {
                origin: merkle::log_origin(ORIGIN, &e.manifest_hash),
                size: hashes.len() as u64,
                root: merkle::root(hashes),
            }
            .sign(key)
        })
        .to_string()
    };
    let proof = json!({
        "proof": merkle::inclusion_proof(&hashes, index as usize)
            .iter()
            .map(hex::encode)
            .collect::<Vec<_>>()
    })
    .to_string();
    let cp = note(&board, &hashes);
    assert_eq!(
        check_inclusion(&election, &checked, &cp, &proof).unwrap(),
        voter_client::board::Provable {
            size: hashes.len() as u64,
            root: hex::encode(merkle::root(&hashes)),
            witnesses: None,
        }
    );
    let mut forked = hashes.clone();
    forked[0][0] ^= 1;
    assert!(check_inclusion(&election, &checked, &note(&board, &forked), &proof).is_err());
    let stranger = SecretKey::from_seed(&[5; 32]);
    assert!(check_inclusion(&election, &checked, &note(&stranger, &hashes), &proof).is_err());
    assert!(check_inclusion(&election, &checked, &note(&board, &hashes[..3]), &proof).is_err());
}

#[test]
fn the_observer_view_shows_the_results_the_administrator_signed() {
    let e = election("observer", vec![1, 2]);
    let ballots = [
        e.ballot(0, 2, 12, &mut OsRng),
        e.ballot(1, 4, 12, &mut OsRng),
    ];
    let counted = [(&ballots[0], 1), (&ballots[1], 2)];
    let closing = e.closing(&counted, &[1, 2], &mut OsRng);
    let entry = |signed: &protocol::record::SignedEntry| {
        json!({ "leaf": B64.encode(Leaf { time: 1_500, signed: signed.clone() }.to_bytes()) })
            .to_string()
    };
    let status = json!({
        "phase": "ResultsPublished",
        "checkpoint": { "size": 22, "root": "ab" },
        "ballots": 2, "audited": 0, "counted": 2, "credentials": 2,
    })
    .to_string();
    let id = election_id(&e.id()).unwrap();
    let tail = |entries: &[&protocol::record::SignedEntry]| {
        let leaves: Vec<serde_json::Value> = entries
            .iter()
            .map(|s| serde_json::from_str(&entry(s)).unwrap())
            .collect();
        json!({ "size": 22, "entries": leaves }).to_string()
    };
    let results = tail(&[&closing[closing.len() - 2], closing.last().unwrap()]);
    let view =
        voter_client::board::board_view(&id, &status, &entry(&e.manifest_entry()), Some(&results))
            .unwrap();
    assert_eq!(view.counts, Some((2, 0)));
    assert_eq!(view.turnout, Some((2, 2)));
    assert_eq!(view.checkpoint, Some((22, "ab".into())));
    let totals: Vec<u64> = view.results.unwrap()[0].rows.iter().map(|r| r.1).collect();
    assert_eq!(totals, vec![0, 0, 1, 0, 2]);
    assert!(
        view.witnesses.is_empty(),
        "this election names no witnesses"
    );
    // Results that are not the administrator's, or another election's manifest, are refused.
    let mut forged = closing.last().unwrap().clone();
    forged.signature = Some([0; 64]);
    assert!(voter_client::board::board_view(
        &id,
        &status,
        &entry(&e.manifest_entry()),
        Some(&tail(&[&forged]))
    )
    .is_err());
    // A tail that does not end with the results is refused.
    assert!(voter_client::board::board_view(
        &id,
        &status,
        &entry(&e.manifest_entry()),
        Some(&tail(&[
            closing.last().unwrap(),
            &closing[closing.len() - 2]
        ]))
    )
    .is_err());
    assert!(
        voter_client::board::board_view(&[1; 32], &status, &entry(&e.manifest_entry()), None)
            .is_err()
    );
}

#[test]
fn the_observer_view_names_phases_and_gives_the_exact_command() {
    use protocol::record::Phase;
    use voter_client::board::verify_command;
    assert_eq!(
        Phase::named("ResultsPublished"),
        Some(Phase::ResultsPublished)
    );
    assert_eq!(Phase::named("VotingOpen"), Some(Phase::VotingOpen));
    assert_eq!(Phase::named("Counting"), None);
    for p in Phase::ALL {
        assert_eq!(Phase::named(p.name()), Some(p), "names round-trip");
    }
    assert_eq!(
        verify_command("https://board.example.gov.uk", "ab12"),
        "thistle-verify verify --board https://board.example.gov.uk --election ab12"
    );
}

#[test]
fn shares_and_the_closed_notice_come_from_the_status() {
    use voter_client::board::{percent, voting_closed};
    assert_eq!(percent(1, 3), "33.3%");
    assert_eq!(percent(2, 3), "66.7%");
    assert_eq!(percent(5, 5), "100.0%");
    assert_eq!(percent(0, 0), "–", "no share of nothing");
    let status = |phase: &str| json!({ "phase": phase, "closes_at": 2_000 }).to_string();
    assert!(!voting_closed(&status("VotingOpen"), 1_999));
    assert!(
        voting_closed(&status("VotingOpen"), 2_000),
        "the closing time passed"
    );
    for phase in ["VotingClosed", "Tally", "ResultsPublished"] {
        assert!(
            voting_closed(&status(phase), 1_000),
            "closed early: {phase}"
        );
    }
    assert!(!voting_closed(&status("KeyCeremony"), 1_000));
    assert!(!voting_closed("not json", 5_000), "no answer is no notice");
}

#[test]
fn posts_are_retried_only_when_the_board_asks_or_never_answered() {
    use voter_client::board::retry_delay_ms;
    // Busy, rate-limited, unavailable, or no answer at all: wait and post the same bytes again.
    assert_eq!(retry_delay_ms(0, Some(503), None), Some(500));
    assert_eq!(retry_delay_ms(1, Some(429), None), Some(1000));
    assert_eq!(retry_delay_ms(2, None, None), Some(2000));
    // Retry-After is honoured when longer than the backoff, capped at a minute.
    assert_eq!(retry_delay_ms(0, Some(503), Some(3)), Some(3000));
    assert_eq!(retry_delay_ms(0, Some(429), Some(3600)), Some(60_000));
    // The backoff stops doubling at eight seconds, and the page gives up after eight attempts.
    assert_eq!(retry_delay_ms(6, Some(503), None), Some(8000));
    assert_eq!(retry_delay_ms(7, Some(503), None), None);
    // Every other refusal is final: the same bytes would be refused again.
    for status in [400, 403, 404, 408, 409, 413, 422] {
        assert_eq!(retry_delay_ms(0, Some(status), None), None, "{status}");
    }
}

/// §13.9 on the device: with witnesses in the manifest, inclusion is proved only under a
/// checkpoint `k` of them cosigned, and the page names them; the board's own note, a checkpoint
/// below quorum, or a forged cosignature is not enough.
#[test]
fn with_witnesses_the_page_proves_inclusion_only_under_a_witnessed_checkpoint() {
    let board = board_key();
    let keys: Vec<SecretKey> = (0..3)
        .map(|i| SecretKey::from_seed(&[30 + i; 32]))
        .collect();
    let witnesses: Vec<WitnessInfo> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| WitnessInfo {
            name: format!("w{i}.test"),
            key: k.public_key(),
            url: format!("https://w{i}.test"),
        })
        .collect();
    let e = witnessed_election("page-witnessed", vec![1, 1], (witnesses.clone(), 2));
    let OneBallot {
        leaves,
        bytes,
        voting,
        ..
    } = one_ballot(&e);
    let election = open_election(&election_id(&e.id()).unwrap(), &voting).unwrap();
    let index = bytes.len() as u64 - 1;
    let receipt = Receipt::for_leaf(index, &leaves[index as usize]);

    let hashes: Vec<_> = bytes.iter().map(|l| merkle::leaf_hash(l)).collect();
    let cp = Checkpoint {
        origin: merkle::log_origin(ORIGIN, &e.manifest_hash),
        size: hashes.len() as u64,
        root: merkle::root(&hashes),
    };
    let board_note = cp.sign(&board);
    let cosign = |i: usize, time: u64| {
        protocol::witness::cosign(&witnesses[i].name, &keys[i], &cp.body(), time)
    };
    let json_with = |witnessed: Option<String>| {
        let mut v = json!({"size": cp.size, "note": board_note});
        if let Some(note) = witnessed {
            v["witnessed"] = json!({"size": cp.size, "note": note});
        }
        v.to_string()
    };
    let proof = json!({
        "proof": merkle::inclusion_proof(&hashes, index as usize).iter().map(hex::encode).collect::<Vec<_>>()
    })
    .to_string();

    // The board's note alone: not witnessed.
    let alone = json_with(None);
    assert_eq!(
        voter_client::board::provable_checkpoint(&election, &alone).unwrap(),
        None
    );
    assert!(check_inclusion(&election, &receipt, &alone, &proof).is_err());
    // One cosignature of the two needed: still not witnessed.
    let one = json_with(Some(format!("{board_note}{}", cosign(0, 1_500))));
    assert_eq!(
        voter_client::board::provable_checkpoint(&election, &one).unwrap(),
        None
    );
    // Two: proved, and the page names who witnessed it.
    let two = json_with(Some(format!(
        "{board_note}{}{}",
        cosign(2, 1_500),
        cosign(0, 1_501)
    )));
    let proved = check_inclusion(&election, &receipt, &two, &proof).unwrap();
    assert_eq!(proved.size, cp.size);
    assert_eq!(
        proved.witnesses,
        Some(vec!["w2.test".to_owned(), "w0.test".to_owned()])
    );
    // A cosignature line of a named witness that does not verify rejects the note.
    let mut blob =
        protocol::witness::cosignature_blob(&witnesses[0].name, &keys[0], &cp.body(), 1_500);
    blob[11] ^= 1; // another time than the one signed
    let forged = format!("\u{2014} w0.test {}\n", B64.encode(blob));
    let bad = json_with(Some(format!(
        "{board_note}{forged}{}{}",
        cosign(2, 1_500),
        cosign(1, 1_500)
    )));
    assert!(voter_client::board::provable_checkpoint(&election, &bad).is_err());
    // Cosignatures over another checkpoint (a fork shown to the witnesses) do not count.
    let mut forked = hashes.clone();
    forked[1][0] ^= 1;
    let other = Checkpoint {
        root: merkle::root(&forked),
        ..cp.clone()
    };
    let fork_lines = format!(
        "{}{}",
        protocol::witness::cosign(&witnesses[0].name, &keys[0], &other.body(), 1_500),
        protocol::witness::cosign(&witnesses[1].name, &keys[1], &other.body(), 1_500)
    );
    let mixed = json_with(Some(format!("{board_note}{fork_lines}")));
    assert!(voter_client::board::provable_checkpoint(&election, &mixed).is_err());

    // The observer view lists every witness and when it cosigned the witnessed checkpoint.
    let status = json!({
        "phase": "VotingOpen",
        "checkpoint": {"size": cp.size, "root": "ab", "note": board_note,
                       "witnessed": {"size": cp.size, "note": format!("{board_note}{}{}", cosign(2, 1_500), cosign(0, 1_501))}},
    })
    .to_string();
    let manifest_entry = json!({ "leaf": B64.encode(&bytes[0]) }).to_string();
    let view = voter_client::board::board_view(
        &election_id(&e.id()).unwrap(),
        &status,
        &manifest_entry,
        None,
    )
    .unwrap();
    assert_eq!(view.witnessed, Some(cp.size));
    let seen: Vec<(&str, Option<u64>)> = view
        .witnesses
        .iter()
        .map(|w| (w.name.as_str(), w.cosigned_at))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("w0.test", Some(1_501)),
            ("w1.test", None),
            ("w2.test", Some(1_500))
        ]
    );
}

#[test]
fn the_observer_view_shows_a_ranked_contests_count_sheet() {
    use bulletin_board::sim::{ward, ward_ranking};
    use protocol::record::Entry;
    use voter_client::board::{tally_tail_len, StageAction};
    let mut contests = one_of_five();
    contests.push(ward());
    let e = SimElection::with_spec(
        "observer-ranked",
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        (1_000, 2_000),
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests,
            weights: vec![1; 5],
            tampered_share: None,
        },
        &mut OsRng,
    );
    let ballots: Vec<_> = (0..5)
        .map(|v| e.ballot_for(v, &[vec![1, 0, 0, 0, 0], ward_ranking(v)], 12, &mut OsRng))
        .collect();
    let counted: Vec<_> = ballots.iter().map(|b| (b, 1)).collect();
    let closing = e.closing(&counted, &[1, 3], &mut OsRng);
    let manifest =
        json!({ "leaf": B64.encode(Leaf { time: 1_000, signed: e.manifest_entry() }.to_bytes()) })
            .to_string();
    // After the tally phase: 2 partial decryptions, 2 mix decryptions, the count, the results.
    let from_tally = closing
        .iter()
        .position(|s| matches!(s.entry, Entry::PartialDecryption(_)))
        .unwrap();
    let after = &closing[from_tally..];
    assert!(after.len() as u64 <= tally_tail_len(&manifest).unwrap());
    let page = |entries: &[protocol::record::SignedEntry]| {
        let leaves: Vec<serde_json::Value> = entries
            .iter()
            .map(|s| json!({ "leaf": B64.encode(Leaf { time: 1_500, signed: s.clone() }.to_bytes()) }))
            .collect();
        json!({ "size": 40, "entries": leaves }).to_string()
    };
    let status =
        json!({"phase": "ResultsPublished", "checkpoint": {"size": 40, "root": "ab"}}).to_string();
    let id = election_id(&e.id()).unwrap();
    let view =
        voter_client::board::board_view(&id, &status, &manifest, Some(&page(after))).unwrap();
    let results = view.results.unwrap();
    assert!(results[0].ranked.is_none());
    let ward = results[1].ranked.as_ref().expect("the ward's count");
    let Entry::RankedCount(count) = &closing[closing.len() - 2].entry else {
        panic!("the count precedes the results")
    };
    assert_eq!(ward.papers, 5);
    assert_eq!(ward.elected.len(), 2);
    assert_eq!(ward.stages.len(), count.sheet.stages.len());
    assert_eq!(ward.stages[0].action, StageAction::FirstPreferences);
    assert_eq!(ward.stages[0].votes, count.sheet.stages[0].votes);
    assert_eq!(ward.candidates[0], "Candidate fraser");
    // A count the administrator did not sign is refused.
    let mut forged = after.to_vec();
    let at = forged.len() - 2;
    forged[at].signature = Some([0; 64]);
    assert!(
        voter_client::board::board_view(&id, &status, &manifest, Some(&page(&forged))).is_err()
    );
}
