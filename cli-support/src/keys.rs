//! Sealed signing keys and the kinds of secret files.
use std::path::Path;

use protocol::manifest::Manifest;
use protocol::signature::SecretKey;
use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret_file;

/// Kinds of sealed secret files; a trustee's are bound to one election.
pub mod kinds {
    /// An Ed25519 signing key (administrator, credential authority, trustee identity).
    pub const SIGNING_KEY: &str = "signing key";

    /// A trustee's round-2 secrets for `election`, kept between dealing and finishing.
    pub fn round2(election: &str) -> String {
        format!("trustee round 2 secret for election {election}")
    }

    /// A trustee's share of `election`'s key.
    pub fn key_share(election: &str) -> String {
        format!("trustee key share for election {election}")
    }
}

/// Creates a signing key sealed under `passphrase` at `path`; returns its public key (hex).
pub fn keygen(path: &Path, passphrase: &[u8]) -> Result<String> {
    let key = SecretKey::generate(&mut OsRng);
    secret_file::write(path, kinds::SIGNING_KEY, &key.to_seed()[..], passphrase)?;
    Ok(hex::encode(key.public_key().as_bytes()))
}

/// Opens a sealed signing key.
pub fn load_key(path: &Path, passphrase: &[u8]) -> Result<SecretKey> {
    let seed = secret_file::read(path, kinds::SIGNING_KEY, passphrase)?;
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
        seed[..]
            .try_into()
            .map_err(|_| Error::SecretFile("a signing key is 32 bytes".into()))?,
    );
    Ok(SecretKey::from_seed(&seed))
}

/// The 1-based trustee index of `identity` in the manifest.
pub fn trustee_index(manifest: &Manifest, identity: &SecretKey) -> Result<u32> {
    let me = identity.public_key();
    manifest
        .trustees
        .iter()
        .position(|t| t.key == me)
        .map(|i| i as u32 + 1)
        .ok_or_else(|| Error::Ceremony("this key is not one of the manifest's trustees".into()))
}
