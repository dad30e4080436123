//! Manifest rules (spec §6.2, V3): every kind of error is reported, in words a person can act on.
mod support;

use protocol::encoding::{Decode, Encode};
use protocol::manifest::{ContestKind, Manifest};
use protocol::merkle::{self, Checkpoint};
use support::*;

fn valid() -> Manifest {
    manifest(all_kinds_contests(), 3, 2)
}

fn problems_of(edit: impl FnOnce(&mut Manifest)) -> Vec<String> {
    let mut m = valid();
    edit(&mut m);
    m.problems()
}

#[test]
fn the_fixture_is_valid_and_round_trips() {
    let m = valid();
    m.validate().unwrap();
    assert_eq!(Manifest::from_bytes(&m.to_bytes()).unwrap(), m);
}

type Edit = Box<dyn FnOnce(&mut Manifest)>;

#[test]
fn each_kind_of_error_is_reported() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "election_id",
            Box::new(|m| m.election_id = "Bad Id!".into()),
        ),
        (
            "closes_at must be after opens_at",
            Box::new(|m| m.closes_at = m.opens_at),
        ),
        ("threshold 4 must satisfy", Box::new(|m| m.threshold = 4)),
        (
            "witness_quorum 4 must satisfy 1 ≤ k ≤ 3",
            Box::new(|m| m.witness_quorum = 4),
        ),
        (
            "witness_quorum 0 must satisfy",
            Box::new(|m| m.witness_quorum = 0),
        ),
        (
            "witness_quorum 1 must satisfy 1 ≤ k ≤ 0",
            Box::new(|m| {
                m.witnesses.clear();
                m.witness_quorum = 1
            }),
        ),
        (
            "witness 2: the name \"witness-1.example\" is used twice",
            Box::new(|m| m.witnesses[1].name = m.witnesses[0].name.clone()),
        ),
        (
            "witness 1: name \"a witness\" must be 1–256 printable ASCII",
            Box::new(|m| m.witnesses[0].name = "a witness".into()),
        ),
        (
            "witness 3: url \"ftp://w.example\" must be an http:// or https:// address",
            Box::new(|m| m.witnesses[2].url = "ftp://w.example".into()),
        ),
        (
            "the board and witness 1 (witness-1.example) share a key",
            Box::new(|m| m.witnesses[0].key = m.board.key),
        ),
        ("threshold 0 must satisfy", Box::new(|m| m.threshold = 0)),
        (
            "must have 1 to 256 options",
            Box::new(|m| m.contests[0].options.clear()),
        ),
        (
            "min 3 is greater than max 2",
            Box::new(|m| m.contests[2].kind = ContestKind::Choose { min: 3, max: 2 }),
        ),
        (
            "budget 10000 is below the cheapest option",
            Box::new(|m| {
                m.contests[6].kind = ContestKind::Budget {
                    budget: 10_000,
                    costs: vec![25_000, 40_000, 60_000, 15_000],
                }
            }),
        ),
        (
            "4 costs given for 3 options",
            Box::new(|m| {
                m.contests[6].options.pop();
            }),
        ),
        (
            "duplicate contest id",
            Box::new(|m| m.contests[1].id = m.contests[0].id.clone()),
        ),
        (
            "duplicate option id",
            Box::new(|m| m.contests[0].options[1].id = m.contests[0].options[0].id.clone()),
        ),
        (
            "max_score must be 1",
            Box::new(|m| m.contests[4].kind = ContestKind::Score { max_score: 0 }),
        ),
        (
            "title must be non-empty",
            Box::new(|m| m.contests[3].title = "   ".into()),
        ),
        (
            "board.origin must be",
            Box::new(|m| m.board.origin = "has space".into()),
        ),
        (
            "the administrator and the credential authority share a key",
            Box::new(|m| m.credential_authority = m.administrator),
        ),
        (
            "the board and trustee 2 (Trustee 2) share a key",
            Box::new(|m| m.trustees[1].key = m.board.key),
        ),
        (
            "trustee 1 (Trustee 1) and trustee 3 (Trustee 3) share a key",
            Box::new(|m| m.trustees[2].key = m.trustees[0].key),
        ),
        (
            "there must be 1 to 64 contests",
            Box::new(|m| m.contests.clear()),
        ),
    ];
    for (expected, edit) in cases {
        let problems = problems_of(edit);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "expected {expected:?} in {problems:?}"
        );
    }
}

#[test]
fn several_problems_are_all_reported() {
    let problems = problems_of(|m| {
        m.closes_at = 0;
        m.threshold = 9;
        m.credential_authority = m.administrator;
    });
    assert!(problems.len() >= 3, "{problems:?}");
}

#[test]
fn checkpoints_must_be_exact_and_signed_by_the_board() {
    let board = key("board");
    let cp = Checkpoint {
        origin: "board.example/test-election".into(),
        size: 3,
        root: merkle::leaf_hash(b"x"),
    };
    let note = cp.sign(&board);
    assert_eq!(
        Checkpoint::verify_note(&note, &cp.origin, &board.public_key()).unwrap(),
        cp
    );
    // An extension line, a leading zero, another key, another origin: all refused.
    let with_extension = note.replacen("\n\n", "\nextra\n\n", 1);
    assert!(Checkpoint::verify_note(&with_extension, &cp.origin, &board.public_key()).is_err());
    let leading_zero = note.replacen("\n3\n", "\n03\n", 1);
    assert!(Checkpoint::verify_note(&leading_zero, &cp.origin, &board.public_key()).is_err());
    assert!(
        Checkpoint::verify_note(&note, &cp.origin, &key("not the board").public_key()).is_err()
    );
    assert!(Checkpoint::verify_note(&note, "other.example/log", &board.public_key()).is_err());
}

#[test]
fn consistency_from_the_empty_tree_needs_the_empty_root() {
    let leaves: Vec<[u8; 32]> = (0..5u8).map(|i| merkle::leaf_hash(&[i])).collect();
    let root = merkle::root(&leaves);
    merkle::verify_consistency(0, 5, &merkle::root(&[]), &root, &[]).unwrap();
    assert!(merkle::verify_consistency(0, 5, &root, &root, &[]).is_err());
}
