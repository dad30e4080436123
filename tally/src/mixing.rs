//! The mixing ceremony of ranked contests through the board (spec §12.11): after the close each
//! trustee shuffles every ranked contest in turn, each mix checked against the one before it
//! (reading the record verifies them, V17); in the tally phase each trustee decrypts the last
//! mix's rows (V18); the administrator publishes the papers and the count sheet (V19).
use std::time::Duration;

use cli_support::board::{BoardClient, Posted, Record};
use cli_support::keys::trustee_index;
use cli_support::record::Progress;
use cli_support::{Error, Result};
use protocol::dkg::KeyShare;
use protocol::elgamal::ElectionPublicKey;
use protocol::mixdecrypt;
use protocol::mixnet::{self, ContestDecryption, Mix, RankedCount};
use protocol::record::{Entry, Phase, SignedEntry};
use protocol::shuffle;
use protocol::signature::SecretKey;
use rand_core::OsRng;

/// What a trustee did for one ranked contest.
#[derive(Debug)]
pub struct ContestStep {
    /// The contest's index in the manifest.
    pub contest: u32,
    /// The contest's id.
    pub id: String,
    /// Rows mixed or decrypted (0: the contest had no counted ballot).
    pub rows: usize,
    /// Where the entry landed; `None` if it was on the record already or not needed.
    pub posted: Option<Posted>,
}

impl ContestStep {
    fn of(record: &Record, contest: u32, rows: usize, posted: Option<Posted>) -> Self {
        ContestStep {
            contest,
            id: record.manifest.contests[contest as usize].id.clone(),
            rows,
            posted,
        }
    }
}

/// The ranked contests' indexes.
pub(crate) fn ranked_contests(record: &Record) -> Vec<u32> {
    (0u32..)
        .zip(&record.manifest.contests)
        .filter(|(_, c)| c.is_ranked())
        .map(|(i, _)| i)
        .collect()
}

/// Times a mix is redone when another trustee's mix of the same rows landed first (up to 32
/// trustees may be mixing at once).
const MIX_ATTEMPTS: usize = 40;

/// A trustee mixes every ranked contest it has not mixed yet (§12.11 step 2): it reads and
/// verifies the record (so every earlier mix), shuffles the latest rows with a proof and posts
/// the mix. If another trustee's mix lands first, it mixes the new latest rows.
pub fn mix(
    board: &BoardClient,
    election: &str,
    identity: &SecretKey,
    timeout: Duration,
    progress: Progress<'_>,
) -> Result<Vec<ContestStep>> {
    let mut record = board.wait_for_phase(election, Phase::VotingClosed, timeout, progress)?;
    let index = trustee_index(&record.manifest, identity)?;
    let mut done = Vec::new();
    for contest in ranked_contests(&record) {
        let mut attempt = 0;
        loop {
            if record.mixes(contest).iter().any(|m| m.mixer == index) {
                done.push(ContestStep::of(
                    &record,
                    contest,
                    record.rows_to_mix(contest).map_or(0, <[_]>::len),
                    None,
                ));
                break;
            }
            if record.phase != Phase::VotingClosed {
                return Err(Error::Tally(format!(
                    "mixes are posted between the close and the tally phase; the election is in the {:?} phase",
                    record.phase
                )));
            }
            let (_, outcome) = record
                .ceremony_outcome()?
                .ok_or_else(|| Error::Record("the ceremony is not on the record".into()))?;
            if !outcome.qualified.contains(&index) {
                return Err(Error::Tally(format!(
                    "trustee {index} was disqualified in the key ceremony and does not mix"
                )));
            }
            let input = record.rows_to_mix(contest).unwrap_or(&[]);
            if input.is_empty() {
                done.push(ContestStep::of(&record, contest, 0, None));
                break;
            }
            let fingerprint = record
                .fingerprint
                .ok_or_else(|| Error::Record("voting never opened".into()))?;
            let key = ElectionPublicKey::new(outcome.joint_key);
            let (rows, secret) = shuffle::shuffle(&key, input, &mut OsRng)?;
            let proof = shuffle::prove(&fingerprint, &key, input, &rows, secret, &mut OsRng)?;
            let n = rows.len();
            let entry = SignedEntry::sign(
                &record.manifest_hash,
                Entry::Mix(Mix {
                    contest,
                    mixer: index,
                    position: record.mixes(contest).len() as u32,
                    rows,
                    proof,
                }),
                identity,
            );
            match board.post(&record.manifest, "mixes", &entry) {
                Ok(posted) => {
                    done.push(ContestStep::of(&record, contest, n, Some(posted)));
                    break;
                }
                Err(Error::Refused { code, .. })
                    if code == "wrong_phase" && attempt + 1 < MIX_ATTEMPTS =>
                {
                    // Another mix went first (or the phase moved on): read again and decide.
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(1500));
                    record = board.record_with(election, &mut *progress)?;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(done)
}

/// Whether every ranked contest with counted ballots has mixes by at least `t` trustees, the
/// condition of the phase change to `tally` (§12.11): `None` if so, else what is missing.
pub fn mixes_missing(record: &Record) -> Option<String> {
    let t = record.manifest.threshold as usize;
    let missing: Vec<String> = ranked_contests(record)
        .into_iter()
        .filter_map(|c| {
            let mixed = record.mixes(c).len();
            let needed = !record.rows_to_mix(c).unwrap_or(&[]).is_empty();
            (needed && mixed < t).then(|| {
                format!(
                    "{} ({mixed} of {t} mixes)",
                    record.manifest.contests[c as usize].id
                )
            })
        })
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// Whether every mixed ranked contest has the mix decryptions of at least `t` trustees.
pub fn mix_decryptions_complete(record: &Record) -> bool {
    let t = record.manifest.threshold as usize;
    ranked_contests(record)
        .into_iter()
        .all(|c| record.mixes(c).is_empty() || record.mix_decryptions(c).len() >= t)
}

/// A trustee decrypts every ranked contest's last mix it has not decrypted (§12.10), in the
/// tally phase, on a record that verified (so every mix's proof held).
pub fn decrypt_mixes(
    board: &BoardClient,
    record: &Record,
    identity: &SecretKey,
    share: &KeyShare,
) -> Result<Vec<ContestStep>> {
    let fingerprint = record
        .fingerprint
        .ok_or_else(|| Error::Record("voting never opened".into()))?;
    let mut done = Vec::new();
    for contest in ranked_contests(record) {
        let mixes = record.mixes(contest);
        let Some(last) = mixes.last() else {
            done.push(ContestStep::of(record, contest, 0, None));
            continue;
        };
        if record
            .mix_decryptions(contest)
            .iter()
            .any(|d| d.trustee == share.index())
        {
            done.push(ContestStep::of(record, contest, last.rows.len(), None));
            continue;
        }
        let decryption = mixdecrypt::decrypt_share(&fingerprint, share, &last.rows, &mut OsRng);
        let entry = SignedEntry::sign(
            &record.manifest_hash,
            Entry::MixDecryption(ContestDecryption {
                contest,
                decryption,
            }),
            identity,
        );
        let posted = board.post(&record.manifest, "mix-decryptions", &entry)?;
        done.push(ContestStep::of(
            record,
            contest,
            last.rows.len(),
            Some(posted),
        ));
    }
    Ok(done)
}

/// Every ranked contest's papers and count (§12.11 step 5) from the mix decryptions on a
/// verified record (so each passed V18): combined, counted with the lot seed, in contest order.
/// Fails while a mixed contest has fewer than `t` decryptions.
pub fn counts(record: &Record) -> Result<Vec<RankedCount>> {
    let t = record.manifest.threshold;
    ranked_contests(record)
        .into_iter()
        .map(|c| {
            let contest = &record.manifest.contests[c as usize];
            let mixes = record.mixes(c);
            let last: &[shuffle::Row] = mixes.last().map_or(&[], |m| &m.rows);
            let rows: Vec<Vec<u16>> = if last.is_empty() {
                Vec::new()
            } else {
                let shares = record.mix_decryptions(c);
                if shares.len() < t as usize {
                    return Err(Error::Tally(format!(
                        "contest {}: {} mix decryption(s) of the {t} needed; more trustees must run `tally decrypt`",
                        contest.id,
                        shares.len()
                    )));
                }
                mixdecrypt::combine(last, &shares, t, contest.options.len() as u64)?
                    .into_iter()
                    .map(|row| row.into_iter().map(|v| v as u16).collect())
                    .collect()
            };
            let seed = mixnet::lot_seed(&record.manifest_hash, c, &rows);
            let sheet = mixnet::count(contest, &rows, &seed)?;
            Ok(RankedCount {
                contest: c,
                rows,
                sheet,
            })
        })
        .collect()
}

/// The administrator posts every ranked count not on the record yet (before the results).
pub fn publish_counts(
    board: &BoardClient,
    record: &Record,
    admin: &SecretKey,
    counts: &[RankedCount],
) -> Result<Vec<Posted>> {
    let on_record: Vec<u32> = record.ranked_counts().iter().map(|c| c.contest).collect();
    counts
        .iter()
        .filter(|c| !on_record.contains(&c.contest))
        .map(|c| {
            let entry =
                SignedEntry::sign(&record.manifest_hash, Entry::RankedCount(c.clone()), admin);
            board.post(&record.manifest, "ranked-counts", &entry)
        })
        .collect()
}
