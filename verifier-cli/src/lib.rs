//! Thistle's independent verifier (spec §15): reads a whole record from a board or a file and
//! checks every V-step in order with the streaming reader of `cli-support` (V1 over every leaf and
//! the checkpoint, V2–V15 leaf by leaf, V13 by recomputing the tally), then reports one line per
//! step. Everything the spec says to recompute (generators, the fingerprint, the election key and
//! verification shares, the encrypted tally, the results) is recomputed, never read.

pub mod blt;
pub use cli_support::count;

use cli_support::record::Record;
use cli_support::Error;
use protocol::merkle::Checkpoint;
use protocol::record::Phase;
use protocol::verify::Step;
use serde::Serialize;

/// Every step, in the order the spec lists them.
pub const STEPS: [Step; 19] = [
    Step::V1Log,
    Step::V2Leaves,
    Step::V3Manifest,
    Step::V4WritersAndPhases,
    Step::V5Round1,
    Step::V6Complaints,
    Step::V7ElectionKey,
    Step::V8Credentials,
    Step::V9Fingerprint,
    Step::V10Ballots,
    Step::V11Audits,
    Step::V12Counted,
    Step::V13Tally,
    Step::V14PartialDecryptions,
    Step::V15Results,
    Step::V16WitnessedTime,
    Step::V17Mixes,
    Step::V18MixDecryptions,
    Step::V19RankedCounts,
];

/// How a step came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Checked and holds.
    Pass,
    /// Checked and fails.
    Fail,
    /// Nothing to check yet: the election has not reached this step.
    NotYet,
    /// Not finished: an earlier leaf failed.
    Incomplete,
}

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct StepLine {
    /// `V1` … `V15`.
    pub id: String,
    /// The step's name.
    pub name: &'static str,
    /// How it came out.
    pub status: Status,
    /// The entry at fault, for a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// What was checked, or why it failed.
    pub detail: String,
}

/// One contest's published totals.
#[derive(Clone, Debug, Serialize)]
pub struct ContestResult {
    /// The contest's title.
    pub title: String,
    /// `(option title, total)`.
    pub totals: Vec<(String, u64)>,
    /// For a budget contest, the titles of the projects its totals fund (spec §12.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funded: Option<Vec<String>>,
    /// For a ranked contest, its recounted count (spec §12.8, §12.11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranked: Option<RankedResult>,
}

/// A ranked contest's verified count.
#[derive(Clone, Debug, Serialize)]
pub struct RankedResult {
    /// Papers counted (one per counted ballot).
    pub papers: usize,
    /// The trustees who mixed, in order.
    pub mixed_by: Vec<u32>,
    /// The elected candidates, in order of election.
    pub elected: Vec<String>,
    /// The count sheet, as JSON (stages, totals, transfers, lots).
    pub sheet: serde_json::Value,
    /// The count sheet as text.
    #[serde(skip)]
    pub sheet_text: String,
}

/// The verifier's verdict on a record.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `valid`, `invalid`, `unchecked` (the record could not be read), or `bad_input` (an argument
    /// file is not what it should be).
    pub verdict: &'static str,
    /// The election id (hex `ManifestHash`), once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub election: Option<String>,
    /// The election's title, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The checkpoint the record was checked under: size and root (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<(u64, String)>,
    /// The phase the record reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The administrator's and the board's keys (hex), to compare out of band with the ones the
    /// election's organisers published (V3): a record is only the election's if they match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<(String, String)>,
    /// One line per V-step.
    pub steps: Vec<StepLine>,
    /// The published results, verified (V15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<ContestResult>>,
    /// For "could not check": why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the witnesses asked directly (`--witness`) showed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
}

impl Report {
    /// The process exit code: 0 valid, 1 invalid, 2 bad input, 3 could not check.
    pub fn exit_code(&self) -> u8 {
        match self.verdict {
            "valid" => 0,
            "invalid" => 1,
            "bad_input" => 2,
            _ => 3,
        }
    }

    /// The human report: one line per step, then the results.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(title) = &self.title {
            out.push_str(&format!("Election: {title}\n"));
        }
        if let Some(id) = &self.election {
            out.push_str(&format!("Election id: {id}\n"));
        }
        if let Some((size, root)) = &self.checkpoint {
            out.push_str(&format!("Checkpoint: {size} entries, root {root}\n"));
        }
        if let Some(phase) = &self.phase {
            out.push_str(&format!("Phase: {phase}\n"));
        }
        if let Some((admin, board)) = &self.keys {
            out.push_str(&format!(
                "Administrator key: {admin}\nBoard key: {board}\n(compare the election id and these keys with the ones the organisers published)\n"
            ));
        }
        for s in &self.steps {
            let status = match s.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::NotYet => "not yet",
                Status::Incomplete => "incomplete",
            };
            let at = s.index.map_or(String::new(), |i| format!(" at entry {i}"));
            out.push_str(&format!(
                "{:<4} {:<26} {status:<10}{at} {}\n",
                s.id, s.name, s.detail
            ));
        }
        if let Some(results) = &self.results {
            out.push_str("Results (verified):\n");
            for c in results {
                out.push_str(&format!("  {}\n", c.title));
                if let Some(r) = &c.ranked {
                    out.push_str(&format!(
                        "    ranked: {} papers, mixed by trustees {:?}, decrypted and recounted (V17-V19)\n",
                        r.papers, r.mixed_by
                    ));
                    for line in r.sheet_text.lines() {
                        out.push_str(&format!("      {line}\n"));
                    }
                } else if c.totals.is_empty() {
                    // A ranked contest: never summed (spec §7.1).
                    out.push_str("    ranked: not summed; counted from the rankings the mixnet decrypts (§12.8-§12.11)\n");
                }
                for (option, total) in &c.totals {
                    out.push_str(&format!("    {option:<40} {total:>10}\n"));
                }
                if let Some(funded) = &c.funded {
                    let list = if funded.is_empty() {
                        "none".to_owned()
                    } else {
                        funded.join(", ")
                    };
                    out.push_str(&format!("    Funded within the budget (§12.7): {list}\n"));
                }
            }
        }
        for w in &self.witnesses {
            out.push_str(&format!("Witness asked directly: {w}\n"));
        }
        if let Some(e) = &self.error {
            out.push_str(&format!("Could not check: {e}\n"));
        }
        out.push_str(&format!("Verdict: {}\n", self.verdict.to_uppercase()));
        out
    }
}

fn id(step: Step) -> String {
    step.name().split(' ').next().unwrap_or_default().to_owned()
}

fn line(step: Step, status: Status, index: Option<u64>, detail: String) -> StepLine {
    let name = step.name();
    StepLine {
        id: id(step),
        name: name.split_once(' ').map_or(name, |(_, n)| n),
        status,
        index,
        detail,
    }
}

/// The first phase in which a step has something to check.
fn reached_from(step: Step) -> Phase {
    match step {
        Step::V1Log | Step::V2Leaves | Step::V3Manifest | Step::V4WritersAndPhases => Phase::Setup,
        Step::V5Round1 => Phase::KeyCeremony,
        // The ceremony's outcome, the list's commitment and the fingerprint are decided when
        // voting opens.
        Step::V6Complaints
        | Step::V7ElectionKey
        | Step::V8Credentials
        | Step::V9Fingerprint
        | Step::V10Ballots
        | Step::V11Audits
        | Step::V12Counted => Phase::VotingOpen,
        Step::V13Tally => Phase::VotingClosed,
        Step::V14PartialDecryptions => Phase::Tally,
        Step::V15Results => Phase::ResultsPublished,
        Step::V16WitnessedTime => Phase::VotingClosed,
        Step::V17Mixes => Phase::VotingClosed,
        Step::V18MixDecryptions | Step::V19RankedCounts => Phase::Tally,
    }
}

fn detail_of(step: Step, r: &Record, since: Option<&Checkpoint>) -> String {
    match step {
        Step::V1Log => {
            let mut d = format!(
                "{} entries under a checkpoint signed by the manifest's board key; Merkle root recomputed",
                r.len()
            );
            if let Some(old) = since {
                d.push_str(&format!(
                    "; extends the kept checkpoint of {} entries (the board only appended)",
                    old.size
                ));
            }
            let m = &r.manifest;
            if m.witnesses.is_empty() {
                d.push_str("; the manifest names NO WITNESSES: only the board's own signature says that everyone sees this record");
            } else {
                d.push_str(&format!(
                    "; witnessed: cosigned by {} ({} of {} witnesses, quorum {}); a witnessed timeline of {} checkpoint(s), each this log at its size",
                    r.witnessed_by.join(", "),
                    r.witnessed_by.len(),
                    m.witnesses.len(),
                    m.witness_quorum,
                    r.timeline.len()
                ));
            }
            d
        }
        Step::V2Leaves => format!("{} entries canonical, times in order", r.len()),
        Step::V3Manifest => format!("manifest \"{}\", hash recomputed", r.manifest.title),
        Step::V4WritersAndPhases => "every writer's signature and phase".into(),
        Step::V5Round1 => format!("{} trustees' round 1 with proofs", r.round1().len()),
        Step::V6Complaints => format!("{} complaint(s) decided", r.complaints().len()),
        Step::V7ElectionKey => "election key and verification shares recomputed".into(),
        Step::V8Credentials => r.credentials().map_or_else(
            || "no credential list".into(),
            |l| {
                format!(
                    "{} credentials, total weight {}, commitment recomputed",
                    l.len(),
                    l.total_weight()
                )
            },
        ),
        Step::V9Fingerprint => r.fingerprint.map_or_else(
            || "voting not opened".into(),
            |f| format!("fingerprint {} recomputed", hex::encode(f)),
        ),
        Step::V10Ballots => format!(
            "{} ballots: signatures and every proof, no duplicates",
            r.ballots_cast
        ),
        Step::V11Audits => format!(
            "{} audited ballot(s) opened with their revealed randomness",
            r.ballots_audited
        ),
        Step::V12Counted => format!(
            "{} counted (the last ballot of each credential)",
            r.counted.len()
        ),
        Step::V13Tally => r.tally().map_or_else(
            || "no tally posted".into(),
            |t| {
                format!(
                    "recomputed from the counted ballots; tally fingerprint {}",
                    hex::encode(t.hash())
                )
            },
        ),
        Step::V14PartialDecryptions => {
            let mut who: Vec<u32> = r.partials().iter().map(|p| p.trustee).collect();
            who.sort_unstable();
            format!("proofs verified for trustees {who:?}")
        }
        Step::V15Results => "results equal the Lagrange combination, every total in bound".into(),
        Step::V16WitnessedTime => match r.last_ballot_witnessed_at {
            Some(at) => format!(
                "every ballot lies under a checkpoint the witness quorum cosigned by {at} (closing time {} plus {} s allowed); none under one witnessed before the opening",
                r.manifest.closes_at,
                protocol::witness::CLOSING_SLACK
            ),
            None => "no witnesses (or no ballots): the ballots' times rest on the board's word alone".into(),
        },
        Step::V17Mixes => ranked_detail(r, |c| {
            let mixers: Vec<u32> = r.mixes(c).iter().map(|m| m.mixer).collect();
            let n = r.mixes(c).first().map_or(0, |m| m.rows.len());
            format!("{n} ballots mixed by trustees {mixers:?}, every shuffle proof verified against the mix before")
        }),
        Step::V18MixDecryptions => ranked_detail(r, |c| {
            let mut who: Vec<u32> = r.mix_decryptions(c).iter().map(|d| d.trustee).collect();
            who.sort_unstable();
            format!("last mix decrypted by trustees {who:?}, proofs verified")
        }),
        Step::V19RankedCounts => ranked_detail(r, |c| {
            match r.ranked_counts().iter().find(|k| k.contest == c) {
                Some(k) => format!(
                    "{} papers recounted; the count sheet equals the recount at all {} stages",
                    k.rows.len(),
                    k.sheet.stages.len()
                ),
                None => "not counted yet".into(),
            }
        }),
    }
}

/// A ranked contest's count on a verified record (V19 recounted it).
fn ranked_result(
    record: &Record,
    index: u32,
    contest: &protocol::manifest::Contest,
) -> Option<RankedResult> {
    let count = record
        .ranked_counts()
        .into_iter()
        .find(|k| k.contest == index)?;
    let name = |c: u16| contest.options[usize::from(c)].title.clone();
    Some(RankedResult {
        papers: count.rows.len(),
        mixed_by: record.mixes(index).iter().map(|m| m.mixer).collect(),
        elected: count.sheet.elected.iter().map(|&e| name(e)).collect(),
        sheet: count::contest_sheet_json(contest, &count.sheet),
        sheet_text: count::contest_sheet_text(contest, &count.sheet),
    })
}

/// One clause per ranked contest, or a plain "no ranked contest".
fn ranked_detail(r: &Record, clause: impl Fn(u32) -> String) -> String {
    let parts: Vec<String> = (0u32..)
        .zip(&r.manifest.contests)
        .filter(|(_, c)| c.is_ranked())
        .map(|(i, c)| format!("{}: {}", c.id, clause(i)))
        .collect();
    if parts.is_empty() {
        "no ranked contest".into()
    } else {
        parts.join("; ")
    }
}

/// The report on a verified record.
pub fn report_valid(record: &Record, since: Option<&Checkpoint>) -> Report {
    let steps = STEPS
        .iter()
        .map(|&step| {
            let ranked = record.manifest.contests.iter().any(|c| c.is_ranked());
            let contests = 0..record.manifest.contests.len() as u32;
            let nothing_yet = match step {
                Step::V13Tally => record.tally().is_none(),
                Step::V14PartialDecryptions => record.partials().is_empty(),
                Step::V17Mixes => ranked && contests.clone().all(|c| record.mixes(c).is_empty()),
                Step::V18MixDecryptions => {
                    ranked
                        && contests
                            .clone()
                            .all(|c| record.mix_decryptions(c).is_empty())
                }
                Step::V19RankedCounts => ranked && record.ranked_counts().is_empty(),
                _ => false,
            };
            if record.phase < reached_from(step) || nothing_yet {
                line(
                    step,
                    Status::NotYet,
                    None,
                    format!("the election is in the {:?} phase", record.phase),
                )
            } else {
                line(step, Status::Pass, None, detail_of(step, record, since))
            }
        })
        .collect();
    let results = record.results().map(|res| {
        record
            .manifest
            .contests
            .iter()
            .zip(&res.totals)
            .enumerate()
            .map(|(index, (c, totals))| ContestResult {
                title: c.title.clone(),
                totals: c
                    .options
                    .iter()
                    .zip(totals)
                    .map(|(o, t)| (o.title.clone(), *t))
                    .collect(),
                funded: protocol::tally::funded_projects(&c.kind, totals).map(|funded| {
                    c.options
                        .iter()
                        .zip(funded)
                        .filter(|(_, f)| *f)
                        .map(|(o, _)| o.title.clone())
                        .collect()
                }),
                ranked: ranked_result(record, index as u32, c),
            })
            .collect()
    });
    Report {
        verdict: "valid",
        election: Some(hex::encode(record.manifest_hash)),
        title: Some(record.manifest.title.clone()),
        checkpoint: Some((record.checkpoint.size, hex::encode(record.checkpoint.root))),
        phase: Some(format!("{:?}", record.phase)),
        keys: Some((
            hex::encode(record.manifest.administrator.as_bytes()),
            hex::encode(record.manifest.board.key.as_bytes()),
        )),
        steps,
        results,
        error: None,
        witnesses: Vec::new(),
    }
}

/// The report when reading failed: a failed V-step (invalid), an unusable argument file (bad
/// input), or the record could not be obtained or read (unchecked).
pub fn report_error(error: &Error, election: Option<String>) -> Report {
    let (verdict, steps, message) = match error {
        Error::Invalid(f) => (
            "invalid",
            STEPS
                .iter()
                .map(|&step| {
                    if step == f.step {
                        line(step, Status::Fail, Some(f.index), f.error.to_string())
                    } else {
                        line(
                            step,
                            Status::Incomplete,
                            None,
                            format!("checked up to entry {}", f.index),
                        )
                    }
                })
                .collect(),
            None,
        ),
        Error::Input(reason) => ("bad_input", Vec::new(), Some(reason.clone())),
        other => ("unchecked", Vec::new(), Some(other.to_string())),
    };
    Report {
        verdict,
        election,
        title: None,
        checkpoint: None,
        phase: None,
        keys: None,
        steps,
        results: None,
        error: message,
        witnesses: Vec::new(),
    }
}

/// V1 against a checkpoint the observer kept: it verifies under the manifest's board key, and the
/// record's first `size` leaves have its root, so the board only appended since.
pub fn check_since(record: &Record, note: &str) -> Result<Checkpoint, Error> {
    let old = Checkpoint::verify_for(note, &record.manifest, &record.manifest_hash)
    .map_err(|e| {
        Error::Input(format!(
            "the kept checkpoint is not one of this election's board ({e}): it must be a note this board ({}) signed",
            record.manifest.board.origin
        ))
    })?;
    if !record.extends(old.size, &old.root) {
        return Err(Error::Invalid(protocol::verify::Failure {
            step: Step::V1Log,
            index: old.size.min(record.len()),
            error: protocol::Error::Log(
                "the record does not extend the kept checkpoint: the board rewrote its history (unless a bare note kept by hand is another election's on this board: checkpoints do not name their election)",
            ),
        }));
    }
    Ok(old)
}

/// `verify-ballot`'s exit code when the ballot is not on a valid record (1 stays "the record is
/// invalid").
pub const BALLOT_MISSING: u8 = 4;

/// What a voter asks about: a tracking code (the short form, or all 64 hex digits), or a receipt.
pub enum BallotQuery {
    /// A tracking code as shown to the voter.
    Code(String),
    /// A receipt the board gave the voter (spec §13.5), as JSON.
    Receipt(serde_json::Value),
}

/// What the record says about a voter's ballot.
#[derive(Clone, Debug, Serialize)]
pub struct BallotStatus {
    /// `counted`, `superseded`, `audited`, `cast` (voting still open: counted unless the voter
    /// votes again), `pending` (a receipt for an entry after this checkpoint), or `missing`.
    pub status: &'static str,
    /// The entry holding the ballot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// The full tracking code (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_code: Option<String>,
    /// For a superseded ballot: the entry of the same credential's counted ballot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<u64>,
    /// The checkpoint (size, root hex) the ballot is included under: compare it with what
    /// others see.
    pub checkpoint: (u64, String),
    /// In words.
    pub explanation: String,
}

impl BallotStatus {
    /// 0 when the ballot is on the record as it should be; [`BALLOT_MISSING`] when it is not or
    /// the board broke its receipt.
    pub fn exit_code(&self) -> u8 {
        if self.status == "missing" {
            BALLOT_MISSING
        } else {
            0
        }
    }
}

fn normalise_code(code: &str) -> String {
    code.trim()
        .to_ascii_uppercase()
        .replace(['-', ' '], "")
        .replace(['O'], "0")
        .replace(['I', 'L'], "1")
}

/// Finds a voter's ballot on a verified record (V10–V12 already hold for it) and says whether it
/// counts. A receipt is checked against the manifest's board key first; a valid receipt whose
/// entry is not on the record proves the board dropped or changed the ballot.
pub fn find_ballot(record: &Record, query: &BallotQuery) -> Result<BallotStatus, Error> {
    let checkpoint = (record.checkpoint.size, hex::encode(record.checkpoint.root));
    let (want_full, want_short, receipt) = match query {
        BallotQuery::Code(code) => {
            let hexcode = code.trim().to_ascii_lowercase();
            match hex::decode(&hexcode).ok().filter(|b| b.len() == 32) {
                Some(b) => (Some(b), None, None),
                None => (None, Some(normalise_code(code)), None),
            }
        }
        BallotQuery::Receipt(json) => {
            let bad = |why: &str| {
                Error::Input(format!(
                    "the receipt is not readable: {why}; give the file the voting page saved"
                ))
            };
            let hash32 = |v: &serde_json::Value| -> Option<[u8; 32]> {
                hex::decode(v.as_str()?).ok()?.try_into().ok()
            };
            let code = hash32(&json["tracking_code"]).ok_or_else(|| bad("no tracking code"))?;
            let receipt = protocol::record::Receipt {
                index: json["index"].as_u64().ok_or_else(|| bad("no index"))?,
                time: json["time"].as_u64().ok_or_else(|| bad("no time"))?,
                leaf_hash: hash32(&json["leaf_hash"]).ok_or_else(|| bad("no leaf hash"))?,
                tracking_code: Some(protocol::ballot::TrackingCode(code)),
            };
            let signature: [u8; 64] = json["signature"]
                .as_str()
                .and_then(|s| {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD.decode(s).ok()
                })
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| bad("no signature"))?;
            receipt
                .verify(
                    &record.manifest_hash,
                    &record.manifest.board.key,
                    &signature,
                )
                .map_err(|_| {
                    Error::Input(
                        "the receipt is not signed by this election's board for this election: it proves nothing here (is it another election's?)"
                            .into(),
                    )
                })?;
            (Some(code.to_vec()), None, Some(receipt))
        }
    };
    let mut found: Option<(u64, [u8; 32], bool, [u8; 32])> = None;
    record.for_each_page(|page| {
        for (index, raw) in page {
            if found.is_some() || raw.len() < 9 || !matches!(raw[8], 6 | 7) {
                continue;
            }
            let leaf = protocol::record::Leaf::from_bytes(raw, record.manifest.threshold)?;
            let (encrypted, cast) = match &leaf.signed.entry {
                protocol::record::Entry::Ballot(b) => (&b.encrypted, true),
                protocol::record::Entry::AuditedBallot(a) => (&a.encrypted, false),
                _ => continue,
            };
            let code = encrypted.tracking_code();
            let hit = match (&want_full, &want_short) {
                (Some(full), _) => full.as_slice() == code.0.as_slice(),
                (None, Some(short)) => normalise_code(&code.short()) == *short,
                (None, None) => false,
            };
            if hit {
                found = Some((*index, code.0, cast, *encrypted.credential.as_bytes()));
            }
        }
        Ok(())
    })?;
    if let Some(r) = &receipt {
        if r.index >= record.len() {
            return Ok(BallotStatus {
                status: "pending",
                index: Some(r.index),
                tracking_code: r.tracking_code.map(|c| hex::encode(c.0)),
                superseded_by: None,
                checkpoint,
                explanation: format!(
                    "the receipt's entry {} is after this checkpoint ({} entries): check again after the next checkpoint (within seconds on a live board)",
                    r.index,
                    record.len()
                ),
            });
        }
        let on_record = record.leaf_hashes.get(r.index as usize) == Some(&r.leaf_hash)
            && found.as_ref().is_some_and(|f| f.0 == r.index);
        if !on_record {
            return Ok(BallotStatus {
                status: "missing",
                index: Some(r.index),
                tracking_code: r.tracking_code.map(|c| hex::encode(c.0)),
                superseded_by: None,
                checkpoint,
                explanation: format!(
                    "the board signed a receipt for entry {} but the record does not hold that entry: the board dropped or changed the ballot; keep the receipt, it proves this",
                    r.index
                ),
            });
        }
    }
    let Some((index, code, cast, credential)) = found else {
        return Ok(BallotStatus {
            status: "missing",
            index: None,
            tracking_code: None,
            superseded_by: None,
            checkpoint,
            explanation: "no ballot with this tracking code is on the record".into(),
        });
    };
    // The counted ballot of the same credential (a ballot's credential is at a fixed offset).
    let mut counted_same_credential = None;
    record.for_each_page(|page| {
        for (i, raw) in page {
            if *i != index
                && record.counted.binary_search(i).is_ok()
                && raw.get(9 + 32..9 + 64) == Some(&credential[..])
            {
                counted_same_credential = Some(*i);
            }
        }
        Ok(())
    })?;
    let (status, superseded_by, explanation) = if !cast {
        (
            "audited",
            None,
            "an audited ballot: opened with its revealed randomness (V11), never counted"
                .to_owned(),
        )
    } else if record.counted.contains(&index) {
        if record.phase >= Phase::VotingClosed {
            (
                "counted",
                None,
                if record.tally().is_some() {
                    "counted in the tally".to_owned()
                } else {
                    "voting has closed; this is the ballot that counts".to_owned()
                },
            )
        } else {
            (
                "cast",
                None,
                "on the board; it will count unless you vote again".to_owned(),
            )
        }
    } else {
        (
            "superseded",
            counted_same_credential,
            format!(
                "replaced by a later ballot of the same credential{} (the last ballot counts)",
                counted_same_credential.map_or(String::new(), |j| format!(" at entry {j}"))
            ),
        )
    };
    Ok(BallotStatus {
        status,
        index: Some(index),
        tracking_code: Some(hex::encode(code)),
        superseded_by,
        checkpoint,
        explanation,
    })
}

/// What a witness asked directly (`--witness URL`) showed: a checkpoint it cosigned, which must be
/// this record's history (spec §13.9, V1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WitnessSeen {
    /// The manifest witnesses whose cosignatures on it verified (the one asked, normally).
    pub names: Vec<String>,
    /// Its size.
    pub size: u64,
    /// Whether it was checked against the record: `false` only when the witness is ahead of the
    /// record and no consistency proof was available.
    pub checked: bool,
}

/// V1 against a checkpoint a witness served (`GET <witness>/v1/elections/ID/checkpoint`): the
/// board's signature and at least one manifest witness's cosignature verify, and it is this
/// record's history: at or below the record's size its root is the record's root at that size;
/// above, `proof` (the board's consistency proof from the record's size to it) connects them.
/// A witness that cosigned another history makes the record fail V1.
pub fn check_witness_note(
    record: &Record,
    note: &str,
    proof: Option<&[protocol::hash::Digest32]>,
) -> Result<WitnessSeen, Error> {
    let fork = |at: u64| {
        Error::Invalid(protocol::verify::Failure {
            step: Step::V1Log,
            index: at,
            error: protocol::Error::Log(
                "a witness cosigned a checkpoint that is not this record's history: the board showed it another history",
            ),
        })
    };
    let w = protocol::witness::WitnessedCheckpoint::verify(
        note,
        &record.manifest,
        &record.manifest_hash,
    )
    .map_err(|e| Error::Input(format!("the witness's checkpoint does not verify: {e}")))?;
    if w.cosigned().is_empty() {
        return Err(Error::Input(
            "the witness's checkpoint carries no cosignature of a witness the manifest names"
                .into(),
        ));
    }
    let names = w
        .cosigned()
        .iter()
        .map(|c| record.manifest.witnesses[c.witness].name.clone())
        .collect();
    let cp = w.checkpoint();
    let size = record.len();
    let checked = if cp.size <= size {
        if !record.extends(cp.size, &cp.root) {
            return Err(fork(cp.size));
        }
        true
    } else if let Some(proof) = proof {
        protocol::merkle::verify_consistency(
            size,
            cp.size,
            &record.checkpoint.root,
            &cp.root,
            proof,
        )
        .map_err(|_| fork(cp.size))?;
        true
    } else {
        false
    };
    Ok(WitnessSeen {
        names,
        size: cp.size,
        checked,
    })
}
