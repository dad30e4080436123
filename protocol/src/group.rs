//! The group: Ristretto255 (RFC 9496), its canonical encodings and the public generators (spec §1).
//!
//! `G` is the Ristretto basepoint. Every other generator is derived from a public label by
//! `hash_to_group` and recomputed here; none is ever read from the record (lesson 5: trapdoor
//! generators).
use alloc::vec::Vec;
use core::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};

use crate::encoding::{Encode, Reader};
use crate::error::{Error, Result};

/// Label of the Pedersen blinding generator `H` used by range proofs.
pub const PEDERSEN_BLINDING_LABEL: &[u8] = b"thistle-v1/generator/pedersen-blinding";

/// A group element together with its canonical 32-byte encoding, so that hashing never recompresses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Point {
    point: RistrettoPoint,
    bytes: [u8; 32],
}

impl Point {
    /// Wraps a computed point (compresses it once).
    pub fn from_point(point: RistrettoPoint) -> Self {
        Point {
            bytes: point.compress().to_bytes(),
            point,
        }
    }

    /// Decodes a canonical encoding; the identity is refused unless `allow_identity`.
    pub fn from_canonical(
        bytes: [u8; 32],
        what: &'static str,
        allow_identity: bool,
    ) -> Result<Self> {
        let point = CompressedRistretto(bytes)
            .decompress()
            .ok_or(Error::NonCanonicalPoint { what })?;
        if !allow_identity && point.is_identity() {
            return Err(Error::IdentityPoint { what });
        }
        Ok(Point { point, bytes })
    }

    /// Reads a point that must not be the identity.
    pub fn decode_nonidentity(r: &mut Reader<'_>, what: &'static str) -> Result<Self> {
        Self::from_canonical(r.array(what)?, what, false)
    }

    /// Reads a point that may be the identity.
    pub fn decode_any(r: &mut Reader<'_>, what: &'static str) -> Result<Self> {
        Self::from_canonical(r.array(what)?, what, true)
    }

    /// The group element.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The canonical encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Whether this is the identity element.
    pub fn is_identity(&self) -> bool {
        self.point.is_identity()
    }
}

impl Encode for Point {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }
}

impl fmt::Debug for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Point({})", hex::encode(self.bytes))
    }
}

/// Reads a canonical scalar (little-endian, strictly below ℓ).
pub fn decode_scalar(r: &mut Reader<'_>, what: &'static str) -> Result<Scalar> {
    scalar_from_canonical(r.array(what)?, what)
}

/// Parses a canonical scalar.
pub fn scalar_from_canonical(bytes: [u8; 32], what: &'static str) -> Result<Scalar> {
    Option::from(Scalar::from_canonical_bytes(bytes)).ok_or(Error::NonCanonicalScalar { what })
}

/// Appends a scalar's canonical encoding.
pub fn put_scalar(out: &mut Vec<u8>, s: &Scalar) {
    out.extend_from_slice(s.as_bytes());
}

/// The basepoint `G`.
pub fn g() -> RistrettoPoint {
    RISTRETTO_BASEPOINT_POINT
}

/// `hash_to_group(label)`: RFC 9496 one-way map of SHA-512(label).
pub fn hash_to_group(label: &[u8]) -> RistrettoPoint {
    let digest = Sha512::digest(label);
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&digest);
    RistrettoPoint::from_uniform_bytes(&wide)
}

/// The Pedersen blinding generator `H = hash_to_group("thistle-v1/generator/pedersen-blinding")`.
/// Nobody knows `log_G H`; in particular it is not the election key, whose logarithm the trustees
/// jointly hold (lesson 5).
pub fn pedersen_blinding() -> RistrettoPoint {
    hash_to_group(PEDERSEN_BLINDING_LABEL)
}

/// `(ℓ + 1) / 2`, the inverse of 2 modulo ℓ, little-endian.
const HALF_BYTES: [u8; 32] = [
    247, 233, 122, 46, 141, 49, 9, 44, 107, 206, 123, 81, 239, 124, 111, 10, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 8,
];

/// `½` modulo ℓ: provers compute the halves of the points they publish (by halving the scalars,
/// which is cheap) so that [`points_from_halves`] can compress them all at once.
pub fn half() -> Scalar {
    scalar_from_canonical(HALF_BYTES, "one half").expect("(ℓ + 1) / 2 is below ℓ")
}

/// The points `2·hᵢ`, compressed together with one shared field inversion (compressing one point at
/// a time costs an inversion each, about 5 µs).
pub fn points_from_halves(halves: &[RistrettoPoint]) -> Vec<Point> {
    RistrettoPoint::double_and_compress_batch(halves)
        .into_iter()
        .zip(halves)
        .map(|(c, h)| Point {
            point: h + h,
            bytes: c.to_bytes(),
        })
        .collect()
}

/// `m·G` for an integer, in constant time (it is used on secret values such as a range value `u`).
pub fn mul_g(m: u64) -> RistrettoPoint {
    curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE * &Scalar::from(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_canonical_encodings_are_rejected() {
        // The basepoint with bit 255 set: accepted by some libsodium versions, not by RFC 9496.
        let mut bytes = RISTRETTO_BASEPOINT_POINT.compress().to_bytes();
        bytes[31] |= 0x80;
        assert_eq!(
            Point::from_canonical(bytes, "p", true),
            Err(Error::NonCanonicalPoint { what: "p" })
        );
        // A field element ≥ p.
        let mut p = [0xffu8; 32];
        p[31] = 0x7f;
        assert!(Point::from_canonical(p, "p", true).is_err());
    }

    #[test]
    fn identity_is_refused_only_where_asked() {
        assert_eq!(
            Point::from_canonical([0; 32], "k", false),
            Err(Error::IdentityPoint { what: "k" })
        );
        assert!(Point::from_canonical([0; 32], "k", true).is_ok());
    }

    #[test]
    fn halves_compress_to_the_points_they_halve() {
        assert_eq!(half() * Scalar::from(2u64), Scalar::ONE);
        let ps: Vec<RistrettoPoint> = (1u64..5)
            .map(|m| RISTRETTO_BASEPOINT_POINT * Scalar::from(m))
            .collect();
        let halves: Vec<RistrettoPoint> = ps.iter().map(|p| p * half()).collect();
        let batch = points_from_halves(&halves);
        for (p, b) in ps.iter().zip(&batch) {
            assert_eq!(*b, Point::from_point(*p));
        }
    }

    #[test]
    fn unreduced_scalars_are_rejected() {
        assert!(scalar_from_canonical([0xff; 32], "s").is_err());
        let l_bytes = {
            let mut b = (-Scalar::ONE).to_bytes();
            b[0] += 1; // ℓ itself
            b
        };
        assert!(scalar_from_canonical(l_bytes, "s").is_err());
    }
}
