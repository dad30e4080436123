//! Loads every file in `specs/vectors/` and checks every intermediate value. Transcripts are
//! replayed with Merlin directly and equations recomputed with curve25519-dalek, so these checks
//! are a small second verifier written from the specification, not a call back into the prover.
mod support;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use protocol::ballot::{self, AuditedBallot, Ballot, BallotContext};
use protocol::credentials::CredentialList;
use protocol::dkg::{CeremonyParams, Round1Package, Round1Set, Round2Package};
use protocol::encoding::{Decode, Encode, Reader};
use protocol::group::{self, Point};
use protocol::manifest::Manifest;
use protocol::merkle::{self, Checkpoint};
use protocol::record::{Entry, Leaf, Phase};
use protocol::signature::PublicKey;
use protocol::tally::{self, EncryptedTally, PartialDecryption};
use serde_json::Value;
use sha2::{Digest, Sha512};
use support::vectors::{ops_to_values, replay, replay_on};

fn load(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../specs/vectors")
        .join(name);
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).unwrap()
}

fn arr32(v: &Value) -> [u8; 32] {
    bytes(v).try_into().unwrap()
}

fn point(v: &Value) -> RistrettoPoint {
    CompressedRistretto(arr32(v)).decompress().unwrap()
}

fn scalar(v: &Value) -> Scalar {
    Scalar::from_canonical_bytes(arr32(v)).unwrap()
}

fn challenge_of(v: &Value) -> Scalar {
    let (c, _) = replay(v["transcript"].as_array().unwrap());
    assert_eq!(
        hex::encode(c.as_bytes()),
        v["challenge"].as_str().unwrap(),
        "replayed challenge differs"
    );
    c
}

#[test]
fn vector_files_match_the_generator() {
    for (name, contents) in support::vectors::all() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../specs/vectors")
            .join(name);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(on_disk == contents, "specs/vectors/{name} is stale: run `cargo run -p protocol --example vectors` and review the diff");
    }
}

#[test]
fn group_vectors() {
    let v = load("group.json");
    assert_eq!(point(&v["basepoint"]), G);
    let label = v["pedersen_blinding"]["label"].as_str().unwrap();
    let digest = Sha512::digest(label.as_bytes());
    assert_eq!(
        hex::encode(digest),
        v["pedersen_blinding"]["sha512"].as_str().unwrap()
    );
    let h = RistrettoPoint::from_uniform_bytes(&digest.into());
    assert_eq!(point(&v["pedersen_blinding"]["point"]), h);
    assert_eq!(h, group::pedersen_blinding());
    for m in v["small_multiples"].as_array().unwrap() {
        assert_eq!(
            point(&m["point"]),
            G * Scalar::from(m["m"].as_u64().unwrap())
        );
    }
    assert!(Point::from_canonical(arr32(&v["identity"]), "identity", true).is_ok());
    assert!(Point::from_canonical(arr32(&v["identity"]), "identity", false).is_err());
    for r in v["reject_points"].as_array().unwrap() {
        assert!(
            Point::from_canonical(arr32(&r["hex"]), "p", true).is_err(),
            "{}",
            r["reason"]
        );
    }
    for s in v["valid_scalars"].as_array().unwrap() {
        assert!(group::scalar_from_canonical(arr32(s), "s").is_ok());
    }
    for s in v["reject_scalars"].as_array().unwrap() {
        assert!(group::scalar_from_canonical(arr32(s), "s").is_err());
    }
    for t in v["tagged_hashes"].as_array().unwrap() {
        let tag = t["tag"].as_str().unwrap();
        let mut hasher = sha2::Sha256::new();
        hasher.update((tag.len() as u32).to_le_bytes());
        hasher.update(tag.as_bytes());
        hasher.update(bytes(&t["data"]));
        assert_eq!(
            hex::encode(hasher.finalize()),
            t["digest"].as_str().unwrap()
        );
    }
}

#[test]
fn signature_vectors() {
    let v = load("signatures.json");
    for s in v["valid"].as_array().unwrap() {
        let pk = PublicKey::from_bytes(arr32(&s["public_key"]), "k").unwrap();
        let tag = s["tag"].as_str().unwrap();
        let mut msg = (tag.len() as u32).to_le_bytes().to_vec();
        msg.extend_from_slice(tag.as_bytes());
        msg.extend_from_slice(&bytes(&s["data"]));
        assert_eq!(msg, bytes(&s["message"]));
        pk.verify(
            tag,
            &bytes(&s["data"]),
            &bytes(&s["signature"]).try_into().unwrap(),
            "vector",
        )
        .unwrap();
    }
    for s in v["reject_signatures"].as_array().unwrap() {
        let pk = PublicKey::from_bytes(arr32(&s["public_key"]), "k").unwrap();
        let sig: [u8; 64] = bytes(&s["signature"]).try_into().unwrap();
        assert!(
            pk.verify(
                s["tag"].as_str().unwrap(),
                &bytes(&s["data"]),
                &sig,
                "vector"
            )
            .is_err(),
            "{}",
            s["reason"]
        );
    }
    // The small-order R case is exactly what plain `verify` lets through.
    let small_r = &v["reject_signatures"][0];
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&arr32(&small_r["public_key"])).unwrap();
    let msg = bytes(&v["valid"][0]["message"]);
    let sig =
        ed25519_dalek::Signature::from_bytes(&bytes(&small_r["signature"]).try_into().unwrap());
    assert!(ed25519_dalek::Verifier::verify(&vk, &msg, &sig).is_ok());
    assert!(vk.verify_strict(&msg, &sig).is_err());
    for k in v["reject_public_keys"].as_array().unwrap() {
        assert!(
            PublicKey::from_bytes(arr32(&k["hex"]), "k").is_err(),
            "{}",
            k["reason"]
        );
    }
}

/// Spec §1.2: party `j`'s Bulletproofs generators, `RFC9496-map` of successive 64-byte blocks of
/// `SHAKE256("GeneratorsChain" ‖ label ‖ u32le(j))`.
fn bulletproof_generators(label: u8, j: u32, n: usize) -> Vec<RistrettoPoint> {
    use sha3::digest::{ExtendableOutput, Update, XofReader};
    let mut shake = sha3::Shake256::default();
    shake.update(b"GeneratorsChain");
    shake.update(&[label]);
    shake.update(&j.to_le_bytes());
    let mut xof = shake.finalize_xof();
    (0..n)
        .map(|_| {
            let mut wide = [0u8; 64];
            xof.read(&mut wide);
            RistrettoPoint::from_uniform_bytes(&wide)
        })
        .collect()
}

/// Spec §5.5's verification equation, term by term, with the challenges `y, z, x, w, u_0…u_{k−1}`.
fn check_range_proof_by_hand(n: usize, vs: &[Point], proof: &[u8], ch: &[Scalar]) {
    let m = vs.len();
    let big_n = n * m;
    let k = (proof.len() / 32 - 9) / 2;
    assert_eq!(1 << k, big_n, "k = log2(n·m)");
    let point = |i: usize| {
        CompressedRistretto(proof[32 * i..32 * (i + 1)].try_into().unwrap())
            .decompress()
            .unwrap()
    };
    let scalar = |i: usize| {
        Scalar::from_canonical_bytes(proof[32 * i..32 * (i + 1)].try_into().unwrap()).unwrap()
    };
    let (a_pt, s_pt, t1, t2) = (point(0), point(1), point(2), point(3));
    let (t_x, t_x_blinding, e_blinding) = (scalar(4), scalar(5), scalar(6));
    let (l, r): (Vec<_>, Vec<_>) = (0..k).map(|i| (point(7 + 2 * i), point(8 + 2 * i))).unzip();
    let (a, b) = (scalar(7 + 2 * k), scalar(8 + 2 * k));
    let (y, z, x, w) = (ch[0], ch[1], ch[2], ch[3]);
    let u = &ch[4..];
    let powers = |base: Scalar, count: usize| -> Vec<Scalar> {
        std::iter::successors(Some(Scalar::ONE), |p| Some(p * base))
            .take(count)
            .collect()
    };
    let sum = |v: Vec<Scalar>| v.into_iter().sum::<Scalar>();
    let delta = (z - z * z) * sum(powers(y, big_n))
        - z * z * z * sum(powers(Scalar::from(2u64), n)) * sum(powers(z, m));
    let mut s = vec![u.iter().map(|ui| ui.invert()).product::<Scalar>()];
    for t in 1..big_n {
        let bit = usize::BITS as usize - 1 - t.leading_zeros() as usize;
        s.push(s[t - (1 << bit)] * u[k - 1 - bit] * u[k - 1 - bit]);
    }
    let g_vec: Vec<RistrettoPoint> = (0..m as u32)
        .flat_map(|j| bulletproof_generators(b'G', j, n))
        .collect();
    let h_vec: Vec<RistrettoPoint> = (0..m as u32)
        .flat_map(|j| bulletproof_generators(b'H', j, n))
        .collect();
    // §1.2 is the crate's chain.
    let crate_gens = bulletproofs::BulletproofGens::new(n, m);
    for j in 0..m {
        let ours = &g_vec[j * n..(j + 1) * n];
        assert!(crate_gens.share(j).G(n).zip(ours).all(|(c, o)| c == o));
    }
    let c = Scalar::from(0x5eed_u64);
    let y_inv = powers(y.invert(), big_n);
    let two = powers(Scalar::from(2u64), n);
    let z_pow = powers(z, m);
    let mut total = a_pt + s_pt * x + t1 * (c * x) + t2 * (c * x * x)
        - group::pedersen_blinding() * (e_blinding + c * t_x_blinding)
        + G * (w * (t_x - a * b) + c * (delta - t_x));
    for i in 0..k {
        total += l[i] * (u[i] * u[i]) + r[i] * (u[i] * u[i]).invert();
    }
    for t in 0..big_n {
        total += g_vec[t] * (-z - a * s[t]);
        total +=
            h_vec[t] * (z + y_inv[t] * (z * z * z_pow[t / n] * two[t % n] - b * s[big_n - 1 - t]));
    }
    for (j, v) in vs.iter().enumerate() {
        total += v.point() * (c * z * z * z_pow[j]);
    }
    assert_eq!(total, RistrettoPoint::identity(), "§5.5's equation holds");
}

/// Checks one ballot's every equation by hand; returns the decoded ballot.
fn check_ballot(manifest: &Manifest, key: &RistrettoPoint, v: &Value) -> Ballot {
    let raw = bytes(&v["bytes"]);
    let b = Ballot::from_bytes(&raw).unwrap();
    assert_eq!(b.to_bytes(), raw, "canonical re-encoding");
    let weight = v["weight"].as_u64().unwrap();
    // The recorded transcript is the spec's layout applied to this ballot.
    assert_eq!(
        ops_to_values(&support::vectors::ballot_ops(
            manifest,
            &b.encrypted,
            weight
        )),
        *v["transcript"].as_array().unwrap()
    );
    let c = challenge_of(v);
    let h = group::pedersen_blinding();
    for (ci, (contest, cb)) in manifest
        .contests
        .iter()
        .zip(&b.encrypted.contests)
        .enumerate()
    {
        let derive = |coef: &[u64]| -> (RistrettoPoint, RistrettoPoint) {
            cb.ciphertexts.iter().zip(coef).fold(
                (RistrettoPoint::identity(), RistrettoPoint::identity()),
                |(a, bb), (ct, &k)| {
                    (
                        a + ct.alpha.point() * Scalar::from(k),
                        bb + ct.beta.point() * Scalar::from(k),
                    )
                },
            )
        };
        let (mut d, mut e) = (
            cb.disjunctive.iter(),
            cb.equality.iter().zip(&cb.range_commitments),
        );
        for claim in contest.claims() {
            let (alpha, beta) = derive(&claim.coefficients);
            if claim.is_disjunctive() {
                let proof = d.next().unwrap();
                assert_eq!(
                    proof.branches.iter().map(|br| br.c).sum::<Scalar>(),
                    c,
                    "contest {ci}: Σcⱼ = c"
                );
                for (j, br) in proof.branches.iter().enumerate() {
                    let vj = Scalar::from(claim.lo + j as u64);
                    assert_eq!(
                        G * br.z,
                        br.a.point() + alpha * br.c,
                        "contest {ci} branch {j}: zG = a + cα"
                    );
                    assert_eq!(
                        key * br.z,
                        br.b.point() + (beta - G * vj) * br.c,
                        "contest {ci} branch {j}: zK = b + c(β − vG)"
                    );
                }
            } else {
                for (alpha_u, beta_u) in [
                    (alpha, beta - G * Scalar::from(claim.lo)),
                    (-alpha, G * Scalar::from(claim.hi) - beta),
                ] {
                    let (eq, vv) = e.next().unwrap();
                    assert_eq!(G * eq.z_rho, eq.a1.point() + alpha_u * c);
                    assert_eq!(G * eq.z_u + key * eq.z_rho, eq.a2.point() + beta_u * c);
                    assert_eq!(G * eq.z_u + h * eq.z_s, eq.a3.point() + vv.point() * c);
                }
            }
        }
    }
    // Bulletproofs continue the same transcript after the challenge: the recorded operations are
    // the spec's layout (§5.5) applied to this ballot, they give the recorded challenges, and the
    // spec's verification equation holds with them.
    let range_ops = v["range_transcript"].as_array().unwrap();
    assert_eq!(
        ops_to_values(&support::vectors::range_proof_ops(manifest, &b.encrypted)),
        *range_ops
    );
    let (_, t) = replay(v["transcript"].as_array().unwrap());
    let (challenges, _) = replay_on(Some(t), range_ops);
    let recorded: Vec<Scalar> = v["range_challenges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Scalar::from_canonical_bytes(arr32(c)).unwrap())
        .collect();
    assert_eq!(challenges, recorded);
    let mut challenges = challenges.into_iter();
    for (contest, cb) in manifest.contests.iter().zip(&b.encrypted.contests) {
        if cb.range_commitments.is_empty() {
            continue;
        }
        let k = (cb.range_proof.len() / 32 - 9) / 2;
        let taken: Vec<Scalar> = challenges.by_ref().take(4 + k).collect();
        check_range_proof_by_hand(
            contest.range_bits() as usize,
            &cb.range_commitments,
            &cb.range_proof,
            &taken,
        );
    }
    let (_, mut t) = replay(v["transcript"].as_array().unwrap());
    for (ci, (contest, cb)) in manifest
        .contests
        .iter()
        .zip(&b.encrypted.contests)
        .enumerate()
    {
        if cb.range_commitments.is_empty() {
            continue;
        }
        t.append_u64(b"range-contest", ci as u64);
        let gens = bulletproofs::BulletproofGens::new(64, cb.range_commitments.len());
        let pc = bulletproofs::PedersenGens {
            B: G,
            B_blinding: h,
        };
        let proof = bulletproofs::RangeProof::from_bytes(&cb.range_proof).unwrap();
        let vs: Vec<CompressedRistretto> = cb
            .range_commitments
            .iter()
            .map(|p| CompressedRistretto(*p.as_bytes()))
            .collect();
        proof
            .verify_multiple_with_rng(
                &gens,
                &pc,
                &mut t,
                &vs,
                contest.range_bits() as usize,
                &mut support::rng("bp"),
            )
            .unwrap();
    }
    assert_eq!(
        hex::encode(b.tracking_code().0),
        v["tracking_code"].as_str().unwrap()
    );
    assert_eq!(b.tracking_code().short(), v["short_code"].as_str().unwrap());
    b
}

#[test]
fn ballot_vectors_every_kind() {
    let v = load("ballots.json");
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), support::vectors::kind_cases().len());
    for case in cases {
        let m = Manifest::from_bytes(&bytes(&case["manifest"])).unwrap();
        let claims: Vec<(Vec<u64>, u64, u64)> = m.contests[0]
            .claims()
            .into_iter()
            .map(|c| (c.coefficients, c.lo, c.hi))
            .collect();
        let recorded: Vec<(Vec<u64>, u64, u64)> = case["claims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    serde_json::from_value(c["coefficients"].clone()).unwrap(),
                    c["lo"].as_u64().unwrap(),
                    c["hi"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(claims, recorded, "{}", case["name"]);
        let k = scalar(&case["election_secret"]);
        let key = point(&case["election_key"]);
        assert_eq!(key, G * k);
        let b = check_ballot(&m, &key, &case["ballot"]);
        // Re-encrypting the selection with the recorded randomness gives the ciphertexts.
        let sel: Vec<Vec<u64>> =
            serde_json::from_value(case["ballot"]["selection"].clone()).unwrap();
        for ((cb, values), rs) in b
            .encrypted
            .contests
            .iter()
            .zip(&sel)
            .zip(case["ballot"]["randomness"].as_array().unwrap())
        {
            for ((ct, m), r) in cb
                .ciphertexts
                .iter()
                .zip(values)
                .zip(rs.as_array().unwrap())
            {
                let r = scalar(r);
                assert_eq!(*ct.alpha.point(), G * r);
                assert_eq!(*ct.beta.point(), G * Scalar::from(*m) + key * r);
            }
        }
        let ctx = BallotContext::new(&m, Point::from_point(key), arr32(&case["fingerprint"]));
        let mut r = support::rng("vector-verify");
        ballot::verify(&ctx, b, 1, &mut r).unwrap();
        for bad in case["reject"].as_array().unwrap() {
            let b = Ballot::from_bytes(&bytes(&bad["bytes"])).unwrap();
            assert!(
                ballot::verify(&ctx, b, 1, &mut r).is_err(),
                "{}",
                bad["reason"]
            );
        }
    }
}

#[test]
fn election_vectors_whole_record() {
    let v = load("election.json");
    let mut r = support::rng("vector-election");
    let manifest = Manifest::from_bytes(&bytes(&v["manifest"]["bytes"])).unwrap();
    manifest.validate().unwrap();
    assert_eq!(manifest.hash().to_vec(), bytes(&v["manifest"]["hash"]));

    // V4: round 1, proofs by hand.
    let cer = &v["ceremony"];
    let params = CeremonyParams::from_manifest(&manifest);
    assert_eq!(params.context.to_vec(), bytes(&cer["context"]));
    let mut packages = Vec::new();
    for p in cer["round1"].as_array().unwrap() {
        let raw = bytes(&p["bytes"]);
        let mut rd = Reader::new(&raw);
        let pkg = Round1Package::decode(&mut rd, params.t).unwrap();
        rd.finish("round 1").unwrap();
        assert_eq!(
            ops_to_values(&support::vectors::round1_ops(&params, &pkg)),
            *p["transcript"].as_array().unwrap()
        );
        let c = challenge_of(p);
        for ((rr, z), x) in pkg
            .proof
            .commitments
            .iter()
            .zip(&pkg.proof.responses)
            .zip([&pkg.commitments[0], &pkg.encryption_key])
        {
            assert_eq!(
                G * z,
                rr.point() + x.point() * c,
                "dealer {}: zG = R + cX",
                pkg.dealer
            );
        }
        packages.push(pkg);
    }
    let set = Round1Set::verify(&params, packages).unwrap();
    let round2: Vec<Round2Package> = cer["round2"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Round2Package::from_bytes(&bytes(&p["bytes"])).unwrap())
        .collect();
    // V5–V6: QUAL, joint key and verification shares by hand.
    let outcome = protocol::dkg::CeremonyRecord {
        round1: &set,
        round2: &round2,
        complaints: &[],
    }
    .outcome(&params, &mut r)
    .unwrap();
    let qualified: Vec<u32> = serde_json::from_value(cer["qualified"].clone()).unwrap();
    assert_eq!(outcome.qualified, qualified);
    let joint = qualified
        .iter()
        .map(|&i| *set.get(i).commitments[0].point())
        .sum::<RistrettoPoint>();
    assert_eq!(joint, point(&cer["joint_key"]));
    for vs in cer["verification_shares"].as_array().unwrap() {
        let j = vs["trustee"].as_u64().unwrap();
        let y: RistrettoPoint = qualified
            .iter()
            .flat_map(|&i| {
                set.get(i)
                    .commitments
                    .iter()
                    .enumerate()
                    .map(move |(k, c)| c.point() * Scalar::from(j.pow(k as u32)))
            })
            .sum();
        assert_eq!(y, point(&vs["point"]));
    }
    // V7–V8: credential list and fingerprint.
    let list = CredentialList::from_bytes(&bytes(&v["credentials"]["list"])).unwrap();
    assert_eq!(
        list.commitment().to_vec(),
        bytes(&v["credentials"]["commitment"])
    );
    assert_eq!(v["fingerprint"]["suite"].as_str().unwrap(), protocol::SUITE);
    let fp = protocol::context::fingerprint(&manifest.hash(), &outcome, &list.commitment());
    assert_eq!(fp.to_vec(), bytes(&v["fingerprint"]["value"]));
    let ctx = BallotContext::new(&manifest, outcome.joint_key, fp);

    // V10, V12: ballots; per credential, the one with the largest (board size seen, position) counts.
    let ballots: Vec<(Ballot, bool)> = v["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bv| {
            (
                check_ballot(&manifest, &joint, bv),
                bv["counted"].as_bool().unwrap(),
            )
        })
        .collect();
    for (i, (b, counted)) in ballots.iter().enumerate() {
        let key = |k: usize| (ballots[k].0.encrypted.board_size, k);
        let last = (0..ballots.len())
            .filter(|&k| ballots[k].0.encrypted.credential == b.encrypted.credential)
            .max_by_key(|&k| key(k));
        assert_eq!(*counted, last == Some(i));
        ballot::verify(
            &ctx,
            b.clone(),
            list.weight_of(&b.encrypted.credential).unwrap(),
            &mut r,
        )
        .unwrap();
    }
    // V11: the audited ballot's signature, proofs and openings, and none of its ciphertexts was cast.
    let audited = AuditedBallot::from_bytes(&bytes(&v["audited"]["bytes"])).unwrap();
    let values: Vec<Vec<u64>> = serde_json::from_value(v["audited"]["values"].clone()).unwrap();
    let w_audit = list.weight_of(&audited.encrypted.credential).unwrap();
    assert_eq!(audited.verify(&ctx, w_audit, &mut r).unwrap(), values);
    assert!(audited
        .encrypted
        .ciphertexts()
        .all(|a| ballots.iter().all(|(b, _)| b.ciphertexts().all(|c| c != a))));

    // V12: the encrypted tally, recomputed by hand.
    let t = EncryptedTally::from_bytes(&bytes(&v["tally"]["bytes"])).unwrap();
    assert_eq!(t.hash().to_vec(), bytes(&v["tally"]["hash"]));
    for (ci, row) in t.contests.iter().enumerate() {
        for (oi, ct) in row.iter().enumerate() {
            let (mut a, mut bb) = (RistrettoPoint::identity(), RistrettoPoint::identity());
            for (b, _) in ballots.iter().filter(|(_, counted)| *counted) {
                let w = Scalar::from(list.weight_of(&b.encrypted.credential).unwrap());
                a += b.encrypted.contests[ci].ciphertexts[oi].alpha.point() * w;
                bb += b.encrypted.contests[ci].ciphertexts[oi].beta.point() * w;
            }
            assert_eq!(
                (a, bb),
                (*ct.alpha.point(), *ct.beta.point()),
                "tally contest {ci} option {oi}"
            );
        }
    }
    // V13: partial decryptions by hand.
    let mut partials = Vec::new();
    for pv in v["partial_decryptions"].as_array().unwrap() {
        let p = PartialDecryption::from_bytes(&bytes(&pv["bytes"])).unwrap();
        let y = outcome.verification_share(p.trustee).unwrap();
        assert_eq!(
            ops_to_values(&support::vectors::decryption_ops(&fp, &y, &t, &p)),
            *pv["transcript"].as_array().unwrap()
        );
        let c = challenge_of(pv);
        assert_eq!(G * p.proof.z, p.proof.a.point() + y.point() * c);
        for ((ct, d), bm) in t
            .contests
            .iter()
            .flatten()
            .zip(p.shares.iter().flatten())
            .zip(&p.proof.b)
        {
            assert_eq!(ct.alpha.point() * p.proof.z, bm.point() + d.point() * c);
        }
        partials.push(p);
    }
    // V14: Lagrange combination and results by hand.
    let set_idx: Vec<u32> = partials.iter().map(|p| p.trustee).collect();
    for (l, lv) in tally::lagrange_at_zero(&set_idx)
        .iter()
        .zip(v["lagrange"].as_array().unwrap())
    {
        assert_eq!(*l, scalar(&lv["coefficient"]));
    }
    let totals: Vec<Vec<u64>> = serde_json::from_value(v["results"]["totals"].clone()).unwrap();
    let lambdas = tally::lagrange_at_zero(&set_idx);
    for (ci, row) in t.contests.iter().enumerate() {
        for (oi, ct) in row.iter().enumerate() {
            let m = ct.beta.point()
                - partials
                    .iter()
                    .zip(&lambdas)
                    .map(|(p, l)| p.shares[ci][oi].point() * l)
                    .sum::<RistrettoPoint>();
            assert_eq!(
                m,
                G * Scalar::from(totals[ci][oi]),
                "total of contest {ci} option {oi}"
            );
        }
    }
    let results = tally::Results::from_bytes(&bytes(&v["results"]["bytes"])).unwrap();
    assert_eq!(results.totals, totals);
    let refs: Vec<&PartialDecryption> = partials.iter().collect();
    assert_eq!(
        tally::combine(&manifest, list.total_weight(), &t, &refs).unwrap(),
        results
    );

    // V1–V3: the log, its root and the checkpoint; every leaf decodes and its writer signed it.
    let log = &v["log"];
    let mut hashes = Vec::new();
    let mut phase = Phase::Setup;
    for (i, lv) in log["leaves"].as_array().unwrap().iter().enumerate() {
        let raw = bytes(&lv["bytes"]);
        let mut hasher = sha2::Sha256::new();
        hasher.update([0u8]);
        hasher.update(&raw);
        let lh: [u8; 32] = hasher.finalize().into();
        assert_eq!(lh.to_vec(), bytes(&lv["leaf_hash"]));
        hashes.push(lh);
        let leaf = Leaf::from_bytes(&raw, manifest.threshold).unwrap();
        assert_eq!(leaf.to_bytes(), raw);
        if i == 0 {
            assert!(matches!(leaf.signed.entry, Entry::Manifest(_)));
        } else {
            match &leaf.signed.entry {
                Entry::Phase { phase: next, .. } => {
                    assert!(protocol::record::next_phase_ok(phase, *next));
                    phase = *next;
                }
                Entry::Results(_) => phase = Phase::ResultsPublished,
                other => assert!(other.allowed_in(phase), "leaf {i} not allowed in {phase:?}"),
            }
        }
        if let Entry::Ballot(b) = &leaf.signed.entry {
            assert!(
                b.encrypted.board_size <= i as u64,
                "a ballot stands at an index at least its board size"
            );
        }
        leaf.signed
            .verify_writer(&manifest, &manifest.hash())
            .unwrap();

        // §13.5: the receipt's data, rebuilt by hand, and the board's strict signature over the
        // tagged message (§3.3).
        let mut data = manifest.hash().to_vec();
        data.extend_from_slice(&(i as u64).to_le_bytes());
        data.extend_from_slice(&raw[..8]);
        data.extend_from_slice(&lh);
        match &leaf.signed.entry {
            Entry::Ballot(b) => {
                data.push(1);
                data.extend_from_slice(&b.encrypted.tracking_code().0);
            }
            Entry::AuditedBallot(a) => {
                data.push(1);
                data.extend_from_slice(&a.encrypted.tracking_code().0);
            }
            _ => data.push(0),
        }
        assert_eq!(data, bytes(&lv["receipt"]["signing_data"]));
        let tag = b"thistle-v1/receipt";
        let mut msg = (tag.len() as u32).to_le_bytes().to_vec();
        msg.extend_from_slice(tag);
        msg.extend_from_slice(&data);
        let board_vk = ed25519_dalek::VerifyingKey::from_bytes(&arr32(&log["board_key"])).unwrap();
        let sig = ed25519_dalek::Signature::from_bytes(
            &bytes(&lv["receipt"]["signature"]).try_into().unwrap(),
        );
        board_vk.verify_strict(&msg, &sig).unwrap();
    }
    assert_eq!(merkle::root(&hashes).to_vec(), bytes(&log["root"]));
    // The crate's record verifier agrees with the checks above.
    let mut verifier = protocol::verify::RecordVerifier::new();
    for lv in log["leaves"].as_array().unwrap() {
        verifier.push(&bytes(&lv["bytes"]), &mut r).unwrap();
    }
    assert_eq!(verifier.finish().unwrap().results.unwrap(), results);
    let board = PublicKey::from_bytes(arr32(&log["board_key"]), "board").unwrap();
    assert_eq!(board, manifest.board.key);
    // §13.4: the log origin names the board and the election.
    let origin = format!("{}/{}", manifest.board.origin, hex::encode(manifest.hash()));
    assert_eq!(log["origin"], origin.as_str());
    let cp = Checkpoint::verify_note(log["checkpoint"].as_str().unwrap(), &origin, &board).unwrap();
    assert_eq!(
        (cp.size, cp.root),
        (hashes.len() as u64, merkle::root(&hashes))
    );
    // §13.9 by hand: each cosignature's key id, signed message and Ed25519 signature (strict).
    let body = format!("{origin}\n{}\n{}\n", cp.size, B64.encode(cp.root));
    for c in log["cosignatures"].as_array().unwrap() {
        let w = &manifest.witnesses[c["witness"].as_u64().unwrap() as usize];
        assert_eq!(c["name"], w.name.as_str());
        assert_eq!(bytes(&c["key"]), w.key.as_bytes());
        let mut id = sha2::Sha256::new();
        id.update(w.name.as_bytes());
        id.update([0x0a, 0x04]);
        id.update(w.key.as_bytes());
        assert_eq!(bytes(&c["key_id"]), id.finalize()[..4]);
        let time = c["time"].as_u64().unwrap();
        let message = format!("cosignature/v1\ntime {time}\n{body}");
        assert_eq!(c["signed_message"], message.as_str());
        let (name, b64) = c["line"]
            .as_str()
            .unwrap()
            .strip_prefix("\u{2014} ")
            .unwrap()
            .trim_end()
            .split_once(' ')
            .unwrap();
        assert_eq!(name, w.name);
        let blob = B64.decode(b64).unwrap();
        assert_eq!(blob.len(), 76);
        assert_eq!(blob[..4], bytes(&c["key_id"])[..]);
        assert_eq!(u64::from_be_bytes(blob[4..12].try_into().unwrap()), time);
        let vk = ed25519_dalek::VerifyingKey::from_bytes(w.key.as_bytes()).unwrap();
        let sig = ed25519_dalek::Signature::from_bytes(&blob[12..].try_into().unwrap());
        vk.verify_strict(message.as_bytes(), &sig).unwrap();
        let mut typed = vec![0x04u8];
        typed.extend_from_slice(w.key.as_bytes());
        assert_eq!(
            c["vkey"],
            format!(
                "{}+{}+{}",
                w.name,
                hex::encode(&blob[..4]),
                B64.encode(typed)
            )
            .as_str()
        );
    }
    // The crate agrees: two of the three witnesses cosigned, which meets k = 2; the witnessed
    // time is the later of the two.
    let witnessed = protocol::witness::WitnessedCheckpoint::verify(
        log["cosigned_checkpoint"].as_str().unwrap(),
        &manifest,
        &manifest.hash(),
    )
    .unwrap();
    assert_eq!(log["witness_quorum"], manifest.witness_quorum);
    assert!(witnessed.meets_quorum());
    assert_eq!(witnessed.cosigned().len(), 2);
    assert_eq!(witnessed.quorum_time(), Some(1_800_086_461));
}

#[test]
fn ceremony_vectors_complaints_decided_by_hand() {
    let v = load("ceremony.json");
    let manifest = Manifest::from_bytes(&bytes(&v["manifest"])).unwrap();
    let params = CeremonyParams::from_manifest(&manifest);
    assert_eq!(params.context.to_vec(), bytes(&v["context"]));
    let packages: Vec<Round1Package> = v["round1"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let raw = bytes(p);
            let mut rd = Reader::new(&raw);
            let pkg = Round1Package::decode(&mut rd, params.t).unwrap();
            rd.finish("round 1").unwrap();
            pkg
        })
        .collect();
    let set = Round1Set::verify(&params, packages).unwrap();
    let round2: Vec<Round2Package> = v["round2"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Round2Package::from_bytes(&bytes(p)).unwrap())
        .collect();
    let mut complaints = Vec::new();
    for cv in v["complaints"].as_array().unwrap() {
        let c = protocol::dkg::Complaint::from_bytes(&bytes(&cv["bytes"])).unwrap();
        let (complainer, accused) = (set.get(c.complainer), set.get(c.accused));
        // The DLEQ proof: log_G E_complainer = log_{E_accused} S.
        let ch = challenge_of(cv);
        assert_eq!(
            G * c.proof.z,
            c.proof.a.point() + complainer.encryption_key.point() * ch
        );
        assert_eq!(
            accused.encryption_key.point() * c.proof.z,
            c.proof.b[0].point() + c.dh.point() * ch
        );
        // The pad, the decrypted share and the decision.
        let (pad, _) = replay(cv["pad_transcript"].as_array().unwrap());
        assert_eq!(pad, scalar(&cv["pad"]));
        let masked = round2[c.accused as usize - 1]
            .shares
            .iter()
            .find(|s| s.recipient == c.complainer)
            .unwrap()
            .masked;
        assert_eq!(masked, scalar(&cv["masked_share"]));
        let share = masked - pad;
        assert_eq!(share, scalar(&cv["share"]));
        let expected: RistrettoPoint = accused
            .commitments
            .iter()
            .enumerate()
            .map(|(k, ck)| ck.point() * Scalar::from((c.complainer as u64).pow(k as u32)))
            .sum();
        assert_eq!(expected, point(&cv["expected_share_point"]));
        let culprit = if G * share == expected {
            c.complainer
        } else {
            c.accused
        };
        assert_eq!(culprit as u64, cv["culprit"].as_u64().unwrap());
        complaints.push(c);
    }
    let mut r = support::rng("ceremony-vectors");
    let outcome = protocol::dkg::CeremonyRecord {
        round1: &set,
        round2: &round2,
        complaints: &complaints,
    }
    .outcome(&params, &mut r)
    .unwrap();
    let qualified: Vec<u32> = serde_json::from_value(v["qualified"].clone()).unwrap();
    assert_eq!(outcome.qualified, qualified);
    assert_eq!(qualified, vec![3, 4]);
    let joint: RistrettoPoint = qualified
        .iter()
        .map(|&i| *set.get(i).commitments[0].point())
        .sum();
    assert_eq!(joint, point(&v["joint_key"]));
}

/// Spec §12.9 by hand: the generators from their labels (SHA-512, RFC 9496 map), the mix from
/// the permutation and randomness, the challenges by replaying the transcript with Merlin, and
/// every verification equation one at a time; then the crate's verifier agrees.
#[test]
fn shuffle_vectors_checked_by_hand() {
    use protocol::shuffle::{Row, ShuffleProof};
    let v = load("shuffle.json");
    let (n, w) = (
        v["N"].as_u64().unwrap() as usize,
        v["w"].as_u64().unwrap() as usize,
    );
    let g = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    let k = point(&v["key"]);
    assert_eq!(g * scalar(&v["secret_key"]), k);
    let map = |label: &[u8]| {
        let mut wide = [0u8; 64];
        wide.copy_from_slice(&Sha512::digest(label));
        RistrettoPoint::from_uniform_bytes(&wide)
    };
    let h: Vec<RistrettoPoint> = (0..n)
        .map(|i| {
            let label = bytes(&v["generator_labels_hex"][i]);
            let mut expected = b"thistle-v1/generator/shuffle/".to_vec();
            expected.extend_from_slice(&(i as u32).to_le_bytes());
            assert_eq!(label, expected);
            let p = map(&label);
            assert_eq!(p, point(&v["generators"][i]));
            p
        })
        .collect();
    let h0 = map(v["chain_base_label"].as_str().unwrap().as_bytes());
    assert_eq!(h0, point(&v["chain_base"]));
    let rows = |key: &str| -> Vec<Vec<(RistrettoPoint, RistrettoPoint)>> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                row.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (point(&c["alpha"]), point(&c["beta"])))
                    .collect()
            })
            .collect()
    };
    let (input, output) = (rows("input"), rows("output"));
    for i in 0..n {
        let j = v["permutation"][i].as_u64().unwrap() as usize;
        for kk in 0..w {
            let r = scalar(&v["reencryption"][i][kk]);
            assert_eq!(output[i][kk].0, input[j][kk].0 + g * r);
            assert_eq!(output[i][kk].1, input[j][kk].1 + k * r);
        }
    }
    // The transcript's messages are the statement and the proof's own values, in §12.9's order.
    let cat = |ps: &mut dyn Iterator<Item = RistrettoPoint>| -> String {
        ps.map(|p| hex::encode(p.compress().as_bytes())).collect()
    };
    let rows_hex = |r: &[Vec<(RistrettoPoint, RistrettoPoint)>]| {
        cat(&mut r.iter().flatten().flat_map(|(a, b)| [*a, *b]))
    };
    let list = |key: &str| cat(&mut v["proof"][key].as_array().unwrap().iter().map(point));
    let mut t_all: Vec<RistrettoPoint> = v["proof"]["t"]
        .as_array()
        .unwrap()
        .iter()
        .map(point)
        .collect();
    for pair in v["proof"]["t4"].as_array().unwrap() {
        t_all.extend(pair.as_array().unwrap().iter().map(point));
    }
    t_all.extend(v["proof"]["t_hat"].as_array().unwrap().iter().map(point));
    let ops = v["transcript"].as_array().unwrap();
    let expected: Vec<(&str, String)> = vec![
        ("proof", hex::encode(b"shuffle")),
        ("fingerprint", v["fingerprint"].as_str().unwrap().to_owned()),
        ("K", v["key"].as_str().unwrap().to_owned()),
        ("input", rows_hex(&input)),
        ("output", rows_hex(&output)),
        ("commitments", list("commitments")),
        ("chain", list("chain")),
        ("t", cat(&mut t_all.into_iter())),
    ];
    for (label, hex_bytes) in expected {
        let op = ops
            .iter()
            .find(|o| o["label"] == label && o["op"] == "append")
            .unwrap_or_else(|| panic!("no {label} in the transcript"));
        assert_eq!(
            op["hex"].as_str().unwrap(),
            hex_bytes,
            "transcript message {label}"
        );
    }
    let order: Vec<&str> = ops.iter().map(|o| o["label"].as_str().unwrap()).collect();
    let mut spec_order = vec![
        "thistle-v1",
        "proof",
        "fingerprint",
        "K",
        "N",
        "w",
        "input",
        "output",
        "commitments",
    ];
    spec_order.extend(std::iter::repeat_n("u", n));
    spec_order.extend(["chain", "t", "c"]);
    assert_eq!(order, spec_order);
    let (ch, _) = replay_on(None, ops);
    assert_eq!(ch.len(), n + 1);
    let (u, c) = (&ch[..n], ch[n]);
    let p = &v["proof"];
    let pts =
        |x: &Value| -> Vec<RistrettoPoint> { x.as_array().unwrap().iter().map(point).collect() };
    let scs = |x: &Value| -> Vec<Scalar> { x.as_array().unwrap().iter().map(scalar).collect() };
    let (cm, chain, t, t_hat) = (
        pts(&p["commitments"]),
        pts(&p["chain"]),
        pts(&p["t"]),
        pts(&p["t_hat"]),
    );
    let (s, s4, s_hat, s_prime) = (
        scs(&p["s"]),
        scs(&p["s4"]),
        scs(&p["s_hat"]),
        scs(&p["s_prime"]),
    );
    let sum = |it: &mut dyn Iterator<Item = RistrettoPoint>| {
        it.fold(RistrettoPoint::default(), |a, b| a + b)
    };
    let c_bar = sum(&mut cm.iter().copied()) - sum(&mut h.iter().copied());
    let u_prod: Scalar = u.iter().product();
    let c_hat = chain[n - 1] - h0 * u_prod;
    let c_tilde = sum(&mut cm.iter().zip(u).map(|(p, u)| p * u));
    assert_eq!(t[0], c_bar * c + g * s[0], "t1");
    assert_eq!(t[1], c_hat * c + g * s[1], "t2");
    assert_eq!(
        t[2],
        c_tilde * c + g * s[2] + sum(&mut h.iter().zip(&s_prime).map(|(p, s)| p * s)),
        "t3"
    );
    for kk in 0..w {
        let t4 = pts(&p["t4"][kk]);
        let a = sum(&mut (0..n).map(|j| input[j][kk].0 * u[j]));
        let b = sum(&mut (0..n).map(|j| input[j][kk].1 * u[j]));
        let a_out = sum(&mut (0..n).map(|i| output[i][kk].0 * s_prime[i]));
        let b_out = sum(&mut (0..n).map(|i| output[i][kk].1 * s_prime[i]));
        assert_eq!(t4[0], a * c - g * s4[kk] + a_out, "t4 α {kk}");
        assert_eq!(t4[1], b * c - k * s4[kk] + b_out, "t4 β {kk}");
    }
    for i in 0..n {
        let before = if i == 0 { h0 } else { chain[i - 1] };
        assert_eq!(
            t_hat[i],
            chain[i] * c + g * s_hat[i] + before * s_prime[i],
            "t̂ {i}"
        );
    }
    // The crate reads the same bytes and accepts them.
    let proof_bytes = bytes(&v["proof_bytes"]);
    let proof =
        ShuffleProof::decode(&mut protocol::encoding::Reader::new(&proof_bytes), n, w).unwrap();
    let to_rows = |r: &[Vec<(RistrettoPoint, RistrettoPoint)>]| -> Vec<Row> {
        r.iter()
            .map(|row| {
                row.iter()
                    .map(|(a, b)| protocol::elgamal::Ciphertext {
                        alpha: Point::from_point(*a),
                        beta: Point::from_point(*b),
                    })
                    .collect()
            })
            .collect()
    };
    protocol::shuffle::verify(
        &arr32(&v["fingerprint"]),
        &Point::from_point(k),
        &to_rows(&input),
        &to_rows(&output),
        &proof,
        &mut rand_core::OsRng,
    )
    .unwrap();
}

/// `TaggedHash(tag, data) = SHA-256(u32le(len tag) ‖ tag ‖ data)` (§3.1), written out here.
fn tagged_by_hand(tag: &str, data: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update((tag.len() as u32).to_le_bytes());
    h.update(tag.as_bytes());
    h.update(data);
    h.finalize().into()
}

/// Spec §12.8, §12.11: the lot seed, the papers, the counts and the entries' layouts.
#[test]
fn ranked_vectors_checked_by_hand() {
    use protocol::stv::{self, CountSheet, Profile, Ranking};
    let v = load("ranked.json");
    let contest = v["contest"].as_u64().unwrap() as u32;
    // Lot seed: TaggedHash("thistle-v1/stv-lot-seed", ManifestHash ‖ u32le(contest) ‖ u32le(N)
    // ‖ u32le(w) ‖ the rows in increasing order, each value u16le).
    let seed_of = |contest: u32, rows: &[Vec<u16>]| {
        let mut sorted = rows.to_vec();
        sorted.sort();
        let mut data = bytes(&v["manifest_hash"]);
        data.extend_from_slice(&contest.to_le_bytes());
        data.extend((rows.len() as u32).to_le_bytes());
        data.extend((rows[0].len() as u32).to_le_bytes());
        for x in sorted.iter().flatten() {
            data.extend(x.to_le_bytes());
        }
        tagged_by_hand("thistle-v1/stv-lot-seed", &data)
    };
    let values: Vec<Vec<u16>> = serde_json::from_value(v["values"].clone()).unwrap();
    let seed = seed_of(contest, &values);
    assert_eq!(hex::encode(seed), v["lot_seed"].as_str().unwrap());
    // Papers: the options v − 1 before the first 0.
    let papers: Vec<Vec<u16>> = values
        .iter()
        .map(|row| {
            row.iter()
                .take_while(|&&x| x != 0)
                .map(|&x| x - 1)
                .collect()
        })
        .collect();
    assert_eq!(
        papers,
        serde_json::from_value::<Vec<Vec<u16>>>(v["papers"].clone()).unwrap()
    );
    let count = |n: usize, seats: usize, papers: &[Vec<u16>], seed: &[u8; 32]| {
        let ballots = papers
            .iter()
            .map(|p| Ranking {
                weight: 1,
                ranking: p.clone(),
            })
            .collect();
        let profile = Profile::new(n, seats, ballots, Vec::new()).unwrap();
        stv::count(&profile, stv::Method::ScottishStv, seed)
    };
    let sheet = count(
        v["candidates"].as_u64().unwrap() as usize,
        v["seats"].as_u64().unwrap() as usize,
        &papers,
        &seed,
    );
    let mut sheet_bytes = Vec::new();
    sheet.encode(&mut sheet_bytes);
    assert_eq!(
        hex::encode(&sheet_bytes),
        v["count_sheet"].as_str().unwrap()
    );
    assert_eq!(
        CountSheet::decode(&mut Reader::new(&sheet_bytes)).unwrap(),
        sheet
    );
    assert_eq!(
        sheet.elected,
        serde_json::from_value::<Vec<u16>>(v["elected"].clone()).unwrap()
    );
    // RankedCount body: u32 contest ‖ u32 N ‖ u32 w ‖ N·w u16 ‖ CountSheet.
    let mut body = contest.to_le_bytes().to_vec();
    body.extend((values.len() as u32).to_le_bytes());
    body.extend((values[0].len() as u32).to_le_bytes());
    for x in values.iter().flatten() {
        body.extend(x.to_le_bytes());
    }
    body.extend(&sheet_bytes);
    assert_eq!(
        hex::encode(&body),
        v["ranked_count_entry_body"].as_str().unwrap()
    );
    // The tie: each tied candidate's key TaggedHash("thistle-v1/stv-lot", seed ‖ u32le(stage) ‖
    // u16le(c)); the smallest wins.
    let t = &v["tie"];
    let tie_values: Vec<Vec<u16>> = serde_json::from_value(t["values"].clone()).unwrap();
    let tie_seed = seed_of(0, &tie_values);
    assert_eq!(hex::encode(tie_seed), t["lot_seed"].as_str().unwrap());
    let stage = t["lot_stage"].as_u64().unwrap() as u32;
    let keys: Vec<(u16, [u8; 32])> = t["lot_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let c = k["candidate"].as_u64().unwrap() as u16;
            let mut data = tie_seed.to_vec();
            data.extend(stage.to_le_bytes());
            data.extend(c.to_le_bytes());
            let key = tagged_by_hand("thistle-v1/stv-lot", &data);
            assert_eq!(hex::encode(key), k["key"].as_str().unwrap());
            (c, key)
        })
        .collect();
    let chosen = keys.iter().min_by_key(|(_, k)| *k).unwrap().0;
    assert_eq!(u64::from(chosen), t["chosen"].as_u64().unwrap());
    let tie_papers: Vec<Vec<u16>> = tie_values.iter().map(|r| vec![r[0] - 1]).collect();
    let tie_sheet = count(2, 1, &tie_papers, &tie_seed);
    let lot = tie_sheet.stages[stage as usize - 1].lot.clone().unwrap();
    assert_eq!(lot.chosen, chosen);
    let mut tie_bytes = Vec::new();
    tie_sheet.encode(&mut tie_bytes);
    assert_eq!(hex::encode(&tie_bytes), t["count_sheet"].as_str().unwrap());
    // A mix entry: u32 contest ‖ u32 mixer ‖ u32 position ‖ u32 N ‖ u32 w, then the rows and
    // the proof of §12.9 (N = 3, w = 2).
    let head = bytes(&v["mix_entry_head"]);
    let words: Vec<u32> = head
        .chunks(4)
        .map(|w| u32::from_le_bytes(w.try_into().unwrap()))
        .collect();
    assert_eq!(words, [contest, 2, 0, 3, 2]);
    assert_eq!(
        v["mix_entry_length"].as_u64().unwrap(),
        20 + 64 * 6 + 32 * (5 * 3 + 3 * 2 + 6)
    );
}
