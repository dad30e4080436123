//! Criterion benchmarks (one core): `cargo bench -p protocol --bench protocol`.
//! Figures and the command line are recorded in the README.
// `criterion_group!` makes a public function it cannot document.
#![allow(missing_docs)]
#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use protocol::ballot::{self, Ballot};
use protocol::encoding::{Decode, Encode};
use protocol::manifest::{Contest, ContestKind, ContestOption};
use protocol::tally::{self, TallyAccumulator};
use support::vectors::kind_context;

fn contest(kind: ContestKind, n: usize) -> Contest {
    Contest {
        id: "bench".into(),
        title: "Benchmark contest".into(),
        kind,
        options: (0..n)
            .map(|i| ContestOption {
                id: format!("o{i}"),
                title: format!("Option {i}"),
            })
            .collect(),
    }
}

/// (name, contest, a valid selection)
fn cases() -> Vec<(&'static str, Contest, Vec<u64>)> {
    let one_hot = |n: usize| (0..n).map(|i| (i == 1) as u64).collect::<Vec<_>>();
    let costs: Vec<u64> = (0..20).map(|i| 10_000 + 5_000 * i).collect();
    let budget_sel: Vec<u64> = (0..20).map(|i| (i % 5 == 0) as u64).collect();
    vec![
        (
            "choose-1-of-5",
            contest(ContestKind::Choose { min: 1, max: 1 }, 5),
            one_hot(5),
        ),
        (
            "choose-1-of-10",
            contest(ContestKind::Choose { min: 1, max: 1 }, 10),
            one_hot(10),
        ),
        (
            "choose-1-of-50",
            contest(ContestKind::Choose { min: 1, max: 1 }, 50),
            one_hot(50),
        ),
        (
            "approval-10",
            contest(ContestKind::Approval, 10),
            (0..10).map(|i| (i % 2) as u64).collect(),
        ),
        (
            "score-0-5-x5",
            contest(ContestKind::Score { max_score: 5 }, 5),
            vec![5, 0, 3, 1, 2],
        ),
        (
            "score-0-100-x5",
            contest(ContestKind::Score { max_score: 100 }, 5),
            vec![100, 0, 37, 64, 2],
        ),
        (
            "cumulative-10-x5",
            contest(ContestKind::Cumulative { points: 10 }, 5),
            vec![4, 0, 3, 2, 1],
        ),
        (
            "budget-20",
            contest(
                ContestKind::Budget {
                    budget: 500_000,
                    costs,
                },
                20,
            ),
            budget_sel,
        ),
    ]
}

fn ballots(c: &mut Criterion) {
    let cred = support::key("bench credential");
    let mut enc = c.benchmark_group("encrypt+prove");
    enc.sample_size(20);
    for (name, contest, sel) in cases() {
        let (_, ctx, _) = kind_context(&contest);
        let sel = vec![sel];
        let mut r = support::rng(name);
        let key = cred.public_key();
        // Encrypt, prove and sign (cast).
        enc.bench_function(name, |b| {
            b.iter(|| {
                ballot::encrypt(&ctx, &key, 1, 0, &sel, &mut r)
                    .unwrap()
                    .0
                    .cast(&cred)
                    .unwrap()
            })
        });
    }
    enc.finish();
    // Verification starts from the bytes a board receives: decoding (point decompression) is counted.
    let mut ver = c.benchmark_group("decode+verify-one");
    ver.sample_size(20);
    for (name, contest, sel) in cases() {
        let (_, ctx, _) = kind_context(&contest);
        let mut r = support::rng(name);
        let raw = support::cast(&ctx, &cred, 1, &[sel], &mut r).to_bytes();
        ver.bench_function(name, |bn| {
            bn.iter(|| ballot::verify(&ctx, Ballot::from_bytes(&raw).unwrap(), 1, &mut r).unwrap())
        });
    }
    ver.finish();
}

fn batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode+verify-batch");
    g.sample_size(10);
    for (name, contest, sel) in cases()
        .into_iter()
        .filter(|(n, _, _)| ["choose-1-of-5", "budget-20"].contains(n))
    {
        let (_, ctx, _) = kind_context(&contest);
        let mut r = support::rng("batch");
        let creds: Vec<_> = (0..1000)
            .map(|i| support::key(&format!("batch {i}")))
            .collect();
        let ballots: Vec<Vec<u8>> = creds
            .iter()
            .map(|cr| support::cast(&ctx, cr, 1, std::slice::from_ref(&sel), &mut r).to_bytes())
            .collect();
        for size in [100usize, 1000] {
            g.throughput(Throughput::Elements(size as u64));
            g.bench_with_input(BenchmarkId::new(name, size), &size, |bn, &size| {
                bn.iter(|| {
                    let decoded: Vec<(Ballot, u64)> = ballots[..size]
                        .iter()
                        .map(|raw| (Ballot::from_bytes(raw).unwrap(), 1))
                        .collect();
                    assert!(ballot::verify_batch(&ctx, decoded, &mut r)
                        .iter()
                        .all(|x| x.is_ok()))
                })
            });
        }
    }
    g.finish();
}

fn tally_steps(c: &mut Criterion) {
    let contest5 = contest(ContestKind::Choose { min: 1, max: 1 }, 5);
    let e = support::Election::new(vec![contest5], 5, 3, 1000, |_| 1);
    let mut r = support::rng("tally");
    let ballots: Vec<Ballot> = e
        .creds
        .iter()
        .enumerate()
        .map(|(i, cr)| {
            support::cast(
                &e.ballot_ctx,
                cr,
                1,
                &[(0..5).map(|k| (k == i % 5) as u64).collect()],
                &mut r,
            )
        })
        .collect();
    let bytes: Vec<Vec<u8>> = ballots.iter().map(Encode::to_bytes).collect();
    let mut g = c.benchmark_group("tally");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1000));
    g.bench_function("aggregate-1000-1-of-5-from-bytes", |b| {
        b.iter(|| {
            let mut acc = TallyAccumulator::new(e.manifest());
            for raw in &bytes {
                let ballot = Ballot::from_bytes(raw).unwrap();
                acc.add(&ballot, 1).unwrap();
            }
            acc.finish()
        })
    });
    // What aggregation reads of a verified ballot: its ciphertexts only (§12.1).
    g.bench_function("aggregate-1000-1-of-5-counted-view", |b| {
        b.iter(|| {
            let mut acc = TallyAccumulator::new(e.manifest());
            for raw in &bytes {
                let view = e.ballot_ctx.counted_view(raw).unwrap();
                acc.add_rows(view.contests.iter().map(Vec::as_slice), 1)
                    .unwrap();
            }
            acc.finish()
        })
    });
    let mut acc = TallyAccumulator::new(e.manifest());
    for b in &ballots {
        acc.add(b, 1).unwrap();
    }
    let recomputed = acc.finish();
    let t = recomputed.tally().clone();
    g.throughput(Throughput::Elements(1));
    g.bench_function("partial-decryption-1-of-5", |b| {
        b.iter(|| {
            tally::partial_decrypt(
                &e.ctx.fingerprint,
                &e.ceremony.shares[0],
                &recomputed,
                &mut r,
            )
        })
    });
    let partials: Vec<_> = e
        .ceremony
        .shares
        .iter()
        .take(3)
        .map(|s| tally::partial_decrypt(&e.ctx.fingerprint, s, &recomputed, &mut r))
        .collect();
    g.bench_function("verify-partial-decryption-1-of-5", |b| {
        b.iter(|| {
            partials[0]
                .verify(
                    &e.ctx.fingerprint,
                    e.ceremony.shares[0].verification_share(),
                    &t,
                    &mut r,
                )
                .unwrap()
        })
    });
    let refs: Vec<_> = partials.iter().collect();
    g.bench_function("combine-3-of-5-1-of-5-with-dlog", |b| {
        b.iter(|| tally::combine(e.manifest(), e.ctx.total_weight, &t, &refs).unwrap())
    });
    for bound in [1_000_000u64, 10_000_000] {
        let table = tally::DlogTable::new(bound);
        let worst = protocol::group::mul_g(bound);
        g.bench_function(BenchmarkId::new("dlog-table-build", bound), |b| {
            b.iter(|| tally::DlogTable::new(bound))
        });
        g.bench_function(BenchmarkId::new("dlog-solve-worst-case", bound), |b| {
            b.iter(|| assert_eq!(table.solve(&worst), Some(bound)))
        });
    }
    g.finish();
}

/// One mixer's shuffle, proof and verification (spec §12.9) of 1,000 ballots of width 10; the
/// issue's 10,000 are measured by `cargo run --release -p protocol --example mix-bench`.
fn shuffle_steps(c: &mut Criterion) {
    use protocol::shuffle::{prove, shuffle, verify, Row};
    let mut rng = support::rng("bench/shuffle");
    let key = protocol::elgamal::ElectionPublicKey::new(protocol::group::Point::from_point(
        protocol::group::mul_g(12345),
    ));
    let (n, w) = (1000, 10);
    let input: Vec<Row> = (0..n)
        .map(|i| {
            (0..w)
                .map(|k| key.encrypt((i + k) as u64 % 11, &mut rng).0)
                .collect()
        })
        .collect();
    let fp = [5u8; 32];
    let mut g = c.benchmark_group("shuffle");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("shuffle+prove-1000x10", |b| {
        b.iter(|| {
            let (out, secret) = shuffle(&key, &input, &mut rng).unwrap();
            prove(&fp, &key, &input, &out, secret, &mut rng).unwrap()
        })
    });
    let (out, secret) = shuffle(&key, &input, &mut rng).unwrap();
    let proof = prove(&fp, &key, &input, &out, secret, &mut rng).unwrap();
    g.bench_function("verify-1000x10", |b| {
        b.iter(|| verify(&fp, key.point(), &input, &out, &proof, &mut rng).unwrap())
    });
    g.finish();
}

criterion_group!(
    benches,
    ballots,
    batch,
    tally_steps,
    shuffle_steps,
    stv_count
);
criterion_main!(benches);

/// The STV count of a council-sized ward (spec §12.8): 13 candidates, 4 seats, 13,000 papers of
/// 1 to 13 preferences from a fixed pseudo-random sequence.
fn stv_count(c: &mut Criterion) {
    use protocol::stv::{count, Method, Profile, Ranking};
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let ballots: Vec<Ranking> = (0..13_000)
        .map(|_| {
            let mut order: Vec<u16> = (0..13).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, (next() % (i as u64 + 1)) as usize);
            }
            order.truncate(1 + (next() % 13) as usize);
            Ranking {
                weight: 1,
                ranking: order,
            }
        })
        .collect();
    let profile = Profile::new(13, 4, ballots, vec![]).unwrap();
    let mut g = c.benchmark_group("stv");
    g.sample_size(20);
    g.bench_function("scottish-stv-13-candidates-13000-papers", |b| {
        b.iter(|| count(&profile, Method::ScottishStv, &[0; 32]))
    });
    g.finish();
}
