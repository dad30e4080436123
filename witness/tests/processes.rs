//! Three witnesses and a board, each its own process (spec §13.9): the board pushes every
//! checkpoint and serves the one `k` witnesses cosigned; one witness down still meets `k = 2`;
//! below quorum voting goes on and the witnessed checkpoint stops advancing until a witness is
//! back; a witness killed with -9 again and again never cosigns two inconsistent checkpoints, and
//! its copy of the record is the board's.
use std::net::TcpListener;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bulletin_board::sim::{ballot_entry, one_of_five, post_body, post_setup, SimElection, SimSpec};
use protocol::manifest::{BoardInfo, WitnessInfo};
use protocol::merkle::{leaf_hash, root, Checkpoint};
use protocol::signature::SecretKey;
use rand_core::{OsRng, RngCore};
use serde_json::Value;

const ORIGIN: &str = "board.test/witnessed";
const PASSPHRASE: &str = "a witness passphrase long enough";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn scratch(label: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{label}-{:016x}", OsRng.next_u64()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn private_file(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
}

/// Another package's binary, built if this test run has not built it yet.
fn workspace_binary(package: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join(name);
    if !bin.exists() {
        let release = dir.file_name().is_some_and(|d| d == "release");
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", package, "--bin", name])
            .args(release.then_some("--release"))
            .status()
            .unwrap();
        assert!(status.success(), "building {name}");
    }
    bin
}

fn board_binary() -> PathBuf {
    workspace_binary("bulletin-board", "bulletin-board")
}

struct Proc {
    child: Child,
    url: String,
    command: Vec<String>,
}

impl Proc {
    fn start(program: &Path, args: Vec<String>, url: String) -> Proc {
        let child = Command::new(program)
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut command = vec![program.display().to_string()];
        command.extend(args);
        let p = Proc {
            child,
            url,
            command,
        };
        p.wait_healthy();
        p
    }

    fn wait_healthy(&self) {
        for _ in 0..400 {
            if ureq::get(&format!("{}/v1/health", self.url)).call().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} did not become healthy", self.command[0]);
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restart(&mut self) {
        self.kill9();
        self.child = Command::new(&self.command[0])
            .args(&self.command[1..])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.wait_healthy();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn json(url: &str) -> Value {
    ureq::get(url).call().unwrap().into_json().unwrap()
}

/// Waits until the board's witnessed checkpoint covers `size` entries with at least `k`
/// cosignatures; returns it.
fn wait_witnessed(board: &str, id: &str, size: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let cp = json(&format!("{board}/v1/elections/{id}/checkpoint"));
        if cp["witnessed"]["size"].as_u64().is_some_and(|s| s >= size) {
            return cp["witnessed"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "not witnessed up to {size}: {cp}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn board_size(board: &str, id: &str) -> u64 {
    json(&format!("{board}/v1/elections/{id}/checkpoint"))["size"]
        .as_u64()
        .unwrap_or(0)
}

fn cast(board: &str, e: &SimElection, voter: usize, size: u64) {
    let id = e.id();
    let ballot = e.ballot(voter, voter % 5, size, &mut OsRng);
    let response = ureq::post(&format!("{board}/v1/elections/{id}/ballots"))
        .set("content-type", "application/json")
        .send_string(&post_body(&ballot_entry(ballot)))
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[test]
fn a_board_with_three_witnesses_through_faults() {
    let dir = scratch("witnessed");
    let board_port = free_port();
    let board_url = format!("http://127.0.0.1:{board_port}");
    let pass = dir.join("passphrase");
    private_file(&pass, &format!("{PASSPHRASE}\n"));

    // Three organisations make their keys; the manifest names them, k = 2.
    let witness_bin = Path::new(env!("CARGO_BIN_EXE_thistle-witness"));
    let mut witnesses = Vec::new();
    let mut infos = Vec::new();
    for i in 0..3 {
        let name = format!("witness-{i}.test");
        let key = dir.join(format!("{name}.key"));
        let out = Command::new(witness_bin)
            .args(["key", "--name", &name, "--key"])
            .arg(&key)
            .arg("--passphrase-file")
            .arg(&pass)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8(out.stdout).unwrap();
        let hex_key = printed
            .lines()
            .find_map(|l| l.strip_prefix("key = \""))
            .unwrap()
            .trim_end_matches('"');
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        infos.push(WitnessInfo {
            name: name.clone(),
            key: protocol::signature::PublicKey::from_bytes(
                hex::decode(hex_key).unwrap().try_into().unwrap(),
                "witness key",
            )
            .unwrap(),
            url: url.clone(),
        });
        let args = vec![
            "serve".into(),
            "--bind".into(),
            format!("127.0.0.1:{port}"),
            "--data-dir".into(),
            dir.join(format!("{name}-data")).display().to_string(),
            "--key".into(),
            key.display().to_string(),
            "--name".into(),
            name,
            "--passphrase-file".into(),
            pass.display().to_string(),
            "--board".into(),
            board_url.clone(),
        ];
        witnesses.push(Proc::start(witness_bin, args, url));
    }

    let board_dir = dir.join("board");
    std::fs::create_dir_all(&board_dir).unwrap();
    let board_secret = SecretKey::from_seed(&[21; 32]);
    private_file(
        &board_dir.join("board.key"),
        &format!("{}\n", hex::encode(board_secret.to_seed())),
    );
    let board = Proc::start(
        &board_binary(),
        vec![
            "serve".into(),
            "--bind".into(),
            format!("127.0.0.1:{board_port}"),
            "--data-dir".into(),
            board_dir.display().to_string(),
            "--origin".into(),
            ORIGIN.into(),
            "--checkpoint-ms".into(),
            "200".into(),
        ],
        board_url.clone(),
    );

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let e = SimElection::witnessed(
        "witnessed-processes",
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_secret.public_key(),
        },
        (now - 60, now + 3_600),
        SimSpec {
            trustees: 3,
            threshold: 2,
            contests: one_of_five(),
            weights: vec![1; 40],
            tampered_share: None,
        },
        (infos.clone(), 2),
        &mut OsRng,
    );
    let id = e.id();
    actix_web::rt::System::new()
        .block_on(async {
            let client = awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish();
            post_setup(&client, &board.url, &e).await
        })
        .unwrap();

    // All three up: the set-up and five ballots are witnessed, by at least two.
    let mut voter = 0;
    let mut vote = |n: usize| {
        for _ in 0..n {
            let size = board_size(&board.url, &id);
            cast(&board.url, &e, voter, size);
            voter += 1;
        }
    };
    vote(5);
    std::thread::sleep(Duration::from_millis(400));
    let size = board_size(&board.url, &id);
    let w = wait_witnessed(&board.url, &id, size);
    assert!(w["cosigners"].as_u64().unwrap() >= 2, "{w}");
    let manifest_hash = e.manifest_hash;
    let verified = protocol::witness::WitnessedCheckpoint::verify(
        w["note"].as_str().unwrap(),
        &e.manifest,
        &manifest_hash,
    )
    .unwrap();
    assert!(verified.meets_quorum());

    // One witness down: two of three still meet k.
    witnesses[2].kill9();
    vote(5);
    std::thread::sleep(Duration::from_millis(400));
    let size = board_size(&board.url, &id);
    wait_witnessed(&board.url, &id, size);

    // Two down: voting goes on, but nothing new is witnessed.
    witnesses[1].kill9();
    let witnessed_before = json(&format!("{}/v1/elections/{id}/checkpoint", board.url))
        ["witnessed"]["size"]
        .as_u64()
        .unwrap();
    vote(3);
    std::thread::sleep(Duration::from_secs(2));
    let cp = json(&format!("{}/v1/elections/{id}/checkpoint", board.url));
    assert!(
        cp["size"].as_u64().unwrap() >= witnessed_before + 3,
        "ballots were still taken: {cp}"
    );
    assert_eq!(
        cp["witnessed"]["size"].as_u64(),
        Some(witnessed_before),
        "below quorum nothing new is witnessed"
    );

    // One back: witnessed again, up to the end.
    witnesses[1].restart();
    let size = board_size(&board.url, &id);
    wait_witnessed(&board.url, &id, size);

    // Witness 0 killed with -9 while the board pushes, again and again.
    for round in 0..6 {
        vote(2);
        std::thread::sleep(Duration::from_millis(100 + 70 * round));
        witnesses[0].kill9();
        witnesses[0].restart();
    }
    vote(2);
    std::thread::sleep(Duration::from_millis(400));
    let size = board_size(&board.url, &id);
    wait_witnessed(&board.url, &id, size);

    // Every checkpoint witness 0 ever cosigned is a prefix of the board's one history, in order.
    let record: Vec<Vec<u8>> = {
        let mut leaves = Vec::new();
        while (leaves.len() as u64) < size {
            let page = json(&format!(
                "{}/v1/elections/{id}/entries?start={}&end={size}",
                board.url,
                leaves.len()
            ));
            for entry in page["entries"].as_array().unwrap() {
                leaves.push(B64.decode(entry["leaf"].as_str().unwrap()).unwrap());
            }
        }
        leaves
    };
    let hashes: Vec<_> = record.iter().map(|l| leaf_hash(l)).collect();
    let history = json(&format!("{}/v1/elections/{id}/cosigned", witnesses[0].url));
    let history = history.as_array().unwrap();
    assert!(history.len() >= 3, "{history:?}");
    let mut last = 0;
    for c in history {
        let note = c["note"].as_str().unwrap();
        let cp = Checkpoint::verify_for(note, &e.manifest, &manifest_hash).unwrap();
        assert!(cp.size >= last, "sizes never go back");
        assert_eq!(
            cp.root,
            root(&hashes[..cp.size as usize]),
            "cosigned at {} a root of the one history",
            cp.size
        );
        last = cp.size;
    }
    // Its copy of the record is the board's, under its own cosigned checkpoint.
    let copy = json(&format!(
        "{}/v1/elections/{id}/entries?start=0&end={size}",
        witnesses[0].url
    ));
    assert_eq!(
        B64.decode(copy["entries"][0]["leaf"].as_str().unwrap())
            .unwrap(),
        record[0]
    );
    // The board's witnessed timeline: every checkpoint a quorum cosigned, in order, each a root of
    // the one history; kept across a kill -9 of the board.
    let timeline = json(&format!("{}/v1/elections/{id}/checkpoints", board.url));
    let timeline = timeline.as_array().unwrap().clone();
    assert!(timeline.len() >= 3, "{timeline:?}");
    let mut last = 0;
    for c in &timeline {
        let w = protocol::witness::WitnessedCheckpoint::verify(
            c["note"].as_str().unwrap(),
            &e.manifest,
            &manifest_hash,
        )
        .unwrap();
        assert!(w.meets_quorum());
        let size = w.checkpoint().size;
        assert!(size > last, "increasing sizes");
        assert_eq!(w.checkpoint().root, root(&hashes[..size as usize]));
        last = size;
    }
    let mut board = board;
    board.restart();
    let cp = json(&format!("{}/v1/elections/{id}/checkpoint", board.url));
    assert!(
        cp["witnessed"]["size"].as_u64().is_some_and(|s| s >= last),
        "the witnessed checkpoint is served again at once after a restart: {cp}"
    );
    let again = json(&format!("{}/v1/elections/{id}/checkpoints", board.url));
    assert_eq!(again.as_array().unwrap()[..timeline.len()], timeline[..]);

    // The board's record export carries the quorum's cosignatures and the witnessed timeline,
    // and the observers' reader checks both (V1).
    let export = ureq::get(&format!("{}/v1/elections/{id}/record", board.url))
        .call()
        .unwrap()
        .into_reader();
    let record = cli_support::record::read_record(export, &id, &mut |_, _, _| {}).unwrap();
    assert!(record.witnessed_by.len() >= 2, "{:?}", record.witnessed_by);
    assert!(record.timeline.len() >= timeline.len());

    // An observer also asks two witnesses directly: both show this history.
    let out = Command::new(workspace_binary("verifier-cli", "thistle-verify"))
        .args(["verify", "--board", &board.url, "--election", &id])
        .args([
            "--witness",
            &witnesses[0].url,
            "--witness",
            &witnesses[1].url,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(text.matches("Witness asked directly").count(), 2, "{text}");
    assert!(text.contains("V16"), "{text}");

    // A voter's check asks a witness too.
    let page = json(&format!(
        "{}/v1/elections/{id}/entries?start=0&end=100",
        board.url
    ));
    let code = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["tracking_code"].as_str())
        .unwrap()
        .to_owned();
    let out = Command::new(workspace_binary("verifier-cli", "thistle-verify"))
        .args([
            "verify-ballot",
            "--board",
            &board.url,
            "--election",
            &id,
            "--code",
            &code,
        ])
        .args(["--witness", &witnesses[1].url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("Witness asked directly") && text.contains("Status: "),
        "{text}"
    );

    // The record outlives the board: a witness that kept it serves it with the quorum's
    // cosignatures and the witnessed timeline it read from the board, and it verifies alone.
    let last_witnessed = timeline.last().unwrap()["size"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let kept = json(&format!(
            "{}/v1/elections/{id}/checkpoints",
            witnesses[1].url
        ));
        let kept = kept.as_array().unwrap();
        if kept.last().and_then(|c| c["size"].as_u64()) >= Some(last_witnessed) {
            for c in kept {
                assert!(c["cosigners"].as_u64().unwrap() >= 2, "{c}");
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the witness never read the board's timeline: {kept:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    board.kill9();
    let out = Command::new(workspace_binary("verifier-cli", "thistle-verify"))
        .args(["verify", "--board", &witnesses[1].url, "--election", &id])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("witnessed: cosigned by"), "{text}");
    assert!(text.contains("V16"), "{text}");
}
