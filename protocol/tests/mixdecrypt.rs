//! Decrypting the last mix (spec §12.10): every trustee's shares verify with one batched proof,
//! any `t` of them combine to the ballots the voters cast (in the mix's order), and a share that
//! does not use the trustee's key is named.
mod support;

use protocol::group::Point;
use protocol::mixdecrypt::{combine, decrypt_share, MixDecryption};
use protocol::shuffle::{prove, shuffle, verify, Row};
use support::*;

#[test]
fn trustees_decrypt_a_verified_mix_to_the_cast_rankings() {
    let e = Election::new(all_kinds_contests(), 3, 2, 1, |_| 1);
    let key = &e.ballot_ctx.key;
    let fp = e.ctx.fingerprint;
    let mut r = rng("mix-decryption");
    let rankings: Vec<Vec<u64>> = vec![
        vec![1, 2, 3],
        vec![2, 1, 0],
        vec![4, 0, 0],
        vec![3, 4, 1],
        vec![0, 0, 0],
    ];
    let input: Vec<Row> = rankings
        .iter()
        .map(|row| row.iter().map(|&v| key.encrypt(v, &mut r).0).collect())
        .collect();
    let (mixed, secret) = shuffle(key, &input, &mut r).unwrap();
    let psi = secret.permutation().to_vec();
    let proof = prove(&fp, key, &input, &mixed, secret, &mut r).unwrap();
    verify(&fp, key.point(), &input, &mixed, &proof, &mut r).unwrap();

    let shares: Vec<MixDecryption> = e
        .ceremony
        .shares
        .iter()
        .map(|s| decrypt_share(&fp, s, &mixed, &mut r))
        .collect();
    for s in &shares {
        let y = e.ceremony.outcome.verification_share(s.trustee).unwrap();
        s.verify(&fp, &y, &mixed).unwrap();
        // The encoding round-trips with the mix's shape.
        let mut bytes = Vec::new();
        protocol::encoding::Encode::encode(s, &mut bytes);
        let mut reader = protocol::encoding::Reader::new(&bytes);
        assert_eq!(&MixDecryption::decode(&mut reader, 5, 3).unwrap(), s);
        reader.finish("shares").unwrap();
    }
    let expected: Vec<Vec<u64>> = psi.iter().map(|&j| rankings[j as usize].clone()).collect();
    for subset in [[0, 1], [0, 2], [1, 2]] {
        let chosen: Vec<&MixDecryption> = subset.iter().map(|&k| &shares[k]).collect();
        assert_eq!(
            combine(&mixed, &chosen, 2, 4).unwrap(),
            expected,
            "{subset:?}"
        );
    }
}

#[test]
fn a_share_that_does_not_use_the_key_share_is_named() {
    let e = Election::new(all_kinds_contests(), 3, 2, 1, |_| 1);
    let key = &e.ballot_ctx.key;
    let fp = e.ctx.fingerprint;
    let mut r = rng("mix-decryption-forged");
    let rows: Vec<Row> = (0..4)
        .map(|i| (0..2).map(|k| key.encrypt((i + k) % 3, &mut r).0).collect())
        .collect();
    let honest = decrypt_share(&fp, &e.ceremony.shares[1], &rows, &mut r);
    let y = e
        .ceremony
        .outcome
        .verification_share(honest.trustee)
        .unwrap();
    honest.verify(&fp, &y, &rows).unwrap();
    // One share replaced (by another ciphertext's share): the batched proof fails, naming trustee 2.
    let mut forged = honest.clone();
    forged.shares[2][1] = forged.shares[0][0];
    let err = forged.verify(&fp, &y, &rows).unwrap_err();
    assert!(err.to_string().contains('2'), "{err}");
    // Shares swapped between two ciphertexts: refused too.
    let mut swapped = honest.clone();
    let (a, b) = (swapped.shares[1][0], swapped.shares[3][1]);
    swapped.shares[1][0] = b;
    swapped.shares[3][1] = a;
    assert!(swapped.verify(&fp, &y, &rows).is_err());
    // Against another trustee's key, another election's fingerprint, or other rows: refused.
    let other_y = e.ceremony.outcome.verification_share(1).unwrap();
    assert!(honest.verify(&fp, &other_y, &rows).is_err());
    assert!(honest.verify(&[0; 32], &y, &rows).is_err());
    let mut other_rows = rows.clone();
    other_rows.swap(0, 1);
    assert!(honest.verify(&fp, &y, &other_rows).is_err());
    assert!(honest.verify(&fp, &y, &rows[..3]).is_err());
    // A forged share that slipped through would decrypt to no option number, not to a wrong one
    // silently: combine refuses it.
    let mut bad = e
        .ceremony
        .shares
        .iter()
        .map(|s| decrypt_share(&fp, s, &rows, &mut r))
        .collect::<Vec<_>>();
    bad[0].shares[0][0] = Point::from_point(protocol::group::mul_g(999));
    let chosen: Vec<&MixDecryption> = bad.iter().take(2).collect();
    assert!(combine(&rows, &chosen, 2, 2).is_err());
    // Fewer than t, or one trustee twice, or shares of other rows: refused, never a panic.
    let good: Vec<MixDecryption> = e
        .ceremony
        .shares
        .iter()
        .map(|s| decrypt_share(&fp, s, &rows, &mut r))
        .collect();
    assert!(combine(&rows, &[&good[0]], 2, 2).is_err());
    assert!(combine(&rows, &[&good[0], &good[0]], 2, 2).is_err());
    assert!(combine(&rows[..2], &[&good[0], &good[1]], 2, 2).is_err());
    assert!(combine(&rows, &[&good[0], &good[1]], 2, 2).is_ok());
}
