//! The tally ceremony with real processes (spec §12.6): a `bulletin-board` on the embedded store
//! holds a closed 3-of-5 election with every contest kind, weighted voters and revotes; the
//! `tally` tool then runs as the administrator (`start`), as trustees (`decrypt`, each from its own
//! sealed share) and as anyone (`combine`), and the published results must equal the plain sums
//! of the counted ballots.
#[path = "../../election-authority/tests/common/processes.rs"]
mod processes;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bulletin_board::sim::{
    every_contest_kind, every_kind_selection, post_body, SimElection, SimSpec,
};
use cli_support::board::{BoardClient, Record};
use cli_support::keys::kinds;
use cli_support::{secret_file, Error};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use processes::{board_key, run_tally, scratch, tally_tool, Board, ORIGIN, PASSPHRASE};
use protocol::group::Point;
use protocol::manifest::BoardInfo;
use protocol::record::{Entry, Leaf, Phase, SignedEntry};
use protocol::tally::{EncryptedTally, TallyAccumulator};
use rand_core::OsRng;
use tally::ceremony;

const VOTERS: usize = 12;
/// These voters first vote `every_kind_selection(v + 1)`, then revote `every_kind_selection(v)`.
const REVOTERS: [usize; 2] = [0, 5];

fn weight(v: usize) -> u64 {
    if v.is_multiple_of(4) {
        3
    } else {
        1
    }
}

/// A closed election on a real board, with every role's secrets sealed in `dir`.
struct Closed {
    dir: PathBuf,
    board: Board,
    election: SimElection,
    /// Plain sums of the counted choices, weights applied.
    expected: Vec<Vec<u64>>,
}

impl Closed {
    fn on(&self) -> Vec<String> {
        vec![
            "--board".into(),
            self.board.url.clone(),
            "--election".into(),
            self.election.id(),
        ]
    }

    fn client(&self) -> BoardClient {
        BoardClient::new(&self.board.url)
    }

    fn record(&self) -> Record {
        self.client().current(&self.election.id()).unwrap()
    }

    /// Runs `tally` with `args` and the board options.
    fn tally(&self, args: &[&str]) -> Output {
        tally_tool(&self.dir)
            .args(args)
            .args(self.on())
            .output()
            .unwrap()
    }

    fn tally_ok(&self, args: &[&str]) -> String {
        let on = self.on();
        let all: Vec<&str> = args
            .iter()
            .copied()
            .chain(on.iter().map(String::as_str))
            .collect();
        run_tally(&self.dir, &all)
    }

    fn decrypt(&self, trustees: &[u32]) {
        let children: Vec<_> = trustees
            .iter()
            .map(|j| {
                let (key, share) = (format!("trustee-{j}.key"), format!("trustee-{j}.share"));
                tally_tool(&self.dir)
                    .args([
                        "decrypt",
                        "--key",
                        &key,
                        "--share",
                        &share,
                        "--timeout",
                        "60",
                    ])
                    .args(self.on())
                    .output()
            })
            .collect();
        for (j, out) in trustees.iter().zip(children) {
            let out = out.unwrap();
            assert!(
                out.status.success(),
                "trustee {j}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let said = String::from_utf8(out.stdout).unwrap();
            assert!(
                said.contains(&format!("trustee {j} decrypted the tally")),
                "{said}"
            );
        }
        // Reads see posts once the next checkpoint covers them.
        self.client()
            .wait_for(
                &self.election.id(),
                "the partial decryptions",
                std::time::Duration::from_secs(15),
                |r| {
                    let on = r.partials();
                    Ok(trustees
                        .iter()
                        .all(|j| on.iter().any(|p| p.trustee == *j))
                        .then_some(()))
                },
            )
            .unwrap();
    }

    /// The published results, once on the record.
    fn published(&self) -> Vec<Vec<u64>> {
        self.client()
            .wait_for(
                &self.election.id(),
                "the results",
                std::time::Duration::from_secs(15),
                |r| Ok(r.results()),
            )
            .unwrap()
            .totals
    }
}

fn post(url: &str, path: &str, entry: &SignedEntry) {
    let resp = ureq::post(&format!("{url}{path}"))
        .set("content-type", "application/json")
        .send_string(&post_body(entry));
    assert!(resp.is_ok(), "{path}: {:?}", resp.err());
}

fn seal(dir: &Path, name: &str, kind: &str, secret: &[u8]) {
    secret_file::write(&dir.join(name), kind, secret, PASSPHRASE.as_bytes()).unwrap();
}

/// A 3-of-5 election on a fresh board, voted and closed.
fn closed_election(label: &str) -> Closed {
    let dir = scratch(label);
    let board = Board::start(&dir.join("board"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let election = SimElection::with_spec(
        &format!("{label}-{}", dir.display()),
        BoardInfo {
            origin: ORIGIN.into(),
            key: board_key().public_key(),
        },
        (now - 60, now + 3600),
        SimSpec {
            trustees: 5,
            threshold: 3,
            contests: every_contest_kind(),
            weights: (0..VOTERS).map(weight).collect(),
            tampered_share: None,
        },
        &mut OsRng,
    );
    let url = board.url.clone();
    let id = election.id();
    post(&url, "/v1/elections", &election.manifest_entry());
    for (kind, entry) in election.setup_entries() {
        post(&url, &format!("/v1/elections/{id}/{kind}"), &entry);
    }
    let size = election.setup_entries().len() as u64 + 1;
    let mut expected: Vec<Vec<u64>> = every_contest_kind()
        .iter()
        .map(|c| vec![0; c.options.len()])
        .collect();
    let cast = |v: usize, choice: &[Vec<u64>]| {
        let b = election.ballot_for(v, choice, size, &mut OsRng);
        post(
            &url,
            &format!("/v1/elections/{id}/ballots"),
            &bulletin_board::sim::ballot_entry(b),
        );
    };
    for v in REVOTERS {
        cast(v, &every_kind_selection(v + 1));
    }
    for v in 0..VOTERS {
        cast(v, &every_kind_selection(v));
        for (row, choice) in expected.iter_mut().zip(every_kind_selection(v)) {
            for (total, c) in row.iter_mut().zip(choice) {
                *total += weight(v) * c;
            }
        }
    }
    post(
        &url,
        &format!("/v1/elections/{id}/phase"),
        &election.phase(Phase::VotingClosed),
    );
    seal(
        &dir,
        "admin.key",
        kinds::SIGNING_KEY,
        &election.admin.to_seed()[..],
    );
    for (i, (key, share)) in election
        .trustees
        .iter()
        .zip(&election.key_shares)
        .enumerate()
    {
        let j = i + 1;
        seal(
            &dir,
            &format!("trustee-{j}.key"),
            kinds::SIGNING_KEY,
            &key.to_seed()[..],
        );
        seal(
            &dir,
            &format!("trustee-{j}.share"),
            &kinds::key_share(&id),
            &share.to_secret_bytes(),
        );
    }
    Closed {
        dir,
        board,
        election,
        expected,
    }
}

/// Runs the whole ceremony with `present` decrypting; checks the summary and the results.
fn ceremony_with(label: &str, present: &[u32]) {
    let closed = closed_election(label);
    let started = closed.tally_ok(&["start"]);
    assert!(started.contains("tally fingerprint"), "{started}");
    closed.decrypt(present);
    let summary = closed.tally_ok(&["combine", "--publish"]);
    assert_eq!(closed.published(), closed.expected);
    let record = closed.record();
    let fingerprint = ceremony::tally_fingerprint(&record.tally().unwrap());
    assert!(
        summary.contains(&format!("Tally fingerprint: {fingerprint}")),
        "{summary}"
    );
    assert!(summary.contains(&format!("Ballots: {} cast, {VOTERS} counted", VOTERS + 2)));
    for j in 1..=5u32 {
        let line = summary
            .lines()
            .find(|l| {
                l.trim_start()
                    .starts_with(&format!("trustee {j} (Trustee {j})"))
            })
            .unwrap_or_else(|| panic!("no line for trustee {j}: {summary}"));
        let state = if present.contains(&j) {
            "decrypted; combined"
        } else {
            "absent"
        };
        assert!(line.ends_with(state), "{line}");
    }
    for contest in every_contest_kind() {
        assert!(summary.contains(&contest.title), "{summary}");
    }
    assert!(summary.contains("Results published at leaf"), "{summary}");
    // Anyone can combine again later and gets the published results.
    let again = closed.tally_ok(&["combine"]);
    assert!(again.contains("These are the published results"), "{again}");
}

#[test]
fn all_five_trustees_decrypt_every_contest_kind_with_weights_and_revotes() {
    ceremony_with("five", &[1, 2, 3, 4, 5]);
}

#[test]
fn one_trustee_absent() {
    ceremony_with("four", &[1, 2, 4, 5]);
}

#[test]
fn two_trustees_absent_and_too_few_cannot_combine() {
    let closed = closed_election("three");
    closed.tally_ok(&["start"]);
    closed.decrypt(&[2, 5]);
    let early = closed.tally(&["combine"]);
    assert_eq!(early.status.code(), Some(1));
    let said = String::from_utf8_lossy(&early.stderr);
    assert!(
        said.contains("2 valid partial decryption(s) of the 3 needed; 1 more trustee(s)"),
        "{said}"
    );
    closed.decrypt(&[3]);
    closed.tally_ok(&["combine", "--publish"]);
    assert_eq!(closed.published(), closed.expected);
    // A rerun of a trustee who decrypted changes nothing.
    let twice = closed.tally(&[
        "decrypt",
        "--key",
        "trustee-3.key",
        "--share",
        "trustee-3.share",
    ]);
    assert!(twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stdout).contains("had already decrypted"));
    assert_eq!(closed.record().partials().len(), 3);
}

/// Trustee 4's partial decryption with one share point moved: its proof no longer verifies.
fn forged_partial(closed: &Closed, record: &Record) -> protocol::tally::PartialDecryption {
    let recomputed = ceremony::recompute(record).unwrap();
    let mut p = protocol::tally::partial_decrypt(
        &record.fingerprint.unwrap(),
        &closed.election.key_shares[3],
        &recomputed,
        &mut OsRng,
    );
    p.shares[0][0] = Point::from_point(p.shares[0][0].point() + RISTRETTO_BASEPOINT_POINT);
    p
}

#[test]
fn a_forged_partial_decryption_is_named_and_left_out() {
    let closed = closed_election("forged");
    closed.tally_ok(&["start"]);
    let record = closed.record();
    let forged = forged_partial(&closed, &record);
    let entry = SignedEntry::sign(
        &record.manifest_hash,
        Entry::PartialDecryption(forged.clone()),
        &closed.election.trustees[3],
    );
    // The board checks V14 on the way in and names the trustee.
    match closed
        .client()
        .post(&record.manifest, "partial-decryptions", &entry)
    {
        Err(Error::Refused { message, .. }) => {
            assert!(message.contains("trustee 4"), "{message}")
        }
        other => panic!("the forged share was not refused: {other:?}"),
    }
    closed.decrypt(&[1, 2, 3]);
    // A combiner that met the forged share anyway (from a board that let it through) checks
    // every proof itself, names trustee 4, and combines the three honest shares.
    let record = closed.record();
    let (_, outcome) = record.ceremony_outcome().unwrap().unwrap();
    let mut partials = record.partials();
    partials.insert(1, forged);
    let combined = ceremony::combine(
        &record.manifest,
        &record.fingerprint.unwrap(),
        record.credentials().unwrap().total_weight(),
        &record.tally().unwrap(),
        &partials,
        |j| outcome.verification_share(j),
        &outcome.qualified,
    )
    .unwrap();
    assert_eq!(combined.used, vec![1, 2, 3]);
    assert_eq!(combined.left_out.len(), 1);
    assert_eq!(combined.left_out[0].trustee, 4);
    assert!(combined.left_out[0].reason.contains("trustee 4"));
    assert_eq!(combined.absent, vec![5]);
    assert_eq!(combined.results.totals, closed.expected);
    closed.tally_ok(&["combine", "--publish"]);
    assert_eq!(closed.published(), closed.expected);
}

/// A board that serves `export` as the record and counts what is posted to it.
fn lying_board(export: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let posts = Arc::new(AtomicUsize::new(0));
    let counter = posts.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let (status, bytes) = if request.starts_with("POST") {
                counter.fetch_add(1, Ordering::SeqCst);
                ("500 Internal Server Error", Vec::new())
            } else if request.contains("/record ") {
                ("200 OK", export.clone())
            } else {
                ("404 Not Found", Vec::new())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                bytes.len()
            );
            let _ = stream.write_all(&bytes);
        }
    });
    (url, posts)
}

fn export(leaves: &[Vec<u8>]) -> Vec<u8> {
    bulletin_board::sim::export(leaves, ORIGIN, &board_key())
}

/// Every leaf's bytes.
fn raw_leaves(record: &Record) -> Vec<Vec<u8>> {
    let mut leaves = Vec::new();
    record
        .for_each_page(|page| {
            leaves.extend(page.iter().map(|(_, l)| l.clone()));
            Ok(())
        })
        .unwrap();
    leaves
}

/// The sum of the counted ballots, weights applied, leaving out the one at leaf `omit`.
fn tally_without(record: &Record, leaves: &[Vec<u8>], omit: u64) -> EncryptedTally {
    let list = record.credentials().unwrap();
    let mut acc = TallyAccumulator::new(&record.manifest);
    for &i in record.counted.iter().filter(|&&i| i != omit) {
        let leaf = Leaf::from_bytes(&leaves[i as usize], record.manifest.threshold).unwrap();
        let Entry::Ballot(b) = &leaf.signed.entry else {
            panic!("leaf {i} is counted but not a ballot");
        };
        let weight = list.weight_of(&b.encrypted.credential).unwrap();
        acc.add(b, weight).unwrap();
    }
    acc.finish().tally().clone()
}

/// The closed record's leaves (without leaf `drop`, if given), then `tally` signed by the
/// administrator and the tally phase.
fn forked(
    closed: &Closed,
    record: &Record,
    leaves: &[Vec<u8>],
    drop: Option<u64>,
    tally: EncryptedTally,
) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = leaves
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i as u64) != drop)
        .map(|(_, l)| l.clone())
        .collect();
    for entry in [
        Entry::EncryptedTally(tally),
        Entry::Phase {
            phase: Phase::Tally,
            fingerprint: None,
        },
    ] {
        let signed = SignedEntry::sign(&record.manifest_hash, entry, &closed.election.admin);
        out.push(
            Leaf {
                time: record.last_time,
                signed,
            }
            .to_bytes(),
        );
    }
    out
}

fn decrypt_at(closed: &Closed, url: &str, trustee: u32) -> Output {
    let (key, share) = (
        format!("trustee-{trustee}.key"),
        format!("trustee-{trustee}.share"),
    );
    tally_tool(&closed.dir)
        .args([
            "decrypt",
            "--key",
            &key,
            "--share",
            &share,
            "--timeout",
            "10",
        ])
        .args(["--board", url, "--election", &closed.election.id()])
        .output()
        .unwrap()
}

#[test]
fn a_trustee_refuses_a_tally_that_omits_a_ballot() {
    let closed = closed_election("omit");
    // The real board would refuse such a tally (V13), so a lying board serves it: the closed
    // record, then the administrator's tally without the last counted ballot, then the phase.
    let record = closed.record();
    let leaves = raw_leaves(&record);
    let omitted = *record.counted.last().unwrap();
    let short = tally_without(&record, &leaves, omitted);
    let (url, posts) = lying_board(export(&forked(&closed, &record, &leaves, None, short)));
    let out = decrypt_at(&closed, &url, 1);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("V13"), "{said}");
    assert_eq!(posts.load(Ordering::SeqCst), 0, "nothing may be posted");
}

#[test]
fn a_trustee_who_decrypted_refuses_a_second_history() {
    // A board showing two histories (one without the last ballot, whose tally is then valid on
    // its own) would get two tallies decrypted whose difference is that ballot.
    let closed = closed_election("split");
    let record = closed.record();
    let leaves = raw_leaves(&record);
    let dropped = *record.counted.last().unwrap();
    let without = tally_without(&record, &leaves, dropped);
    let fork = forked(&closed, &record, &leaves, Some(dropped), without);
    closed.tally_ok(&["start"]);
    closed.decrypt(&[1]);
    let (url, posts) = lying_board(export(&fork));
    let out = decrypt_at(&closed, &url, 1);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("two histories"), "{said}");
    assert_eq!(posts.load(Ordering::SeqCst), 0, "nothing may be posted");
    // The fork verifies on its own: a trustee who had not decrypted goes on (and its post reaches
    // the lying board).
    let fresh = decrypt_at(&closed, &url, 2);
    assert_eq!(posts.load(Ordering::SeqCst), 1, "{fresh:?}");
}
