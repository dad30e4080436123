//! One mixer's work (spec §12.9), measured: shuffle `--ballots N` ranked ballots of `--width w`
//! ciphertexts, prove the shuffle, verify the proof, each timed once and printed (a benchmark,
//! not a test). `cargo run --release -p protocol --example mix-bench -- --ballots 10000 --width 10`
use std::time::Instant;

use protocol::elgamal::ElectionPublicKey;
use protocol::encoding::Encode;
use protocol::group::{mul_g, Point};
use protocol::shuffle::{prove, shuffle, verify, Row};
use rand_core::OsRng;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

fn main() {
    let (n, w) = (arg("--ballots", 10_000), arg("--width", 10));
    let key = ElectionPublicKey::new(Point::from_point(mul_g(987_654_321)));
    let started = Instant::now();
    let input: Vec<Row> = (0..n)
        .map(|i| {
            (0..w)
                .map(|k| key.encrypt(((i + k) % 14) as u64, &mut OsRng).0)
                .collect()
        })
        .collect();
    println!(
        "{n} ballots x {w} ciphertexts encrypted in {:.2} s (setup, not the mixer's)",
        started.elapsed().as_secs_f64()
    );
    let fp = [1u8; 32];
    let t = Instant::now();
    let (output, secret) = shuffle(&key, &input, &mut OsRng).unwrap();
    let shuffled = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let proof = prove(&fp, &key, &input, &output, secret, &mut OsRng).unwrap();
    let proved = t.elapsed().as_secs_f64();
    let t = Instant::now();
    verify(&fp, key.point(), &input, &output, &proof, &mut OsRng).unwrap();
    let verified = t.elapsed().as_secs_f64();
    let mut bytes = Vec::new();
    proof.encode(&mut bytes);
    println!("shuffle (re-encrypt and permute): {shuffled:.2} s");
    println!("prove:                            {proved:.2} s");
    println!(
        "shuffle and prove:                {:.2} s (goal for 10,000 x 10: under 20 s)",
        shuffled + proved
    );
    println!("verify:                           {verified:.2} s (goal: under 15 s)");
    println!(
        "proof size: {:.1} MiB; output {:.1} MiB (one thread)",
        bytes.len() as f64 / (1 << 20) as f64,
        (n * w * 64) as f64 / (1 << 20) as f64
    );
}
