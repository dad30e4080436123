//! The RFC 9162 tree over a log's leaves, kept in memory as tlog "stored hashes" (every complete
//! subtree's hash, about two per leaf), so appending, roots and proofs cost O(log n) each. Built on
//! `tlog_tiles` (a port of Go's sumdb/tlog); checkpoints are C2SP signed notes made with
//! `signed_note`.
use protocol::hash::Digest32;
use protocol::signature::{PublicKey, SecretKey};
use signed_note::{Note, Signer};
use tlog_tiles::tlog::{self, Hash, HashReader};

/// The stored hashes of a log's tree.
#[derive(Default)]
pub struct Tree {
    hashes: Vec<Hash>,
    size: u64,
}

impl HashReader for Tree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.hashes
                    .get(i as usize)
                    .copied()
                    .ok_or(tlog::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl Tree {
    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf (its canonical bytes).
    pub fn push(&mut self, leaf: &[u8]) {
        let new = tlog::stored_hashes(self.size, leaf, self)
            .expect("every hash of a complete subtree is stored");
        self.hashes.extend(new);
        self.size += 1;
    }

    /// Appends a leaf by its RFC 9162 leaf hash, `SHA-256(0x00 ‖ leaf)`.
    pub fn push_hash(&mut self, leaf_hash: &Digest32) {
        let new = tlog::stored_hashes_for_record_hash(self.size, Hash(*leaf_hash), self)
            .expect("every hash of a complete subtree is stored");
        self.hashes.extend(new);
        self.size += 1;
    }

    /// The root of the first `n` leaves.
    pub fn root(&self, n: u64) -> Digest32 {
        assert!(n <= self.size, "root of leaves not in the tree");
        tlog::tree_hash(n, self)
            .expect("every hash of a complete subtree is stored")
            .0
    }

    /// The inclusion proof of leaf `index` in the tree of the first `n` leaves (RFC 9162 §2.1.3).
    pub fn inclusion_proof(&self, index: u64, n: u64) -> Option<Vec<Digest32>> {
        if index >= n || n > self.size {
            return None;
        }
        let p = tlog::prove_record(n, index, self).ok()?;
        Some(p.into_iter().map(|h| h.0).collect())
    }

    /// The consistency proof from the first `m` leaves to the first `n` (RFC 9162 §2.1.4).
    pub fn consistency_proof(&self, m: u64, n: u64) -> Option<Vec<Digest32>> {
        if m > n || n > self.size {
            return None;
        }
        if m == 0 || m == n {
            return Some(Vec::new());
        }
        let p = tlog::prove_tree(n, m, self).ok()?;
        Some(p.into_iter().map(|h| h.0).collect())
    }
}

/// Signs checkpoints as the board (C2SP signed-note, Ed25519), under each election's log origin.
pub struct NoteSigner {
    key: SecretKey,
}

/// The board's key named by one log's origin, as signed-note signs.
struct NamedKey<'a> {
    name: &'a str,
    key: &'a SecretKey,
    key_id: u32,
}

impl NoteSigner {
    /// A signer with the board's key.
    pub fn new(key: SecretKey) -> Self {
        NoteSigner { key }
    }

    /// The signed checkpoint note of the log `origin` (spec §13.4) for `size` leaves with root
    /// `root`.
    pub fn checkpoint(&self, origin: &str, size: u64, root: &Digest32) -> String {
        let public: PublicKey = self.key.public_key();
        let named = NamedKey {
            name: origin,
            key: &self.key,
            key_id: u32::from_be_bytes(protocol::merkle::key_id(origin, &public)),
        };
        let body = protocol::merkle::Checkpoint {
            origin: origin.to_owned(),
            size,
            root: *root,
        }
        .body();
        let mut note = Note::new(body.as_bytes(), &[]).expect("a checkpoint body is a valid note");
        note.add_sigs(&[&named])
            .expect("signing with an in-memory key cannot fail");
        String::from_utf8(note.to_bytes()).expect("notes are UTF-8")
    }
}

impl Signer for NamedKey<'_> {
    fn name(&self) -> &str {
        self.name
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(self.key.sign_raw(msg).to_vec())
    }
}
