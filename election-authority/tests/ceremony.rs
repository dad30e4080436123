//! Key ceremonies that go wrong, through a real board: a trustee dealing a bad share is named by
//! the complaint of the trustee it cheated and left out of the key; trustees posting out of turn
//! or twice are refused; a trustee who never shows up stalls the ceremony, which restarts
//! without it.
mod common;

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use common::{scratch, Board, ORIGIN};
use curve25519_dalek::Scalar;
use election_authority::board::BoardClient;
use election_authority::roles::{self, CeremonyResult, Voter};
use election_authority::Error;
use protocol::dkg::{self, CeremonyParams, Round1Set};
use protocol::manifest::{BoardInfo, Contest, ContestKind, ContestOption, Manifest, TrusteeInfo};
use protocol::record::{Entry, Phase, SignedEntry};
use protocol::signature::SecretKey;
use rand_core::OsRng;

const PASS: &[u8] = b"a trustee's passphrase";

struct Setup {
    board: BoardClient,
    election: String,
    admin: SecretKey,
    authority: SecretKey,
    trustees: Vec<SecretKey>,
    dir: PathBuf,
}

fn manifest(admin: &SecretKey, authority: &SecretKey, trustees: &[SecretKey], t: u32) -> Manifest {
    let now = bulletin_now();
    Manifest {
        election_id: format!("ceremony-{now}"),
        title: "Ceremony test".into(),
        opens_at: now - 60,
        closes_at: now + 3600,
        administrator: admin.public_key(),
        credential_authority: authority.public_key(),
        board: BoardInfo {
            origin: ORIGIN.into(),
            key: common::board_key().public_key(),
        },
        trustees: trustees
            .iter()
            .enumerate()
            .map(|(i, k)| TrusteeInfo {
                name: format!("Trustee {}", i + 1),
                key: k.public_key(),
            })
            .collect(),
        threshold: t,
        witnesses: Vec::new(),
        witness_quorum: 0,
        contests: vec![Contest {
            id: "chair".into(),
            title: "Chair".into(),
            kind: ContestKind::Choose { min: 1, max: 1 },
            options: ["a", "b"]
                .iter()
                .map(|id| ContestOption {
                    id: (*id).into(),
                    title: id.to_uppercase(),
                })
                .collect(),
        }],
    }
}

fn bulletin_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn set_up(url: &str, dir: &Path, trustees: Vec<SecretKey>, t: u32) -> Setup {
    let admin = SecretKey::generate(&mut OsRng);
    let authority = SecretKey::generate(&mut OsRng);
    let board = BoardClient::new(url);
    let m = manifest(&admin, &authority, &trustees, t);
    let election = roles::create_election(&board, &m, &admin).unwrap().election;
    // The board reads only under a checkpoint: wait for the manifest's.
    board
        .wait_for(&election, "the manifest", Duration::from_secs(10), |_| {
            Ok(Some(()))
        })
        .unwrap();
    roles::advance(
        &board,
        &election,
        &admin,
        Phase::KeyCeremony,
        Duration::ZERO,
    )
    .unwrap();
    Setup {
        board,
        election,
        admin,
        authority,
        trustees,
        dir: dir.to_owned(),
    }
}

fn honest(s: &Setup, i: usize, url: &str) -> JoinHandle<Result<CeremonyResult, Error>> {
    let (url, election, key) = (
        url.to_owned(),
        s.election.clone(),
        SecretKey::from_seed(&s.trustees[i].to_seed()),
    );
    let pending = s.dir.join(format!("{}-t{}.pending", &election[..8], i + 1));
    let share = s.dir.join(format!("{}-t{}.share", &election[..8], i + 1));
    std::thread::spawn(move || {
        let board = BoardClient::new(&url);
        let timeout = Duration::from_secs(60);
        roles::run_ceremony(&board, &election, &key, &pending, PASS, timeout)?;
        roles::finish_ceremony(&board, &election, &key, &pending, &share, PASS, timeout)
    })
}

fn issue_and_open(s: &Setup) {
    let roll: Vec<Voter> = (0..5)
        .map(|i| Voter {
            id: format!("v{i}"),
            weight: 1,
        })
        .collect();
    roles::issue_credentials(
        &s.board,
        &s.election,
        &s.authority,
        &roll,
        &s.dir.join(&s.election[..8]),
        "https://vote.example",
    )
    .unwrap();
    roles::advance(
        &s.board,
        &s.election,
        &s.admin,
        Phase::VotingOpen,
        Duration::from_secs(1),
    )
    .unwrap();
}

#[test]
fn a_trustee_dealing_a_bad_share_is_named_and_left_out() {
    let dir = scratch("cheat");
    let board = Board::start(&dir.join("board"));
    let keys: Vec<SecretKey> = (0..5).map(|_| SecretKey::generate(&mut OsRng)).collect();
    let s = set_up(&board.url, &dir, keys, 3);
    let honest_runs: Vec<_> = (0..4).map(|i| honest(&s, i, &board.url)).collect();

    // Trustee 5 deals trustee 1 a share that does not match its commitments.
    let record = s.board.record(&s.election).unwrap();
    let params = CeremonyParams::from_manifest(&record.manifest);
    let (secret, package) = dkg::round1(&params, 5, &mut OsRng).unwrap();
    let sign = |e| SignedEntry::sign(&record.manifest_hash, e, &s.trustees[4]);
    s.board
        .post(
            &record.manifest,
            "dkg-round1",
            &sign(Entry::DkgRound1(package)),
        )
        .unwrap();
    let set = s
        .board
        .wait_for(&s.election, "round 1", Duration::from_secs(60), |r| {
            let p = r.round1();
            Ok((p.len() == 5).then(|| Round1Set::verify(&params, p).unwrap()))
        })
        .unwrap();
    let (_, mut bad) = secret.deal(&params, &set);
    assert_eq!(bad.shares[0].recipient, 1);
    bad.shares[0].masked += Scalar::ONE;
    s.board
        .post(&record.manifest, "dkg-round2", &sign(Entry::DkgRound2(bad)))
        .unwrap();

    // Trustee 1's complaint names trustee 5; then the vote opens and the honest four finish.
    let complaint = s
        .board
        .wait_for(&s.election, "the complaint", Duration::from_secs(60), |r| {
            Ok(r.complaints().first().cloned())
        })
        .unwrap();
    assert_eq!((complaint.complainer, complaint.accused), (1, 5));
    issue_and_open(&s);
    let results: Vec<CeremonyResult> = honest_runs
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert_eq!(results[0].complained_about, vec![5]);
    assert!(results.iter().all(|r| r.joint_key == results[0].joint_key));
    let record = s.board.record(&s.election).unwrap();
    let (_, outcome) = roles::ceremony_outcome(&record).unwrap().unwrap();
    assert_eq!(
        outcome.qualified,
        vec![1, 2, 3, 4],
        "trustee 5 is disqualified"
    );
}

#[test]
fn trustees_posting_out_of_turn_or_twice_are_refused() {
    let dir = scratch("turns");
    let board = Board::start(&dir.join("board"));
    let keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate(&mut OsRng)).collect();
    let admin = SecretKey::generate(&mut OsRng);
    let authority = SecretKey::generate(&mut OsRng);
    let client = BoardClient::new(&board.url);
    let m = manifest(&admin, &authority, &keys, 2);
    let election = roles::create_election(&client, &m, &admin)
        .unwrap()
        .election;
    let mh = m.hash();
    let params = CeremonyParams::from_manifest(&m);
    let (s1, p1) = dkg::round1(&params, 1, &mut OsRng).unwrap();
    let r1 = SignedEntry::sign(&mh, Entry::DkgRound1(p1), &keys[0]);
    let refused = |e: Error, want: &str| match e {
        Error::Refused { code, .. } => assert_eq!(code, want),
        other => panic!("expected {want}, got {other}"),
    };
    // Before the key ceremony phase.
    refused(
        client.post(&m, "dkg-round1", &r1).unwrap_err(),
        "wrong_phase",
    );
    client
        .wait_for(&election, "the manifest", Duration::from_secs(10), |_| {
            Ok(Some(()))
        })
        .unwrap();
    roles::advance(
        &client,
        &election,
        &admin,
        Phase::KeyCeremony,
        Duration::ZERO,
    )
    .unwrap();
    let first = client.post(&m, "dkg-round1", &r1).unwrap();
    // The same again (a retry) gets its receipt; another round 1 from the same trustee is refused.
    assert_eq!(
        client.post(&m, "dkg-round1", &r1).unwrap().index,
        first.index
    );
    let (_, other) = dkg::round1(&params, 1, &mut OsRng).unwrap();
    let other = SignedEntry::sign(&mh, Entry::DkgRound1(other), &keys[0]);
    refused(
        client.post(&m, "dkg-round1", &other).unwrap_err(),
        "duplicate",
    );
    // Round 2 before every trustee's round 1 (only trustee 1's is on the board).
    let fake_set = {
        let (_, a) = dkg::round1(&params, 1, &mut OsRng).unwrap();
        let (_, b) = dkg::round1(&params, 2, &mut OsRng).unwrap();
        let (_, c) = dkg::round1(&params, 3, &mut OsRng).unwrap();
        Round1Set::verify(&params, vec![a, b, c]).unwrap()
    };
    let (_, early) = s1.deal(&params, &fake_set);
    let early = SignedEntry::sign(&mh, Entry::DkgRound2(early), &keys[0]);
    refused(
        client.post(&m, "dkg-round2", &early).unwrap_err(),
        "invalid_entry",
    );
    // Another trustee's key signing trustee 2's round 1.
    let (_, p2) = dkg::round1(&params, 2, &mut OsRng).unwrap();
    let forged = SignedEntry::sign(&mh, Entry::DkgRound1(p2), &keys[0]);
    refused(
        client.post(&m, "dkg-round1", &forged).unwrap_err(),
        "unauthorized",
    );
    // The tool itself will not run round 1 again for a trustee that already posted it.
    let err = roles::run_ceremony(
        &client,
        &election,
        &keys[0],
        &dir.join("p"),
        PASS,
        Duration::from_secs(10),
    )
    .unwrap_err();
    assert!(err.to_string().contains("already posted round 1"), "{err}");
}

#[test]
fn a_ceremony_stalled_by_an_absent_trustee_restarts_without_it() {
    let dir = scratch("absent");
    let board = Board::start(&dir.join("board"));
    let keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate(&mut OsRng)).collect();
    let s = set_up(
        &board.url,
        &dir,
        keys.iter()
            .map(|k| SecretKey::from_seed(&k.to_seed()))
            .collect(),
        3,
    );
    // Trustee 4 never posts: the others wait, then give up.
    let (url, election, key) = (
        board.url.clone(),
        s.election.clone(),
        SecretKey::from_seed(&keys[0].to_seed()),
    );
    let pending = dir.join("stalled.pending");
    let stalled = roles::run_ceremony(
        &BoardClient::new(&url),
        &election,
        &key,
        &pending,
        PASS,
        Duration::from_secs(2),
    );
    assert!(
        matches!(stalled, Err(Error::Timeout(_))),
        "{:?}",
        stalled.err()
    );

    // The administrator starts a new election with the three who showed up.
    let s = set_up(
        &board.url,
        &dir,
        keys[..3]
            .iter()
            .map(|k| SecretKey::from_seed(&k.to_seed()))
            .collect(),
        2,
    );
    let runs: Vec<_> = (0..3).map(|i| honest(&s, i, &board.url)).collect();
    s.board
        .wait_for(&s.election, "round 2", Duration::from_secs(60), |r| {
            Ok((r.round2().len() == 3).then_some(()))
        })
        .unwrap();
    issue_and_open(&s);
    let results: Vec<CeremonyResult> = runs
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert!(results
        .iter()
        .all(|r| r.joint_key == results[0].joint_key && r.complained_about.is_empty()));
}
