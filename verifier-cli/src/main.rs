//! `thistle-verify`: check a whole election record, trusting nobody.
//!
//! Exit codes: 0 the record is valid (and, for `verify-ballot`, the ballot is on it as it should
//! be); 1 the record is invalid (the report names the V-step and the entry); 2 bad arguments or an
//! argument file that is not what it should be; 3 could not check (network, unreadable file);
//! 4 (`verify-ballot`) the record is valid but the ballot is not on it.
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use cli_support::board::BoardClient;
use cli_support::progress::Bars;
use cli_support::record::{checkpoint_note_of, election_of, read_record, Record};
use cli_support::Error;
use verifier_cli::{check_since, find_ballot, report_error, report_valid, BallotQuery, Report};

#[derive(Parser)]
#[command(
    version,
    about = "Verify a Thistle election record: every V-step of the specification"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct Source {
    /// A board's URL (with --election): downloads the record under its latest checkpoint.
    #[arg(long, requires = "election")]
    board: Option<String>,
    /// A record file exported by a board (`GET /v1/elections/ID/record`).
    #[arg(long)]
    file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Verify the whole record.
    Verify {
        #[command(flatten)]
        source: Source,
        /// The election id (hex), with --board.
        #[arg(long)]
        election: Option<String>,
        /// A checkpoint (signed note) or record file kept from earlier: the record must extend it.
        #[arg(long)]
        since: Option<PathBuf>,
        /// Write the checkpoint verified here, with the election it is of, to pass as --since
        /// next time.
        #[arg(long)]
        save_checkpoint: Option<PathBuf>,
        /// A witness to ask directly (repeatable): the checkpoint it cosigned must be this
        /// record's history (spec §13.9); any inconsistency fails V1.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A voter's check: is my ballot on the board, under which checkpoint, and does it count?
    /// (The whole record is verified first.)
    VerifyBallot {
        #[command(flatten)]
        source: Source,
        /// The election id (hex), with --board.
        #[arg(long)]
        election: Option<String>,
        /// The tracking code the voting page showed (short form or 64 hex digits).
        #[arg(long, conflicts_with = "receipt", required_unless_present = "receipt")]
        code: Option<String>,
        /// The receipt file the voting page saved.
        #[arg(long)]
        receipt: Option<PathBuf>,
        /// A witness to ask directly (repeatable): the checkpoint it cosigned must be this
        /// record's history (spec §13.9); any inconsistency fails V1.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// Print the answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Count published preference data (a BLT file) by the ranked-count rules of spec §12.8 and
    /// print the count sheet: every stage's votes, transfers, non-transferable papers, elections
    /// and exclusions.
    Count {
        /// The counting rules.
        #[arg(long, value_enum, default_value = "scottish-stv")]
        method: CountMethod,
        /// The BLT file (OpenSTV, Droop, eSTV; Scottish councils' preference profiles).
        #[arg(long)]
        blt: PathBuf,
        /// The seed of the lot for ties equal at every stage (64 hex digits); by default the
        /// tagged hash of the file (spec §12.8), fixed once the papers are.
        #[arg(long)]
        lot_seed: Option<String>,
        /// Print the count sheet as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CountMethod {
    /// Scottish STV (SSI 2011/399 Sch. 1 rules 46-53).
    ScottishStv,
    /// The alternative vote (one seat).
    Av,
}

fn count_command(
    method: CountMethod,
    blt: &PathBuf,
    lot_seed: Option<&str>,
    json: bool,
) -> ExitCode {
    let bytes = match std::fs::read(blt) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("thistle-verify: {}: {e}", blt.display());
            return ExitCode::from(3);
        }
    };
    // Published files are Latin-1 or UTF-8 with stray bytes: names are shown as read.
    let text = String::from_utf8_lossy(&bytes);
    let parsed = match verifier_cli::blt::parse(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("thistle-verify: {}: {e}", blt.display());
            return ExitCode::from(2);
        }
    };
    let seed: protocol::hash::Digest32 = match lot_seed {
        None => protocol::hash::tagged_hash("thistle-v1/blt-lot-seed", &bytes),
        Some(hex_seed) => match hex::decode(hex_seed).ok().and_then(|s| s.try_into().ok()) {
            Some(s) => s,
            None => {
                eprintln!("thistle-verify: --lot-seed takes 64 hex digits");
                return ExitCode::from(2);
            }
        },
    };
    let method = match method {
        CountMethod::ScottishStv => protocol::stv::Method::ScottishStv,
        CountMethod::Av => protocol::stv::Method::AlternativeVote,
    };
    let seats = match method {
        protocol::stv::Method::AlternativeVote => 1,
        _ => parsed.profile.seats(),
    };
    let sheet = protocol::stv::count(&parsed.profile, method, &seed);
    if json {
        let v = verifier_cli::count::sheet_json(&parsed.title, &parsed.names, seats, &sheet);
        println!(
            "{}",
            serde_json::to_string_pretty(&v).expect("JSON values serialise")
        );
    } else {
        print!(
            "{}",
            verifier_cli::count::sheet_text(&parsed.title, &parsed.names, seats, &sheet)
        );
    }
    ExitCode::SUCCESS
}

fn open(path: &PathBuf) -> Result<BufReader<File>, Error> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| Error::io(path, e))
}

/// The kept checkpoint's note: the file is either a note or a record export.
/// The first line of a checkpoint saved by `--save-checkpoint`: a bare signed note does not
/// name its election, and a board's elections share its origin and key.
const KEPT_PREFIX: &str = "thistle-kept-checkpoint ";

/// A kept checkpoint: the election it is known to be of (from a saved checkpoint or a record
/// export; none for a bare note) and the signed note.
fn since_note(path: &PathBuf) -> Result<(Option<String>, String), Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let unusable = |why: String| {
        Error::Input(format!(
            "{}: {why}; --since takes a checkpoint saved with --save-checkpoint or a record file",
            path.display()
        ))
    };
    if bytes.starts_with(b"thistle-record-v1\n") {
        let election = election_of(&bytes[..]).map_err(|e| unusable(e.to_string()))?;
        let note = checkpoint_note_of(&bytes[..]).map_err(|e| unusable(e.to_string()))?;
        return Ok((Some(election), note));
    }
    let text = String::from_utf8(bytes).map_err(|_| unusable("not a checkpoint note".into()))?;
    match text.strip_prefix(KEPT_PREFIX) {
        Some(rest) => {
            let (election, note) = rest
                .split_once('\n')
                .ok_or_else(|| unusable("no checkpoint after the election id".into()))?;
            Ok((Some(election.trim().to_owned()), note.to_owned()))
        }
        None => Ok((None, text)),
    }
}

/// A verified record and the kept checkpoint it extends, or why not.
type Checked = Result<(Record, Option<protocol::merkle::Checkpoint>), Error>;

fn verify(
    source: &Source,
    election: Option<&str>,
    since: Option<&PathBuf>,
) -> (Checked, Option<String>) {
    let mut bars = Bars::new();
    let mut progress = |s: cli_support::record::Stage, d, t| bars.tick(s.label(), d, t);
    let election = match (&source.file, election) {
        (_, Some(e)) => e.to_owned(),
        (Some(path), None) => match open(path).and_then(election_of) {
            Ok(e) => e,
            Err(e) => return (Err(e), None),
        },
        (None, None) => unreachable!("clap requires --election with --board"),
    };
    let record = match (&source.board, &source.file) {
        (Some(url), _) => BoardClient::new(url).record_with(&election, &mut progress),
        (None, Some(path)) => open(path).and_then(|f| read_record(f, &election, &mut progress)),
        (None, None) => unreachable!("clap requires a source"),
    };
    let checked = record.and_then(|r| {
        let old = match since {
            Some(path) => {
                let (kept_election, note) = since_note(path)?;
                if let Some(kept) = kept_election.filter(|k| !k.eq_ignore_ascii_case(&election)) {
                    return Err(Error::Input(format!(
                        "{}: the kept checkpoint is election {kept}'s, not this one's ({election}); pass the one kept for this election",
                        path.display()
                    )));
                }
                Some(check_since(&r, &note)?)
            }
            None => None,
        };
        Ok((r, old))
    });
    (checked, Some(election))
}

/// `--witness URL` for each URL, in words: what each witness showed, all of it this record's
/// history (or the first failure).
fn ask_witnesses(
    record: &Record,
    urls: &[String],
    board: Option<&str>,
) -> Result<Vec<String>, Error> {
    urls.iter()
        .map(|url| {
            let s = ask_witness(record, url, board)?;
            Ok(format!(
                "{url}: cosigned by {} at size {}, {}",
                s.names.join(", "),
                s.size,
                if s.checked {
                    "this record's history"
                } else {
                    "ahead of this record (not checked: give --board for a consistency proof)"
                }
            ))
        })
        .collect()
}

/// `--witness URL`: the witness's latest cosigned checkpoint of the record's election, checked
/// against the record (with the board's consistency proof when the witness is ahead of it).
fn ask_witness(
    record: &Record,
    url: &str,
    board: Option<&str>,
) -> Result<verifier_cli::WitnessSeen, Error> {
    let id = hex::encode(record.manifest_hash);
    let base = url.trim_end_matches('/');
    let answer: serde_json::Value = ureq::get(&format!("{base}/v1/elections/{id}/checkpoint"))
        .call()
        .map_err(|e| Error::Board {
            url: base.to_owned(),
            reason: e.to_string(),
        })?
        .into_json()
        .map_err(|e| Error::Board {
            url: base.to_owned(),
            reason: e.to_string(),
        })?;
    let note = answer["note"].as_str().ok_or_else(|| Error::Board {
        url: base.to_owned(),
        reason: "the witness's answer has no note".into(),
    })?;
    let size = answer["size"].as_u64().unwrap_or(0);
    let proof = match board {
        Some(b) if size > record.len() => {
            let path = format!(
                "{}/v1/elections/{id}/proofs/consistency?from={}&to={size}",
                b.trim_end_matches('/'),
                record.len()
            );
            ureq::get(&path)
                .call()
                .ok()
                .and_then(|r| r.into_json::<serde_json::Value>().ok())
                .and_then(|v| {
                    v["proof"]
                        .as_array()?
                        .iter()
                        .map(|h| hex::decode(h.as_str()?).ok()?.try_into().ok())
                        .collect::<Option<Vec<[u8; 32]>>>()
                })
        }
        _ => None,
    };
    verifier_cli::check_witness_note(record, note, proof.as_deref())
}

fn verify_ballot(
    source: &Source,
    election: Option<&str>,
    code: Option<String>,
    receipt: Option<&PathBuf>,
    witnesses: &[String],
    json: bool,
) -> ExitCode {
    let query = match (code, receipt) {
        (Some(code), _) => Ok(BallotQuery::Code(code)),
        (None, Some(path)) => std::fs::read(path)
            .map_err(|e| Error::io(path, e))
            .and_then(|b| {
                serde_json::from_slice(&b).map_err(|e| {
                    Error::Input(format!(
                        "{}: not a receipt ({e}); give the file the voting page saved",
                        path.display()
                    ))
                })
            })
            .map(BallotQuery::Receipt),
        (None, None) => unreachable!("clap requires a code or a receipt"),
    };
    let (answer, election) = match query {
        Ok(query) => {
            let (checked, election) = verify(source, election, None);
            (
                checked.and_then(|(record, _)| {
                    let seen = ask_witnesses(&record, witnesses, source.board.as_deref())?;
                    find_ballot(&record, &query).map(|status| (status, seen))
                }),
                election,
            )
        }
        Err(e) => (Err(e), election.map(str::to_owned)),
    };
    match answer {
        Ok((status, seen)) => {
            if json {
                let mut value = serde_json::to_value(&status).expect("a status serialises");
                if !seen.is_empty() {
                    value["witnesses"] = serde_json::json!(seen);
                }
                println!(
                    "{}",
                    serde_json::to_string_pretty(&value).expect("a status serialises")
                );
            } else {
                for w in &seen {
                    println!("Witness asked directly: {w}");
                }
                if let Some(i) = status.index {
                    println!("Entry: {i}");
                }
                if let Some(code) = &status.tracking_code {
                    println!("Tracking code: {code}");
                }
                println!(
                    "Checkpoint: {} entries, root {} (compare it with what others see)",
                    status.checkpoint.0, status.checkpoint.1
                );
                println!("Status: {}: {}", status.status, status.explanation);
            }
            ExitCode::from(status.exit_code())
        }
        Err(e) => {
            let report = report_error(&e, election);
            print_report(&report, json);
            ExitCode::from(report.exit_code())
        }
    }
}

fn print_report(report: &Report, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).expect("a report serialises")
        );
    } else {
        print!("{}", report.to_text());
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Count {
            method,
            blt,
            lot_seed,
            json,
        } => count_command(method, &blt, lot_seed.as_deref(), json),
        Command::VerifyBallot {
            source,
            election,
            code,
            receipt,
            witnesses,
            json,
        } => verify_ballot(
            &source,
            election.as_deref(),
            code,
            receipt.as_ref(),
            &witnesses,
            json,
        ),
        Command::Verify {
            source,
            election,
            since,
            save_checkpoint,
            witnesses,
            json,
        } => {
            let (mut checked, election) = verify(&source, election.as_deref(), since.as_ref());
            let mut seen = Vec::new();
            if let Ok((record, _)) = &checked {
                match ask_witnesses(record, &witnesses, source.board.as_deref()) {
                    Ok(lines) => seen = lines,
                    Err(e) => checked = Err(e),
                }
            }
            let mut report: Report = match &checked {
                Ok((record, old)) => report_valid(record, old.as_ref()),
                Err(e) => report_error(e, election),
            };
            report.witnesses = seen;
            if let (Ok((record, _)), Some(path)) = (&checked, &save_checkpoint) {
                let kept = format!(
                    "{KEPT_PREFIX}{}\n{}",
                    hex::encode(record.manifest_hash),
                    record.checkpoint_note
                );
                if let Err(e) = std::fs::write(path, kept) {
                    eprintln!("thistle-verify: {}: {e}", path.display());
                    return ExitCode::from(3);
                }
            }
            print_report(&report, json);
            ExitCode::from(report.exit_code())
        }
    }
}
