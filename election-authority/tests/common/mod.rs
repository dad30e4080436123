//! Helpers for the election-authority tool's tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

mod processes;
pub use processes::*;

/// The tool, with the passphrase file.
pub fn tool(dir: &Path) -> Command {
    let pass = passphrase_file(dir);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_election-authority"));
    cmd.current_dir(dir)
        .env("THISTLE_PASSPHRASE_FILE", &pass)
        .env_remove("THISTLE_PASSPHRASE");
    cmd
}

/// Runs the tool to completion; returns stdout, panicking with stderr on failure.
pub fn run(dir: &Path, args: &[&str]) -> String {
    let out = tool(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "election-authority {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A manifest (TOML) for these keys, with the voting window open now.
pub fn manifest_toml(admin: &str, authority: &str, trustees: &[String], threshold: u32) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut text = format!(
        "election_id = \"test-{now}\"\ntitle = \"Authority test election\"\nopens_at = {}\ncloses_at = {}\nthreshold = {threshold}\n\n[administrator]\nkey = \"{admin}\"\n\n[credential_authority]\nkey = \"{authority}\"\n\n[board]\norigin = \"{ORIGIN}\"\nkey = \"{}\"\n",
        now - 60,
        now + 3600,
        hex::encode(board_key().public_key().as_bytes())
    );
    for (i, t) in trustees.iter().enumerate() {
        text.push_str(&format!(
            "\n[[trustees]]\nname = \"Trustee {}\"\nkey = \"{t}\"\n",
            i + 1
        ));
    }
    text.push_str(
        "\n[[contests]]\nid = \"chair\"\ntitle = \"Chair\"\nkind = \"choose\"\nmin = 1\nmax = 1\n\n  [[contests.options]]\n  id = \"a\"\n  title = \"A\"\n\n  [[contests.options]]\n  id = \"b\"\n  title = \"B\"\n",
    );
    text
}

/// A roll of `n` voters, every tenth of weight 2.
pub fn roll_csv(n: usize) -> String {
    let mut text = String::from("id,weight\n");
    for i in 0..n {
        text.push_str(&format!(
            "voter-{i:03},{}\n",
            if i % 10 == 0 { 2 } else { 1 }
        ));
    }
    text
}
