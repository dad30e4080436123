//! The test-vector generator (`cargo run -p protocol --example vectors`) and the transcript op
//! lists it records. The op lists are a second, independent rendering of spec §3.2's transcript
//! layouts: `tests/vectors.rs` replays them with Merlin directly and checks each equation by hand.
use curve25519_dalek::scalar::Scalar;
use protocol::ballot::{self, AuditedBallot, Ballot, BallotContext, EncryptedBallot};
use protocol::dkg::{CeremonyParams, Round1Package};
use protocol::encoding::Encode;
use protocol::group::{self, Point};
use protocol::manifest::{Contest, ContestKind, Manifest};
use protocol::merkle::{self, Checkpoint};
use protocol::record::{Entry, Leaf, Phase, SignedEntry};
use protocol::signature;
use protocol::tally::{self, EncryptedTally, PartialDecryption, TallyAccumulator};
use serde_json::{json, Value};
use sha2::{Digest, Sha512};

use super::*;

/// One transcript operation, as recorded in the vectors.
#[derive(Clone, Debug)]
pub enum Op {
    /// `Transcript::new(label)`.
    Init(&'static str),
    /// `append_message(label, bytes)`.
    Append(&'static str, Vec<u8>),
    /// `append_u64(label, value)`.
    U64(&'static str, u64),
    /// `challenge_bytes(label, 64)` reduced mod ℓ.
    Challenge(&'static str),
}

pub fn ops_json(ops: &[Op]) -> Value {
    Value::Array(
        ops.iter()
            .map(|op| match op {
                Op::Init(l) => json!({"op": "init", "label": l}),
                Op::Append(l, b) => json!({"op": "append", "label": l, "hex": hex::encode(b)}),
                Op::U64(l, v) => json!({"op": "u64", "label": l, "value": v}),
                Op::Challenge(l) => json!({"op": "challenge", "label": l}),
            })
            .collect(),
    )
}

fn start(proof: &str, binding_label: &'static str, binding: &[u8; 32]) -> Vec<Op> {
    vec![
        Op::Init("thistle-v1"),
        Op::Append("proof", proof.as_bytes().to_vec()),
        Op::Append(binding_label, binding.to_vec()),
    ]
}

fn pt(label: &'static str, p: &Point) -> Op {
    Op::Append(label, p.as_bytes().to_vec())
}

/// Spec §5.1 / §8.2: the round-1 transcript.
pub fn round1_ops(params: &CeremonyParams, p: &Round1Package) -> Vec<Op> {
    let mut ops = start("dkg-round1", "ceremony", &params.context);
    ops.push(Op::U64("dealer", p.dealer as u64));
    ops.push(Op::U64("threshold", params.t as u64));
    ops.extend(p.commitments.iter().map(|c| pt("C", c)));
    ops.push(pt("E", &p.encryption_key));
    ops.extend(p.proof.commitments.iter().map(|r| pt("R", r)));
    ops.push(Op::Challenge("challenge"));
    ops
}

/// Spec §8.3: the share-pad transcript (its challenge is the pad).
pub fn pad_ops(
    params: &CeremonyParams,
    dealer: &Round1Package,
    recipient: &Round1Package,
    dh: &Point,
) -> Vec<Op> {
    let mut ops = start("dkg-share-pad", "ceremony", &params.context);
    ops.push(Op::U64("dealer", dealer.dealer as u64));
    ops.push(Op::U64("recipient", recipient.dealer as u64));
    ops.push(pt("E-dealer", &dealer.encryption_key));
    ops.push(pt("E-recipient", &recipient.encryption_key));
    ops.push(pt("DH", dh));
    ops.push(Op::Challenge("pad"));
    ops
}

/// Spec §8.4: the complaint transcript.
pub fn complaint_ops(
    params: &CeremonyParams,
    complainer: &Round1Package,
    accused: &Round1Package,
    c: &protocol::dkg::Complaint,
) -> Vec<Op> {
    let mut ops = start("dkg-complaint", "ceremony", &params.context);
    ops.push(Op::U64("complainer", complainer.dealer as u64));
    ops.push(Op::U64("accused", accused.dealer as u64));
    ops.push(pt("E-complainer", &complainer.encryption_key));
    ops.push(pt("E-accused", &accused.encryption_key));
    ops.push(pt("DH", &c.dh));
    ops.push(pt("a", &c.proof.a));
    ops.extend(c.proof.b.iter().map(|b| pt("b", b)));
    ops.push(Op::Challenge("challenge"));
    ops
}

/// Spec §12.3: the partial-decryption transcript.
pub fn decryption_ops(
    fingerprint: &[u8; 32],
    y: &Point,
    t: &EncryptedTally,
    p: &PartialDecryption,
) -> Vec<Op> {
    let mut ops = start("decryption-share", "fingerprint", fingerprint);
    ops.push(Op::U64("trustee", p.trustee as u64));
    ops.push(pt("Y", y));
    ops.push(Op::Append("tally", t.hash().to_vec()));
    for (ct, d) in t.contests.iter().flatten().zip(p.shares.iter().flatten()) {
        ops.push(pt("A", &ct.alpha));
        ops.push(pt("B", &ct.beta));
        ops.push(pt("D", d));
    }
    ops.push(pt("a", &p.proof.a));
    ops.extend(p.proof.b.iter().map(|b| pt("b", b)));
    ops.push(Op::Challenge("challenge"));
    ops
}

/// Spec §11.3: the ballot transcript up to the shared challenge.
pub fn ballot_ops(manifest: &Manifest, b: &EncryptedBallot, weight: u64) -> Vec<Op> {
    let mut ops = start("ballot", "fingerprint", &b.fingerprint);
    ops.push(Op::Append("credential", b.credential.as_bytes().to_vec()));
    ops.push(Op::U64("weight", weight));
    ops.push(Op::U64("board-size", b.board_size));
    ops.push(Op::U64("contests", b.contests.len() as u64));
    for (i, (c, cb)) in manifest.contests.iter().zip(&b.contests).enumerate() {
        ops.push(Op::U64("contest", i as u64));
        ops.push(Op::U64("options", cb.ciphertexts.len() as u64));
        for ct in &cb.ciphertexts {
            ops.push(pt("alpha", &ct.alpha));
            ops.push(pt("beta", &ct.beta));
        }
        let claims = c.claims();
        ops.push(Op::U64("claims", claims.len() as u64));
        for cl in &claims {
            ops.push(Op::Append(
                "coefficients",
                cl.coefficients
                    .iter()
                    .flat_map(|a| a.to_le_bytes())
                    .collect(),
            ));
            ops.push(Op::U64("lo", cl.lo));
            ops.push(Op::U64("hi", cl.hi));
        }
        ops.push(Op::U64("range-bits", c.range_bits() as u64));
        ops.extend(cb.range_commitments.iter().map(|v| pt("V", v)));
    }
    for cb in &b.contests {
        for d in &cb.disjunctive {
            for br in &d.branches {
                ops.push(pt("a", &br.a));
                ops.push(pt("b", &br.b));
            }
        }
        for e in &cb.equality {
            ops.push(pt("A1", &e.a1));
            ops.push(pt("A2", &e.a2));
            ops.push(pt("A3", &e.a3));
        }
    }
    ops.push(Op::Challenge("challenge"));
    ops
}

/// Spec §5.5: the range proofs' transcript, which continues the ballot's after its challenge: for
/// each contest with range commitments, `range-contest` and then the Bulletproof's own operations
/// (read from its encoding, `A ‖ S ‖ T₁ ‖ T₂ ‖ t_x ‖ t̃_x ‖ ẽ ‖ (L_i ‖ R_i)… ‖ a ‖ b`).
pub fn range_proof_ops(manifest: &Manifest, b: &EncryptedBallot) -> Vec<Op> {
    let mut ops = Vec::new();
    for (ci, (c, cb)) in manifest.contests.iter().zip(&b.contests).enumerate() {
        if cb.range_commitments.is_empty() {
            continue;
        }
        let (n, m) = (c.range_bits() as u64, cb.range_commitments.len() as u64);
        let p = &cb.range_proof;
        let word = |i: usize| p[32 * i..32 * (i + 1)].to_vec();
        ops.push(Op::U64("range-contest", ci as u64));
        ops.push(Op::Append("dom-sep", b"rangeproof v1".to_vec()));
        ops.push(Op::U64("n", n));
        ops.push(Op::U64("m", m));
        ops.extend(cb.range_commitments.iter().map(|v| pt("V", v)));
        ops.push(Op::Append("A", word(0)));
        ops.push(Op::Append("S", word(1)));
        ops.push(Op::Challenge("y"));
        ops.push(Op::Challenge("z"));
        ops.push(Op::Append("T_1", word(2)));
        ops.push(Op::Append("T_2", word(3)));
        ops.push(Op::Challenge("x"));
        ops.push(Op::Append("t_x", word(4)));
        ops.push(Op::Append("t_x_blinding", word(5)));
        ops.push(Op::Append("e_blinding", word(6)));
        ops.push(Op::Challenge("w"));
        ops.push(Op::Append("dom-sep", b"ipp v1".to_vec()));
        ops.push(Op::U64("n", n * m));
        for i in 0..(p.len() / 32 - 9) / 2 {
            ops.push(Op::Append("L", word(7 + 2 * i)));
            ops.push(Op::Append("R", word(8 + 2 * i)));
            ops.push(Op::Challenge("u"));
        }
    }
    ops
}

/// Every transcript label spec §3.2 and §11.3 use; a vector with any other label fails to replay.
const SPEC_LABELS: &[&str] = &[
    "thistle-v1",
    "K",
    "N",
    "w",
    "input",
    "output",
    "commitments",
    "chain",
    "t",
    "c",
    "proof",
    "fingerprint",
    "ceremony",
    "dealer",
    "threshold",
    "C",
    "E",
    "R",
    "challenge",
    "recipient",
    "E-dealer",
    "E-recipient",
    "DH",
    "pad",
    "complainer",
    "accused",
    "E-complainer",
    "E-accused",
    "a",
    "b",
    "credential",
    "weight",
    "board-size",
    "contests",
    "contest",
    "options",
    "alpha",
    "beta",
    "claims",
    "coefficients",
    "lo",
    "hi",
    "range-bits",
    "V",
    "A1",
    "A2",
    "A3",
    "range-contest",
    "trustee",
    "Y",
    "tally",
    "A",
    "B",
    "D",
    "dom-sep",
    "n",
    "m",
    "S",
    "y",
    "z",
    "T_1",
    "T_2",
    "x",
    "t_x",
    "t_x_blinding",
    "e_blinding",
    "w",
    "L",
    "u",
];

fn spec_label(s: &str) -> &'static [u8] {
    SPEC_LABELS
        .iter()
        .find(|l| **l == s)
        .unwrap_or_else(|| panic!("label {s:?} is not in the specification"))
        .as_bytes()
}

/// Replays ops with Merlin; returns the last challenge and the transcript (for Bulletproofs).
pub fn replay(ops: &[Value]) -> (Scalar, merlin::Transcript) {
    let (challenges, t) = replay_on(None, ops);
    (challenges.last().copied().unwrap_or(Scalar::ZERO), t)
}

/// Replays ops with Merlin on `t` (or a transcript the ops start); returns every challenge, in
/// order, and the transcript.
pub fn replay_on(
    mut t: Option<merlin::Transcript>,
    ops: &[Value],
) -> (Vec<Scalar>, merlin::Transcript) {
    let mut challenges = Vec::new();
    let label = |o: &Value| spec_label(o["label"].as_str().unwrap());
    for o in ops {
        match o["op"].as_str().unwrap() {
            "init" => t = Some(merlin::Transcript::new(label(o))),
            "append" => t
                .as_mut()
                .unwrap()
                .append_message(label(o), &hex::decode(o["hex"].as_str().unwrap()).unwrap()),
            "u64" => t
                .as_mut()
                .unwrap()
                .append_u64(label(o), o["value"].as_u64().unwrap()),
            "challenge" => {
                let mut wide = [0u8; 64];
                t.as_mut().unwrap().challenge_bytes(label(o), &mut wide);
                challenges.push(Scalar::from_bytes_mod_order_wide(&wide));
            }
            other => panic!("unknown op {other}"),
        }
    }
    (challenges, t.unwrap())
}

fn h(b: impl AsRef<[u8]>) -> String {
    hex::encode(b)
}

fn pretty(v: Value) -> String {
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

/// Every vector file: (file name, contents).
pub fn all() -> Vec<(&'static str, String)> {
    vec![
        ("group.json", pretty(group_vectors())),
        ("signatures.json", pretty(signature_vectors())),
        ("ballots.json", pretty(ballot_vectors())),
        ("election.json", pretty(election_vectors())),
        ("ceremony.json", pretty(complaint_vectors())),
        ("shuffle.json", pretty(shuffle_vectors())),
        ("ranked.json", pretty(ranked_vectors())),
    ]
}

fn group_vectors() -> Value {
    let label = std::str::from_utf8(group::PEDERSEN_BLINDING_LABEL).unwrap();
    let multiples: Vec<Value> = (0u64..8)
        .chain([255, 65_536, 1 << 40])
        .map(|m| json!({"m": m, "point": h(Point::from_point(group::mul_g(m)).as_bytes())}))
        .collect();
    let mut g_top = group::g().compress().to_bytes();
    g_top[31] |= 0x80;
    let mut reject = vec![
        json!({"hex": h(g_top), "reason": "the basepoint with bit 255 set (accepted by libsodium 1.0.18, not by RFC 9496)"}),
        json!({"hex": "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "reason": "field element p itself: not reduced"}),
        json!({"hex": "0100000000000000000000000000000000000000000000000000000000000000", "reason": "s = 1 is negative (odd)"}),
    ];
    // The first even s whose decoding fails the square-root or sign checks (found, not chosen).
    let mut found = 0;
    for s in (2u8..=254).step_by(2) {
        let mut b = [0u8; 32];
        b[0] = s;
        if curve25519_dalek::ristretto::CompressedRistretto(b)
            .decompress()
            .is_none()
        {
            reject.push(json!({"hex": h(b), "reason": "no Ristretto255 point has this encoding (RFC 9496 §4.3.1 decode fails)"}));
            found += 1;
            if found == 2 {
                break;
            }
        }
    }
    let l_minus_1 = (-Scalar::ONE).to_bytes();
    let mut l = l_minus_1;
    l[0] += 1;
    let mut l_plus_1 = l;
    l_plus_1[0] += 1;
    let hashes: Vec<Value> = [("thistle-v1/manifest", ""), ("thistle-v1/tracking-code", "00ff"), ("thistle-v1/credential-list", "000000000000")]
        .iter()
        .map(|(tag, data)| json!({"tag": tag, "data": data, "digest": h(protocol::hash::tagged_hash(tag, &hex::decode(data).unwrap()))}))
        .collect();
    json!({
        "description": "Ristretto255 encodings, Thistle's generators and tagged hashes (spec §1, §3).",
        "basepoint": h(group::g().compress().as_bytes()),
        "pedersen_blinding": {"label": label, "sha512": h(Sha512::digest(label.as_bytes())), "point": h(group::pedersen_blinding().compress().as_bytes())},
        "small_multiples": multiples,
        "identity": h([0u8; 32]),
        "reject_points": reject,
        "valid_scalars": [h(Scalar::ZERO.to_bytes()), h(l_minus_1)],
        "reject_scalars": [h(l), h(l_plus_1), h([0xffu8; 32])],
        "tagged_hashes": hashes,
    })
}

fn signature_vectors() -> Value {
    let key = super::key("signature-vectors");
    let pk = key.public_key();
    let data = b"a ballot's unsigned bytes".to_vec();
    let sig = key.sign(signature::tags::BALLOT, &data);
    // A signature with a small-order R (the identity) that plain Ed25519 `verify` accepts.
    let seed = key.to_seed();
    let expanded = Sha512::digest(seed.as_slice());
    let mut a_bytes = [0u8; 32];
    a_bytes.copy_from_slice(&expanded[..32]);
    a_bytes[0] &= 248;
    a_bytes[31] &= 127;
    a_bytes[31] |= 64;
    let a = Scalar::from_bytes_mod_order(a_bytes);
    let mut r_identity = [0u8; 32];
    r_identity[0] = 1;
    let msg = signature::signing_message(signature::tags::BALLOT, &data);
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(r_identity)
            .chain_update(pk.as_bytes())
            .chain_update(&msg)
            .finalize()
            .into(),
    );
    let s = k * a;
    let mut small_r = [0u8; 64];
    small_r[..32].copy_from_slice(&r_identity);
    small_r[32..].copy_from_slice(s.as_bytes());
    // s + ℓ: the same signature with a non-canonical s.
    let mut s_plus_l = sig;
    let s_val = Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()).unwrap();
    let l_bytes = {
        let mut b = (-Scalar::ONE).to_bytes();
        b[0] += 1;
        b
    };
    let sum = add_le(s_val.as_bytes(), &l_bytes);
    s_plus_l[32..].copy_from_slice(&sum);
    let order8 = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";
    // R given as a non-canonical encoding (y = p + 1, which reduces to the identity).
    let mut r_noncanonical = [0xffu8; 32];
    r_noncanonical[0] = 0xee;
    r_noncanonical[31] = 0x7f;
    let k2 = Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(r_noncanonical)
            .chain_update(pk.as_bytes())
            .chain_update(&msg)
            .finalize()
            .into(),
    );
    let mut noncanonical_r = [0u8; 64];
    noncanonical_r[..32].copy_from_slice(&r_noncanonical);
    noncanonical_r[32..].copy_from_slice((k2 * a).as_bytes());
    json!({
        "description": "Ed25519 signatures under the strict rules (spec §1.4). message = u32le(len(tag)) ‖ tag ‖ data.",
        "valid": [{"public_key": h(pk.as_bytes()), "tag": signature::tags::BALLOT, "data": h(&data), "message": h(&msg), "signature": h(sig)}],
        "reject_signatures": [
            {"public_key": h(pk.as_bytes()), "tag": signature::tags::BALLOT, "data": h(&data), "signature": h(small_r), "reason": "R is the identity (small order); plain verify accepts this, verify_strict does not"},
            {"public_key": h(pk.as_bytes()), "tag": signature::tags::BALLOT, "data": h(&data), "signature": h(s_plus_l), "reason": "s is not reduced modulo ℓ"},
            {"public_key": h(pk.as_bytes()), "tag": signature::tags::BALLOT, "data": h(&data), "signature": h(noncanonical_r), "reason": "R is a non-canonical encoding (y = p + 1)"},
            {"public_key": h(pk.as_bytes()), "tag": signature::tags::ENTRY, "data": h(&data), "signature": h(sig), "reason": "signed under another tag"},
        ],
        "reject_public_keys": [
            {"hex": "0100000000000000000000000000000000000000000000000000000000000000", "reason": "the identity (small order)"},
            {"hex": order8, "reason": "a point of order 8"},
            {"hex": "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "reason": "non-canonical encoding (y = p + 1)"},
        ],
    })
}

fn add_le(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = a[i] as u16 + b[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

fn claims_json(c: &Contest) -> Value {
    Value::Array(c.claims().iter().map(|cl| json!({"coefficients": cl.coefficients, "lo": cl.lo, "hi": cl.hi, "proof": if cl.is_disjunctive() {"disjunctive"} else {"range"}})).collect())
}

fn ballot_json(
    manifest: &Manifest,
    b: &Ballot,
    weight: u64,
    selection: &[Vec<u64>],
    randomness: Option<&AuditedBallot>,
) -> Value {
    let ops = ballot_ops(manifest, &b.encrypted, weight);
    let (c, t) = replay(&ops_to_values(&ops));
    let range_ops = range_proof_ops(manifest, &b.encrypted);
    let (range_challenges, _) = replay_on(Some(t), &ops_to_values(&range_ops));
    let mut v = json!({
        "weight": weight,
        "selection": selection,
        "bytes": h(b.to_bytes()),
        "tracking_code": h(b.tracking_code().0),
        "short_code": b.tracking_code().short(),
        "transcript": ops_json(&ops),
        "challenge": h(c.as_bytes()),
        "range_transcript": ops_json(&range_ops),
        "range_challenges": range_challenges.iter().map(|c| h(c.as_bytes())).collect::<Vec<_>>(),
    });
    if let Some(a) = randomness {
        v["randomness"] = Value::Array(
            a.openings
                .iter()
                .map(|o| Value::Array(o.iter().map(|(_, r)| json!(h(r.as_bytes()))).collect()))
                .collect(),
        );
    }
    v
}

pub fn ops_to_values(ops: &[Op]) -> Vec<Value> {
    ops_json(ops).as_array().unwrap().clone()
}

/// One contest of each kind (and both proof paths for scores), each in its own manifest.
pub fn kind_cases() -> Vec<(&'static str, Contest, Vec<u64>)> {
    let all = all_kinds_contests();
    let narrow_score = Contest {
        id: "narrow-score".into(),
        title: "Rate each from 0 to 5".into(),
        kind: ContestKind::Score { max_score: 5 },
        options: all[4].options.clone(),
    };
    let one_of_five = Contest {
        id: "one-of-five".into(),
        title: "Choose one of five".into(),
        kind: ContestKind::Choose { min: 1, max: 1 },
        options: all[2].options.clone(),
    };
    vec![
        ("choose 1 of 5", one_of_five, vec![0, 0, 1, 0, 0]),
        ("referendum (1 of 2)", all[1].clone(), vec![1, 0]),
        ("choose 2 to 4 of 5", all[2].clone(), vec![1, 0, 1, 1, 0]),
        ("approval", all[3].clone(), vec![1, 1, 0, 1]),
        ("score 0..5 (disjunctive)", narrow_score, vec![5, 0, 3]),
        ("score 0..20 (Bulletproofs)", all[4].clone(), vec![20, 7, 0]),
        ("cumulative 10 points", all[5].clone(), vec![4, 0, 6]),
        ("participatory budget", all[6].clone(), vec![1, 0, 1, 1]),
        (
            "ranked: 3 of 4 ranked, Scottish STV for 2 seats",
            all[7].clone(),
            vec![3, 1, 0],
        ),
    ]
}

/// A fixed key and fingerprint for the per-kind ballots (no ceremony needed).
pub fn kind_context(contest: &Contest) -> (Manifest, BallotContext, Scalar) {
    let m = manifest(vec![contest.clone()], 1, 1);
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::digest(b"ballot-vectors election secret").into(),
    );
    let key = Point::from_point(curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE * &k);
    let fp =
        protocol::hash::tagged_hash("thistle-v1/test-vector-fingerprint", contest.id.as_bytes());
    let ctx = BallotContext::new(&m, key, fp);
    (m, ctx, k)
}

fn ballot_vectors() -> Value {
    let cred = super::key("ballot-vectors credential");
    let cases: Vec<Value> = kind_cases()
        .into_iter()
        .map(|(name, contest, selection)| {
            let (m, ctx, k) = kind_context(&contest);
            let mut r = rng(&format!("ballot-vectors {name}"));
            let sel = vec![selection];
            let (encrypted, secrets) = ballot::encrypt(&ctx, &cred.public_key(), 1, 0, &sel, &mut r).unwrap();
            let b = encrypted.clone().cast(&cred).unwrap();
            ballot::verify(&ctx, b.clone(), 1, &mut r).unwrap();
            let audited = secrets.audit(encrypted.clone(), &cred).unwrap();
            let mut tampered = encrypted;
            let first = tampered.contests[0].ciphertexts[0];
            tampered.contests[0].ciphertexts[0] = protocol::elgamal::Ciphertext { alpha: first.beta, beta: first.alpha };
            let tampered = tampered.cast(&cred).unwrap();
            json!({
                "name": name,
                "manifest": h(m.to_bytes()),
                "kind": format!("{:?}", contest.kind),
                "claims": claims_json(&contest),
                "range_bits": contest.range_bits(),
                "election_secret": h(k.as_bytes()),
                "election_key": h(ctx.key.point().as_bytes()),
                "fingerprint": h(ctx.fingerprint),
                "ballot": ballot_json(&m, &b, 1, &sel, Some(&audited)),
                "reject": [{"bytes": h(tampered.to_bytes()), "reason": "first ciphertext's α and β swapped (re-signed): proofs fail"}],
            })
        })
        .collect();
    json!({
        "description": "One ballot per contest kind, with its claims, randomness, transcript and challenge (spec §7, §11).",
        "credential_public_key": h(cred.public_key().as_bytes()),
        "cases": cases,
    })
}

/// The tiny election of the vectors: 3 trustees (t = 2), 4 voters with weights, a revote, an
/// audited ballot, and a tally decrypted by trustees 1 and 3.
pub struct TinyElection {
    pub e: Election,
    pub cast: Vec<(usize, Ballot, Vec<Vec<u64>>)>,
    pub audited: AuditedBallot,
    pub tally: EncryptedTally,
    pub partials: Vec<PartialDecryption>,
    pub results: tally::Results,
    pub leaves: Vec<Leaf>,
}

pub fn tiny_contests() -> Vec<Contest> {
    let all = all_kinds_contests();
    vec![all[0].clone(), all[1].clone(), all[6].clone()]
}

pub fn tiny_election() -> TinyElection {
    let e = Election::new(tiny_contests(), 3, 2, 4, |i| [1, 1, 2, 1][i]);
    let mut r = rng("tiny-election");
    let sels = [
        vec![vec![1, 0, 0], vec![1, 0], vec![1, 1, 0, 1]],
        vec![vec![0, 1, 0], vec![0, 1], vec![0, 1, 1, 0]],
        vec![vec![0, 0, 1], vec![1, 0], vec![0, 0, 0, 1]],
        vec![vec![1, 0, 0], vec![1, 0], vec![1, 0, 1, 1]],
        vec![vec![0, 1, 0], vec![0, 1], vec![1, 0, 0, 0]], // voter 0's revote
    ];
    // Voting opens at leaf 10 (after the manifest, a phase change, 3 + 3 ceremony entries, the
    // credential list and the opening). The devices saw a checkpoint of size 10; the revote, a later
    // one of size 14.
    let voters = [0usize, 1, 2, 3, 0];
    let seen = [10u64, 10, 10, 10, 14];
    let mut cast = Vec::new();
    for ((v, sel), board_size) in voters.iter().zip(&sels).zip(seen) {
        let cred = &e.creds[*v];
        let w = e.list.weight_of(&cred.public_key()).unwrap();
        let (b, _) = ballot::encrypt(
            &e.ballot_ctx,
            &cred.public_key(),
            w,
            board_size,
            sel,
            &mut r,
        )
        .unwrap();
        cast.push((*v, b.cast(cred).unwrap(), sel.clone()));
    }
    let (ab, secrets) = ballot::encrypt(
        &e.ballot_ctx,
        &e.creds[1].public_key(),
        1,
        10,
        &[vec![0, 0, 1], vec![0, 1], vec![0, 0, 1, 0]],
        &mut r,
    )
    .unwrap();
    let audited = secrets.audit(ab, &e.creds[1]).unwrap();
    let mut acc = TallyAccumulator::new(e.manifest());
    for (i, (v, b, _)) in cast.iter().enumerate() {
        let superseded = cast[i + 1..].iter().any(|(w, _, _)| w == v);
        if !superseded {
            acc.add(b, e.list.weight_of(&b.encrypted.credential).unwrap())
                .unwrap();
        }
    }
    let recomputed = acc.finish();
    let tally = recomputed.tally().clone();
    let fp = e.ctx.fingerprint;
    let partials: Vec<PartialDecryption> = [0usize, 2]
        .iter()
        .map(|&k| tally::partial_decrypt(&fp, &e.ceremony.shares[k], &recomputed, &mut r))
        .collect();
    let results = tally::combine(
        e.manifest(),
        e.ctx.total_weight,
        &tally,
        &partials.iter().collect::<Vec<_>>(),
    )
    .unwrap();
    let leaves = log_of(&e, &cast, &audited, &tally, &partials, &results);
    TinyElection {
        e,
        cast,
        audited,
        tally,
        partials,
        results,
        leaves,
    }
}

/// Leaf `i` is posted at `opens_at − 600 + 60·i` seconds, so voting (leaf 10 on) is in the window.
pub fn log_of(
    e: &Election,
    cast: &[(usize, Ballot, Vec<Vec<u64>>)],
    audited: &AuditedBallot,
    t: &EncryptedTally,
    partials: &[PartialDecryption],
    results: &tally::Results,
) -> Vec<Leaf> {
    let mh = e.ctx.manifest_hash;
    let admin = super::key("administrator");
    let ca = super::key("credential-authority");
    let trustee = |i: u32| super::key(&format!("trustee-{i}"));
    let mut entries: Vec<SignedEntry> = vec![
        SignedEntry::sign(&mh, Entry::Manifest(e.manifest().clone()), &admin),
        SignedEntry::sign(
            &mh,
            Entry::Phase {
                phase: Phase::KeyCeremony,
                fingerprint: None,
            },
            &admin,
        ),
    ];
    for p in e.ceremony.round1.packages() {
        entries.push(SignedEntry::sign(
            &mh,
            Entry::DkgRound1(p.clone()),
            &trustee(p.dealer),
        ));
    }
    for p in &e.ceremony.round2 {
        entries.push(SignedEntry::sign(
            &mh,
            Entry::DkgRound2(p.clone()),
            &trustee(p.dealer),
        ));
    }
    entries.push(SignedEntry::sign(
        &mh,
        Entry::CredentialList(e.list.clone()),
        &ca,
    ));
    entries.push(SignedEntry::sign(
        &mh,
        Entry::Phase {
            phase: Phase::VotingOpen,
            fingerprint: Some(e.ctx.fingerprint),
        },
        &admin,
    ));
    for (k, (_, b, _)) in cast.iter().enumerate() {
        entries.push(SignedEntry {
            entry: Entry::Ballot(b.clone()),
            signature: None,
        });
        if k == 1 {
            entries.push(SignedEntry {
                entry: Entry::AuditedBallot(audited.clone()),
                signature: None,
            });
        }
    }
    entries.push(SignedEntry::sign(
        &mh,
        Entry::Phase {
            phase: Phase::VotingClosed,
            fingerprint: None,
        },
        &admin,
    ));
    entries.push(SignedEntry::sign(
        &mh,
        Entry::EncryptedTally(t.clone()),
        &admin,
    ));
    entries.push(SignedEntry::sign(
        &mh,
        Entry::Phase {
            phase: Phase::Tally,
            fingerprint: None,
        },
        &admin,
    ));
    for p in partials {
        entries.push(SignedEntry::sign(
            &mh,
            Entry::PartialDecryption(p.clone()),
            &trustee(p.trustee),
        ));
    }
    entries.push(SignedEntry::sign(
        &mh,
        Entry::Results(results.clone()),
        &admin,
    ));
    entries
        .into_iter()
        .enumerate()
        .map(|(i, signed)| Leaf {
            time: e.manifest().opens_at - 600 + 60 * i as u64,
            signed,
        })
        .collect()
}

fn election_vectors() -> Value {
    let tiny = tiny_election();
    let e = &tiny.e;
    let params = &e.ceremony.params;
    let round1: Vec<Value> = e
        .ceremony
        .round1
        .packages()
        .iter()
        .map(|p| {
            let ops = round1_ops(params, p);
            let (c, _) = replay(&ops_to_values(&ops));
            json!({"dealer": p.dealer, "bytes": h(p.to_bytes()), "transcript": ops_json(&ops), "challenge": h(c.as_bytes())})
        })
        .collect();
    let round2: Vec<Value> = e
        .ceremony
        .round2
        .iter()
        .map(|p| json!({"dealer": p.dealer, "bytes": h(p.to_bytes())}))
        .collect();
    let vshares: Vec<Value> = e.ceremony.outcome.qualified.iter().map(|&j| json!({"trustee": j, "point": h(e.ceremony.outcome.verification_share(j).unwrap().as_bytes())})).collect();
    let voters: Vec<Value> = e.creds.iter().map(|c| json!({"public_key": h(c.public_key().as_bytes()), "weight": e.list.weight_of(&c.public_key()).unwrap()})).collect();
    let ballots: Vec<Value> = tiny
        .cast
        .iter()
        .enumerate()
        .map(|(i, (v, b, sel))| {
            let w = e.list.weight_of(&b.encrypted.credential).unwrap();
            let mut j = ballot_json(e.manifest(), b, w, sel, None);
            j["voter"] = json!(v);
            j["counted"] = json!(!tiny.cast[i + 1..].iter().any(|(u, _, _)| u == v));
            j
        })
        .collect();
    let partials: Vec<Value> = tiny
        .partials
        .iter()
        .map(|p| {
            let y = e.ceremony.outcome.verification_share(p.trustee).unwrap();
            let ops = decryption_ops(&e.ctx.fingerprint, &y, &tiny.tally, p);
            let (c, _) = replay(&ops_to_values(&ops));
            json!({"trustee": p.trustee, "bytes": h(p.to_bytes()), "transcript": ops_json(&ops), "challenge": h(c.as_bytes())})
        })
        .collect();
    let set: Vec<u32> = tiny.partials.iter().map(|p| p.trustee).collect();
    let lagrange: Vec<Value> = set
        .iter()
        .zip(tally::lagrange_at_zero(&set))
        .map(|(j, l)| json!({"trustee": j, "coefficient": h(l.as_bytes())}))
        .collect();
    let leaf_hashes: Vec<[u8; 32]> = tiny
        .leaves
        .iter()
        .map(|l| merkle::leaf_hash(&l.to_bytes()))
        .collect();
    let root = merkle::root(&leaf_hashes);
    let board = super::key("board");
    let checkpoint_body = Checkpoint {
        origin: merkle::log_origin(&e.manifest().board.origin, &e.ctx.manifest_hash),
        size: leaf_hashes.len() as u64,
        root,
    };
    let checkpoint = checkpoint_body.sign(&board);
    // Witnesses 1 and 3 cosign at fixed times (spec §13.9); witness 2 is away.
    let cosignatures: Vec<Value> = [(1usize, 1_800_086_460u64), (3, 1_800_086_461)]
        .iter()
        .map(|&(i, time)| {
            let w = &e.manifest().witnesses[i - 1];
            let secret = super::key(&format!("witness-{i}"));
            let body = checkpoint_body.body();
            json!({
                "witness": i - 1,
                "name": w.name,
                "key": h(w.key.as_bytes()),
                "key_id": h(protocol::witness::cosignature_key_id(&w.name, &w.key)),
                "vkey": protocol::witness::verifier_key(&w.name, &w.key),
                "time": time,
                "signed_message": protocol::witness::signed_message(&body, time),
                "line": protocol::witness::cosign(&w.name, &secret, &body, time),
            })
        })
        .collect();
    let cosigned = format!(
        "{checkpoint}{}",
        cosignatures
            .iter()
            .map(|c| c["line"].as_str().unwrap())
            .collect::<String>()
    );
    let leaves: Vec<Value> = tiny
        .leaves
        .iter()
        .zip(&leaf_hashes)
        .enumerate()
        .map(|(i, (l, lh))| {
            let receipt = protocol::record::Receipt::for_leaf(i as u64, l);
            let signature = receipt.sign(&e.ctx.manifest_hash, &board);
            json!({
                "bytes": h(l.to_bytes()),
                "leaf_hash": h(lh),
                "receipt": {
                    "signing_data": h(receipt.signing_data(&e.ctx.manifest_hash)),
                    "signature": h(signature),
                },
            })
        })
        .collect();
    json!({
        "description": "A whole tiny election: 3 trustees (t = 2), 4 voters (one of weight 2), a revote, an audited ballot, the tally decrypted by trustees 1 and 3, and the board's log (spec §8–§13).",
        "manifest": {"bytes": h(e.manifest().to_bytes()), "hash": h(e.ctx.manifest_hash)},
        "ceremony": {
            "context": h(params.context), "n": params.n, "t": params.t,
            "round1": round1, "round2": round2, "complaints": [],
            "qualified": e.ceremony.outcome.qualified, "joint_key": h(e.ceremony.outcome.joint_key.as_bytes()),
            "verification_shares": vshares,
        },
        "credentials": {"list": h(e.list.to_bytes()), "commitment": h(e.ctx.credential_list_commitment), "voters": voters},
        "fingerprint": {"suite": protocol::SUITE, "value": h(e.ctx.fingerprint)},
        "ballots": ballots,
        "audited": {"bytes": h(tiny.audited.to_bytes()), "values": tiny.audited.openings.iter().map(|o| o.iter().map(|(m, _)| *m).collect::<Vec<_>>()).collect::<Vec<_>>()},
        "tally": {"bytes": h(tiny.tally.to_bytes()), "hash": h(tiny.tally.hash())},
        "partial_decryptions": partials,
        "lagrange": lagrange,
        "results": {"bytes": h(tiny.results.to_bytes()), "totals": tiny.results.totals},
        "log": {"leaves": leaves, "root": h(root), "origin": checkpoint_body.origin, "checkpoint": checkpoint, "board_key": h(board.public_key().as_bytes()),
                "cosignatures": cosignatures, "cosigned_checkpoint": cosigned, "witness_quorum": e.manifest().witness_quorum},
    })
}

/// A 2-of-4 ceremony with one cheating dealer (2 sends trustee 3 a bad share) and one false complaint
/// (trustee 1 accuses the honest dealer 4): both culprits are named and QUAL = {3, 4}.
fn complaint_vectors() -> Value {
    use protocol::dkg::{self, CeremonyRecord, Round1Set};
    let m = manifest(tiny_contests(), 4, 2);
    let params = CeremonyParams::from_manifest(&m);
    let mut r = rng("complaint-ceremony");
    let (secrets, packages): (Vec<_>, Vec<_>) = (1..=4)
        .map(|i| dkg::round1(&params, i, &mut r).unwrap())
        .unzip();
    let set = Round1Set::verify(&params, packages).unwrap();
    let (secrets, mut round2): (Vec<_>, Vec<_>) =
        secrets.into_iter().map(|s| s.deal(&params, &set)).unzip();
    round2[1]
        .shares
        .iter_mut()
        .find(|s| s.recipient == 3)
        .unwrap()
        .masked += Scalar::ONE;
    let mut complaints = secrets[2].check_shares(&params, &set, &round2, &mut r);
    assert_eq!(complaints.len(), 1);
    // Trustee 1's false complaint: made against a tampered copy of dealer 4's shares, posted against the real ones.
    let mut doctored = round2.clone();
    doctored[3].shares[0].masked += Scalar::ONE;
    complaints.extend(
        secrets[0]
            .check_shares(&params, &set, &doctored, &mut r)
            .into_iter()
            .filter(|c| c.accused == 4),
    );
    assert_eq!(complaints.len(), 2);
    let outcome = CeremonyRecord {
        round1: &set,
        round2: &round2,
        complaints: &complaints,
    }
    .outcome(&params, &mut r)
    .unwrap();
    let cases: Vec<Value> = complaints
        .iter()
        .map(|c| {
            let (complainer, accused) = (set.get(c.complainer), set.get(c.accused));
            let cops = complaint_ops(&params, complainer, accused, c);
            let (challenge, _) = replay(&ops_to_values(&cops));
            let pops = pad_ops(&params, accused, complainer, &c.dh);
            let (pad, _) = replay(&ops_to_values(&pops));
            let masked = round2[c.accused as usize - 1].shares.iter().find(|s| s.recipient == c.complainer).unwrap().masked;
            let culprit = c.culprit(&params, &set, Some(&round2[c.accused as usize - 1]), &mut r).unwrap();
            json!({
                "bytes": h(c.to_bytes()),
                "complainer": c.complainer, "accused": c.accused,
                "transcript": ops_json(&cops), "challenge": h(challenge.as_bytes()),
                "pad_transcript": ops_json(&pops), "pad": h(pad.as_bytes()),
                "masked_share": h(masked.as_bytes()), "share": h((masked - pad).as_bytes()),
                "expected_share_point": h(Point::from_point(accused.share_commitment(c.complainer)).as_bytes()),
                "culprit": culprit,
            })
        })
        .collect();
    json!({
        "description": "A 2-of-4 key ceremony with a tampered share and a false complaint; every complaint decided by hand (spec §8.3–§8.5).",
        "manifest": h(m.to_bytes()),
        "context": h(params.context),
        "round1": set.packages().iter().map(|p| h(p.to_bytes())).collect::<Vec<_>>(),
        "round2": round2.iter().map(|p| h(p.to_bytes())).collect::<Vec<_>>(),
        "complaints": cases,
        "qualified": outcome.qualified,
        "disqualified": outcome.disqualified.iter().map(|(i, why)| json!({"trustee": i, "reason": why})).collect::<Vec<_>>(),
        "joint_key": h(outcome.joint_key.as_bytes()),
    })
}

/// Spec §12.9: a shuffle of 3 ballots of width 2 with its permutation and re-encryption
/// randomness, the proof, and the transcript as ops.
/// The shuffle of `shuffle.json`, built from its fixed seed.
struct ShuffleCase {
    x: Scalar,
    key: protocol::elgamal::ElectionPublicKey,
    fingerprint: [u8; 32],
    n: usize,
    w: usize,
    input: Vec<protocol::shuffle::Row>,
    output: Vec<protocol::shuffle::Row>,
    psi: Vec<u32>,
    r_prime: Vec<Vec<Scalar>>,
    proof: protocol::shuffle::ShuffleProof,
}

fn shuffle_case() -> ShuffleCase {
    use protocol::elgamal::{Ciphertext, ElectionPublicKey};
    use protocol::shuffle::{self, Row, ShuffleSecret};
    let mut r = rng("vectors/shuffle");
    let x = Scalar::from(31_415_926u64);
    let key = ElectionPublicKey::new(Point::from_point(group::g() * x));
    let fingerprint = protocol::hash::tagged_hash("thistle-v1/vectors", b"shuffle fingerprint");
    let (n, w) = (3usize, 2usize);
    let input: Vec<Row> = (0..n)
        .map(|i| {
            (0..w)
                .map(|k| key.encrypt((1 + i + k) as u64, &mut r).0)
                .collect()
        })
        .collect();
    let psi = vec![2u32, 0, 1];
    let r_prime: Vec<Vec<Scalar>> = (0..n)
        .map(|_| (0..w).map(|_| Scalar::random(&mut r)).collect())
        .collect();
    let output: Vec<Row> = psi
        .iter()
        .zip(&r_prime)
        .map(|(&j, rs)| {
            input[j as usize]
                .iter()
                .zip(rs)
                .map(|(c, rk)| Ciphertext {
                    alpha: Point::from_point(c.alpha.point() + group::g() * rk),
                    beta: Point::from_point(c.beta.point() + key.point().point() * rk),
                })
                .collect()
        })
        .collect();
    let secret = ShuffleSecret::from_parts(psi.clone(), r_prime.clone()).unwrap();
    let proof = shuffle::prove(&fingerprint, &key, &input, &output, secret, &mut r).unwrap();
    ShuffleCase {
        x,
        key,
        fingerprint,
        n,
        w,
        input,
        output,
        psi,
        r_prime,
        proof,
    }
}

fn shuffle_vectors() -> Value {
    use protocol::shuffle::{self, Row};
    let ShuffleCase {
        x,
        key,
        fingerprint,
        n,
        w,
        input,
        output,
        psi,
        r_prime,
        proof,
    } = shuffle_case();
    let rows = |rows: &[Row]| -> Value {
        rows.iter()
            .map(|row| {
                row.iter()
                    .map(|c| json!({"alpha": h(c.alpha.as_bytes()), "beta": h(c.beta.as_bytes())}))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let flat = |rows: &[Row]| -> Vec<u8> {
        let mut out = Vec::new();
        for c in rows.iter().flatten() {
            c.encode(&mut out);
        }
        out
    };
    let cat =
        |points: &[&Point]| -> Vec<u8> { points.iter().flat_map(|p| *p.as_bytes()).collect() };
    let mut ops = start("shuffle", "fingerprint", &fingerprint);
    ops.push(pt("K", key.point()));
    ops.push(Op::U64("N", n as u64));
    ops.push(Op::U64("w", w as u64));
    ops.push(Op::Append("input", flat(&input)));
    ops.push(Op::Append("output", flat(&output)));
    ops.push(Op::Append(
        "commitments",
        cat(&proof.commitments.iter().collect::<Vec<_>>()),
    ));
    for _ in 0..n {
        ops.push(Op::Challenge("u"));
    }
    ops.push(Op::Append(
        "chain",
        cat(&proof.chain.iter().collect::<Vec<_>>()),
    ));
    let ts: Vec<&Point> = proof
        .t
        .iter()
        .chain(proof.t4.iter().flatten())
        .chain(&proof.t_hat)
        .collect();
    ops.push(Op::Append("t", cat(&ts)));
    ops.push(Op::Challenge("c"));
    let labels: Vec<Value> = (0..n as u32)
        .map(|i| {
            let mut l = shuffle::GENERATOR_LABEL.to_vec();
            l.extend_from_slice(&i.to_le_bytes());
            json!(h(l))
        })
        .collect();
    let hs: Vec<Value> = shuffle::generators(n)
        .iter()
        .map(|p| json!(h(Point::from_point(*p).as_bytes())))
        .collect();
    let pts = |ps: &[Point]| -> Vec<String> { ps.iter().map(|p| h(p.as_bytes())).collect() };
    let scs = |ss: &[Scalar]| -> Vec<String> { ss.iter().map(|s| h(s.as_bytes())).collect() };
    let mut proof_bytes = Vec::new();
    proof.encode(&mut proof_bytes);
    json!({
        "description": "Spec §12.9: a proof of shuffle of N = 3 ballots of width w = 2. `output[i]` re-encrypts `input[permutation[i]]` with `reencryption[i][k]` (α + r·G, β + r·K). The transcript ops give every challenge (u_0..u_2, then c); every verification equation of §12.9 holds for these values one by one.",
        "secret_key": h(x.as_bytes()),
        "key": h(key.point().as_bytes()),
        "fingerprint": h(fingerprint),
        "N": n,
        "w": w,
        "generator_labels_hex": labels,
        "generators": hs,
        "chain_base_label": std::str::from_utf8(shuffle::CHAIN_BASE_LABEL).unwrap(),
        "chain_base": h(Point::from_point(group::hash_to_group(shuffle::CHAIN_BASE_LABEL)).as_bytes()),
        "input": rows(&input),
        "output": rows(&output),
        "permutation": psi,
        "reencryption": r_prime.iter().map(|row| scs(row)).collect::<Vec<_>>(),
        "transcript": ops_json(&ops),
        "proof": {
            "commitments": pts(&proof.commitments),
            "chain": pts(&proof.chain),
            "t": pts(&proof.t),
            "t4": proof.t4.iter().map(|p| pts(p)).collect::<Vec<_>>(),
            "t_hat": pts(&proof.t_hat),
            "s": scs(&proof.s),
            "s4": scs(&proof.s4),
            "s_hat": scs(&proof.s_hat),
            "s_prime": scs(&proof.s_prime),
        },
        "proof_bytes": h(proof_bytes),
    })
}

/// Spec §12.8, §12.11: the lot seed of a contest's last mix, the papers its decrypted rows are,
/// their counts (one with a tie settled by lot) and the entries' encodings.
fn ranked_vectors() -> Value {
    use protocol::mixnet::{self, Mix, RankedCount};
    let manifest_hash = protocol::hash::tagged_hash("thistle-v1/vectors", b"ranked manifest");
    let ward = all_kinds_contests().remove(7);
    let values: Vec<Vec<u16>> = vec![
        vec![1, 2, 3],
        vec![2, 1, 0],
        vec![4, 0, 0],
        vec![3, 4, 1],
        vec![1, 3, 0],
        vec![2, 4, 3],
        vec![2, 0, 0],
        vec![0, 3, 1],
    ];
    let contest = 7u32;
    let seed = mixnet::lot_seed(&manifest_hash, contest, &values);
    let sheet = mixnet::count(&ward, &values, &seed).unwrap();
    let count = RankedCount {
        contest,
        rows: values.clone(),
        sheet,
    };
    let mut count_bytes = Vec::new();
    count.encode(&mut count_bytes);
    let mut sheet_bytes = Vec::new();
    count.sheet.encode(&mut sheet_bytes);
    // Two candidates, one seat, one paper each: excluding the one with fewer votes is a tie
    // that no earlier stage settles, so it goes to the lot.
    let tie = Contest {
        kind: ContestKind::Ranked {
            ranks: 1,
            seats: 1,
            method: protocol::manifest::RankedMethod::ScottishStv,
        },
        options: ward.options[..2].to_vec(),
        ..ward.clone()
    };
    let tie_values = vec![vec![2u16], vec![1u16]];
    let tie_seed = mixnet::lot_seed(&manifest_hash, 0, &tie_values);
    let tie_sheet = mixnet::count(&tie, &tie_values, &tie_seed).unwrap();
    let mut tie_bytes = Vec::new();
    tie_sheet.encode(&mut tie_bytes);
    let lot = tie_sheet.stages.iter().find_map(|s| s.lot.clone()).unwrap();
    let lot_keys: Vec<Value> = lot
        .tied
        .iter()
        .map(|&c| {
            let mut data = tie_seed.to_vec();
            data.extend_from_slice(&2u32.to_le_bytes());
            data.extend_from_slice(&c.to_le_bytes());
            json!({"candidate": c, "key": h(protocol::hash::tagged_hash("thistle-v1/stv-lot", &data))})
        })
        .collect();
    // A mix entry's framing (§12.11): the shuffle of `shuffle.json` posted by trustee 2 as the
    // first mix of contest 7.
    let shuffle = shuffle_case();
    let mix = Mix {
        contest,
        mixer: 2,
        position: 0,
        rows: shuffle.output,
        proof: shuffle.proof,
    };
    let mut mix_bytes = Vec::new();
    mix.encode(&mut mix_bytes);
    json!({
        "description": "Spec §12.8 and §12.11: the lot seed over a contest's decrypted rows (in increasing order), the papers they make (options v−1 before the first 0), the Scottish STV count of them and its CountSheet encoding, the RankedCount entry body (rows in the last mix's order); a two-candidate tie settled by lot with each candidate's lot key; and the head of a mix entry body.",
        "manifest_hash": h(manifest_hash),
        "contest": contest,
        "candidates": ward.options.len(),
        "seats": 2,
        "lot_seed": h(seed),
        "values": values,
        "papers": values.iter().map(|v| mixnet::paper(v)).collect::<Vec<_>>(),
        "elected": count.sheet.elected,
        "quota_units": count.sheet.quota,
        "stages": count.sheet.stages.len(),
        "count_sheet": h(&sheet_bytes),
        "ranked_count_entry_body": h(&count_bytes),
        "tie": {
            "contest": 0,
            "candidates": 2,
            "seats": 1,
            "values": tie_values,
            "lot_seed": h(tie_seed),
            "lot_stage": 2,
            "lot_keys": lot_keys,
            "chosen": lot.chosen,
            "count_sheet": h(&tie_bytes),
        },
        "mix_entry_head": h(&mix_bytes[..20]),
        "mix_entry_length": mix_bytes.len(),
    })
}
