//! The decryption ceremony through the board (spec §12.6): the administrator posts the encrypted
//! tally, each trustee decrypts its part of the tally it recomputed itself, and anyone combines.
//! Every step acts on a record verified first (V1–V15) and recomputes what it relies on.
use std::path::Path;
use std::time::Duration;

use cli_support::board::{BoardClient, Posted, Record};
use cli_support::keys::{kinds, trustee_index};
use cli_support::record::Progress;
use cli_support::{secret_file, Error, Result};
use protocol::dkg::KeyShare;

use crate::mixing;
use protocol::hash::Digest32;
use protocol::record::{Entry, Phase, SignedEntry};
use protocol::signature::SecretKey;
use protocol::tally::{EncryptedTally, PartialDecryption, RecomputedTally, Results};
use rand_core::OsRng;

/// The encrypted tally recomputed from the counted ballots (§12.1, weights applied): reading
/// the record did it in its second pass, and checked it against the posted tally (V13).
pub fn recompute(record: &Record) -> Result<RecomputedTally> {
    record.recomputed_tally().cloned().ok_or_else(|| {
        Error::Tally(format!(
            "the tally is recomputed once voting has closed; the election is in the {:?} phase",
            record.phase
        ))
    })
}

/// The tally fingerprint: the hash of the encrypted tally (§12.1), which every partial
/// decryption's proof binds; trustees and observers compare it.
pub fn tally_fingerprint(tally: &EncryptedTally) -> String {
    hex::encode(tally.hash())
}

/// The administrator, after voting closed: posts the encrypted tally recomputed from the counted
/// ballots, then moves the election to the tally phase.
pub fn post_tally(
    board: &BoardClient,
    election: &str,
    admin: &SecretKey,
    mix_wait: Duration,
    progress: Progress<'_>,
) -> Result<(Posted, EncryptedTally)> {
    // A closing just posted reaches reads with the next checkpoint.
    let record = match board.wait_for_phase(
        election,
        Phase::VotingClosed,
        Duration::from_secs(15),
        &mut *progress,
    ) {
        Ok(record) => record,
        Err(Error::Timeout(_)) => board.record_with(election, progress)?,
        Err(e) => return Err(e),
    };
    if record.manifest.administrator != admin.public_key() {
        return Err(Error::Tally(
            "this key is not the manifest's administrator".into(),
        ));
    }
    if record.phase != Phase::VotingClosed {
        return Err(Error::Tally(format!(
            "the tally is posted after voting closes; the election is in the {:?} phase",
            record.phase
        )));
    }
    let tally = recompute(&record)?.tally().clone();
    // A rerun after the tally went in but the phase change did not only posts the phase change
    // (the tally on the record passed V13, so it is this one).
    if record.tally().is_none() {
        let entry = SignedEntry::sign(
            &record.manifest_hash,
            Entry::EncryptedTally(tally.clone()),
            admin,
        );
        board.post(&record.manifest, "tally", &entry)?;
    }
    // Ranked contests are mixed by at least t trustees before the tally phase (§12.11).
    if let Some(missing) = mixing::mixes_missing(&record) {
        let waited = board.wait_for(election, "the ranked contests' mixes", mix_wait, |r| {
            Ok(mixing::mixes_missing(r).is_none().then_some(()))
        });
        match waited {
            Ok(()) => {}
            Err(Error::Timeout(_)) => {
                return Err(Error::Tally(format!(
                    "the encrypted tally is posted; the tally phase waits for the ranked contests' mixes: {missing}. Each trustee runs `tally mix`; then run `tally start` again"
                )))
            }
            Err(e) => return Err(e),
        }
    }
    let phase = SignedEntry::sign(
        &record.manifest_hash,
        Entry::Phase {
            phase: Phase::Tally,
            fingerprint: None,
        },
        admin,
    );
    Ok((board.post(&record.manifest, "phase", &phase)?, tally))
}

/// What a trustee's decryption did.
pub struct Decrypted {
    /// The trustee's index.
    pub trustee: u32,
    /// Where the partial decryption landed; `None` if it was already on the record.
    pub posted: Option<Posted>,
    /// The tally it decrypted (recomputed by this trustee, equal to the posted one).
    pub tally: EncryptedTally,
    /// The ranked contests' last mixes it decrypted (§12.10).
    pub mixes: Vec<mixing::ContestStep>,
    /// The decryption fingerprint (hex), to compare with the other trustees (§12.11).
    pub decryption_fingerprint: String,
}

/// What a trustee decrypted under, kept beside its key share (§12.6): once it has decrypted a
/// tally, it decrypts no other for this election, and only on a history extending this one.
#[derive(serde::Serialize, serde::Deserialize, PartialEq, Eq, Debug)]
struct Marker {
    election: String,
    tally: String,
    size: u64,
    root: String,
    /// The decryption fingerprint (the tally and each ranked contest's last mix, §12.11); absent
    /// in markers written before ranked contests.
    #[serde(default)]
    decrypts: Option<String>,
}

/// The decryption fingerprint of a record in the tally phase (§12.11).
pub fn decryption_fingerprint(record: &Record, tally: &EncryptedTally) -> Digest32 {
    let last_mixes: Vec<(u32, &[protocol::shuffle::Row])> = mixing::ranked_contests(record)
        .into_iter()
        .filter_map(|c| Some((c, record.mixes(c).last()?.rows.as_slice())))
        .collect();
    protocol::mixnet::decryption_fingerprint(&tally.hash(), &last_mixes)
}

fn marker_path(share_path: &Path) -> std::path::PathBuf {
    let mut name = share_path.as_os_str().to_owned();
    name.push(".decrypted");
    name.into()
}

fn read_marker(path: &Path, election: &str) -> Result<Option<Marker>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let marker: Marker = serde_json::from_str(&text)
        .map_err(|e| Error::Tally(format!("{}: unreadable ({e})", path.display())))?;
    if !marker.election.eq_ignore_ascii_case(election) {
        return Err(Error::Tally(format!(
            "{} belongs to election {}; this key share is for one election only",
            path.display(),
            marker.election
        )));
    }
    Ok(Some(marker))
}

/// A trustee decrypts its part of the tally (§12.2–12.3, §12.6): only the tally it recomputed
/// itself from the counted ballots of a record that verifies, only if it equals the one the board
/// committed to, and never a second tally of the same election. It never decrypts anything else:
/// audited ballots are opened by their voters.
pub fn decrypt(
    board: &BoardClient,
    election: &str,
    identity: &SecretKey,
    share_path: &Path,
    passphrase: &[u8],
    timeout: Duration,
    progress: Progress<'_>,
) -> Result<Decrypted> {
    // Open the share before waiting: a wrong passphrase or file shows at once.
    let bytes = secret_file::read(share_path, &kinds::key_share(election), passphrase)?;
    let share = KeyShare::from_secret_bytes(&bytes)?;
    let marker_file = marker_path(share_path);
    let marker = read_marker(&marker_file, election)?;
    let record = board.wait_for_phase(election, Phase::Tally, timeout, progress)?;
    let index = trustee_index(&record.manifest, identity)?;
    if share.index() != index {
        return Err(Error::Tally(format!(
            "{} holds trustee {}'s share, not trustee {index}'s",
            share_path.display(),
            share.index()
        )));
    }
    let (_, outcome) = record
        .ceremony_outcome()?
        .ok_or_else(|| Error::Record("the ceremony is not on the record".into()))?;
    if !outcome.qualified.contains(&index) {
        return Err(Error::Tally(format!(
            "trustee {index} was disqualified in the key ceremony and holds no part of the election key"
        )));
    }
    if outcome.verification_share(index).as_ref() != Some(share.verification_share()) {
        return Err(Error::Tally(
            "this key share does not match its verification share on the record".into(),
        ));
    }
    let recomputed = recompute(&record)?;
    let posted = record
        .tally()
        .ok_or_else(|| Error::Tally("no encrypted tally on the record".into()))?;
    if !recomputed.matches(&posted) {
        return Err(Error::Record(
            "the posted tally is not the sum of the counted ballots; refusing to decrypt it".into(),
        ));
    }
    let tally_hash = hex::encode(posted.hash());
    let decrypts = hex::encode(decryption_fingerprint(&record, &posted));
    match &marker {
        Some(Marker {
            decrypts: Some(d), ..
        }) if *d != decrypts => {
            return Err(Error::Record(format!(
                "this trustee already decrypted under decryption fingerprint {d}, and the board now shows {decrypts} (another tally or another last mix): the board shows two histories; refusing, and report it"
            )))
        }
        Some(m) if m.tally != tally_hash => {
            return Err(Error::Record(format!(
                "this trustee already decrypted tally {} of this election, and the board now shows tally {tally_hash}: the board shows two histories; refusing, and report it",
                m.tally
            )))
        }
        Some(m)
            if hex::decode(&m.root).ok().and_then(|r| r.try_into().ok()).is_none_or(
                |root: protocol::hash::Digest32| !record.extends(m.size, &root),
            ) =>
        {
            return Err(Error::Record(format!(
                "the board's log no longer extends the checkpoint (size {}) this trustee decrypted under: the board shows two histories; refusing, and report it",
                m.size
            )))
        }
        _ => {}
    }
    // The marker is written before anything is decrypted, whichever part is left to do.
    if marker.is_none() {
        let m = Marker {
            election: election.to_ascii_lowercase(),
            tally: tally_hash,
            size: record.len(),
            root: hex::encode(record.checkpoint.root),
            decrypts: Some(decrypts.clone()),
        };
        let json = serde_json::to_vec_pretty(&m).expect("a marker serialises");
        secret_file::write_private(&marker_file, &json)?;
    }
    if record.partials().iter().any(|p| p.trustee == index) {
        return Ok(Decrypted {
            trustee: index,
            posted: None,
            tally: posted,
            mixes: mixing::decrypt_mixes(board, &record, identity, &share)?,
            decryption_fingerprint: decrypts,
        });
    }
    let fingerprint = record
        .fingerprint
        .ok_or_else(|| Error::Record("voting never opened".into()))?;
    let partial = protocol::tally::partial_decrypt(&fingerprint, &share, &recomputed, &mut OsRng);
    let entry = SignedEntry::sign(
        &record.manifest_hash,
        Entry::PartialDecryption(partial),
        identity,
    );
    let posted_at = board.post(&record.manifest, "partial-decryptions", &entry)?;
    Ok(Decrypted {
        trustee: index,
        posted: Some(posted_at),
        tally: recomputed.tally().clone(),
        mixes: mixing::decrypt_mixes(board, &record, identity, &share)?,
        decryption_fingerprint: decrypts,
    })
}

/// A partial decryption left out of the combination, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftOut {
    /// The trustee's index.
    pub trustee: u32,
    /// What was wrong.
    pub reason: String,
}

/// The outcome of combining (§12.4–12.5).
#[derive(Clone, Debug)]
pub struct Combined {
    /// Every option's total.
    pub results: Results,
    /// The trustees whose partial decryptions were combined (Lagrange over exactly these).
    pub used: Vec<u32>,
    /// Partial decryptions whose proof failed: named, and left out.
    pub left_out: Vec<LeftOut>,
    /// Trustees with a key share who posted nothing.
    pub absent: Vec<u32>,
    /// The tally fingerprint.
    pub tally_fingerprint: Digest32,
}

/// Combines partial decryptions (§12.4–12.5). Each is checked on its own against its trustee's
/// verification share (`verification_share(j)`, recomputed from the ceremony); one whose proof
/// fails is named and left out, and the rest are combined with the Lagrange coefficients of the
/// trustees present, as long as at least `t` remain. Recovery of each total is bounded by the
/// manifest (`total weight × option maximum`).
pub fn combine(
    record_manifest: &protocol::manifest::Manifest,
    fingerprint: &Digest32,
    total_weight: u64,
    tally: &EncryptedTally,
    partials: &[PartialDecryption],
    verification_share: impl Fn(u32) -> Option<protocol::group::Point>,
    qualified: &[u32],
) -> Result<Combined> {
    let mut good: Vec<&PartialDecryption> = Vec::new();
    let mut left_out = Vec::new();
    for p in partials {
        let Some(y) = verification_share(p.trustee) else {
            left_out.push(LeftOut {
                trustee: p.trustee,
                reason: "not a trustee with a key share".into(),
            });
            continue;
        };
        if good.iter().any(|g| g.trustee == p.trustee) {
            left_out.push(LeftOut {
                trustee: p.trustee,
                reason: "a second partial decryption from the same trustee".into(),
            });
            continue;
        }
        match p.verify(fingerprint, &y, tally, &mut OsRng) {
            Ok(()) => good.push(p),
            Err(e) => left_out.push(LeftOut {
                trustee: p.trustee,
                reason: e.to_string(),
            }),
        }
    }
    let threshold = record_manifest.threshold as usize;
    if good.len() < threshold {
        return Err(Error::Tally(format!(
            "{} valid partial decryption(s) of the {threshold} needed; {} more trustee(s) must run `tally decrypt`",
            good.len(),
            threshold - good.len()
        )));
    }
    let results = protocol::tally::combine(record_manifest, total_weight, tally, &good)?;
    let mut used: Vec<u32> = good.iter().map(|p| p.trustee).collect();
    used.sort_unstable();
    let absent = qualified
        .iter()
        .copied()
        .filter(|j| !partials.iter().any(|p| p.trustee == *j))
        .collect();
    Ok(Combined {
        results,
        used,
        left_out,
        absent,
        tally_fingerprint: tally.hash(),
    })
}

/// Combines the partial decryptions on a verified record.
pub fn combine_record(record: &Record) -> Result<Combined> {
    let tally = record
        .tally()
        .ok_or_else(|| Error::Tally("no encrypted tally on the record yet".into()))?;
    let list = record
        .credentials()
        .ok_or_else(|| Error::Record("no credential list".into()))?;
    let fingerprint = record
        .fingerprint
        .ok_or_else(|| Error::Record("voting never opened".into()))?;
    let (_, outcome) = record
        .ceremony_outcome()?
        .ok_or_else(|| Error::Record("the ceremony is not on the record".into()))?;
    combine(
        &record.manifest,
        &fingerprint,
        list.total_weight(),
        &tally,
        &record.partials(),
        |j| outcome.verification_share(j),
        &outcome.qualified,
    )
}

/// The administrator publishes combined results, which ends the election. The board and every
/// verifier recompute them (V15).
pub fn publish(
    board: &BoardClient,
    record: &Record,
    admin: &SecretKey,
    results: &Results,
) -> Result<Posted> {
    if record.manifest.administrator != admin.public_key() {
        return Err(Error::Tally(
            "only the manifest's administrator publishes the results; without --publish anyone can combine".into(),
        ));
    }
    let entry = SignedEntry::sign(
        &record.manifest_hash,
        Entry::Results(results.clone()),
        admin,
    );
    board.post(&record.manifest, "results", &entry)
}
