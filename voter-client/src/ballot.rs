//! What the voter has filled in, contest by contest, with each contest's rules enforced as the
//! voter goes (spec §6.1 contest kinds, §7.1 claims): a change that would break a rule is refused
//! with the reason, never silently clipped, so what the voter sees is what gets encrypted.
use protocol::manifest::{Contest, ContestKind};

/// One contest's values (one per option) and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestState {
    kind: ContestKind,
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
}

impl ContestState {
    /// An empty ballot for `contest`: nothing selected, every score and point 0.
    pub fn new(contest: &Contest) -> Self {
        ContestState {
            kind: contest.kind.clone(),
            values: vec![0; contest.options.len()],
        }
    }

    /// The values to encrypt, one per option.
    pub fn values(&self) -> &[u64] {
        &self.values
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
            Change::Toggle(i) | Change::Set(i, _) => i,
        };
        if option >= self.values.len() {
            return Err(Refusal::NoSuchOption);
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
