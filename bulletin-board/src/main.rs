//! `bulletin-board`: serves election logs over HTTP.
//!
//! Exit codes: 0 success, 1 runtime failure (storage, bind), 2 bad arguments or key file.
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use actix_web::{web, App, HttpServer};
use bulletin_board::api::{self, ApiDoc};
use bulletin_board::limits::Limits;
use bulletin_board::store::postgres::PgStore;
use bulletin_board::store::sqlite::SqliteStore;
use bulletin_board::store::AnyStore;
use bulletin_board::{Board, BoardConfig};
use clap::{Parser, Subcommand};
use protocol::signature::{PublicKey, SecretKey};
use rand_core::{OsRng, RngCore};
use utoipa::OpenApi;
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    version,
    about = "Thistle's bulletin board: the public, append-only record of elections"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the board (embedded SQLite store unless --database-url is given).
    Serve(Box<Serve>),
    /// Print the board's public key (for the manifest's board key).
    Key {
        /// Directory whose board.key to read (as `serve --data-dir`).
        #[arg(long, env = "BOARD_DATA_DIR", default_value = "board-data")]
        data_dir: PathBuf,
        /// Secret key file (hex seed, mode 0600). Default: <data-dir>/board.key.
        #[arg(long, env = "BOARD_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// Create the key file if it does not exist (otherwise a missing file is an error).
        #[arg(long)]
        create: bool,
    },
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
}

#[derive(clap::Args)]
struct Serve {
    /// Address to listen on.
    #[arg(long, env = "BOARD_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Directory for the embedded store and, by default, the key file.
    #[arg(long, env = "BOARD_DATA_DIR", default_value = "board-data")]
    data_dir: PathBuf,
    /// PostgreSQL URL (e.g. postgres://user@127.0.0.1/thistle); the embedded store if absent.
    #[arg(long, env = "BOARD_DATABASE_URL")]
    database_url: Option<String>,
    /// PostgreSQL connections in the pool.
    #[arg(long, env = "BOARD_DATABASE_POOL", default_value_t = 16)]
    database_pool: usize,
    /// Secret key file (hex seed, mode 0600; created if missing). Default: <data-dir>/board.key.
    #[arg(long, env = "BOARD_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Log origin: the first line of every checkpoint and the manifest's board origin (printable
    /// ASCII, no spaces or '+'), e.g. board.example-council.gov.uk/2027. Every process serving
    /// the same elections needs the same origin and key file.
    #[arg(long, env = "BOARD_ORIGIN", default_value = "thistle.localhost/board")]
    origin: String,
    /// Only host elections whose manifest is signed by one of these administrator keys (hex;
    /// repeat the flag, or separate with commas in the environment variable). Without it, any
    /// manifest naming this board's origin and key creates an election.
    #[arg(long = "admin-key", env = "BOARD_ADMIN_KEYS", value_delimiter = ',')]
    admin_keys: Vec<String>,
    /// Milliseconds between checkpoints.
    #[arg(long, env = "BOARD_CHECKPOINT_MS", default_value_t = 1000)]
    checkpoint_ms: u64,
    /// Directory of the voter web client's files, served at `/`.
    #[arg(long, env = "BOARD_STATIC_DIR")]
    static_dir: Option<PathBuf>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "BOARD_WORKERS")]
    workers: Option<usize>,
    /// Ballot checks (signature and proofs) running at once (default: one per core).
    #[arg(long, env = "BOARD_VERIFIERS")]
    verifiers: Option<usize>,
    /// How much lower the HTTP workers' CPU priority is than the ballot checks' (a nice
    /// increment, 0 to 19): under a flood, ballots already read are checked and committed
    /// before more requests are read.
    #[arg(long, env = "BOARD_HTTP_NICE", default_value_t = 10, value_parser = clap::value_parser!(i32).range(0..=19))]
    http_nice: i32,
    /// Ballots waiting for a check before more are answered `503 busy` with Retry-After.
    #[arg(long, env = "BOARD_VERIFY_QUEUE", default_value_t = 256)]
    verify_queue: usize,
    /// MiB of request bodies held at once before their writers are authenticated; beyond it,
    /// `503 busy` with Retry-After.
    #[arg(long, env = "BOARD_BODY_MIB", default_value_t = 32)]
    body_mib: usize,
    /// MiB of large entries (credential lists, mixes) being answered to readers at once; beyond
    /// it, `503 busy` with Retry-After.
    #[arg(long, env = "BOARD_READ_MIB", default_value_t = 256)]
    read_mib: usize,
    /// Seconds a client has to send a request body (one more per MiB beyond the first).
    #[arg(long, env = "BOARD_BODY_SECONDS", default_value_t = 10)]
    body_seconds: u64,
    /// Seconds a post may take in all before the client is told to look it up and retry.
    #[arg(long, env = "BOARD_REQUEST_SECONDS", default_value_t = 30)]
    request_seconds: u64,
    /// Posts per second allowed per client address (a burst of as many); unlimited if absent.
    #[arg(long, env = "BOARD_RATE_LIMIT")]
    rate_limit: Option<u32>,
    /// A reverse proxy whose X-Forwarded-For names the client (repeat the flag, or separate
    /// with commas); requests from other peers are limited by their own address.
    #[arg(
        long = "trusted-proxy",
        env = "BOARD_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Open connections per worker.
    #[arg(long, env = "BOARD_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("bulletin-board: {msg}");
    ExitCode::from(code)
}

/// Reads the key file, or creates it (0600) with a fresh key.
fn load_or_create_key(path: &Path) -> Result<SecretKey, String> {
    if path.exists() {
        let mode = fs::metadata(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{}: key file is readable by others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            ));
        }
        let text = Zeroizing::new(
            fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        );
        let mut seed = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), &mut seed[..]).map_err(|_| {
            format!(
                "{}: expected 64 hex digits (an Ed25519 seed)",
                path.display()
            )
        })?;
        return Ok(SecretKey::from_seed(&seed));
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(&mut seed[..]);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let text = Zeroizing::new(format!("{}\n", hex::encode(&seed[..])));
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "created a new board key");
    Ok(SecretKey::from_seed(&seed))
}

fn parse_admin_keys(keys: &[String]) -> Result<Vec<PublicKey>, String> {
    keys.iter()
        .map(|k| {
            let bytes: [u8; 32] = hex::decode(k)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("--admin-key {k}: expected 64 hex digits"))?;
            PublicKey::from_bytes(bytes, "administrator key").map_err(|e| e.to_string())
        })
        .collect()
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            println!(
                "{}",
                ApiDoc::openapi().to_pretty_json().expect("serialisable")
            );
            ExitCode::SUCCESS
        }
        Command::Key {
            data_dir,
            key_file,
            create,
        } => {
            let key_file = key_file.unwrap_or_else(|| data_dir.join("board.key"));
            if !create && !key_file.exists() {
                return fail(
                    2,
                    format!(
                        "{}: no key file; pass --create to make one, or the --data-dir/--key-file the board serves with",
                        key_file.display()
                    ),
                );
            }
            key_command(&key_file)
        }
        Command::Serve(args) => serve(*args),
    }
}

fn key_command(key_file: &Path) -> ExitCode {
    match load_or_create_key(key_file) {
        Ok(k) => {
            println!("{}", hex::encode(k.public_key().as_bytes()));
            ExitCode::SUCCESS
        }
        Err(e) => fail(2, e),
    }
}

fn serve(args: Serve) -> ExitCode {
    let key_file = args
        .key_file
        .clone()
        .unwrap_or_else(|| args.data_dir.join("board.key"));
    let key = match load_or_create_key(&key_file) {
        Ok(k) => k,
        Err(e) => return fail(2, e),
    };
    let administrators = match parse_admin_keys(&args.admin_keys) {
        Ok(a) => a,
        Err(e) => return fail(2, e),
    };
    if administrators.is_empty() {
        tracing::warn!(
            "no --admin-key given: any manifest naming this board may create an election; \
             list the administrators' keys on a public board"
        );
    }
    let config = BoardConfig {
        origin: args.origin.clone(),
        key,
        administrators,
        checkpoint_interval: Duration::from_millis(args.checkpoint_ms.max(10)),
        limits: Limits {
            verifiers: args.verifiers.unwrap_or(Limits::default().verifiers),
            verify_queue: args.verify_queue,
            body_bytes: args.body_mib.max(1) << 20,
            body_deadline: Duration::from_secs(args.body_seconds.max(1)),
            request_deadline: Duration::from_secs(args.request_seconds.max(1)),
            rate_per_client: args.rate_limit,
            trusted_proxies: args.trusted_proxies.clone(),
            spool_dir: args.data_dir.clone(),
            read_bytes: args.read_mib.max(1) << 20,
        },
    };
    // The data directory also holds upload spool files, whichever store is used.
    if let Err(e) = fs::create_dir_all(&args.data_dir) {
        return fail(1, format!("{}: {e}", args.data_dir.display()));
    }
    let static_dir = args.static_dir.clone().or_else(|| {
        let default = PathBuf::from("voter-client/dist");
        default.is_dir().then_some(default)
    });
    let result = actix_web::rt::System::new().block_on(async move {
        let store = match &args.database_url {
            Some(url) => AnyStore::Postgres(
                PgStore::connect(url, args.database_pool)
                    .await
                    .map_err(|e| e.to_string())?,
            ),
            None => {
                fs::create_dir_all(&args.data_dir)
                    .map_err(|e| format!("{}: {e}", args.data_dir.display()))?;
                AnyStore::Sqlite(
                    SqliteStore::open(&args.data_dir.join("board.sqlite3"))
                        .map_err(|e| e.to_string())?,
                )
            }
        };
        let board = Board::open(store, config)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(
            bind = %args.bind,
            origin = %board.origin(),
            key = %hex::encode(board.public_key().as_bytes()),
            store = if args.database_url.is_some() { "postgresql" } else { "sqlite" },
            elections = board.election_ids().len(),
            "bulletin board listening"
        );
        let data = web::Data::new(board);
        // Each worker calls the factory on its own thread as it starts; a thread's priority is
        // its own on Linux, so this lowers the workers' alone (the ballot-check threads and the
        // sequencer were made before, by this thread). Elsewhere it would lower the process's.
        let worker_priority = rustix::process::getpriority_process(None)
            .map_or(args.http_nice, |own| own + args.http_nice)
            .min(19);
        let lower_workers = args.http_nice != 0 && cfg!(target_os = "linux");
        if args.http_nice != 0 && !lower_workers {
            tracing::warn!(
                "--http-nice works on Linux only; the HTTP workers keep the board's priority"
            );
        }
        let mut server = HttpServer::new(move || {
            if lower_workers {
                if let Err(e) = rustix::process::setpriority_process(None, worker_priority) {
                    tracing::warn!("could not lower an HTTP worker's CPU priority: {e}");
                }
            }
            let dir = static_dir.clone();
            App::new()
                .app_data(data.clone())
                .configure(|cfg| api::configure(cfg, dir))
        })
        .on_connect(|conn, ext| {
            if let Some(handle) = api::ConnectionHandle::of(conn) {
                ext.insert(handle);
            }
        });
        if let Some(w) = args.workers {
            server = server.workers(w);
        }
        // Headers within 5 s, and a closing client gets 1 s; bodies have their own deadline.
        server = server
            .max_connections(args.max_connections)
            .client_request_timeout(Duration::from_secs(5))
            .client_disconnect_timeout(Duration::from_secs(1));
        server
            .bind(&args.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?
            .run()
            .await
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, e),
    }
}
