//! The witness's embedded store (SQLite, WAL, `synchronous=FULL`): per log, the latest checkpoint
//! it cosigned and the tree's right edge; in verifying mode every entry with what the verifier
//! needs to take it in again at start without re-checking its proofs; and every checkpoint it
//! cosigned; and the election's witnessed timeline, every checkpoint a quorum cosigned within its
//! copy (§13.10). An update is one transaction that re-reads the stored size first, so two requests
//! can never roll a log back (C2SP tlog-witness), and it is committed before the witness answers.
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::WitnessError;

/// A log this witness follows, as stored.
#[derive(Clone, Debug)]
pub struct StoredLog {
    /// The log origin (spec §13.4).
    pub origin: String,
    /// The election id (hex `ManifestHash`).
    pub election: String,
    /// The board it reads entries from.
    pub board_url: String,
    /// The manifest leaf (leaf 0's bytes), which names the board key and this witness.
    pub manifest_leaf: Vec<u8>,
    /// Size of the latest checkpoint it cosigned (0 before any).
    pub size: u64,
    /// Its root.
    pub root: [u8; 32],
    /// The tree's right edge ([`protocol::merkle::Frontier::to_bytes`]).
    pub frontier: Vec<u8>,
    /// The board's note with this witness's cosignature line, as last cosigned.
    pub note: Option<String>,
}

/// A checkpoint the witness cosigned, as [`Store::advance`] records it.
#[derive(Clone, Debug)]
pub struct Advanced {
    /// Its size.
    pub size: u64,
    /// Its root.
    pub root: [u8; 32],
    /// The tree's right edge at that size.
    pub frontier: Vec<u8>,
    /// The board's note with this witness's cosignature line.
    pub note: String,
    /// The cosignature's time.
    pub time: u64,
    /// The cosignature line.
    pub line: String,
}

/// One leaf in the witness's copy of the record.
#[derive(Clone, Debug)]
pub struct StoredLeaf {
    /// Leaf index.
    pub index: u64,
    /// The leaf's bytes.
    pub bytes: Vec<u8>,
    /// For a voter entry, its `protocol::verify::Admission` bytes.
    pub admission: Option<Vec<u8>>,
}

/// The SQLite store.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating) `dir/witness.sqlite`.
    pub fn open(dir: &Path) -> Result<Self, WitnessError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            WitnessError::Unavailable(format!("cannot create {}: {e}", dir.display()))
        })?;
        let conn = Connection::open(dir.join("witness.sqlite"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS logs (
                 origin TEXT PRIMARY KEY,
                 election TEXT NOT NULL,
                 board_url TEXT NOT NULL,
                 manifest_leaf BLOB NOT NULL,
                 size INTEGER NOT NULL,
                 root BLOB NOT NULL,
                 frontier BLOB NOT NULL,
                 note TEXT
             );
             CREATE TABLE IF NOT EXISTS leaves (
                 origin TEXT NOT NULL,
                 idx INTEGER NOT NULL,
                 leaf BLOB NOT NULL,
                 admission BLOB,
                 PRIMARY KEY (origin, idx)
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS cosigned (
                 origin TEXT NOT NULL,
                 size INTEGER NOT NULL,
                 time INTEGER NOT NULL,
                 note TEXT NOT NULL,
                 PRIMARY KEY (origin, size, time)
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS timeline (
                 origin TEXT NOT NULL,
                 size INTEGER NOT NULL,
                 note TEXT NOT NULL,
                 PRIMARY KEY (origin, size)
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS timeline_frontier (
                 origin TEXT PRIMARY KEY,
                 size INTEGER NOT NULL,
                 frontier BLOB NOT NULL
             );",
        )?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every log followed.
    pub fn logs(&self) -> Result<Vec<StoredLog>, WitnessError> {
        let conn = self.conn();
        let mut q = conn.prepare(
            "SELECT origin, election, board_url, manifest_leaf, size, root, frontier, note FROM logs",
        )?;
        let rows = q.query_map([], |r| {
            Ok(StoredLog {
                origin: r.get(0)?,
                election: r.get(1)?,
                board_url: r.get(2)?,
                manifest_leaf: r.get(3)?,
                size: r.get::<_, i64>(4)? as u64,
                root: r.get(5)?,
                frontier: r.get(6)?,
                note: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Starts following a log at size 0 (no-op if it is followed already).
    pub fn follow(&self, log: &StoredLog) -> Result<(), WitnessError> {
        self.conn().execute(
            "INSERT INTO logs (origin, election, board_url, manifest_leaf, size, root, frontier, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (origin) DO NOTHING",
            params![
                log.origin,
                log.election,
                log.board_url,
                log.manifest_leaf,
                log.size as i64,
                log.root,
                log.frontier,
                log.note
            ],
        )?;
        Ok(())
    }

    /// Records a cosigned checkpoint and, in verifying mode, its new leaves, in one transaction
    /// that first checks the stored size is still `old`. `fill` writes the leaves page by page
    /// through the function it is given (a gap of any size is never held in memory) and returns
    /// the checkpoint; any error rolls everything back.
    pub fn advance<F>(&self, origin: &str, old: u64, fill: F) -> Result<Advanced, WitnessError>
    where
        F: FnOnce(
            &mut dyn FnMut(&[StoredLeaf]) -> Result<(), WitnessError>,
        ) -> Result<Advanced, WitnessError>,
    {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let stored: u64 =
            tx.query_row("SELECT size FROM logs WHERE origin = ?1", [origin], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
            .ok_or_else(|| WitnessError::UnknownOrigin(origin.into()))? as u64;
        if stored != old {
            return Err(WitnessError::WrongOldSize { old, size: stored });
        }
        let advanced = {
            let mut put = |leaves: &[StoredLeaf]| -> Result<(), WitnessError> {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO leaves (origin, idx, leaf, admission) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for l in leaves {
                    insert.execute(params![origin, l.index as i64, l.bytes, l.admission])?;
                }
                Ok(())
            };
            fill(&mut put)?
        };
        tx.execute(
            "UPDATE logs SET size = ?2, root = ?3, frontier = ?4, note = ?5 WHERE origin = ?1",
            params![
                origin,
                advanced.size as i64,
                advanced.root,
                advanced.frontier,
                advanced.note
            ],
        )?;
        tx.execute(
            "INSERT OR REPLACE INTO cosigned (origin, size, time, note) VALUES (?1, ?2, ?3, ?4)",
            params![
                origin,
                advanced.size as i64,
                advanced.time as i64,
                advanced.note
            ],
        )?;
        tx.commit()?;
        Ok(advanced)
    }

    /// Leaves `from..to` of a log, in order.
    pub fn leaves(
        &self,
        origin: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<StoredLeaf>, WitnessError> {
        let conn = self.conn();
        let mut q = conn.prepare_cached(
            "SELECT idx, leaf, admission FROM leaves WHERE origin = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
        )?;
        let rows = q.query_map(params![origin, from as i64, to as i64], |r| {
            Ok(StoredLeaf {
                index: r.get::<_, i64>(0)? as u64,
                bytes: r.get(1)?,
                admission: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every checkpoint this witness cosigned for a log, oldest first: `(size, time, note)`.
    pub fn cosigned(&self, origin: &str) -> Result<Vec<(u64, u64, String)>, WitnessError> {
        let conn = self.conn();
        let mut q = conn.prepare_cached(
            "SELECT size, time, note FROM cosigned WHERE origin = ?1 ORDER BY size, time",
        )?;
        let rows = q.query_map([origin], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, i64>(1)? as u64,
                r.get(2)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The body (origin, size, root) of the checkpoint this witness cosigned at `size`, if it did.
    pub fn cosigned_body(&self, origin: &str, size: u64) -> Result<Option<String>, WitnessError> {
        let note: Option<String> = self
            .conn()
            .query_row(
                "SELECT note FROM cosigned WHERE origin = ?1 AND size = ?2 LIMIT 1",
                params![origin, size as i64],
                |r| r.get(0),
            )
            .optional()?;
        Ok(note.and_then(|n| n.split_once("\n\n").map(|(body, _)| body.to_owned())))
    }

    /// Adds witnessed checkpoints (each larger than every one stored) to a log's timeline, with
    /// the tree's right edge at the largest (`size`), in one transaction.
    pub fn add_timeline(
        &self,
        origin: &str,
        notes: &[(u64, String)],
        size: u64,
        frontier: &[u8],
    ) -> Result<(), WitnessError> {
        if notes.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO timeline (origin, size, note) VALUES (?1, ?2, ?3)",
            )?;
            for (size, note) in notes {
                insert.execute(params![origin, *size as i64, note])?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO timeline_frontier (origin, size, frontier) VALUES (?1, ?2, ?3)",
            params![origin, size as i64, frontier],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The size of the largest checkpoint in a log's timeline (0 if none) and the tree's right
    /// edge at that size.
    pub fn timeline_frontier(&self, origin: &str) -> Result<(u64, Vec<u8>), WitnessError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn()
            .query_row(
                "SELECT size, frontier FROM timeline_frontier WHERE origin = ?1",
                [origin],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((size, frontier)) => (size as u64, frontier),
            None => (0, protocol::merkle::Frontier::default().to_bytes()),
        })
    }

    /// A log's witnessed timeline from `after` (exclusive), by increasing size: `(size, note)`.
    pub fn timeline(&self, origin: &str, after: u64) -> Result<Vec<(u64, String)>, WitnessError> {
        let conn = self.conn();
        let mut q = conn.prepare_cached(
            "SELECT size, note FROM timeline WHERE origin = ?1 AND size > ?2 ORDER BY size",
        )?;
        let rows = q.query_map(params![origin, after.min(i64::MAX as u64) as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
