//! `board-flood`: honest voters cast while attackers flood the board (loopback only, bounded in
//! count and time). Creates an election on a running board, encrypts every ballot beforehand,
//! casts half the honest ballots with no attack ("calm") and the other half while attackers send
//! garbage JSON, well-signed ballots whose proofs fail, huge bodies and slow bodies ("flood"), in
//! alternating rounds, and prints honest throughput and latency for both side by side, what the
//! attackers got back, and the board's peak memory. Honest voters retry `429`/`503` as the voting
//! page does (backoff, never sooner than `Retry-After`); their latency includes those waits.
//!
//! Exit codes: 0 every honest ballot receipted, 1 an honest ballot was lost or a receipt did not
//! verify, 2 bad arguments or the board could not be set up.
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bulletin_board::board::now;
use bulletin_board::sim::{ballot_entry, post_body, SimElection};
use clap::Parser;
use protocol::signature::PublicKey;
use rand_core::{OsRng, RngCore};
use serde_json::Value;

#[derive(Parser)]
#[command(about = "Honest voters against a flood of bad requests, on loopback")]
struct Args {
    /// The board's base URL (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The board's process id, to report its memory (from /proc).
    #[arg(long)]
    board_pid: Option<u32>,
    /// Honest ballots in each of the two phases.
    #[arg(long, default_value_t = 3000)]
    voters: usize,
    /// Concurrent honest clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Connections sending garbage JSON, in a loop.
    #[arg(long, default_value_t = 8)]
    garbage: usize,
    /// Connections sending signed ballots whose proofs fail, in a loop.
    #[arg(long, default_value_t = 4)]
    invalid_proofs: usize,
    /// Connections sending 64 MiB bodies (no length given), in a loop.
    #[arg(long, default_value_t = 4)]
    huge: usize,
    /// Connections sending a body one byte every 200 ms, reconnecting when cut.
    #[arg(long, default_value_t = 200)]
    slow: usize,
    /// Attack requests in all at most (the flood also stops when the honest phase ends).
    #[arg(long, default_value_t = 1_000_000)]
    max_attacks: u64,
    /// Seconds each flood phase lasts at most.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// Calm and flooded phases alternate this many times (the honest ballots split evenly), so
    /// that the machine's drift over the run falls on both alike.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// KiB of a /proc/PID/status field (VmRSS, VmHWM).
fn proc_kib(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// CPU seconds a process has used (user + system), from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at state, field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// CPU seconds of the board and of this tool over `seconds` of one mode's rounds.
#[derive(Default)]
struct Usage {
    board: f64,
    tool: f64,
    seconds: f64,
}

impl Usage {
    fn add(&mut self, board: f64, tool: f64, seconds: f64) {
        self.board += board;
        self.tool += tool;
        self.seconds += seconds;
    }
}

#[derive(Default)]
struct Phase {
    latencies: Vec<Duration>,
    elapsed: Duration,
    retries: u64,
    lost: Vec<String>,
}

impl Phase {
    /// Adds another round of the same mode.
    fn absorb(&mut self, other: Phase) {
        self.latencies.extend(other.latencies);
        self.elapsed += other.elapsed;
        self.retries += other.retries;
        self.lost.extend(other.lost);
    }
}

/// Casts `bodies` from `clients` concurrent clients, retrying 429/503 with backoff.
async fn cast(
    url: &str,
    bodies: Vec<String>,
    clients: usize,
    key: &PublicKey,
    hash: &[u8; 32],
) -> Phase {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .finish();
    let queue = Rc::new(std::cell::RefCell::new(bodies));
    let retries = Rc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, url, queue, retries, key, hash) = (
            client.clone(),
            url.to_owned(),
            queue.clone(),
            retries.clone(),
            *key,
            *hash,
        );
        tasks.push(actix_web::rt::spawn(async move {
            let mut latencies = Vec::new();
            let mut lost = Vec::new();
            loop {
                let Some(body) = queue.borrow_mut().pop() else {
                    return (latencies, lost);
                };
                let t = Instant::now();
                let mut delay = Duration::from_millis(500);
                loop {
                    let sent = client
                        .post(&url)
                        .insert_header(("content-type", "application/json"))
                        .send_body(body.clone())
                        .await;
                    let (status, retry_after, answer) = match sent {
                        Ok(mut resp) => {
                            let retry_after = resp
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.parse::<u64>().ok());
                            let bytes = resp.body().limit(1 << 20).await.unwrap_or_default();
                            let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                            (Some(resp.status().as_u16()), retry_after, json)
                        }
                        Err(_) => (None, None, Value::Null),
                    };
                    match status {
                        Some(200 | 201) => {
                            let ok = bulletin_board::api::parse_receipt(&answer)
                                .and_then(|(r, sig)| r.verify(&hash, &key, &sig).ok());
                            if ok.is_some() {
                                latencies.push(t.elapsed());
                            } else {
                                lost.push("a receipt that does not verify".to_owned());
                            }
                            break;
                        }
                        None | Some(429 | 503) if t.elapsed() < Duration::from_secs(120) => {
                            retries.fetch_add(1, Ordering::Relaxed);
                            let wait = delay.max(Duration::from_secs(retry_after.unwrap_or(0)));
                            actix_web::rt::time::sleep(wait).await;
                            delay = (delay * 2).min(Duration::from_secs(8));
                        }
                        _ => {
                            lost.push(format!("{status:?} {answer}"));
                            break;
                        }
                    }
                }
            }
        }));
    }
    let mut phase = Phase {
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
        retries: 0,
        lost: Vec::new(),
    };
    for t in tasks {
        let (l, lost) = t.await.expect("client task");
        phase.latencies.extend(l);
        phase.lost.extend(lost);
    }
    phase.elapsed = started.elapsed();
    phase.retries = retries.load(Ordering::Relaxed);
    phase.latencies.sort();
    phase
}

/// What the attackers sent and what came back, by kind and answer.
#[derive(Default)]
struct AttackLog {
    answers: Mutex<BTreeMap<(&'static str, String), u64>>,
    sent: AtomicU64,
}

impl AttackLog {
    fn note(&self, kind: &'static str, answer: String) {
        *self
            .answers
            .lock()
            .expect("not poisoned")
            .entry((kind, answer))
            .or_default() += 1;
    }
}

/// The status line's code, or what happened instead.
fn read_status(stream: &mut TcpStream) -> String {
    let mut head = [0u8; 12];
    match stream.read_exact(&mut head) {
        Ok(()) => String::from_utf8_lossy(&head[9..12]).into_owned(),
        Err(_) => "closed".to_owned(),
    }
}

fn request(addr: SocketAddr, path: &str, headers: &str, body: &[u8]) -> String {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
        return "connect failed".to_owned();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: board\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    );
    if s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(body))
        .is_err()
    {
        return "closed".to_owned();
    }
    read_status(&mut s)
}

/// A body with no length, sent in 1 MiB chunks until 64 MiB or the board stops it.
fn huge(addr: SocketAddr, path: &str) -> String {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
        return "connect failed".to_owned();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: board\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    if s.write_all(head.as_bytes()).is_err() {
        return "closed".to_owned();
    }
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..64 {
        let framed = s
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|()| s.write_all(&chunk))
            .and_then(|()| s.write_all(b"\r\n"));
        if framed.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    read_status(&mut s)
}

/// Headers, then a 3,000-byte body at one byte every 200 ms.
fn slow(addr: SocketAddr, path: &str, stop: &AtomicBool) -> String {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
        return "connect failed".to_owned();
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: board\r\nContent-Type: application/json\r\nContent-Length: 3000\r\n\r\n"
    );
    if s.write_all(head.as_bytes()).is_err() {
        return "closed".to_owned();
    }
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    for _ in 0..3000 {
        if stop.load(Ordering::Relaxed) {
            return "stopped".to_owned();
        }
        if s.write_all(b" ").is_err() {
            return "closed".to_owned();
        }
        let mut peek = [0u8; 1];
        match s.peek(&mut peek) {
            Ok(0) => return "closed".to_owned(),
            Ok(_) => {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                return read_status(&mut s);
            }
            Err(_) => {}
        }
    }
    "sent whole".to_owned()
}

/// One flooded phase: the attackers start, the flood builds up for 2 s, the honest voters cast
/// `bodies`, and the attackers stop. Returns the honest phase and how long the flood lasted.
#[allow(clippy::too_many_arguments)]
async fn flood_round(
    args: &Args,
    addr: SocketAddr,
    path: &str,
    invalid_bodies: &Arc<Vec<String>>,
    log: &Arc<AttackLog>,
    url: &str,
    bodies: Vec<String>,
    key: &PublicKey,
    hash: &[u8; 32],
) -> (Phase, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut attackers = Vec::new();
    let kinds = [
        ("garbage JSON", args.garbage),
        ("invalid proof", args.invalid_proofs),
        ("huge body", args.huge),
        ("slow body", args.slow),
    ];
    for (kind, count) in kinds {
        for n in 0..count {
            let (stop, log, path, invalid_bodies) = (
                stop.clone(),
                log.clone(),
                path.to_owned(),
                invalid_bodies.clone(),
            );
            let (max, limit) = (args.max_attacks, Duration::from_secs(args.seconds));
            attackers.push(
                std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        let mut i = n;
                        while !stop.load(Ordering::Relaxed)
                            && started.elapsed() < limit
                            && log.sent.fetch_add(1, Ordering::Relaxed) < max
                        {
                            let answer = match kind {
                                "garbage JSON" => {
                                    let mut junk = vec![0u8; 2048];
                                    OsRng.fill_bytes(&mut junk);
                                    junk[0] = b'{';
                                    request(
                                        addr,
                                        &path,
                                        "Content-Type: application/json\r\n",
                                        &junk,
                                    )
                                }
                                "invalid proof" => {
                                    let body = &invalid_bodies[i % invalid_bodies.len()];
                                    request(
                                        addr,
                                        &path,
                                        "Content-Type: application/json\r\n",
                                        body.as_bytes(),
                                    )
                                }
                                "huge body" => huge(addr, &path),
                                _ => slow(addr, &path, &stop),
                            };
                            log.note(kind, answer);
                            i += 1;
                        }
                    })
                    .expect("attacker thread"),
            );
        }
    }
    // Let the flood build up before the honest voters come.
    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
    eprintln!(
        "  flooded: {} honest ballots from {} clients while {} attackers send...",
        bodies.len(),
        args.clients,
        kinds.iter().map(|(_, n)| n).sum::<usize>()
    );
    let phase = cast(url, bodies, args.clients, key, hash).await;
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        let _ = a.join();
    }
    (phase, started.elapsed().as_secs_f64())
}

fn main() -> ExitCode {
    let args = Args::parse();
    actix_web::rt::System::new().block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let addr: SocketAddr = match args
        .url
        .strip_prefix("http://")
        .and_then(|a| a.trim_end_matches('/').parse().ok())
    {
        Some(a) => a,
        None => {
            eprintln!("board-flood: --url must be http://IP:PORT");
            return ExitCode::from(2);
        }
    };
    if !addr.ip().is_loopback() {
        eprintln!("board-flood: floods only a board on loopback");
        return ExitCode::from(2);
    }
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let board = match bulletin_board::sim::board_identity(&client, &args.url).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("board-flood: {e}");
            return ExitCode::from(2);
        }
    };
    let board_key = board.key;
    // Honest voters 0..2N; attackers with credentials of their own after them.
    const INVALID: usize = 64;
    let voters = 2 * args.voters;
    let e = SimElection::new(
        &format!("flood-{}-{}", now(), std::process::id()),
        board,
        voters + INVALID,
        (now() - 60, now() + 24 * 3600),
        &mut OsRng,
    );
    let id = e.id();
    let opened = 1 + e.setup_entries().len() as u64;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let encrypt = Instant::now();
    let mut honest: Vec<String> = std::thread::scope(|s| {
        let e = &e;
        let chunk = (voters + INVALID).div_ceil(threads);
        let handles: Vec<_> = (0..voters + INVALID)
            .step_by(chunk)
            .map(|from| {
                s.spawn(move || {
                    (from..(from + chunk).min(voters + INVALID))
                        .map(|v| {
                            let b = e.ballot(v, v, opened, &mut OsRng);
                            if v < voters {
                                return post_body(&ballot_entry(b));
                            }
                            // Signed by a listed credential, but its ciphertexts swapped: every
                            // check passes up to the proofs.
                            let mut enc = b.encrypted;
                            enc.contests[0].ciphertexts.swap(0, 1);
                            let forged = enc.cast(&e.credentials[v]).expect("own credential");
                            post_body(&ballot_entry(forged))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("encryption thread"))
            .collect()
    });
    let invalid_bodies = honest.split_off(voters);
    eprintln!(
        "{} honest and {INVALID} invalid-proof ballots encrypted in {:.1} s; setting up...",
        honest.len(),
        encrypt.elapsed().as_secs_f64()
    );
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    if let Err(err) = bulletin_board::sim::post_setup(&client, &args.url, &e).await {
        eprintln!("board-flood: {err}");
        return ExitCode::from(2);
    }
    let ballots_url = format!("{}/v1/elections/{id}/ballots", args.url);
    let path = format!("/v1/elections/{id}/ballots");
    let mut flood_bodies = honest.split_off(args.voters);
    let mut calm_bodies = honest;

    let peak_before = args.board_pid.and_then(|p| proc_kib(p, "VmHWM:"));
    let cpu = |pid: Option<u32>| pid.and_then(cpu_seconds).unwrap_or(0.0);
    let me = Some(std::process::id());
    let log = Arc::new(AttackLog::default());
    let invalid_bodies = Arc::new(invalid_bodies);
    // Memory over the whole run, sampled.
    let done = Arc::new(AtomicBool::new(false));
    let rss_max = Arc::new(AtomicU64::new(0));
    let sampler = args.board_pid.map(|pid| {
        let (done, rss_max) = (done.clone(), rss_max.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Some(kib) = proc_kib(pid, "VmRSS:") {
                    rss_max.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    });
    let rate = |p: &Phase| p.latencies.len() as f64 / p.elapsed.as_secs_f64();
    let rounds = args.rounds.max(1);
    let (mut calm, mut flood) = (Phase::default(), Phase::default());
    let (mut calm_cpu, mut flood_cpu) = (Usage::default(), Usage::default());
    let mut ratios = Vec::new();
    let mut peak_calm = None;
    let run_started = Instant::now();
    for round in 0..rounds {
        let part = |bodies: &mut Vec<String>| {
            let n = bodies.len() / (rounds - round);
            bodies.split_off(bodies.len() - n)
        };
        let (calm_part, flood_part) = (part(&mut calm_bodies), part(&mut flood_bodies));
        eprintln!(
            "round {}/{rounds}: {} honest ballots calm, then {} while flooded...",
            round + 1,
            calm_part.len(),
            flood_part.len()
        );
        let (board0, own0) = (cpu(args.board_pid), cpu(me));
        let c = cast(
            &ballots_url,
            calm_part,
            args.clients,
            &board_key,
            &e.manifest_hash,
        )
        .await;
        let (board1, own1) = (cpu(args.board_pid), cpu(me));
        peak_calm = args.board_pid.and_then(|p| proc_kib(p, "VmHWM:"));
        let (f, seconds) = flood_round(
            &args,
            addr,
            &path,
            &invalid_bodies,
            &log,
            &ballots_url,
            flood_part,
            &board_key,
            &e.manifest_hash,
        )
        .await;
        let (board2, own2) = (cpu(args.board_pid), cpu(me));
        calm_cpu.add(board1 - board0, own1 - own0, c.elapsed.as_secs_f64());
        flood_cpu.add(board2 - board1, own2 - own1, seconds);
        ratios.push(100.0 * rate(&f) / rate(&c));
        eprintln!(
            "round {}/{rounds}: {:.0} ballots/s calm, {:.0} flooded ({:.0}%)",
            round + 1,
            rate(&c),
            rate(&f),
            ratios[round]
        );
        calm.absorb(c);
        flood.absorb(f);
    }
    done.store(true, Ordering::Relaxed);
    if let Some(s) = sampler {
        let _ = s.join();
    }
    calm.latencies.sort();
    flood.latencies.sort();
    let peak_after = args.board_pid.and_then(|p| proc_kib(p, "VmHWM:"));
    let flood_seconds = flood_cpu.seconds;

    println!(
        "board:              {} ({} cores on this machine)",
        args.url, threads
    );
    println!(
        "honest voters:      {} clients, 1-of-5 ballots, retrying 429/503 with backoff",
        args.clients
    );
    println!("                     calm        flood");
    println!(
        "receipted:          {:>8}     {:>8}",
        calm.latencies.len(),
        flood.latencies.len()
    );
    println!(
        "ballots/s:          {:>8.0}     {:>8.0}",
        rate(&calm),
        rate(&flood)
    );
    for (name, p) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
        println!(
            "latency {name} (ms):  {:>8.1}     {:>8.1}",
            ms(percentile(&calm.latencies, p)),
            ms(percentile(&flood.latencies, p))
        );
    }
    println!(
        "retries (429/503):  {:>8}     {:>8}",
        calm.retries, flood.retries
    );
    println!(
        "lost:               {:>8}     {:>8}",
        calm.lost.len(),
        flood.lost.len()
    );
    println!(
        "board CPU (cores):  {:>8.2}     {:>8.2}",
        calm_cpu.board / calm_cpu.seconds,
        flood_cpu.board / flood_cpu.seconds
    );
    println!(
        "this tool's CPU:    {:>8.2}     {:>8.2}   (voters and attackers share the machine)",
        calm_cpu.tool / calm_cpu.seconds,
        flood_cpu.tool / flood_cpu.seconds
    );
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.0}%")).collect();
    println!(
        "flood vs calm:      {:.0}% of the throughput ({rounds} rounds, calm then flooded, each: {})",
        100.0 * rate(&flood) / rate(&calm),
        each.join(", ")
    );
    let answers = log.answers.lock().expect("not poisoned");
    println!(
        "attack requests:    {} in {:.1} s of flood ({:.1} s in all)",
        answers.values().sum::<u64>(),
        flood_seconds,
        run_started.elapsed().as_secs_f64()
    );
    for ((kind, answer), n) in answers.iter() {
        println!("  {kind:<15} -> {answer:<12} {n}");
    }
    if let Some(pid) = args.board_pid {
        let mib =
            |k: Option<u64>| k.map_or("?".to_owned(), |k| format!("{:.0} MiB", k as f64 / 1024.0));
        println!(
            "board memory:       peak {} before, {} after the last calm phase, {} after the last flood (RSS sampled throughout: max {}); pid {pid}",
            mib(peak_before),
            mib(peak_calm),
            mib(peak_after),
            mib(Some(rss_max.load(Ordering::Relaxed)))
        );
    }
    for l in calm.lost.iter().chain(&flood.lost).take(5) {
        eprintln!("lost: {l}");
    }
    if calm.lost.is_empty() && flood.lost.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
