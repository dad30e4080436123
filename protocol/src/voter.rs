//! The election as a voter's device opens it (spec §11.8): above the ballot and record types, so
//! that the election context below them imports neither.
use crate::ballot::BallotContext;
use crate::context::voter_election_key;
use crate::error::{Error, Result};
use crate::group::Point;
use crate::hash::Digest32;
use crate::manifest::Manifest;
use crate::record::{Entry, Leaf, Phase};

/// An election as a voter's device opens it (§11.8): from three items the board serves, each
/// checked here, so the device trusts the election id it was given and nothing else.
#[derive(Debug)]
pub struct VoterElection {
    /// The manifest (its hash is the election id).
    pub manifest: Manifest,
    /// `ManifestHash`.
    pub manifest_hash: Digest32,
    /// The fingerprint the administrator signed when opening the vote.
    pub fingerprint: Digest32,
    /// The election key `K`.
    pub key: Point,
    /// What ballots are encrypted and proved against.
    pub ballots: BallotContext,
}

impl VoterElection {
    /// Checks leaf 0 (the manifest, signed by its administrator, hashing to `election_id`), the
    /// voting-open leaf (signed by the same administrator, carrying the fingerprint) and
    /// `FingerprintData` (hashing to that fingerprint; see [`voter_election_key`]).
    pub fn open(
        election_id: &Digest32,
        manifest_leaf: &[u8],
        opened_leaf: &[u8],
        fingerprint_data: &[u8],
    ) -> Result<Self> {
        let first = Leaf::from_bytes(manifest_leaf, 1)?;
        let Entry::Manifest(manifest) = &first.signed.entry else {
            return Err(Error::WrongElection {
                what: "leaf 0",
                reason: "it is not a manifest",
            });
        };
        let manifest = manifest.clone();
        manifest.validate()?;
        let manifest_hash = manifest.hash();
        if manifest_hash != *election_id {
            return Err(Error::WrongElection {
                what: "the manifest",
                reason: "its hash is not the election id",
            });
        }
        first.signed.verify_writer(&manifest, &manifest_hash)?;
        let opened = Leaf::from_bytes(opened_leaf, manifest.threshold)?;
        let Entry::Phase {
            phase: Phase::VotingOpen,
            fingerprint: Some(fingerprint),
        } = opened.signed.entry
        else {
            return Err(Error::WrongElection {
                what: "the opening entry",
                reason: "it is not the opening of the vote",
            });
        };
        opened.signed.verify_writer(&manifest, &manifest_hash)?;
        let key = voter_election_key(fingerprint_data, &manifest, &manifest_hash, &fingerprint)?;
        let ballots = BallotContext::new(&manifest, key, fingerprint);
        Ok(VoterElection {
            manifest,
            manifest_hash,
            fingerprint,
            key,
            ballots,
        })
    }
}
