//! The voter's way through the page, as a pure state machine: which screen, and what may happen
//! next. The page renders a [`Flow`] and feeds it [`Step`]s; effects (fetching, encrypting,
//! posting) happen outside and come back as steps, so every transition is testable without a
//! browser.
use protocol::ballot::{AuditedBallot, Ballot, BallotSecrets, EncryptedBallot};
use protocol::credentials::Credential;
use protocol::manifest::Contest;
use zeroize::Zeroizing;

use crate::ballot::{BallotState, Change, Refusal};

/// Where the voter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The election is being fetched and checked.
    Opening,
    /// The election could not be opened (the reason is in [`Flow::problem`]).
    Failed,
    /// The election, and the voting code to enter.
    Credential,
    /// Filling in the ballot.
    Ballot,
    /// Reviewing the choices before encrypting.
    Review,
    /// Encrypting on the device.
    Encrypting,
    /// Encrypted: the tracking code is shown; cast or audit.
    Encrypted,
    /// Posting the ballot or the audit.
    Posting,
    /// Cast: the receipt.
    Cast,
    /// Audited: what the ballot decrypted to.
    Audited,
}

/// What happens.
pub enum Step {
    /// The election was opened and checked: its contests.
    Opened(Vec<Contest>),
    /// The election could not be opened, or the board refused something.
    Failed(String),
    /// The voter entered a voting code (64 hex digits, spaces and dashes allowed).
    EnterCredential(Zeroizing<String>),
    /// The board says the credential is listed, with this weight.
    CredentialListed(u64),
    /// The voter changes a contest.
    Change(usize, Change),
    /// The voter goes to review.
    Review,
    /// The voter goes back one screen.
    Back,
    /// The voter asks to encrypt.
    Encrypt,
    /// Encryption has run `done` of its `total` steps.
    EncryptionProgress {
        /// Steps run.
        done: usize,
        /// Steps in all.
        total: usize,
    },
    /// Encryption finished.
    Encrypted(Box<EncryptedBallot>, BallotSecrets),
    /// The voter casts the encrypted ballot.
    Cast,
    /// The voter audits it instead.
    Audit,
    /// The board accepted the cast ballot: its receipt (JSON as the board sent it).
    Receipted(String),
    /// The ballot's inclusion under this checkpoint (signed by the board and, when the manifest
    /// names witnesses, cosigned by `k` of them) was checked on the device.
    Included(crate::board::Provable),
    /// The ballot is on the board (its receipt verified) but no witnessed checkpoint covered it
    /// within the wait.
    Unwitnessed,
    /// The board accepted the audited ballot; the values it opens to.
    AuditPosted(Vec<Vec<u64>>),
    /// After an audit: start a fresh ballot with the same choices and new randomness.
    StartAgain,
}

/// The page's state.
pub struct Flow {
    screen: Screen,
    contests: Vec<Contest>,
    ballot: BallotState,
    credential: Option<Credential>,
    weight: Option<u64>,
    encrypted: Option<(EncryptedBallot, BallotSecrets)>,
    encryption_progress: Option<(usize, usize)>,
    receipt: Option<String>,
    included: Option<crate::board::Provable>,
    unwitnessed: bool,
    opened_values: Option<Vec<Vec<u64>>>,
    audited_code: Option<String>,
    problem: Option<String>,
    refusal: Option<(usize, Refusal)>,
    credential_malformed: bool,
}

/// What the page must do after a step (the effects), if anything.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing.
    None,
    /// Ask the board for this public key's weight (hex).
    LookUpCredential(String),
    /// Encrypt these values.
    Encrypt(Vec<Vec<u64>>),
    /// Post this cast ballot.
    PostBallot,
    /// Post this audited ballot.
    PostAudit,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            screen: Screen::Opening,
            contests: Vec::new(),
            ballot: BallotState::new(&[]),
            credential: None,
            weight: None,
            encrypted: None,
            encryption_progress: None,
            receipt: None,
            included: None,
            unwitnessed: false,
            opened_values: None,
            audited_code: None,
            problem: None,
            refusal: None,
            credential_malformed: false,
        }
    }
}

/// Reads a voting code as printed: 64 hex digits, in any case, with spaces or dashes.
pub fn parse_credential(text: &str) -> Option<Credential> {
    // Allocated once at full size: no reallocation leaves a copy of the code behind.
    let mut digits = Zeroizing::new(String::with_capacity(text.len()));
    digits.extend(text.chars().filter(|c| !c.is_whitespace() && *c != '-'));
    let mut seed = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(digits.as_bytes(), &mut seed[..]).ok()?;
    Some(Credential::from_seed(&seed))
}

impl Flow {
    /// The current screen.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The contests.
    pub fn contests(&self) -> &[Contest] {
        &self.contests
    }

    /// The ballot as filled in.
    pub fn ballot(&self) -> &BallotState {
        &self.ballot
    }

    /// The last refused change: which contest, and why.
    pub fn refusal(&self) -> Option<(usize, Refusal)> {
        self.refusal
    }

    /// Why the election could not be opened or the board refused.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Whether the last voting code entered was not 64 hex digits.
    pub fn credential_malformed(&self) -> bool {
        self.credential_malformed
    }

    /// The voting code, once entered (for signing).
    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }

    /// The credential's weight, once the board confirmed it is listed.
    pub fn weight(&self) -> Option<u64> {
        self.weight
    }

    /// The encrypted ballot, once encrypted.
    pub fn encrypted(&self) -> Option<&EncryptedBallot> {
        self.encrypted.as_ref().map(|(e, _)| e)
    }

    /// The board's receipt, once cast.
    pub fn receipt(&self) -> Option<&str> {
        self.receipt.as_deref()
    }

    /// The checkpoint the cast ballot was proved to be under.
    pub fn included(&self) -> Option<&crate::board::Provable> {
        self.included.as_ref()
    }

    /// Whether the cast ballot is on the board but no witnessed checkpoint covered it in time.
    pub fn unwitnessed(&self) -> bool {
        self.unwitnessed
    }

    /// What the audited ballot opened to.
    pub fn opened_values(&self) -> Option<&[Vec<u64>]> {
        self.opened_values.as_deref()
    }

    /// Signs the encrypted ballot for casting (the secrets are dropped, zeroized).
    pub fn cast_ballot(&mut self) -> Option<Result<Ballot, protocol::Error>> {
        let (encrypted, _secrets) = self.encrypted.take()?;
        Some(encrypted.cast(self.credential.as_ref()?))
    }

    /// The audited ballot's tracking code (short form), once audited.
    pub fn audited_code(&self) -> Option<&str> {
        self.audited_code.as_deref()
    }

    /// While encrypting: how many of how many steps have run (none before the first report).
    pub fn encryption_progress(&self) -> Option<(usize, usize)> {
        self.encryption_progress
            .filter(|_| matches!(self.screen, Screen::Encrypting))
    }

    /// Opens the encrypted ballot for an audit (it can never be cast afterwards).
    pub fn audit_ballot(&mut self) -> Option<Result<AuditedBallot, protocol::Error>> {
        let (encrypted, secrets) = self.encrypted.take()?;
        self.audited_code = Some(encrypted.tracking_code().short());
        Some(secrets.audit(encrypted, self.credential.as_ref()?))
    }

    /// Applies a step; returns the effect the page must run.
    pub fn step(&mut self, step: Step) -> Effect {
        self.refusal = None;
        match (self.screen, step) {
            (_, Step::Failed(why)) => {
                self.problem = Some(why);
                if matches!(self.screen, Screen::Opening) {
                    self.screen = Screen::Failed;
                } else if matches!(self.screen, Screen::Encrypting | Screen::Posting) {
                    // Nothing was cast: the voter may try again (fresh randomness).
                    self.encrypted = None;
                    self.screen = Screen::Review;
                }
            }
            (Screen::Opening, Step::Opened(contests)) => {
                self.ballot = BallotState::new(&contests);
                self.contests = contests;
                self.screen = Screen::Credential;
            }
            (Screen::Credential, Step::EnterCredential(text)) => {
                self.problem = None;
                match parse_credential(&text) {
                    Some(c) => {
                        self.credential_malformed = false;
                        let key = hex::encode(c.public_key().as_bytes());
                        self.credential = Some(c);
                        return Effect::LookUpCredential(key);
                    }
                    None => self.credential_malformed = true,
                }
            }
            (Screen::Credential, Step::CredentialListed(weight)) if self.credential.is_some() => {
                self.weight = Some(weight);
                self.screen = Screen::Ballot;
            }
            (Screen::Ballot, Step::Change(contest, change)) => {
                if let Err(r) = self.ballot.apply(contest, change) {
                    self.refusal = Some((contest, r));
                }
            }
            (Screen::Ballot, Step::Review) if self.ballot.selection().is_some() => {
                self.screen = Screen::Review;
            }
            (Screen::Ballot, Step::Back) => {
                self.credential = None;
                self.weight = None;
                self.screen = Screen::Credential;
            }
            (Screen::Review, Step::Back) => self.screen = Screen::Ballot,
            (Screen::Review, Step::Encrypt) => {
                if let Some(values) = self.ballot.selection() {
                    self.screen = Screen::Encrypting;
                    self.encryption_progress = None;
                    return Effect::Encrypt(values);
                }
            }
            (Screen::Encrypting, Step::EncryptionProgress { done, total }) if done <= total => {
                self.encryption_progress = Some((done, total));
            }
            (Screen::Encrypting, Step::Encrypted(ballot, secrets)) => {
                self.encryption_progress = None;
                self.encrypted = Some((*ballot, secrets));
                self.screen = Screen::Encrypted;
            }
            (Screen::Encrypted, Step::Cast) => {
                self.screen = Screen::Posting;
                return Effect::PostBallot;
            }
            (Screen::Encrypted, Step::Audit) => {
                self.screen = Screen::Posting;
                return Effect::PostAudit;
            }
            (Screen::Posting, Step::Receipted(receipt)) => {
                self.receipt = Some(receipt);
                // Cast: the voting code is not needed any more (dropping zeroizes it).
                self.credential = None;
                self.screen = Screen::Cast;
            }
            (Screen::Cast, Step::Included(provable)) => self.included = Some(provable),
            (Screen::Cast, Step::Unwitnessed) => self.unwitnessed = true,
            (Screen::Posting, Step::AuditPosted(values)) => {
                self.opened_values = Some(values);
                self.screen = Screen::Audited;
            }
            (Screen::Audited, Step::StartAgain) => {
                self.opened_values = None;
                self.screen = Screen::Review;
            }
            _ => {}
        }
        Effect::None
    }
}
