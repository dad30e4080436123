//! Command-line arguments every tool takes the same way.
use std::path::PathBuf;

use clap::Args;
use zeroize::Zeroizing;

use crate::Result;

/// Where a sealed secret's passphrase comes from.
#[derive(Args, Clone, Debug)]
pub struct Secret {
    /// Read the passphrase from this file (first line) instead of asking; the environment
    /// variable THISTLE_PASSPHRASE also works, for automation.
    #[arg(long, env = "THISTLE_PASSPHRASE_FILE")]
    pub passphrase_file: Option<PathBuf>,
}

impl Secret {
    /// The passphrase (see [`crate::passphrase::obtain`]).
    pub fn passphrase(&self, creating: bool) -> Result<Zeroizing<String>> {
        crate::passphrase::obtain(self.passphrase_file.as_deref(), creating)
    }
}

/// Which board and election a step acts on.
#[derive(Args, Clone, Debug)]
pub struct OnBoard {
    /// The bulletin board's URL.
    #[arg(long, env = "THISTLE_BOARD", default_value = "http://127.0.0.1:8080")]
    pub board: String,
    /// The election id (hex ManifestHash, printed by `election-authority admin create`).
    #[arg(long, env = "THISTLE_ELECTION")]
    pub election: String,
}
