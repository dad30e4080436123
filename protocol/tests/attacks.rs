//! One negative test per attack the specification names (spec §14, "Attacks and the checks that
//! stop them").
mod support;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use protocol::ballot::{self, Ballot, BallotContext};
use protocol::batch::BatchVerifier;
use protocol::elgamal::{ElectionPublicKey, SumCiphertext};
use protocol::encoding::{Decode, Encode};
use protocol::group::{self, Point};
use protocol::proofs::disjunctive::DisjunctiveProver;
use protocol::proofs::equality::EqualityProver;
use protocol::proofs::range::{self, RangeGenerators};
use protocol::signature;
use protocol::transcript::ProofTranscript;
use protocol::Error;
use support::*;

fn election() -> Election {
    Election::new(all_kinds_contests(), 3, 2, 3, |_| 1)
}

fn cast(e: &Election, voter: usize, v: usize) -> Ballot {
    let mut r = rng(&format!("attack-{voter}-{v}"));
    support::cast(
        &e.ballot_ctx,
        &e.creds[voter],
        1,
        &all_kinds_selection(v),
        &mut r,
    )
}

/// Voter 2's audited ballot.
fn audit(
    e: &Election,
    r: &mut (impl rand_core::RngCore + rand_core::CryptoRng),
) -> ballot::AuditedBallot {
    let (encrypted, secrets) = ballot::encrypt(
        &e.ballot_ctx,
        &e.creds[2].public_key(),
        1,
        0,
        &all_kinds_selection(2),
        r,
    )
    .unwrap();
    secrets.audit(encrypted, &e.creds[2]).unwrap()
}

fn resign(mut b: Ballot, cred: &protocol::signature::SecretKey) -> Ballot {
    b.encrypted.credential = cred.public_key();
    b.signature = cred.sign(signature::tags::BALLOT, &b.encrypted.to_bytes());
    b
}

/// Lesson 2 (Cortier–Smyth): a copied ballot re-signed by another credential fails, because the
/// credential is in the proofs' transcript.
#[test]
fn ballot_copying_is_rejected() {
    let e = election();
    let mut r = rng("copy");
    let victim = cast(&e, 0, 1);
    let copied = resign(victim.clone(), &e.creds[1]);
    assert!(copied.signature != victim.signature);
    let err = ballot::verify(&e.ballot_ctx, copied, 1, &mut r).unwrap_err();
    assert!(matches!(err, Error::InvalidProof { .. }), "{err:?}");
}

/// A ballot whose signature is not the credential's is refused before any proof is checked.
#[test]
fn forged_signature_is_rejected() {
    let e = election();
    let mut r = rng("sig");
    let mut b = cast(&e, 0, 1);
    b.signature[5] ^= 1;
    assert_eq!(
        ballot::verify(&e.ballot_ctx, b, 1, &mut r).unwrap_err(),
        Error::BadSignature { what: "ballot" }
    );
}

/// Lesson 1 (weak Fiat–Shamir): the challenge binds the whole statement, so a valid proof does not
/// transfer to any other statement: another election, weight, ciphertext or bound.
#[test]
fn strong_fiat_shamir_binds_every_statement_element() {
    let e = election();
    let mut r = rng("fs");
    let b = cast(&e, 0, 2);
    // Another election: same manifest and key, other fingerprint.
    let mut other_fp = e.ctx.fingerprint;
    other_fp[0] ^= 1;
    let other_ctx = BallotContext::new(e.manifest(), e.ctx.ceremony.joint_key, other_fp);
    let mut moved = b.clone();
    moved.encrypted.fingerprint = other_fp;
    let moved = resign(moved, &e.creds[0]);
    let err = ballot::verify(&other_ctx, moved, 1, &mut r).unwrap_err();
    assert!(matches!(err, Error::InvalidProof { .. }), "{err:?}");
    // Another weight.
    assert!(ballot::verify(&e.ballot_ctx, b.clone(), 2, &mut r).is_err());
    // Another ciphertext, swapped in from a different valid ballot of the same voter.
    let other = cast(&e, 0, 3);
    let mut swapped = b.clone();
    swapped.encrypted.contests[0].ciphertexts[0] = other.encrypted.contests[0].ciphertexts[0];
    assert!(ballot::verify(&e.ballot_ctx, resign(swapped, &e.creds[0]), 1, &mut r).is_err());
    // Other bounds: the same ballot under a manifest whose committee contest allows 1..=4.
    let mut looser = e.manifest().clone();
    looser.contests[2].kind = protocol::manifest::ContestKind::Choose { min: 1, max: 4 };
    let looser_ctx = BallotContext::new(&looser, e.ctx.ceremony.joint_key, e.ctx.fingerprint);
    assert!(ballot::verify(&looser_ctx, b.clone(), 1, &mut r).is_err());
    // And the untouched ballot is fine.
    ballot::verify(&e.ballot_ctx, b, 1, &mut r).unwrap();
}

/// Out-of-range values: the honest API refuses them, and a ballot whose ciphertext is replaced by an
/// encryption of 2 (for a 0/1 option) fails its disjunctive proof.
#[test]
fn out_of_range_values_are_rejected() {
    let e = election();
    let mut r = rng("range");
    let mut sel = all_kinds_selection(0);
    sel[0] = vec![2, 0, 0];
    let err =
        ballot::encrypt(&e.ballot_ctx, &e.creds[0].public_key(), 1, 0, &sel, &mut r).unwrap_err();
    assert!(matches!(err, Error::InvalidSelection { contest: 0, .. }));
    let mut b = cast(&e, 0, 0);
    let (two, _) = e.ballot_ctx.key.encrypt(2, &mut r);
    b.encrypted.contests[0].ciphertexts[1] = two;
    assert!(ballot::verify(&e.ballot_ctx, resign(b, &e.creds[0]), 1, &mut r).is_err());
    // Score above its maximum (range-proved) and too many committee members.
    for (contest, values) in [
        (4, vec![21, 0, 0]),
        (2, vec![1, 1, 1, 1, 1]),
        (5, vec![5, 5, 1]),
    ] {
        let mut sel = all_kinds_selection(0);
        sel[contest] = values;
        assert!(
            ballot::encrypt(&e.ballot_ctx, &e.creds[0].public_key(), 1, 0, &sel, &mut r).is_err()
        );
    }
}

/// Over budget: selecting every project (cost 140,000 > 100,000) is refused, and the honest range
/// proof cannot be stretched to it.
#[test]
fn over_budget_is_rejected() {
    let e = election();
    let mut r = rng("budget");
    let mut sel = all_kinds_selection(0);
    sel[6] = vec![1, 1, 1, 1];
    let err =
        ballot::encrypt(&e.ballot_ctx, &e.creds[0].public_key(), 1, 0, &sel, &mut r).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidSelection {
            contest: 6,
            reason: "selections cost more than the budget"
        }
    );
    // Swap in the budget contest's ciphertexts for "everything" from another ballot: the range part fails.
    let mut b = cast(&e, 0, 0);
    let everything: Vec<_> = [1u64, 1, 1, 1]
        .iter()
        .map(|&m| e.ballot_ctx.key.encrypt(m, &mut r).0)
        .collect();
    b.encrypted.contests[6].ciphertexts = everything;
    assert!(ballot::verify(&e.ballot_ctx, resign(b, &e.creds[0]), 1, &mut r).is_err());
}

/// Lesson 5 (trapdoor generators), with every trustee colluding with the voter: they know
/// `k = log_G K`. They commit to an in-range `u_fake` for the Bulletproof and, using `k`, open the same
/// commitment to the real (over-budget, "negative") value for the equality proof. Had the election
/// key been the Pedersen blinding base, both proofs would verify; Thistle's `H` is hashed from a
/// label, so the same forgery fails.
#[test]
fn trustees_colluding_cannot_forge_an_over_budget_range_proof() {
    let k = Scalar::from(987_654_321u64);
    let key = ElectionPublicKey::new(Point::from_point(RISTRETTO_BASEPOINT_TABLE * &k));
    let trapdoor = *key.point().point();
    assert!(
        forge(&key, k, trapdoor),
        "sanity: with K as blinding base the forgery verifies"
    );
    assert!(
        !forge(&key, k, group::pedersen_blinding()),
        "with Thistle's H it must fail"
    );
}

/// Attempts the forgery against a verifier whose Pedersen blinding base is `verifier_h`; the prover
/// always equivocates through the election key it can open. Returns whether everything verified.
fn forge(
    key: &ElectionPublicKey,
    k: Scalar,
    verifier_h: curve25519_dalek::ristretto::RistrettoPoint,
) -> bool {
    let mut r = rng("trapdoor");
    let (budget, total) = (100_000u64, 140_000u64);
    let rho = Scalar::random(&mut r);
    let ct = key.encrypt_with(total, &protocol_randomness(rho));
    // The claim proves u = budget − T ∈ [0, 2^32) on the derived ciphertext (−α, budget·G − β).
    let u_real = Scalar::from(budget) - Scalar::from(total);
    let (derived_alpha, derived_beta) =
        (-*ct.alpha.point(), group::mul_g(budget) - ct.beta.point());
    let trapdoor_h = *key.point().point();
    let (u_fake, s_fake) = (5u64, Scalar::random(&mut r));
    let v = Point::from_point(group::mul_g(u_fake) + trapdoor_h * s_fake);
    let s_real = s_fake + (Scalar::from(u_fake) - u_real) * k.invert();

    let mut t = ProofTranscript::new(b"attack", b"fingerprint", &[7; 32]);
    t.point(b"V", &v);
    let eq = EqualityProver::commit(key, &trapdoor_h, &u_real, &-rho, &s_real, &mut r);
    eq.append(&mut t);
    let c = t.challenge(b"challenge");
    let eq = eq.respond(&c);
    let mut gens = RangeGenerators::new(32, 1);
    gens.pedersen.B_blinding = trapdoor_h;
    let bp = range::prove(&gens, &mut t, &[u_fake], &[s_fake], 32, &mut r).unwrap();

    let mut vt = ProofTranscript::new(b"attack", b"fingerprint", &[7; 32]);
    vt.point(b"V", &v);
    eq.append(&mut vt);
    let vc = vt.challenge(b"challenge");
    let mut batch = BatchVerifier::with_capacity(8);
    let coef = eq.verify_into(&vc, v.point(), &mut batch, &mut r);
    batch.add_term(coef.alpha, derived_alpha);
    batch.add_term(coef.beta, derived_beta);
    let sigma_ok = batch.verify(key.point().point(), &verifier_h);
    let mut verifier_gens = RangeGenerators::new(32, 1);
    verifier_gens.pedersen.B_blinding = verifier_h;
    let range_ok = range::verify(&verifier_gens, &mut vt, &bp, &[v], 32, &mut r).is_ok();
    sigma_ok && range_ok
}

fn protocol_randomness(s: Scalar) -> protocol::elgamal::Randomness {
    protocol::elgamal::Randomness::from_scalar(s)
}

/// The honest disjunctive prover refuses nothing by itself, but a proof for a value outside its
/// branches cannot verify: simulate the real branch for value 2 in a {0, 1} proof.
#[test]
fn disjunctive_proof_of_a_value_outside_its_branches_fails() {
    let mut r = rng("disj");
    let key = ElectionPublicKey::new(Point::from_point(
        RISTRETTO_BASEPOINT_TABLE * &Scalar::from(99u64),
    ));
    let rr = Scalar::random(&mut r);
    let ct = key.encrypt_with(2, &protocol_randomness(rr));
    let mut sum = SumCiphertext::default();
    sum.add(&ct);
    // Claim the value is 1 (the prover's real branch) when it is 2.
    let mut prover = DisjunctiveProver::commit(&key, &sum, 0, 1, 1, &rr, &mut r);
    protocol::proofs::disjunctive::compress_commitments([&mut prover]);
    let mut t = ProofTranscript::new(b"test", b"fingerprint", &[1; 32]);
    prover.append(&mut t);
    let c = t.challenge(b"challenge");
    let proof = prover.respond(&c);
    let mut vt = ProofTranscript::new(b"test", b"fingerprint", &[1; 32]);
    proof.append(&mut vt);
    let vc = vt.challenge(b"challenge");
    let mut batch = BatchVerifier::with_capacity(8);
    let coef = proof
        .verify_into(&vc, 0, 1, &mut batch, &mut r, "test")
        .unwrap();
    batch.add_term(coef.alpha, *ct.alpha.point());
    batch.add_term(coef.beta, *ct.beta.point());
    assert!(!batch.verify(key.point().point(), &group::pedersen_blinding()));
}

/// Canonical form: a ballot must decode to itself, and any trailing byte is refused.
#[test]
fn ballots_are_canonical() {
    let e = election();
    let b = cast(&e, 1, 4);
    let bytes = b.to_bytes();
    assert_eq!(Ballot::from_bytes(&bytes).unwrap(), b);
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Ballot::from_bytes(&longer),
        Err(Error::TrailingBytes { .. })
    ));
    // The top bit of a ciphertext point (non-canonical) is refused at decoding.
    let mut flipped = bytes.clone();
    let offset = 32 + 32 + 8 + 4 + 4 + 31; // fingerprint, credential, board size, counts, α's last byte
    flipped[offset] |= 0x80;
    assert!(matches!(
        Ballot::from_bytes(&flipped),
        Err(Error::NonCanonicalPoint { .. })
    ));
}

/// A ballot for another election is refused by fingerprint before anything else.
#[test]
fn ballot_from_another_election_is_refused() {
    let e = election();
    let mut r = rng("other");
    let mut b = cast(&e, 0, 0);
    b.encrypted.fingerprint[31] ^= 0xff;
    let b = resign(b, &e.creds[0]);
    assert!(matches!(
        ballot::verify(&e.ballot_ctx, b, 1, &mut r),
        Err(Error::WrongElection { .. })
    ));
}

/// A proof moved to another option of the same contest, or a changed board size, fails: every
/// proof is bound to its place and the board size is in the statement.
#[test]
fn moved_proofs_and_a_changed_board_size_are_rejected() {
    let e = election();
    let mut r = rng("moved");
    let b = cast(&e, 0, 1);
    let mut moved = b.clone();
    moved.encrypted.contests[0].disjunctive.swap(0, 1);
    assert!(ballot::verify(&e.ballot_ctx, resign(moved, &e.creds[0]), 1, &mut r).is_err());
    let mut later = b.clone();
    later.encrypted.board_size = 1_000;
    assert!(matches!(
        ballot::verify(&e.ballot_ctx, resign(later, &e.creds[0]), 1, &mut r),
        Err(Error::InvalidProof { .. })
    ));
    ballot::verify(&e.ballot_ctx, b, 1, &mut r).unwrap();
}

/// Lesson 7's cousin: whoever relays an audit cannot post it as a cast ballot, because the audit is
/// signed under its own tag.
#[test]
fn an_audited_ballot_cannot_be_cast() {
    let e = election();
    let mut r = rng("audit-cast");
    let audited = audit(&e, &mut r);
    let as_cast = Ballot {
        encrypted: audited.encrypted.clone(),
        signature: audited.signature,
    };
    assert_eq!(
        ballot::verify(&e.ballot_ctx, as_cast, 1, &mut r).unwrap_err(),
        Error::BadSignature { what: "ballot" }
    );
    // And an audit cannot be made with another voter's credential.
    let (encrypted, secrets) = ballot::encrypt(
        &e.ballot_ctx,
        &e.creds[2].public_key(),
        1,
        0,
        &all_kinds_selection(2),
        &mut r,
    )
    .unwrap();
    assert!(secrets.audit(encrypted, &e.creds[1]).is_err());
}

/// The board refuses a ballot of the wrong length before decoding it.
#[test]
fn ballots_of_the_wrong_length_are_refused_before_decoding() {
    let e = election();
    let b = cast(&e, 0, 1);
    let bytes = b.to_bytes();
    assert_eq!(bytes.len(), e.ballot_ctx.encrypted_ballot_len() + 64);
    assert_eq!(e.ballot_ctx.decode_ballot(&bytes).unwrap(), b);
    // An audited ballot is the longest voter entry: it sizes the board's body limit (§13.8).
    let audited = audit(&e, &mut rng("attack-audit-length"));
    assert_eq!(audited.to_bytes().len(), e.ballot_ctx.max_voter_entry_len());
    assert!(bytes.len() < e.ballot_ctx.max_voter_entry_len());
    let mut huge = bytes.clone();
    huge.extend(std::iter::repeat_n(0u8, 1 << 20));
    assert!(matches!(
        e.ballot_ctx.decode_ballot(&huge),
        Err(Error::WrongLength { .. })
    ));
}
