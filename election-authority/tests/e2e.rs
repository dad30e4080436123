//! The whole set-up with real processes: a board on the embedded store, the administrator's tool,
//! five trustees (threshold 3) running the ceremony at once, and a credential authority issuing
//! 100 credentials. The record then passes every set-up V-step (V1–V9), the trustees agree on the
//! election key, and each sealed share matches its public verification share. Ten voters then
//! vote with their printed credentials, and the tally steps run to published results (V10–V15).
mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::sync::mpsc;

use common::{run, run_tally, scratch, tool, Board, PASSPHRASE};
use election_authority::board::BoardClient;
use election_authority::{roles, secret_file};
use protocol::dkg::KeyShare;
use protocol::record::Phase;

#[test]
fn administrator_five_trustees_and_credential_authority_set_up_an_election() {
    let dir = scratch("e2e");
    let board = Board::start(&dir.join("board"));
    let admin = run(&dir, &["admin", "keygen", "--key", "admin.key"])
        .trim()
        .to_owned();
    let authority = run(&dir, &["authority", "keygen", "--key", "authority.key"])
        .trim()
        .to_owned();
    let trustees: Vec<String> = (1..=5)
        .map(|i| {
            let key = format!("trustee-{i}.key");
            run(&dir, &["trustee", "keygen", "--key", &key])
                .trim()
                .to_owned()
        })
        .collect();
    std::fs::write(
        dir.join("manifest.toml"),
        common::manifest_toml(&admin, &authority, &trustees, 3),
    )
    .unwrap();
    run(&dir, &["admin", "check", "manifest.toml"]);
    let election = run(&dir, &["admin", "create", "--board", &board.url])
        .trim()
        .to_owned();
    assert_eq!(election.len(), 64);
    let on = [
        "--board",
        board.url.as_str(),
        "--election",
        election.as_str(),
    ];
    run(
        &dir,
        &[&["admin", "phase", "key-ceremony"][..], &on].concat(),
    );

    // Five trustees at once, each on its own key; each says when it has dealt and checked.
    let (done_tx, done_rx) = mpsc::channel();
    let mut ceremonies = Vec::new();
    for i in 1..=5 {
        let key = format!("trustee-{i}.key");
        let share = format!("trustee-{i}.share");
        let mut child = tool(&dir)
            .args([
                "trustee",
                "ceremony",
                "--key",
                &key,
                "--share",
                &share,
                "--timeout",
                "120",
            ])
            .args(on)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let tx = done_tx.clone();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if line.contains("rounds 1 and 2 done") {
                    tx.send(i).unwrap();
                }
                eprintln!("[trustee {i}] {line}");
            }
        });
        ceremonies.push(child);
    }

    // Meanwhile the roll goes to the credential authority, which posts the list.
    std::fs::write(dir.join("voters.csv"), common::roll_csv(100)).unwrap();
    run(&dir, &["admin", "roll", "voters.csv", "--out", "roll.csv"]);
    let issued = run(
        &dir,
        &[
            &[
                "authority",
                "issue",
                "--roll",
                "roll.csv",
                "--out",
                "credentials",
                "--voting-url",
                "https://vote.example.org",
            ][..],
            &on,
        ]
        .concat(),
    );
    assert!(issued.starts_with("100 credentials issued"), "{issued}");

    for _ in 1..=5 {
        done_rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("every trustee deals");
    }
    run(
        &dir,
        &[
            &["admin", "phase", "open", "--complaint-window", "1"][..],
            &on,
        ]
        .concat(),
    );
    let mut keys = Vec::new();
    for child in ceremonies {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a trustee's ceremony failed");
        keys.push(String::from_utf8(out.stdout).unwrap().trim().to_owned());
    }
    assert!(
        keys.iter().all(|k| *k == keys[0] && k.len() == 64),
        "{keys:?}"
    );

    // The record verifies (V1–V9 for what is on it) and holds what each role posted.
    let record = BoardClient::new(&board.url).record(&election).unwrap();
    assert_eq!(record.phase, Phase::VotingOpen);
    assert_eq!(record.round1().len(), 5);
    assert_eq!(record.round2().len(), 5);
    assert!(record.complaints().is_empty());
    let list = record.credentials().unwrap();
    assert_eq!(list.len(), 100);
    assert_eq!(list.total_weight(), 110);
    let (_, outcome) = roles::ceremony_outcome(&record).unwrap().unwrap();
    assert_eq!(hex::encode(outcome.joint_key.as_bytes()), keys[0]);
    assert_eq!(outcome.qualified, vec![1, 2, 3, 4, 5]);

    // Each trustee's sealed share opens with the passphrase and matches its public Y_j.
    for i in 1..=5u32 {
        let path = dir.join(format!("trustee-{i}.share"));
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(!dir.join(format!("trustee-{i}.share.pending")).exists());
        let bytes = secret_file::read(
            &path,
            &roles::kinds::key_share(&election),
            PASSPHRASE.as_bytes(),
        )
        .unwrap();
        let share = KeyShare::from_secret_bytes(&bytes).unwrap();
        assert_eq!(share.index(), i);
        assert_eq!(
            Some(*share.verification_share()),
            outcome.verification_share(i)
        );
    }

    // The voters' credentials: a mail-merge CSV and a letter each, private, matching the list.
    let csv_path = dir.join("credentials/credentials.csv");
    assert_eq!(
        std::fs::metadata(&csv_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 100);
    for row in rows {
        let fields: Vec<&str> = row.split(',').collect();
        let seed: [u8; 32] = hex::decode(fields[2].replace('-', ""))
            .unwrap()
            .try_into()
            .unwrap();
        let key = protocol::signature::SecretKey::from_seed(&seed).public_key();
        assert_eq!(
            list.weight_of(&key),
            Some(fields[1].parse().unwrap()),
            "{row}"
        );
    }
    let letters: Vec<_> = std::fs::read_dir(dir.join("credentials/letters"))
        .unwrap()
        .collect();
    assert_eq!(letters.len(), 100);
    let letter =
        std::fs::read_to_string(dir.join("credentials/letters/000001-voter-000.txt")).unwrap();
    assert!(
        letter.contains("Authority test election") && letter.contains("https://vote.example.org")
    );

    // Ten voters cast ballots with their printed credentials; then the administrator closes the
    // vote and posts the tally, trustees 1, 3 and 5 decrypt, and the administrator publishes.
    let election_ctx =
        protocol::context::ElectionContext::new(record.manifest.clone(), outcome.clone(), list)
            .unwrap();
    let ballot_ctx = protocol::ballot::BallotContext::from_election(&election_ctx);
    let client = BoardClient::new(&board.url);
    for row in csv.lines().skip(1).take(10) {
        let fields: Vec<&str> = row.split(',').collect();
        let n: usize = fields[0].trim_start_matches("voter-").parse().unwrap();
        let seed: [u8; 32] = hex::decode(fields[2].replace('-', ""))
            .unwrap()
            .try_into()
            .unwrap();
        let cred = protocol::signature::SecretKey::from_seed(&seed);
        let selection = vec![if n.is_multiple_of(2) {
            vec![1, 0]
        } else {
            vec![0, 1]
        }];
        let weight = fields[1].parse().unwrap();
        let (encrypted, _) = protocol::ballot::encrypt(
            &ballot_ctx,
            &cred.public_key(),
            weight,
            record.checkpoint.size,
            &selection,
            &mut rand_core::OsRng,
        )
        .unwrap();
        let entry = protocol::record::SignedEntry {
            entry: protocol::record::Entry::Ballot(encrypted.cast(&cred).unwrap()),
            signature: None,
        };
        client.post(&record.manifest, "ballots", &entry).unwrap();
    }
    run(&dir, &[&["admin", "phase", "close"][..], &on].concat());
    run_tally(&dir, &[&["start"][..], &on].concat());
    for i in [1, 3, 5] {
        let (key, share) = (format!("trustee-{i}.key"), format!("trustee-{i}.share"));
        run_tally(
            &dir,
            &[
                &["decrypt", "--key", key.as_str(), "--share", share.as_str()][..],
                &on,
            ]
            .concat(),
        );
    }
    let printed = run_tally(&dir, &[&["combine", "--publish"][..], &on].concat());
    assert!(printed.contains("Chair"), "{printed}");
    client
        .wait_for(
            &election,
            "the results",
            std::time::Duration::from_secs(15),
            |r| Ok((r.phase == Phase::ResultsPublished).then_some(())),
        )
        .unwrap();
    let record = client.current(&election).unwrap();
    let results = record.results().unwrap();
    // voter-000 has weight 2: option A has 2 + 1 + 1 + 1 + 1, option B five voters of weight 1.
    assert_eq!(results.totals, vec![vec![6, 5]]);

    // After voting opened, a credential list is refused, and nothing is written.
    let late = tool(&dir)
        .args([
            "authority",
            "issue",
            "--roll",
            "roll.csv",
            "--out",
            "late",
            "--voting-url",
            "x",
        ])
        .args(on)
        .output()
        .unwrap();
    assert!(!late.status.success());
    assert!(String::from_utf8_lossy(&late.stderr).contains("already posted"));
    assert!(!dir.join("late").exists());
}

#[test]
fn a_wrong_passphrase_or_a_bad_manifest_is_refused_with_its_reason() {
    let dir = scratch("refusals");
    run(&dir, &["admin", "keygen", "--key", "admin.key"]);
    let out = tool(&dir)
        .env("THISTLE_PASSPHRASE_FILE", "/dev/null")
        .args([
            "admin",
            "create",
            "--key",
            "admin.key",
            "--manifest",
            "admin.key",
        ])
        .output()
        .unwrap();
    // The manifest is read first: a key file is no manifest.
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(
        dir.join("m.toml"),
        election_authority::manifest_file::EXAMPLE,
    )
    .unwrap();
    let check = tool(&dir)
        .args(["admin", "check", "m.toml"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    let err = String::from_utf8_lossy(&check.stderr);
    let line = election_authority::manifest_file::EXAMPLE
        .lines()
        .position(|l| l.contains("REPLACE: administrator public key"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!(
            "line {line}: administrator key: expected a public key of 64 hex digits"
        )),
        "{err}"
    );

    // New keys need a passphrase of at least 12 characters, from a file only its owner reads.
    let short = dir.join("short");
    common::write_private(&short, "too short\n");
    let out = tool(&dir)
        .env("THISTLE_PASSPHRASE_FILE", &short)
        .args(["trustee", "keygen", "--key", "t.key"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
    let open = dir.join("open");
    std::fs::write(&open, "a long enough passphrase\n").unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = tool(&dir)
        .env("THISTLE_PASSPHRASE_FILE", &open)
        .args(["trustee", "keygen", "--key", "t.key"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("readable by others"));
    assert!(!dir.join("t.key").exists());

    let wrong = dir.join("wrong");
    common::write_private(&wrong, "not the passphrase\n");
    run(&dir, &["admin", "keygen", "--key", "admin2.key"]);
    let out = tool(&dir)
        .env("THISTLE_PASSPHRASE_FILE", &wrong)
        .args([
            "admin",
            "phase",
            "open",
            "--key",
            "admin2.key",
            "--election",
            "00",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"));
}
