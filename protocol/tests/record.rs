//! The record verifier (spec §15) over the tiny election's log: the honest record passes, and each
//! mutation fails at the V-step that names it, leaving the verifier unchanged.
mod support;

use protocol::ballot::Ballot;
use protocol::record::{Entry, Leaf, Phase, Receipt, SignedEntry};
use protocol::verify::{Failure, RecordVerifier, Step};
use support::vectors::{tiny_election, TinyElection};
use support::*;

fn run(leaves: &[Leaf]) -> Result<protocol::verify::VerifiedRecord, Failure> {
    let mut v = RecordVerifier::new();
    let mut r = rng("record");
    for leaf in leaves {
        v.push(&leaf.to_bytes(), &mut r)?;
    }
    v.finish()
}

fn admin_signed(t: &TinyElection, entry: Entry) -> SignedEntry {
    SignedEntry::sign(&t.e.ctx.manifest_hash, entry, &key("administrator"))
}

fn position(t: &TinyElection, pred: impl Fn(&Entry) -> bool) -> usize {
    t.leaves
        .iter()
        .position(|l| pred(&l.signed.entry))
        .expect("entry present")
}

fn voting_open(t: &TinyElection) -> usize {
    position(t, |e| {
        matches!(
            e,
            Entry::Phase {
                phase: Phase::VotingOpen,
                ..
            }
        )
    })
}

fn expect_failure(leaves: &[Leaf], step: Step, index: usize, contains: &str) {
    let f = run(leaves).expect_err("the record must be refused");
    assert_eq!((f.step, f.index), (step, index as u64), "{f}");
    assert!(f.to_string().contains(contains), "{f}");
}

#[test]
fn the_honest_record_passes_every_step() {
    let t = tiny_election();
    let rec = run(&t.leaves).unwrap();
    assert_eq!(rec.phase, Phase::ResultsPublished);
    assert_eq!(rec.results.unwrap(), t.results);
    assert_eq!(rec.fingerprint, Some(t.e.ctx.fingerprint));
    assert_eq!((rec.ballots, rec.counted), (5, 4));
    assert_eq!(rec.audited.len(), 1);
    assert_eq!(rec.decrypting_trustees, vec![1, 3]);
}

#[test]
fn a_replayed_ballot_is_refused() {
    let t = tiny_election();
    let i = position(&t, |e| matches!(e, Entry::Ballot(_)));
    let mut leaves = t.leaves.clone();
    let mut replay = leaves[i].clone();
    replay.time += 1;
    leaves.insert(i + 1, replay);
    expect_failure(
        &leaves,
        Step::V10Ballots,
        i + 1,
        "tracking code is already on the board",
    );
}

#[test]
fn an_audited_ballot_cast_later_is_refused() {
    let t = tiny_election();
    let i = position(&t, |e| matches!(e, Entry::AuditedBallot(_)));
    // Voter 1 signs the very ballot it audited and casts it: its ciphertexts are already public.
    let cast = t.audited.encrypted.clone().cast(&t.e.creds[1]).unwrap();
    let mut leaves = t.leaves.clone();
    leaves.insert(
        i + 1,
        Leaf {
            time: leaves[i].time,
            signed: SignedEntry {
                entry: Entry::Ballot(cast),
                signature: None,
            },
        },
    );
    expect_failure(&leaves, Step::V10Ballots, i + 1, "already on the board");
}

#[test]
fn a_ciphertext_copied_into_another_ballot_is_refused() {
    let t = tiny_election();
    let i = position(&t, |e| matches!(e, Entry::Ballot(_)));
    let Entry::Ballot(victim) = &t.leaves[i].signed.entry else {
        unreachable!()
    };
    // Voter 3 copies one of voter 0's ciphertexts into its own (re-signed) ballot.
    let j = t.leaves.iter().rposition(|l| matches!(&l.signed.entry, Entry::Ballot(b) if b.encrypted.credential == t.e.creds[3].public_key())).unwrap();
    let Entry::Ballot(own) = &t.leaves[j].signed.entry else {
        unreachable!()
    };
    let mut copied = own.encrypted.clone();
    copied.contests[0].ciphertexts[0] = victim.encrypted.contests[0].ciphertexts[0];
    let copied: Ballot = copied.cast(&t.e.creds[3]).unwrap();
    let mut leaves = t.leaves.clone();
    leaves[j].signed.entry = Entry::Ballot(copied);
    expect_failure(
        &leaves,
        Step::V10Ballots,
        j,
        "ciphertext of this ballot is already on the board",
    );
}

#[test]
fn a_ballot_outside_the_window_or_claiming_a_future_board_is_refused() {
    let t = tiny_election();
    let i = position(&t, |e| matches!(e, Entry::Ballot(_)));
    let mut late = t.leaves.clone();
    let close = t.e.manifest().closes_at;
    for l in late.iter_mut().skip(i) {
        l.time = l.time.max(close);
    }
    expect_failure(
        &late,
        Step::V10Ballots,
        i,
        "outside the manifest's voting window",
    );

    let mut future = t.leaves.clone();
    let Entry::Ballot(b) = &future[i].signed.entry else {
        unreachable!()
    };
    let mut e = b.encrypted.clone();
    e.board_size = i as u64 + 1;
    // Re-encrypting is not needed to test the position rule: it is checked before the proofs.
    future[i].signed.entry = Entry::Ballot(e.cast(&t.e.creds[0]).unwrap());
    expect_failure(
        &future,
        Step::V10Ballots,
        i,
        "board size larger than its position",
    );
}

#[test]
fn a_withheld_ballot_posted_after_the_revote_does_not_count() {
    let t = tiny_election();
    // Move voter 0's first ballot (board size 10) after its revote (board size 14).
    let first = position(
        &t,
        |e| matches!(e, Entry::Ballot(b) if b.encrypted.credential == t.e.creds[0].public_key()),
    );
    let revote = t.leaves.iter().rposition(|l| matches!(&l.signed.entry, Entry::Ballot(b) if b.encrypted.credential == t.e.creds[0].public_key())).unwrap();
    let mut leaves = t.leaves.clone();
    let withheld = leaves.remove(first);
    leaves.insert(revote, withheld);
    for (k, l) in leaves.iter_mut().enumerate() {
        l.time = t.e.manifest().opens_at - 600 + 60 * k as u64;
    }
    // The revote still counts, so the posted tally and results stay right.
    let rec = run(&leaves).unwrap();
    assert_eq!(rec.results.unwrap(), t.results);
}

#[test]
fn a_tally_that_omits_a_ballot_is_refused() {
    let t = tiny_election();
    let i = position(&t, |e| matches!(e, Entry::EncryptedTally(_)));
    let mut leaves = t.leaves.clone();
    let Entry::EncryptedTally(tally) = &leaves[i].signed.entry else {
        unreachable!()
    };
    let mut short = tally.clone();
    short.contests[0][0] = short.contests[0][1];
    leaves[i].signed = admin_signed(&t, Entry::EncryptedTally(short));
    expect_failure(
        &leaves,
        Step::V13Tally,
        i,
        "not the sum of the counted ballots",
    );
}

#[test]
fn wrong_results_and_partial_decryptions_are_refused() {
    let t = tiny_election();
    let i = position(&t, |e| matches!(e, Entry::Results(_)));
    let mut leaves = t.leaves.clone();
    let mut wrong = t.results.clone();
    wrong.totals[0][0] += 1;
    leaves[i].signed = admin_signed(&t, Entry::Results(wrong));
    expect_failure(&leaves, Step::V15Results, i, "not the decrypted tally");

    let p = position(&t, |e| matches!(e, Entry::PartialDecryption(_)));
    let mut twice = t.leaves.clone();
    twice.insert(p + 1, twice[p].clone());
    expect_failure(
        &twice,
        Step::V14PartialDecryptions,
        p + 1,
        "posted two partial decryptions",
    );
}

#[test]
fn out_of_phase_and_late_credential_lists_are_refused() {
    let t = tiny_election();
    let open = voting_open(&t);
    // A credential list posted after voting opened.
    let mut leaves = t.leaves.clone();
    let cl = position(&t, |e| matches!(e, Entry::CredentialList(_)));
    let list = leaves.remove(cl);
    leaves.insert(
        open,
        Leaf {
            time: leaves[open].time,
            ..list
        },
    );
    let f = run(&leaves).unwrap_err();
    assert_eq!(f.step, Step::V8Credentials, "{f}");
    assert!(f.to_string().contains("before the credential list"), "{f}");
    // A round-1 package replayed while voting is open.
    let mut leaves = t.leaves.clone();
    let r1 = leaves[2].clone();
    leaves.insert(
        open + 1,
        Leaf {
            time: leaves[open].time,
            ..r1
        },
    );
    expect_failure(
        &leaves,
        Step::V4WritersAndPhases,
        open + 1,
        "not accepted in the current phase",
    );
}

#[test]
fn a_wrong_fingerprint_and_decreasing_times_are_refused() {
    let t = tiny_election();
    let open = voting_open(&t);
    let mut leaves = t.leaves.clone();
    let mut fp = t.e.ctx.fingerprint;
    fp[0] ^= 1;
    leaves[open].signed = admin_signed(
        &t,
        Entry::Phase {
            phase: Phase::VotingOpen,
            fingerprint: Some(fp),
        },
    );
    expect_failure(
        &leaves,
        Step::V9Fingerprint,
        open,
        "fingerprint is not the recomputed one",
    );

    let mut leaves = t.leaves.clone();
    leaves[5].time = leaves[4].time - 1;
    expect_failure(&leaves, Step::V2Leaves, 5, "times must not decrease");
}

#[test]
fn a_refused_leaf_changes_nothing() {
    let t = tiny_election();
    let i = position(&t, |e| matches!(e, Entry::Ballot(_)));
    let mut v = RecordVerifier::new();
    let mut r = rng("unchanged");
    for leaf in &t.leaves[..=i] {
        v.push(&leaf.to_bytes(), &mut r).unwrap();
    }
    // The same ballot again, then garbage: both refused, and the rest of the record still verifies.
    assert!(v.push(&t.leaves[i].to_bytes(), &mut r).is_err());
    assert_eq!(
        v.push(b"not a leaf", &mut r).unwrap_err().step,
        Step::V2Leaves
    );
    assert_eq!(v.len(), i as u64 + 1);
    for leaf in &t.leaves[i + 1..] {
        v.push(&leaf.to_bytes(), &mut r).unwrap();
    }
    assert_eq!(v.finish().unwrap().results.unwrap(), t.results);
}

#[test]
fn complaints_out_of_order_or_against_oneself_are_refused() {
    use curve25519_dalek::scalar::Scalar;
    use protocol::dkg::Complaint;
    use protocol::group::{g, Point};
    use protocol::proofs::dleq::DleqProof;
    let t = tiny_election();
    let complaint = |complainer: u32, accused: u32| {
        let p = Point::from_point(g());
        let c = Complaint {
            complainer,
            accused,
            dh: p,
            proof: DleqProof {
                a: p,
                b: vec![p],
                z: Scalar::ONE,
            },
        };
        SignedEntry::sign(
            &t.e.ctx.manifest_hash,
            Entry::DkgComplaint(c),
            &key(&format!("trustee-{complainer}")),
        )
    };
    // Leaves 2–4 are round 1, 5–7 round 2 (dealers 1, 2, 3).
    let before = position(&t, |e| matches!(e, Entry::DkgRound2(p) if p.dealer == 2));
    let mut early = t.leaves.clone();
    early.insert(
        before,
        Leaf {
            time: early[before].time,
            signed: complaint(1, 2),
        },
    );
    expect_failure(
        &early,
        Step::V6Complaints,
        before,
        "must follow the accused's round 2",
    );
    let mut own = t.leaves.clone();
    own.insert(
        before,
        Leaf {
            time: own[before].time,
            signed: complaint(1, 1),
        },
    );
    expect_failure(&own, Step::V6Complaints, before, "two different trustees");
}

#[test]
fn receipts_bind_the_election_index_time_leaf_and_tracking_code() {
    let t = tiny_election();
    let board = key("board");
    let mh = t.e.ctx.manifest_hash;
    let i = position(&t, |e| matches!(e, Entry::Ballot(_)));
    let receipt = Receipt::for_leaf(i as u64, &t.leaves[i]);
    let Entry::Ballot(b) = &t.leaves[i].signed.entry else {
        unreachable!()
    };
    assert_eq!(receipt.tracking_code, Some(b.encrypted.tracking_code()));
    assert_eq!(
        receipt.leaf_hash,
        protocol::merkle::leaf_hash(&t.leaves[i].to_bytes())
    );
    let sig = receipt.sign(&mh, &board);
    receipt.verify(&mh, &board.public_key(), &sig).unwrap();
    let mut other_election = mh;
    other_election[0] ^= 1;
    assert!(receipt
        .verify(&other_election, &board.public_key(), &sig)
        .is_err());
    for tampered in [
        Receipt {
            index: receipt.index + 1,
            ..receipt.clone()
        },
        Receipt {
            time: receipt.time + 1,
            ..receipt.clone()
        },
        Receipt {
            tracking_code: None,
            ..receipt.clone()
        },
    ] {
        assert!(tampered.verify(&mh, &board.public_key(), &sig).is_err());
    }
    // A receipt is not a ballot or entry signature, nor the other way round.
    assert!(receipt
        .verify(&mh, &t.e.creds[0].public_key(), &b.signature)
        .is_err());
}

#[test]
fn a_credential_list_too_heavy_to_tally_is_refused_when_posted() {
    let t = tiny_election();
    let i = position(&t, |e| matches!(e, Entry::CredentialList(_)));
    let heavy = protocol::credentials::CredentialList::new(
        (0..300)
            .map(|k| protocol::credentials::CredentialEntry {
                key: key(&format!("heavy-{k}")).public_key(),
                weight: 1 << 32,
            })
            .collect(),
    )
    .unwrap();
    let mut leaves = t.leaves.clone();
    leaves[i].signed = SignedEntry::sign(
        &t.e.ctx.manifest_hash,
        Entry::CredentialList(heavy),
        &key("credential-authority"),
    );
    expect_failure(&leaves, Step::V8Credentials, i, "exceeds 2^40");
}

/// The counted ballots' sum, weights applied, as a streaming verifier's caller computes it.
fn recompute(leaves: &[Leaf], v: &RecordVerifier) -> protocol::tally::RecomputedTally {
    let list = leaves
        .iter()
        .find_map(|l| match &l.signed.entry {
            Entry::CredentialList(list) => Some(list.clone()),
            _ => None,
        })
        .unwrap();
    let mut acc = protocol::tally::TallyAccumulator::new(v.manifest().unwrap().0);
    for (_, _, index) in v.counted() {
        let Entry::Ballot(b) = &leaves[index as usize].signed.entry else {
            panic!("a counted leaf is a ballot");
        };
        let weight = list.weight_of(&b.encrypted.credential).unwrap();
        acc.add(b, weight).unwrap();
    }
    acc.finish()
}

#[test]
fn a_streaming_verifier_checks_the_tally_only_when_confirmed() {
    let t = tiny_election();
    let i = position(&t, |e| matches!(e, Entry::EncryptedTally(_))) as u64;
    let streamed = |leaves: &[Leaf]| {
        let mut v = RecordVerifier::streaming();
        let mut r = rng("record");
        for leaf in leaves {
            v.push(&leaf.to_bytes(), &mut r).unwrap();
        }
        v
    };
    // Unconfirmed, the record is not verified.
    let f = streamed(&t.leaves).finish().unwrap_err();
    assert_eq!((f.step, f.index), (Step::V13Tally, i), "{f}");
    // Confirmed with the recomputed sum, it is.
    let mut v = streamed(&t.leaves);
    let recomputed = recompute(&t.leaves, &v);
    v.confirm_tally(&recomputed).unwrap();
    assert_eq!(v.finish().unwrap().results.unwrap(), t.results);
    // A posted tally that is not the sum passes the first pass but fails the confirmation.
    let mut leaves = t.leaves.clone();
    let Entry::EncryptedTally(tally) = &leaves[i as usize].signed.entry else {
        unreachable!()
    };
    let mut short = tally.clone();
    short.contests[0][0] = short.contests[0][1];
    leaves[i as usize].signed = admin_signed(&t, Entry::EncryptedTally(short));
    let upto_tally = &leaves[..=i as usize];
    let mut v = streamed(upto_tally);
    let f = v
        .confirm_tally(&recompute(upto_tally, &v))
        .expect_err("the short tally must fail V13");
    assert_eq!((f.step, f.index), (Step::V13Tally, i), "{f}");
}

#[test]
fn a_batch_check_names_exactly_the_bad_ballot() {
    let t = tiny_election();
    let open = voting_open(&t);
    let mut v = RecordVerifier::new();
    let mut r = rng("batch");
    for leaf in &t.leaves[..=open] {
        v.push(&leaf.to_bytes(), &mut r).unwrap();
    }
    let checker = v.voter_entry_checker().unwrap();
    let ballots: Vec<SignedEntry> = t
        .leaves
        .iter()
        .filter(|l| matches!(l.signed.entry, Entry::Ballot(_)))
        .map(|l| l.signed.clone())
        .collect();
    assert!(ballots.len() >= 3);
    let all_good = checker.check_batch(ballots.clone(), &mut r);
    assert!(all_good.iter().all(Result::is_ok));
    let mut with_bad = ballots;
    let Entry::Ballot(b) = &mut with_bad[1].entry else {
        unreachable!()
    };
    b.signature[0] ^= 1;
    let results = checker.check_batch(with_bad, &mut r);
    for (i, result) in results.iter().enumerate() {
        match (i, result) {
            (1, Err((step, _))) => assert_eq!(*step, Step::V10Ballots),
            (1, Ok(_)) => panic!("the altered ballot passed"),
            (_, r) => assert!(r.is_ok(), "ballot {i}: {:?}", r.as_ref().err()),
        }
    }
}
