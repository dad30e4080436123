//! A voter's whole way through the page, without a browser: open, a mistyped then a good voting
//! code, a refused change, review, encrypt, audit (the opened values are the choices), vote again
//! with fresh randomness, cast; the cast ballot verifies as the board would verify it.
use bulletin_board::sim::{every_contest_kind, every_kind_selection, SimElection, SimSpec};
use protocol::ballot::BallotEncryption;
use protocol::elgamal::ElectionPublicKey;
use protocol::manifest::BoardInfo;
use protocol::signature::SecretKey;
use rand_core::OsRng;
use voter_client::ballot::{Change, Refusal};
use voter_client::flow::{Effect, Flow, Screen, Step};
use zeroize::Zeroizing;

fn election() -> SimElection {
    SimElection::with_spec(
        "flow",
        BoardInfo {
            origin: "board.test/flow".into(),
            key: SecretKey::from_seed(&[1; 32]).public_key(),
        },
        (1_000, 2_000),
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests: every_contest_kind(),
            weights: vec![1, 3],
            tampered_share: None,
        },
        &mut OsRng,
    )
}

/// Fills contest `c` with `values` through the voter's changes.
fn fill(flow: &mut Flow, c: usize, values: &[u64]) {
    let takes_set = matches!(
        flow.contests()[c].kind,
        protocol::manifest::ContestKind::Score { .. }
            | protocol::manifest::ContestKind::Cumulative { .. }
    );
    for (i, &v) in values.iter().enumerate() {
        let change = if takes_set {
            Change::Set(i, v)
        } else if v == 1 {
            Change::Toggle(i)
        } else {
            continue;
        };
        assert_eq!(flow.step(Step::Change(c, change)), Effect::None);
        assert_eq!(flow.refusal(), None, "contest {c} option {i}");
    }
}

#[test]
fn a_voter_audits_once_then_casts() {
    let e = election();
    let mut flow = Flow::default();
    assert_eq!(flow.screen(), Screen::Opening);
    flow.step(Step::Opened(e.manifest.contests.clone()));
    assert_eq!(flow.screen(), Screen::Credential);

    // A mistyped code is caught on the device; a good one (as printed, with dashes) is looked up.
    flow.step(Step::EnterCredential(Zeroizing::new("12-34".into())));
    assert!(flow.credential_malformed());
    let printed = hex::encode(e.credentials[1].to_seed());
    let printed = format!("{}-{}", &printed[..32], &printed[32..]).to_uppercase();
    let effect = flow.step(Step::EnterCredential(Zeroizing::new(printed)));
    let key = hex::encode(e.credentials[1].public_key().as_bytes());
    assert_eq!(effect, Effect::LookUpCredential(key));
    assert!(!flow.credential_malformed());
    flow.step(Step::CredentialListed(3));
    assert_eq!(flow.screen(), Screen::Ballot);

    // Review waits for every contest; a change past a rule is refused with the reason.
    flow.step(Step::Review);
    assert_eq!(flow.screen(), Screen::Ballot);
    let selection = every_kind_selection(1);
    for (c, values) in selection.iter().enumerate() {
        fill(&mut flow, c, values);
    }
    let choose_many = flow
        .contests()
        .iter()
        .position(|c| matches!(c.kind, protocol::manifest::ContestKind::Cumulative { .. }))
        .unwrap();
    flow.step(Step::Change(choose_many, Change::Set(0, 1_000)));
    assert!(matches!(
        flow.refusal(),
        Some((c, Refusal::NotEnoughPoints { .. })) if c == choose_many
    ));
    flow.step(Step::Review);
    assert_eq!(flow.screen(), Screen::Review);

    // Encrypt, then audit: the opened values are the choices.
    let Effect::Encrypt(values) = flow.step(Step::Encrypt) else {
        panic!("no encryption asked for")
    };
    assert_eq!(values, selection);
    let encrypt = |values: &[Vec<u64>]| {
        protocol::ballot::encrypt(
            &e.ballots,
            &e.credentials[1].public_key(),
            3,
            12,
            values,
            &mut OsRng,
        )
        .unwrap()
    };
    let (ballot, secrets) = encrypt(&values);
    let first_code = ballot.tracking_code();
    flow.step(Step::Encrypted(Box::new(ballot), secrets));
    assert_eq!(flow.screen(), Screen::Encrypted);
    assert_eq!(flow.step(Step::Audit), Effect::PostAudit);
    let audited = flow.audit_ballot().unwrap().unwrap();
    let key = ElectionPublicKey::new(e.context.ceremony.joint_key);
    let opened = audited.check_openings(&key).unwrap();
    assert_eq!(opened, selection);
    flow.step(Step::AuditPosted(opened));
    assert_eq!(flow.screen(), Screen::Audited);
    assert_eq!(flow.opened_values(), Some(&selection[..]));
    assert_eq!(flow.audited_code(), Some(first_code.short().as_str()));

    // Again, with fresh randomness, and cast.
    flow.step(Step::StartAgain);
    assert_eq!(flow.screen(), Screen::Review);
    assert!(matches!(flow.step(Step::Encrypt), Effect::Encrypt(_)));
    assert_eq!(flow.screen(), Screen::Encrypting);
    // The board is away while the page reads the checkpoint: back to the review, not stuck.
    flow.step(Step::Failed("the board is away".into()));
    assert_eq!(flow.screen(), Screen::Review);
    let Effect::Encrypt(values) = flow.step(Step::Encrypt) else {
        panic!("no encryption asked for")
    };
    // As the page does it: in steps, reporting progress between them.
    assert_eq!(flow.encryption_progress(), None);
    let key = e.credentials[1].public_key();
    let mut work = BallotEncryption::new(&e.ballots, &key, 3, 12, &values).unwrap();
    while !work.is_done() {
        work.step(&mut OsRng).unwrap();
        let (done, total) = (work.steps_done(), work.steps_total());
        flow.step(Step::EncryptionProgress { done, total });
        assert_eq!(flow.encryption_progress(), Some((done, total)));
    }
    let (ballot, secrets) = work.finish().unwrap();
    assert_ne!(ballot.tracking_code(), first_code);
    flow.step(Step::Encrypted(Box::new(ballot), secrets));
    assert_eq!(
        flow.encryption_progress(),
        None,
        "no progress once encrypted"
    );
    assert_eq!(flow.step(Step::Cast), Effect::PostBallot);
    let cast = flow.cast_ballot().unwrap().unwrap();
    protocol::ballot::verify(&e.ballots, cast, 3, &mut OsRng).unwrap();
    flow.step(Step::Receipted("{\"index\":12}".into()));
    assert_eq!(flow.screen(), Screen::Cast);
    assert_eq!(flow.receipt(), Some("{\"index\":12}"));
    assert_eq!(flow.included(), None);
    flow.step(Step::Included(voter_client::board::Provable {
        size: 14,
        root: "ab".into(),
        witnesses: None,
    }));
    assert_eq!(
        flow.included().map(|p| (p.size, p.root.as_str())),
        Some((14, "ab"))
    );
    // Cast: the voting code is gone from the page's state.
    assert!(flow.credential().is_none());
}

#[test]
fn a_refused_post_goes_back_to_review_and_an_unknown_code_stays() {
    let e = election();
    let mut flow = Flow::default();
    flow.step(Step::Failed("unreachable".into()));
    assert_eq!(flow.screen(), Screen::Failed);
    let mut flow = Flow::default();
    flow.step(Step::Opened(e.manifest.contests.clone()));
    let code = hex::encode(e.credentials[0].to_seed());
    flow.step(Step::EnterCredential(Zeroizing::new(code)));
    flow.step(Step::Failed("unknown_credential".into()));
    assert_eq!(flow.screen(), Screen::Credential);
    assert_eq!(flow.problem(), Some("unknown_credential"));
}
