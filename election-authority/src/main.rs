//! `election-authority`: the administrator's, trustees' and credential authority's tools.
//!
//! Exit codes: 0 done; 1 the board refused, the record failed verification, or a wait timed out;
//! 2 bad input (manifest, roll, arguments, passphrase, files).
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use cli_support::args::{OnBoard, Secret};
use election_authority::board::BoardClient;
use election_authority::manifest_file;
use election_authority::roles;
use election_authority::Error;
use protocol::record::Phase;

#[derive(Parser)]
#[command(
    version,
    about = "Set up a Thistle election: manifest, key ceremony, voter credentials"
)]
struct Cli {
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// The administrator: manifest, election creation, phases, voter roll.
    #[command(subcommand)]
    Admin(Admin),
    /// A trustee: identity key and the key ceremony.
    #[command(subcommand)]
    Trustee(Trustee),
    /// The credential authority: voters' credentials and the public list.
    #[command(subcommand)]
    Authority(Authority),
}

#[derive(Subcommand)]
enum Admin {
    /// Write a commented example manifest to edit.
    Init {
        /// Where to write it.
        #[arg(default_value = "manifest.toml")]
        out: PathBuf,
    },
    /// Check a manifest: every problem, with its line.
    Check {
        /// The manifest.
        #[arg(default_value = "manifest.toml")]
        manifest: PathBuf,
    },
    /// Create the administrator's signing key (sealed with a passphrase); prints the public key.
    Keygen {
        /// Where to write it (mode 0600).
        #[arg(long, default_value = "admin.key")]
        key: PathBuf,
        #[command(flatten)]
        secret: Secret,
    },
    /// Post the manifest to the board; prints the election id.
    Create {
        /// The manifest.
        #[arg(long, default_value = "manifest.toml")]
        manifest: PathBuf,
        /// The administrator's key file.
        #[arg(long, default_value = "admin.key")]
        key: PathBuf,
        /// The bulletin board's URL.
        #[arg(long, env = "THISTLE_BOARD", default_value = "http://127.0.0.1:8080")]
        board: String,
        #[command(flatten)]
        secret: Secret,
    },
    /// Move the election to its next phase.
    Phase {
        /// The phase to move to.
        to: PhaseArg,
        /// Before opening: seconds to leave the trustees after the last round 2 for their
        /// complaints (board time), since opening freezes the ceremony.
        #[arg(long, default_value_t = 60)]
        complaint_window: u64,
        /// The administrator's key file.
        #[arg(long, default_value = "admin.key")]
        key: PathBuf,
        #[command(flatten)]
        on: OnBoard,
        #[command(flatten)]
        secret: Secret,
    },
    /// Check a voter roll (CSV with `id` and optional `weight`) and write it out normalised for
    /// the credential authority.
    Roll {
        /// The roll to import.
        csv: PathBuf,
        /// Where to write the checked roll.
        #[arg(long, default_value = "roll.csv")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PhaseArg {
    /// Start the trustees' key ceremony.
    KeyCeremony,
    /// Open voting (needs the finished ceremony and the credential list).
    Open,
    /// Close voting (the board also stops taking ballots at the manifest's closing time).
    Close,
}

#[derive(Subcommand)]
enum Trustee {
    /// Create this trustee's identity key (sealed); prints the public key for the manifest.
    Keygen {
        /// Where to write it (mode 0600).
        #[arg(long, default_value = "trustee.key")]
        key: PathBuf,
        #[command(flatten)]
        secret: Secret,
    },
    /// Run the key ceremony: rounds 1 and 2, checking everyone's messages and complaining about
    /// bad shares; then, once voting opens, seal this trustee's key share.
    Ceremony {
        /// The trustee's identity key file.
        #[arg(long, default_value = "trustee.key")]
        key: PathBuf,
        /// Where to seal the key share (mode 0600).
        #[arg(long, default_value = "trustee.share")]
        share: PathBuf,
        /// Give up waiting for the other trustees or the administrator after this many seconds.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
        /// Stop after dealing and complaining; run `finish` once voting has opened.
        #[arg(long)]
        no_wait: bool,
        #[command(flatten)]
        on: OnBoard,
        #[command(flatten)]
        secret: Secret,
    },
    /// Finish the ceremony after voting opened: seal this trustee's key share.
    Finish {
        /// The trustee's identity key file.
        #[arg(long, default_value = "trustee.key")]
        key: PathBuf,
        /// Where to seal the key share (mode 0600).
        #[arg(long, default_value = "trustee.share")]
        share: PathBuf,
        /// Give up waiting for the opening after this many seconds.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
        #[command(flatten)]
        on: OnBoard,
        #[command(flatten)]
        secret: Secret,
    },
}

#[derive(Subcommand)]
enum Authority {
    /// Create the credential authority's signing key (sealed); prints the public key.
    Keygen {
        /// Where to write it (mode 0600).
        #[arg(long, default_value = "authority.key")]
        key: PathBuf,
        #[command(flatten)]
        secret: Secret,
    },
    /// Issue one credential per voter of the roll, post the public list, and write the private
    /// credentials (CSV for a mail merge, one letter per voter) to --out.
    Issue {
        /// The checked roll (from `admin roll`).
        #[arg(long, default_value = "roll.csv")]
        roll: PathBuf,
        /// Directory for credentials.csv and letters/ (files mode 0600).
        #[arg(long, default_value = "credentials")]
        out: PathBuf,
        /// The voting page's URL, printed on each letter.
        #[arg(long)]
        voting_url: String,
        /// The credential authority's key file.
        #[arg(long, default_value = "authority.key")]
        key: PathBuf,
        #[command(flatten)]
        on: OnBoard,
        #[command(flatten)]
        secret: Secret,
    },
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.role {
        Role::Admin(Admin::Init { out }) => {
            if out.exists() {
                return Err(Error::io(
                    &out,
                    std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "already exists; not overwritten",
                    ),
                ));
            }
            std::fs::write(&out, manifest_file::EXAMPLE).map_err(|e| Error::io(&out, e))?;
            println!(
                "wrote {}; edit it, then run: election-authority admin check {}",
                out.display(),
                out.display()
            );
        }
        Role::Admin(Admin::Check { manifest }) => {
            let m = manifest_file::parse(&read(&manifest)?)?;
            println!(
                "{}: valid; election id on a board: {}",
                manifest.display(),
                hex::encode(m.hash())
            );
        }
        Role::Admin(Admin::Keygen { key, secret })
        | Role::Trustee(Trustee::Keygen { key, secret })
        | Role::Authority(Authority::Keygen { key, secret }) => {
            let pass = secret.passphrase(true)?;
            let public = roles::keygen(&key, pass.as_bytes())?;
            println!("{public}");
            eprintln!(
                "sealed the secret key in {} (mode 0600); the line above is the public key",
                key.display()
            );
        }
        Role::Admin(Admin::Create {
            manifest,
            key,
            board,
            secret,
        }) => {
            let m = manifest_file::parse(&read(&manifest)?)?;
            let admin = roles::load_key(&key, secret.passphrase(false)?.as_bytes())?;
            let posted = roles::create_election(&BoardClient::new(&board), &m, &admin)?;
            println!("{}", posted.election);
            eprintln!("election created on {board}; next: election-authority admin phase key-ceremony --election {}", posted.election);
        }
        Role::Admin(Admin::Phase {
            to,
            complaint_window,
            key,
            on,
            secret,
        }) => {
            let admin = roles::load_key(&key, secret.passphrase(false)?.as_bytes())?;
            let phase = match to {
                PhaseArg::KeyCeremony => Phase::KeyCeremony,
                PhaseArg::Open => Phase::VotingOpen,
                PhaseArg::Close => Phase::VotingClosed,
            };
            let board = BoardClient::new(&on.board);
            let posted = roles::advance(
                &board,
                &on.election,
                &admin,
                phase,
                Duration::from_secs(complaint_window),
            )?;
            println!("phase {phase:?} posted at leaf {}", posted.index);
            if phase == Phase::VotingOpen {
                let record = board.current(&on.election)?;
                if let Some((_, outcome)) = roles::ceremony_outcome(&record)? {
                    for (i, t) in record.manifest.trustees.iter().enumerate() {
                        let index = i as u32 + 1;
                        if !outcome.qualified.contains(&index) {
                            eprintln!("trustee {index} ({}) was disqualified by the key ceremony: its shares did not match its commitments", t.name);
                        }
                    }
                    println!("election key {}", hex::encode(outcome.joint_key.as_bytes()));
                }
            }
        }
        Role::Admin(Admin::Roll { csv, out }) => {
            let voters = roles::read_roll(&read(&csv)?)?;
            let mut text = String::from("id,weight\n");
            let mut w = csv::Writer::from_writer(Vec::new());
            for v in &voters {
                w.write_record([v.id.as_str(), &v.weight.to_string()])
                    .expect("writing to memory");
            }
            text.push_str(&String::from_utf8(w.into_inner().expect("memory")).expect("UTF-8"));
            std::fs::write(&out, text).map_err(|e| Error::io(&out, e))?;
            println!(
                "{} voters (total weight {}) written to {}; hand it to the credential authority",
                voters.len(),
                voters.iter().map(|v| v.weight).sum::<u64>(),
                out.display()
            );
        }
        Role::Trustee(Trustee::Ceremony {
            key,
            share,
            timeout,
            no_wait,
            on,
            secret,
        }) => {
            let pass = secret.passphrase(false)?;
            let identity = roles::load_key(&key, pass.as_bytes())?;
            let board = BoardClient::new(&on.board);
            let pending = pending_path(&share);
            let timeout = Duration::from_secs(timeout);
            let (index, accused) = roles::run_ceremony(
                &board,
                &on.election,
                &identity,
                &pending,
                pass.as_bytes(),
                timeout,
            )?;
            let names = board.current(&on.election)?.manifest.trustees;
            for a in &accused {
                let name = names.get(*a as usize - 1).map_or("?", |t| t.name.as_str());
                eprintln!("trustee {index}: the share from trustee {a} ({name}) does not match its commitments; complaint posted");
            }
            eprintln!("trustee {index}: rounds 1 and 2 done");
            if no_wait {
                eprintln!("run `election-authority trustee finish` once voting has opened");
            } else {
                finish(
                    &board,
                    &on.election,
                    &identity,
                    &pending,
                    &share,
                    pass.as_bytes(),
                    timeout,
                )?;
            }
        }
        Role::Trustee(Trustee::Finish {
            key,
            share,
            timeout,
            on,
            secret,
        }) => {
            let pass = secret.passphrase(false)?;
            let identity = roles::load_key(&key, pass.as_bytes())?;
            let board = BoardClient::new(&on.board);
            finish(
                &board,
                &on.election,
                &identity,
                &pending_path(&share),
                &share,
                pass.as_bytes(),
                Duration::from_secs(timeout),
            )?;
        }
        Role::Authority(Authority::Issue {
            roll,
            out,
            voting_url,
            key,
            on,
            secret,
        }) => {
            let authority = roles::load_key(&key, secret.passphrase(false)?.as_bytes())?;
            let voters = roles::read_roll(&read(&roll)?)?;
            let issued = roles::issue_credentials(
                &BoardClient::new(&on.board),
                &on.election,
                &authority,
                &voters,
                &out,
                &voting_url,
            )?;
            println!(
                "{} credentials issued; list posted (commitment {}); private credentials in {}",
                issued.voters,
                issued.commitment,
                out.display()
            );
        }
    }
    Ok(())
}

fn pending_path(share: &Path) -> PathBuf {
    let mut p = share.as_os_str().to_owned();
    p.push(".pending");
    PathBuf::from(p)
}

fn finish(
    board: &BoardClient,
    election: &str,
    identity: &protocol::signature::SecretKey,
    pending: &Path,
    share: &Path,
    passphrase: &[u8],
    timeout: Duration,
) -> Result<(), Error> {
    let r = roles::finish_ceremony(
        board, election, identity, pending, share, passphrase, timeout,
    )?;
    println!("{}", r.joint_key);
    eprintln!(
        "trustee {}: key share sealed in {} (mode 0600); the line above is the election key",
        r.index,
        share.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("election-authority: {e}");
            let code = match e {
                Error::Refused { .. }
                | Error::Record(_)
                | Error::Invalid(_)
                | Error::Timeout(_)
                | Error::Board { .. } => 1,
                _ => 2,
            };
            ExitCode::from(code)
        }
    }
}
