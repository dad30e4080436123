//! A whole election through the library: every contest kind, weights, a revote, an audited ballot,
//! a threshold decryption with each allowed subset of trustees.
mod support;

use protocol::ballot::{self, Ballot};
use protocol::encoding::Encode;
use protocol::tally::{self, TallyAccumulator};
use support::*;

/// The plaintext sums the tally must decrypt to (a ranked contest is not summed: empty).
fn expected_totals(selections: &[(Vec<Vec<u64>>, u64)]) -> Vec<Vec<u64>> {
    let mut totals: Vec<Vec<u64>> = summed_kinds_contests()
        .iter()
        .map(|c| vec![0; c.tally_width()])
        .collect();
    for (sel, w) in selections {
        for (t, s) in totals.iter_mut().zip(sel) {
            for (a, b) in t.iter_mut().zip(s) {
                *a += b * w;
            }
        }
    }
    totals
}

#[test]
fn whole_election_all_kinds_weighted_with_revote_audit_and_every_trustee_subset() {
    // Weighted credentials: the kinds that are summed (a ranked contest needs weight 1).
    let contests = summed_kinds_contests();
    let e = Election::new(contests.clone(), 3, 2, 5, |i| 1 + (i as u64 % 3));
    let mut r = rng("whole-election");
    let mut cast: Vec<(Ballot, u64)> = Vec::new();
    let mut counted: Vec<(Vec<Vec<u64>>, u64)> = Vec::new();
    for (i, cred) in e.creds.iter().enumerate() {
        let w = e.list.weight_of(&cred.public_key()).unwrap();
        let sel = selection_for(&contests, i);
        cast.push((support::cast(&e.ballot_ctx, cred, w, &sel, &mut r), w));
        if i != 0 {
            counted.push((sel, w));
        }
    }
    // Voter 0 revotes: only the last ballot counts.
    let revote_sel = selection_for(&contests, 17);
    let w0 = e.list.weight_of(&e.creds[0].public_key()).unwrap();
    let revote = support::cast(&e.ballot_ctx, &e.creds[0], w0, &revote_sel, &mut r);
    counted.push((revote_sel, w0));

    // Voter 1 audits a ballot: it opens to the choices and its proofs verify.
    let audit_sel = selection_for(&contests, 3);
    let w1 = e.list.weight_of(&e.creds[1].public_key()).unwrap();
    let (audit_ballot, secrets) = ballot::encrypt(
        &e.ballot_ctx,
        &e.creds[1].public_key(),
        w1,
        0,
        &audit_sel,
        &mut r,
    )
    .unwrap();
    let tracking_code = audit_ballot.tracking_code();
    let audited = secrets.audit(audit_ballot, &e.creds[1]).unwrap();
    assert_eq!(
        audited.verify(&e.ballot_ctx, w1, &mut r).unwrap(),
        audit_sel
    );
    assert_eq!(audited.encrypted.tracking_code(), tracking_code);
    // The audit's signature is not a cast signature: the audited ballot cannot be posted as cast.
    let as_cast = Ballot {
        encrypted: audited.encrypted.clone(),
        signature: audited.signature,
    };
    assert_eq!(
        ballot::verify(&e.ballot_ctx, as_cast, w1, &mut r).unwrap_err(),
        protocol::Error::BadSignature { what: "ballot" }
    );

    let results = ballot::verify_batch(&e.ballot_ctx, cast.clone(), &mut r);
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    ballot::verify(&e.ballot_ctx, revote.clone(), w0, &mut r).unwrap();

    let mut acc = TallyAccumulator::new(e.manifest());
    for (b, w) in cast.iter().skip(1) {
        acc.add(b, *w).unwrap();
    }
    acc.add(&revote, w0).unwrap();
    let recomputed = acc.finish();
    let encrypted = recomputed.tally().clone();

    let expected = expected_totals(&counted);
    let fp = e.ctx.fingerprint;
    let partials: Vec<_> = e
        .ceremony
        .shares
        .iter()
        .map(|s| tally::partial_decrypt(&fp, s, &recomputed, &mut r))
        .collect();
    for p in &partials {
        let y = e.ceremony.outcome.verification_share(p.trustee).unwrap();
        p.verify(&fp, &y, &encrypted, &mut r).unwrap();
    }
    for subset in [[0, 1], [0, 2], [1, 2]] {
        let chosen: Vec<_> = subset.iter().map(|&k| &partials[k]).collect();
        let res = tally::combine(e.manifest(), e.ctx.total_weight, &encrypted, &chosen).unwrap();
        assert_eq!(res.totals, expected, "subset {subset:?}");
    }
    let all: Vec<_> = partials.iter().collect();
    assert_eq!(
        tally::combine(e.manifest(), e.ctx.total_weight, &encrypted, &all)
            .unwrap()
            .totals,
        expected
    );
    assert!(
        tally::combine(e.manifest(), e.ctx.total_weight, &encrypted, &all[..1]).is_err(),
        "one trustee is below the threshold"
    );
}

#[test]
fn the_counted_view_reads_the_same_ciphertexts_as_a_full_decode_for_every_contest_kind() {
    let e = Election::new(all_kinds_contests(), 3, 2, 3, |_| 1);
    let mut r = rng("counted-view");
    for v in 0..3 {
        let b = cast(
            &e.ballot_ctx,
            &e.creds[v],
            1,
            &all_kinds_selection(v),
            &mut r,
        );
        let bytes = b.to_bytes();
        let view = e.ballot_ctx.counted_view(&bytes).unwrap();
        assert_eq!(view.credential, *b.encrypted.credential.as_bytes());
        assert_eq!(view.board_size, b.encrypted.board_size);
        let full: Vec<Vec<_>> = b
            .encrypted
            .contests
            .iter()
            .map(|c| c.ciphertexts.clone())
            .collect();
        assert_eq!(view.contests, full);
        // Another length is refused before anything is read.
        assert!(e
            .ballot_ctx
            .counted_view(&bytes[..bytes.len() - 1])
            .is_err());
    }
}

#[test]
fn a_voters_device_takes_the_election_key_only_from_data_under_the_signed_fingerprint() {
    use protocol::context::{fingerprint, fingerprint_data, voter_election_key};
    let e = Election::new(all_kinds_contests(), 3, 2, 2, |_| 1);
    let (hash, clc) = (&e.ctx.manifest_hash, &e.ctx.credential_list_commitment);
    let data = fingerprint_data(hash, &e.ctx.ceremony, clc);
    let key = voter_election_key(&data, e.manifest(), hash, &e.ctx.fingerprint).unwrap();
    assert_eq!(key, e.ctx.ceremony.joint_key);
    // Any change to what the board serves breaks the hash.
    for i in 0..data.len() {
        let mut d = data.clone();
        d[i] ^= 0x01;
        assert!(voter_election_key(&d, e.manifest(), hash, &e.ctx.fingerprint).is_err());
    }
    // An administrator who signed the fingerprint of a key that is not the qualified dealers'
    // sum (one only they know the secret of) is refused by the device too (V7).
    let mut forged = e.ctx.ceremony.clone();
    forged.joint_key = forged.commitments[0][0];
    let forged_fp = fingerprint(hash, &forged, clc);
    let d = fingerprint_data(hash, &forged, clc);
    let err = voter_election_key(&d, e.manifest(), hash, &forged_fp).unwrap_err();
    assert!(err.to_string().contains("not the sum"), "{err}");
    // Another election's data, under its own fingerprint.
    let other = [7u8; 32];
    let d = fingerprint_data(&other, &e.ctx.ceremony, clc);
    let fp = fingerprint(&other, &e.ctx.ceremony, clc);
    let err = voter_election_key(&d, e.manifest(), hash, &fp).unwrap_err();
    assert!(err.to_string().contains("another election"), "{err}");
}

#[test]
fn a_ballot_encrypted_in_steps_is_the_ballot_of_one_call_and_reports_its_progress() {
    let e = Election::new(all_kinds_contests(), 3, 2, 1, |_| 1);
    let cred = &e.creds[0];
    let selection = all_kinds_selection(5);
    let (whole, whole_secrets) = ballot::encrypt(
        &e.ballot_ctx,
        &cred.public_key(),
        1,
        7,
        &selection,
        &mut rng("steps"),
    )
    .unwrap();

    let mut work =
        ballot::BallotEncryption::new(&e.ballot_ctx, &cred.public_key(), 1, 7, &selection).unwrap();
    let total = work.steps_total();
    // 8 contests to encrypt, 8 to commit, the challenge, and a Bulletproof each for the score
    // (0..20 is wider than a disjunction) and the budget contests.
    assert_eq!(total, 2 * 8 + 1 + 2);
    let mut seen = vec![work.steps_done()];
    let mut r = rng("steps");
    while !work.is_done() {
        work.step(&mut r).unwrap();
        seen.push(work.steps_done());
    }
    assert_eq!(
        seen,
        (0..=total).collect::<Vec<_>>(),
        "one step at a time, to the end"
    );
    let (stepped, stepped_secrets) = work.finish().unwrap();
    assert_eq!(stepped, whole, "same seed, same ballot");
    ballot::verify(
        &e.ballot_ctx,
        stepped.clone().cast(cred).unwrap(),
        1,
        &mut rng("v"),
    )
    .unwrap();
    assert_eq!(
        stepped_secrets.audit(stepped, cred).unwrap(),
        whole_secrets.audit(whole, cred).unwrap(),
        "same openings"
    );

    let mut unfinished =
        ballot::BallotEncryption::new(&e.ballot_ctx, &cred.public_key(), 1, 7, &selection).unwrap();
    unfinished.step(&mut rng("steps")).unwrap();
    assert!(
        unfinished.finish().is_none(),
        "no ballot before the last step"
    );

    let mut wrong = selection.clone();
    wrong[0] = vec![1, 1, 0];
    let refused = ballot::BallotEncryption::new(&e.ballot_ctx, &cred.public_key(), 1, 7, &wrong);
    assert!(refused.is_err(), "the rules are checked before any work");
}

#[test]
fn a_short_tracking_code_reads_back_to_the_prefix_of_the_full_code() {
    use protocol::ballot::TrackingCode;
    use rand_core::RngCore;
    let mut r = rng("short codes");
    for _ in 0..200 {
        let mut d = [0u8; 32];
        r.fill_bytes(&mut d);
        let code = TrackingCode(d);
        let prefix: [u8; 15] = d[..15].try_into().unwrap();
        assert_eq!(TrackingCode::parse_short(&code.short()), Some(prefix));
        let typed = code.short().to_lowercase().replace('-', " ");
        assert_eq!(TrackingCode::parse_short(&typed), Some(prefix));
    }
    // Crockford's look-alikes; wrong lengths and letters refused.
    assert_eq!(
        TrackingCode::parse_short("oOiI-lL00-0000-0000-0000-0000"),
        TrackingCode::parse_short("0011-1100-0000-0000-0000-0000")
    );
    for bad in [
        "",
        "0000-0000-0000-0000-0000-000",
        "0000-0000-0000-0000-0000-00000",
        "U000-0000-0000-0000-0000-0000",
        "0000-0000-0000-0000-0000-000!",
    ] {
        assert_eq!(TrackingCode::parse_short(bad), None, "{bad}");
    }
}

/// A ranked contest counts every ballot once (a mixed ranking carries no weight), so a credential
/// list with heavier credentials is refused for it (V8, spec §6.2), and accepted without it.
#[test]
fn a_ranked_contest_needs_every_credential_of_weight_one() {
    let m = manifest(all_kinds_contests(), 3, 2);
    let ceremony = ceremony(&m, "ceremony");
    let (_, weighted) = credentials(3, "voters", |i| 1 + i as u64);
    let e = protocol::context::ElectionContext::new(m.clone(), ceremony.outcome.clone(), &weighted)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("every credential must have weight 1"),
        "{e}"
    );
    let (_, ones) = credentials(3, "voters", |_| 1);
    protocol::context::ElectionContext::new(m, ceremony.outcome.clone(), &ones).unwrap();
    let summed = manifest(summed_kinds_contests(), 3, 2);
    protocol::context::ElectionContext::new(summed, ceremony.outcome, &weighted).unwrap();
}

/// A ranked contest's mix of every listed credential must fit a board's largest upload (V8,
/// spec §6.2): 256 ranks over 40,000 credentials would need about 650 MiB, 3 ranks about 13 MiB.
#[test]
fn a_ranked_contest_whose_mix_would_not_fit_a_board_is_refused() {
    use protocol::manifest::{Contest, ContestKind, ContestOption, RankedMethod};
    use protocol::mixnet::{mix_bytes, MAX_MIX_BYTES};
    assert_eq!(mix_bytes(3, 2), 20 + 64 * 6 + 32 * (15 + 6 + 6));
    let ranked = |ranks: u32| Contest {
        id: "ward".into(),
        title: "Ward".into(),
        kind: ContestKind::Ranked {
            ranks,
            seats: 1,
            method: RankedMethod::ScottishStv,
        },
        options: (0..256)
            .map(|i| ContestOption {
                id: format!("c{i}"),
                title: format!("Candidate {i}"),
            })
            .collect(),
    };
    let (_, list) = credentials(40_000, "many", |_| 1);
    assert!(mix_bytes(list.len(), 256) > MAX_MIX_BYTES);
    assert!(mix_bytes(list.len(), 3) <= MAX_MIX_BYTES);
    let wide = manifest(vec![ranked(256)], 3, 2);
    let e = protocol::context::check_total_weight(&wide, &list).unwrap_err();
    assert!(
        e.to_string().contains("over the 512 MiB a board takes"),
        "{e}"
    );
    let narrow = manifest(vec![ranked(3)], 3, 2);
    protocol::context::check_total_weight(&narrow, &list).unwrap();
}

/// The decryption fingerprint binds the tally and every ranked contest's last mix (§12.11).
#[test]
fn the_decryption_fingerprint_binds_each_last_mix() {
    use protocol::mixnet::decryption_fingerprint;
    let e = Election::new(all_kinds_contests(), 3, 2, 2, |_| 1);
    let mut r = rng("decryption-fingerprint");
    let row = |m: u64, r: &mut rand_chacha::ChaCha20Rng| vec![e.ballot_ctx.key.encrypt(m, r).0];
    let a = vec![row(1, &mut r), row(2, &mut r)];
    let b = vec![row(1, &mut r), row(2, &mut r)];
    let tally = [7u8; 32];
    let base = decryption_fingerprint(&tally, &[(7, &a)]);
    assert_eq!(base, decryption_fingerprint(&tally, &[(7, &a)]));
    assert_ne!(
        base,
        decryption_fingerprint(&tally, &[(7, &b)]),
        "another last mix"
    );
    assert_ne!(
        base,
        decryption_fingerprint(&tally, &[(7, &a[..1])]),
        "one ballot fewer"
    );
    assert_ne!(
        base,
        decryption_fingerprint(&[8; 32], &[(7, &a)]),
        "another tally"
    );
    assert_ne!(
        base,
        decryption_fingerprint(&tally, &[(6, &a)]),
        "another contest"
    );
    assert_ne!(base, decryption_fingerprint(&tally, &[]), "no mix");
}
