//! The election context and its fingerprint (spec §10): what every ballot and decryption proof binds.
use alloc::vec::Vec;

use crate::credentials::CredentialList;
use crate::dkg::CeremonyOutcome;
use crate::encoding::{put_bytes, put_len, put_u32, Encode, Reader};
use crate::error::{Error, Result};
use crate::group::Point;
use crate::hash::{tagged_hash, tags, Digest32};
use crate::manifest::Manifest;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::Identity;

/// Everything a ballot is encrypted and verified against.
#[derive(Debug)]
pub struct ElectionContext {
    /// The manifest.
    pub manifest: Manifest,
    /// Its hash.
    pub manifest_hash: Digest32,
    /// The key ceremony's outcome.
    pub ceremony: CeremonyOutcome,
    /// The credential list commitment.
    pub credential_list_commitment: Digest32,
    /// Σ weights of the credential list (bounds the totals).
    pub total_weight: u64,
    /// The fingerprint.
    pub fingerprint: Digest32,
}

/// `Fingerprint = TaggedHash("thistle-v1/election-fingerprint", FingerprintData)`.
pub fn fingerprint(
    manifest_hash: &Digest32,
    ceremony: &CeremonyOutcome,
    credential_list_commitment: &Digest32,
) -> Digest32 {
    tagged_hash(
        tags::FINGERPRINT,
        &fingerprint_data(manifest_hash, ceremony, credential_list_commitment),
    )
}

/// `FingerprintData = encode(SUITE) ‖ ManifestHash ‖ u32(|QUAL|) ‖ (u32(i) ‖ Cᵢ₀ … Cᵢ,ₜ₋₁ for
/// i ∈ QUAL) ‖ K ‖ CredentialListCommitment`: what the board serves voters' devices (§11.8).
pub fn fingerprint_data(
    manifest_hash: &Digest32,
    ceremony: &CeremonyOutcome,
    credential_list_commitment: &Digest32,
) -> Vec<u8> {
    let mut data = Vec::new();
    put_bytes(&mut data, crate::SUITE.as_bytes());
    data.extend_from_slice(manifest_hash);
    put_len(&mut data, ceremony.qualified.len());
    for (i, commitments) in ceremony.qualified.iter().zip(&ceremony.commitments) {
        put_u32(&mut data, *i);
        for c in commitments {
            c.encode(&mut data);
        }
    }
    ceremony.joint_key.encode(&mut data);
    data.extend_from_slice(credential_list_commitment);
    data
}

/// The election key a voter's device encrypts to (§11.8): read from `FingerprintData` (served by
/// the board, so trusted for nothing) only after checking that it hashes to `fingerprint` (which
/// the administrator signed in the voting-open entry), names this manifest, and that `K` is the
/// sum of the qualified dealers' constant commitments (V7) and not the identity. The device need
/// not download the ceremony or the credential list: observers check those against the same
/// fingerprint (V5–V9).
pub fn voter_election_key(
    data: &[u8],
    manifest: &Manifest,
    manifest_hash: &Digest32,
    fingerprint: &Digest32,
) -> Result<Point> {
    let wrong = |reason| Error::WrongElection {
        what: "the election key data",
        reason,
    };
    if tagged_hash(tags::FINGERPRINT, data) != *fingerprint {
        return Err(wrong(
            "it does not hash to the fingerprint the administrator signed",
        ));
    }
    let mut r = Reader::new(data);
    if r.bytes(crate::SUITE.len(), "suite")? != crate::SUITE.as_bytes() {
        return Err(wrong("another protocol suite"));
    }
    if r.array::<32>("manifest hash")? != *manifest_hash {
        return Err(wrong("another election's manifest"));
    }
    let qualified = r.u32("qualified trustees")?;
    let t = manifest.threshold as usize;
    if qualified < manifest.threshold || qualified as usize > manifest.trustees.len() {
        return Err(wrong("fewer than t or more than n qualified trustees"));
    }
    let mut sum = RistrettoPoint::identity();
    let mut last = 0;
    for _ in 0..qualified {
        let i = r.u32("trustee index")?;
        if i <= last || i as usize > manifest.trustees.len() {
            return Err(wrong("trustee indices out of order or range"));
        }
        last = i;
        for k in 0..t {
            let c = Point::decode_nonidentity(&mut r, "commitment")?;
            if k == 0 {
                sum += c.point();
            }
        }
    }
    let key = Point::decode_nonidentity(&mut r, "election key")?;
    r.array::<32>("credential list commitment")?;
    r.finish("the election key data")?;
    if *key.point() != sum {
        return Err(wrong(
            "the election key is not the sum of the qualified commitments",
        ));
    }
    Ok(key)
}

/// V8: every contest's largest possible total (`total weight × per-option maximum`) must be
/// recoverable by the tally (at most 2^40); and with a ranked contest every weight is 1, since a
/// mixed ranking carries no weight (and a weight carried through the mix would pick out voters of
/// rare weights; spec §6.2).
pub fn check_total_weight(manifest: &Manifest, list: &CredentialList) -> Result<()> {
    let total_weight = list.total_weight();
    if total_weight != list.len() as u64 {
        if let Some(c) = manifest.contests.iter().find(|c| c.is_ranked()) {
            return Err(Error::InvalidManifest(alloc::format!(
                "contest {:?} is ranked, so every credential must have weight 1; this list has heavier ones",
                c.id
            )));
        }
    }
    // A ranked contest's mix of every listed credential must fit one board upload (§12.11).
    for c in manifest.contests.iter().filter(|c| c.is_ranked()) {
        let bytes = crate::shuffle::mix_bytes(list.len(), c.slots());
        if bytes > crate::shuffle::MAX_MIX_BYTES {
            return Err(Error::InvalidManifest(alloc::format!(
                "contest {:?}: a mix of {} ballots of {} ranks would be {} MiB, over the {} MiB a board takes; allow fewer ranks or split the electorate",
                c.id,
                list.len(),
                c.slots(),
                bytes >> 20,
                crate::shuffle::MAX_MIX_BYTES >> 20
            )));
        }
    }
    // Ranked contests are never summed (§12.8–§12.10).
    for c in manifest.contests.iter().filter(|c| !c.is_ranked()) {
        if total_weight
            .checked_mul(c.option_max())
            .is_none_or(|b| b > crate::elgamal::MAX_TOTAL)
        {
            return Err(Error::InvalidManifest(alloc::format!(
                "contest {:?}: total weight × per-option maximum exceeds 2^40, the largest total the tally can recover",
                c.id
            )));
        }
    }
    Ok(())
}

impl ElectionContext {
    /// Builds the context (V9 recomputes exactly this).
    pub fn new(
        manifest: Manifest,
        ceremony: CeremonyOutcome,
        credentials: &CredentialList,
    ) -> Result<Self> {
        manifest.validate()?;
        let manifest_hash = manifest.hash();
        let credential_list_commitment = credentials.commitment();
        let total_weight = credentials.total_weight();
        check_total_weight(&manifest, credentials)?;
        let fingerprint = fingerprint(&manifest_hash, &ceremony, &credential_list_commitment);
        Ok(ElectionContext {
            manifest,
            manifest_hash,
            ceremony,
            credential_list_commitment,
            total_weight,
            fingerprint,
        })
    }
}
