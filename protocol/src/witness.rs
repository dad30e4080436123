//! Witness cosignatures of the board's checkpoints (C2SP tlog-cosignature v1, spec §13.9).
//!
//! A witness cosigns a checkpoint only after checking that it extends the last one it cosigned for
//! that log. A client believes a checkpoint once `k` of the manifest's witnesses have cosigned it,
//! so the board cannot show two histories to two people unless `k` witnesses collude; the
//! witnesses' timestamps bound when each entry existed (V16).
//!
//! A cosignature line is `— <name> base64(key id ‖ u64 time, big-endian ‖ Ed25519 signature)`;
//! the key id is `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[..4]` and the signed message is
//! `cosignature/v1\ntime <time>\n` followed by the checkpoint body.
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use crate::error::{Error, Result};
use crate::hash::Digest32;
use crate::manifest::{Manifest, WitnessInfo};
use crate::merkle::{typed_key_id, Checkpoint};
use crate::signature::{PublicKey, SecretKey};

/// The signed-note signature type of a timestamped Ed25519 cosignature.
pub const COSIGNATURE_V1: u8 = 0x04;

/// Seconds after `closes_at` by which the last ballot's checkpoint must be witnessed (V16): the
/// board checkpoints every second and pushes each checkpoint to the witnesses at once, so a minute
/// covers a slow witness without letting a board pass off a ballot taken later as on time.
pub const CLOSING_SLACK: u64 = 60;

/// The 4-byte key id of a cosigning key: `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[..4]`.
pub fn cosignature_key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    typed_key_id(name, COSIGNATURE_V1, key)
}

/// The witness's verifier key as other C2SP tools write it: `<name>+<key id hex>+base64(0x04 ‖ key)`.
pub fn verifier_key(name: &str, key: &PublicKey) -> String {
    let mut typed = Vec::with_capacity(33);
    typed.push(COSIGNATURE_V1);
    typed.extend_from_slice(key.as_bytes());
    format!(
        "{name}+{}+{}",
        hex::encode(cosignature_key_id(name, key)),
        B64.encode(typed)
    )
}

/// Parses a witness's verifier key: the cosignature/v1 form [`verifier_key`] writes (type 0x04),
/// or the Ed25519 note key form (type 0x01, key id `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[..4]`) in
/// which witnesses of other implementations publish the same key. The key id must match the name
/// and key. Only the first two `+` separate the fields: standard base64 may hold `+` itself.
pub fn parse_verifier_key(vkey: &str) -> Result<(String, PublicKey)> {
    let bad = Error::Log("witness key: expected <name>+<key id hex>+<base64 of 0x04 and the key>");
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad);
    };
    let typed = B64.decode(b64).map_err(|_| bad.clone())?;
    if name.is_empty() || typed.len() != 33 || !matches!(typed[0], 0x01 | COSIGNATURE_V1) {
        return Err(bad);
    }
    let key = PublicKey::from_bytes(typed[1..].try_into().expect("32 bytes"), "witness key")?;
    if id != hex::encode(typed_key_id(name, typed[0], &key)) {
        return Err(Error::Log(
            "witness key: the key id does not match the name and key",
        ));
    }
    Ok((name.into(), key))
}

/// What a witness signs: `cosignature/v1\ntime <time>\n` and the checkpoint body.
pub fn signed_message(body: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{body}")
}

/// The signature blob of a cosignature line: key id ‖ time (big-endian) ‖ signature.
pub fn cosignature_blob(name: &str, key: &SecretKey, body: &str, time: u64) -> [u8; 76] {
    let signature = key.sign_raw(signed_message(body, time).as_bytes());
    let mut blob = [0u8; 76];
    blob[..4].copy_from_slice(&cosignature_key_id(name, &key.public_key()));
    blob[4..12].copy_from_slice(&time.to_be_bytes());
    blob[12..].copy_from_slice(&signature);
    blob
}

/// The cosignature line `— <name> <base64 blob>\n` of `name` over the checkpoint `body` at `time`.
pub fn cosign(name: &str, key: &SecretKey, body: &str, time: u64) -> String {
    format!(
        "\u{2014} {name} {}\n",
        B64.encode(cosignature_blob(name, key, body, time))
    )
}

/// Reads a cosignature line of `witness` over `body`: `None` if the line is not this witness's
/// (another name or key id), an error if it is but its signature fails.
pub fn read_cosignature(witness: &WitnessInfo, body: &str, line: &str) -> Option<Result<u64>> {
    let rest = line.strip_prefix("\u{2014} ")?;
    let (name, b64) = rest.split_once(' ')?;
    if name != witness.name {
        return None;
    }
    let blob = B64.decode(b64).ok()?;
    if blob.len() != 76 || blob[..4] != cosignature_key_id(&witness.name, &witness.key) {
        return None;
    }
    let time = u64::from_be_bytes(blob[4..12].try_into().expect("8 bytes"));
    let signature: [u8; 64] = blob[12..].try_into().expect("64 bytes");
    Some(
        witness
            .key
            .verify_raw(
                signed_message(body, time).as_bytes(),
                &signature,
                "witness cosignature",
            )
            .map(|()| time),
    )
}

/// One witness's cosignature of a checkpoint, verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// The witness's 0-based position in the manifest.
    pub witness: usize,
    /// When it cosigned, by its clock (Unix seconds).
    pub time: u64,
}

/// A board checkpoint with the manifest's witnesses' cosignatures on it, every one verified. Only
/// [`WitnessedCheckpoint::verify`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessedCheckpoint {
    checkpoint: Checkpoint,
    cosigned: Vec<Cosigned>,
    quorum: u32,
}

impl WitnessedCheckpoint {
    /// V1 and §13.9: verifies the board's signature on `note` (the election's log origin and the
    /// board key) and every cosignature line from a witness the manifest names. Lines of keys the
    /// manifest does not name are ignored (C2SP); a named witness's line that fails is an error,
    /// and a witness counts once (its first line).
    pub fn verify(note: &str, manifest: &Manifest, manifest_hash: &Digest32) -> Result<Self> {
        let checkpoint = Checkpoint::verify_for(note, manifest, manifest_hash)?;
        let body = checkpoint.body();
        let (_, lines) = note
            .split_once("\n\n")
            .expect("verified notes have signatures");
        let mut cosigned: Vec<Cosigned> = Vec::new();
        for line in lines.lines() {
            for (i, w) in manifest.witnesses.iter().enumerate() {
                if let Some(time) = read_cosignature(w, &body, line) {
                    let time = time?;
                    if !cosigned.iter().any(|c| c.witness == i) {
                        cosigned.push(Cosigned { witness: i, time });
                    }
                }
            }
        }
        Ok(WitnessedCheckpoint {
            checkpoint,
            cosigned,
            quorum: manifest.witness_quorum,
        })
    }

    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The verified cosignatures, in the order of their lines.
    pub fn cosigned(&self) -> &[Cosigned] {
        &self.cosigned
    }

    /// Whether `k` of the manifest's witnesses cosigned it. A manifest without witnesses has `k =
    /// 0`: every checkpoint is "witnessed" by nobody, which pages and the verifier say plainly.
    pub fn meets_quorum(&self) -> bool {
        self.cosigned.len() >= self.quorum as usize
    }

    /// The time by which `k` witnesses had cosigned it: the `k`-th earliest cosignature time
    /// (V16). `None` below quorum or without witnesses.
    pub fn quorum_time(&self) -> Option<u64> {
        let k = self.quorum as usize;
        if k == 0 || self.cosigned.len() < k {
            return None;
        }
        let mut times: Vec<u64> = self.cosigned.iter().map(|c| c.time).collect();
        times.sort_unstable();
        Some(times[k - 1])
    }
}

/// How many cosignature lines follow the board's own in a witnessed note whose lines were all
/// verified before it was assembled or kept (the board's and a witness's stored timelines).
pub fn cosigners_in(note: &str) -> usize {
    note.matches("\n\u{2014} ").count().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn key(label: &str) -> SecretKey {
        SecretKey::from_seed(&Sha256::digest(label.as_bytes()).into())
    }

    #[test]
    fn verifier_keys_round_trip_and_bind_the_name() {
        let k = key("w").public_key();
        let vkey = verifier_key("witness.example/w1", &k);
        assert_eq!(
            parse_verifier_key(&vkey).unwrap(),
            ("witness.example/w1".into(), k)
        );
        let renamed = vkey.replacen("w1", "w2", 1);
        assert!(parse_verifier_key(&renamed).is_err());
    }

    #[test]
    fn a_cosignature_verifies_only_over_its_own_body_and_time() {
        let secret = key("w");
        let w = WitnessInfo {
            name: "w.example".into(),
            key: secret.public_key(),
            url: "https://w.example".into(),
        };
        let body = "origin\n5\nAAAA\n";
        let line = cosign(&w.name, &secret, body, 1_700_000_000);
        let line = line.trim_end();
        assert_eq!(read_cosignature(&w, body, line), Some(Ok(1_700_000_000)));
        assert!(matches!(
            read_cosignature(&w, "origin\n6\nAAAA\n", line),
            Some(Err(_))
        ));
        // Another time in the blob breaks the signature.
        let mut blob = B64.decode(line.rsplit_once(' ').unwrap().1).unwrap();
        blob[11] ^= 1;
        let moved = format!("\u{2014} w.example {}", B64.encode(&blob));
        assert!(matches!(read_cosignature(&w, body, &moved), Some(Err(_))));
        let other = WitnessInfo {
            name: "other".into(),
            ..w.clone()
        };
        assert_eq!(read_cosignature(&other, body, line), None);
    }
}
