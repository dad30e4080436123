//! A mixnet's work (spec §12.8–§12.10), measured: `--ballots N` ranked ballots of `--width w`
//! ciphertexts through `--mixers M` mixers (each shuffles and proves; every mix is verified), then
//! with `--decrypt` two of three trustees' decryption shares with their proofs, the combination,
//! and the STV count of the decrypted rows. Each step is timed once and printed (a benchmark, not
//! a test), with the process's peak memory. One thread.
//!
//!     cargo run --release -p protocol --example mix-bench -- --ballots 10000 --width 10
//!     cargo run --release -p protocol --example mix-bench -- --ballots 1000000 --width 1 --mixers 3 --decrypt
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use protocol::encoding::Encode;
use protocol::mixdecrypt::{combine, decrypt_share, MixDecryption};
use protocol::shuffle::{prove, shuffle, verify, Row};
use protocol::stv::{count, Method, Profile, Ranking};
use rand_core::OsRng;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

fn peak_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or("?".into(), |kb| format!("{} MiB", kb / 1024))
}

fn main() {
    let (n, w, mixers) = (
        arg("--ballots", 10_000),
        arg("--width", 10),
        arg("--mixers", 1),
    );
    let decrypt = std::env::args().any(|a| a == "--decrypt");
    let candidates = 13u64;
    // A 2-of-3 election key from a real key ceremony (the tests' set-up).
    let e = support::Election::new(support::all_kinds_contests(), 3, 2, 1, |_| 1);
    let key = &e.ballot_ctx.key;
    let fp = e.ctx.fingerprint;
    let started = Instant::now();
    let input: Vec<Row> = (0..n)
        .map(|i| {
            (0..w)
                .map(|k| {
                    key.encrypt(((i * 7 + k) as u64) % (candidates + 1), &mut OsRng)
                        .0
                })
                .collect()
        })
        .collect();
    println!(
        "{n} ballots x {w} ciphertexts encrypted in {:.2} s (set-up, not the mixnet's)",
        started.elapsed().as_secs_f64()
    );
    let all = Instant::now();
    let mut rows = input;
    let (mut mixing, mut verifying) = (0.0, 0.0);
    for m in 1..=mixers {
        let t = Instant::now();
        let (output, secret) = shuffle(key, &rows, &mut OsRng).unwrap();
        let shuffled = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let proof = prove(&fp, key, &rows, &output, secret, &mut OsRng).unwrap();
        let proved = t.elapsed().as_secs_f64();
        let t = Instant::now();
        verify(&fp, key.point(), &rows, &output, &proof, &mut OsRng).unwrap();
        let verified = t.elapsed().as_secs_f64();
        let mut bytes = Vec::new();
        proof.encode(&mut bytes);
        println!(
            "mixer {m}: shuffle {shuffled:.2} s + prove {proved:.2} s = {:.2} s; verify {verified:.2} s; proof {:.1} MiB",
            shuffled + proved,
            bytes.len() as f64 / (1 << 20) as f64
        );
        mixing += shuffled + proved;
        verifying += verified;
        rows = output;
    }
    if decrypt {
        let t = Instant::now();
        let shares: Vec<MixDecryption> = e.ceremony.shares[..2]
            .iter()
            .map(|s| decrypt_share(&fp, s, &rows, &mut OsRng))
            .collect();
        let shared = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for s in &shares {
            let y = e.ceremony.outcome.verification_share(s.trustee).unwrap();
            s.verify(&fp, &y, &rows).unwrap();
        }
        let checked = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let chosen: Vec<&MixDecryption> = shares.iter().collect();
        let values = combine(&rows, &chosen, 2, candidates).unwrap();
        let combined = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let papers = values
            .into_iter()
            .map(|row| Ranking {
                weight: 1,
                ranking: row
                    .into_iter()
                    .take_while(|&v| v != 0)
                    .map(|v| v as u16 - 1)
                    .collect(),
            })
            .collect();
        let profile = Profile::new(candidates as usize, 4, papers, vec![]).unwrap();
        let sheet = count(&profile, Method::ScottishStv, &[0; 32]);
        let counted = t.elapsed().as_secs_f64();
        println!(
            "decrypt: 2 trustees' shares {shared:.2} s, their proofs checked {checked:.2} s, combined {combined:.2} s; STV count {counted:.3} s ({} stages)",
            sheet.stages.len()
        );
    }
    println!(
        "all mixers: mixing {mixing:.2} s, verifying {verifying:.2} s; end to end {:.2} s; peak memory {}",
        all.elapsed().as_secs_f64(),
        peak_mib()
    );
}
