//! Simulated voters. Each does what the voting page does on a voter's device: reads the voting
//! code from its letter, fetches the latest checkpoint (accepted only under the board's
//! signature), encrypts and proves on the device, signs and posts over HTTP, and checks the board's
//! signed receipt. A few audit a ballot first (§11.6) and check that it opens to their choices;
//! some vote again once everyone has voted, with another first choice (§11.7), and only their last
//! ballot should count.
use std::path::Path;

use cli_support::board::BoardClient;
use indicatif::ProgressBar;
use protocol::ballot::{self, BallotContext};
use protocol::credentials::Credential;
use protocol::manifest::{Contest, ContestKind, Manifest};
use protocol::record::{Entry, SignedEntry};
use rand_core::OsRng;

use crate::Error;

/// A voter of the roll, with the credential from their letter.
pub struct Voter {
    /// The roll's id.
    pub id: String,
    /// The credential's weight.
    pub weight: u64,
    credential: Credential,
}

/// Reads the credential authority's mail-merge file (`id,weight,credential`).
pub fn read_credentials(path: &Path) -> Result<Vec<Voter>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |line: usize, why: &str| Error::Input(format!("{}:{line}: {why}", path.display()));
    let mut lines = text.lines().enumerate();
    if lines.next().map(|(_, l)| l) != Some("id,weight,credential") {
        return Err(bad(1, "expected the header id,weight,credential"));
    }
    lines
        .map(|(n, line)| {
            let mut fields = line.split(',');
            let (Some(id), Some(weight), Some(code), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(bad(n + 1, "expected three fields"));
            };
            Ok(Voter {
                id: id.to_owned(),
                weight: weight
                    .parse()
                    .map_err(|_| bad(n + 1, "the weight is not a number"))?,
                credential: voter_client::flow::parse_credential(code)
                    .ok_or_else(|| bad(n + 1, "not a voting code"))?,
            })
        })
        .collect()
}

/// Who audits and who votes again.
#[derive(Clone, Copy, Debug)]
pub struct Behaviour {
    /// Every `audit_every`-th voter audits a ballot before casting.
    pub audit_every: usize,
    /// Every `revote_every`-th voter casts a second ballot with other choices.
    pub revote_every: usize,
    /// Seeds the choices (not the encryption randomness, which is the system's).
    pub seed: u64,
}

impl Behaviour {
    fn audits(&self, voter: usize) -> bool {
        self.audit_every > 0 && voter % self.audit_every == 1
    }

    fn revotes(&self, voter: usize) -> bool {
        self.revote_every > 0 && voter % self.revote_every == 2
    }
}

/// What the voters did, and the totals their last ballots should add up to.
#[derive(Debug, Default)]
pub struct Turnout {
    /// Voters who cast.
    pub voters: u64,
    /// Cast ballots, revotes included.
    pub ballots: u64,
    /// Second ballots.
    pub revotes: u64,
    /// Audited ballots posted, each checked to open to the voter's choices.
    pub audits: u64,
    /// Per contest, per option: the weighted sum of every voter's last choices (none for a
    /// ranked contest).
    pub expected: Vec<Vec<u64>>,
    /// Per contest: every voter's last ranking if it is ranked (the papers the mixnet must
    /// decrypt, in any order), else nothing.
    pub rankings: Vec<Vec<Vec<u64>>>,
    /// A few (voter id, tracking code) to look up later.
    pub sample: Vec<(String, String)>,
}

impl Turnout {
    fn merge(&mut self, other: Turnout) {
        self.voters += other.voters;
        self.ballots += other.ballots;
        self.revotes += other.revotes;
        self.audits += other.audits;
        for (mine, theirs) in self.expected.iter_mut().zip(other.expected) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        for (mine, theirs) in self.rankings.iter_mut().zip(other.rankings) {
            mine.extend(theirs);
        }
        self.sample.extend(other.sample);
    }
}

/// Everything a simulated voter needs from the election.
pub struct Election<'a> {
    /// The board's URL.
    pub board: &'a str,
    /// The manifest.
    pub manifest: &'a Manifest,
    /// The ballot context from the verified record.
    pub ballots: &'a BallotContext,
}

/// Every voter votes, on `threads` threads; then, once all have, the revoters vote again with a
/// different choice in the first contest, after a newer checkpoint (§11.7), so counting a
/// superseded ballot would change the results. `bar` advances once per ballot.
pub fn vote_all(
    election: &Election<'_>,
    voters: &[Voter],
    behaviour: Behaviour,
    threads: usize,
    bar: &ProgressBar,
) -> Result<Turnout, Error> {
    let revoters = (0..voters.len()).filter(|&n| behaviour.revotes(n)).count();
    bar.set_length((voters.len() + revoters) as u64);
    let mut all = in_parallel(
        election,
        voters,
        threads,
        bar,
        |client, n, voter, turnout| first_ballot(election, client, n, voter, behaviour, turnout),
    )?;
    let again = in_parallel(
        election,
        voters,
        threads,
        bar,
        |client, n, voter, turnout| {
            if behaviour.revotes(n) {
                revote(election, client, n, voter, behaviour, turnout)?;
            }
            Ok(())
        },
    )?;
    all.merge(again);
    all.sample.sort();
    Ok(all)
}

/// Runs `each` for every voter, voter `n` on thread `n % threads`.
fn in_parallel(
    election: &Election<'_>,
    voters: &[Voter],
    threads: usize,
    bar: &ProgressBar,
    each: impl Fn(&BoardClient, usize, &Voter, &mut Turnout) -> Result<(), Error> + Sync,
) -> Result<Turnout, Error> {
    let threads = threads.max(1);
    let each = &each;
    let results: Vec<Result<Turnout, Error>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let client = BoardClient::new(election.board);
                    let mut turnout = Turnout {
                        expected: zero_totals(&election.manifest.contests),
                        rankings: vec![Vec::new(); election.manifest.contests.len()],
                        ..Turnout::default()
                    };
                    for (n, voter) in voters.iter().enumerate().skip(t).step_by(threads) {
                        let before = turnout.ballots;
                        each(&client, n, voter, &mut turnout)?;
                        bar.inc(turnout.ballots - before);
                    }
                    Ok(turnout)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a voter thread panicked"))
            .collect()
    });
    let mut all = Turnout {
        expected: zero_totals(&election.manifest.contests),
        rankings: vec![Vec::new(); election.manifest.contests.len()],
        ..Turnout::default()
    };
    for r in results {
        all.merge(r?);
    }
    Ok(all)
}

/// Zero totals per option; none for a ranked contest, which is never summed.
fn zero_totals(contests: &[Contest]) -> Vec<Vec<u64>> {
    contests
        .iter()
        .map(|c| vec![0; if c.is_ranked() { 0 } else { c.options.len() }])
        .collect()
}

fn failure(voter: &Voter, what: &str, e: &dyn std::fmt::Display) -> Error {
    Error::Voter(format!("{} ({what}): {e}", voter.id))
}

/// Encrypts `selection` as the device does: after fetching the latest signed checkpoint.
fn fresh_ballot(
    election: &Election<'_>,
    client: &BoardClient,
    voter: &Voter,
    selection: &[Vec<u64>],
) -> Result<(ballot::EncryptedBallot, ballot::BallotSecrets), Error> {
    let size = client
        .checkpoint(election.manifest)
        .map_err(|e| failure(voter, "reading the checkpoint", &e))?
        .size;
    ballot::encrypt(
        election.ballots,
        &voter.credential.public_key(),
        voter.weight,
        size,
        selection,
        &mut OsRng,
    )
    .map_err(|e| failure(voter, "encrypting", &e))
}

/// Casts `selection`; its tracking code.
fn cast(
    election: &Election<'_>,
    client: &BoardClient,
    voter: &Voter,
    selection: &[Vec<u64>],
    turnout: &mut Turnout,
) -> Result<String, Error> {
    let (encrypted, _secrets) = fresh_ballot(election, client, voter, selection)?;
    let code = hex::encode(encrypted.tracking_code().0);
    let ballot = encrypted
        .cast(&voter.credential)
        .map_err(|e| failure(voter, "signing", &e))?;
    post(client, election, Entry::Ballot(ballot)).map_err(|e| failure(voter, "casting", &e))?;
    turnout.ballots += 1;
    Ok(code)
}

/// The voter's last ballot: its weighted choices are what the tally must count, and the first
/// few voters' tracking codes are kept to look up later.
fn count(
    election: &Election<'_>,
    turnout: &mut Turnout,
    n: usize,
    voter: &Voter,
    selection: &[Vec<u64>],
    code: String,
) {
    for (totals, values) in turnout.expected.iter_mut().zip(selection) {
        for (t, v) in totals.iter_mut().zip(values) {
            *t += v * voter.weight;
        }
    }
    for ((papers, values), contest) in turnout
        .rankings
        .iter_mut()
        .zip(selection)
        .zip(&election.manifest.contests)
    {
        if contest.is_ranked() {
            papers.push(values.clone());
        }
    }
    if n < 3 {
        turnout.sample.push((voter.id.clone(), code));
    }
}

fn first_ballot(
    election: &Election<'_>,
    client: &BoardClient,
    n: usize,
    voter: &Voter,
    behaviour: Behaviour,
    turnout: &mut Turnout,
) -> Result<(), Error> {
    let selection = Choices::new(behaviour.seed, n as u64).selection(&election.manifest.contests);
    if behaviour.audits(n) {
        let (encrypted, secrets) = fresh_ballot(election, client, voter, &selection)?;
        let audited = secrets
            .audit(encrypted, &voter.credential)
            .map_err(|e| failure(voter, "auditing", &e))?;
        let opened = audited
            .verify(election.ballots, voter.weight, &mut OsRng)
            .map_err(|e| failure(voter, "checking the audited ballot", &e))?;
        if opened != selection {
            return Err(failure(
                voter,
                "checking the audited ballot",
                &"it does not open to the voter's choices",
            ));
        }
        post(client, election, Entry::AuditedBallot(audited))
            .map_err(|e| failure(voter, "posting the audited ballot", &e))?;
        turnout.audits += 1;
    }
    let code = cast(election, client, voter, &selection, turnout)?;
    turnout.voters += 1;
    if !behaviour.revotes(n) {
        count(election, turnout, n, voter, &selection, code);
    }
    Ok(())
}

fn revote(
    election: &Election<'_>,
    client: &BoardClient,
    n: usize,
    voter: &Voter,
    behaviour: Behaviour,
    turnout: &mut Turnout,
) -> Result<(), Error> {
    let contests = &election.manifest.contests;
    let mut choices = Choices::new(behaviour.seed, n as u64);
    let first = choices.selection(contests);
    let mut selection = choices.selection(contests);
    // A different first choice, where the first contest allows one.
    for _ in 0..64 {
        if selection[0] != first[0] {
            break;
        }
        selection = choices.selection(contests);
    }
    let code = cast(election, client, voter, &selection, turnout)?;
    turnout.revotes += 1;
    count(election, turnout, n, voter, &selection, code);
    Ok(())
}

/// Posts a voter-signed entry; the client checks the board's receipt.
fn post(client: &BoardClient, election: &Election<'_>, entry: Entry) -> Result<(), Error> {
    let kind = match entry {
        Entry::AuditedBallot(_) => "audited-ballots",
        _ => "ballots",
    };
    client.post(
        election.manifest,
        kind,
        &SignedEntry {
            entry,
            signature: None,
        },
    )?;
    Ok(())
}

/// A voter's choices: SplitMix64 from the demo's seed and the voter's number, so a run can be
/// repeated. Earlier options are favoured a little, so results are not all ties.
pub struct Choices(u64);

impl Choices {
    /// The choices of voter `n` under `seed`.
    pub fn new(seed: u64, n: u64) -> Self {
        Choices(seed ^ n.wrapping_mul(0xd1b5_4a32_d192_ed03))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..=max`.
    fn upto(&mut self, max: u64) -> u64 {
        self.next() % (max + 1)
    }

    /// The options in a random order, earlier ones tending to come first.
    fn preference(&mut self, options: usize) -> Vec<usize> {
        let mut keyed: Vec<(u64, usize)> = (0..options)
            .map(|i| (self.upto(1000) + 150 * i as u64, i))
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    }

    /// A valid selection for every contest (spec §7.1).
    pub fn selection(&mut self, contests: &[Contest]) -> Vec<Vec<u64>> {
        contests.iter().map(|c| self.contest(c)).collect()
    }

    fn contest(&mut self, contest: &Contest) -> Vec<u64> {
        let n = contest.options.len();
        if let ContestKind::Ranked { ranks, .. } = contest.kind {
            // One value per rank position: some of the options in preference order, then zeros.
            let given = self.upto(u64::from(ranks)) as usize;
            let mut values: Vec<u64> = self
                .preference(n)
                .into_iter()
                .take(given)
                .map(|o| o as u64 + 1)
                .collect();
            values.resize(ranks as usize, 0);
            return values;
        }
        let mut values = vec![0u64; n];
        match &contest.kind {
            ContestKind::Choose { min, max } => {
                let k = u64::from(*min) + self.upto(u64::from(max - min));
                for i in self.preference(n).into_iter().take(k as usize) {
                    values[i] = 1;
                }
            }
            ContestKind::Approval => {
                for (i, v) in values.iter_mut().enumerate() {
                    *v = u64::from(self.upto(n as u64) > i as u64);
                }
            }
            ContestKind::Score { max_score } => {
                for v in &mut values {
                    *v = self.upto(*max_score);
                }
            }
            ContestKind::Cumulative { points } => {
                let mut left = self.upto(*points);
                for i in self.preference(n) {
                    let give = self.upto(left);
                    values[i] = give;
                    left -= give;
                }
            }
            ContestKind::Budget { budget, costs } => {
                let mut left = *budget;
                for i in self.preference(n) {
                    if costs[i] <= left {
                        values[i] = 1;
                        left -= costs[i];
                    }
                }
            }
            // Returned above.
            ContestKind::Ranked { .. } => {}
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::manifest::ContestOption;

    fn contest(kind: ContestKind, options: usize) -> Contest {
        Contest {
            id: "c".into(),
            title: "C".into(),
            kind,
            options: (0..options)
                .map(|i| ContestOption {
                    id: format!("o{i}"),
                    title: format!("O{i}"),
                })
                .collect(),
        }
    }

    #[test]
    fn every_kind_of_contest_gets_a_valid_selection_and_a_seed_repeats_it() {
        let contests = vec![
            contest(ContestKind::Choose { min: 1, max: 1 }, 2),
            contest(ContestKind::Choose { min: 2, max: 4 }, 6),
            contest(ContestKind::Approval, 5),
            contest(ContestKind::Score { max_score: 7 }, 4),
            contest(ContestKind::Cumulative { points: 10 }, 4),
            contest(
                ContestKind::Budget {
                    budget: 100,
                    costs: vec![60, 25, 40, 100, 5],
                },
                5,
            ),
        ];
        let mut first_options = vec![0u64; contests.len()];
        for n in 0..500 {
            let selection = Choices::new(7, n).selection(&contests);
            assert_eq!(selection, Choices::new(7, n).selection(&contests));
            for (i, (c, values)) in contests.iter().zip(&selection).enumerate() {
                c.check_selection(i, values)
                    .unwrap_or_else(|e| panic!("voter {n}, {:?}: {values:?}: {e}", c.kind));
                first_options[i] += values[0];
            }
        }
        // Neither all nor none: the choices vary between voters.
        assert!(first_options.iter().all(|&t| t > 0), "{first_options:?}");
        assert_ne!(
            Choices::new(7, 1).selection(&contests),
            Choices::new(8, 1).selection(&contests)
        );
    }

    #[test]
    fn auditors_and_revoters_are_a_few_and_present_in_a_small_election() {
        let b = Behaviour {
            audit_every: 100,
            revote_every: 20,
            seed: 0,
        };
        assert_eq!((0..1000).filter(|&n| b.audits(n)).count(), 10);
        assert_eq!((0..1000).filter(|&n| b.revotes(n)).count(), 50);
        assert!((0..5).any(|n| b.audits(n)) && (0..5).any(|n| b.revotes(n)));
    }
}
