//! The ranked count (spec §12.8) against worked examples built from the Scottish rules (SSI
//! 2011/399 Sch. 1 rules 46–53), each figure worked by hand in units of 10⁻⁵ of a vote.
use protocol::stv::{count, lot, Action, CountSheet, Lot, Method, Profile, Ranking, SCALE};

fn profile(candidates: usize, seats: usize, ballots: &[(u64, &[u16])]) -> Profile {
    let ballots = ballots
        .iter()
        .map(|&(weight, r)| Ranking {
            weight,
            ranking: r.to_vec(),
        })
        .collect();
    Profile::new(candidates, seats, ballots, Vec::new()).unwrap()
}

const SEED: [u8; 32] = [7; 32];

/// At every stage, the candidates' votes, the non-transferable papers and the fractions lost add
/// up to the valid papers: nothing is created or lost unaccounted.
fn assert_balanced(sheet: &CountSheet) {
    for (i, s) in sheet.stages.iter().enumerate() {
        let total: u64 = s.votes.iter().sum::<u64>() + s.non_transferable + s.fractions;
        assert_eq!(total, sheet.valid * SCALE, "stage {}", i + 1);
    }
}

const A: u16 = 0;
const B: u16 = 1;
const C: u16 = 2;
const D: u16 = 3;
const E: u16 = 4;

#[test]
fn a_surplus_moves_every_paper_at_a_value_truncated_to_five_places() {
    // 150 valid, 2 seats: quota ⌊150/3⌋ + 1 = 51 (R47).
    let p = profile(
        4,
        2,
        &[
            (60, &[A, B]),
            (30, &[A, C]),
            (20, &[B]),
            (25, &[C]),
            (15, &[D, C]),
        ],
    );
    let sheet = count(&p, Method::ScottishStv, &SEED);
    assert_balanced(&sheet);
    assert_eq!(sheet.quota, Some(51 * SCALE));
    assert_eq!(sheet.valid, 150);
    let s = &sheet.stages;
    assert_eq!(s[0].action, Action::FirstPreferences);
    assert_eq!(s[0].votes, [9_000_000, 2_000_000, 2_500_000, 1_500_000]);
    assert_eq!(s[0].elected, [A]);
    // Surplus 39; transfer value ⌊39 · 1 / 90⌋ to five places = 0.43333 (R49(3)).
    assert_eq!(
        s[1].action,
        Action::Surplus {
            from: A,
            surplus: 3_900_000
        }
    );
    assert_eq!(s[1].votes, [5_100_000, 4_599_980, 3_799_990, 1_500_000]);
    assert_eq!(s[1].fractions, 30, "39 − 90 × 0.43333 = 0.00030 lost");
    assert!(s[1].elected.is_empty());
    // No surplus left: D, the fewest, is excluded; their papers move at full value (R51).
    assert_eq!(s[2].action, Action::Exclusion { of: D });
    assert_eq!(s[2].votes, [5_100_000, 4_599_980, 5_299_990, 0]);
    assert_eq!(s[2].elected, [C]);
    assert_eq!(sheet.elected, [A, C]);
    assert_eq!(s.len(), 3, "all seats filled: no further transfer");
}

#[test]
fn several_elected_at_once_the_largest_surplus_goes_first_even_when_it_is_newer() {
    // 131 valid, 4 seats: quota ⌊131/5⌋ + 1 = 27.
    let p = profile(
        5,
        4,
        &[
            (60, &[A, C]),
            (34, &[B, D]),
            (20, &[C]),
            (10, &[D]),
            (7, &[E]),
        ],
    );
    let sheet = count(&p, Method::ScottishStv, &SEED);
    assert_balanced(&sheet);
    let s = &sheet.stages;
    assert_eq!(sheet.quota, Some(27 * SCALE));
    assert_eq!(s[0].elected, [A, B], "both over the quota, highest first");
    // A's surplus 33 (the larger) first: 0.55 a paper puts C on 53, over the quota.
    assert_eq!(
        s[1].action,
        Action::Surplus {
            from: A,
            surplus: 3_300_000
        }
    );
    assert_eq!(s[1].votes[usize::from(C)], 5_300_000);
    assert_eq!(s[1].elected, [C]);
    // C's new surplus 26 is larger than B's older 7, so it goes next (R50(1)). C's papers have
    // two values: 1 (⌊26/53⌋ = 0.49056) and 0.55 (⌊26 · 0.55 / 53⌋ = 0.26981); none has a next
    // preference.
    assert_eq!(
        s[2].action,
        Action::Surplus {
            from: C,
            surplus: 2_600_000
        }
    );
    assert_eq!(s[2].non_transferable, 20 * 49_056 + 60 * 26_981);
    assert_eq!(s[2].fractions, 20);
    // Then B's 7: ⌊7/34⌋ = 0.20588 a paper to D.
    assert_eq!(
        s[3].action,
        Action::Surplus {
            from: B,
            surplus: 700_000
        }
    );
    assert_eq!(s[3].votes[usize::from(D)], 1_000_000 + 34 * 20_588);
    assert_eq!(s[3].fractions, 28);
    // E excluded; then one continuing candidate for one vacancy: D is elected below the quota
    // (R53).
    assert_eq!(s[4].action, Action::Exclusion { of: E });
    assert_eq!(s[4].elected, [D]);
    assert_eq!(sheet.elected, [A, B, C, D]);
    assert_eq!(s.len(), 5);
}

#[test]
fn equal_surpluses_go_by_the_most_recent_stage_at_which_the_candidates_differed() {
    // 100 valid, 4 seats: quota 21. X's surplus makes B equal to A (30 each).
    let x = 5;
    let p = profile(
        6,
        4,
        &[
            (40, &[x, B]),
            (30, &[A, C]),
            (11, &[B]),
            (8, &[C]),
            (6, &[D]),
            (5, &[E]),
        ],
    );
    let sheet = count(&p, Method::ScottishStv, &SEED);
    assert_balanced(&sheet);
    let s = &sheet.stages;
    assert_eq!(s[0].elected, [x, A]);
    assert_eq!(s[1].elected, [B]);
    assert_eq!(s[1].votes[usize::from(A)], s[1].votes[usize::from(B)]);
    // A had more than B at stage 1 (R50(2)): A's surplus first, no lot.
    assert_eq!(
        s[2].action,
        Action::Surplus {
            from: A,
            surplus: 900_000
        }
    );
    assert_eq!(s[2].lot, None);
    assert_eq!(
        s[3].action,
        Action::Surplus {
            from: B,
            surplus: 900_000
        }
    );
    // B's papers at two values: ⌊9/30⌋ = 0.3 and ⌊9 · 0.475 / 30⌋ = 0.1425.
    assert_eq!(s[3].non_transferable, 11 * 30_000 + 40 * 14_250);
    assert_eq!(sheet.elected, [x, A, B, C]);
}

#[test]
fn the_lowest_tie_looks_back_to_the_most_recent_stage_not_the_first() {
    // B and C tie at 7 at stage 3. At stage 2 B had fewer (6 to 7); at stage 1 more (6 to 5).
    // The rule is the most recent preceding stage at which they differed (R52(2)(a)): B goes.
    let p = profile(
        5,
        1,
        &[
            (15, &[A]),
            (6, &[B]),
            (5, &[C]),
            (1, &[D, B]),
            (2, &[D]),
            (2, &[E, C]),
        ],
    );
    let sheet = count(&p, Method::ScottishStv, &SEED);
    assert_balanced(&sheet);
    let s = &sheet.stages;
    assert_eq!(sheet.quota, Some(16 * SCALE));
    assert_eq!(s[1].action, Action::Exclusion { of: E });
    assert_eq!(s[2].action, Action::Exclusion { of: D });
    assert_eq!(s[2].votes[usize::from(B)], s[2].votes[usize::from(C)]);
    assert_eq!(s[3].action, Action::Exclusion { of: B });
    assert_eq!(s[3].lot, None);
    assert_eq!(s[4].action, Action::Exclusion { of: C });
    // The last continuing candidate fills the last vacancy, below the quota (R53).
    assert_eq!(s[4].elected, [A]);
    assert_eq!(
        s[4].non_transferable,
        16 * SCALE,
        "every other paper exhausted"
    );
}

#[test]
fn a_tie_at_every_stage_is_decided_by_the_recomputable_lot() {
    let p = profile(3, 1, &[(4, &[A]), (2, &[B]), (2, &[C])]);
    let mut chosen = Vec::new();
    for seed in 0..16u8 {
        let seed = [seed; 32];
        let sheet = count(&p, Method::ScottishStv, &seed);
        assert_balanced(&sheet);
        let expected = lot(&seed, 2, &[B, C]);
        assert_eq!(
            sheet.stages[1].lot,
            Some(Lot {
                tied: vec![B, C],
                chosen: expected
            })
        );
        assert_eq!(sheet.stages[1].action, Action::Exclusion { of: expected });
        chosen.push(expected);
    }
    assert!(
        chosen.contains(&B) && chosen.contains(&C),
        "the lot depends on the seed: {chosen:?}"
    );
}

#[test]
fn fewer_candidates_than_seats_are_all_elected_at_once() {
    let p = profile(2, 3, &[(5, &[A]), (1, &[B, A])]);
    let sheet = count(&p, Method::ScottishStv, &SEED);
    assert_eq!(sheet.stages.len(), 1);
    assert_eq!(sheet.elected, [A, B]);
}

#[test]
fn withdrawn_candidates_are_skipped_and_papers_for_nobody_are_not_valid() {
    let ballots = vec![
        Ranking {
            weight: 5,
            ranking: vec![B, A],
        },
        Ranking {
            weight: 3,
            ranking: vec![C],
        },
        Ranking {
            weight: 2,
            ranking: vec![B],
        },
    ];
    let p = Profile::new(3, 1, ballots, vec![usize::from(B)]).unwrap();
    let sheet = count(&p, Method::ScottishStv, &SEED);
    assert_eq!(sheet.valid, 8, "the 2 papers for B alone count for nobody");
    assert_eq!(sheet.stages[0].votes, [5 * SCALE, 0, 3 * SCALE]);
    assert_eq!(sheet.elected, [A]);
}

#[test]
fn the_alternative_vote_needs_more_than_half_of_the_continuing_votes() {
    let p = profile(3, 1, &[(4, &[A]), (3, &[B, A]), (2, &[C, B])]);
    let sheet = count(&p, Method::AlternativeVote, &SEED);
    assert_balanced(&sheet);
    assert_eq!(sheet.quota, None);
    assert!(
        sheet.stages[0].elected.is_empty(),
        "4 of 9 is not a majority"
    );
    assert_eq!(sheet.stages[1].action, Action::Exclusion { of: C });
    assert_eq!(sheet.stages[1].elected, [B], "5 of 9");
    // Exhausted papers leave the count: A wins with 4 of the 7 still continuing.
    let p = profile(3, 1, &[(4, &[A]), (3, &[B]), (2, &[C])]);
    let sheet = count(&p, Method::AlternativeVote, &SEED);
    assert_eq!(sheet.stages[1].action, Action::Exclusion { of: C });
    assert_eq!(sheet.elected, [A]);
}

#[test]
fn profiles_that_cannot_be_counted_are_refused() {
    let r = |ranking: Vec<u16>| Ranking { weight: 1, ranking };
    assert!(Profile::new(0, 1, vec![], vec![]).is_err());
    assert!(Profile::new(2, 0, vec![], vec![]).is_err());
    assert!(Profile::new(2, usize::MAX, vec![], vec![]).is_err());
    assert!(Profile::new(2, 1, vec![r(vec![2])], vec![]).is_err());
    assert!(Profile::new(2, 1, vec![], vec![2]).is_err());
    assert!(Profile::new(
        2,
        1,
        vec![Ranking {
            weight: u64::MAX,
            ranking: vec![0]
        }],
        vec![]
    )
    .is_err());
}

#[test]
fn a_council_sized_count_balances_at_every_stage() {
    // 13 candidates, 4 seats, 13,000 papers from a fixed pseudo-random sequence.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let ballots = (0..13_000)
        .map(|_| {
            let mut order: Vec<u16> = (0..13).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, (next() % (i as u64 + 1)) as usize);
            }
            order.truncate(1 + (next() % 6) as usize);
            Ranking {
                weight: 1,
                ranking: order,
            }
        })
        .collect();
    let p = Profile::new(13, 4, ballots, vec![]).unwrap();
    let sheet = count(&p, Method::ScottishStv, &SEED);
    assert_balanced(&sheet);
    assert_eq!(sheet.elected.len(), 4);
    let mut distinct = sheet.elected.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 4);
}
