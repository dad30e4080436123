//! The mixing ceremony on the record (spec §12.11, V17–V19): an honest record with a ranked
//! contest passes and its count is the count of the ballots' rankings; a mixer that drops,
//! duplicates or replaces a ballot is named; a count sheet that differs is reported at its stage.
mod support;

use protocol::ballot::{self, Ballot};
use protocol::elgamal::ElectionPublicKey;
use protocol::mixdecrypt;
use protocol::mixnet::{self, ContestDecryption, Mix, RankedCount};
use protocol::record::{Entry, Leaf, Phase, SignedEntry};
use protocol::shuffle::{self, Row};
use protocol::stv::Action;
use protocol::tally::{self, PartialDecryption, TallyAccumulator};
use protocol::verify::{Failure, RecordVerifier, Step, VerifiedRecord};
use rand_chacha::ChaCha20Rng;
use support::vectors::log_of;
use support::*;

const WARD: u32 = 1;

struct Ranked {
    e: Election,
    /// The log up to the encrypted tally's phase change, without mixes.
    leaves: Vec<Leaf>,
    /// The counted ballots' ward rows, in credential-list order (the first mix's input).
    input: Vec<Row>,
    /// The counted ballots' rankings in clear, sorted.
    clear: Vec<Vec<u16>>,
    r: ChaCha20Rng,
}

fn signed(e: &Election, entry: Entry, by: &str) -> SignedEntry {
    SignedEntry::sign(&e.ctx.manifest_hash, entry, &key(by))
}

fn trustee(i: u32) -> String {
    format!("trustee-{i}")
}

/// Six voters rank the ward's four candidates (voter 0 votes twice; the second counts).
fn ranked_election() -> Ranked {
    let all = all_kinds_contests();
    let e = Election::new(vec![all[0].clone(), all[7].clone()], 3, 2, 6, |_| 1);
    let mut r = rng("mixnet-election");
    let rankings: [[u64; 3]; 7] = [
        [1, 2, 3],
        [2, 1, 0],
        [4, 0, 0],
        [3, 4, 1],
        [1, 3, 0],
        [2, 4, 3],
        [3, 1, 2], // voter 0 again
    ];
    let voters = [0usize, 1, 2, 3, 4, 5, 0];
    let mut cast = Vec::new();
    for (k, (v, ranking)) in voters.iter().zip(rankings).enumerate() {
        let selection = vec![
            vec![
                (k % 3 == 0) as u64,
                (k % 3 == 1) as u64,
                (k % 3 == 2) as u64,
            ],
            ranking.to_vec(),
        ];
        let board_size = if k == 6 { 16 } else { 10 };
        let cred = &e.creds[*v];
        let (b, _) = ballot::encrypt(
            &e.ballot_ctx,
            &cred.public_key(),
            1,
            board_size,
            &selection,
            &mut r,
        )
        .unwrap();
        cast.push((*v, b.cast(cred).unwrap(), selection));
    }
    let (ab, secrets) = ballot::encrypt(
        &e.ballot_ctx,
        &e.creds[5].public_key(),
        1,
        10,
        &[vec![1, 0, 0], vec![2, 0, 0]],
        &mut r,
    )
    .unwrap();
    let audited = secrets.audit(ab, &e.creds[5]).unwrap();
    let counted: Vec<&(usize, Ballot, Vec<Vec<u64>>)> = cast
        .iter()
        .enumerate()
        .filter(|(i, (v, _, _))| !cast[i + 1..].iter().any(|(w, _, _)| w == v))
        .map(|(_, c)| c)
        .collect();
    let mut acc = TallyAccumulator::new(e.manifest());
    for (_, b, _) in &counted {
        acc.add(b, 1).unwrap();
    }
    let recomputed = acc.finish();
    let t = recomputed.tally().clone();
    let fp = e.ctx.fingerprint;
    let partials: Vec<PartialDecryption> = [0usize, 1]
        .iter()
        .map(|&k| tally::partial_decrypt(&fp, &e.ceremony.shares[k], &recomputed, &mut r))
        .collect();
    let results = tally::combine(
        e.manifest(),
        e.ctx.total_weight,
        &t,
        &partials.iter().collect::<Vec<_>>(),
    )
    .unwrap();
    let leaves = log_of(&e, &cast, &audited, &t, &partials, &results);
    let mut by_position: Vec<(usize, &Ballot, &Vec<Vec<u64>>)> = counted
        .iter()
        .map(|(_, b, s)| {
            (
                e.list.position(b.encrypted.credential.as_bytes()).unwrap(),
                b,
                s,
            )
        })
        .collect();
    by_position.sort_by_key(|(p, _, _)| *p);
    let input = by_position
        .iter()
        .map(|(_, b, _)| b.encrypted.contests[WARD as usize].ciphertexts.clone())
        .collect();
    let mut clear: Vec<Vec<u16>> = by_position
        .iter()
        .map(|(_, _, s)| s[WARD as usize].iter().map(|&v| v as u16).collect())
        .collect();
    clear.sort();
    Ranked {
        e,
        leaves,
        input,
        clear,
        r,
    }
}

fn mix_by(t: &mut Ranked, mixer: u32, position: u32, input: &[Row]) -> Mix {
    let key = ElectionPublicKey::new(t.e.ctx.ceremony.joint_key);
    let (rows, secret) = shuffle::shuffle(&key, input, &mut t.r).unwrap();
    let proof = shuffle::prove(&t.e.ctx.fingerprint, &key, input, &rows, secret, &mut t.r).unwrap();
    Mix {
        contest: WARD,
        mixer,
        position,
        rows,
        proof,
    }
}

/// Inserts `entries` before the first leaf `before` matches, at that leaf's predecessor's time.
fn insert_before(
    leaves: &mut Vec<Leaf>,
    before: impl Fn(&Entry) -> bool,
    entries: Vec<SignedEntry>,
) {
    let at = leaves.iter().position(|l| before(&l.signed.entry)).unwrap();
    let time = leaves[at - 1].time;
    for (k, signed) in entries.into_iter().enumerate() {
        leaves.insert(at + k, Leaf { time, signed });
    }
}

fn is_tally_phase(e: &Entry) -> bool {
    matches!(
        e,
        Entry::Phase {
            phase: Phase::Tally,
            ..
        }
    )
}

fn is_results(e: &Entry) -> bool {
    matches!(e, Entry::Results(_))
}

/// The honest record: mixes by trustees 2 and 3, decryptions by 1 and 3, the count.
struct Honest {
    t: Ranked,
    leaves: Vec<Leaf>,
    mixes: Vec<Mix>,
    decryptions: Vec<ContestDecryption>,
    count: RankedCount,
}

fn honest() -> Honest {
    let mut t = ranked_election();
    let input = t.input.clone();
    let first = mix_by(&mut t, 2, 0, &input);
    let second = mix_by(&mut t, 3, 1, &first.rows.clone());
    let last = second.rows.clone();
    let fp = t.e.ctx.fingerprint;
    let decryptions: Vec<ContestDecryption> = [0usize, 2]
        .iter()
        .map(|&k| ContestDecryption {
            contest: WARD,
            decryption: mixdecrypt::decrypt_share(&fp, &t.e.ceremony.shares[k], &last, &mut t.r),
        })
        .collect();
    let shares: Vec<_> = decryptions.iter().map(|d| &d.decryption).collect();
    let rows: Vec<Vec<u16>> = mixdecrypt::combine(&last, &shares, 2, 4)
        .unwrap()
        .into_iter()
        .map(|r| r.into_iter().map(|v| v as u16).collect())
        .collect();
    let seed = mixnet::lot_seed(&t.e.ctx.manifest_hash, WARD, &rows);
    let contest = &t.e.manifest().contests[WARD as usize];
    let count = RankedCount {
        contest: WARD,
        sheet: mixnet::count(contest, &rows, &seed).unwrap(),
        rows,
    };
    let mixes = vec![first, second];
    let leaves = assemble(&t, &mixes, &decryptions, Some(&count));
    Honest {
        t,
        leaves,
        mixes,
        decryptions,
        count,
    }
}

fn assemble(
    t: &Ranked,
    mixes: &[Mix],
    decryptions: &[ContestDecryption],
    count: Option<&RankedCount>,
) -> Vec<Leaf> {
    let mut leaves = t.leaves.clone();
    let mix_entries = mixes
        .iter()
        .map(|m| signed(&t.e, Entry::Mix(m.clone()), &trustee(m.mixer)))
        .collect();
    insert_before(&mut leaves, is_tally_phase, mix_entries);
    let mut after = Vec::new();
    for d in decryptions {
        after.push(signed(
            &t.e,
            Entry::MixDecryption(d.clone()),
            &trustee(d.decryption.trustee),
        ));
    }
    if let Some(c) = count {
        after.push(signed(&t.e, Entry::RankedCount(c.clone()), "administrator"));
    }
    insert_before(&mut leaves, is_results, after);
    leaves
}

fn run(leaves: &[Leaf]) -> Result<VerifiedRecord, Failure> {
    let mut v = RecordVerifier::new();
    let mut r = rng("mixnet-verifier");
    for leaf in leaves {
        v.push(&leaf.to_bytes(), &mut r)?;
    }
    v.finish()
}

fn index_of(leaves: &[Leaf], pred: impl Fn(&Entry) -> bool) -> u64 {
    leaves.iter().position(|l| pred(&l.signed.entry)).unwrap() as u64
}

fn expect(leaves: &[Leaf], step: Step, index: u64, contains: &str) {
    let f = run(leaves).expect_err("the record must be refused");
    assert_eq!((f.step, f.index), (step, index), "{f}");
    assert!(f.to_string().contains(contains), "{f}");
}

#[test]
fn the_honest_ceremony_passes_and_counts_the_ballots_rankings() {
    let h = honest();
    let rec = run(&h.leaves).unwrap();
    assert_eq!(rec.phase, Phase::ResultsPublished);
    assert_eq!(rec.mixers, vec![(WARD, vec![2, 3])]);
    assert_eq!(rec.mix_decrypting_trustees, vec![(WARD, vec![1, 3])]);
    assert_eq!(rec.ranked_counts, vec![h.count.clone()]);
    // The papers are the counted ballots' rankings, permuted: six voters, voter 0 counted once.
    let mut rows = h.count.rows.clone();
    rows.sort();
    assert_eq!(rows, h.t.clear);
    assert_eq!(rows.len(), 6);
    // Stage 1 credits every first preference.
    let stage1 = &h.count.sheet.stages[0];
    assert_eq!(stage1.action, Action::FirstPreferences);
    let mut firsts = [0u64; 4];
    for row in &h.t.clear {
        firsts[usize::from(row[0] - 1)] += protocol::stv::SCALE;
    }
    assert_eq!(stage1.votes, firsts.to_vec());
    assert_eq!(h.count.sheet.elected.len(), 2);
    // The entries decode from their leaf bytes exactly (V2).
    for leaf in &h.leaves {
        assert_eq!(&Leaf::from_bytes(&leaf.to_bytes(), 2).unwrap(), leaf);
    }
}

#[test]
fn a_streaming_verifier_agrees() {
    let h = honest();
    let mut v = RecordVerifier::streaming();
    let mut r = rng("mixnet-streaming");
    for leaf in &h.leaves {
        if let Err(f) = v.push(&leaf.to_bytes(), &mut r) {
            panic!("{f}");
        }
    }
    // V13 is the caller's in streaming mode; the rest is what a full verifier found.
    assert_eq!(v.summary().mixes, vec![(WARD, vec![2, 3])]);
    assert_eq!(v.ranked_inputs(0), h.t.input);
}

#[test]
fn the_tally_phase_needs_t_mixes() {
    let h = honest();
    let leaves = assemble(&h.t, &h.mixes[..1], &[], None);
    expect(
        &leaves,
        Step::V17Mixes,
        index_of(&leaves, is_tally_phase),
        "mixed by at least t trustees",
    );
}

#[test]
fn a_mixer_that_drops_a_ballot_is_named() {
    let mut h = honest();
    let mut input = h.t.input.clone();
    input.pop();
    let dropped = mix_by(&mut h.t, 2, 0, &input);
    let leaves = assemble(&h.t, &[dropped], &[], None);
    expect(
        &leaves,
        Step::V17Mixes,
        index_of(&leaves, |e| matches!(e, Entry::Mix(_))),
        "trustee 2: its mix has another number of ballots than its input (a ballot dropped or added)",
    );
}

#[test]
fn a_mixer_that_duplicates_or_replaces_a_ballot_is_named() {
    let mut h = honest();
    let mut duplicated = h.t.input.clone();
    duplicated[1] = duplicated[0].clone();
    let mut replaced = h.t.input.clone();
    let (fresh, _) = ballot::encrypt(
        &h.t.e.ballot_ctx,
        &h.t.e.creds[0].public_key(),
        1,
        10,
        &[vec![1, 0, 0], vec![4, 3, 2]],
        &mut h.t.r,
    )
    .unwrap();
    replaced[2] = fresh.contests[WARD as usize].ciphertexts.clone();
    for cheat in [duplicated, replaced] {
        // The proof is honest for the rows the mixer used, not for the board's.
        let bad = mix_by(&mut h.t, 3, 0, &cheat);
        let leaves = assemble(&h.t, &[bad], &[], None);
        expect(
            &leaves,
            Step::V17Mixes,
            index_of(&leaves, |e| matches!(e, Entry::Mix(_))),
            "trustee 3: shuffle proof (a ballot replaced, duplicated or altered) does not verify",
        );
    }
}

#[test]
fn a_second_mix_by_one_trustee_or_out_of_turn_is_refused() {
    let mut h = honest();
    let first_rows = h.mixes[0].rows.clone();
    let again = mix_by(&mut h.t, 2, 1, &first_rows);
    let leaves = assemble(&h.t, &[h.mixes[0].clone(), again], &[], None);
    expect(
        &leaves,
        Step::V17Mixes,
        index_of(&leaves, is_tally_phase) - 1,
        "mixed this contest twice",
    );
    let input = h.t.input.clone();
    let stale = mix_by(&mut h.t, 3, 0, &input);
    let leaves = assemble(&h.t, &[h.mixes[0].clone(), stale], &[], None);
    expect(
        &leaves,
        Step::V17Mixes,
        index_of(&leaves, is_tally_phase) - 1,
        "does not follow the contest's latest mix",
    );
}

#[test]
fn a_false_mix_decryption_is_refused_naming_the_trustee() {
    let h = honest();
    let mut bad = h.decryptions[1].clone();
    bad.decryption.shares[0][0] = bad.decryption.shares[1][0];
    let leaves = assemble(
        &h.t,
        &h.mixes,
        &[h.decryptions[0].clone(), bad],
        Some(&h.count),
    );
    let at = index_of(&leaves, |e| matches!(e, Entry::MixDecryption(_))) + 1;
    expect(
        &leaves,
        Step::V18MixDecryptions,
        at,
        "trustee 3: mix decryption proof does not verify",
    );
}

#[test]
fn a_count_sheet_that_differs_is_reported_at_its_stage() {
    let h = honest();
    assert!(
        h.count.sheet.stages.len() >= 2,
        "the ward count has transfers"
    );
    let at = |leaves: &[Leaf]| index_of(leaves, |e| matches!(e, Entry::RankedCount(_)));
    let mut changed = h.count.clone();
    changed.sheet.stages[1].non_transferable += 1;
    let leaves = assemble(&h.t, &h.mixes, &h.decryptions, Some(&changed));
    expect(
        &leaves,
        Step::V19RankedCounts,
        at(&leaves),
        "differs from the recount at stage 2",
    );

    let mut elected = h.count.clone();
    elected.sheet.elected.reverse();
    let leaves = assemble(&h.t, &h.mixes, &h.decryptions, Some(&elected));
    expect(
        &leaves,
        Step::V19RankedCounts,
        at(&leaves),
        "elected differ from the recount",
    );

    let mut papers = h.count.clone();
    papers.rows[0][0] = papers.rows[0][0] % 4 + 1;
    let leaves = assemble(&h.t, &h.mixes, &h.decryptions, Some(&papers));
    expect(
        &leaves,
        Step::V19RankedCounts,
        at(&leaves),
        "not the decrypted last mix",
    );
}

#[test]
fn the_results_wait_for_every_ranked_count_and_the_count_for_t_decryptions() {
    let h = honest();
    let leaves = assemble(&h.t, &h.mixes, &h.decryptions, None);
    expect(
        &leaves,
        Step::V19RankedCounts,
        index_of(&leaves, is_results),
        "contest 1 has none",
    );
    let leaves = assemble(&h.t, &h.mixes, &h.decryptions[..1], Some(&h.count));
    expect(
        &leaves,
        Step::V19RankedCounts,
        index_of(&leaves, |e| matches!(e, Entry::RankedCount(_))),
        "needs the mix decryptions of t trustees",
    );
}

#[test]
fn the_lot_seed_is_the_ballots_not_the_mixers() {
    let h = honest();
    let mh = h.t.e.ctx.manifest_hash;
    // The same papers in another order (another mix) give the same seed; other papers, another
    // contest or election do not.
    let a = mixnet::lot_seed(&mh, WARD, &h.count.rows);
    assert_eq!(a, mixnet::lot_seed(&mh, WARD, &h.t.clear));
    let mut other = h.t.clear.clone();
    other[0][0] = other[0][0] % 4 + 1;
    assert_ne!(a, mixnet::lot_seed(&mh, WARD, &other));
    assert_ne!(a, mixnet::lot_seed(&mh, 0, &h.count.rows));
    assert_ne!(a, mixnet::lot_seed(&[0; 32], WARD, &h.count.rows));
    assert_eq!(mixnet::paper(&[3, 1, 0, 2]), vec![2, 0]);
}
