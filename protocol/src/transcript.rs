//! Fiat–Shamir through Merlin transcripts (spec §3.2).
//!
//! Every transcript starts `Transcript::new("thistle-v1")`, then appends the proof's domain label under
//! `"proof"`, then the binding hash (election fingerprint, or the ceremony hash before the fingerprint
//! exists), then the whole statement, and only then the prover's commitments. Challenges are 64
//! squeezed bytes reduced modulo ℓ.
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

use crate::group::Point;

/// A Merlin transcript with the typed appends the specification uses.
pub struct ProofTranscript(Transcript);

impl ProofTranscript {
    /// Starts a transcript for `proof` (a domain label), bound to `binding_label` = `binding`.
    pub fn new(proof: &'static [u8], binding_label: &'static [u8], binding: &[u8; 32]) -> Self {
        let mut t = Transcript::new(crate::PROTOCOL_LABEL);
        t.append_message(b"proof", proof);
        t.append_message(binding_label, binding);
        ProofTranscript(t)
    }

    /// Appends a point's canonical encoding.
    pub fn point(&mut self, label: &'static [u8], p: &Point) {
        self.0.append_message(label, p.as_bytes());
    }

    /// Appends raw bytes (a key, a digest).
    pub fn bytes(&mut self, label: &'static [u8], b: &[u8]) {
        self.0.append_message(label, b);
    }

    /// Appends an integer (Merlin's `append_u64`: 8 bytes little-endian).
    pub fn u64(&mut self, label: &'static [u8], v: u64) {
        self.0.append_u64(label, v);
    }

    /// Squeezes a challenge scalar.
    pub fn challenge(&mut self, label: &'static [u8]) -> Scalar {
        let mut wide = [0u8; 64];
        self.0.challenge_bytes(label, &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    /// The underlying transcript, for sub-protocols (Bulletproofs) that append their own messages.
    pub fn inner(&mut self) -> &mut Transcript {
        &mut self.0
    }
}
