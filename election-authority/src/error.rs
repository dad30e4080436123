//! The tools' errors; each says what to do about it.
use std::path::{Path, PathBuf};

use crate::manifest_file::Problem;

/// Everything that can go wrong in the election-authority tools.
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
    /// The record on the board does not verify: do not go on with this election.
    #[error("the board's record fails verification: {0}")]
    Record(String),
    /// A key ceremony step failed.
    #[error("key ceremony: {0}")]
    Ceremony(String),
    /// A protocol object is invalid.
    #[error(transparent)]
    Protocol(#[from] protocol::Error),
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
