//! The key ceremony (V4–V6) and the tally ceremony (V13–V14), honest and with cheaters.
mod support;

use curve25519_dalek::scalar::Scalar;
use protocol::dkg::{self, CeremonyParams, CeremonyRecord, Complaint, KeyShare, Round1Set};
use protocol::group::Point;
use protocol::tally::{self, TallyAccumulator};
use protocol::Error;
use support::*;

fn params(n: u32, t: u32) -> (protocol::manifest::Manifest, CeremonyParams) {
    let m = manifest(all_kinds_contests(), n, t);
    let p = CeremonyParams::from_manifest(&m);
    (m, p)
}

/// Runs round 1 and dealing; returns the public set, the round-2 secrets and packages.
fn dealt(
    p: &CeremonyParams,
    seed: &str,
) -> (Round1Set, Vec<dkg::Round2Secret>, Vec<dkg::Round2Package>) {
    let mut r = rng(seed);
    let (s1, pk1): (Vec<_>, Vec<_>) = (1..=p.n)
        .map(|i| dkg::round1(p, i, &mut r).unwrap())
        .unzip();
    let set = Round1Set::verify(p, pk1).unwrap();
    let (s2, pk2) = s1.into_iter().map(|s| s.deal(p, &set)).unzip();
    (set, s2, pk2)
}

#[test]
fn tampered_share_is_caught_by_complaint_and_the_dealer_is_named() {
    let (_, p) = params(5, 3);
    let (set, secrets, mut round2) = dealt(&p, "tamper");
    // Dealer 2 sends trustee 4 a share that is off by one.
    let to4 = round2[1]
        .shares
        .iter_mut()
        .find(|s| s.recipient == 4)
        .unwrap();
    to4.masked += Scalar::ONE;
    let mut r = rng("tamper-check");
    let complaints: Vec<Complaint> = secrets
        .iter()
        .flat_map(|s| s.check_shares(&p, &set, &round2, &mut r))
        .collect();
    assert_eq!(complaints.len(), 1);
    assert_eq!((complaints[0].complainer, complaints[0].accused), (4, 2));
    let outcome = CeremonyRecord {
        round1: &set,
        round2: &round2,
        complaints: &complaints,
    }
    .outcome(&p, &mut r)
    .unwrap();
    assert_eq!(outcome.qualified, vec![1, 3, 4, 5]);
    assert_eq!(
        outcome.disqualified,
        vec![(2, "sent a share that fails its commitments")]
    );
    // The ceremony completes without the culprit: every qualified trustee's share matches Yⱼ.
    let shares: Vec<KeyShare> = secrets
        .into_iter()
        .filter_map(|s| s.finish(&p, &set, &round2, &outcome).ok())
        .collect();
    assert_eq!(
        shares.iter().map(|s| s.index()).collect::<Vec<_>>(),
        vec![1, 3, 4, 5]
    );
}

#[test]
fn a_false_complaint_names_the_complainer() {
    let (_, p) = params(3, 2);
    let (set, secrets, round2) = dealt(&p, "false");
    let mut r = rng("false-check");
    // Trustee 1 had a good share from 3 but complains anyway, with an honest DLEQ: the share decrypts fine.
    let mut forged = secrets[0].check_shares(&p, &set, &round2, &mut r);
    assert!(forged.is_empty());
    let mut bad3 = round2.clone();
    bad3[2].shares[0].masked += Scalar::ONE; // make a real complaint ...
    forged = secrets[0].check_shares(&p, &set, &bad3, &mut r);
    assert_eq!(forged.len(), 1);
    // ... and post it against the untampered round 2.
    let outcome = CeremonyRecord {
        round1: &set,
        round2: &round2,
        complaints: &forged,
    }
    .outcome(&p, &mut r)
    .unwrap();
    assert_eq!(outcome.disqualified, vec![(1, "filed a false complaint")]);
    // A complaint whose DLEQ proof is wrong also names the complainer.
    let mut garbled = forged[0].clone();
    garbled.proof.z += Scalar::ONE;
    assert_eq!(
        garbled.culprit(&p, &set, Some(&round2[2]), &mut r).unwrap(),
        1
    );
}

#[test]
fn round1_errors_name_the_trustee() {
    let (_, p) = params(3, 2);
    let mut r = rng("r1");
    let pk: Vec<_> = (1..=3)
        .map(|i| dkg::round1(&p, i, &mut r).unwrap().1)
        .collect();
    let mut bad = pk.clone();
    bad[1].commitments[0] = pk[0].commitments[0]; // trustee 2 copies trustee 1's key part
    assert_eq!(
        Round1Set::verify(&p, bad).unwrap_err(),
        Error::TrusteeProof {
            trustee: 2,
            what: "round 1 proof of knowledge"
        }
    );
    let mut twice = pk.clone();
    twice.push(pk[2].clone());
    assert_eq!(
        Round1Set::verify(&p, twice).unwrap_err(),
        Error::TrusteeMisbehaved {
            trustee: 3,
            reason: "posted round 1 twice"
        }
    );
    assert!(matches!(
        Round1Set::verify(&p, pk[..2].to_vec()),
        Err(Error::Ceremony(_))
    ));
    // A proof from another election's ceremony does not verify here (the ceremony hash is bound).
    let (_, other) = params(3, 2);
    let other = CeremonyParams {
        context: [9; 32],
        ..other
    };
    assert!(pk[0].verify(&other).is_err());
}

#[test]
fn missing_round2_disqualifies_and_too_few_qualified_fails() {
    let (_, p) = params(3, 2);
    let (set, _, round2) = dealt(&p, "missing");
    let mut r = rng("missing-check");
    let outcome = CeremonyRecord {
        round1: &set,
        round2: &round2[..2],
        complaints: &[],
    }
    .outcome(&p, &mut r)
    .unwrap();
    assert_eq!(outcome.qualified, vec![1, 2]);
    assert_eq!(outcome.disqualified, vec![(3, "posted no round 2 shares")]);
    let err = CeremonyRecord {
        round1: &set,
        round2: &round2[..1],
        complaints: &[],
    }
    .outcome(&p, &mut r)
    .unwrap_err();
    assert!(matches!(err, Error::Ceremony(_)));
}

#[test]
fn key_share_storage_round_trips_and_never_prints_the_secret() {
    let e = Election::new(all_kinds_contests(), 3, 2, 1, |_| 1);
    let share = &e.ceremony.shares[0];
    let bytes = share.to_secret_bytes();
    let back = KeyShare::from_secret_bytes(&bytes).unwrap();
    assert_eq!(back.verification_share(), share.verification_share());
    let debug = format!("{share:?}");
    assert!(!debug.contains(&hex::encode(&bytes[4..36])), "{debug}");
    let mut wrong = bytes.to_vec();
    wrong[4] ^= 1;
    assert!(KeyShare::from_secret_bytes(&wrong).is_err());
}

fn tally_of(e: &Election, voters: usize) -> (tally::RecomputedTally, Vec<Vec<u64>>) {
    let mut r = rng("tally-ballots");
    let mut acc = TallyAccumulator::new(e.manifest());
    let mut expected: Vec<Vec<u64>> = e
        .manifest()
        .contests
        .iter()
        .map(|c| vec![0; c.tally_width()])
        .collect();
    for (i, cred) in e.creds.iter().take(voters).enumerate() {
        let w = e.list.weight_of(&cred.public_key()).unwrap();
        let sel = selection_for(&e.manifest().contests, i);
        let b = support::cast(&e.ballot_ctx, cred, w, &sel, &mut r);
        acc.add(&b, w).unwrap();
        for (t, s) in expected.iter_mut().zip(&sel) {
            for (a, v) in t.iter_mut().zip(s) {
                *a += v * w;
            }
        }
    }
    (acc.finish(), expected)
}

#[test]
fn three_of_five_with_zero_one_and_two_trustees_absent() {
    let e = Election::new(summed_kinds_contests(), 5, 3, 6, |i| 1 + i as u64 % 2);
    let (recomputed, expected) = tally_of(&e, 6);
    let encrypted = recomputed.tally().clone();
    let mut r = rng("absent");
    let fp = e.ctx.fingerprint;
    let partials: Vec<_> = e
        .ceremony
        .shares
        .iter()
        .map(|s| tally::partial_decrypt(&fp, s, &recomputed, &mut r))
        .collect();
    for present in [
        vec![1, 2, 3, 4, 5],
        vec![1, 3, 4, 5],
        vec![2, 4, 5],
        vec![1, 2, 3],
    ] {
        let chosen: Vec<_> = partials
            .iter()
            .filter(|p| present.contains(&p.trustee))
            .collect();
        for p in &chosen {
            p.verify(
                &fp,
                &e.ceremony.outcome.verification_share(p.trustee).unwrap(),
                &encrypted,
                &mut r,
            )
            .unwrap();
        }
        assert_eq!(
            tally::combine(e.manifest(), e.ctx.total_weight, &encrypted, &chosen)
                .unwrap()
                .totals,
            expected,
            "present {present:?}"
        );
    }
}

#[test]
fn a_forged_partial_decryption_is_named_and_the_tally_completes_without_it() {
    let e = Election::new(all_kinds_contests(), 5, 3, 4, |_| 1);
    let (recomputed, expected) = tally_of(&e, 4);
    let encrypted = recomputed.tally().clone();
    let mut r = rng("forged-share");
    let fp = e.ctx.fingerprint;
    let mut partials: Vec<_> = e
        .ceremony
        .shares
        .iter()
        .map(|s| tally::partial_decrypt(&fp, s, &recomputed, &mut r))
        .collect();
    // Trustee 2 shifts one share by G (which would add one vote) and keeps its proof.
    let d = &mut partials[1].shares[0][0];
    *d = Point::from_point(d.point() + protocol::group::g());
    let mut valid = Vec::new();
    for p in &partials {
        match p.verify(
            &fp,
            &e.ceremony.outcome.verification_share(p.trustee).unwrap(),
            &encrypted,
            &mut r,
        ) {
            Ok(()) => valid.push(p),
            Err(err) => assert_eq!(
                err,
                Error::TrusteeProof {
                    trustee: 2,
                    what: "partial decryption proof"
                }
            ),
        }
    }
    assert_eq!(valid.len(), 4);
    assert_eq!(
        tally::combine(e.manifest(), e.ctx.total_weight, &encrypted, &valid)
            .unwrap()
            .totals,
        expected
    );
    // A proof made for another tally (one ballot fewer) does not verify against this one.
    let (smaller, _) = tally_of(&e, 3);
    let other = tally::partial_decrypt(&fp, &e.ceremony.shares[0], &smaller, &mut r);
    assert!(other
        .verify(
            &fp,
            e.ceremony.shares[0].verification_share(),
            &encrypted,
            &mut r
        )
        .is_err());
}

#[test]
fn totals_beyond_the_bound_are_refused_and_dlog_is_exact() {
    let table = tally::DlogTable::new(10_000);
    for m in [0u64, 1, 99, 100, 101, 9_999, 10_000] {
        assert_eq!(table.solve(&protocol::group::mul_g(m)), Some(m));
    }
    assert_eq!(table.solve(&protocol::group::mul_g(10_001)), None);
    assert_eq!(table.solve(&protocol::group::mul_g(123_456)), None);
}

#[test]
fn lagrange_coefficients_interpolate_at_zero() {
    // f(x) = 7 + 3x + 5x²: any three points recover f(0) = 7.
    let f = |x: u64| Scalar::from(7 + 3 * x + 5 * x * x);
    for set in [[1u32, 2, 3], [2, 4, 5], [1, 3, 5]] {
        let l = tally::lagrange_at_zero(&set);
        let sum: Scalar = set.iter().zip(&l).map(|(&x, li)| f(x as u64) * li).sum();
        assert_eq!(sum, Scalar::from(7u64));
    }
}
