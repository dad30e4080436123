//! `tally`: the decryption ceremony after voting closes (spec §12.6).
//!
//! Exit codes: 0 done (or already done); 1 the board refused, the record failed verification, the
//! ceremony cannot go on yet (too few trustees) or a wait timed out; 2 bad input (arguments, files,
//! passphrase).
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use cli_support::args::{OnBoard, Secret};
use cli_support::board::{BoardClient, Record};
use cli_support::keys::load_key;
use cli_support::progress::Bars;
use cli_support::Error;
use protocol::manifest::ContestKind;
use tally::ceremony::{self, Combined};
use tally::mixing;

#[derive(Parser)]
#[command(
    version,
    about = "Thistle's tally ceremony: post the encrypted tally, decrypt it (trustees), combine"
)]
struct Cli {
    #[command(subcommand)]
    step: Step,
}

#[derive(Subcommand)]
enum Step {
    /// The administrator, after voting closed: recompute the encrypted tally from the counted
    /// ballots, post it, and open the tally phase.
    Start {
        /// The administrator's key file.
        #[arg(long, default_value = "admin.key")]
        key: PathBuf,
        /// With ranked contests: wait up to this many seconds for the trustees' mixes before
        /// opening the tally phase (rerun `tally start` once they are in).
        #[arg(long, default_value_t = 0)]
        mix_wait: u64,
        #[command(flatten)]
        on: OnBoard,
        #[command(flatten)]
        secret: Secret,
    },
    /// A trustee, after voting closed, with ranked contests: verify the record (every mix so
    /// far), then shuffle each ranked contest's latest rows with a proof of shuffle and post it.
    Mix {
        /// The trustee's identity key file.
        #[arg(long, default_value = "trustee.key")]
        key: PathBuf,
        /// Give up waiting for voting to close after this many seconds.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
        #[command(flatten)]
        on: OnBoard,
        #[command(flatten)]
        secret: Secret,
    },
    /// A trustee: verify the record, recompute the tally, and decrypt this trustee's part of it
    /// (only if it equals the posted one), with a proof; also the ranked contests' last mixes.
    Decrypt {
        /// The trustee's identity key file.
        #[arg(long, default_value = "trustee.key")]
        key: PathBuf,
        /// The sealed key share (from `election-authority trustee ceremony`).
        #[arg(long, default_value = "trustee.share")]
        share: PathBuf,
        /// Give up waiting for the tally phase after this many seconds.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
        #[command(flatten)]
        on: OnBoard,
        #[command(flatten)]
        secret: Secret,
    },
    /// Anyone: check every partial decryption, combine those of the trustees present, and print
    /// the results; with --publish, the administrator also posts them.
    Combine {
        /// Post the results (needs the administrator's key).
        #[arg(long)]
        publish: bool,
        /// The administrator's key file (with --publish).
        #[arg(long, default_value = "admin.key")]
        key: PathBuf,
        /// Wait up to this many seconds for the threshold's partial decryptions to be under a
        /// checkpoint (a trustee's post is covered within the board's checkpoint interval).
        #[arg(long, default_value_t = 0)]
        wait: u64,
        #[command(flatten)]
        on: OnBoard,
        #[command(flatten)]
        secret: Secret,
    },
}

fn trustee_name(record: &Record, j: u32) -> String {
    let name = record
        .manifest
        .trustees
        .get(j as usize - 1)
        .map_or("?", |t| t.name.as_str());
    format!("trustee {j} ({name})")
}

fn kind_rule(kind: &ContestKind) -> String {
    match kind {
        ContestKind::Choose { min, max } if min == max => format!("choose {max}"),
        ContestKind::Choose { min, max } => format!("choose {min} to {max}"),
        ContestKind::Approval => "approval".into(),
        ContestKind::Score { max_score } => format!("scores 0 to {max_score}"),
        ContestKind::Cumulative { points } => format!("{points} points to spread"),
        ContestKind::Budget { budget, .. } => format!("budget of {budget}"),
        ContestKind::Ranked {
            ranks,
            seats,
            method,
        } => format!(
            "rank up to {ranks}, {seats} seat(s) by {}: counted after mixing, not summed",
            match method {
                protocol::manifest::RankedMethod::AlternativeVote => "the alternative vote",
                _ => "Scottish STV",
            }
        ),
    }
}

/// The end-of-ceremony summary: results per contest, the trustees, the tally fingerprint.
fn summary(record: &Record, combined: &Combined) -> String {
    let mut out = String::new();
    let m = &record.manifest;
    out.push_str(&format!("Election: {}\n", m.title));
    out.push_str(&format!(
        "Election id: {}\n",
        hex::encode(record.manifest_hash)
    ));
    out.push_str(&format!(
        "Tally fingerprint: {}\n",
        hex::encode(combined.tally_fingerprint)
    ));
    out.push_str(&format!(
        "Ballots: {} cast, {} counted (the last of each credential)\n",
        record.ballots_cast,
        record.counted.len()
    ));
    out.push_str(&format!(
        "Trustees ({} needed of {}):\n",
        m.threshold,
        m.trustees.len()
    ));
    for j in 1..=m.trustees.len() as u32 {
        let state = if combined.used.contains(&j) {
            "decrypted; combined".to_owned()
        } else if let Some(l) = combined.left_out.iter().find(|l| l.trustee == j) {
            format!("LEFT OUT: {}", l.reason)
        } else if combined.absent.contains(&j) {
            "absent".to_owned()
        } else {
            "holds no key share (disqualified in the key ceremony)".to_owned()
        };
        out.push_str(&format!("  {:<32} {state}\n", trustee_name(record, j)));
    }
    out.push_str("Results:\n");
    for (contest, totals) in m.contests.iter().zip(&combined.results.totals) {
        out.push_str(&format!(
            "  {} ({})\n",
            contest.title,
            kind_rule(&contest.kind)
        ));
        let top = totals.iter().copied().max().unwrap_or(0).max(1);
        for (option, total) in contest.options.iter().zip(totals) {
            let bar = "#".repeat((total * 30 / top) as usize);
            out.push_str(&format!("    {:<36} {total:>10}  {bar}\n", option.title));
        }
    }
    out
}

fn run(cli: Cli) -> Result<(), Error> {
    let mut bars = Bars::new();
    match cli.step {
        Step::Start {
            key,
            mix_wait,
            on,
            secret,
        } => {
            let admin = load_key(&key, secret.passphrase(false)?.as_bytes())?;
            let board = BoardClient::new(&on.board);
            let (posted, tally) = ceremony::post_tally(
                &board,
                &on.election,
                &admin,
                Duration::from_secs(mix_wait),
                &mut |s, d, t| bars.tick(s.label(), d, t),
            )?;
            bars.finish();
            println!(
                "encrypted tally posted; tally phase from leaf {}\ntally fingerprint {}",
                posted.index,
                ceremony::tally_fingerprint(&tally)
            );
            eprintln!(
                "next: each trustee runs `tally decrypt --election {}`",
                on.election
            );
        }
        Step::Mix {
            key,
            timeout,
            on,
            secret,
        } => {
            let identity = load_key(&key, secret.passphrase(false)?.as_bytes())?;
            let board = BoardClient::new(&on.board);
            let started = Instant::now();
            let done = mixing::mix(
                &board,
                &on.election,
                &identity,
                Duration::from_secs(timeout),
                &mut |s, d, t| bars.tick(s.label(), d, t),
            )?;
            bars.finish();
            if done.is_empty() {
                println!("the election has no ranked contest: nothing to mix");
            }
            for step in done {
                match step.posted {
                    Some(posted) => println!(
                        "contest {:?}: {} ballots mixed with a proof of shuffle, posted at leaf {} ({:.1} s)",
                        step.id,
                        step.rows,
                        posted.index,
                        started.elapsed().as_secs_f64()
                    ),
                    None if step.rows == 0 => {
                        println!("contest {:?}: no counted ballot, nothing to mix", step.id)
                    }
                    None => println!(
                        "contest {:?}: this trustee's mix is on the record already",
                        step.id
                    ),
                }
            }
        }
        Step::Decrypt {
            key,
            share,
            timeout,
            on,
            secret,
        } => {
            let pass = secret.passphrase(false)?;
            let identity = load_key(&key, pass.as_bytes())?;
            let board = BoardClient::new(&on.board);
            let started = Instant::now();
            let done = ceremony::decrypt(
                &board,
                &on.election,
                &identity,
                &share,
                pass.as_bytes(),
                Duration::from_secs(timeout),
                &mut |s, d, t| bars.tick(s.label(), d, t),
            )?;
            bars.finish();
            let fingerprint = ceremony::tally_fingerprint(&done.tally);
            match done.posted {
                Some(posted) => println!(
                    "trustee {} decrypted the tally {fingerprint} (recomputed here and equal to the posted one); partial decryption posted at leaf {} ({:.1} s)",
                    done.trustee,
                    posted.index,
                    started.elapsed().as_secs_f64()
                ),
                None => println!(
                    "trustee {} had already decrypted the tally {fingerprint}; its partial decryption is on the record",
                    done.trustee
                ),
            }
            if !done.mixes.is_empty() {
                println!(
                    "decryption fingerprint {} (the tally and each ranked contest's last mix): compare it with the other trustees",
                    done.decryption_fingerprint
                );
            }
            for step in &done.mixes {
                if let Some(posted) = &step.posted {
                    println!(
                        "trustee {} decrypted contest {:?}'s last mix ({} ballots), posted at leaf {}",
                        done.trustee, step.id, step.rows, posted.index
                    );
                }
            }
        }
        Step::Combine {
            publish,
            key,
            wait,
            on,
            secret,
        } => {
            let board = BoardClient::new(&on.board);
            let admin = if publish {
                Some(load_key(&key, secret.passphrase(false)?.as_bytes())?)
            } else {
                None
            };
            let waited = Instant::now();
            let record = loop {
                let record =
                    board.record_with(&on.election, &mut |s, d, t| bars.tick(s.label(), d, t))?;
                // The threshold's partial decryptions, and as many of every last mix (a trustee
                // posts them one after the other: a checkpoint may cover one and not yet the
                // other).
                let enough = record.partials().len() >= record.manifest.threshold as usize
                    && mixing::mix_decryptions_complete(&record);
                if enough || waited.elapsed() >= Duration::from_secs(wait) {
                    break record;
                }
                std::thread::sleep(Duration::from_millis(300));
            };
            bars.finish();
            let combined = ceremony::combine_record(&record)?;
            print!("{}", summary(&record, &combined));
            let counts = mixing::counts(&record)?;
            for count in &counts {
                let contest = &record.manifest.contests[count.contest as usize];
                println!(
                    "  {} ({}; {} papers, mixed by trustees {:?})",
                    contest.title,
                    kind_rule(&contest.kind),
                    count.rows.len(),
                    record
                        .mixes(count.contest)
                        .iter()
                        .map(|m| m.mixer)
                        .collect::<Vec<_>>()
                );
                let sheet = cli_support::count::contest_sheet_text(contest, &count.sheet);
                for line in sheet.lines() {
                    println!("    {line}");
                }
            }
            if let (Some(admin), None) = (&admin, record.results()) {
                for posted in mixing::publish_counts(&board, &record, admin, &counts)? {
                    println!("Ranked count published at leaf {}.", posted.index);
                }
            }
            match (&admin, record.results()) {
                (_, Some(published)) if published == combined.results => {
                    println!("These are the published results (V15 holds).");
                }
                (_, Some(_)) => {
                    // The record verified, so V15 holds for the published results; only a
                    // different subset of trustees can differ, which is impossible for honest
                    // shares: report it loudly.
                    return Err(Error::Record(
                        "the published results differ from this combination".into(),
                    ));
                }
                (Some(admin), None) => {
                    let posted = ceremony::publish(&board, &record, admin, &combined.results)?;
                    println!("Results published at leaf {}.", posted.index);
                }
                (None, None) => {
                    println!("Not published yet: the administrator runs `tally combine --publish`.")
                }
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tally: {e}");
            let code = match e {
                Error::Refused { .. }
                | Error::Record(_)
                | Error::Invalid(_)
                | Error::Timeout(_)
                | Error::Board { .. }
                | Error::Tally(_)
                | Error::Protocol(_) => 1,
                _ => 2,
            };
            ExitCode::from(code)
        }
    }
}
