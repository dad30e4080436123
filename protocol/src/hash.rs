//! Tagged SHA-256 hashing of canonical encodings (spec §3).
use sha2::{Digest, Sha256};

/// A 32-byte digest.
pub type Digest32 = [u8; 32];

/// `TaggedHash(tag, data) = SHA-256(u32le(len(tag)) ‖ tag ‖ data)`, where `tag` is an ASCII label from
/// the specification and `data` is a canonical encoding.
///
/// ```
/// // Vector from specs/vectors/group.json: the manifest tag over empty data.
/// let d = protocol::hash::tagged_hash("thistle-v1/manifest", b"");
/// assert_eq!(d, protocol::hash::tagged_hash(protocol::hash::tags::MANIFEST, &[]));
/// assert_ne!(d, protocol::hash::tagged_hash(protocol::hash::tags::CEREMONY, &[]));
/// ```
pub fn tagged_hash(tag: &str, data: &[u8]) -> Digest32 {
    let mut h = Sha256::new();
    h.update((tag.len() as u32).to_le_bytes());
    h.update(tag.as_bytes());
    h.update(data);
    h.finalize().into()
}

/// Hashing tags, one per kind of object (spec §3, table "Tagged hashes").
pub mod tags {
    /// The manifest hash.
    pub const MANIFEST: &str = "thistle-v1/manifest";
    /// The key ceremony's context hash.
    pub const CEREMONY: &str = "thistle-v1/ceremony";
    /// The credential list commitment.
    pub const CREDENTIAL_LIST: &str = "thistle-v1/credential-list";
    /// The election fingerprint.
    pub const FINGERPRINT: &str = "thistle-v1/election-fingerprint";
    /// A ballot's tracking code.
    pub const TRACKING_CODE: &str = "thistle-v1/tracking-code";
    /// The encrypted tally's hash.
    pub const TALLY: &str = "thistle-v1/encrypted-tally";
}
