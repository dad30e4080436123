//! What a benchmark measures inside the browser: encrypting and proving ballots of a given shape
//! on this device (spec §11.2), against a throwaway election. Exported to JavaScript as
//! `bench_encrypt`; the native part builds the election and is tested like the rest.
use protocol::ballot::{self, BallotContext};
use protocol::group::Point;
use protocol::manifest::{BoardInfo, Contest, ContestKind, ContestOption, Manifest, TrusteeInfo};
use protocol::signature::{PublicKey, SecretKey};
use rand_core::{CryptoRng, RngCore};

/// The benchmarked ballot shapes: `"choose"` (1 of 5) and `"budget"` (a participatory budget
/// of 20 projects).
pub fn contest(shape: &str) -> Option<Contest> {
    let (kind, n) = match shape {
        "choose" => (ContestKind::Choose { min: 1, max: 1 }, 5),
        "budget" => (
            ContestKind::Budget {
                budget: 1_000,
                costs: (0..20).map(|i| 40 + 15 * i).collect(),
            },
            20,
        ),
        _ => return None,
    };
    Some(Contest {
        id: shape.into(),
        title: shape.into(),
        kind,
        options: (0..n)
            .map(|i| ContestOption {
                id: format!("o{i}"),
                title: format!("Option {i}"),
            })
            .collect(),
    })
}

/// A valid selection for the shape: the first option, or the cheapest projects that fit.
pub fn selection(shape: &str) -> Vec<Vec<u64>> {
    match shape {
        "budget" => vec![(0..20).map(|i| u64::from(i < 5)).collect()],
        _ => vec![vec![1, 0, 0, 0, 0]],
    }
}

/// A throwaway election with one contest of `shape`, keyed at random.
pub fn election<R: RngCore + CryptoRng>(shape: &str, rng: &mut R) -> Option<BallotContext> {
    let key = |rng: &mut R| {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        SecretKey::from_seed(&seed)
    };
    let manifest = Manifest {
        election_id: "bench".into(),
        title: "Benchmark".into(),
        opens_at: 0,
        closes_at: 1,
        administrator: key(rng).public_key(),
        credential_authority: key(rng).public_key(),
        board: BoardInfo {
            origin: "bench.invalid/board".into(),
            key: key(rng).public_key(),
        },
        trustees: vec![TrusteeInfo {
            name: "Trustee".into(),
            key: key(rng).public_key(),
        }],
        threshold: 1,
        contests: vec![contest(shape)?],
        witnesses: Vec::new(),
        witness_quorum: 0,
    };
    let mut scalar = [0u8; 64];
    rng.fill_bytes(&mut scalar);
    let k = curve25519_dalek::Scalar::from_bytes_mod_order_wide(&scalar);
    let joint = Point::from_point(curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT * k);
    let mut fingerprint = [0u8; 32];
    rng.fill_bytes(&mut fingerprint);
    Some(BallotContext::new(&manifest, joint, fingerprint))
}

/// The election, a voter's public credential and the selection a benchmark encrypts.
fn workload<R: RngCore + CryptoRng>(
    shape: &str,
    rng: &mut R,
) -> Option<(BallotContext, PublicKey, Vec<Vec<u64>>)> {
    let ctx = election(shape, rng)?;
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    Some((
        ctx,
        SecretKey::from_seed(&seed).public_key(),
        selection(shape),
    ))
}

/// Encrypts and proves `iterations` ballots of `shape` (after one untimed warm-up), timing
/// each with `now` (milliseconds); returns the mean in milliseconds.
pub fn encrypt_mean_ms<R: RngCore + CryptoRng>(
    shape: &str,
    iterations: u32,
    now: impl Fn() -> f64,
    rng: &mut R,
) -> Option<f64> {
    let (ctx, credential, values) = workload(shape, rng)?;
    ballot::encrypt(&ctx, &credential, 1, 0, &values, rng).ok()?;
    let start = now();
    for _ in 0..iterations {
        ballot::encrypt(&ctx, &credential, 1, 0, &values, rng).ok()?;
    }
    Some((now() - start) / f64::from(iterations.max(1)))
}

/// Encrypts `iterations` ballots of `shape` in steps, as the page does, timing each step with
/// `now` (milliseconds); returns the longest step: beyond its 12 ms slice, the most the page can
/// go without painting.
pub fn longest_step_ms<R: RngCore + CryptoRng>(
    shape: &str,
    iterations: u32,
    now: impl Fn() -> f64,
    rng: &mut R,
) -> Option<f64> {
    let (ctx, credential, values) = workload(shape, rng)?;
    let mut longest: f64 = 0.0;
    for _ in 0..iterations {
        let mut work = ballot::BallotEncryption::new(&ctx, &credential, 1, 0, &values).ok()?;
        while !work.is_done() {
            let start = now();
            work.step(rng).ok()?;
            longest = longest.max(now() - start);
        }
        work.finish()?;
    }
    Some(longest)
}
