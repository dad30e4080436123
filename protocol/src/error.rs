//! The one error type of the protocol crate. Each message names what failed and, where a party is
//! to blame, which one, so that a verifier's report can point at the culprit.
use alloc::string::String;

/// Result with the protocol's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong while decoding, proving or verifying.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Input ended early or a fixed-size field had the wrong size.
    #[error("{what}: expected {expected} bytes, found {found}; the input is truncated or corrupt")]
    WrongLength {
        /// The field being read.
        what: &'static str,
        /// Bytes needed.
        expected: usize,
        /// Bytes available.
        found: usize,
    },
    /// Bytes were left after a complete object.
    #[error(
        "{what}: {extra} bytes follow the encoded object; only the canonical encoding is accepted"
    )]
    TrailingBytes {
        /// The object being read.
        what: &'static str,
        /// Number of unread bytes.
        extra: usize,
    },
    /// A structurally invalid encoding (unknown tag, bad UTF-8, a count over its limit...).
    #[error("{what}: {reason}")]
    Malformed {
        /// The field being read.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Not the canonical encoding of a Ristretto255 point (RFC 9496 decode failed).
    #[error("{what}: not a canonical Ristretto255 point encoding (RFC 9496 §4.3.1); re-encode it with a conforming library")]
    NonCanonicalPoint {
        /// The field being read.
        what: &'static str,
    },
    /// The identity point where the specification forbids it.
    #[error("{what}: the identity point is not allowed here")]
    IdentityPoint {
        /// The field being read.
        what: &'static str,
    },
    /// A scalar encoding that is not reduced modulo the group order.
    #[error("{what}: scalar is not reduced modulo the group order ℓ")]
    NonCanonicalScalar {
        /// The field being read.
        what: &'static str,
    },
    /// An Ed25519 public key that is non-canonical or of small order.
    #[error("{what}: not a canonical Ed25519 public key of large order")]
    BadPublicKey {
        /// The key's role.
        what: &'static str,
    },
    /// An Ed25519 signature that fails the strict check.
    #[error("signature of {what} does not verify under the strict Ed25519 rules")]
    BadSignature {
        /// What was signed.
        what: &'static str,
    },
    /// A zero-knowledge proof that does not verify.
    #[error("{what}: the zero-knowledge proof does not verify")]
    InvalidProof {
        /// Which proof.
        what: &'static str,
    },
    /// A manifest that breaks a rule of the specification.
    #[error("manifest: {0}")]
    InvalidManifest(String),
    /// A voter's selections break a contest's rules (caught before encrypting).
    #[error("contest {contest}: {reason}")]
    InvalidSelection {
        /// Index of the contest in the manifest.
        contest: usize,
        /// The rule that is broken.
        reason: &'static str,
    },
    /// A ballot or record item that does not belong to this election.
    #[error("{what} does not match this election: {reason}")]
    WrongElection {
        /// The item.
        what: &'static str,
        /// What differs.
        reason: &'static str,
    },
    /// The ballot's shape (contests, options, proof parts) does not match the manifest.
    #[error("ballot contest {contest}: {reason}")]
    BallotShape {
        /// Contest index.
        contest: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The ballot's credential is not in the posted credential list.
    #[error("the ballot's credential is not in the election's credential list")]
    UnknownCredential,
    /// A trustee broke the key ceremony or tally rules; names the trustee (1-based index).
    #[error("trustee {trustee}: {reason}")]
    TrusteeMisbehaved {
        /// The culprit's index (1-based, the manifest's order).
        trustee: u32,
        /// What it did wrong.
        reason: &'static str,
    },
    /// A trustee's zero-knowledge proof (round 1 proof of knowledge, partial decryption proof)
    /// does not verify; names the trustee (1-based index).
    #[error("trustee {trustee}: {what} does not verify")]
    TrusteeProof {
        /// The culprit's index (1-based, the manifest's order).
        trustee: u32,
        /// Which proof.
        what: &'static str,
    },
    /// The key ceremony or decryption cannot proceed (too few trustees, missing messages...).
    #[error("ceremony: {0}")]
    Ceremony(&'static str),
    /// A total could not be recovered within the bound the manifest sets.
    #[error("contest {contest} option {option}: the decrypted total exceeds its bound {bound}")]
    TotalOutOfBound {
        /// Contest index.
        contest: usize,
        /// Option index.
        option: usize,
        /// The bound.
        bound: u64,
    },
    /// An entry the log does not accept at this point: wrong phase, outside the voting window, or
    /// before what it depends on.
    #[error("not accepted now: {0}")]
    OutOfPhase(&'static str),
    /// An entry, or part of one, that is already on the log (a replay or a second copy).
    #[error("already recorded: {0}")]
    Duplicate(&'static str),
    /// A Merkle proof or checkpoint that does not verify.
    #[error("log: {0}")]
    Log(&'static str),
    /// A ranked count that cannot be made as given (spec §12.8).
    #[error("ranked count: {0}")]
    Count(String),
}
