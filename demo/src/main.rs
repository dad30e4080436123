//! `thistle-demo`: a whole election with the real programs, each its own process. A board
//! serves on the embedded store (or PostgreSQL); the administrator, three trustees (threshold 2)
//! and the credential authority set the election up with `election-authority`; simulated voters
//! cast over HTTP (some audit first, some vote again); two trustees decrypt the tally with `tally`
//! while the third is away; and `thistle-verify` checks the exported record and prints the results.
//!
//! Exit codes: 0 the election ran and the record verified with the voters' results; 1 a step
//! failed or the results differ from what the voters chose; 2 bad arguments.

mod tools;
mod voters;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use cli_support::board::BoardClient;
use indicatif::{ProgressBar, ProgressStyle};
use protocol::manifest::Contest;
use protocol::record::Phase;
use rand_core::RngCore;

use tools::{Background, BoardProcess, Tool, Tools};
use voters::{Behaviour, Turnout};

/// What went wrong, and what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A program of the workspace is not built.
    #[error("{name} is not in {}: build every program first with `cargo build --release --bins` (or run `bash scripts/demo.sh`)", dir.display())]
    MissingTool {
        /// The binary.
        name: &'static str,
        /// Where it was looked for.
        dir: PathBuf,
    },
    /// A program failed.
    #[error("`{command}` failed ({status}):\n{stderr}")]
    ToolFailed {
        /// What ran.
        command: String,
        /// Its exit status.
        status: String,
        /// What it said.
        stderr: String,
    },
    /// The board did not start or stopped.
    #[error("the bulletin board is down: {0}")]
    BoardDown(String),
    /// A file or process could not be used.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// A file the demo reads is not what it should be.
    #[error("{0}")]
    Input(String),
    /// A simulated voter could not vote.
    #[error("voter {0}")]
    Voter(String),
    /// The board or the record refused something.
    #[error(transparent)]
    Board(#[from] cli_support::Error),
    /// The verified results are not the voters' choices.
    #[error("the verified results differ from what the voters chose: {0}")]
    WrongResults(String),
}

impl Error {
    fn io(what: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.as_ref().display().to_string(),
            source,
        }
    }
}

#[derive(Parser)]
#[command(
    version,
    about = "Run a whole Thistle election with the real programs: board, set-up, simulated voters, tally ceremony, verifier"
)]
struct Cli {
    /// Number of voters.
    #[arg(long, default_value_t = 1000)]
    voters: usize,
    /// Directory for the election's files (keys, shares, credentials, the record); it must not
    /// exist yet, or hold an earlier demo (which is replaced).
    #[arg(long, default_value = "demo-election")]
    dir: PathBuf,
    /// Run the board on PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test) instead of the
    /// embedded store.
    #[arg(long, env = "THISTLE_DEMO_DATABASE_URL")]
    database_url: Option<String>,
    /// Where the board listens (default: a free port on 127.0.0.1).
    #[arg(long)]
    bind: Option<String>,
    /// Leave the board serving at the end (the voter page, the observer view) until Ctrl-C.
    #[arg(long)]
    keep_serving: bool,
    /// Add one voter for you: while voting is open, the demo prints your link to the voting page
    /// and waits for Enter before closing the vote (needs the page built).
    #[arg(long)]
    vote_yourself: bool,
    /// The voting page's files, served by the board (built by `bash scripts/build-client.sh`;
    /// default: the repository's voter-client/dist, beside target/).
    #[arg(long)]
    page: Option<PathBuf>,
    /// Threads casting ballots (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed for the voters' choices (default: random; printed so a run can be repeated).
    #[arg(long)]
    seed: Option<u64>,
}

/// Marks a directory as the demo's, so a later run may replace it.
const MARKER: &str = ".thistle-demo";
/// The roll's id of the person running the demo, with `--vote-yourself`.
const YOU: &str = "you";
/// The board's log origin in the demo.
const ORIGIN: &str = "demo.thistle.localhost/board";

/// Who runs the demo's witnesses (spec §13.9): organisations independent of the board.
const WITNESS_ORGS: [&str; 3] = [
    "the University of Glenbervie",
    "the Glenbervie Civic Trust",
    "the Electoral Observers' Association",
];

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.voters == 0 {
        eprintln!("thistle-demo: --voters must be at least 1");
        return ExitCode::from(2);
    }
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nthistle-demo: {e}");
            ExitCode::from(1)
        }
    }
}

/// Prints a step's heading.
fn step(n: u32, title: &str) {
    println!("\n[{n}/6] {title}");
}

fn elapsed(since: Instant) -> String {
    format!("{:.1} s", since.elapsed().as_secs_f64())
}

fn run(cli: &Cli) -> Result<(), Error> {
    let started = Instant::now();
    let work = prepare_dir(&cli.dir)?;
    let passphrase = work.join("passphrase");
    write_private(&passphrase, &format!("{}\n", random_hex(16)))?;
    let tools = Tools::locate(&work, passphrase)?;
    let seed = cli.seed.unwrap_or_else(|| rand_core::OsRng.next_u64());
    println!(
        "Thistle demo: a whole election with the real programs, {} voters, in {}",
        cli.voters,
        work.display()
    );
    println!(
        "(every program below is a separate process; what each printed is in {}/logs/)",
        work.display()
    );

    step(1, "The bulletin board");
    let board_key = tools
        .run(Tool::Board, &["key", "--data-dir", "board", "--create"])?
        .trim()
        .to_owned();
    let admin = tools
        .run(Tool::Authority, &["admin", "keygen", "--key", "admin.key"])?
        .trim()
        .to_owned();
    let bind = match &cli.bind {
        Some(b) => b.clone(),
        None => tools::free_address()?,
    };
    let mut serve: Vec<String> = [
        "--data-dir",
        "board",
        "--origin",
        ORIGIN,
        "--checkpoint-ms",
        "250",
        "--admin-key",
        &admin,
    ]
    .map(String::from)
    .to_vec();
    if let Some(url) = &cli.database_url {
        serve.extend(["--database-url".into(), url.clone()]);
    }
    let page_dir = match &cli.page {
        Some(p) => p.clone(),
        None => tools.bin.join("../../voter-client/dist"),
    };
    let page = std::fs::canonicalize(&page_dir)
        .ok()
        .filter(|p| p.join("index.html").is_file());
    if let Some(p) = &page {
        serve.extend(["--static-dir".into(), p.display().to_string()]);
    }
    if cli.vote_yourself && page.is_none() {
        return Err(Error::Input(format!(
            "--vote-yourself needs the voting page in {}: build it with `bash scripts/build-client.sh`",
            page_dir.display()
        )));
    }
    let board = BoardProcess::start(&tools, &bind, &serve, &tools.log("bulletin-board-serve"))?;
    println!(
        "  bulletin-board serve at {} on {} (key {}…), hosting only elections signed by the administrator's key",
        board.url,
        match &cli.database_url {
            Some(_) => "PostgreSQL".to_owned(),
            None => format!("the embedded store in {}", work.join("board").display()),
        },
        &board_key[..16]
    );

    // Three organisations independent of the board run witnesses (spec §13.9): each makes its
    // key, and each follows the elections on this board that name it.
    let mut witnesses = Vec::new();
    let mut named = Vec::new();
    for (i, org) in WITNESS_ORGS.iter().enumerate() {
        let name = format!("witness-{}.demo.thistle", i + 1);
        let key_file = format!("witness-{}.key", i + 1);
        let printed = tools.run(Tool::Witness, &["key", "--key", &key_file, "--name", &name])?;
        let key = printed
            .lines()
            .find_map(|l| l.strip_prefix("key = \""))
            .map(|k| k.trim_end_matches('"').to_owned())
            .ok_or_else(|| Error::Input("thistle-witness key printed no key".into()))?;
        let wbind = tools::free_address()?;
        let data = format!("witness-{}", i + 1);
        let args: Vec<String> = [
            "--data-dir",
            &data,
            "--key",
            &key_file,
            "--name",
            &name,
            "--board",
            &board.url,
        ]
        .map(String::from)
        .to_vec();
        let w = BoardProcess::start_as(
            &tools,
            Tool::Witness,
            &wbind,
            &args,
            &tools.log(&format!("thistle-witness-{}-serve", i + 1)),
        )?;
        println!("  thistle-witness serve at {}, run by {org}, as {name} (verifying: it checks every entry before it cosigns)", w.url);
        named.push((name, key, w.url.clone()));
        witnesses.push(w);
    }

    step(2, "Set-up: manifest, key ceremony, credentials");
    let phase_started = Instant::now();
    let authority = tools
        .run(
            Tool::Authority,
            &["authority", "keygen", "--key", "authority.key"],
        )?
        .trim()
        .to_owned();
    let trustee_keys: Vec<String> = (1..=3)
        .map(|i| {
            let key = format!("trustee-{i}.key");
            tools
                .run(Tool::Authority, &["trustee", "keygen", "--key", &key])
                .map(|k| k.trim().to_owned())
        })
        .collect::<Result<_, _>>()?;
    println!("  keys sealed with a passphrase: the administrator, the credential authority, trustees 1–3");
    tools.run(Tool::Authority, &["admin", "init", "manifest.toml"])?;
    let manifest_path = work.join("manifest.toml");
    let template =
        std::fs::read_to_string(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
    let manifest_text = fill_manifest(
        &template,
        &admin,
        &authority,
        &board_key,
        &trustee_keys,
        &named,
    )?;
    std::fs::write(&manifest_path, manifest_text).map_err(|e| Error::io(&manifest_path, e))?;
    tools.run(Tool::Authority, &["admin", "check", "manifest.toml"])?;
    let election = tools
        .run(Tool::Authority, &["admin", "create", "--board", &board.url])?
        .trim()
        .to_owned();
    println!("  election created from the example manifest (1 of 2, a budget of £100,000, a referendum, a ward by Scottish STV): {election}");
    let on = [
        "--board",
        board.url.as_str(),
        "--election",
        election.as_str(),
    ];
    let with_on =
        |args: &[&str]| -> Vec<String> { args.iter().chain(&on).map(|s| s.to_string()).collect() };
    let run_on = |tool: Tool, args: &[&str]| {
        let all = with_on(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        tools.run(tool, &all)
    };
    run_on(Tool::Authority, &["admin", "phase", "key-ceremony"])?;

    let (dealt_tx, dealt_rx) = mpsc::channel();
    let mut ceremonies: Vec<Background> = (1..=3)
        .map(|i| {
            let (key, share) = (format!("trustee-{i}.key"), format!("trustee-{i}.share"));
            Background::start(
                &tools,
                Tool::Authority,
                with_on(&[
                    "trustee",
                    "ceremony",
                    "--key",
                    &key,
                    "--share",
                    &share,
                    "--timeout",
                    "600",
                ]),
                tools.log(&format!("trustee-{i}-ceremony")),
                Some(("rounds 1 and 2 done", dealt_tx.clone(), i)),
            )
        })
        .collect::<Result<_, _>>()?;
    std::fs::write(
        work.join("voters.csv"),
        roll_csv(cli.voters, cli.vote_yourself),
    )
    .map_err(|e| Error::io(work.join("voters.csv"), e))?;
    tools.run(
        Tool::Authority,
        &["admin", "roll", "voters.csv", "--out", "roll.csv"],
    )?;
    let voting_url = format!("{}/#e={election}", board.url);
    let issued = run_on(
        Tool::Authority,
        &[
            "authority",
            "issue",
            "--roll",
            "roll.csv",
            "--out",
            "credentials",
            "--voting-url",
            &voting_url,
        ],
    )?;
    println!(
        "  credential authority: {}",
        issued.lines().next().unwrap_or("").trim()
    );
    let mut dealt = 0;
    let waiting = Instant::now();
    while dealt < 3 {
        if dealt_rx.recv_timeout(Duration::from_millis(500)).is_ok() {
            dealt += 1;
            continue;
        }
        for c in &mut ceremonies {
            c.failed()?;
        }
        if waiting.elapsed() > Duration::from_secs(600) {
            return Err(Error::Input(
                "a trustee did not finish rounds 1 and 2 within 10 minutes; see logs/".into(),
            ));
        }
    }
    run_on(
        Tool::Authority,
        &["admin", "phase", "open", "--complaint-window", "1"],
    )?;
    let mut joint = Vec::new();
    for c in ceremonies {
        joint.push(c.finish()?.trim().to_owned());
    }
    if joint.iter().any(|k| *k != joint[0]) {
        return Err(Error::Input(format!(
            "the trustees disagree on the election key: {joint:?}"
        )));
    }
    println!(
        "  key ceremony: 3 trustees dealt and checked each other's shares; each sealed its share; joint key {}…",
        &joint[0][..16]
    );
    println!("  voting is open ({})", elapsed(phase_started));

    step(3, "Voting");
    let client = BoardClient::new(&board.url);
    let record = client.current(&election)?;
    let ballots = record
        .ballots()
        .ok_or_else(|| Error::Input("voting opened but the record has no ballot context".into()))?;
    let mut voters = voters::read_credentials(&work.join("credentials/credentials.csv"))?;
    voters.retain(|v| v.id != YOU);
    let behaviour = Behaviour {
        audit_every: 100,
        revote_every: 20,
        seed,
    };
    let threads = cli
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    // A witness goes down during the vote: two of three still meet the quorum of two, and
    // voting never waits for a witness.
    witnesses[2].stop();
    println!(
        "  {} stops its witness (kill -9) as voting starts; the other two still make the quorum of 2",
        WITNESS_ORGS[2]
    );
    let bar = bar(voters.len() as u64, "voters");
    let voting_started = Instant::now();
    let turnout = voters::vote_all(
        &voters::Election {
            board: &board.url,
            manifest: &record.manifest,
            ballots,
        },
        &voters,
        behaviour,
        threads,
        &bar,
    )?;
    bar.finish_and_clear();
    let secs = voting_started.elapsed().as_secs_f64();
    println!(
        "  {} voters cast {} ballots ({} voted twice; {} audited a ballot first and saw it open to their choices) in {secs:.1} s, {:.0} ballots/s, {threads} voter threads (choices seeded with --seed {seed})",
        turnout.voters,
        turnout.ballots,
        turnout.revotes,
        turnout.audits,
        (turnout.ballots + turnout.audits) as f64 / secs
    );

    if cli.vote_yourself {
        let code = your_code(&work.join("credentials/credentials.csv"))?;
        println!("\n  Your turn: voting is open. Open this link in a browser (your voting code is after the #, which never");
        println!("  reaches the server; the page removes it from the address bar):\n\n    {voting_url}&c={code}\n");
        println!(
            "  Audit a ballot if you like, cast one, then press Enter here to close the vote."
        );
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Error::io("standard input", e))?;
    }

    step(4, "Tally: two of three trustees (trustee 2 is away)");
    let phase_started = Instant::now();
    run_on(Tool::Authority, &["admin", "phase", "close"])?;
    println!("  voting closed");
    // The ranked ward is mixed by two trustees in turn (t = 2: at least one of them honest),
    // each verifying the record and the mix before its own (spec §12.11).
    for i in [1, 3] {
        let key = format!("trustee-{i}.key");
        let out = run_on(Tool::Tally, &["mix", "--key", &key, "--timeout", "600"])?;
        for line in out.lines() {
            println!("  trustee {i}: {line}");
        }
    }
    run_on(Tool::Tally, &["start", "--mix-wait", "60"])?;
    println!("  the administrator recomputed the encrypted tally from the counted ballots, posted it, and opened the tally phase");
    let decrypting: Vec<Background> = [1, 3]
        .into_iter()
        .map(|i| {
            let (key, share) = (format!("trustee-{i}.key"), format!("trustee-{i}.share"));
            Background::start(
                &tools,
                Tool::Tally,
                with_on(&[
                    "decrypt",
                    "--key",
                    &key,
                    "--share",
                    &share,
                    "--timeout",
                    "600",
                ]),
                tools.log(&format!("trustee-{i}-tally-decrypt")),
                None::<(&str, mpsc::Sender<()>, ())>,
            )
        })
        .collect::<Result<_, _>>()?;
    for d in decrypting {
        d.finish()?;
    }
    println!("  trustees 1 and 3 each verified the record, recomputed the tally, and posted a proven partial decryption of it and of the ward's last mix");
    run_on(Tool::Tally, &["combine", "--publish", "--wait", "60"])?;
    println!(
        "  the administrator combined them and published the results ({})",
        elapsed(phase_started)
    );

    step(5, "The record");
    // The export comes under the latest checkpoint the witnesses cosigned: wait until that one
    // covers the results.
    client
        .wait_for_phase(
            &election,
            Phase::ResultsPublished,
            Duration::from_secs(60),
            &mut |_, _, _| {},
        )
        .map_err(|_| {
            Error::Input("no witnessed checkpoint covered the results within 60 s".into())
        })?;
    let record_path = work.join("record.thistle");
    let mut file = std::fs::File::create(&record_path).map_err(|e| Error::io(&record_path, e))?;
    let bytes = client.export(&election, &mut file)?;
    file.flush().map_err(|e| Error::io(&record_path, e))?;
    println!(
        "  exported the whole public record ({:.1} MB) to {}",
        bytes as f64 / 1e6,
        record_path.display()
    );

    // Who witnessed what (spec §13.9): the board's latest checkpoint that a quorum cosigned, and
    // each witness's own latest cosigned checkpoint.
    let cp: serde_json::Value =
        ureq::get(&format!("{}/v1/elections/{election}/checkpoint", board.url))
            .call()
            .ok()
            .and_then(|r| r.into_json().ok())
            .unwrap_or_default();
    match cp["witnessed"]["size"].as_u64() {
        Some(size) => println!(
            "  the board's checkpoint of {size} entries is witnessed: {} of the 3 witnesses cosigned it (the quorum is 2)",
            cp["witnessed"]["cosigners"]
        ),
        None => println!("  NOT WITNESSED: no checkpoint has the quorum's cosignatures"),
    }
    for ((name, _, _), (org, w)) in named.iter().zip(WITNESS_ORGS.iter().zip(&witnesses)) {
        let seen = ureq::get(&format!("{}/v1/elections/{election}/checkpoint", w.url))
            .call()
            .ok()
            .and_then(|r| r.into_json::<serde_json::Value>().ok())
            .and_then(|v| v["size"].as_u64());
        match seen {
            Some(size) => println!(
                "  {name} ({org}) cosigned up to {size} entries and keeps a copy of the record"
            ),
            None => println!("  {name} ({org}) is down: it cosigned only until it stopped"),
        }
    }

    step(6, "The verifier: anyone's check of the whole record");
    println!("  thistle-verify verify --file {}\n", record_path.display());
    let verify_started = Instant::now();
    let (verified, verified_counted) = verify(&tools, &record_path)?;
    let yours = compare(
        &verified,
        &turnout,
        &record.manifest.contests,
        cli.vote_yourself,
    )?;
    let counted = turnout.voters + u64::from(yours.is_some());
    let final_record = client.record(&election)?;
    for line in ranked_papers(&final_record, &turnout, cli.vote_yourself)? {
        println!("  {line}");
    }
    if verified_counted != Some(counted) {
        return Err(Error::WrongResults(format!(
            "the verifier counted {verified_counted:?} ballots, one for each of {counted} voters was expected"
        )));
    }
    println!(
        "\nThe verifier's verdict: valid ({} to verify); the verified results are exactly what the simulated voters chose, counting each voter's last ballot with its weight{}.",
        elapsed(verify_started),
        match yours {
            Some(_) => ", plus one valid ballot: yours",
            None if cli.vote_yourself => " (you did not cast a ballot)",
            None => "",
        }
    );
    println!("Whole demo: {}.", elapsed(started));
    println!("\nThe record: {}", record_path.display());
    let verifier = tools.bin.join(Tool::Verify.name());
    println!(
        "Check it yourself: {} verify --file {}",
        verifier.display(),
        record_path.display()
    );
    if let Some((id, code)) = turnout.sample.first() {
        println!(
            "A voter's check ({id}): {} verify-ballot --file {} --code {code}",
            verifier.display(),
            record_path.display()
        );
    }

    if cli.keep_serving {
        println!(
            "\nThe board keeps serving at {} (Ctrl-C stops it).",
            board.url
        );
        match &page {
            Some(_) => {
                println!("  observer view and results: {}/#e={election}&view=board", board.url);
                if let Some((_, code)) = turnout.sample.first() {
                    println!("  look a ballot up:          {}/#e={election}&view=track (tracking code {code})", board.url);
                }
                println!("  the voting page:           {voting_url} (voting has closed; run the demo with --vote-yourself to vote in it)");
            }
            None => println!(
                "  the voting page is not built, so the board serves only its API: run `bash scripts/build-client.sh` and start the demo again with --keep-serving"
            ),
        }
        board.serve_until_stopped()?;
    }
    Ok(())
}

/// Creates the demo's directory (replacing an earlier demo's, never anything else).
fn prepare_dir(dir: &Path) -> Result<PathBuf, Error> {
    if dir.exists() {
        let is_demo = dir.join(MARKER).is_file();
        let empty = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .next()
            .is_none();
        if !is_demo && !empty {
            return Err(Error::Input(format!(
                "{} exists and is not an earlier demo's directory; choose another with --dir",
                dir.display()
            )));
        }
        std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    std::fs::write(
        dir.join(MARKER),
        "made by thistle-demo; replaced by the next run\n",
    )
    .map_err(|e| Error::io(dir.join(MARKER), e))?;
    std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))
}

fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| Error::io(path, e))
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand_core::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// The administrator's edit of `admin init`'s example: the keys the roles printed, this board, a
/// name unique to this run, and a voting window from a minute ago to a week from now (the demo
/// closes the vote itself).
fn fill_manifest(
    template: &str,
    admin: &str,
    authority: &str,
    board: &str,
    trustees: &[String],
    witnesses: &[(String, String, String)],
) -> Result<String, Error> {
    let mut witness_names = witnesses.iter().map(|w| &w.0);
    let mut witness_urls = witnesses.iter().map(|w| &w.2);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| Error::Input("the clock is before 1970".into()))?
        .as_secs();
    let mut out = String::with_capacity(template.len());
    for line in template.lines() {
        let line = if line.starts_with("election_id = ") {
            format!("election_id = \"demo-{now}\"")
        } else if line.starts_with("opens_at = ") {
            format!("opens_at = {}", now - 60)
        } else if line.starts_with("closes_at = ") {
            format!("closes_at = {}", now + 7 * 24 * 3600)
        } else if line.starts_with("origin = ") {
            format!("origin = \"{ORIGIN}\"")
        } else if line.starts_with("name = \"witness.") {
            match witness_names.next() {
                Some(name) => format!("name = \"{name}\""),
                None => line.to_owned(),
            }
        } else if line.starts_with("url = \"https://witness.") {
            match witness_urls.next() {
                Some(url) => format!("url = \"{url}\""),
                None => line.to_owned(),
            }
        } else {
            let mut l = line
                .replace("REPLACE: administrator public key", admin)
                .replace("REPLACE: credential authority public key", authority)
                .replace("REPLACE: board public key", board);
            for (i, t) in trustees.iter().enumerate() {
                l = l.replace(&format!("REPLACE: trustee {} public key", i + 1), t);
            }
            for (i, (_, key, _)) in witnesses.iter().enumerate() {
                l = l.replace(&format!("REPLACE: witness {} public key", i + 1), key);
            }
            l
        };
        out.push_str(&line);
        out.push('\n');
    }
    if out.contains("REPLACE:") {
        return Err(Error::Input(
            "the example manifest has a placeholder the demo does not know".into(),
        ));
    }
    Ok(out)
}

/// A roll of `n` voters, each of weight 1 (the example manifest's ward is counted by STV, where
/// every elector has one vote; weighted credentials are for the summed kinds alone).
fn roll_csv(n: usize, you: bool) -> String {
    let mut text = String::from("id,weight\n");
    if you {
        text.push_str(&format!("{YOU},1\n"));
    }
    for i in 1..=n {
        text.push_str(&format!("voter-{i:06},1\n"));
    }
    text
}

fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "  {msg:>8} [{bar:40}] {human_pos}/{human_len} {per_sec} eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

type VerifiedResults = (Vec<(String, Vec<u64>)>, Option<u64>);

/// Runs the verifier on the exported record, showing its report as it prints it; returns the
/// verified results it printed (contest title, then each option's total) and how many ballots it
/// counted (V12).
fn verify(tools: &Tools, record: &Path) -> Result<VerifiedResults, Error> {
    let args = ["verify", "--file", &record.display().to_string()].map(String::from);
    let mut child = tools
        .command(Tool::Verify)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io("thistle-verify", e))?;
    let mut results: Vec<(String, Vec<u64>)> = Vec::new();
    let mut in_results = false;
    let mut counted = None;
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line.map_err(|e| Error::io("thistle-verify's output", e))?;
        println!("  | {line}");
        if let Some(rest) = line.strip_prefix("V12 ") {
            counted = rest
                .split_whitespace()
                .skip_while(|w| *w != "pass")
                .nth(1)
                .and_then(|n| n.parse().ok());
        }
        if line.starts_with("Results (verified):") {
            in_results = true;
        } else if in_results {
            if line.starts_with("    Funded within the budget")
                || line.starts_with("    ranked:")
                || line.starts_with("      ")
            {
                // Funded projects follow from the totals (§12.7), compared themselves; a ranked
                // contest's count sheet is compared paper by paper from the record.
            } else if let Some(option) = line.strip_prefix("    ") {
                let total = option
                    .split_whitespace()
                    .last()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| Error::Input(format!("an unreadable result line: {line}")))?;
                match results.last_mut() {
                    Some((_, totals)) => totals.push(total),
                    None => {
                        return Err(Error::Input(format!("a result before its contest: {line}")))
                    }
                }
            } else if let Some(title) = line.strip_prefix("  ") {
                results.push((title.to_owned(), Vec::new()));
            } else {
                in_results = false;
            }
        }
    }
    let status = child.wait().map_err(|e| Error::io("thistle-verify", e))?;
    if !status.success() {
        return Err(Error::ToolFailed {
            command: format!("thistle-verify {}", args.join(" ")),
            status: status.to_string(),
            stderr: "the record did not verify: see the report above".into(),
        });
    }
    Ok((results, counted))
}

/// The verified results against the voters' own choices. What is left over must be nothing, or,
/// with `yours_allowed` (`--vote-yourself`), one valid ballot of weight 1, which is returned.
fn compare(
    verified: &[(String, Vec<u64>)],
    turnout: &Turnout,
    contests: &[Contest],
    yours_allowed: bool,
) -> Result<Option<Vec<Vec<u64>>>, Error> {
    if verified.len() != contests.len() {
        return Err(Error::WrongResults(format!(
            "the verifier printed {} contests, the election has {}",
            verified.len(),
            contests.len()
        )));
    }
    let mut left_over = Vec::new();
    for ((title, totals), (contest, expected)) in
        verified.iter().zip(contests.iter().zip(&turnout.expected))
    {
        let differs = || {
            Error::WrongResults(format!(
                "{}: the voters chose {expected:?}, the verifier printed {title}: {totals:?}",
                contest.title
            ))
        };
        if *title != contest.title || totals.len() != expected.len() {
            return Err(differs());
        }
        let extra: Option<Vec<u64>> = totals
            .iter()
            .zip(expected)
            .map(|(t, e)| t.checked_sub(*e))
            .collect();
        left_over.push(extra.ok_or_else(differs)?);
    }
    if left_over.iter().flatten().all(|&v| v == 0) {
        return Ok(None);
    }
    if !yours_allowed {
        return Err(Error::WrongResults(format!(
            "beyond the voters' choices the totals hold {left_over:?}"
        )));
    }
    for (index, (contest, extra)) in contests.iter().zip(&left_over).enumerate() {
        if contest.is_ranked() {
            // Never summed: its papers are compared from the record (`ranked_papers`).
            continue;
        }
        contest.check_selection(index, extra).map_err(|e| {
            Error::WrongResults(format!(
                "{}: beyond the simulated voters' choices there is {extra:?}, which is not one ballot ({e})",
                contest.title
            ))
        })?;
    }
    Ok(Some(left_over))
}

/// Each ranked contest's decrypted papers against the voters' last rankings: the same papers, in
/// some order (the mixes permuted them), plus at most one (yours) with `yours_allowed`.
fn ranked_papers(
    record: &cli_support::board::Record,
    turnout: &voters::Turnout,
    yours_allowed: bool,
) -> Result<Vec<String>, Error> {
    let mut lines = Vec::new();
    for count in record.ranked_counts() {
        let contest = &record.manifest.contests[count.contest as usize];
        let mut papers: Vec<Vec<u64>> = count
            .rows
            .iter()
            .map(|r| r.iter().map(|&v| u64::from(v)).collect())
            .collect();
        papers.sort();
        for expected in &turnout.rankings[count.contest as usize] {
            match papers.binary_search(expected) {
                Ok(at) => {
                    papers.remove(at);
                }
                Err(_) => {
                    return Err(Error::WrongResults(format!(
                        "{}: a voter ranked {expected:?}, and no decrypted paper says so",
                        contest.title
                    )))
                }
            }
        }
        if papers.len() > usize::from(yours_allowed) {
            return Err(Error::WrongResults(format!(
                "{}: the decrypted papers hold {} the voters did not cast: {papers:?}",
                contest.title,
                papers.len()
            )));
        }
        let elected: Vec<&str> = count
            .sheet
            .elected
            .iter()
            .map(|&c| contest.options[usize::from(c)].title.as_str())
            .collect();
        lines.push(format!(
            "{}: the {} papers the trustees decrypted after {} mixes are exactly the voters' last rankings; elected by Scottish STV in {} stages: {}",
            contest.title,
            count.rows.len(),
            record.mixes(count.contest).len(),
            count.sheet.stages.len(),
            elected.join(", ")
        ));
    }
    Ok(lines)
}

/// Your voting code from the credential authority's mail-merge file.
fn your_code(csv: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(csv).map_err(|e| Error::io(csv, e))?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{YOU},1,")))
        .map(str::to_owned)
        .ok_or_else(|| Error::Input(format!("{}: no credential for {YOU}", csv.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::manifest::{ContestKind, ContestOption};

    fn referendum() -> Contest {
        Contest {
            id: "r".into(),
            title: "Referendum".into(),
            kind: ContestKind::Choose { min: 1, max: 1 },
            options: ["Yes", "No"]
                .map(|t| ContestOption {
                    id: t.to_lowercase(),
                    title: t.into(),
                })
                .to_vec(),
        }
    }

    #[test]
    fn results_must_be_the_voters_choices_or_those_plus_one_valid_ballot() {
        let contests = [referendum()];
        let turnout = Turnout {
            expected: vec![vec![7, 3]],
            ..Turnout::default()
        };
        let printed = |totals: Vec<u64>| vec![("Referendum".to_owned(), totals)];
        assert_eq!(
            compare(&printed(vec![7, 3]), &turnout, &contests, false).unwrap(),
            None
        );
        assert_eq!(
            compare(&printed(vec![7, 4]), &turnout, &contests, true).unwrap(),
            Some(vec![vec![0, 1]])
        );
        for wrong in [vec![7, 5], vec![8, 4], vec![6, 4], vec![7, 3, 0]] {
            let e = compare(&printed(wrong.clone()), &turnout, &contests, true).unwrap_err();
            assert!(matches!(e, Error::WrongResults(_)), "{wrong:?}: {e}");
        }
        // Without --vote-yourself, not even one valid extra ballot.
        assert!(compare(&printed(vec![7, 4]), &turnout, &contests, false).is_err());
        let renamed = vec![("Another".to_owned(), vec![7, 3])];
        assert!(compare(&renamed, &turnout, &contests, true).is_err());
        assert!(compare(&[], &turnout, &contests, true).is_err());
    }

    #[test]
    fn the_manifest_is_filled_in_completely_or_refused() {
        let keys: Vec<String> = ["1", "2", "3"].map(|k| k.repeat(64)).to_vec();
        let template = "election_id = \"x\"\nopens_at = 1\nclose = 2\n[administrator]\nkey = \"REPLACE: administrator public key\"\n[[trustees]]\nkey = \"REPLACE: trustee 3 public key\"\n";
        let filled = fill_manifest(template, "a", "c", "b", &keys, &[]).unwrap();
        assert!(filled.contains("key = \"a\"") && filled.contains(&keys[2]));
        assert!(filled.starts_with("election_id = \"demo-"));
        let unknown = format!("{template}key = \"REPLACE: somebody else\"\n");
        assert!(fill_manifest(&unknown, "a", "c", "b", &keys, &[]).is_err());
    }
}
