//! Voter credentials (spec §9). The credential authority gives each voter an Ed25519 signing key;
//! the list of public keys with weights is posted and committed before voting opens; every ballot is
//! signed with its credential, and the credential's public key is in every ballot proof's transcript.
use alloc::vec::Vec;

use rand_core::{CryptoRng, RngCore};

use crate::encoding::{put_len, put_u64, Decode, Encode, Reader};
use crate::error::{Error, Result};
use crate::hash::{tagged_hash, tags, Digest32};
use crate::signature::{PublicKey, SecretKey};

/// Largest weight a credential may carry.
pub const MAX_WEIGHT: u64 = 1 << 32;
/// Most credentials in one election.
pub const MAX_CREDENTIALS: usize = 1 << 26;

/// A voter's private credential (an Ed25519 signing key). Zeroized on drop; never printed.
pub type Credential = SecretKey;

/// Generates a fresh credential.
pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Credential {
    SecretKey::generate(rng)
}

/// One public credential with its weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialEntry {
    /// The credential's public key.
    pub key: PublicKey,
    /// Its weight (1 for an ordinary voter).
    pub weight: u64,
}

/// A listed credential as kept: the key's encoding, checked on the way in (a decoded Ed25519 key is
/// 224 bytes; a list of a million is held by every verifier).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Listed {
    key: [u8; 32],
    weight: u64,
}

/// The public credential list, sorted by key bytes, no duplicates. Only [`CredentialList::new`] and
/// decoding make one: both check the order, and every key was parsed as a [`PublicKey`] (canonical,
/// large order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialList {
    entries: Vec<Listed>,
}

impl CredentialList {
    /// Sorts `entries` and checks them (V8): weights in `1..=2³²`, no duplicate key.
    pub fn new(entries: Vec<CredentialEntry>) -> Result<Self> {
        let mut entries: Vec<Listed> = entries
            .into_iter()
            .map(|e| Listed {
                key: *e.key.as_bytes(),
                weight: e.weight,
            })
            .collect();
        entries.sort_by_key(|e| e.key);
        Self::check(&entries)?;
        Ok(CredentialList { entries })
    }

    fn check(entries: &[Listed]) -> Result<()> {
        if entries.len() > MAX_CREDENTIALS {
            return Err(Error::Malformed {
                what: "credential list",
                reason: "too many credentials",
            });
        }
        for w in entries.windows(2) {
            if w[0].key >= w[1].key {
                return Err(Error::Malformed {
                    what: "credential list",
                    reason: "keys must be strictly increasing (no duplicates)",
                });
            }
        }
        if entries
            .iter()
            .any(|e| e.weight == 0 || e.weight > MAX_WEIGHT)
        {
            return Err(Error::Malformed {
                what: "credential list",
                reason: "every weight must be 1 to 2^32",
            });
        }
        Ok(())
    }

    /// `CredentialListCommitment = TaggedHash("thistle-v1/credential-list", encode(list))`.
    pub fn commitment(&self) -> Digest32 {
        tagged_hash(tags::CREDENTIAL_LIST, &self.to_bytes())
    }

    /// The weight of `key`, if listed.
    pub fn weight_of(&self, key: &PublicKey) -> Option<u64> {
        self.weight_of_bytes(key.as_bytes())
    }

    /// The weight of the credential with these key bytes, if listed (no point decoding: for
    /// counting ballots already verified).
    pub fn weight_of_bytes(&self, key: &[u8; 32]) -> Option<u64> {
        self.position(key).map(|i| self.entries[i].weight)
    }

    /// Where the credential with these key bytes sits in the list, if listed.
    pub fn position(&self, key: &[u8; 32]) -> Option<usize> {
        self.entries.binary_search_by(|e| e.key.cmp(key)).ok()
    }

    /// The weight at `position`.
    pub fn weight_at(&self, position: usize) -> Option<u64> {
        self.entries.get(position).map(|e| e.weight)
    }

    /// The key bytes at `position`.
    pub fn key_at(&self, position: usize) -> Option<&[u8; 32]> {
        self.entries.get(position).map(|e| &e.key)
    }

    /// Number of credentials.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(key bytes, weight)` of every credential, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8; 32], u64)> + '_ {
        self.entries.iter().map(|e| (&e.key, e.weight))
    }

    /// Σ weights: the most votes one option can receive per unit of its per-ballot maximum.
    pub fn total_weight(&self) -> u64 {
        self.entries.iter().map(|e| e.weight).sum()
    }
}

impl Encode for CredentialList {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(out, self.entries.len());
        for e in &self.entries {
            out.extend_from_slice(&e.key);
            put_u64(out, e.weight);
        }
    }
}

impl CredentialList {
    /// Decodes a list that its reader checked before (a board reading back its own committed
    /// log): the order, count and weights are checked, but the keys are not parsed as points
    /// again. Anything that verifies with a key still parses it then.
    pub fn decode_committed(r: &mut Reader<'_>) -> Result<Self> {
        let entries = r.vec(MAX_CREDENTIALS, 40, "credential list", |r| {
            Ok(Listed {
                key: r.array("credential")?,
                weight: r.u64("weight")?,
            })
        })?;
        Self::check(&entries)?;
        Ok(CredentialList { entries })
    }
}

impl Decode for CredentialList {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let entries = r.vec(MAX_CREDENTIALS, 40, "credential list", |r| {
            Ok(Listed {
                key: r.array("credential")?,
                weight: r.u64("weight")?,
            })
        })?;
        check_keys(&entries)?;
        Self::check(&entries)?;
        Ok(CredentialList { entries })
    }
}

/// Every key parses as a [`PublicKey`]; the first that does not is the error. A point
/// decompression each: a national list's is a minute of one core, so on every core where allowed.
fn check_keys(entries: &[Listed]) -> Result<()> {
    let bad = |e: &&Listed| PublicKey::from_bytes(e.key, "credential").is_err();
    #[cfg(feature = "parallel")]
    let first_bad = {
        use rayon::prelude::*;
        entries.par_iter().find_first(bad)
    };
    #[cfg(not(feature = "parallel"))]
    let first_bad = entries.iter().find(bad);
    match first_bad {
        Some(e) => PublicKey::from_bytes(e.key, "credential").map(|_| ()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::Decode;
    use rand_core::OsRng;

    fn encoded(keys: &[[u8; 32]]) -> Vec<u8> {
        let mut out = Vec::new();
        put_len(&mut out, keys.len());
        for k in keys {
            out.extend_from_slice(k);
            put_u64(&mut out, 1);
        }
        out
    }

    #[test]
    fn every_key_of_a_decoded_list_is_checked_wherever_it_sits() {
        let mut keys: Vec<[u8; 32]> = (0..300)
            .map(|_| *generate(&mut OsRng).public_key().as_bytes())
            .collect();
        keys.sort();
        let list = CredentialList::decode(&mut Reader::new(&encoded(&keys))).expect("valid");
        assert_eq!(list.len(), 300);
        // A small-order point (the identity's encoding) and a non-canonical y, the list kept in
        // order, so only the key check can refuse them.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        for (at, bad) in [(0usize, identity), (299, [0xff; 32])] {
            let mut with_bad = keys.clone();
            with_bad[at] = bad;
            with_bad.sort();
            let refused = CredentialList::decode(&mut Reader::new(&encoded(&with_bad)));
            assert!(
                matches!(refused, Err(Error::BadPublicKey { what: "credential" })),
                "{refused:?}"
            );
        }
    }
}
