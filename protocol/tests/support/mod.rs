//! Deterministic fixtures shared by the tests, the benchmarks and the vector generator.
#![allow(dead_code)]

pub mod vectors;

use protocol::ballot::BallotContext;
use protocol::context::ElectionContext;
use protocol::credentials::{Credential, CredentialEntry, CredentialList};
use protocol::dkg::{
    self, CeremonyOutcome, CeremonyParams, CeremonyRecord, KeyShare, Round1Set, Round2Package,
};
use protocol::manifest::{BoardInfo, Contest, ContestKind, ContestOption, Manifest, TrusteeInfo};
use protocol::signature::SecretKey;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

/// A ChaCha20 RNG seeded with SHA-256(label): the only source of randomness in vectors and tests.
pub fn rng(label: &str) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(Sha256::digest(label.as_bytes()).into())
}

pub fn key(label: &str) -> SecretKey {
    SecretKey::from_seed(&Sha256::digest(label.as_bytes()).into())
}

fn options(ids: &[&str]) -> Vec<ContestOption> {
    ids.iter()
        .map(|id| ContestOption {
            id: id.to_string(),
            title: format!("Option {id}"),
        })
        .collect()
}

/// One contest of each kind, including ones proved by Bulletproofs (score 0..20, the budget).
pub fn all_kinds_contests() -> Vec<Contest> {
    vec![
        Contest {
            id: "convener".into(),
            title: "Who should convene the council?".into(),
            kind: ContestKind::Choose { min: 1, max: 1 },
            options: options(&["ailsa", "brodie", "catriona"]),
        },
        Contest {
            id: "referendum".into(),
            title: "Adopt the new constitution?".into(),
            kind: ContestKind::Choose { min: 1, max: 1 },
            options: options(&["yes", "no"]),
        },
        Contest {
            id: "committee".into(),
            title: "Elect two to four committee members".into(),
            kind: ContestKind::Choose { min: 2, max: 4 },
            options: options(&["a", "b", "c", "d", "e"]),
        },
        Contest {
            id: "approval".into(),
            title: "Which proposals do you approve?".into(),
            kind: ContestKind::Approval,
            options: options(&["p1", "p2", "p3", "p4"]),
        },
        Contest {
            id: "score".into(),
            title: "Score each park design from 0 to 20".into(),
            kind: ContestKind::Score { max_score: 20 },
            options: options(&["north", "south", "east"]),
        },
        Contest {
            id: "cumulative".into(),
            title: "Spread 10 points".into(),
            kind: ContestKind::Cumulative { points: 10 },
            options: options(&["x", "y", "z"]),
        },
        Contest {
            id: "budget".into(),
            title: "Community budget: £100,000".into(),
            kind: ContestKind::Budget {
                budget: 100_000,
                costs: vec![25_000, 40_000, 60_000, 15_000],
            },
            options: options(&["library", "bridge", "hall", "garden"]),
        },
        Contest {
            id: "ward".into(),
            title: "Elect two councillors: rank up to three".into(),
            kind: ContestKind::Ranked {
                ranks: 3,
                seats: 2,
                method: protocol::manifest::RankedMethod::ScottishStv,
            },
            options: options(&["morag", "euan", "isla", "fergus"]),
        },
    ]
}

pub fn manifest(contests: Vec<Contest>, n: u32, t: u32) -> Manifest {
    Manifest {
        election_id: "test-election".into(),
        title: "Thistle test election".into(),
        opens_at: 1_800_000_000,
        closes_at: 1_800_086_400,
        administrator: key("administrator").public_key(),
        credential_authority: key("credential-authority").public_key(),
        board: BoardInfo {
            origin: "board.example/test-election".into(),
            key: key("board").public_key(),
        },
        trustees: (1..=n)
            .map(|i| TrusteeInfo {
                name: format!("Trustee {i}"),
                key: key(&format!("trustee-{i}")).public_key(),
            })
            .collect(),
        threshold: t,
        contests,
        witnesses: (1..=3)
            .map(|i| protocol::manifest::WitnessInfo {
                name: format!("witness-{i}.example"),
                key: key(&format!("witness-{i}")).public_key(),
                url: format!("https://witness-{i}.example"),
            })
            .collect(),
        witness_quorum: 2,
    }
}

/// The public ceremony record plus each trustee's share.
pub struct Ceremony {
    pub params: CeremonyParams,
    pub round1: Round1Set,
    pub round2: Vec<Round2Package>,
    pub complaints: Vec<dkg::Complaint>,
    pub outcome: CeremonyOutcome,
    pub shares: Vec<KeyShare>,
}

/// Runs an honest DKG with deterministic randomness.
pub fn ceremony(manifest: &Manifest, seed: &str) -> Ceremony {
    let params = CeremonyParams::from_manifest(manifest);
    let mut r = rng(seed);
    let (secrets, packages): (Vec<_>, Vec<_>) = (1..=params.n)
        .map(|i| dkg::round1(&params, i, &mut r).unwrap())
        .unzip();
    let round1 = Round1Set::verify(&params, packages).unwrap();
    let (secrets2, round2): (Vec<_>, Vec<_>) = secrets
        .into_iter()
        .map(|s| s.deal(&params, &round1))
        .unzip();
    for s in &secrets2 {
        assert!(s.check_shares(&params, &round1, &round2, &mut r).is_empty());
    }
    let outcome = CeremonyRecord {
        round1: &round1,
        round2: &round2,
        complaints: &[],
    }
    .outcome(&params, &mut r)
    .unwrap();
    let shares = secrets2
        .into_iter()
        .map(|s| s.finish(&params, &round1, &round2, &outcome).unwrap())
        .collect();
    Ceremony {
        params,
        round1,
        round2,
        complaints: vec![],
        outcome,
        shares,
    }
}

pub fn credentials(
    count: usize,
    seed: &str,
    weight: impl Fn(usize) -> u64,
) -> (Vec<Credential>, CredentialList) {
    let creds: Vec<Credential> = (0..count)
        .map(|i| key(&format!("{seed}-credential-{i}")))
        .collect();
    let list = CredentialList::new(
        creds
            .iter()
            .enumerate()
            .map(|(i, c)| CredentialEntry {
                key: c.public_key(),
                weight: weight(i),
            })
            .collect(),
    )
    .unwrap();
    (creds, list)
}

/// A whole set-up election: manifest, ceremony, credentials, context.
pub struct Election {
    pub ceremony: Ceremony,
    pub creds: Vec<Credential>,
    pub list: CredentialList,
    pub ctx: ElectionContext,
    pub ballot_ctx: BallotContext,
}

impl Election {
    pub fn new(
        contests: Vec<Contest>,
        n: u32,
        t: u32,
        voters: usize,
        weight: impl Fn(usize) -> u64,
    ) -> Self {
        let m = manifest(contests, n, t);
        let ceremony = ceremony(&m, "ceremony");
        let (creds, list) = credentials(voters, "voters", weight);
        let ctx = ElectionContext::new(m, ceremony.outcome.clone(), &list).unwrap();
        let ballot_ctx = BallotContext::from_election(&ctx);
        Election {
            ceremony,
            creds,
            list,
            ctx,
            ballot_ctx,
        }
    }

    pub fn manifest(&self) -> &Manifest {
        &self.ctx.manifest
    }
}

/// The kinds the homomorphic tally sums (every kind but ranked): for weighted credentials, which
/// a ranked contest does not allow (spec §6.2).
pub fn summed_kinds_contests() -> Vec<Contest> {
    all_kinds_contests()
        .into_iter()
        .filter(|c| !c.is_ranked())
        .collect()
}

/// [`all_kinds_selection`] for a subset of the all-kinds contests (matched by id).
pub fn selection_for(contests: &[Contest], v: usize) -> Vec<Vec<u64>> {
    all_kinds_contests()
        .iter()
        .zip(all_kinds_selection(v))
        .filter(|(c, _)| contests.iter().any(|m| m.id == c.id))
        .map(|(_, s)| s)
        .collect()
}

/// A valid selection for the all-kinds manifest, varied by `v`.
pub fn all_kinds_selection(v: usize) -> Vec<Vec<u64>> {
    let one_hot = |n: usize, i: usize| (0..n).map(|k| (k == i) as u64).collect::<Vec<_>>();
    let budget_choices = [[1, 1, 0, 1], [0, 1, 1, 0], [1, 0, 1, 1], [0, 0, 0, 0]];
    vec![
        one_hot(3, v % 3),
        one_hot(2, v % 2),
        (0..5).map(|k| ((k + v) % 5 < 2 + v % 3) as u64).collect(),
        (0..4)
            .map(|k| (k * 7 + v).is_multiple_of(3) as u64)
            .collect(),
        vec![(v as u64 * 7) % 21, 20, 0],
        vec![(v % 4) as u64, 3, (v % 3) as u64],
        budget_choices[v % 4].to_vec(),
        [[1, 2, 3], [2, 1, 0], [4, 0, 0], [3, 4, 1], [0, 0, 0]][v % 5].to_vec(),
    ]
}

/// Encrypts and casts a ballot (board size seen: 0).
pub fn cast(
    ctx: &BallotContext,
    cred: &Credential,
    weight: u64,
    selection: &[Vec<u64>],
    r: &mut ChaCha20Rng,
) -> protocol::ballot::Ballot {
    let (encrypted, _) =
        protocol::ballot::encrypt(ctx, &cred.public_key(), weight, 0, selection, r).unwrap();
    encrypted.cast(cred).unwrap()
}
