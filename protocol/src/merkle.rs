//! The record's Merkle tree (RFC 9162 §2.1, SHA-256) and C2SP checkpoints (spec §13).
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hash::Digest32;
use crate::signature::PublicKey;

/// `SHA-256(0x00 ‖ leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Digest32 {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Digest32, right: &Digest32) -> Digest32 {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (`n ≥ 2`).
fn split(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// MTH(D[n]) over leaf hashes; the empty tree's root is SHA-256 of the empty string.
pub fn root(leaves: &[Digest32]) -> Digest32 {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]): the inclusion proof of leaf `m`.
pub fn inclusion_proof(leaves: &[Digest32], m: usize) -> Vec<Digest32> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    let mut path;
    if m < k {
        path = inclusion_proof(&leaves[..k], m);
        path.push(root(&leaves[k..]));
    } else {
        path = inclusion_proof(&leaves[k..], m - k);
        path.push(root(&leaves[..k]));
    }
    path
}

/// PROOF(m, D[n]): the consistency proof from size `m` to `leaves.len()`.
pub fn consistency_proof(leaves: &[Digest32], m: usize) -> Vec<Digest32> {
    fn subproof(leaves: &[Digest32], m: usize, complete: bool) -> Vec<Digest32> {
        let n = leaves.len();
        if m == n {
            return if complete {
                Vec::new()
            } else {
                alloc::vec![root(leaves)]
            };
        }
        let k = split(n);
        let mut p;
        if m <= k {
            p = subproof(&leaves[..k], m, complete);
            p.push(root(&leaves[k..]));
        } else {
            p = subproof(&leaves[k..], m - k, false);
            p.push(root(&leaves[..k]));
        }
        p
    }
    if m == 0 || m >= leaves.len() {
        return Vec::new();
    }
    subproof(leaves, m, true)
}

/// RFC 9162 §2.1.3.2: verifies that `leaf` is at `index` in the tree of `size` leaves with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Digest32,
    path: &[Digest32],
    expected_root: &Digest32,
) -> Result<()> {
    if index >= size {
        return Err(Error::Log(
            "inclusion proof: index is not below the tree size",
        ));
    }
    let (mut f, mut s, mut r) = (index, size - 1, *leaf);
    for p in path {
        if s == 0 {
            return Err(Error::Log("inclusion proof: too long"));
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s == 0 && r == *expected_root {
        Ok(())
    } else {
        Err(Error::Log(
            "inclusion proof does not lead to the checkpoint's root",
        ))
    }
}

/// RFC 9162 §2.1.4.2: verifies that the tree of `size2` with `root2` extends the one of `size1`.
/// From the empty tree (`size1 = 0`) the proof must be empty and any later tree is consistent.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Digest32,
    root2: &Digest32,
    proof: &[Digest32],
) -> Result<()> {
    let fail = |why| Err(Error::Log(why));
    if size1 > size2 {
        return fail("consistency proof: the old tree is larger than the new one");
    }
    if size1 == size2 {
        return if proof.is_empty() && root1 == root2 {
            Ok(())
        } else {
            fail("consistency proof: equal sizes need equal roots and an empty proof")
        };
    }
    if size1 == 0 {
        let empty: Digest32 = Sha256::digest([]).into();
        return if proof.is_empty() && *root1 == empty {
            Ok(())
        } else {
            fail("consistency from the empty tree needs the empty root and an empty proof")
        };
    }
    if proof.is_empty() {
        return fail("consistency proof is empty");
    }
    let mut path: Vec<Digest32> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(*root1);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (size1 - 1, size2 - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return fail("consistency proof: too long");
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if fr == *root1 && sr == *root2 && s == 0 {
        Ok(())
    } else {
        fail("consistency proof does not connect the two checkpoints")
    }
}

/// A checkpoint (C2SP tlog-checkpoint): origin, tree size, root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash.
    pub root: Digest32,
}

/// The origin of one election's log (§13.4): `<board_origin>/<hex ManifestHash>`. A board keeps one
/// log per election, and a witness or client tells logs apart by origin alone, so the origin names
/// the election as well as the board.
pub fn log_origin(board_origin: &str, manifest_hash: &Digest32) -> String {
    format!("{board_origin}/{}", hex::encode(manifest_hash))
}

/// The C2SP signed-note key id of an Ed25519 key: `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[..4]`.
pub fn key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    typed_key_id(name, 0x01, key)
}

/// A C2SP signed-note key id of a key of signature type `key_type`:
/// `SHA-256(name ‖ 0x0A ‖ key_type ‖ key)[..4]`.
pub fn typed_key_id(name: &str, key_type: u8, key: &PublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, key_type]);
    h.update(key.as_bytes());
    let d: Digest32 = h.finalize().into();
    [d[0], d[1], d[2], d[3]]
}

/// A checkpoint body's size and root lines (C2SP tlog-checkpoint): a decimal size without
/// leading zeros (nor sign), and the base64 of a 32-byte root.
pub fn parse_size_and_root(size: &str, root: &str) -> Result<(u64, Digest32)> {
    if size.is_empty()
        || (size.len() > 1 && size.starts_with('0'))
        || !size.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Error::Log(
            "checkpoint: the size must be a decimal number without leading zeros",
        ));
    }
    let size: u64 = size
        .parse()
        .map_err(|_| Error::Log("checkpoint: size out of range"))?;
    let root_bytes = B64
        .decode(root)
        .map_err(|_| Error::Log("checkpoint: root is not base64"))?;
    let root: Digest32 = root_bytes
        .try_into()
        .map_err(|_| Error::Log("checkpoint: root is not 32 bytes"))?;
    Ok((size, root))
}

impl Checkpoint {
    /// The note body: `origin\nsize\nbase64(root)\n`.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Signs as a note with one signature line (the key name is the origin).
    pub fn sign(&self, key: &crate::signature::SecretKey) -> String {
        let body = self.body();
        let sig = key.sign_raw(body.as_bytes());
        let mut blob = key_id(&self.origin, &key.public_key()).to_vec();
        blob.extend_from_slice(&sig);
        format!("{body}\n\u{2014} {} {}\n", self.origin, B64.encode(blob))
    }

    /// V1: parses a checkpoint of this election's log and verifies the board's signature: the
    /// origin is the election's log origin ([`log_origin`]) and the key the manifest's board key.
    pub fn verify_for(
        note: &str,
        manifest: &crate::manifest::Manifest,
        manifest_hash: &Digest32,
    ) -> Result<Checkpoint> {
        let origin = log_origin(&manifest.board.origin, manifest_hash);
        Self::verify_note(note, &origin, &manifest.board.key)
    }

    /// Parses a signed note and verifies the signature line of `key` named `origin` (strictly).
    pub fn verify_note(note: &str, origin: &str, key: &PublicKey) -> Result<Checkpoint> {
        let (body, sigs) = note.split_once("\n\n").ok_or(Error::Log(
            "checkpoint: no blank line before the signatures",
        ))?;
        let body = format!("{body}\n");
        let mut lines = body.lines();
        let (Some(o), Some(size), Some(root_b64), None) =
            (lines.next(), lines.next(), lines.next(), lines.next())
        else {
            return Err(Error::Log(
                "checkpoint: the body must be exactly the origin, size and root lines",
            ));
        };
        if o != origin {
            return Err(Error::Log("checkpoint: wrong origin"));
        }
        let (size, root) = parse_size_and_root(size, root_b64)?;
        let want_id = key_id(origin, key);
        let prefix = format!("\u{2014} {origin} ");
        for line in sigs.lines() {
            let Some(b64) = line.strip_prefix(&prefix) else {
                continue;
            };
            let Ok(blob) = B64.decode(b64) else { continue };
            if blob.len() == 68 && blob[..4] == want_id {
                let mut sig = [0u8; 64];
                sig.copy_from_slice(&blob[4..]);
                let vk = ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes())
                    .map_err(|_| Error::BadPublicKey { what: "board key" })?;
                vk.verify_strict(body.as_bytes(), &ed25519_dalek::Signature::from_bytes(&sig))
                    .map_err(|_| Error::BadSignature { what: "checkpoint" })?;
                return Ok(Checkpoint {
                    origin: origin.into(),
                    size,
                    root,
                });
            }
        }
        Err(Error::Log(
            "checkpoint: no signature line from the board's key",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Digest32> {
        (0..n).map(|i| leaf_hash(&[i as u8])).collect()
    }

    #[test]
    fn a_checkpoint_size_is_plain_decimal_and_its_root_32_bytes() {
        let root = B64.encode([7u8; 32]);
        assert_eq!(parse_size_and_root("0", &root).unwrap(), (0, [7u8; 32]));
        assert_eq!(parse_size_and_root("15", &root).unwrap().0, 15);
        for size in ["", "+5", "-1", "05", " 5", "5x", "99999999999999999999"] {
            assert!(parse_size_and_root(size, &root).is_err(), "{size:?}");
        }
        for root in ["not base64!", &B64.encode([7u8; 31])] {
            assert!(parse_size_and_root("5", root).is_err(), "{root:?}");
        }
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            hex::encode(root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn rfc6962_eight_leaf_root() {
        // The standard test leaves of RFC 6962's reference tests.
        let data: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let hashes: Vec<Digest32> = data.iter().map(|d| leaf_hash(d)).collect();
        assert!(hex::encode(root(&hashes)).starts_with("5dc9da79"));
    }

    #[test]
    fn every_inclusion_and_consistency_proof_verifies_and_tampering_fails() {
        for n in 1..=20usize {
            let l = leaves(n);
            let r = root(&l);
            for m in 0..n {
                let p = inclusion_proof(&l, m);
                verify_inclusion(m as u64, n as u64, &l[m], &p, &r).unwrap();
                assert!(verify_inclusion(m as u64, n as u64, &leaf_hash(b"x"), &p, &r).is_err());
            }
            for m in 0..=n {
                let p = consistency_proof(&l, m);
                let r1 = root(&l[..m]);
                verify_consistency(m as u64, n as u64, &r1, &r, &p).unwrap();
                if m > 0 && m < n {
                    let other = leaf_hash(b"forked");
                    let mut forked = l.clone();
                    forked[m - 1] = other;
                    assert!(
                        verify_consistency(m as u64, n as u64, &root(&forked[..m]), &r, &p)
                            .is_err()
                    );
                }
            }
        }
    }
}

/// The right edge of an RFC 9162 tree: enough to append leaves and compute the root without
/// keeping every hash (at most 64 hashes for any size).
///
/// For `n = 2^a + 2^b + …` (`a > b > …`) the root is `node(h_a, node(h_b, …))`, where `h_a` is the
/// root of the perfect subtree of the first `2^a` leaves and so on: RFC 9162 splits at the largest
/// power of two below `n`, which is `2^a` unless `n` is a power of two itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Digest32>,
}

impl Frontier {
    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf (its bytes; hashed here).
    pub fn push(&mut self, leaf: &[u8]) {
        self.push_hash(leaf_hash(leaf));
    }

    /// Appends a leaf by its leaf hash.
    pub fn push_hash(&mut self, mut h: Digest32) {
        // Merge while the lowest set bits of the old size pair up.
        let mut size = self.size;
        while size & 1 == 1 {
            let left = self.hashes.pop().expect("one hash per set bit");
            h = node_hash(&left, &h);
            size >>= 1;
        }
        self.hashes.push(h);
        self.size += 1;
    }

    /// The tree's root (`SHA-256("")` when empty).
    pub fn root(&self) -> Digest32 {
        let mut it = self.hashes.iter().rev();
        match it.next() {
            None => root(&[]),
            Some(last) => it.fold(*last, |right, left| node_hash(left, &right)),
        }
    }

    /// `u64 size ‖ hashes`, to store.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.size.to_be_bytes().to_vec();
        for h in &self.hashes {
            out.extend_from_slice(h);
        }
        out
    }

    /// Reads [`Self::to_bytes`]; `None` if the bytes do not hold one hash per set bit.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let size = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let rest = &bytes[8..];
        if !rest.len().is_multiple_of(32) || rest.len() / 32 != size.count_ones() as usize {
            return None;
        }
        let hashes = rest
            .chunks(32)
            .map(|c| c.try_into().expect("32 bytes"))
            .collect();
        Some(Frontier { size, hashes })
    }
}

#[cfg(test)]
mod frontier_tests {
    use super::*;

    #[test]
    fn the_frontier_root_is_the_tree_root_at_every_size() {
        let leaves: Vec<Digest32> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::default();
        assert_eq!(f.root(), root(&[]));
        for (n, h) in leaves.iter().enumerate() {
            f.push_hash(*h);
            assert_eq!(f.root(), root(&leaves[..=n]), "size {}", n + 1);
            assert_eq!(Frontier::from_bytes(&f.to_bytes()), Some(f.clone()));
        }
        assert_eq!(Frontier::from_bytes(&f.to_bytes()[..40]), None);
    }
}
