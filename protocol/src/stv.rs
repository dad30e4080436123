//! Counting ranked ballots (spec §12.8): the single transferable vote under the Scottish rules
//! (Scottish Local Government Elections Order 2011, SSI 2011/399, Schedule 1, rules 46–53) and the
//! alternative vote (one seat).
//!
//! Every value is a whole number of units of 10⁻⁵ of a vote ([`SCALE`] units make one vote), so the
//! statute's "five decimal places (any remainder being ignored)" is integer floor division and the
//! count is exact: at every stage the candidates' votes, the non-transferable papers' value and the
//! value lost to truncation add up to the number of valid papers.
//!
//! Notation as in the rules: `quota = ⌊valid / (seats + 1)⌋ + 1` (R47); a candidate with
//! `votes ≥ quota` is deemed elected (R48); the surplus `s = votes − quota` of an elected candidate
//! moves *every* paper they hold to its next available preference at the transfer value
//! `⌊s · v / votes⌋` for a paper of value `v` (R49, weighted inclusive Gregory); the largest surplus
//! goes first (R50); with no surplus left, the candidate with the fewest votes is excluded and their
//! papers move at the value they have (R51); ties look back to the most recent stage at which the
//! tied candidates differed, then go to lot (R50(2)–(3), R52); when the continuing candidates are as
//! many as the vacancies left, they are all elected (R53).
use alloc::vec;
use alloc::vec::Vec;

use crate::encoding::{put_u64, Encode, Reader};
use crate::hash::{tagged_hash, Digest32};
use crate::{Error, Result};

/// Units of 10⁻⁵ in one vote.
pub const SCALE: u64 = 100_000;

/// Most candidates in a ranked count.
pub const MAX_CANDIDATES: usize = 1000;

/// Identical papers: the same preferences, in order (0-based candidate numbers), `weight` times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranking {
    /// How many papers carry this ranking.
    pub weight: u64,
    /// Candidates in order of preference.
    pub ranking: Vec<u16>,
}

/// What is counted: candidates, seats, the papers and any withdrawn candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    candidates: usize,
    seats: usize,
    ballots: Vec<Ranking>,
    withdrawn: Vec<usize>,
}

impl Profile {
    /// Checks the numbers: 1 to [`MAX_CANDIDATES`] candidates, 1 to [`MAX_CANDIDATES`] seats
    /// (more seats than candidates elects every one), every
    /// preference and withdrawn candidate one of them.
    pub fn new(
        candidates: usize,
        seats: usize,
        ballots: Vec<Ranking>,
        mut withdrawn: Vec<usize>,
    ) -> Result<Self> {
        let bad = |m: &str| Err(Error::Count(m.into()));
        if candidates == 0 || candidates > MAX_CANDIDATES {
            return bad("a ranked count has 1 to 1000 candidates");
        }
        if seats == 0 || seats > MAX_CANDIDATES {
            return bad("a ranked count fills 1 to 1000 seats");
        }
        if ballots
            .iter()
            .flat_map(|b| &b.ranking)
            .any(|&c| usize::from(c) >= candidates)
            || withdrawn.iter().any(|&c| c >= candidates)
        {
            return bad("a preference names a candidate who is not standing");
        }
        if ballots
            .iter()
            .try_fold(0u64, |sum, b| sum.checked_add(b.weight))
            .is_none_or(|papers| papers > u64::MAX / SCALE / 4)
        {
            return bad("too many papers to count exactly");
        }
        withdrawn.sort_unstable();
        withdrawn.dedup();
        Ok(Profile {
            candidates,
            seats,
            ballots,
            withdrawn,
        })
    }

    /// Number of candidates.
    pub fn candidates(&self) -> usize {
        self.candidates
    }

    /// Seats to fill.
    pub fn seats(&self) -> usize {
        self.seats
    }

    /// The papers.
    pub fn ballots(&self) -> &[Ranking] {
        &self.ballots
    }

    /// Withdrawn candidates (0-based), in order.
    pub fn withdrawn(&self) -> &[usize] {
        &self.withdrawn
    }
}

/// The counting rules.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Scottish STV (SSI 2011/399 Sch. 1 rules 46–53).
    ScottishStv,
    /// The alternative vote: one seat; the candidate with more than half the continuing
    /// candidates' votes is elected, else the fewest is excluded (ties as in Scottish STV).
    AlternativeVote,
}

/// What a stage did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Stage 1: every valid paper counted for its first preference (R46).
    FirstPreferences,
    /// The surplus of an elected candidate transferred (R49).
    Surplus {
        /// Whose surplus.
        from: u16,
        /// The surplus, in units.
        surplus: u64,
    },
    /// A candidate excluded and their papers transferred (R51).
    Exclusion {
        /// Who.
        of: u16,
    },
}

/// A tie the look-back could not settle, decided by lot (R50(3), R52(2)(b); spec §12.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lot {
    /// The candidates still tied, in number order.
    pub tied: Vec<u16>,
    /// The one the lot fell on (whose surplus goes first, or who is excluded).
    pub chosen: u16,
}

/// One stage of the count sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// What the stage did.
    pub action: Action,
    /// Each candidate's votes at the end of the stage, in units (an elected candidate whose
    /// surplus was transferred shows the quota; an excluded one 0).
    pub votes: Vec<u64>,
    /// Value of the papers that became non-transferable so far, in units.
    pub non_transferable: u64,
    /// Value lost so far by truncating transfer values to five places, in units.
    pub fractions: u64,
    /// Candidates deemed elected at the end of this stage, in order.
    pub elected: Vec<u16>,
    /// The lot that chose this stage's candidate, if one did.
    pub lot: Option<Lot>,
}

/// The result of a count, stage by stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountSheet {
    /// The rules.
    pub method: Method,
    /// Valid papers (those with a first preference for a standing candidate).
    pub valid: u64,
    /// The quota in units (Scottish STV; `None` for the alternative vote).
    pub quota: Option<u64>,
    /// The stages, stage 1 first.
    pub stages: Vec<Stage>,
    /// Elected candidates in order of election.
    pub elected: Vec<u16>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Continuing,
    Elected,
    Excluded,
    Withdrawn,
}

/// Papers of one ranking that travel together, all of one value.
struct Parcel {
    ranking: usize,
    /// Index of the preference the papers are counted for now.
    at: usize,
    value: u64,
    papers: u64,
}

struct Count<'a> {
    profile: &'a Profile,
    method: Method,
    seed: &'a Digest32,
    status: Vec<Status>,
    votes: Vec<u64>,
    held: Vec<Vec<usize>>,
    parcels: Vec<Parcel>,
    /// Elected candidates whose surplus is still to transfer.
    pending: Vec<u16>,
    non_transferable: u64,
    fractions: u64,
    stages: Vec<Stage>,
    elected: Vec<u16>,
    quota: Option<u64>,
}

/// Counts `profile` under `method`. `lot_seed` decides the ties the rules leave to lot (spec §12.8):
/// fixed once the papers are, and recomputable by anyone.
pub fn count(profile: &Profile, method: Method, lot_seed: &Digest32) -> CountSheet {
    let n = profile.candidates;
    let mut status = vec![Status::Continuing; n];
    for &w in &profile.withdrawn {
        status[w] = Status::Withdrawn;
    }
    let mut c = Count {
        profile,
        method,
        seed: lot_seed,
        status,
        votes: vec![0; n],
        held: vec![Vec::new(); n],
        parcels: Vec::new(),
        pending: Vec::new(),
        non_transferable: 0,
        fractions: 0,
        stages: Vec::new(),
        elected: Vec::new(),
        quota: None,
    };
    let mut valid = 0u64;
    for (i, b) in profile.ballots.iter().enumerate() {
        if b.weight == 0 {
            continue;
        }
        if let Some(at) = c.next_preference(i, 0) {
            let to = usize::from(b.ranking[at]);
            c.votes[to] += b.weight * SCALE;
            c.held[to].push(c.parcels.len());
            c.parcels.push(Parcel {
                ranking: i,
                at,
                value: SCALE,
                papers: b.weight,
            });
            valid += b.weight;
        }
    }
    let seats = match method {
        Method::ScottishStv => profile.seats,
        Method::AlternativeVote => 1,
    };
    if method == Method::ScottishStv {
        c.quota = Some((valid / (seats as u64 + 1) + 1) * SCALE);
    }
    c.end_stage(Action::FirstPreferences, None, seats);
    while c.elected.len() < seats {
        let continuing: Vec<u16> = c.with_status(Status::Continuing);
        if continuing.is_empty() {
            break;
        }
        if let Some((from, lot)) = c.largest_surplus() {
            let surplus = c.transfer_surplus(from);
            c.end_stage(Action::Surplus { from, surplus }, lot, seats);
        } else {
            let (of, lot) = c.lowest(&continuing);
            c.exclude(of);
            c.end_stage(Action::Exclusion { of }, lot, seats);
        }
    }
    CountSheet {
        method,
        valid,
        quota: c.quota,
        stages: c.stages,
        elected: c.elected,
    }
}

impl Count<'_> {
    fn with_status(&self, s: Status) -> Vec<u16> {
        (0..self.status.len())
            .filter(|&i| self.status[i] == s)
            .map(|i| i as u16)
            .collect()
    }

    /// The first preference at or after `from` for a continuing candidate.
    fn next_preference(&self, ranking: usize, from: usize) -> Option<usize> {
        let r = &self.profile.ballots[ranking].ranking;
        (from..r.len()).find(|&i| self.status[usize::from(r[i])] == Status::Continuing)
    }

    /// Moves a parcel on to its next available preference at `value`, or books it
    /// non-transferable.
    fn pass_on(&mut self, p: usize, value: u64) {
        let parcel = &self.parcels[p];
        match self.next_preference(parcel.ranking, parcel.at + 1) {
            Some(at) => {
                let to = usize::from(self.profile.ballots[parcel.ranking].ranking[at]);
                self.votes[to] += value * parcel.papers;
                self.held[to].push(p);
                let parcel = &mut self.parcels[p];
                parcel.at = at;
                parcel.value = value;
            }
            None => self.non_transferable += value * parcel.papers,
        }
    }

    /// R49: every paper the candidate holds moves at `⌊s · v / votes⌋`.
    fn transfer_surplus(&mut self, from: u16) -> u64 {
        let c = usize::from(from);
        let quota = self.quota.expect("surpluses exist only with a quota");
        let total = self.votes[c];
        let surplus = total - quota;
        let mut moved = 0u64;
        for p in core::mem::take(&mut self.held[c]) {
            let v = self.parcels[p].value;
            let tv = (u128::from(surplus) * u128::from(v) / u128::from(total)) as u64;
            moved += tv * self.parcels[p].papers;
            self.pass_on(p, tv);
        }
        // The papers' share of the surplus, whether passed on or non-transferable, is `moved`;
        // what truncation left over is lost.
        self.fractions += surplus - moved;
        self.votes[c] = quota;
        self.pending.retain(|&x| x != from);
        surplus
    }

    /// R51: every paper moves at the value it has.
    fn exclude(&mut self, of: u16) {
        let c = usize::from(of);
        self.status[c] = Status::Excluded;
        for p in core::mem::take(&mut self.held[c]) {
            let v = self.parcels[p].value;
            self.pass_on(p, v);
        }
        self.votes[c] = 0;
    }

    /// R50: the largest untransferred surplus (ties: look back, highest; then lot).
    fn largest_surplus(&self) -> Option<(u16, Option<Lot>)> {
        let quota = self.quota?;
        let with_surplus: Vec<u16> = self
            .pending
            .iter()
            .copied()
            .filter(|&c| self.votes[usize::from(c)] > quota)
            .collect();
        let top = with_surplus
            .iter()
            .map(|&c| self.votes[usize::from(c)])
            .max()?;
        let tied: Vec<u16> = with_surplus
            .into_iter()
            .filter(|&c| self.votes[usize::from(c)] == top)
            .collect();
        Some(self.break_tie(tied, true))
    }

    /// R51–R52: the continuing candidate with the fewest votes (ties: look back, lowest; then lot).
    fn lowest(&self, continuing: &[u16]) -> (u16, Option<Lot>) {
        let low = continuing
            .iter()
            .map(|&c| self.votes[usize::from(c)])
            .min()
            .expect("some candidate continues");
        let tied = continuing
            .iter()
            .copied()
            .filter(|&c| self.votes[usize::from(c)] == low)
            .collect();
        self.break_tie(tied, false)
    }

    /// Looks back from the most recent stage for one at which the tied candidates' votes differ,
    /// keeping those with the most (`highest`) or fewest, until one is left; then lot.
    fn break_tie(&self, mut tied: Vec<u16>, highest: bool) -> (u16, Option<Lot>) {
        for stage in self.stages.iter().rev() {
            if tied.len() == 1 {
                break;
            }
            let at = |c: &u16| stage.votes[usize::from(*c)];
            let best = if highest {
                tied.iter().map(at).max()
            } else {
                tied.iter().map(at).min()
            }
            .expect("two or more tied");
            tied.retain(|c| at(c) == best);
        }
        if tied.len() == 1 {
            return (tied[0], None);
        }
        let chosen = lot(self.seed, self.stages.len() as u32 + 1, &tied);
        (chosen, Some(Lot { tied, chosen }))
    }

    /// Ends a stage: deems elected who the rules elect, and records the stage.
    fn end_stage(&mut self, action: Action, lot: Option<Lot>, seats: usize) {
        let mut newly = Vec::new();
        let continuing = self.with_status(Status::Continuing);
        match (self.method, self.quota) {
            (Method::ScottishStv, Some(quota)) => {
                // R48: at or above the quota, highest first.
                let mut reached: Vec<u16> = continuing
                    .iter()
                    .copied()
                    .filter(|&c| self.votes[usize::from(c)] >= quota)
                    .collect();
                reached.sort_by_key(|&c| core::cmp::Reverse(self.votes[usize::from(c)]));
                for c in reached {
                    if self.elected.len() + newly.len() < seats {
                        newly.push(c);
                        if self.votes[usize::from(c)] > quota {
                            self.pending.push(c);
                        }
                    }
                }
            }
            _ => {
                // The alternative vote: more than half of the continuing candidates' votes, or the
                // last one left.
                let sum: u64 = continuing.iter().map(|&c| self.votes[usize::from(c)]).sum();
                if let Some(&c) = continuing
                    .iter()
                    .find(|&&c| 2 * self.votes[usize::from(c)] > sum)
                {
                    newly.push(c);
                } else if continuing.len() == 1 {
                    newly.push(continuing[0]);
                }
            }
        }
        for &c in &newly {
            self.status[usize::from(c)] = Status::Elected;
        }
        // R53: as many continuing candidates as vacancies left (or fewer): all elected, no more
        // transfers.
        let left = seats - self.elected.len() - newly.len();
        let still = self.with_status(Status::Continuing);
        if left > 0 && still.len() <= left {
            let mut rest = still;
            rest.sort_by_key(|&c| (core::cmp::Reverse(self.votes[usize::from(c)]), c));
            for &c in &rest {
                self.status[usize::from(c)] = Status::Elected;
            }
            newly.extend(rest);
        }
        self.elected.extend_from_slice(&newly);
        self.stages.push(Stage {
            action,
            votes: self.votes.clone(),
            non_transferable: self.non_transferable,
            fractions: self.fractions,
            elected: newly,
            lot,
        });
    }
}

/// The lot (spec §12.8): each tied candidate's key is
/// `TaggedHash("thistle-v1/stv-lot", seed ‖ u32le(stage) ‖ u16le(candidate))`; the lot falls on
/// the smallest key. `stage` is the number of the stage the lot decides.
pub fn lot(seed: &Digest32, stage: u32, tied: &[u16]) -> u16 {
    let key = |c: u16| {
        let mut data = [0u8; 38];
        data[..32].copy_from_slice(seed);
        data[32..36].copy_from_slice(&stage.to_le_bytes());
        data[36..].copy_from_slice(&c.to_le_bytes());
        tagged_hash("thistle-v1/stv-lot", &data)
    };
    *tied
        .iter()
        .min_by_key(|&&c| key(c))
        .expect("a lot among at least two")
}

/// Units as a decimal with five places (`1234.56789`).
pub fn units(value: u64) -> alloc::string::String {
    alloc::format!("{}.{:05}", value / SCALE, value % SCALE)
}

/// Most stages a count can have: the first, then one surplus or one exclusion per candidate.
pub const MAX_STAGES: usize = 2 * MAX_CANDIDATES + 1;

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_candidates(out: &mut Vec<u8>, cs: &[u16]) {
    crate::encoding::put_len(out, cs.len());
    for &c in cs {
        put_u16(out, c);
    }
}

fn read_u16(r: &mut Reader<'_>, what: &'static str) -> Result<u16> {
    Ok(u16::from_le_bytes(r.array(what)?))
}

fn read_candidates(r: &mut Reader<'_>, what: &'static str) -> Result<Vec<u16>> {
    r.vec(MAX_CANDIDATES, 2, what, |r| read_u16(r, what))
}

/// `CountSheet = u8 method ‖ u64 valid ‖ bool present ‖ [u64 quota] ‖ seq Stage ‖ seq u16
/// elected`, `Stage = u8 action ‖ [u16 candidate ‖ u64 surplus | u16 candidate] ‖ seq u64 votes ‖
/// u64 non_transferable ‖ u64 fractions ‖ seq u16 elected ‖ bool lot ‖ [seq u16 tied ‖ u16
/// chosen]` (spec §12.8).
impl Encode for CountSheet {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(match self.method {
            Method::ScottishStv => 0,
            Method::AlternativeVote => 1,
        });
        put_u64(out, self.valid);
        match self.quota {
            None => out.push(0),
            Some(q) => {
                out.push(1);
                put_u64(out, q);
            }
        }
        crate::encoding::put_len(out, self.stages.len());
        for s in &self.stages {
            match &s.action {
                Action::FirstPreferences => out.push(0),
                Action::Surplus { from, surplus } => {
                    out.push(1);
                    put_u16(out, *from);
                    put_u64(out, *surplus);
                }
                Action::Exclusion { of } => {
                    out.push(2);
                    put_u16(out, *of);
                }
            }
            crate::encoding::put_len(out, s.votes.len());
            for v in &s.votes {
                put_u64(out, *v);
            }
            put_u64(out, s.non_transferable);
            put_u64(out, s.fractions);
            put_candidates(out, &s.elected);
            match &s.lot {
                None => out.push(0),
                Some(lot) => {
                    out.push(1);
                    put_candidates(out, &lot.tied);
                    put_u16(out, lot.chosen);
                }
            }
        }
        put_candidates(out, &self.elected);
    }
}

impl CountSheet {
    /// Reads [`CountSheet`]'s encoding.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let method = match r.u8("count method")? {
            0 => Method::ScottishStv,
            1 => Method::AlternativeVote,
            _ => {
                return Err(Error::Malformed {
                    what: "count sheet",
                    reason: "unknown counting method",
                })
            }
        };
        let valid = r.u64("valid papers")?;
        let quota = if r.bool("quota present")? {
            Some(r.u64("quota")?)
        } else {
            None
        };
        // The smallest stage: action, empty votes, two totals, no elected, no lot.
        let stages = r.vec(MAX_STAGES, 26, "stages", |r| {
            let action = match r.u8("stage action")? {
                0 => Action::FirstPreferences,
                1 => Action::Surplus {
                    from: read_u16(r, "surplus of")?,
                    surplus: r.u64("surplus")?,
                },
                2 => Action::Exclusion {
                    of: read_u16(r, "excluded")?,
                },
                _ => {
                    return Err(Error::Malformed {
                        what: "count sheet",
                        reason: "unknown stage action",
                    })
                }
            };
            let votes = r.vec(MAX_CANDIDATES, 8, "votes", |r| r.u64("votes"))?;
            let non_transferable = r.u64("non-transferable")?;
            let fractions = r.u64("fractions")?;
            let elected = read_candidates(r, "elected at stage")?;
            let lot = if r.bool("lot present")? {
                Some(Lot {
                    tied: read_candidates(r, "tied")?,
                    chosen: read_u16(r, "chosen by lot")?,
                })
            } else {
                None
            };
            Ok(Stage {
                action,
                votes,
                non_transferable,
                fractions,
                elected,
                lot,
            })
        })?;
        let elected = read_candidates(r, "elected")?;
        Ok(CountSheet {
            method,
            valid,
            quota,
            stages,
            elected,
        })
    }

    /// Where `self` (a posted sheet) first departs from `recount`: `Some(stage)` (1-based) for the
    /// first stage that differs or that only one of them has, `Some(0)` when the stages agree but
    /// the header (method, valid papers, quota) or the list of the elected does not, `None` when
    /// they are equal.
    pub fn first_difference(&self, recount: &CountSheet) -> Option<usize> {
        if self == recount {
            return None;
        }
        let stage = self
            .stages
            .iter()
            .zip(&recount.stages)
            .position(|(a, b)| a != b)
            .or_else(|| {
                (self.stages.len() != recount.stages.len())
                    .then(|| self.stages.len().min(recount.stages.len()))
            });
        Some(stage.map_or(0, |s| s + 1))
    }
}
