//! Reads and verifies a record export (spec §13.7) with the tools' streaming reader and prints how
//! long it took and the process's peak memory (the README's figure for the tools' reader).
//!
//!     curl -o record.bin http://127.0.0.1:8080/v1/elections/ID/record
//!     cargo run --release -p cli-support --example read-record -- record.bin
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: read-record FILE");
    let election = cli_support::record::election_of(std::io::BufReader::new(
        std::fs::File::open(&path).expect("readable file"),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let before = peak_rss_mib();
    let start = Instant::now();
    let file = std::fs::File::open(&path).expect("readable file");
    let record = cli_support::record::read_record(file, &election, &mut |_, _, _| {})
        .unwrap_or_else(|e| panic!("{e}"));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} leaves ({} ballots, {} counted), phase {:?}: verified in {secs:.1} s ({:.0} ballots/s); peak RSS {:.0} MiB (before reading: {before:.0} MiB)",
        record.len(),
        record.ballots_cast,
        record.counted.len(),
        record.phase,
        record.ballots_cast as f64 / secs,
        peak_rss_mib()
    );
}
