//! Real processes for end-to-end tests of the tools: a `bulletin-board` on the embedded store,
//! and the `tally` tool. Shared by the election-authority and tally tests.
#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use protocol::signature::SecretKey;

pub const ORIGIN: &str = "board.test/authority";
pub const PASSPHRASE: &str = "correct horse battery staple";
const BOARD_SEED: [u8; 32] = [5u8; 32];

pub fn board_key() -> SecretKey {
    SecretKey::from_seed(&BOARD_SEED)
}

/// A fresh scratch directory.
pub fn scratch(label: &str) -> PathBuf {
    let n: u64 = rand_core::RngCore::next_u64(&mut rand_core::OsRng);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{label}-{n:016x}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write_private(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// A binary of another workspace package, built if this test run has not built it.
pub fn workspace_binary(package: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join(name);
    if !bin.exists() {
        // Benchmarks run from target/release: build the binary in the profile that runs us.
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

/// The tally ceremony's tool, with the passphrase file.
pub fn tally_tool(dir: &Path) -> Command {
    let mut cmd = Command::new(workspace_binary("tally", "tally"));
    cmd.current_dir(dir)
        .env("THISTLE_PASSPHRASE_FILE", passphrase_file(dir))
        .env_remove("THISTLE_PASSPHRASE");
    cmd
}

/// Runs the tally tool to completion; returns stdout, panicking with stderr on failure.
pub fn run_tally(dir: &Path, args: &[&str]) -> String {
    let out = tally_tool(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "tally {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A running board.
pub struct Board {
    child: Child,
    pub url: String,
}

impl Board {
    pub fn start(dir: &Path) -> Board {
        Board::start_serving(dir, None)
    }

    /// A board that also serves the voting page's files from `static_dir`.
    pub fn start_serving(dir: &Path, static_dir: Option<&Path>) -> Board {
        std::fs::create_dir_all(dir).unwrap();
        write_private(
            &dir.join("board.key"),
            &format!("{}\n", hex::encode(BOARD_SEED)),
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(board_binary())
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--origin",
                ORIGIN,
            ])
            .args(["--checkpoint-ms", "100", "--data-dir"])
            .arg(dir)
            .env_remove("BOARD_DATABASE_URL")
            .env_remove("BOARD_STATIC_DIR")
            .args(
                static_dir
                    .map(|d| ["--static-dir".into(), d.as_os_str().to_owned()])
                    .into_iter()
                    .flatten(),
            )
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // Dropping the guard kills the board if it never becomes healthy.
        let board = Board {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..300 {
            if ureq::get(&format!("{}/v1/health", board.url))
                .call()
                .is_ok()
            {
                return board;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the board did not start");
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `dir/passphrase` holding [`PASSPHRASE`] (mode 0600), written on first use.
pub fn passphrase_file(dir: &Path) -> PathBuf {
    let pass = dir.join("passphrase");
    if !pass.exists() {
        write_private(&pass, &format!("{PASSPHRASE}\n"));
    }
    pass
}
