//! Aggregation benchmark (prints figures): recomputes the encrypted tally of N 1-of-5 ballots
//! streamed from a record file on disk, both passes timed together, memory bounded by the page.
//!
//!     cargo bench -p tally --bench aggregate                 # N = 1,000,000
//!     TALLY_BENCH_BALLOTS=100000 cargo bench -p tally --bench aggregate
//!
//! The ballots share one real ballot's proofs with fresh valid ciphertexts and credentials:
//! aggregation takes ballots as verified and reads only credentials, board sizes and
//! ciphertexts, so its cost is what it would be on real ballots (encrypting a million real ones
//! would take 14 minutes here). The record file is generated once and kept in target/.
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::RistrettoPoint;
use protocol::ballot::{self, BallotContext};
use protocol::credentials::{CredentialEntry, CredentialList};
use protocol::encoding::Encode;
use protocol::group::Point;
use protocol::manifest::{BoardInfo, Contest, ContestKind, ContestOption, Manifest, TrusteeInfo};
use protocol::signature::SecretKey;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rayon::prelude::*;
use tally::{Aggregator, Selection};

const PAGE: usize = 10_000;

fn key(seed: u64) -> SecretKey {
    let mut s = [7u8; 32];
    s[..8].copy_from_slice(&seed.to_le_bytes());
    SecretKey::from_seed(&s)
}

fn manifest() -> Manifest {
    Manifest {
        election_id: "bench".into(),
        title: "Aggregation benchmark".into(),
        opens_at: 1,
        closes_at: 2,
        administrator: key(u64::MAX).public_key(),
        credential_authority: key(u64::MAX - 1).public_key(),
        board: BoardInfo {
            origin: "board.bench".into(),
            key: key(u64::MAX - 2).public_key(),
        },
        trustees: vec![TrusteeInfo {
            name: "T".into(),
            key: key(u64::MAX - 3).public_key(),
        }],
        threshold: 1,
        witnesses: Vec::new(),
        witness_quorum: 0,
        contests: vec![Contest {
            id: "chair".into(),
            title: "Chair".into(),
            kind: ContestKind::Choose { min: 1, max: 1 },
            options: (0..5)
                .map(|i| ContestOption {
                    id: format!("o{i}"),
                    title: format!("Option {i}"),
                })
                .collect(),
        }],
    }
}

/// Writes `n` ballot leaves (`u32 len ‖ leaf`) to `path`.
fn generate(path: &PathBuf, n: usize, ctx: &BallotContext, creds: &[[u8; 32]]) {
    let mut r = ChaCha20Rng::from_seed([1u8; 32]);
    let template_key = key(0);
    let selection = vec![vec![1, 0, 0, 0, 0]];
    let (enc, _) =
        ballot::encrypt(ctx, &template_key.public_key(), 1, 0, &selection, &mut r).unwrap();
    let template = enc.cast(&template_key).unwrap().to_bytes();
    let mut out = BufWriter::new(File::create(path).unwrap());
    let mut point = G * curve25519_dalek::Scalar::from(12345u64);
    for chunk in creds.chunks(PAGE).take(n.div_ceil(PAGE)) {
        let points: Vec<RistrettoPoint> = (0..chunk.len() * 10)
            .map(|_| {
                point += G;
                point
            })
            .collect();
        let compressed = RistrettoPoint::double_and_compress_batch(&points);
        for (i, cred) in chunk.iter().enumerate() {
            let mut b = template.clone();
            b[32..64].copy_from_slice(cred);
            for (j, c) in compressed[i * 10..i * 10 + 10].iter().enumerate() {
                b[80 + 32 * j..80 + 32 * (j + 1)].copy_from_slice(c.as_bytes());
            }
            let mut leaf = 10u64.to_le_bytes().to_vec();
            leaf.push(6);
            leaf.extend_from_slice(&b);
            out.write_all(&(leaf.len() as u32).to_le_bytes()).unwrap();
            out.write_all(&leaf).unwrap();
        }
    }
    out.flush().unwrap();
}

/// Streams the file a page at a time.
fn pages(path: &PathBuf, mut f: impl FnMut(&[(u64, Vec<u8>)])) {
    let mut input = BufReader::with_capacity(1 << 20, File::open(path).unwrap());
    let mut index = 0u64;
    let mut page = Vec::with_capacity(PAGE);
    let mut len = [0u8; 4];
    while input.read_exact(&mut len).is_ok() {
        let mut leaf = vec![0u8; u32::from_le_bytes(len) as usize];
        input.read_exact(&mut leaf).unwrap();
        page.push((index, leaf));
        index += 1;
        if page.len() == PAGE {
            f(&page);
            page.clear();
        }
    }
    if !page.is_empty() {
        f(&page);
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this once, small, as a check.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("TALLY_BENCH_BALLOTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benchmarking { 1_000_000 } else { 2_000 });
    let m = manifest();
    let election_key = Point::from_point(protocol::group::hash_to_group(b"bench election key"));
    let ctx = BallotContext::new(&m, election_key, [9u8; 32]);
    let setup = Instant::now();
    let keys: Vec<[u8; 32]> = (1..=n as u64)
        .into_par_iter()
        .map(|i| *key(i).public_key().as_bytes())
        .collect();
    let list = CredentialList::new(
        keys.par_iter()
            .map(|k| CredentialEntry {
                key: protocol::signature::PublicKey::from_bytes(*k, "k").unwrap(),
                weight: 1,
            })
            .collect(),
    )
    .unwrap();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tally-bench-{n}.record"));
    if !path.exists() {
        eprintln!("generating {n} ballots into {} ...", path.display());
        generate(&path, n, &ctx, &keys);
    }
    eprintln!(
        "set-up: {:.1} s (not timed below)",
        setup.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    let mut selection = Selection::default();
    pages(&path, |p| {
        selection.scan(p.iter().map(|(i, l)| (*i, l.as_slice())))
    });
    let pass1 = start.elapsed();
    let mut agg = Aggregator::new(&m, &ctx, &list, &selection);
    pages(&path, |p| agg.add_page(p).unwrap());
    let tally = agg.finish().unwrap();
    let total = start.elapsed();
    assert_eq!(tally.tally().contests[0].len(), 5);
    println!("ballots:          {n} (1-of-5, from a record file, pages of {PAGE})");
    println!("threads:          {}", rayon::current_num_threads());
    println!("pass 1 (select):  {:.2} s", pass1.as_secs_f64());
    println!("pass 2 (sum):     {:.2} s", (total - pass1).as_secs_f64());
    println!(
        "total:            {:.2} s ({:.1} µs a ballot)",
        total.as_secs_f64(),
        total.as_secs_f64() * 1e6 / n as f64
    );
}
