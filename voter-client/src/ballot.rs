//! What the voter has filled in, contest by contest, with each contest's rules enforced as the
//! voter goes (spec §6.1 contest kinds, §7.1 claims): a change that would break a rule is refused
//! with the reason, never silently clipped, so what the voter sees is what gets encrypted.
use protocol::manifest::{Contest, ContestKind};

/// One contest's values (one per option; for a ranked contest, one per rank position: the
/// 1-based option ranked there, 0 for none) and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestState {
    kind: ContestKind,
    options: usize,
    values: Vec<u64>,
}

/// A change the voter asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Select or deselect an option (choose, approval, budget). In a 1-of-n contest selecting
    /// another option moves the selection, as a radio button does.
    Toggle(usize),
    /// Set an option's score or points (score, cumulative).
    Set(usize, u64),
    /// Ranked: give the option the next preference after those already given.
    Rank(usize),
    /// Ranked: take the option out of the ranking; the preferences after it move up one.
    Unrank(usize),
    /// Ranked: move the option one preference earlier (swapping with the one before).
    Earlier(usize),
    /// Ranked: move the option one preference later (swapping with the one after).
    Later(usize),
}

/// Why a change was refused: what the voter needs to know to do something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Already `max` options are selected: deselect one first.
    TooMany {
        /// The most the contest allows.
        max: u32,
    },
    /// The option costs more than is left of the budget.
    OverBudget {
        /// The option's cost.
        cost: u64,
        /// What is left.
        left: u64,
    },
    /// More points than are left.
    NotEnoughPoints {
        /// Points left for this option (its current points plus the unspent ones).
        left: u64,
    },
    /// A score above the maximum.
    ScoreTooHigh {
        /// The highest score.
        max: u64,
    },
    /// Every rank position is used: take an option out of the ranking first.
    RanksFull {
        /// Rank positions on the ballot.
        ranks: u32,
    },
    /// The option is ranked already (move it instead).
    AlreadyRanked,
    /// The option is not ranked (rank it first), or cannot move further that way.
    CannotMove,
    /// This kind of contest takes the other kind of change.
    WrongChange,
    /// No such option.
    NoSuchOption,
}

/// What the voter sees beside a contest: how much is left, and whether it can be submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Choose: `chosen` of between `min` and `max`.
    Choose {
        /// Selected so far.
        chosen: u32,
        /// Fewest allowed.
        min: u32,
        /// Most allowed.
        max: u32,
    },
    /// Approval: `chosen` options approved (any number is fine).
    Approval {
        /// Selected so far.
        chosen: u32,
    },
    /// Score: every option scored from 0 to `max`.
    Score {
        /// The highest score.
        max: u64,
    },
    /// Cumulative: `left` of `points` points unspent.
    Points {
        /// Unspent.
        left: u64,
        /// All.
        points: u64,
    },
    /// Budget: `left` of `budget` unspent.
    Budget {
        /// Unspent.
        left: u64,
        /// All.
        budget: u64,
    },
    /// Ranked: `ranked` of at most `ranks` preferences given (any number is fine, none too).
    Ranked {
        /// Preferences given.
        ranked: u32,
        /// Rank positions.
        ranks: u32,
    },
}

impl ContestState {
    /// An empty ballot for `contest`: nothing selected, every score and point 0.
    pub fn new(contest: &Contest) -> Self {
        ContestState {
            kind: contest.kind.clone(),
            options: contest.options.len(),
            values: vec![0; contest.slots()],
        }
    }

    /// The values to encrypt: one per option, or for a ranked contest one per rank position.
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// Ranked: the options in order of preference.
    pub fn ranking(&self) -> Vec<usize> {
        self.values
            .iter()
            .take_while(|&&v| v != 0)
            .map(|&v| v as usize - 1)
            .collect()
    }

    /// Ranked: the option's preference (1 for the first), if ranked.
    pub fn preference_of(&self, option: usize) -> Option<u32> {
        self.ranking()
            .iter()
            .position(|&o| o == option)
            .map(|p| p as u32 + 1)
    }

    fn set_ranking(&mut self, ranking: &[usize]) {
        for (p, v) in self.values.iter_mut().enumerate() {
            *v = ranking.get(p).map_or(0, |&o| o as u64 + 1);
        }
    }

    fn selected(&self) -> u32 {
        self.values.iter().filter(|&&v| v > 0).count() as u32
    }

    fn spent(&self) -> u64 {
        match &self.kind {
            ContestKind::Budget { costs, .. } => costs
                .iter()
                .zip(&self.values)
                .map(|(c, v)| c.saturating_mul(*v))
                .fold(0u64, u64::saturating_add),
            _ => self.values.iter().fold(0u64, |a, v| a.saturating_add(*v)),
        }
    }

    /// Applies a change, or says why it is refused (the state is then unchanged).
    pub fn apply(&mut self, change: Change) -> Result<(), Refusal> {
        let option = match change {
            Change::Toggle(i)
            | Change::Set(i, _)
            | Change::Rank(i)
            | Change::Unrank(i)
            | Change::Earlier(i)
            | Change::Later(i) => i,
        };
        if option >= self.options {
            return Err(Refusal::NoSuchOption);
        }
        if let ContestKind::Ranked { ranks, .. } = self.kind {
            let mut ranking = self.ranking();
            let at = ranking.iter().position(|&o| o == option);
            match (change, at) {
                (Change::Rank(_), Some(_)) => return Err(Refusal::AlreadyRanked),
                (Change::Rank(_), None) if ranking.len() >= ranks as usize => {
                    return Err(Refusal::RanksFull { ranks })
                }
                (Change::Rank(i), None) => ranking.push(i),
                (Change::Unrank(_), Some(p)) => {
                    ranking.remove(p);
                }
                (Change::Earlier(_), Some(p)) if p > 0 => ranking.swap(p, p - 1),
                (Change::Later(_), Some(p)) if p + 1 < ranking.len() => ranking.swap(p, p + 1),
                (Change::Unrank(_) | Change::Earlier(_) | Change::Later(_), _) => {
                    return Err(Refusal::CannotMove)
                }
                _ => return Err(Refusal::WrongChange),
            }
            self.set_ranking(&ranking);
            return Ok(());
        }
        match (&self.kind, change) {
            (ContestKind::Choose { max, .. }, Change::Toggle(i)) => {
                if self.values[i] == 1 {
                    self.values[i] = 0;
                } else if *max == 1 {
                    self.values.iter_mut().for_each(|v| *v = 0);
                    self.values[i] = 1;
                } else if self.selected() >= *max {
                    return Err(Refusal::TooMany { max: *max });
                } else {
                    self.values[i] = 1;
                }
            }
            (ContestKind::Approval, Change::Toggle(i)) => self.values[i] ^= 1,
            (ContestKind::Budget { budget, costs }, Change::Toggle(i)) => {
                if self.values[i] == 1 {
                    self.values[i] = 0;
                } else {
                    let left = budget.saturating_sub(self.spent());
                    if costs[i] > left {
                        return Err(Refusal::OverBudget {
                            cost: costs[i],
                            left,
                        });
                    }
                    self.values[i] = 1;
                }
            }
            (ContestKind::Score { max_score }, Change::Set(i, v)) => {
                if v > *max_score {
                    return Err(Refusal::ScoreTooHigh { max: *max_score });
                }
                self.values[i] = v;
            }
            (ContestKind::Cumulative { points }, Change::Set(i, v)) => {
                let left = points.saturating_sub(self.spent()) + self.values[i];
                if v > left {
                    return Err(Refusal::NotEnoughPoints { left });
                }
                self.values[i] = v;
            }
            _ => return Err(Refusal::WrongChange),
        }
        Ok(())
    }

    /// What is left to do or spend.
    pub fn progress(&self) -> Progress {
        match &self.kind {
            ContestKind::Choose { min, max } => Progress::Choose {
                chosen: self.selected(),
                min: *min,
                max: *max,
            },
            ContestKind::Approval => Progress::Approval {
                chosen: self.selected(),
            },
            ContestKind::Score { max_score } => Progress::Score { max: *max_score },
            ContestKind::Cumulative { points } => Progress::Points {
                left: points.saturating_sub(self.spent()),
                points: *points,
            },
            ContestKind::Budget { budget, .. } => Progress::Budget {
                left: budget.saturating_sub(self.spent()),
                budget: *budget,
            },
            ContestKind::Ranked { ranks, .. } => Progress::Ranked {
                ranked: self.ranking().len() as u32,
                ranks: *ranks,
            },
        }
    }

    /// Whether the contest may be submitted as it stands (only "choose" has a minimum; every
    /// other rule is kept by [`Self::apply`]).
    pub fn is_complete(&self) -> bool {
        match self.progress() {
            Progress::Choose { chosen, min, .. } => chosen >= min,
            _ => true,
        }
    }
}

/// The whole ballot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BallotState {
    contests: Vec<ContestState>,
}

impl BallotState {
    /// An empty ballot for these contests.
    pub fn new(contests: &[Contest]) -> Self {
        BallotState {
            contests: contests.iter().map(ContestState::new).collect(),
        }
    }

    /// Contest `i`'s state.
    pub fn contest(&self, i: usize) -> &ContestState {
        &self.contests[i]
    }

    /// Applies a change to contest `contest`.
    pub fn apply(&mut self, contest: usize, change: Change) -> Result<(), Refusal> {
        self.contests
            .get_mut(contest)
            .ok_or(Refusal::NoSuchOption)?
            .apply(change)
    }

    /// The contests not yet complete, in order.
    pub fn incomplete(&self) -> Vec<usize> {
        (0..self.contests.len())
            .filter(|&i| !self.contests[i].is_complete())
            .collect()
    }

    /// The values to encrypt, contest by contest; `None` until every contest is complete.
    pub fn selection(&self) -> Option<Vec<Vec<u64>>> {
        self.incomplete()
            .is_empty()
            .then(|| self.contests.iter().map(|c| c.values.clone()).collect())
    }
}
