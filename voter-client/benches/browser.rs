//! Encrypting and proving ballots inside headless Chromium (Debian's chromium), on the built page
//! (`scripts/build-client.sh`), against the same code natively, and the page's download size.
//! Prints figures; run with `cargo bench -p voter-client --bench browser`.
//! Targets (issue 7): a 1-of-5 ballot under 15 ms, a 20-project budget under 100 ms, the
//! gzipped WebAssembly under 400 KiB.
#[path = "../tests/common/browser.rs"]
mod browser;
#[path = "../../election-authority/tests/common/processes.rs"]
mod processes;

use std::process::Command;
use std::time::{Duration, Instant};

use browser::{dist, Browser};
use processes::{scratch, Board};
use rand_core::OsRng;

fn main() {
    // `cargo test --benches` runs this once with `--bench` absent: keep that quick.
    let full = std::env::args().any(|a| a == "--bench");
    let (choose_runs, budget_runs) = if full { (200, 50) } else { (3, 1) };
    let dist = dist();
    let board = Board::start_serving(&scratch("bench-page").join("board"), Some(&dist));
    let page = Browser::start();
    page.goto(&format!("{}/#e=", board.url));
    let deadline = Instant::now() + Duration::from_secs(30);
    while page.script("arguments[0](typeof window.thistle)") != "object" {
        assert!(Instant::now() < deadline, "the page did not load");
        std::thread::sleep(Duration::from_millis(100));
    }
    let in_browser = |shape: &str, runs: u32| {
        page.script(&format!(
            "arguments[0](window.thistle.bench_encrypt('{shape}', {runs}))"
        ))
        .as_f64()
        .unwrap()
    };
    let native = |shape: &str, runs: u32| {
        let start = Instant::now();
        voter_client::bench::encrypt_mean_ms(
            shape,
            runs,
            || start.elapsed().as_secs_f64() * 1e3,
            &mut OsRng,
        )
        .unwrap()
    };
    println!("encrypt and prove one ballot, mean (headless Chromium / native release):");
    for (shape, label, runs) in [
        ("choose", "1 of 5", choose_runs),
        ("budget", "budget of 20", budget_runs),
    ] {
        let (b, n) = (in_browser(shape, runs), native(shape, runs));
        println!(
            "  {label:<14} {b:>8.2} ms / {n:>6.2} ms  ({:.1}x, {runs} ballots)",
            b / n
        );
    }
    let longest = |shape: &str, runs: u32| {
        page.script(&format!(
            "arguments[0](window.thistle.bench_longest_step('{shape}', {runs}))"
        ))
        .as_f64()
        .unwrap()
    };
    println!("encrypting in steps, as the page does: the longest step in headless Chromium");
    println!("  (the page paints between 12 ms slices; a slice overruns by at most one step)");
    for (shape, label, runs) in [
        ("choose", "1 of 5", choose_runs / 4),
        ("budget", "budget of 20", budget_runs),
    ] {
        println!(
            "  {label:<14} {:>8.2} ms  ({runs} ballots)",
            longest(shape, runs.max(1))
        );
    }
    let wasm = dist.join("thistle_bg.wasm");
    let gz = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -9 -n -c '{}' | wc -c", wasm.display()))
        .output()
        .unwrap();
    let gz: u64 = String::from_utf8_lossy(&gz.stdout).trim().parse().unwrap();
    println!(
        "page WebAssembly: {} KiB, {} KiB gzipped",
        std::fs::metadata(&wasm).unwrap().len() / 1024,
        gz / 1024
    );
}
