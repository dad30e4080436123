//! The election manifest (spec §6) and the contest kinds with the claims each ballot must prove (§7).
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::encoding::{put_len, put_u32, put_u64, put_vec, Decode, Encode, Reader};
use crate::error::{Error, Result};
use crate::hash::{tagged_hash, tags, Digest32};
use crate::signature::PublicKey;

/// Limits that bound every manifest (spec §6.2).
pub mod limits {
    /// Longest identifier (election, contest, option).
    pub const ID_LEN: usize = 64;
    /// Longest title.
    pub const TITLE_LEN: usize = 256;
    /// Most contests.
    pub const CONTESTS: usize = 64;
    /// Most options in a contest.
    pub const OPTIONS: usize = 256;
    /// Most trustees.
    pub const TRUSTEES: usize = 32;
    /// Largest score or cumulative points.
    pub const POINTS: u64 = 1_000_000;
    /// Largest budget (and option cost).
    pub const BUDGET: u64 = 1 << 40;
    /// Most witnesses.
    pub const WITNESSES: usize = 16;
    /// Longest witness URL.
    pub const URL_LEN: usize = 256;
}

/// Widest value range proved by a disjunctive proof; wider ranges use Bulletproofs (spec §7.2).
pub const DISJUNCTION_MAX_WIDTH: u64 = 16;

/// The part of a manifest a problem concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// `election_id`.
    ElectionId,
    /// `title`.
    Title,
    /// `opens_at` / `closes_at`.
    Window,
    /// `board.origin`.
    BoardOrigin,
    /// The trustee list.
    Trustees,
    /// `threshold`.
    Threshold,
    /// Trustee at this 0-based position.
    Trustee(usize),
    /// Keys shared between roles.
    Roles,
    /// The witness list or its quorum.
    Witnesses,
    /// Witness at this 0-based position.
    Witness(usize),
    /// The contest list.
    Contests,
    /// Contest at this 0-based position (its id or title).
    Contest(usize),
    /// The kind and its parameters of the contest at this position.
    ContestKind(usize),
    /// Option (contest, option), 0-based.
    Option(usize, usize),
}

#[derive(Default)]
struct Located {
    field: Option<Field>,
    found: Vec<(Field, String)>,
}

impl Located {
    fn at(&mut self, field: Field) -> &mut Self {
        self.field = Some(field);
        self
    }

    fn push(&mut self, message: String) {
        let field = self.field.unwrap_or(Field::Title);
        self.found.push((field, message));
    }
}

/// How a contest is voted (spec §7.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContestKind {
    /// Select between `min` and `max` options (1-of-n: `min = max = 1`; a referendum is 1-of-2).
    Choose {
        /// Fewest selections.
        min: u32,
        /// Most selections.
        max: u32,
    },
    /// Select any number of options.
    Approval,
    /// Give each option a score from 0 to `max_score`.
    Score {
        /// Highest score.
        max_score: u64,
    },
    /// Spread at most `points` points over the options.
    Cumulative {
        /// Points available.
        points: u64,
    },
    /// Select options whose total cost is at most `budget`.
    Budget {
        /// The budget.
        budget: u64,
        /// Each option's cost, in option order.
        costs: Vec<u64>,
    },
    /// Rank up to `ranks` options in order of preference: one ciphertext per rank position holding
    /// an option number (1-based; 0 = no preference). Never summed: counted by `method` from the
    /// rankings a mixnet decrypts (spec §12.8–§12.10).
    Ranked {
        /// Rank positions on the ballot.
        ranks: u32,
        /// Seats to fill.
        seats: u32,
        /// The counting rules.
        method: RankedMethod,
    },
}

/// How a ranked contest is counted (spec §12.8).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankedMethod {
    /// Scottish STV (SSI 2011/399 Sch. 1 rules 46–53).
    ScottishStv,
    /// The alternative vote (one seat).
    AlternativeVote,
}

/// One option of a contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestOption {
    /// Identifier, unique in its contest.
    pub id: String,
    /// Text shown to voters.
    pub title: String,
}

/// One contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contest {
    /// Identifier, unique in the election.
    pub id: String,
    /// The question shown to voters.
    pub title: String,
    /// How it is voted.
    pub kind: ContestKind,
    /// The options, in ballot order.
    pub options: Vec<ContestOption>,
}

/// A trustee named in the manifest; its index is its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrusteeInfo {
    /// Name shown in reports.
    pub name: String,
    /// Key that signs the trustee's record entries.
    pub key: PublicKey,
}

/// The bulletin board that keeps the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardInfo {
    /// The checkpoint origin line (C2SP tlog-checkpoint).
    pub origin: String,
    /// The key that signs checkpoints and receipts.
    pub key: PublicKey,
}

/// An independent organisation that cosigns the board's checkpoints (spec §13.9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessInfo {
    /// Its signed-note key name (C2SP: no spaces, no '+'), shown to voters as who witnessed.
    pub name: String,
    /// Its Ed25519 cosigning key.
    pub key: PublicKey,
    /// Where it serves `add-checkpoint` and its copy of the record (`https://...`).
    pub url: String,
}

/// The election manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Identifier: lowercase letters, digits and `-`.
    pub election_id: String,
    /// Name shown to voters.
    pub title: String,
    /// Voting opens (Unix seconds, UTC).
    pub opens_at: u64,
    /// Voting closes (Unix seconds, UTC).
    pub closes_at: u64,
    /// Signs the manifest, phase changes, the encrypted tally and results.
    pub administrator: PublicKey,
    /// Signs the credential list.
    pub credential_authority: PublicKey,
    /// The board.
    pub board: BoardInfo,
    /// Trustees, index = position + 1.
    pub trustees: Vec<TrusteeInfo>,
    /// Trustees needed to decrypt.
    pub threshold: u32,
    /// The contests, in ballot order.
    pub contests: Vec<Contest>,
    /// The witnesses; none for a small private vote (the record then says it is unwitnessed).
    pub witnesses: Vec<WitnessInfo>,
    /// `k`: cosignatures a checkpoint needs to count as witnessed (0 exactly when there are no
    /// witnesses).
    pub witness_quorum: u32,
}

/// A linear statement every ballot proves about one contest: `lo ≤ Σᵢ coefficients[i]·xᵢ ≤ hi`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// One coefficient per option.
    pub coefficients: Vec<u64>,
    /// Lower bound.
    pub lo: u64,
    /// Upper bound.
    pub hi: u64,
}

impl Claim {
    fn single(n: usize, i: usize, hi: u64) -> Self {
        let mut coefficients = vec![0; n];
        coefficients[i] = 1;
        Claim {
            coefficients,
            lo: 0,
            hi,
        }
    }

    /// Whether a disjunctive proof covers it (else two Bulletproofs values do).
    pub fn is_disjunctive(&self) -> bool {
        self.hi - self.lo < DISJUNCTION_MAX_WIDTH
    }

    /// `Σ coefficients[i]·values[i]`, or `None` on overflow.
    pub fn evaluate(&self, values: &[u64]) -> Option<u64> {
        self.coefficients
            .iter()
            .zip(values)
            .try_fold(0u64, |acc, (a, x)| acc.checked_add(a.checked_mul(*x)?))
    }
}

impl Contest {
    /// The claims a ballot proves for this contest, in proof order: one per option, then the
    /// aggregate claim if the kind has one (spec §7.1, table "Claims").
    pub fn claims(&self) -> Vec<Claim> {
        let n = self.slots();
        let per_option_max = self.option_max();
        let mut claims: Vec<Claim> = (0..n)
            .map(|i| Claim::single(n, i, per_option_max))
            .collect();
        match &self.kind {
            ContestKind::Choose { min, max } => claims.push(Claim {
                coefficients: vec![1; n],
                lo: *min as u64,
                hi: *max as u64,
            }),
            ContestKind::Approval | ContestKind::Score { .. } | ContestKind::Ranked { .. } => {}
            ContestKind::Cumulative { points } => claims.push(Claim {
                coefficients: vec![1; n],
                lo: 0,
                hi: *points,
            }),
            ContestKind::Budget { budget, costs } => claims.push(Claim {
                coefficients: costs.clone(),
                lo: 0,
                hi: *budget,
            }),
        }
        claims
    }

    /// The largest value one ciphertext can hold on one ballot (for a ranked contest, the
    /// number of options).
    pub fn option_max(&self) -> u64 {
        match &self.kind {
            ContestKind::Choose { .. } | ContestKind::Approval | ContestKind::Budget { .. } => 1,
            ContestKind::Score { max_score } => *max_score,
            ContestKind::Cumulative { points } => *points,
            ContestKind::Ranked { .. } => self.options.len() as u64,
        }
    }

    /// Ciphertexts a ballot holds for this contest: one per option, or one per rank position.
    pub fn slots(&self) -> usize {
        match &self.kind {
            ContestKind::Ranked { ranks, .. } => *ranks as usize,
            _ => self.options.len(),
        }
    }

    /// Whether the contest is ranked (mixed and decrypted ballot by ballot, never summed).
    pub fn is_ranked(&self) -> bool {
        matches!(self.kind, ContestKind::Ranked { .. })
    }

    /// Ciphertexts the homomorphic tally holds for this contest (none for a ranked contest).
    pub fn tally_width(&self) -> usize {
        if self.is_ranked() {
            0
        } else {
            self.options.len()
        }
    }

    /// The Bulletproofs bit size for this contest's range values (0 if it has none).
    pub fn range_bits(&self) -> u32 {
        self.claims()
            .iter()
            .filter(|c| !c.is_disjunctive())
            .map(|c| crate::proofs::range::bits_for(c.hi - c.lo))
            .max()
            .unwrap_or(0)
    }

    /// Checks a voter's values against the rules (before encrypting).
    pub fn check_selection(&self, index: usize, values: &[u64]) -> Result<()> {
        if values.len() != self.slots() {
            return Err(Error::InvalidSelection {
                contest: index,
                reason: if self.is_ranked() {
                    "one value per rank position is required"
                } else {
                    "one value per option is required"
                },
            });
        }
        if self.is_ranked() {
            // The page's rule (the count would skip a repeat and stop at a gap anyway): options
            // ranked once each, from the first position on, no gaps.
            let used = values.iter().take_while(|&&v| v != 0).count();
            let ranked = &values[..used];
            if values[used..].iter().any(|&v| v != 0)
                || ranked
                    .iter()
                    .enumerate()
                    .any(|(i, v)| ranked[..i].contains(v))
            {
                return Err(Error::InvalidSelection {
                    contest: index,
                    reason: "rank options once each, from the first preference on, without gaps",
                });
            }
        }
        for claim in self.claims() {
            match claim.evaluate(values) {
                Some(v) if claim.lo <= v && v <= claim.hi => {}
                _ => {
                    return Err(Error::InvalidSelection {
                        contest: index,
                        reason: match self.kind {
                            ContestKind::Choose { .. } => "wrong number of selections",
                            ContestKind::Approval => "each option is either selected or not",
                            ContestKind::Score { .. } => "a score is above the maximum",
                            ContestKind::Cumulative { .. } => "more points used than available",
                            ContestKind::Budget { .. } => "selections cost more than the budget",
                            ContestKind::Ranked { .. } => {
                                "a rank names an option that is not on the ballot"
                            }
                        },
                    })
                }
            }
        }
        Ok(())
    }
}

impl Manifest {
    /// Checks every rule of spec §6.2, reporting every problem found (one per line).
    pub fn validate(&self) -> Result<()> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidManifest(problems.join("\n")))
        }
    }

    /// Every rule the manifest breaks, as sentences a person can act on.
    pub fn problems(&self) -> Vec<String> {
        self.located_problems()
            .into_iter()
            .map(|(_, m)| m)
            .collect()
    }

    /// Every rule the manifest breaks, with the part of the manifest it concerns (so that an
    /// editor of the manifest's source can point at the line).
    pub fn located_problems(&self) -> Vec<(Field, String)> {
        let mut p = Located::default();
        if !is_identifier(&self.election_id) {
            p.at(Field::ElectionId).push(format!(
                "election_id {:?} must be 1–{} characters of a–z, 0–9 and -",
                self.election_id,
                limits::ID_LEN
            ));
        }
        p.at(Field::Title);
        check_title(&mut p, "title", &self.title);
        if self.closes_at <= self.opens_at {
            p.at(Field::Window)
                .push("closes_at must be after opens_at".into());
        }
        if !is_origin(&self.board.origin) {
            p.at(Field::BoardOrigin).push("board.origin must be 1–256 printable ASCII characters without spaces or '+' (it names the board's checkpoint key)".into());
        }
        let n = self.trustees.len();
        if n == 0 || n > limits::TRUSTEES {
            p.at(Field::Trustees).push(format!(
                "there must be 1 to {} trustees, found {n}",
                limits::TRUSTEES
            ));
        }
        if self.threshold < 1 || self.threshold as usize > n {
            p.at(Field::Threshold).push(format!(
                "threshold {} must satisfy 1 ≤ t ≤ n = {n}",
                self.threshold
            ));
        }
        for (i, t) in self.trustees.iter().enumerate() {
            p.at(Field::Trustee(i));
            check_title(&mut p, &format!("trustee {}", i + 1), &t.name);
        }
        // One key per role: an administrator who is also the credential authority could vote for
        // abstainers, and a board or administrator key among the trustees' is a server-held trustee.
        let mut roles: Vec<(String, &PublicKey)> = vec![
            ("the administrator".into(), &self.administrator),
            (
                "the credential authority".into(),
                &self.credential_authority,
            ),
            ("the board".into(), &self.board.key),
        ];
        roles.extend(
            self.trustees
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("trustee {} ({})", i + 1, t.name), &t.key)),
        );
        roles.extend(
            self.witnesses
                .iter()
                .enumerate()
                .map(|(i, w)| (format!("witness {} ({})", i + 1, w.name), &w.key)),
        );
        for (i, (a, ka)) in roles.iter().enumerate() {
            for (b, kb) in &roles[i + 1..] {
                if ka == kb {
                    p.at(Field::Roles).push(format!(
                        "{a} and {b} share a key; every role needs its own key"
                    ));
                }
            }
        }
        let w = self.witnesses.len();
        if w > limits::WITNESSES {
            p.at(Field::Witnesses).push(format!(
                "there may be at most {} witnesses, found {w}",
                limits::WITNESSES
            ));
        }
        let k = self.witness_quorum as usize;
        if (w == 0 && k != 0) || (w > 0 && (k < 1 || k > w)) {
            p.at(Field::Witnesses).push(format!(
                "witness_quorum {k} must satisfy 1 ≤ k ≤ {w} witnesses (0 only with no witnesses)"
            ));
        }
        for (i, wi) in self.witnesses.iter().enumerate() {
            p.at(Field::Witness(i));
            if !is_origin(&wi.name) {
                p.push(format!("witness {}: name {:?} must be 1–{} printable ASCII characters without spaces or '+' (it names the witness's cosigning key)", i + 1, wi.name, limits::TITLE_LEN));
            }
            if self.witnesses[..i].iter().any(|o| o.name == wi.name) {
                p.push(format!(
                    "witness {}: the name {:?} is used twice; every witness needs its own",
                    i + 1,
                    wi.name
                ));
            }
            if !is_web_url(&wi.url) {
                p.push(format!("witness {}: url {:?} must be an http:// or https:// address of at most {} characters, without spaces", i + 1, wi.url, limits::URL_LEN));
            }
        }
        if self.contests.is_empty() || self.contests.len() > limits::CONTESTS {
            p.at(Field::Contests)
                .push(format!("there must be 1 to {} contests", limits::CONTESTS));
        }
        for (ci, c) in self.contests.iter().enumerate() {
            let at = format!("contest {:?}", c.id);
            p.at(Field::Contest(ci));
            if !is_identifier(&c.id) {
                p.push(format!(
                    "{at}: id must be 1–64 characters of a–z, 0–9 and -"
                ));
            }
            if self.contests[..ci].iter().any(|o| o.id == c.id) {
                p.push(format!("{at}: duplicate contest id"));
            }
            check_title(&mut p, &at, &c.title);
            let k = c.options.len();
            if k == 0 || k > limits::OPTIONS {
                p.push(format!(
                    "{at}: must have 1 to {} options, has {k}",
                    limits::OPTIONS
                ));
            }
            for (oi, o) in c.options.iter().enumerate() {
                p.at(Field::Option(ci, oi));
                if !is_identifier(&o.id) {
                    p.push(format!(
                        "{at}: option id {:?} must be 1–64 characters of a–z, 0–9 and -",
                        o.id
                    ));
                }
                if c.options[..oi].iter().any(|x| x.id == o.id) {
                    p.push(format!("{at}: duplicate option id {:?}", o.id));
                }
                check_title(&mut p, &format!("{at} option {:?}", o.id), &o.title);
            }
            p.at(Field::ContestKind(ci));
            match &c.kind {
                ContestKind::Choose { min, max } => {
                    if min > max {
                        p.push(format!("{at}: min {min} is greater than max {max}"));
                    }
                    if *max == 0 || *max as usize > k {
                        p.push(format!(
                            "{at}: max {max} must be between 1 and the number of options {k}"
                        ));
                    }
                }
                ContestKind::Approval => {}
                ContestKind::Score { max_score } => {
                    if *max_score == 0 || *max_score > limits::POINTS {
                        p.push(format!("{at}: max_score must be 1 to {}", limits::POINTS));
                    }
                }
                ContestKind::Cumulative { points } => {
                    if *points == 0 || *points > limits::POINTS {
                        p.push(format!("{at}: points must be 1 to {}", limits::POINTS));
                    }
                }
                ContestKind::Budget { budget, costs } => {
                    if costs.len() != k {
                        p.push(format!("{at}: {} costs given for {k} options", costs.len()));
                    }
                    if costs.iter().any(|&c| c == 0 || c > limits::BUDGET) {
                        p.push(format!("{at}: every cost must be 1 to {}", limits::BUDGET));
                    }
                    if *budget > limits::BUDGET {
                        p.push(format!("{at}: budget must be at most {}", limits::BUDGET));
                    }
                    if let Some(cheapest) = costs.iter().min() {
                        if budget < cheapest {
                            p.push(format!(
                                "{at}: budget {budget} is below the cheapest option ({cheapest})"
                            ));
                        }
                    }
                }
                ContestKind::Ranked {
                    ranks,
                    seats,
                    method,
                } => {
                    if *ranks == 0 || *ranks as usize > k {
                        p.push(format!(
                            "{at}: ranks {ranks} must be between 1 and the number of options {k}"
                        ));
                    }
                    if *seats == 0 || *seats as usize > k {
                        p.push(format!(
                            "{at}: seats {seats} must be between 1 and the number of options {k}"
                        ));
                    }
                    if *method == RankedMethod::AlternativeVote && *seats != 1 {
                        p.push(format!(
                            "{at}: the alternative vote fills one seat; use scottish-stv for {seats}"
                        ));
                    }
                }
            }
        }
        p.found
    }

    /// `ManifestHash = TaggedHash("thistle-v1/manifest", encode(manifest))`.
    pub fn hash(&self) -> Digest32 {
        tagged_hash(tags::MANIFEST, &self.to_bytes())
    }

    /// The trustee with 1-based `index`.
    pub fn trustee(&self, index: u32) -> Option<&TrusteeInfo> {
        self.trustees.get((index as usize).checked_sub(1)?)
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= limits::ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A checkpoint origin doubles as the signed-note key name: printable ASCII, no space, no '+'.
fn is_origin(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= limits::TITLE_LEN
        && s.bytes().all(|b| b.is_ascii_graphic() && b != b'+')
}

fn is_web_url(s: &str) -> bool {
    s.len() <= limits::URL_LEN
        && s.bytes().all(|b| b.is_ascii_graphic())
        && ["https://", "http://"]
            .iter()
            .any(|scheme| s.strip_prefix(scheme).is_some_and(|rest| !rest.is_empty()))
}

fn check_title(p: &mut Located, at: &str, title: &str) {
    if title.trim().is_empty() || title.len() > limits::TITLE_LEN {
        p.push(format!(
            "{at}: title must be non-empty and at most {} bytes",
            limits::TITLE_LEN
        ));
    }
}

impl Encode for ContestKind {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ContestKind::Choose { min, max } => {
                out.push(0);
                put_u32(out, *min);
                put_u32(out, *max);
            }
            ContestKind::Approval => out.push(1),
            ContestKind::Score { max_score } => {
                out.push(2);
                put_u64(out, *max_score);
            }
            ContestKind::Cumulative { points } => {
                out.push(3);
                put_u64(out, *points);
            }
            ContestKind::Budget { budget, costs } => {
                out.push(4);
                put_u64(out, *budget);
                put_vec(out, costs);
            }
            ContestKind::Ranked {
                ranks,
                seats,
                method,
            } => {
                out.push(5);
                put_u32(out, *ranks);
                put_u32(out, *seats);
                out.push(match method {
                    RankedMethod::ScottishStv => 0,
                    RankedMethod::AlternativeVote => 1,
                });
            }
        }
    }
}

impl Decode for ContestKind {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.u8("contest kind")? {
            0 => ContestKind::Choose {
                min: r.u32("min")?,
                max: r.u32("max")?,
            },
            1 => ContestKind::Approval,
            2 => ContestKind::Score {
                max_score: r.u64("max_score")?,
            },
            3 => ContestKind::Cumulative {
                points: r.u64("points")?,
            },
            4 => ContestKind::Budget {
                budget: r.u64("budget")?,
                costs: r.vec(limits::OPTIONS, 8, "costs", |r| r.u64("cost"))?,
            },
            5 => ContestKind::Ranked {
                ranks: r.u32("ranks")?,
                seats: r.u32("seats")?,
                method: match r.u8("ranked method")? {
                    0 => RankedMethod::ScottishStv,
                    1 => RankedMethod::AlternativeVote,
                    _ => {
                        return Err(Error::Malformed {
                            what: "ranked method",
                            reason: "unknown tag",
                        })
                    }
                },
            },
            _ => {
                return Err(Error::Malformed {
                    what: "contest kind",
                    reason: "unknown tag",
                })
            }
        })
    }
}

impl Encode for Contest {
    fn encode(&self, out: &mut Vec<u8>) {
        self.id.encode(out);
        self.title.encode(out);
        self.kind.encode(out);
        put_len(out, self.options.len());
        for o in &self.options {
            o.id.encode(out);
            o.title.encode(out);
        }
    }
}

impl Decode for Contest {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Contest {
            id: r.string(limits::ID_LEN, "contest id")?,
            title: r.string(limits::TITLE_LEN, "contest title")?,
            kind: ContestKind::decode(r)?,
            options: r.vec(limits::OPTIONS, 8, "options", |r| {
                Ok(ContestOption {
                    id: r.string(limits::ID_LEN, "option id")?,
                    title: r.string(limits::TITLE_LEN, "option title")?,
                })
            })?,
        })
    }
}

impl Encode for Manifest {
    fn encode(&self, out: &mut Vec<u8>) {
        self.election_id.encode(out);
        self.title.encode(out);
        put_u64(out, self.opens_at);
        put_u64(out, self.closes_at);
        self.administrator.encode(out);
        self.credential_authority.encode(out);
        self.board.origin.encode(out);
        self.board.key.encode(out);
        put_len(out, self.trustees.len());
        for t in &self.trustees {
            t.name.encode(out);
            t.key.encode(out);
        }
        put_u32(out, self.threshold);
        put_vec(out, &self.contests);
        put_len(out, self.witnesses.len());
        for w in &self.witnesses {
            w.name.encode(out);
            w.key.encode(out);
            w.url.encode(out);
        }
        put_u32(out, self.witness_quorum);
    }
}

impl Decode for Manifest {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Manifest {
            election_id: r.string(limits::ID_LEN, "election_id")?,
            title: r.string(limits::TITLE_LEN, "title")?,
            opens_at: r.u64("opens_at")?,
            closes_at: r.u64("closes_at")?,
            administrator: PublicKey::decode(r, "administrator key")?,
            credential_authority: PublicKey::decode(r, "credential authority key")?,
            board: BoardInfo {
                origin: r.string(limits::TITLE_LEN, "board origin")?,
                key: PublicKey::decode(r, "board key")?,
            },
            trustees: r.vec(limits::TRUSTEES, 36, "trustees", |r| {
                Ok(TrusteeInfo {
                    name: r.string(limits::TITLE_LEN, "trustee name")?,
                    key: PublicKey::decode(r, "trustee key")?,
                })
            })?,
            threshold: r.u32("threshold")?,
            contests: r.vec(limits::CONTESTS, 13, "contests", Contest::decode)?,
            witnesses: r.vec(limits::WITNESSES, 40, "witnesses", |r| {
                Ok(WitnessInfo {
                    name: r.string(limits::TITLE_LEN, "witness name")?,
                    key: PublicKey::decode(r, "witness key")?,
                    url: r.string(limits::URL_LEN, "witness url")?,
                })
            })?,
            witness_quorum: r.u32("witness_quorum")?,
        })
    }
}
