//! Durable storage of the logs. One trait, two implementations: [`sqlite::SqliteStore`] (the embedded
//! default, no setup) and [`postgres::PgStore`] (production, several board processes may share it).
//!
//! Sequencing contract, which makes the log a single chain with no gaps and no forks: an append
//! runs under the log's lock (one row per election locked `FOR UPDATE` in PostgreSQL, `BEGIN
//! IMMEDIATE` in SQLite), reads every leaf committed since the caller's last known size, lets the
//! caller decide what to append after them, and commits the new leaves at the next indexes in the
//! same transaction. Rows are never updated or deleted.
use std::future::Future;

pub mod faults;
pub mod postgres;
pub mod sqlite;

/// A committed leaf with what readers look it up by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLeaf {
    /// Position in the log.
    pub index: u64,
    /// The leaf's canonical bytes (spec §13.1).
    pub bytes: Vec<u8>,
    /// For ballots and audited ballots, the tracking code.
    pub tracking_code: Option<[u8; 32]>,
    /// What the board needs to take the leaf in again at start without reading it (its resume
    /// note), stored beside it in the same commit; empty when it has none. Only appends write
    /// notes, and only [`Store::notes`] reads them ([`Store::leaves`] leaves this empty).
    pub note: Vec<u8>,
}

/// A signed checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Tree size.
    pub size: u64,
    /// The signed note.
    pub note: String,
}

/// What went wrong in the store. Nothing in the log changed when one of these is returned, except
/// that a failed commit may or may not have happened: the board then reloads from the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be reached or refused the operation.
    #[error("storage unavailable: {0}; check that the database is running and reachable")]
    Unavailable(String),
    /// The stored log breaks the sequencing contract (a gap or a changed leaf): someone wrote to
    /// the database behind the board's back.
    #[error("stored log is corrupt: {0}; restore the database from a backup")]
    Corrupt(String),
    /// The caller believes the log is longer than what is committed (its state outran a failed
    /// commit); it must reload.
    #[error("the board's state ({known} leaves) is ahead of the store ({size}); reloading")]
    Diverged {
        /// Leaves the caller holds.
        known: u64,
        /// Leaves committed.
        size: u64,
    },
    /// The caller's decision inside an append failed; nothing was appended.
    #[error("append aborted: {0}")]
    Aborted(String),
}

/// What the decision inside an append returns: the leaves to add (at the next indexes) and a value
/// for the caller.
pub type Decision<T> = Result<(Vec<StoredLeaf>, T), String>;

/// Durable storage of election logs.
pub trait Store: Send + Sync + 'static {
    /// Every election with a log, by id.
    fn elections(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Creates the log of `election` with its first leaf; `false` if it already exists (nothing
    /// changes then).
    fn create(
        &self,
        election: &str,
        first: StoredLeaf,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The number of committed leaves.
    fn size(&self, election: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Committed leaves with `from <= index < to`, in order.
    fn leaves(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<StoredLeaf>, StoreError>> + Send;

    /// The leaf with this tracking code, if any.
    fn leaf_by_code(
        &self,
        election: &str,
        code: [u8; 32],
    ) -> impl Future<Output = Result<Option<StoredLeaf>, StoreError>> + Send;

    /// Up to two leaves before index `below` (the latest checkpoint's size) whose tracking code
    /// starts with `prefix`, in log order (a short code names at most one ballot unless someone
    /// found a 120-bit collision).
    fn leaves_by_code_prefix(
        &self,
        election: &str,
        prefix: [u8; 15],
        below: u64,
    ) -> impl Future<Output = Result<Vec<StoredLeaf>, StoreError>> + Send;

    /// Under the log's lock: reads the leaves committed at or after `known`, calls `decide` with
    /// them, and commits what it returns at the next indexes (checking they are the next ones).
    /// `decide` runs exactly once unless the store fails before it; it must be quick and must not
    /// block on the store.
    fn append<F, T>(
        &self,
        election: &str,
        known: u64,
        decide: F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        F: FnOnce(Vec<StoredLeaf>) -> Decision<T> + Send + 'static,
        T: Send + 'static;

    /// The resume notes of the appends whose first leaf is at `from <= index < to`, as
    /// `(index, note)` for every leaf of those appends that has one, in order (an append may end
    /// after `to`).
    fn notes(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<(u64, Vec<u8>)>, StoreError>> + Send;

    /// The committed leaves at these indexes (ascending), in order.
    fn leaves_at(
        &self,
        election: &str,
        indexes: Vec<u64>,
    ) -> impl Future<Output = Result<Vec<StoredLeaf>, StoreError>> + Send;

    /// Records a signed checkpoint (idempotent per size).
    fn put_checkpoint(
        &self,
        election: &str,
        checkpoint: StoredCheckpoint,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The checkpoint with the largest size, if any.
    fn latest_checkpoint(
        &self,
        election: &str,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>, StoreError>> + Send;

    /// Records a checkpoint `k` witnesses cosigned (spec §13.9): the board's note with their
    /// lines. A later round may collect more lines for the same size; the note with more wins.
    fn put_witnessed(
        &self,
        election: &str,
        witnessed: StoredCheckpoint,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The witnessed checkpoints of an election larger than `after`, by increasing size.
    fn witnessed(
        &self,
        election: &str,
        after: u64,
    ) -> impl Future<Output = Result<Vec<StoredCheckpoint>, StoreError>> + Send;
}

/// Two checkpoints of one size must be the same note (Ed25519 signing is deterministic, so every
/// board process signs the same bytes); anything else means two different trees.
pub(crate) fn same_checkpoint(stored: &str, new: &StoredCheckpoint) -> Result<(), StoreError> {
    if stored == new.note {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "a different checkpoint of size {} is already stored",
            new.size
        )))
    }
}

/// Checks that `new` continues a log of `known` leaves and that `appended` follows it.
pub(crate) fn check_sequence(
    known: u64,
    new: &[StoredLeaf],
    appended: &[StoredLeaf],
) -> Result<(), StoreError> {
    for (i, leaf) in new.iter().chain(appended).enumerate() {
        if leaf.index != known + i as u64 {
            return Err(StoreError::Corrupt(format!(
                "expected leaf {} but found {}",
                known + i as u64,
                leaf.index
            )));
        }
    }
    Ok(())
}

/// One append's resume notes as stored (one row per append): `u32 length ‖ note` per leaf, in
/// order; `None` when no leaf has a note.
pub(crate) fn pack_notes(leaves: &[StoredLeaf]) -> Option<Vec<u8>> {
    if leaves.iter().all(|l| l.note.is_empty()) {
        return None;
    }
    let mut out = Vec::with_capacity(leaves.iter().map(|l| 4 + l.note.len()).sum());
    for l in leaves {
        out.extend_from_slice(&(l.note.len() as u32).to_le_bytes());
        out.extend_from_slice(&l.note);
    }
    Some(out)
}

/// The `(index, note)` pairs of a row written by [`pack_notes`] for an append starting at `first`.
pub(crate) fn unpack_notes(
    first: u64,
    mut packed: &[u8],
    out: &mut Vec<(u64, Vec<u8>)>,
) -> Result<(), StoreError> {
    let corrupt = || StoreError::Corrupt(format!("the resume notes of leaf {first} are truncated"));
    let mut index = first;
    while !packed.is_empty() {
        let (len, rest) = packed.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let len = u32::from_le_bytes(*len) as usize;
        let note = rest.get(..len).ok_or_else(corrupt)?;
        if !note.is_empty() {
            out.push((index, note.to_vec()));
        }
        packed = &rest[len..];
        index += 1;
    }
    Ok(())
}

/// The store chosen at start-up.
#[derive(Clone)]
pub enum AnyStore {
    /// The embedded SQLite file.
    Sqlite(sqlite::SqliteStore),
    /// PostgreSQL.
    Postgres(postgres::PgStore),
    /// Either of them behind a switch that breaks writes (the fault tests).
    Faulty(faults::FaultyStore),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $e,
            AnyStore::Postgres($s) => $e,
            AnyStore::Faulty($s) => $e,
        }
    };
}

impl Store for AnyStore {
    async fn elections(&self) -> Result<Vec<String>, StoreError> {
        delegate!(self, s => s.elections().await)
    }

    async fn create(&self, election: &str, first: StoredLeaf) -> Result<bool, StoreError> {
        delegate!(self, s => s.create(election, first).await)
    }

    async fn size(&self, election: &str) -> Result<u64, StoreError> {
        delegate!(self, s => s.size(election).await)
    }

    async fn leaves(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<StoredLeaf>, StoreError> {
        delegate!(self, s => s.leaves(election, from, to).await)
    }

    async fn leaf_by_code(
        &self,
        election: &str,
        code: [u8; 32],
    ) -> Result<Option<StoredLeaf>, StoreError> {
        delegate!(self, s => s.leaf_by_code(election, code).await)
    }

    async fn leaves_by_code_prefix(
        &self,
        election: &str,
        prefix: [u8; 15],
        below: u64,
    ) -> Result<Vec<StoredLeaf>, StoreError> {
        delegate!(self, s => s.leaves_by_code_prefix(election, prefix, below).await)
    }

    async fn append<F, T>(&self, election: &str, known: u64, decide: F) -> Result<T, StoreError>
    where
        F: FnOnce(Vec<StoredLeaf>) -> Decision<T> + Send + 'static,
        T: Send + 'static,
    {
        delegate!(self, s => s.append(election, known, decide).await)
    }

    async fn notes(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        delegate!(self, s => s.notes(election, from, to).await)
    }

    async fn leaves_at(
        &self,
        election: &str,
        indexes: Vec<u64>,
    ) -> Result<Vec<StoredLeaf>, StoreError> {
        delegate!(self, s => s.leaves_at(election, indexes).await)
    }

    async fn put_checkpoint(
        &self,
        election: &str,
        checkpoint: StoredCheckpoint,
    ) -> Result<(), StoreError> {
        delegate!(self, s => s.put_checkpoint(election, checkpoint).await)
    }

    async fn latest_checkpoint(
        &self,
        election: &str,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        delegate!(self, s => s.latest_checkpoint(election).await)
    }

    async fn put_witnessed(
        &self,
        election: &str,
        witnessed: StoredCheckpoint,
    ) -> Result<(), StoreError> {
        delegate!(self, s => s.put_witnessed(election, witnessed).await)
    }

    async fn witnessed(
        &self,
        election: &str,
        after: u64,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        delegate!(self, s => s.witnessed(election, after).await)
    }
}

/// The smallest and largest 32-byte tracking codes starting with `prefix`: a range the stores'
/// index on (election, tracking_code) answers directly.
pub fn code_range(prefix: &[u8; 15]) -> ([u8; 32], [u8; 32]) {
    let (mut lo, mut hi) = ([0u8; 32], [0xffu8; 32]);
    lo[..15].copy_from_slice(prefix);
    hi[..15].copy_from_slice(prefix);
    (lo, hi)
}
