//! The ballot's rules as the voter fills it in, without a browser: every contest kind's limits
//! refuse what would break them, and whatever the voter can reach is a selection the protocol
//! accepts (`Contest::check_selection`, the rules the proofs prove).
use protocol::manifest::{Contest, ContestKind, ContestOption};
use voter_client::ballot::{BallotState, Change, ContestState, Progress, Refusal};

fn contest(kind: ContestKind, n: usize) -> Contest {
    Contest {
        id: "c".into(),
        title: "Contest".into(),
        kind,
        options: (0..n)
            .map(|i| ContestOption {
                id: format!("o{i}"),
                title: format!("Option {i}"),
            })
            .collect(),
    }
}

#[test]
fn one_of_n_moves_the_selection_like_a_radio_button() {
    let mut s = ContestState::new(&contest(ContestKind::Choose { min: 1, max: 1 }, 5));
    assert!(!s.is_complete());
    s.apply(Change::Toggle(2)).unwrap();
    s.apply(Change::Toggle(4)).unwrap();
    assert_eq!(s.values(), &[0, 0, 0, 0, 1]);
    assert!(s.is_complete());
    s.apply(Change::Toggle(4)).unwrap();
    assert_eq!(s.values(), &[0; 5]);
    assert!(!s.is_complete());
}

#[test]
fn choose_two_to_three_refuses_a_fourth_and_needs_two() {
    let mut s = ContestState::new(&contest(ContestKind::Choose { min: 2, max: 3 }, 6));
    s.apply(Change::Toggle(0)).unwrap();
    assert!(!s.is_complete());
    assert_eq!(
        s.progress(),
        Progress::Choose {
            chosen: 1,
            min: 2,
            max: 3
        }
    );
    s.apply(Change::Toggle(1)).unwrap();
    s.apply(Change::Toggle(2)).unwrap();
    assert_eq!(s.apply(Change::Toggle(3)), Err(Refusal::TooMany { max: 3 }));
    assert_eq!(s.values(), &[1, 1, 1, 0, 0, 0]);
    assert!(s.is_complete());
    assert_eq!(s.apply(Change::Set(0, 1)), Err(Refusal::WrongChange));
}

#[test]
fn a_budget_refuses_what_it_cannot_pay_and_says_what_is_left() {
    let costs = vec![40, 30, 50, 10];
    let mut s = ContestState::new(&contest(
        ContestKind::Budget {
            budget: 100,
            costs: costs.clone(),
        },
        4,
    ));
    s.apply(Change::Toggle(0)).unwrap();
    s.apply(Change::Toggle(1)).unwrap();
    assert_eq!(
        s.progress(),
        Progress::Budget {
            left: 30,
            budget: 100
        }
    );
    assert_eq!(
        s.apply(Change::Toggle(2)),
        Err(Refusal::OverBudget { cost: 50, left: 30 })
    );
    s.apply(Change::Toggle(3)).unwrap();
    s.apply(Change::Toggle(0)).unwrap();
    s.apply(Change::Toggle(2)).unwrap();
    assert_eq!(s.values(), &[0, 1, 1, 1]);
    assert_eq!(
        s.progress(),
        Progress::Budget {
            left: 10,
            budget: 100
        }
    );
}

#[test]
fn cumulative_points_and_scores_have_their_limits() {
    let mut s = ContestState::new(&contest(ContestKind::Cumulative { points: 10 }, 3));
    s.apply(Change::Set(0, 7)).unwrap();
    assert_eq!(
        s.apply(Change::Set(1, 4)),
        Err(Refusal::NotEnoughPoints { left: 3 })
    );
    // Moving an option's own points up counts what it already holds.
    s.apply(Change::Set(0, 10)).unwrap();
    s.apply(Change::Set(0, 2)).unwrap();
    s.apply(Change::Set(2, 8)).unwrap();
    assert_eq!(
        s.progress(),
        Progress::Points {
            left: 0,
            points: 10
        }
    );
    assert_eq!(s.values(), &[2, 0, 8]);

    let mut s = ContestState::new(&contest(ContestKind::Score { max_score: 5 }, 2));
    s.apply(Change::Set(1, 5)).unwrap();
    assert_eq!(
        s.apply(Change::Set(0, 6)),
        Err(Refusal::ScoreTooHigh { max: 5 })
    );
    assert_eq!(s.apply(Change::Toggle(0)), Err(Refusal::WrongChange));
    assert_eq!(s.apply(Change::Set(2, 1)), Err(Refusal::NoSuchOption));
    assert_eq!(s.values(), &[0, 5]);
}

#[test]
fn the_ballot_is_ready_only_when_every_contest_is() {
    let contests = [
        contest(ContestKind::Choose { min: 1, max: 1 }, 3),
        contest(ContestKind::Approval, 3),
    ];
    let mut b = BallotState::new(&contests);
    assert_eq!(b.incomplete(), vec![0]);
    assert!(b.selection().is_none());
    b.apply(1, Change::Toggle(2)).unwrap();
    b.apply(0, Change::Toggle(1)).unwrap();
    assert_eq!(b.selection(), Some(vec![vec![0, 1, 0], vec![0, 0, 1]]));
    assert_eq!(b.apply(2, Change::Toggle(0)), Err(Refusal::NoSuchOption));
}

/// A small deterministic generator: the walk must be reproducible from its seed.
struct Walk(u64);

impl Walk {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[test]
fn every_state_the_voter_can_reach_is_one_the_protocol_accepts() {
    let kinds = [
        ContestKind::Choose { min: 1, max: 1 },
        ContestKind::Choose { min: 0, max: 3 },
        ContestKind::Choose { min: 2, max: 4 },
        ContestKind::Approval,
        ContestKind::Score { max_score: 10 },
        ContestKind::Cumulative { points: 12 },
        ContestKind::Budget {
            budget: 1_000,
            costs: vec![120, 300, 450, 80, 600, 250, 90],
        },
    ];
    for (k, kind) in kinds.into_iter().enumerate() {
        let c = contest(kind, 7);
        let mut s = ContestState::new(&c);
        let mut walk = Walk(0x9E37_79B9_7F4A_7C15 ^ k as u64);
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..2_000 {
            let option = walk.next(8) as usize;
            let change = if walk.next(2) == 0 {
                Change::Toggle(option)
            } else {
                Change::Set(option, walk.next(c.option_max() + 3))
            };
            let before = s.clone();
            match s.apply(change) {
                Ok(()) => accepted += 1,
                Err(_) => {
                    refused += 1;
                    assert_eq!(s, before, "{change:?} was refused but changed the state");
                }
            }
            if s.is_complete() {
                c.check_selection(0, s.values())
                    .unwrap_or_else(|e| panic!("{:?}: {:?} reached: {e}", c.kind, s.values()));
            }
        }
        assert!(
            accepted > 100 && refused > 100,
            "{:?}: {accepted}/{refused}",
            c.kind
        );
    }
}

fn ranked(ranks: u32, n: usize) -> Contest {
    contest(
        ContestKind::Ranked {
            ranks,
            seats: 1,
            method: protocol::manifest::RankedMethod::ScottishStv,
        },
        n,
    )
}

#[test]
fn a_ranking_is_built_by_buttons_and_encrypted_one_option_number_per_rank() {
    let c = ranked(3, 5);
    let mut s = ContestState::new(&c);
    assert_eq!(
        s.values(),
        &[0, 0, 0],
        "one value per rank position, none given"
    );
    assert!(s.is_complete(), "a blank ranking may be cast");
    s.apply(Change::Rank(3)).unwrap();
    s.apply(Change::Rank(0)).unwrap();
    assert_eq!(
        s.values(),
        &[4, 1, 0],
        "1-based option numbers, in preference order"
    );
    assert_eq!(s.preference_of(0), Some(2));
    assert_eq!(s.preference_of(2), None);
    assert_eq!(s.apply(Change::Rank(3)), Err(Refusal::AlreadyRanked));
    s.apply(Change::Rank(4)).unwrap();
    assert_eq!(
        s.apply(Change::Rank(1)),
        Err(Refusal::RanksFull { ranks: 3 })
    );
    assert_eq!(
        s.progress(),
        Progress::Ranked {
            ranked: 3,
            ranks: 3
        }
    );
    // Moving swaps with the neighbour; the ends refuse; removing closes the gap.
    s.apply(Change::Earlier(0)).unwrap();
    assert_eq!(s.ranking(), [0, 3, 4]);
    assert_eq!(s.apply(Change::Earlier(0)), Err(Refusal::CannotMove));
    assert_eq!(s.apply(Change::Later(4)), Err(Refusal::CannotMove));
    s.apply(Change::Later(0)).unwrap();
    assert_eq!(s.ranking(), [3, 0, 4]);
    s.apply(Change::Unrank(3)).unwrap();
    assert_eq!(s.values(), &[1, 5, 0]);
    assert_eq!(s.apply(Change::Unrank(3)), Err(Refusal::CannotMove));
    assert_eq!(s.apply(Change::Toggle(1)), Err(Refusal::WrongChange));
    assert_eq!(s.apply(Change::Rank(5)), Err(Refusal::NoSuchOption));
    c.check_selection(0, s.values()).unwrap();
}

#[test]
fn every_ranking_the_buttons_reach_is_one_the_protocol_accepts() {
    // Every sequence of up to 6 changes on a 3-rank, 4-option contest.
    let c = ranked(3, 4);
    let changes: Vec<Change> = (0..4)
        .flat_map(|i| {
            [
                Change::Rank(i),
                Change::Unrank(i),
                Change::Earlier(i),
                Change::Later(i),
            ]
        })
        .collect();
    let mut frontier = vec![ContestState::new(&c)];
    for _ in 0..6 {
        let mut next = Vec::new();
        for s in &frontier {
            for &ch in &changes {
                let mut t = s.clone();
                if t.apply(ch).is_ok() {
                    c.check_selection(0, t.values()).unwrap();
                    if !next.contains(&t) {
                        next.push(t);
                    }
                } else {
                    assert_eq!(&t, s, "a refused change changes nothing");
                }
            }
        }
        frontier = next;
    }
    // Every ranking of up to 3 of 4 is reachable: 1 + 4 + 12 + 24.
    assert_eq!(frontier.len(), 41);
}
