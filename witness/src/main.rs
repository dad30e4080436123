//! `thistle-witness`: witness Thistle boards (spec §13.9).
//!
//!     thistle-witness key --key witness.key --name witness.example.org      # once; prints the key
//!     thistle-witness serve --key witness.key --name witness.example.org --board https://board.example
//!
//! Exit codes: 0 success, 1 runtime failure (store, bind), 2 bad arguments, key or passphrase.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use clap::{Parser, Subcommand};
use witness::store::Store;
use witness::{Witness, WitnessConfig};

#[derive(Parser)]
#[command(
    version,
    about = "Witness Thistle boards: cosign only consistent, valid checkpoints and keep a copy of the record"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The witness's sealed key and its name.
#[derive(clap::Args)]
struct Identity {
    /// The sealed key file (mode 0600; `key` writes it).
    #[arg(long, default_value = "witness.key")]
    key: PathBuf,
    /// The witness's name (its signed-note key name, as manifests give it; no spaces or '+'),
    /// e.g. its host name.
    #[arg(long)]
    name: String,
    /// File holding the passphrase (else THISTLE_PASSPHRASE, else the terminal).
    #[arg(long, env = "THISTLE_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Create the witness's cosigning key, sealed with a passphrase; prints what the election's
    /// administrator puts in the manifest (name, key, url) and the C2SP verifier key.
    Key {
        #[command(flatten)]
        identity: Identity,
    },
    /// Serve add-checkpoint and the kept records.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
        /// Directory of the embedded store.
        #[arg(long, default_value = "witness-data")]
        data_dir: PathBuf,
        #[command(flatten)]
        identity: Identity,
        /// A board whose elections this witness follows when their manifest names it (repeatable).
        #[arg(long = "board", required = true)]
        boards: Vec<String>,
        /// Cosign on consistency alone, without fetching and verifying the entries (and without
        /// keeping the record). Elections should use verifying witnesses.
        #[arg(long)]
        no_verify: bool,
        /// Another C2SP log to witness, for consistency only, by its Ed25519 note verifier key
        /// (`<origin>+<key id>+<base64>`; repeatable): a witness serves any conformant log, not
        /// only Thistle's boards.
        #[arg(long = "log")]
        logs: Vec<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Key {
            identity:
                Identity {
                    key,
                    name,
                    passphrase_file,
                },
        } => {
            if name.is_empty() || name.contains(['+', ' ']) || !name.is_ascii() {
                eprintln!("thistle-witness: --name must be printable ASCII without spaces or '+'");
                return ExitCode::from(2);
            }
            let made = cli_support::passphrase::obtain(passphrase_file.as_deref(), true)
                .and_then(|pass| cli_support::keys::keygen(&key, pass.as_bytes()));
            match made {
                Ok(hex_key) => {
                    let public = protocol::signature::PublicKey::from_bytes(
                        hex::decode(&hex_key)
                            .expect("keygen prints hex")
                            .try_into()
                            .expect("32 bytes"),
                        "witness key",
                    )
                    .expect("a fresh key is valid");
                    println!("name = \"{name}\"");
                    println!("key = \"{hex_key}\"");
                    println!("url = \"https://REPLACE-with-this-witness's-address\"");
                    println!(
                        "# C2SP verifier key: {}",
                        protocol::witness::verifier_key(&name, &public)
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("thistle-witness: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Serve {
            bind,
            data_dir,
            identity:
                Identity {
                    key,
                    name,
                    passphrase_file,
                },
            boards,
            no_verify,
            logs,
        } => {
            let key = match cli_support::passphrase::obtain(passphrase_file.as_deref(), false)
                .and_then(|pass| cli_support::keys::load_key(&key, pass.as_bytes()))
            {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("thistle-witness: {e}");
                    return ExitCode::from(2);
                }
            };
            let config = WitnessConfig {
                name,
                key,
                boards: boards
                    .into_iter()
                    .map(|b| b.trim_end_matches('/').to_owned())
                    .collect(),
                verifying: !no_verify,
                logs,
            };
            let started = std::time::Instant::now();
            let witness = match Store::open(&data_dir).and_then(|s| Witness::open(config, s)) {
                Ok(w) => Arc::new(w),
                Err(e) => {
                    eprintln!("thistle-witness: {e}");
                    return ExitCode::from(1);
                }
            };
            tracing::info!(
                logs = witness.followed().len(),
                seconds = started.elapsed().as_secs_f64(),
                "state rebuilt from the store"
            );
            if witness.config().verifying {
                let follower = witness.clone();
                std::thread::spawn(move || follow_timelines(&follower));
            }
            let served = actix_web::rt::System::new().block_on(async move {
                HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(witness.clone()))
                        .configure(witness::api::routes)
                })
                .client_request_timeout(std::time::Duration::from_secs(10))
                .bind(&bind)?
                .run()
                .await
            });
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("thistle-witness: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// Keeps each followed election's witnessed timeline up to date (§13.10): cheap when nothing is
/// new (one small request per election), and off the path of add-checkpoint.
fn follow_timelines(witness: &Witness) {
    loop {
        std::thread::sleep(TIMELINE_EVERY);
        for (origin, _, _) in witness.followed() {
            if let Err(e) = witness.gather_timeline(&origin) {
                tracing::debug!(origin, error = %e, "the witnessed timeline could not be read");
            }
        }
    }
}

/// How often the witnessed timeline is read from the board (or the other witnesses).
const TIMELINE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
