//! The README's first command, small: the demo runs every program as its own process, on the
//! embedded store and on PostgreSQL, and ends with the verifier's verdict and results that match
//! what the simulated voters chose.
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The other programs beside the demo's binary, as `cargo build --release --bins` leaves them.
fn build_programs() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_thistle-demo"));
    let release = exe
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| d == "release");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--bins",
            "-p",
            "bulletin-board",
            "-p",
            "election-authority",
        ])
        .args(["-p", "tally", "-p", "verifier-cli"])
        .args(release.then_some("--release"))
        .status()
        .unwrap();
    assert!(status.success(), "building the programs the demo runs");
}

fn scratch(label: &str) -> PathBuf {
    let n: u64 = rand_core::RngCore::next_u64(&mut rand_core::OsRng);
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{label}-{n:016x}"))
}

fn demo(dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thistle-demo"))
        .args(["--voters", "30", "--seed", "42", "--dir"])
        .arg(dir)
        .args(extra)
        .env_remove("THISTLE_DEMO_DATABASE_URL")
        .output()
        .unwrap()
}

fn assert_whole_election(out: &Output, dir: &Path) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Voters 2 and 22 vote twice; voter 1 audits first.
    assert!(
        stdout.contains("30 voters cast 32 ballots (2 voted twice; 1 audited a ballot first"),
        "{stdout}"
    );
    assert!(stdout.contains("trustees 1 and 3 each verified the record"));
    for step in [
        "V1 ", "V10 ", "V11 ", "V12 ", "V15 ", "V17 ", "V18 ", "V19 ",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("  | {step}")))
            .unwrap_or_else(|| panic!("no {step} line:\n{stdout}"));
        assert!(line.contains(" pass "), "{line}");
    }
    assert!(stdout.contains("  | V11  audited ballots            pass       1 audited"));
    assert!(stdout.contains("  | V12  counted ballots            pass       30 counted"));
    assert!(stdout.contains("  | Verdict: VALID"), "{stdout}");
    // The STV ward: mixed by trustees 1 and 3, decrypted, recounted by the verifier, and its
    // papers are the voters' last rankings.
    assert!(
        stdout.contains("  | V17  mixes                      pass       ward: 30 ballots mixed by trustees [1, 3]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the 30 papers the trustees decrypted after 2 mixes are exactly the voters' last rankings; elected by Scottish STV"),
        "{stdout}"
    );
    assert!(stdout.contains(
        "the verified results are exactly what the simulated voters chose, counting each voter's last ballot with its weight"
    ));
    let record = dir.join("record.thistle");
    assert!(stdout.contains(&format!("The record: {}", record.display())));
    assert!(std::fs::metadata(&record).unwrap().len() > 0);
    for secret in [
        "admin.key",
        "trustee-2.key",
        "trustee-3.share",
        "passphrase",
    ] {
        let mode = std::fs::metadata(dir.join(secret))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{secret}");
    }
    stdout
}

#[test]
fn the_demo_runs_a_whole_election_on_the_embedded_store_and_replaces_only_its_own_directory() {
    build_programs();
    let dir = scratch("demo");
    let first = assert_whole_election(&demo(&dir, &[]), &dir);
    assert!(first.contains("on the embedded store in"));

    // The same seed gives the same choices, so the same results; the old run is replaced.
    let second = assert_whole_election(&demo(&dir, &[]), &dir);
    let results = |s: &str| -> String {
        s.lines()
            .skip_while(|l| !l.contains("Results (verified):"))
            .take_while(|l| !l.contains("Verdict"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(results(&first).contains("Ailsa Grant"), "{first}");
    assert!(
        results(&first).contains("Funded within the budget (§12.7): "),
        "the budget contest names its funded projects: {first}"
    );
    assert_eq!(results(&first), results(&second));

    // A directory that is not an earlier demo's is left alone.
    let other = scratch("not-a-demo");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("keep.txt"), "mine").unwrap();
    let refused = demo(&other, &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not an earlier demo's directory"));
    assert_eq!(
        std::fs::read_to_string(other.join("keep.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn the_demo_runs_on_postgresql_with_one_flag() {
    build_programs();
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let dir = scratch("demo-pg");
    let out = demo(&dir, &["--database-url", &url]);
    let stdout = assert_whole_election(&out, &dir);
    assert!(stdout.contains(" on PostgreSQL "), "{stdout}");
}

#[test]
fn with_vote_yourself_the_demo_waits_for_you_and_counts_your_ballot_as_one_valid_ballot() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;

    build_programs();
    let dir = scratch("demo-you");
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../voter-client/dist");
    assert!(
        page.join("index.html").is_file(),
        "build the voting page first: bash scripts/build-client.sh"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_thistle-demo"))
        .args(["--voters", "5", "--seed", "1", "--vote-yourself", "--dir"])
        .arg(&dir)
        .arg("--page")
        .arg(&page)
        .env_remove("THISTLE_DEMO_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut link = None;
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "{seen}");
        seen.push_str(&line);
        if line.contains("&c=") {
            link = Some(line.trim().to_owned());
        }
        if line.contains("press Enter here to close the vote") {
            break;
        }
    }
    // As the page would: the link's election and code, a fresh checkpoint, a valid ballot.
    let link = link.expect("a voting link");
    let (base, fragment) = link.split_once("/#").unwrap();
    let field = |k: &str| {
        fragment
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_owned()
    };
    let (election, code) = (field("e"), field("c"));
    let credential = voter_client::flow::parse_credential(&code).unwrap();
    let client = cli_support::board::BoardClient::new(base);
    let record = client.current(&election).unwrap();
    let size = client.checkpoint(&record.manifest).unwrap().size;
    // Duncan, the playpark and the library, "no", and in the ward Kirsty Wallace then Euan MacLeod.
    let mine = vec![vec![0, 1], vec![0, 1, 1], vec![0, 1], vec![5, 2, 0, 0]];
    let (encrypted, _) = protocol::ballot::encrypt(
        record.ballots().unwrap(),
        &credential.public_key(),
        1,
        size,
        &mine,
        &mut rand_core::OsRng,
    )
    .unwrap();
    let entry = protocol::record::SignedEntry {
        entry: protocol::record::Entry::Ballot(encrypted.cast(&credential).unwrap()),
        signature: None,
    };
    client.post(&record.manifest, "ballots", &entry).unwrap();

    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{seen}{rest}");
    assert!(rest.contains("  | Verdict: VALID"), "{rest}");
    assert!(
        rest.contains(
            "counting each voter's last ballot with its weight, plus one valid ballot: yours."
        ),
        "{rest}"
    );
    assert!(rest.contains("  | V12  counted ballots            pass       6 counted"));
    assert!(
        rest.contains("the 6 papers the trustees decrypted after 2 mixes are exactly the voters' last rankings"),
        "{rest}"
    );
}
