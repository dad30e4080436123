//! `board-load`: a load generator for the bulletin board. Creates an election with N voters on a
//! running board, encrypts one 1-of-5 ballot per casting voter (`--turnout`) beforehand (on every
//! core, untimed), then casts them from C concurrent HTTP clients and prints accepted ballots per
//! second and latency percentiles to the signed receipt. Every receipt's signature is checked
//! afterwards.
//!
//! Exit codes: 0 all ballots accepted, 1 a ballot was refused or a receipt did not verify, 2 bad
//! arguments or the board could not be set up.
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bulletin_board::board::now;
use bulletin_board::sim::{ballot_entry, post_body, SimElection};
use clap::Parser;
use rand_core::OsRng;
use serde_json::Value;

#[derive(Parser)]
#[command(about = "Casts ballots at a running bulletin board and reports throughput and latency")]
struct Args {
    /// The board's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Voters (one ballot each).
    #[arg(long, default_value_t = 10_000)]
    voters: usize,
    /// Percentage of the voters who cast a ballot (the rest are only listed, as in a real
    /// electorate).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(1..=100))]
    turnout: u8,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Threads encrypting ballots before the timed phase (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// A witness the election's manifest names, as NAME=HEXKEY=URL (repeatable; spec §13.9):
    /// the run then also reports how far the witnessed checkpoint lags behind the board's.
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    /// Cosignatures a checkpoint needs (default: all the witnesses given).
    #[arg(long)]
    witness_quorum: Option<u32>,
}

fn witness_info(spec: &str) -> Result<protocol::manifest::WitnessInfo, String> {
    let mut parts = spec.splitn(3, '=');
    let (Some(name), Some(key), Some(url)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("--witness {spec}: expected NAME=HEXKEY=URL"));
    };
    let key: [u8; 32] = hex::decode(key)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| format!("--witness {spec}: the key must be 64 hex digits"))?;
    Ok(protocol::manifest::WitnessInfo {
        name: name.into(),
        key: protocol::signature::PublicKey::from_bytes(key, "witness key")
            .map_err(|e| format!("--witness {spec}: {e}"))?,
        url: url.into(),
    })
}

/// `(board size, witnessed size)` of the election's latest checkpoints.
async fn sizes(client: &awc::Client, url: &str) -> Option<(u64, u64)> {
    let mut resp = client.get(url).send().await.ok()?;
    let v: Value = resp.json().await.ok()?;
    Some((
        v["size"].as_u64()?,
        v["witnessed"]["size"].as_u64().unwrap_or(0),
    ))
}

async fn send(client: &awc::Client, url: &str, body: String) -> Result<(u16, Value), String> {
    let mut resp = client
        .post(url)
        .insert_header(("content-type", "application/json"))
        .send_body(body)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let bytes = resp
        .body()
        .limit(1 << 20)
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        resp.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> ExitCode {
    let args = Args::parse();
    actix_web::rt::System::new().block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let board = match bulletin_board::sim::board_identity(&client, &args.url).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("board-load: {e}");
            return ExitCode::from(2);
        }
    };
    let board_key = board.key;

    let witnesses: Vec<_> = match args.witnesses.iter().map(|w| witness_info(w)).collect() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("board-load: {e}");
            return ExitCode::from(2);
        }
    };
    let quorum = args
        .witness_quorum
        .unwrap_or(witnesses.len() as u32)
        .min(witnesses.len() as u32);
    let witnessed = !witnesses.is_empty();

    let started = Instant::now();
    let e = SimElection::witnessed(
        &format!("load-{}-{}", now(), std::process::id()),
        board,
        (now() - 60, now() + 24 * 3600),
        bulletin_board::sim::SimSpec {
            trustees: 3,
            threshold: 2,
            contests: bulletin_board::sim::one_of_five(),
            weights: vec![1; args.voters],
            tampered_share: None,
        },
        (witnesses, quorum),
        &mut OsRng,
    );
    let id = e.id();
    // Ballots see the board as it is when voting opens: the manifest and the set-up entries.
    let opened = 1 + e.setup_entries().len() as u64;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let encrypt_start = Instant::now();
    let casting_voters = (args.voters * args.turnout as usize).div_ceil(100);
    let chunk = casting_voters.div_ceil(threads.max(1)).max(1);
    let bodies: Vec<String> = std::thread::scope(|s| {
        let e = &e;
        let handles: Vec<_> = (0..casting_voters)
            .step_by(chunk)
            .map(|from| {
                s.spawn(move || {
                    (from..(from + chunk).min(casting_voters))
                        .map(|v| post_body(&ballot_entry(e.ballot(v, v, opened, &mut OsRng))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("encryption thread"))
            .collect()
    });
    eprintln!(
        "{} ballots encrypted in {:.1} s (election built in {:.1} s); setting up...",
        bodies.len(),
        encrypt_start.elapsed().as_secs_f64(),
        (encrypt_start - started).as_secs_f64()
    );
    // A fresh client: the encryption above blocked this thread, which the first client's
    // connection pool does not survive.
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();

    let setup_start = Instant::now();
    if let Err(err) = bulletin_board::sim::post_setup(&client, &args.url, &e).await {
        eprintln!("board-load: {err}");
        return ExitCode::from(2);
    }
    eprintln!(
        "election {id} set up in {:.1} s ({} listed voters); casting {} ballots from {} clients...",
        setup_start.elapsed().as_secs_f64(),
        args.voters,
        casting_voters,
        args.clients
    );

    // With witnesses: how far the witnessed checkpoint lags behind the board's, while casting.
    let checkpoint_url = format!("{}/v1/elections/{id}/checkpoint", args.url);
    let casting = Rc::new(std::cell::Cell::new(true));
    let sampler = {
        let (client, url, casting) = (client.clone(), checkpoint_url.clone(), casting.clone());
        actix_web::rt::spawn(async move {
            let mut lags = Vec::new();
            while witnessed && casting.get() {
                if let Some((size, witnessed_size)) = sizes(&client, &url).await {
                    lags.push(size.saturating_sub(witnessed_size));
                }
                actix_web::rt::time::sleep(Duration::from_millis(250)).await;
            }
            lags
        })
    };
    let url = Rc::new(format!("{}/v1/elections/{id}/ballots", args.url));
    let queue = Rc::new(std::cell::RefCell::new(bodies));
    let refused = Rc::new(AtomicUsize::new(0));
    let cast_start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (client, url, queue, refused) =
            (client.clone(), url.clone(), queue.clone(), refused.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let mut out: Vec<(Duration, Value)> = Vec::new();
            loop {
                let Some(body) = queue.borrow_mut().pop() else {
                    return out;
                };
                let t = Instant::now();
                match send(&client, &url, body).await {
                    Ok((201, receipt)) => out.push((t.elapsed(), receipt)),
                    Ok((status, body)) => {
                        if refused.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("refused: {status} {body}");
                        }
                    }
                    Err(err) => {
                        if refused.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("failed: {err}");
                        }
                    }
                }
            }
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.extend(t.await.expect("client task"));
    }
    let elapsed = cast_start.elapsed();
    casting.set(false);
    let mut lags = sampler.await.unwrap_or_default();
    lags.sort_unstable();
    // Until the witnessed checkpoint covers every ballot (at most ten minutes).
    let mut caught_up = None;
    if witnessed {
        let end = opened + (casting_voters - refused.load(Ordering::Relaxed)) as u64;
        let wait = Instant::now();
        while wait.elapsed() < Duration::from_secs(600) {
            if sizes(&client, &checkpoint_url)
                .await
                .is_some_and(|(_, w)| w >= end)
            {
                caught_up = Some(wait.elapsed());
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let mut bad_receipts = 0;
    for (_, r) in &results {
        let parsed = bulletin_board::api::parse_receipt(r).and_then(|(receipt, sig)| {
            receipt.tracking_code?;
            receipt.verify(&e.manifest_hash, &board_key, &sig).ok()
        });
        if parsed.is_none() {
            bad_receipts += 1;
        }
    }
    let mut latencies: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
    latencies.sort();
    let accepted = latencies.len();
    let refused = refused.load(Ordering::Relaxed);
    println!("board:           {}", args.url);
    println!("election:        {id}");
    println!(
        "ballots:         {accepted} accepted, {refused} refused or failed, 1-of-5, {} clients",
        args.clients
    );
    println!("elapsed:         {:.2} s", elapsed.as_secs_f64());
    println!(
        "throughput:      {:.0} accepted ballots/s",
        accepted as f64 / elapsed.as_secs_f64()
    );
    if accepted > 0 {
        println!(
            "latency (ms):    p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.90)),
            ms(percentile(&latencies, 0.99)),
            ms(*latencies.last().expect("non-empty"))
        );
    }
    println!(
        "receipts:        {} verified, {bad_receipts} bad",
        accepted - bad_receipts
    );
    if witnessed {
        let pick = |p: f64| {
            lags.get(((lags.len().max(1) - 1) as f64 * p).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        println!(
            "witnesses:       {} named, quorum {quorum}; witnessed checkpoint behind the board's by p50 {} / p99 {} entries (sampled every 250 ms while casting)",
            args.witnesses.len(),
            pick(0.50),
            pick(0.99)
        );
        match caught_up {
            Some(t) => println!(
                "witnessed:       every ballot {:.2} s after the last receipt; the witnesses kept {:.0} ballots/s",
                t.as_secs_f64(),
                accepted as f64 / (elapsed + t).as_secs_f64()
            ),
            None => println!("witnessed:       NOT every ballot within 600 s of the last receipt"),
        }
    }
    if refused > 0 || bad_receipts > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
