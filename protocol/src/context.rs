//! The election context and its fingerprint (spec §10): what every ballot and decryption proof binds.
use alloc::vec::Vec;

use crate::credentials::CredentialList;
use crate::dkg::CeremonyOutcome;
use crate::encoding::{put_bytes, put_len, put_u32, Encode};
use crate::error::{Error, Result};
use crate::hash::{tagged_hash, tags, Digest32};
use crate::manifest::Manifest;

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

/// `Fingerprint = TaggedHash("thistle-v1/election-fingerprint", encode(SUITE) ‖ ManifestHash ‖
/// u32(|QUAL|) ‖ (u32(i) ‖ Cᵢ₀ … Cᵢ,ₜ₋₁ for i ∈ QUAL) ‖ K ‖ CredentialListCommitment)`.
pub fn fingerprint(
    manifest_hash: &Digest32,
    ceremony: &CeremonyOutcome,
    credential_list_commitment: &Digest32,
) -> Digest32 {
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
    tagged_hash(tags::FINGERPRINT, &data)
}

/// V8: every contest's largest possible total (`total weight × per-option maximum`) must be
/// recoverable by the tally (at most 2^40).
pub fn check_total_weight(manifest: &Manifest, total_weight: u64) -> Result<()> {
    for c in &manifest.contests {
        if total_weight
            .checked_mul(c.option_max())
            .is_none_or(|b| b > crate::tally::MAX_TOTAL)
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
        check_total_weight(&manifest, total_weight)?;
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
