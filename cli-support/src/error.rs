//! The tools' errors; each says what to do about it.
use std::fmt;
use std::path::{Path, PathBuf};

/// Everything that can go wrong in Thistle's command-line tools.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A secret file is malformed, of the wrong kind, or readable by others.
    #[error("secret file: {0}")]
    SecretFile(String),
    /// The passphrase does not open the secret file.
    #[error("wrong passphrase (or the secret file was altered); nothing was changed")]
    WrongPassphrase,
    /// The manifest has problems, each with its line.
    #[error("the manifest has {} problem(s):\n{}", .0.len(), Problem::list(.0))]
    Manifest(Vec<Problem>),
    /// The voter roll has a bad line.
    #[error("voter roll, line {line}: {reason}")]
    Roll {
        /// 1-based line in the CSV file.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The board could not be reached or answered nonsense.
    #[error("board {url}: {reason}; check the URL and that the board is running")]
    Board {
        /// The request URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// The board refused a post.
    #[error("the board refused the {what} ({code}): {message}")]
    Refused {
        /// What was posted.
        what: String,
        /// The board's stable error code.
        code: String,
        /// The board's message.
        message: String,
    },
    /// A V-step fails: which, at which entry, and why. Do not go on with this election.
    #[error("the record fails verification: {0}")]
    Invalid(protocol::verify::Failure),
    /// The record on the board does not verify: do not go on with this election.
    #[error("the board's record fails verification: {0}")]
    Record(String),
    /// A key ceremony step failed.
    #[error("key ceremony: {0}")]
    Ceremony(String),
    /// A protocol object is invalid.
    #[error(transparent)]
    Protocol(#[from] protocol::Error),
    /// A tally ceremony step cannot be taken (yet).
    #[error("tally ceremony: {0}")]
    Tally(String),
    /// What the user gave cannot be used (a receipt or kept checkpoint that is not one).
    #[error("{0}")]
    Input(String),
    /// Waiting for others on the board took too long.
    #[error("timed out waiting for {0}; the others may not have run their step yet")]
    Timeout(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem in a manifest file, with its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// The problems as lines `line N: message`.
    pub fn list(problems: &[Problem]) -> String {
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}
