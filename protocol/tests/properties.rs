//! Property tests: a random change to any proof, ciphertext or statement makes verification fail.
mod support;

use std::sync::OnceLock;

use proptest::prelude::*;
use protocol::ballot::{self, Ballot, EncryptedBallot};
use protocol::dkg::Round1Package;
use protocol::encoding::{Decode, Encode, Reader};
use protocol::tally::{self, PartialDecryption, TallyAccumulator};
use support::*;

struct Fixture {
    e: Election,
    ballot: Ballot,
    tally: tally::EncryptedTally,
    partial: PartialDecryption,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let e = Election::new(all_kinds_contests(), 3, 2, 2, |_| 1);
        let mut r = rng("properties");
        let ballot = support::cast(
            &e.ballot_ctx,
            &e.creds[0],
            1,
            &all_kinds_selection(5),
            &mut r,
        );
        let mut acc = TallyAccumulator::new(e.manifest());
        acc.add(&ballot, 1).unwrap();
        let recomputed = acc.finish();
        let tally = recomputed.tally().clone();
        let partial = tally::partial_decrypt(
            &e.ctx.fingerprint,
            &e.ceremony.shares[0],
            &recomputed,
            &mut r,
        );
        Fixture {
            e,
            ballot,
            tally,
            partial,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Flip one bit anywhere in the signed part of a ballot and re-sign it with the same credential,
    /// so that only the proofs can catch it.
    #[test]
    fn any_bit_flip_in_a_resigned_ballot_is_rejected(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let mut bytes = f.ballot.encrypted.to_bytes();
        let start = 64; // past the fingerprint and credential (changing those is tested separately)
        let i = start + pos.index(bytes.len() - start);
        bytes[i] ^= 1 << bit;
        if let Ok(encrypted) = EncryptedBallot::from_bytes(&bytes) {
            let b = encrypted.cast(&f.e.creds[0]).unwrap();
            let mut rng = rng("prop-verify");
            prop_assert!(ballot::verify(&f.e.ballot_ctx, b, 1, &mut rng).is_err());
        }
    }

    /// Flip one bit anywhere in the full encoding without re-signing.
    #[test]
    fn any_bit_flip_in_a_ballot_is_rejected(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let mut bytes = f.ballot.to_bytes();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok(b) = Ballot::from_bytes(&bytes) {
            let mut rng = rng("prop-verify");
            prop_assert!(ballot::verify(&f.e.ballot_ctx, b, 1, &mut rng).is_err());
        }
    }

    /// Flip one bit of a partial decryption (shares or proof).
    #[test]
    fn any_bit_flip_in_a_partial_decryption_is_rejected(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let mut bytes = f.partial.to_bytes();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok(p) = PartialDecryption::from_bytes(&bytes) {
            let y = f.e.ceremony.outcome.verification_share(p.trustee);
            let mut rng = rng("prop-verify");
            let ok = y.map(|y| p.verify(&f.e.ctx.fingerprint, &y, &f.tally, &mut rng).is_ok()).unwrap_or(false);
            prop_assert!(!ok);
        }
    }

    /// Flip one bit of a key-ceremony round 1 package.
    #[test]
    fn any_bit_flip_in_a_round1_package_is_rejected(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let pkg = &f.e.ceremony.round1.packages()[1];
        let mut bytes = pkg.to_bytes();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let mut r = Reader::new(&bytes);
        if let Ok(p) = Round1Package::decode(&mut r, 2) {
            if r.finish("round 1").is_ok() {
                prop_assert!(p.verify(&f.e.ceremony.params).is_err());
            }
        }
    }

    /// Any other weight than the credential's makes the proofs fail (the weight is in the statement).
    #[test]
    fn any_other_weight_is_rejected(w in 2u64..1_000_000) {
        let f = fixture();
        let mut rng = rng("prop-weight");
        prop_assert!(ballot::verify(&f.e.ballot_ctx, f.ballot.clone(), w, &mut rng).is_err());
    }
}
