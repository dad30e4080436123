//! What each role does through the board: the administrator creates the election and moves its
//! phases, each trustee runs the key ceremony, the credential authority issues credentials.
//! Every step reads the verified record first and refuses to act on anything that fails it.
use std::path::Path;
use std::time::Duration;

use protocol::context::ElectionContext;
use protocol::credentials::{self, CredentialEntry, CredentialList};
use protocol::dkg::{self, CeremonyOutcome, CeremonyParams, KeyShare, Round1Set};
use protocol::manifest::Manifest;
use protocol::record::{Entry, Phase, SignedEntry};
use protocol::signature::SecretKey;
use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::board::{BoardClient, Posted, Record};
use crate::error::{Error, Result};
use crate::secret_file;
pub use cli_support::keys::{keygen, kinds, load_key, trustee_index};

/// The administrator posts the manifest: the election's leaf 0.
pub fn create_election(
    board: &BoardClient,
    manifest: &Manifest,
    admin: &SecretKey,
) -> Result<Posted> {
    if manifest.administrator != admin.public_key() {
        return Err(Error::Ceremony(
            "this administrator key is not the manifest's administrator".into(),
        ));
    }
    let entry = SignedEntry::sign(&manifest.hash(), Entry::Manifest(manifest.clone()), admin);
    board.create(manifest, &entry)
}

/// The ceremony's outcome recomputed from the record (V5–V7), if every round is in.
pub fn ceremony_outcome(record: &Record) -> Result<Option<(Round1Set, CeremonyOutcome)>> {
    record.ceremony_outcome()
}

/// The administrator moves the election one phase forward. Opening the vote computes the
/// fingerprint from the verified record (ceremony outcome and credential list).
pub fn advance(
    board: &BoardClient,
    election: &str,
    admin: &SecretKey,
    to: Phase,
    complaint_window: Duration,
) -> Result<Posted> {
    // What was just posted reaches reads with the next checkpoint: wait a little for it.
    let ready = board.wait_for(election, "the record", Duration::from_secs(15), |r| {
        let complete = to != Phase::VotingOpen
            || (ceremony_outcome(r)?.is_some() && r.credentials().is_some());
        Ok(complete.then_some(()))
    });
    match ready {
        Ok(()) | Err(Error::Timeout(_)) => {}
        Err(e) => return Err(e),
    }
    let record = board.current(election)?;
    if record.manifest.administrator != admin.public_key() {
        return Err(Error::Ceremony(
            "this administrator key is not the manifest's administrator".into(),
        ));
    }
    if to == Phase::VotingOpen {
        // Complaints follow the last round 2 at once; leave the trustees `complaint_window` after
        // it (board time) before freezing the ceremony.
        let last_round2 = record
            .entries
            .iter()
            .map(|(_, l)| l)
            .filter(|l| matches!(l.signed.entry, Entry::DkgRound2(_)))
            .map(|l| l.time)
            .max()
            .unwrap_or(0);
        let open_from = last_round2 + complaint_window.as_secs();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if now < open_from {
            std::thread::sleep(Duration::from_secs(open_from - now));
        }
    }
    let record = if to == Phase::VotingOpen {
        board.current(election)?
    } else {
        record
    };
    let fingerprint = if to == Phase::VotingOpen {
        let (_, outcome) = ceremony_outcome(&record)?.ok_or_else(|| {
            Error::Ceremony(
                "the key ceremony is not complete: every trustee must post rounds 1 and 2".into(),
            )
        })?;
        let list = record.credentials().ok_or_else(|| {
            Error::Ceremony("the credential authority has not posted the credential list".into())
        })?;
        Some(ElectionContext::new(record.manifest.clone(), outcome, list)?.fingerprint)
    } else {
        None
    };
    let entry = SignedEntry::sign(
        &record.manifest_hash,
        Entry::Phase {
            phase: to,
            fingerprint,
        },
        admin,
    );
    board.post(&record.manifest, "phase", &entry)
}

/// What a trustee's ceremony produced.
pub struct CeremonyResult {
    /// The trustee's index.
    pub index: u32,
    /// Complaints this trustee filed (against these dealers).
    pub complained_about: Vec<u32>,
    /// The joint election key, hex.
    pub joint_key: String,
}

/// A trustee's part of the key ceremony (spec §8.6), run against the board: round 1, wait for
/// all round 1s and verify them, deal round 2, wait for all round 2s, check the shares addressed
/// to this trustee, complain about bad ones and wait until the complaints are on the record. The
/// round-2 secret is sealed at `pending` (bound to this election, with the checkpointed log it
/// was dealt against) so that [`finish_ceremony`] can complete once the ceremony is frozen.
pub fn run_ceremony(
    board: &BoardClient,
    election: &str,
    identity: &SecretKey,
    pending: &Path,
    passphrase: &[u8],
    timeout: Duration,
) -> Result<(u32, Vec<u32>)> {
    board.wait_for(election, "the key-ceremony phase", timeout, |r| {
        Ok((r.phase >= Phase::KeyCeremony).then_some(()))
    })?;
    let record = board.current(election)?;
    let index = trustee_index(&record.manifest, identity)?;
    if record.phase != Phase::KeyCeremony {
        return Err(Error::Ceremony("the key ceremony is over".into()));
    }
    if record.round1().iter().any(|p| p.dealer == index) {
        return Err(Error::Ceremony(format!(
            "trustee {index} already posted round 1 and its secrets are gone; the administrator must restart the election"
        )));
    }
    // Fail before posting anything rather than after round 1.
    if pending.exists() {
        return Err(Error::Ceremony(format!(
            "{} exists (from an earlier ceremony?); move it away or choose another --share",
            pending.display()
        )));
    }
    let params = CeremonyParams::from_manifest(&record.manifest);
    let mh = record.manifest_hash;
    let (secret1, package) = dkg::round1(&params, index, &mut OsRng)?;
    board.post(
        &record.manifest,
        "dkg-round1",
        &SignedEntry::sign(&mh, Entry::DkgRound1(package), identity),
    )?;
    let (set, seen) = board.wait_for(election, "every trustee's round 1", timeout, |r| {
        let round1 = r.round1();
        if round1.len() < params.n as usize {
            return Ok(None);
        }
        let size = r.len();
        Ok(Some((
            Round1Set::verify(&params, round1)?,
            (size, r.root_at(size)),
        )))
    })?;
    let (secret2, package) = secret1.deal(&params, &set);
    let secret_bytes = secret2.to_secret_bytes();
    let mut sealed = Zeroizing::new(Vec::with_capacity(secret_bytes.len() + 40));
    sealed.extend_from_slice(&secret_bytes);
    sealed.extend_from_slice(&seen.0.to_le_bytes());
    sealed.extend_from_slice(&seen.1);
    secret_file::write(pending, &kinds::round2(election), &sealed, passphrase)?;
    board.post(
        &record.manifest,
        "dkg-round2",
        &SignedEntry::sign(&mh, Entry::DkgRound2(package), identity),
    )?;
    let round2 = board.wait_for(election, "every trustee's round 2", timeout, |r| {
        same_history(r, seen)?;
        let round2 = r.round2();
        Ok((round2.len() >= params.n as usize).then_some(round2))
    })?;
    let mut accused = Vec::new();
    for complaint in secret2.check_shares(&params, &set, &round2, &mut OsRng) {
        accused.push(complaint.accused);
        board.post(
            &record.manifest,
            "dkg-complaints",
            &SignedEntry::sign(&mh, Entry::DkgComplaint(complaint), identity),
        )?;
    }
    // A receipt is not enough: wait until the complaints are under a checkpoint.
    board.wait_for(
        election,
        "this trustee's complaints on the record",
        timeout,
        |r| {
            same_history(r, seen)?;
            let on_record = r
                .complaints()
                .iter()
                .filter(|c| c.complainer == index)
                .count();
            Ok((on_record >= accused.len()).then_some(()))
        },
    )?;
    Ok((index, accused))
}

/// The board must keep showing the log a trustee dealt against (no split view).
fn same_history(r: &Record, (size, root): (u64, protocol::hash::Digest32)) -> Result<()> {
    if r.extends(size, &root) {
        Ok(())
    } else {
        Err(Error::Record(
            "the board now shows a history that does not extend the one this trustee dealt against"
                .into(),
        ))
    }
}

/// Completes a trustee's ceremony once the administrator has opened the vote (which freezes
/// the ceremony record): recomputes the outcome, derives the key share, checks it against the
/// public verification share, and seals it at `share_path`. A disqualified trustee's round-2
/// secret is deleted: it holds no share.
pub fn finish_ceremony(
    board: &BoardClient,
    election: &str,
    identity: &SecretKey,
    pending: &Path,
    share_path: &Path,
    passphrase: &[u8],
    timeout: Duration,
) -> Result<CeremonyResult> {
    board.wait_for(election, "the opening of the vote", timeout, |r| {
        Ok((r.phase >= Phase::VotingOpen).then_some(()))
    })?;
    let record = board.current(election)?;
    let index = trustee_index(&record.manifest, identity)?;
    let params = CeremonyParams::from_manifest(&record.manifest);
    let (set, outcome) = ceremony_outcome(&record)?
        .ok_or_else(|| Error::Ceremony("the ceremony record is incomplete".into()))?;
    let sealed = secret_file::read(pending, &kinds::round2(election), passphrase)?;
    if sealed.len() < 40 {
        return Err(Error::SecretFile(
            "the round 2 secret file is truncated".into(),
        ));
    }
    let (secret_bytes, seen) = sealed.split_at(sealed.len() - 40);
    let size = u64::from_le_bytes(seen[..8].try_into().expect("8 bytes"));
    let root: protocol::hash::Digest32 = seen[8..].try_into().expect("32 bytes");
    same_history(&record, (size, root))?;
    let secret2 = dkg::Round2Secret::from_secret_bytes(secret_bytes)?;
    if secret2.index() != index {
        return Err(Error::Ceremony(format!(
            "{} holds trustee {}'s secrets, not trustee {index}'s",
            pending.display(),
            secret2.index()
        )));
    }
    if !outcome.qualified.contains(&index) {
        drop(secret2);
        std::fs::remove_file(pending).map_err(|e| Error::io(pending, e))?;
        return Err(Error::Ceremony(format!(
            "trustee {index} was disqualified by the ceremony and holds no share; its round 2 secret was deleted"
        )));
    }
    let share: KeyShare = secret2.finish(&params, &set, &record.round2(), &outcome)?;
    secret_file::write(
        share_path,
        &kinds::key_share(election),
        &share.to_secret_bytes(),
        passphrase,
    )?;
    std::fs::remove_file(pending).map_err(|e| Error::io(pending, e))?;
    let complained_about = record
        .complaints()
        .iter()
        .filter(|c| c.complainer == index)
        .map(|c| c.accused)
        .collect();
    Ok(CeremonyResult {
        index,
        complained_about,
        joint_key: hex::encode(outcome.joint_key.as_bytes()),
    })
}

/// One voter of the roll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voter {
    /// The voter's identifier in the roll (a membership number, a registration id...).
    pub id: String,
    /// The voter's weight (1 unless the roll says otherwise).
    pub weight: u64,
}

/// Reads a voter roll: CSV with a header `id[,weight]`, one voter per line, ids unique, weights
/// 1 to 2^32.
pub fn read_roll(text: &str) -> Result<Vec<Voter>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::Roll {
            line: 1,
            reason: e.to_string(),
        })?
        .clone();
    let id_col = headers.iter().position(|h| h == "id").ok_or(Error::Roll {
        line: 1,
        reason: "the header must name an `id` column (and optionally `weight`)".into(),
    })?;
    let weight_col = headers.iter().position(|h| h == "weight");
    let mut voters: Vec<Voter> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, row) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let row = row.map_err(|e| Error::Roll {
            line,
            reason: e.to_string(),
        })?;
        let id = row.get(id_col).unwrap_or_default().to_owned();
        if id.is_empty() {
            return Err(Error::Roll {
                line,
                reason: "empty voter id".into(),
            });
        }
        // Ids go into a mail-merge CSV that spreadsheets open: no control characters, and no
        // leading character a spreadsheet reads as a formula.
        if id.chars().any(char::is_control) || id.starts_with(['=', '+', '-', '@']) {
            return Err(Error::Roll {
                line,
                reason: format!(
                    "voter id {id:?} has a control character or starts with = + - @; change it (e.g. prefix a letter)"
                ),
            });
        }
        if !seen.insert(id.clone()) {
            return Err(Error::Roll {
                line,
                reason: format!("voter {id:?} appears twice"),
            });
        }
        let weight = match weight_col
            .and_then(|c| row.get(c))
            .filter(|w| !w.is_empty())
        {
            None => 1,
            Some(w) => w
                .parse::<u64>()
                .ok()
                .filter(|w| (1..=credentials::MAX_WEIGHT).contains(w))
                .ok_or_else(|| Error::Roll {
                    line,
                    reason: format!("weight {w:?} must be a whole number from 1 to 2^32"),
                })?,
        };
        voters.push(Voter { id, weight });
    }
    if voters.is_empty() {
        return Err(Error::Roll {
            line: 1,
            reason: "the roll has no voters".into(),
        });
    }
    Ok(voters)
}

/// A voter's credential in the form printed for them: 64 hex digits in groups of 8.
pub fn credential_text(credential: &SecretKey) -> Zeroizing<String> {
    let hex = Zeroizing::new(hex::encode(&credential.to_seed()[..]));
    Zeroizing::new(
        hex.as_bytes()
            .chunks(8)
            .map(|c| std::str::from_utf8(c).expect("hex"))
            .collect::<Vec<_>>()
            .join("-"),
    )
}

/// What the credential authority hands out, written by [`issue_credentials`].
pub struct Issued {
    /// Voters on the list.
    pub voters: usize,
    /// The list's commitment (hex), which the fingerprint binds.
    pub commitment: String,
}

/// The credential authority's work (spec §9): one credential per voter, the public list posted
/// (signed: the board and every observer recompute its commitment), and the private credentials
/// written to `out`: `credentials.csv` for a mail merge and one printable letter per voter
/// (all mode 0600). The private credentials are not kept anywhere else.
pub fn issue_credentials(
    board: &BoardClient,
    election: &str,
    authority: &SecretKey,
    roll: &[Voter],
    out: &Path,
    voting_url: &str,
) -> Result<Issued> {
    let record = board.current(election)?;
    if record.manifest.credential_authority != authority.public_key() {
        return Err(Error::Ceremony(
            "this key is not the manifest's credential authority".into(),
        ));
    }
    if record.credentials().is_some() {
        return Err(Error::Ceremony(
            "the credential list is already posted".into(),
        ));
    }
    if record.phase > Phase::KeyCeremony {
        return Err(Error::Ceremony(format!(
            "the election is in the {:?} phase: the credential list must be posted before voting opens",
            record.phase
        )));
    }
    let issued: Vec<(&Voter, SecretKey)> = roll
        .iter()
        .map(|v| (v, credentials::generate(&mut OsRng)))
        .collect();
    let list = CredentialList::new(
        issued
            .iter()
            .map(|(v, c)| CredentialEntry {
                key: c.public_key(),
                weight: v.weight,
            })
            .collect(),
    )?;
    let commitment = hex::encode(list.commitment());
    // A list the board would refuse (V8) must not leave credentials behind.
    protocol::context::check_total_weight(&record.manifest, &list)?;
    // The files first: a posted list whose credentials were lost would be an election nobody can vote in.
    let capacity = 64 + roll.iter().map(|v| v.id.len() * 2 + 112).sum::<usize>();
    let mut csv_out =
        csv::Writer::from_writer(SecretBuffer(Zeroizing::new(Vec::with_capacity(capacity))));
    csv_out
        .write_record(["id", "weight", "credential"])
        .expect("writing to memory");
    let letters = out.join("letters");
    for (n, (v, c)) in issued.iter().enumerate() {
        let cred = credential_text(c);
        csv_out
            .write_record([v.id.as_str(), &v.weight.to_string(), cred.as_str()])
            .expect("writing to memory");
        let letter = Zeroizing::new(format!(
            "{title}\n\nYour voting credential for this election:\n\n    {cred}\n\nVote at {voting_url}\nElection {election}\n\nKeep it private: anyone holding it can vote for you. You can vote again later;\nonly your last ballot counts.\n",
            title = record.manifest.title,
            cred = &*cred,
        ));
        let name = format!("{:06}-{}.txt", n + 1, file_name(&v.id));
        secret_file::write_private(&letters.join(name), letter.as_bytes())?;
    }
    let csv_bytes = csv_out
        .into_inner()
        .map_err(|_| Error::Ceremony("writing the credentials CSV".into()))?;
    secret_file::write_private(&out.join("credentials.csv"), &csv_bytes.0)?;
    let entry = SignedEntry::sign(
        &record.manifest_hash,
        Entry::CredentialList(list),
        authority,
    );
    board.post(&record.manifest, "credentials", &entry)?;
    Ok(Issued {
        voters: issued.len(),
        commitment,
    })
}

/// Private bytes built in memory: sized up front so they are not copied by growth, and zeroized
/// when dropped.
struct SecretBuffer(Zeroizing<Vec<u8>>);

impl std::io::Write for SecretBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roll_is_checked_line_by_line() {
        let voters = read_roll("id,weight\nalice,1\n\"smith, j\",3\nbob,\n").unwrap();
        assert_eq!(
            voters,
            vec![
                Voter {
                    id: "alice".into(),
                    weight: 1
                },
                Voter {
                    id: "smith, j".into(),
                    weight: 3
                },
                Voter {
                    id: "bob".into(),
                    weight: 1
                },
            ]
        );
        let line_of = |text: &str| match read_roll(text) {
            Err(Error::Roll { line, .. }) => line,
            other => panic!("expected a roll error, got {other:?}"),
        };
        assert_eq!(line_of("id\na\na\n"), 3, "duplicate");
        assert_eq!(line_of("id,weight\na,0\n"), 2, "zero weight");
        assert_eq!(line_of("id,weight\na,4294967297\n"), 2, "weight over 2^32");
        assert_eq!(line_of("id\n=HYPERLINK(\"x\")\n"), 2, "a formula");
        assert_eq!(line_of("id\n\"a\rb\"\n"), 2, "a control character");
        assert_eq!(line_of("name\na\n"), 1, "no id column");
        assert_eq!(line_of("id\n"), 1, "no voters");
    }
}
