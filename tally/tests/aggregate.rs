//! The streaming, parallel recomputation equals the plain sum of each credential's counted ballot
//! (§12.1, V12), for every contest kind, with weights and revotes, whatever the page size.
mod common;

use common::options;
use protocol::ballot::{self, Ballot, BallotContext};
use protocol::credentials::{CredentialEntry, CredentialList};
use protocol::group::Point;
use protocol::manifest::{BoardInfo, Contest, ContestKind, Manifest, TrusteeInfo};
use protocol::record::{Entry, Leaf, SignedEntry};
use protocol::signature::SecretKey;
use protocol::tally::TallyAccumulator;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};
use tally::{Aggregator, Error, Selection};

fn key(label: &str) -> SecretKey {
    SecretKey::from_seed(&Sha256::digest(label.as_bytes()).into())
}

fn manifest() -> Manifest {
    let kinds = [
        ContestKind::Choose { min: 1, max: 1 },
        ContestKind::Approval,
        ContestKind::Score { max_score: 20 },
        ContestKind::Cumulative { points: 5 },
        ContestKind::Budget {
            budget: 100,
            costs: vec![60, 30, 25],
        },
    ];
    Manifest {
        election_id: "aggregate".into(),
        title: "Aggregation test".into(),
        opens_at: 1,
        closes_at: 2,
        administrator: key("admin").public_key(),
        credential_authority: key("ca").public_key(),
        board: BoardInfo {
            origin: "board.test".into(),
            key: key("board").public_key(),
        },
        trustees: vec![TrusteeInfo {
            name: "T".into(),
            key: key("t").public_key(),
        }],
        threshold: 1,
        witnesses: Vec::new(),
        witness_quorum: 0,
        contests: kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| Contest {
                id: format!("c{i}"),
                title: format!("Contest {i}"),
                kind,
                options: options(3),
            })
            .collect(),
    }
}

fn selection(v: usize) -> Vec<Vec<u64>> {
    let budget = [[1, 1, 0], [0, 1, 1], [1, 0, 0], [0, 0, 0]];
    vec![
        (0..3).map(|k| (k == v % 3) as u64).collect(),
        (0..3).map(|k| ((k + v) % 2) as u64).collect(),
        vec![(v as u64 * 7) % 21, 20, 0],
        vec![(v % 3) as u64, 1, (v % 2) as u64],
        budget[v % 4].to_vec(),
    ]
}

struct Fixture {
    manifest: Manifest,
    ctx: BallotContext,
    list: CredentialList,
    leaves: Vec<(u64, Vec<u8>)>,
    expected: protocol::tally::EncryptedTally,
}

fn fixture() -> Fixture {
    let manifest = manifest();
    let mut r = ChaCha20Rng::from_seed([3u8; 32]);
    // Any non-identity point serves as the election key here: nothing is decrypted.
    let election_key = Point::from_point(protocol::group::hash_to_group(b"test election key"));
    let ctx = BallotContext::new(&manifest, election_key, [9u8; 32]);
    let creds: Vec<SecretKey> = (0..6).map(|i| key(&format!("voter-{i}"))).collect();
    let weights = [1u64, 2, 3, 1, 1, 5];
    let list = CredentialList::new(
        creds
            .iter()
            .zip(weights)
            .map(|(c, weight)| CredentialEntry {
                key: c.public_key(),
                weight,
            })
            .collect(),
    )
    .unwrap();
    // Leaves 0..3 are other entries; voter 0 votes twice (the second, with a larger board size,
    // counts), voter 4 twice with the same board size (the later counts), voter 5 never.
    let plan: [(usize, u64); 7] = [(0, 3), (1, 3), (2, 3), (4, 3), (0, 6), (3, 6), (4, 3)];
    let mut leaves: Vec<(u64, Vec<u8>)> = (0..3u64)
        .map(|i| (i, [&[0u8; 8][..], &[1, 0, 0][..]].concat()))
        .collect();
    let mut cast: Vec<(usize, Ballot)> = Vec::new();
    for (n, (v, board_size)) in plan.into_iter().enumerate() {
        let (enc, _) = ballot::encrypt(
            &ctx,
            &creds[v].public_key(),
            weights[v],
            board_size,
            &selection(n),
            &mut r,
        )
        .unwrap();
        let b = enc.cast(&creds[v]).unwrap();
        let leaf = Leaf {
            time: 10,
            signed: SignedEntry {
                entry: Entry::Ballot(b.clone()),
                signature: None,
            },
        };
        leaves.push((leaves.len() as u64, leaf.to_bytes()));
        cast.push((v, b));
    }
    let mut acc = TallyAccumulator::new(&manifest);
    for (i, (v, b)) in cast.iter().enumerate() {
        let superseded = cast[i + 1..].iter().any(|(w, _)| w == v);
        if !superseded {
            acc.add(b, weights[*v]).unwrap();
        }
    }
    Fixture {
        expected: acc.finish().tally().clone(),
        manifest,
        ctx,
        list,
        leaves,
    }
}

fn recompute(f: &Fixture, page: usize) -> Result<protocol::tally::EncryptedTally, Error> {
    let mut selection = Selection::default();
    for p in f.leaves.chunks(page) {
        selection.scan(p.iter().map(|(i, l)| (*i, l.as_slice())));
    }
    assert_eq!(selection.len(), 5);
    let mut agg = Aggregator::new(&f.manifest, &f.ctx, &f.list, &selection);
    for p in f.leaves.chunks(page) {
        agg.add_page(p)?;
    }
    Ok(agg.finish()?.tally().clone())
}

#[test]
fn the_parallel_streaming_sum_is_the_counted_ballots_sum_for_every_contest_kind() {
    let f = fixture();
    for page in [1, 3, 4, 100] {
        assert_eq!(recompute(&f, page).unwrap(), f.expected, "page size {page}");
    }
}

#[test]
fn a_record_that_loses_a_counted_ballot_between_the_passes_is_refused() {
    let f = fixture();
    let mut selection = Selection::default();
    selection.scan(f.leaves.iter().map(|(i, l)| (*i, l.as_slice())));
    let mut agg = Aggregator::new(&f.manifest, &f.ctx, &f.list, &selection);
    agg.add_page(&f.leaves[..f.leaves.len() - 1]).unwrap();
    assert!(matches!(agg.finish(), Err(Error::Changed(1))));
}

#[test]
fn a_ballot_whose_credential_is_not_listed_is_an_error_naming_its_leaf() {
    let mut f = fixture();
    f.list = CredentialList::new(vec![CredentialEntry {
        key: key("someone else").public_key(),
        weight: 1,
    }])
    .unwrap();
    assert!(matches!(recompute(&f, 4), Err(Error::UnknownCredential(4))));
}
