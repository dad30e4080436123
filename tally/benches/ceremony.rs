//! The rest of the ceremony after aggregation (prints figures): for a 3-of-5 election with one
//! 1-of-5 contest and 1,000,000 voters, three trustees each decrypt their part of the tally with a
//! proof, the combiner checks the three proofs against the verification shares, combines with
//! the Lagrange coefficients of those present, and recovers the five totals (bounded by the
//! manifest: up to 1,000,000 each, so the discrete-log table holds about 1,000 points).
//!
//!     cargo bench -p tally --bench ceremony
//!
//! Reading and verifying the record is not included: that is the verifier's cost (V1–V15).
use std::time::{Duration, Instant};

use bulletin_board::sim::{one_of_five, SimElection, SimSpec};
use protocol::ballot;
use protocol::manifest::BoardInfo;
use protocol::signature::SecretKey;
use protocol::tally::{partial_decrypt, TallyAccumulator};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tally::ceremony;

const VOTERS: u64 = 1_000_000;

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this a few times as a check.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let runs = if benchmarking { 50 } else { 2 };
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let election = SimElection::with_spec(
        "ceremony-bench",
        BoardInfo {
            origin: "bench.invalid".into(),
            key: SecretKey::from_seed(&[9; 32]).public_key(),
        },
        (1, 2),
        SimSpec {
            trustees: 5,
            threshold: 3,
            contests: one_of_five(),
            weights: vec![1],
            tampered_share: None,
        },
        &mut rng,
    );
    // One ballot per option, weighted so that the totals are 400,000 / 300,000 / 200,000 /
    // 100,000 / 0, as if a million voters had voted.
    let mut acc = TallyAccumulator::new(&election.manifest);
    for (option, weight) in [400_000u64, 300_000, 200_000, 100_000].iter().enumerate() {
        let selection = vec![(0..5).map(|k| (k == option) as u64).collect()];
        let credential = &election.credentials[0];
        let (encrypted, _) = ballot::encrypt(
            &election.ballots,
            &credential.public_key(),
            1,
            1,
            &selection,
            &mut rng,
        )
        .expect("a valid selection");
        acc.add(
            &encrypted.cast(credential).expect("own credential"),
            *weight,
        )
        .expect("the manifest's shape");
    }
    let recomputed = acc.finish();
    let fingerprint = election.context.fingerprint;
    let outcome = &election.context.ceremony;
    let present = [1u32, 3, 5];

    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let partials: Vec<_> = present
            .iter()
            .map(|&j| {
                partial_decrypt(
                    &fingerprint,
                    &election.key_shares[j as usize - 1],
                    &recomputed,
                    &mut rng,
                )
            })
            .collect();
        let combined = ceremony::combine(
            &election.manifest,
            &fingerprint,
            VOTERS,
            recomputed.tally(),
            &partials,
            |j| outcome.verification_share(j),
            &outcome.qualified,
        )
        .expect("honest shares combine");
        times.push(start.elapsed());
        assert_eq!(
            combined.results.totals,
            vec![vec![400_000, 300_000, 200_000, 100_000, 0]]
        );
        assert_eq!(combined.used, present);
    }
    times.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "3-of-5 decrypt, check and combine (1-of-5, {VOTERS} voters), {runs} runs: median {:.2} ms, max {:.2} ms (target < 1,000 ms)",
        ms(times[runs / 2]),
        ms(times[runs - 1])
    );
}
