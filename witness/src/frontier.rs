//! The right edge of an RFC 9162 tree: enough to append leaves and compute the root without
//! keeping every hash (at most 64 hashes for any size).
//!
//! For `n = 2^a + 2^b + …` (`a > b > …`) the tree's root is `node(h_a, node(h_b, …))`, where `h_a`
//! is the root of the perfect subtree of the first `2^a` leaves and so on: RFC 9162 splits at the
//! largest power of two below `n`, which is `2^a` unless `n` is a power of two itself.
use protocol::hash::Digest32;
use protocol::merkle::{leaf_hash, node_hash, root};

/// Perfect-subtree roots, largest first, with the tree size.
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
mod tests {
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
