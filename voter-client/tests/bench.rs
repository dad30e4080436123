//! The benchmark's ballots are real ones: valid selections for their contests, encrypted and
//! proved as a voter's would be (what `bench_encrypt` times in the browser).
use rand_core::OsRng;
use voter_client::bench::{contest, election, encrypt_mean_ms, longest_step_ms, selection};

#[test]
fn the_benchmarked_ballots_are_valid_and_verify() {
    for shape in ["choose", "budget"] {
        let c = contest(shape).unwrap();
        c.check_selection(0, &selection(shape)[0]).unwrap();
        let ctx = election(shape, &mut OsRng).unwrap();
        let credential = protocol::signature::SecretKey::from_seed(&[2; 32]);
        let (encrypted, _) = protocol::ballot::encrypt(
            &ctx,
            &credential.public_key(),
            1,
            0,
            &selection(shape),
            &mut OsRng,
        )
        .unwrap();
        let ballot = encrypted.cast(&credential).unwrap();
        protocol::ballot::verify(&ctx, ballot, 1, &mut OsRng).unwrap();
        let calls = std::cell::Cell::new(0.0);
        let clock = || {
            calls.set(calls.get() + 1.0);
            calls.get()
        };
        let mean = encrypt_mean_ms(shape, 2, clock, &mut OsRng).unwrap();
        // Two clock readings around two ballots: (2 - 1) / 2.
        assert_eq!(mean, 0.5);
        // A clock that advances by the step's number of readings: every step reads 1 apart.
        calls.set(0.0);
        let longest = longest_step_ms(shape, 2, clock, &mut OsRng).unwrap();
        assert_eq!(longest, 1.0);
    }
    assert!(contest("ranked").is_none());
    assert!(encrypt_mean_ms("ranked", 1, || 0.0, &mut OsRng).is_none());
    assert!(longest_step_ms("ranked", 1, || 0.0, &mut OsRng).is_none());
}
