//! The proof of shuffle (spec §12.9): an honest mix verifies and decrypts to the same ballots;
//! every change to a ciphertext, the permutation, the proof or the transcript's statement is
//! refused; a mixer that drops, duplicates or replaces a ballot cannot prove it.
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::scalar::Scalar;
use protocol::elgamal::{Ciphertext, ElectionPublicKey};
use protocol::encoding::{Encode, Reader};
use protocol::group::Point;
use protocol::shuffle::{prove, shuffle, verify, Row, ShuffleProof};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const FINGERPRINT: [u8; 32] = [9; 32];

struct Setup {
    x: Scalar,
    key: ElectionPublicKey,
    input: Vec<Row>,
    rng: ChaCha20Rng,
}

/// `n` ballots of width `w`; ballot `i`'s position `k` holds `(i · w + k) mod 7`.
fn setup(n: usize, w: usize) -> Setup {
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    let x = Scalar::from(123_456_789u64);
    let key = ElectionPublicKey::new(Point::from_point(x * G));
    let input = (0..n)
        .map(|i| {
            (0..w)
                .map(|k| key.encrypt(((i * w + k) % 7) as u64, &mut rng).0)
                .collect()
        })
        .collect();
    Setup { x, key, input, rng }
}

fn decrypt(x: &Scalar, c: &Ciphertext) -> u64 {
    let m = c.beta.point() - x * c.alpha.point();
    (0..64)
        .find(|&v| Scalar::from(v) * G == m)
        .expect("a small value")
}

fn mix(s: &mut Setup) -> (Vec<Row>, ShuffleProof, Vec<u32>) {
    let (output, secret) = shuffle(&s.key, &s.input, &mut s.rng).unwrap();
    let psi = secret.permutation().to_vec();
    let proof = prove(&FINGERPRINT, &s.key, &s.input, &output, secret, &mut s.rng).unwrap();
    (output, proof, psi)
}

fn accepts(s: &mut Setup, input: &[Row], output: &[Row], proof: &ShuffleProof) -> bool {
    verify(
        &FINGERPRINT,
        s.key.point(),
        input,
        output,
        proof,
        &mut s.rng,
    )
    .is_ok()
}

#[test]
fn an_honest_mix_verifies_and_decrypts_to_the_same_ballots_in_another_order() {
    let mut s = setup(12, 3);
    let (output, proof, psi) = mix(&mut s);
    let input = s.input.clone();
    assert!(accepts(&mut s, &input, &output, &proof));
    for (i, row) in output.iter().enumerate() {
        let j = psi[i] as usize;
        for (k, c) in row.iter().enumerate() {
            assert_ne!(*c, s.input[j][k], "re-encrypted");
            assert_eq!(decrypt(&s.x, c), ((j * 3 + k) % 7) as u64);
        }
    }
    assert_ne!(psi, (0..12).collect::<Vec<u32>>(), "permuted");
    // The encoding round-trips.
    let mut bytes = Vec::new();
    proof.encode(&mut bytes);
    assert_eq!(bytes.len(), 32 * (5 * 12 + 3 + 2 * 3 + 3 + 3));
    let mut r = Reader::new(&bytes);
    assert_eq!(ShuffleProof::decode(&mut r, 12, 3).unwrap(), proof);
    r.finish("proof").unwrap();
}

#[test]
fn one_ballot_mixes_too() {
    let mut s = setup(1, 2);
    let (output, proof, _) = mix(&mut s);
    let input = s.input.clone();
    assert!(accepts(&mut s, &input, &output, &proof));
}

#[test]
fn any_changed_ciphertext_or_order_is_refused() {
    let mut s = setup(6, 2);
    let (output, proof, _) = mix(&mut s);
    let input = s.input.clone();
    let other = s.key.encrypt(1, &mut s.rng).0;
    for i in 0..6 {
        for k in 0..2 {
            let mut changed = output.clone();
            changed[i][k] = other;
            assert!(!accepts(&mut s, &input, &changed, &proof), "output {i},{k}");
            let mut changed_in = input.clone();
            changed_in[i][k] = other;
            assert!(
                !accepts(&mut s, &changed_in, &output, &proof),
                "input {i},{k}"
            );
        }
    }
    // Two outputs swapped: the same ballots, another permutation than the one committed.
    let mut swapped = output.clone();
    swapped.swap(0, 1);
    assert!(!accepts(&mut s, &input, &swapped, &proof));
    // Components of one ballot swapped.
    let mut inner = output.clone();
    inner[2].swap(0, 1);
    assert!(!accepts(&mut s, &input, &inner, &proof));
}

#[test]
fn a_mixer_that_drops_duplicates_or_replaces_a_ballot_cannot_prove_it() {
    let mut s = setup(5, 1);
    let input = s.input.clone();
    // Dropped: the output is shorter than the input; nothing to prove against.
    let (output, proof, _) = mix(&mut s);
    let dropped: Vec<Row> = output[..4].to_vec();
    assert!(!accepts(&mut s, &input, &dropped, &proof));
    // Duplicated: ballot 0 twice, ballot 1 gone. The mixer proves its own list honestly... and
    // the proof is of a shuffle of another input list.
    let mut stuffed = input.clone();
    stuffed[1] = stuffed[0].clone();
    let (output, secret) = shuffle(&s.key, &stuffed, &mut s.rng).unwrap();
    let proof = prove(&FINGERPRINT, &s.key, &stuffed, &output, secret, &mut s.rng).unwrap();
    assert!(accepts(&mut s, &stuffed, &output, &proof));
    assert!(!accepts(&mut s, &input, &output, &proof));
    // Replaced: one ballot of the mixer's own making in place of a voter's.
    let mut replaced = input.clone();
    replaced[3] = vec![s.key.encrypt(6, &mut s.rng).0];
    let (output, secret) = shuffle(&s.key, &replaced, &mut s.rng).unwrap();
    let proof = prove(&FINGERPRINT, &s.key, &replaced, &output, secret, &mut s.rng).unwrap();
    assert!(!accepts(&mut s, &input, &output, &proof));
}

#[test]
fn every_part_of_the_proof_and_the_statement_is_bound() {
    let mut s = setup(4, 2);
    let input = s.input.clone();
    let (output, proof, _) = mix(&mut s);
    let p = Point::from_point(Scalar::from(5u64) * G);
    let one = Scalar::ONE;
    let mut variants: Vec<(&str, ShuffleProof)> = Vec::new();
    let mut v = proof.clone();
    v.commitments[2] = p;
    variants.push(("commitment", v));
    let mut v = proof.clone();
    v.commitments.swap(0, 3);
    variants.push(("commitments permuted", v));
    let mut v = proof.clone();
    v.chain[1] = p;
    variants.push(("chain", v));
    for i in 0..3 {
        let mut v = proof.clone();
        v.t[i] = p;
        variants.push(("t", v));
        let mut v = proof.clone();
        v.s[i] += one;
        variants.push(("s", v));
    }
    let mut v = proof.clone();
    v.t4[1][0] = p;
    variants.push(("t4 α", v));
    let mut v = proof.clone();
    v.t4[0][1] = p;
    variants.push(("t4 β", v));
    let mut v = proof.clone();
    v.t_hat[3] = p;
    variants.push(("t̂", v));
    let mut v = proof.clone();
    v.s4[1] += one;
    variants.push(("s4", v));
    let mut v = proof.clone();
    v.s_hat[0] += one;
    variants.push(("ŝ", v));
    let mut v = proof.clone();
    v.s_prime[2] += one;
    variants.push(("s'", v));
    for (what, v) in &variants {
        assert!(!accepts(&mut s, &input, &output, v), "{what}");
    }
    // Another election's fingerprint, another key: another transcript.
    assert!(verify(&[8; 32], s.key.point(), &input, &output, &proof, &mut s.rng).is_err());
    let other_key = Point::from_point(Scalar::from(99u64) * G);
    assert!(verify(
        &FINGERPRINT,
        &other_key,
        &input,
        &output,
        &proof,
        &mut s.rng
    )
    .is_err());
    // A proof for other lengths is refused before any arithmetic.
    let mut short = proof.clone();
    short.s_prime.pop();
    assert!(!accepts(&mut s, &input, &output, &short));
    assert!(accepts(&mut s, &input, &output, &proof));
}

/// Large enough that the prover's constant-time sums and the batch verifier work in chunks
/// (4,096 points; 65,536 terms): the chunked sums are the whole sums.
#[test]
fn a_mix_larger_than_one_chunk_verifies_and_a_change_in_the_last_chunk_is_refused() {
    let mut s = setup(8000, 1);
    let (output, proof, _) = mix(&mut s);
    let input = s.input.clone();
    assert!(accepts(&mut s, &input, &output, &proof));
    let mut changed = output.clone();
    changed[7999][0] = s.key.encrypt(3, &mut s.rng).0;
    assert!(!accepts(&mut s, &input, &changed, &proof));
}
