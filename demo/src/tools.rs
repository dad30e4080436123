//! The real programs the demo drives, as separate processes: found beside the demo's own binary
//! (`cargo build --release --bins` puts them there), run in the demo's directory with its
//! passphrase file.
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::Error;

/// One of the workspace's programs.
#[derive(Clone, Copy, Debug)]
pub enum Tool {
    /// `bulletin-board`
    Board,
    /// `election-authority`
    Authority,
    /// `tally`
    Tally,
    /// `thistle-verify`
    Verify,
    /// `thistle-witness`
    Witness,
}

impl Tool {
    /// The binary's name.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Board => "bulletin-board",
            Tool::Authority => "election-authority",
            Tool::Tally => "tally",
            Tool::Verify => "thistle-verify",
            Tool::Witness => "thistle-witness",
        }
    }
}

/// Where the programs are and where they work.
pub struct Tools {
    /// Where the programs are.
    pub bin: PathBuf,
    /// The demo's directory: every key, share, credential and the record go here.
    pub work: PathBuf,
    passphrase: PathBuf,
    runs: std::cell::Cell<u32>,
}

impl Tools {
    /// Finds every program beside this binary.
    pub fn locate(work: &Path, passphrase: PathBuf) -> Result<Tools, Error> {
        let exe = std::env::current_exe().map_err(|e| Error::io("the demo's own path", e))?;
        let bin = exe
            .parent()
            .expect("a binary lives in a directory")
            .to_owned();
        for tool in [
            Tool::Board,
            Tool::Authority,
            Tool::Tally,
            Tool::Verify,
            Tool::Witness,
        ] {
            if !bin.join(tool.name()).is_file() {
                return Err(Error::MissingTool {
                    name: tool.name(),
                    dir: bin,
                });
            }
        }
        std::fs::create_dir_all(work.join("logs")).map_err(|e| Error::io(work.join("logs"), e))?;
        Ok(Tools {
            bin,
            work: work.to_owned(),
            passphrase,
            runs: std::cell::Cell::new(0),
        })
    }

    /// A command for `tool`, in the demo's directory, with the passphrase file. The board's
    /// settings come only from the demo's arguments, never from the caller's environment (which
    /// might name a real board's key file).
    pub fn command(&self, tool: Tool) -> Command {
        let mut cmd = Command::new(self.bin.join(tool.name()));
        cmd.current_dir(&self.work)
            .env("THISTLE_PASSPHRASE_FILE", &self.passphrase)
            .env_remove("THISTLE_PASSPHRASE")
            .env_remove("THISTLE_BOARD");
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("BOARD_") {
                cmd.env_remove(name);
            }
        }
        cmd
    }

    /// A new log file in `logs/`, numbered in the order things ran.
    pub fn log(&self, label: &str) -> PathBuf {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        self.work.join("logs").join(format!("{n:02}-{label}.log"))
    }

    /// Runs `tool` to the end, keeping what it printed in `logs/`; its standard output, or its
    /// standard error as the failure.
    pub fn run(&self, tool: Tool, args: &[&str]) -> Result<String, Error> {
        let out = self
            .command(tool)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::io(tool.name(), e))?;
        let words: Vec<&str> = std::iter::once(tool.name())
            .chain(args.iter().copied().take_while(|a| !a.starts_with('-')))
            .collect();
        let log = self.log(&words.join("-"));
        let text = format!(
            "$ {} {}\n{}{}",
            tool.name(),
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&log, text).map_err(|e| Error::io(&log, e))?;
        checked(tool, args, out)
    }
}

/// The program's standard output if it succeeded.
pub fn checked(tool: Tool, args: &[&str], out: Output) -> Result<String, Error> {
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Error::ToolFailed {
            command: format!("{} {}", tool.name(), args.join(" ")),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// A free port on the loopback interface, for a board nobody asked to put elsewhere.
pub fn free_address() -> Result<String, Error> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("a free port on 127.0.0.1", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::io("a free port on 127.0.0.1", e))?
        .port();
    Ok(format!("127.0.0.1:{port}"))
}

/// The board, running as its own process until dropped (or until it is left serving).
pub struct BoardProcess {
    child: Child,
    /// Its URL.
    pub url: String,
}

impl BoardProcess {
    /// Starts `bulletin-board serve` with `args` and waits until it answers `/v1/health`.
    pub fn start(tools: &Tools, bind: &str, args: &[String], log: &Path) -> Result<Self, Error> {
        Self::start_as(tools, Tool::Board, bind, args, log)
    }

    /// Starts `tool serve` (the board or a witness) and waits until it answers `/v1/health`.
    pub fn start_as(
        tools: &Tools,
        tool: Tool,
        bind: &str,
        args: &[String],
        log: &Path,
    ) -> Result<Self, Error> {
        let log_file = std::fs::File::create(log).map_err(|e| Error::io(log, e))?;
        let err_file = log_file.try_clone().map_err(|e| Error::io(log, e))?;
        let child = tools
            .command(tool)
            .args(["serve", "--bind", bind])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(err_file)
            .spawn()
            .map_err(|e| Error::io(tool.name(), e))?;
        let mut board = BoardProcess {
            child,
            url: format!("http://{bind}"),
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(status)) = board.child.try_wait() {
                return Err(Error::BoardDown(format!(
                    "it exited ({status}); see {}",
                    log.display()
                )));
            }
            if cli_support::board::BoardClient::new(&board.url).healthy() {
                return Ok(board);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(Error::BoardDown(format!(
            "no answer from {} within 30 s; see {}",
            board.url,
            log.display()
        )))
    }

    /// Stops it (as a crash would: kill -9).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Leaves the board serving until it stops (Ctrl-C stops both).
    pub fn serve_until_stopped(mut self) -> Result<(), Error> {
        let status = self
            .child
            .wait()
            .map_err(|e| Error::io("bulletin-board", e))?;
        Err(Error::BoardDown(format!("it exited ({status})")))
    }
}

impl Drop for BoardProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A program running in the background whose standard error goes to a log file, with a signal
/// when a line containing `marker` appears.
pub struct Background {
    /// `None` once waited for.
    child: Option<Child>,
    logger: Option<std::thread::JoinHandle<()>>,
    tool: Tool,
    args: Vec<String>,
    log: PathBuf,
}

impl Background {
    /// Starts `tool args`; with `signal = (marker, tx, token)`, sends `token` on `tx` once its
    /// standard error says `marker`.
    pub fn start<T: Send + 'static>(
        tools: &Tools,
        tool: Tool,
        args: Vec<String>,
        log: PathBuf,
        signal: Option<(&'static str, mpsc::Sender<T>, T)>,
    ) -> Result<Self, Error> {
        let mut child = tools
            .command(tool)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(tool.name(), e))?;
        let stderr = BufReader::new(child.stderr.take().expect("piped"));
        let mut file = std::fs::File::create(&log).map_err(|e| Error::io(&log, e))?;
        let logger = std::thread::spawn(move || {
            let mut signal = signal;
            for line in stderr.lines().map_while(Result::ok) {
                if signal
                    .as_ref()
                    .is_some_and(|(marker, _, _)| line.contains(marker))
                {
                    if let Some((_, tx, token)) = signal.take() {
                        let _ = tx.send(token);
                    }
                }
                let _ = std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes());
            }
        });
        Ok(Background {
            child: Some(child),
            logger: Some(logger),
            tool,
            args,
            log,
        })
    }

    /// If the program has already ended in failure: the failure, with its log.
    pub fn failed(&mut self) -> Result<(), Error> {
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        match child.try_wait() {
            Ok(Some(status)) if !status.success() => {
                // Its standard error is complete once it has exited and the pipe drains.
                std::thread::sleep(Duration::from_millis(200));
                Err(Error::ToolFailed {
                    command: format!("{} {}", self.tool.name(), self.args.join(" ")),
                    status: status.to_string(),
                    stderr: std::fs::read_to_string(&self.log).unwrap_or_default(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Waits for the program to end; its standard output, or the failure with its log.
    pub fn finish(mut self) -> Result<String, Error> {
        let child = self.child.take().expect("waited for once");
        let out = child
            .wait_with_output()
            .map_err(|e| Error::io(self.tool.name(), e))?;
        if let Some(logger) = self.logger.take() {
            let _ = logger.join();
        }
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        checked(self.tool, &args, out).map_err(|e| match e {
            Error::ToolFailed {
                command, status, ..
            } => Error::ToolFailed {
                command,
                status,
                stderr: std::fs::read_to_string(&self.log).unwrap_or_default(),
            },
            other => other,
        })
    }
}

impl Drop for Background {
    /// A step that failed elsewhere must not leave the program waiting on a board that is gone.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
