//! A whole election in one process, through the protocol library: set-up, key ceremony, credentials,
//! voters casting (some revote, some audit), verification, tally, threshold decryption, results.
//! `cargo run --release -p protocol --example election -- --voters 1000`
//!
//! The server-based demo (board process, CLI tools, verifier) is built on top of this in later parts.
use std::time::Instant;

use protocol::ballot::{self, Ballot, BallotContext};
use protocol::context::ElectionContext;
use protocol::credentials::{self, CredentialEntry, CredentialList};
use protocol::dkg::{self, CeremonyParams, CeremonyRecord, Round1Set};
use protocol::manifest::{BoardInfo, Contest, ContestKind, ContestOption, Manifest, TrusteeInfo};
use protocol::signature::SecretKey;
use protocol::tally::{self, TallyAccumulator};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

fn options(names: &[&str]) -> Vec<ContestOption> {
    names
        .iter()
        .map(|n| ContestOption {
            id: n.to_lowercase().replace(' ', "-"),
            title: n.to_string(),
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let voters: usize = match args.iter().position(|a| a == "--voters") {
        Some(i) => args.get(i + 1).ok_or("--voters needs a number")?.parse()?,
        None => 1000,
    };
    let mut rng = ChaCha20Rng::from_entropy();
    let started = Instant::now();
    let step = |what: &str| println!("[{:>7.2}s] {what}", started.elapsed().as_secs_f64());

    let admin = SecretKey::generate(&mut rng);
    let trustee_keys: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate(&mut rng)).collect();
    let manifest = Manifest {
        election_id: "community-council-2026".into(),
        title: "Community Council Election 2026".into(),
        opens_at: 1_800_000_000,
        closes_at: 1_800_604_800,
        administrator: admin.public_key(),
        credential_authority: SecretKey::generate(&mut rng).public_key(),
        board: BoardInfo {
            origin: "board.example/community-council-2026".into(),
            key: SecretKey::generate(&mut rng).public_key(),
        },
        trustees: ["Morag", "Hamish", "Isla"]
            .iter()
            .zip(&trustee_keys)
            .map(|(n, k)| TrusteeInfo {
                name: n.to_string(),
                key: k.public_key(),
            })
            .collect(),
        threshold: 2,
        witnesses: Vec::new(),
        witness_quorum: 0,
        contests: vec![
            Contest {
                id: "convener".into(),
                title: "Convener".into(),
                kind: ContestKind::Choose { min: 1, max: 1 },
                options: options(&["Ailsa", "Brodie", "Catriona", "Duncan"]),
            },
            Contest {
                id: "referendum".into(),
                title: "Pedestrianise the high street?".into(),
                kind: ContestKind::Choose { min: 1, max: 1 },
                options: options(&["Yes", "No"]),
            },
            Contest {
                id: "budget".into(),
                title: "Community budget (£100,000): weighted voters funding each project".into(),
                kind: ContestKind::Budget {
                    budget: 100_000,
                    costs: vec![25_000, 40_000, 60_000, 15_000, 30_000],
                },
                options: options(&["Library", "Bridge", "Hall", "Garden", "Playpark"]),
            },
        ],
    };
    manifest.validate()?;
    step(&format!(
        "manifest {:?}: 3 trustees, threshold 2, {voters} voters ({} of weight 2, so totals exceed the voter count); \
         3 contests, 11 options: a 1-of-4, a referendum and a participatory budget",
        manifest.election_id,
        voters / 10
    ));

    // Key ceremony: every trustee runs round 1, deals encrypted shares, checks the others'.
    let params = CeremonyParams::from_manifest(&manifest);
    let (secrets, packages): (Vec<_>, Vec<_>) = (1..=3)
        .map(|i| dkg::round1(&params, i, &mut rng))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    let round1 = Round1Set::verify(&params, packages)?;
    let (secrets, round2): (Vec<_>, Vec<_>) = secrets
        .into_iter()
        .map(|s| s.deal(&params, &round1))
        .unzip();
    let complaints: Vec<_> = secrets
        .iter()
        .flat_map(|s| s.check_shares(&params, &round1, &round2, &mut rng))
        .collect();
    let outcome = CeremonyRecord {
        round1: &round1,
        round2: &round2,
        complaints: &complaints,
    }
    .outcome(&params, &mut rng)?;
    let shares: Vec<_> = secrets
        .into_iter()
        .map(|s| s.finish(&params, &round1, &round2, &outcome))
        .collect::<Result<_, _>>()?;
    step(&format!(
        "key ceremony done: qualified trustees {:?}, election key {}",
        outcome.qualified,
        hex::encode(&outcome.joint_key.as_bytes()[..8])
    ));

    // Credentials: one per voter, every tenth voter has weight 2.
    let creds: Vec<SecretKey> = (0..voters)
        .map(|_| credentials::generate(&mut rng))
        .collect();
    let weight = |i: usize| if i % 10 == 9 { 2 } else { 1 };
    let list = CredentialList::new(
        creds
            .iter()
            .enumerate()
            .map(|(i, c)| CredentialEntry {
                key: c.public_key(),
                weight: weight(i),
            })
            .collect(),
    )?;
    let ctx = ElectionContext::new(manifest, outcome, &list)?;
    let bctx = BallotContext::from_election(&ctx);
    step(&format!(
        "credentials issued; election fingerprint {}",
        hex::encode(ctx.fingerprint)
    ));

    // Voting: some revote (the last ballot counts), some audit a ballot first.
    let mut cast: Vec<(usize, Ballot)> = Vec::new();
    let mut expected = vec![vec![0u64; 4], vec![0u64; 2], vec![0u64; 5]];
    let budget_choices = [
        [1, 1, 0, 1, 0],
        [0, 1, 1, 0, 0],
        [1, 0, 0, 1, 1],
        [0, 0, 1, 0, 1],
    ];
    let encrypt_started = Instant::now();
    let mut audits = 0;
    for (i, cred) in creds.iter().enumerate() {
        let choose = |rng: &mut ChaCha20Rng| -> Vec<Vec<u64>> {
            let mut pick = |k: u32| (rng.next_u32() % k) as usize;
            let (a, b, c) = (pick(4), pick(2), pick(4));
            vec![
                (0..4).map(|k| (k == a) as u64).collect(),
                (0..2).map(|k| (k == b) as u64).collect(),
                budget_choices[c].to_vec(),
            ]
        };
        let first = choose(&mut rng);
        if i % 50 == 7 {
            let (b, secrets) =
                ballot::encrypt(&bctx, &cred.public_key(), weight(i), 0, &first, &mut rng)?;
            let audited = secrets.audit(b, cred)?;
            assert_eq!(
                audited.verify(&bctx, weight(i), &mut rng)?,
                first,
                "an audited ballot opens to its choices"
            );
            audits += 1;
        }
        let (b, _) = ballot::encrypt(&bctx, &cred.public_key(), weight(i), 0, &first, &mut rng)?;
        cast.push((i, b.cast(cred)?));
        let mut last = first;
        if i % 25 == 3 {
            last = choose(&mut rng);
            let (b, _) = ballot::encrypt(&bctx, &cred.public_key(), weight(i), 0, &last, &mut rng)?;
            cast.push((i, b.cast(cred)?));
        }
        for (t, s) in expected.iter_mut().zip(&last) {
            for (a, v) in t.iter_mut().zip(s) {
                *a += v * weight(i);
            }
        }
    }
    let per_ballot =
        encrypt_started.elapsed().as_secs_f64() * 1000.0 / (cast.len() + audits) as f64;
    step(&format!("{} ballots cast ({} revotes), {audits} audited; {per_ballot:.2} ms to encrypt, prove and sign each (11 options, one budget range proof)", cast.len(), cast.len() - voters));

    // Verification in batches, then the last ballot per credential is counted.
    let verify_started = Instant::now();
    let mut acc = TallyAccumulator::new(&ctx.manifest);
    let mut last_of = vec![None; voters];
    for (k, (i, _)) in cast.iter().enumerate() {
        last_of[*i] = Some(k);
    }
    for chunk in cast.chunks(500) {
        let batch: Vec<(Ballot, u64)> =
            chunk.iter().map(|(i, b)| (b.clone(), weight(*i))).collect();
        for r in ballot::verify_batch(&bctx, batch, &mut rng) {
            r?;
        }
    }
    let rate = cast.len() as f64 / verify_started.elapsed().as_secs_f64();
    for (k, (i, b)) in cast.iter().enumerate() {
        if last_of[*i] == Some(k) {
            acc.add(b, weight(*i))?;
        }
    }
    let recomputed = acc.finish();
    let encrypted = recomputed.tally();
    step(&format!(
        "every ballot verified ({rate:.0} ballots/s on one core); {} counted",
        acc.count()
    ));

    // Two of the three trustees decrypt the tally; trustee 2 is absent.
    let partials: Vec<_> = [0usize, 2]
        .iter()
        .map(|&j| tally::partial_decrypt(&ctx.fingerprint, &shares[j], &recomputed, &mut rng))
        .collect();
    for p in &partials {
        p.verify(
            &ctx.fingerprint,
            &ctx.ceremony
                .verification_share(p.trustee)
                .ok_or("no verification share")?,
            encrypted,
            &mut rng,
        )?;
    }
    let results = tally::combine(
        &ctx.manifest,
        ctx.total_weight,
        encrypted,
        &partials.iter().collect::<Vec<_>>(),
    )?;
    step("trustees 1 and 3 decrypted the tally (trustee 2 absent)");

    println!(
        "\nResults (tally fingerprint {})",
        hex::encode(encrypted.hash())
    );
    for (contest, totals) in ctx.manifest.contests.iter().zip(&results.totals) {
        println!("  {}", contest.title);
        for (option, total) in contest.options.iter().zip(totals) {
            println!("    {:<12} {total:>8}", option.title);
        }
    }
    if results.totals != expected {
        return Err("the decrypted totals differ from the votes cast".into());
    }
    println!("\nThe decrypted totals equal the votes cast (weights and revotes applied).");
    Ok(())
}
