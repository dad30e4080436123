//! The embedded default store: one SQLite file (through rusqlite, SQLite compiled in).
//!
//! Chosen over redb because the schema and the queries are the same SQL as the PostgreSQL store, an
//! observer or operator can open the file with the stock `sqlite3` tool, and SQLite's durability
//! under crashes is the most tested of any embedded store. WAL mode with `synchronous = FULL`: a
//! commit is on disk before the board signs a receipt. One writer connection (SQLite serialises
//! writers anyway) and a few reader connections, all used from blocking threads.
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{
    check_sequence, same_checkpoint, Decision, Store, StoreError, StoredCheckpoint, StoredLeaf,
};

const READERS: usize = 4;

const MIGRATIONS: &[&str] = &[
    // 1: logs, leaves, checkpoints.
    "CREATE TABLE elections (
        id TEXT PRIMARY KEY,
        size INTEGER NOT NULL
     );
     CREATE TABLE leaves (
        election TEXT NOT NULL REFERENCES elections(id),
        idx INTEGER NOT NULL,
        leaf BLOB NOT NULL,
        tracking_code BLOB,
        PRIMARY KEY (election, idx)
     ) WITHOUT ROWID;
     CREATE UNIQUE INDEX leaves_by_code ON leaves(election, tracking_code)
        WHERE tracking_code IS NOT NULL;
     CREATE TABLE checkpoints (
        election TEXT NOT NULL REFERENCES elections(id),
        size INTEGER NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (election, size)
     );",
    // 2: the board's resume notes, one row per append.
    "CREATE TABLE resume_notes (
        election TEXT NOT NULL REFERENCES elections(id),
        first_idx INTEGER NOT NULL,
        notes BLOB NOT NULL,
        PRIMARY KEY (election, first_idx)
     ) WITHOUT ROWID;",
    // 3: checkpoints k witnesses cosigned (the board's note with their lines).
    "CREATE TABLE witnessed (
        election TEXT NOT NULL REFERENCES elections(id),
        size INTEGER NOT NULL,
        cosigners INTEGER NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (election, size)
     );",
];

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Vec<Mutex<Connection>>>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(unavailable)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(unavailable)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(unavailable)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(unavailable)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(unavailable)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        .map_err(unavailable)?;
    let done: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(unavailable)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        tx.execute_batch(sql).map_err(unavailable)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES (?1)",
            params![i as i64 + 1],
        )
        .map_err(unavailable)?;
    }
    tx.commit().map_err(unavailable)
}

fn row_to_leaf(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredLeaf> {
    let code: Option<Vec<u8>> = r.get(2)?;
    Ok(StoredLeaf {
        index: r.get::<_, i64>(0)? as u64,
        bytes: r.get(1)?,
        tracking_code: code.and_then(|c| c.try_into().ok()),
        note: Vec::new(),
    })
}

fn read_leaves(
    conn: &Connection,
    election: &str,
    from: u64,
    to: u64,
) -> Result<Vec<StoredLeaf>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT idx, leaf, tracking_code FROM leaves
             WHERE election = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
        )
        .map_err(unavailable)?;
    let rows = stmt
        .query_map(params![election, from as i64, to as i64], row_to_leaf)
        .map_err(unavailable)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
}

fn insert_leaves(
    tx: &rusqlite::Transaction<'_>,
    election: &str,
    leaves: &[StoredLeaf],
) -> Result<(), StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO leaves (election, idx, leaf, tracking_code) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(unavailable)?;
    for l in leaves {
        stmt.execute(params![
            election,
            l.index as i64,
            l.bytes,
            l.tracking_code.map(|c| c.to_vec())
        ])
        .map_err(unavailable)?;
    }
    if let (Some(notes), Some(first)) = (super::pack_notes(leaves), leaves.first()) {
        tx.prepare_cached(
            "INSERT INTO resume_notes (election, first_idx, notes) VALUES (?1, ?2, ?3)",
        )
        .map_err(unavailable)?
        .execute(params![election, first.index as i64, notes])
        .map_err(unavailable)?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut writer = open(path)?;
        migrate(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| open(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(readers),
        })
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            // Any free reader; otherwise wait on one chosen by thread.
            for r in readers.iter() {
                if let Ok(conn) = r.try_lock() {
                    return f(&conn);
                }
            }
            let conn = readers[0].lock().map_err(unavailable)?;
            f(&conn)
        })
        .await
        .map_err(unavailable)?
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = writer.lock().map_err(unavailable)?;
            f(&mut conn)
        })
        .await
        .map_err(unavailable)?
    }
}

impl Store for SqliteStore {
    async fn elections(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare("SELECT id FROM elections ORDER BY id")
                .map_err(unavailable)?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(unavailable)?;
            rows.collect::<Result<Vec<String>, _>>()
                .map_err(unavailable)
        })
        .await
    }

    async fn create(&self, election: &str, first: StoredLeaf) -> Result<bool, StoreError> {
        let election = election.to_owned();
        self.write(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let exists = tx
                .query_row(
                    "SELECT 1 FROM elections WHERE id = ?1",
                    params![election],
                    |_| Ok(()),
                )
                .optional()
                .map_err(unavailable)?
                .is_some();
            if exists {
                return Ok(false);
            }
            check_sequence(0, &[], std::slice::from_ref(&first))?;
            tx.execute(
                "INSERT INTO elections (id, size) VALUES (?1, 1)",
                params![election],
            )
            .map_err(unavailable)?;
            insert_leaves(&tx, &election, std::slice::from_ref(&first))?;
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn size(&self, election: &str) -> Result<u64, StoreError> {
        let election = election.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT size FROM elections WHERE id = ?1",
                params![election],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(unavailable)
            .map(|s| s.unwrap_or(0) as u64)
        })
        .await
    }

    async fn leaves(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<StoredLeaf>, StoreError> {
        let election = election.to_owned();
        self.read(move |c| read_leaves(c, &election, from, to))
            .await
    }

    async fn leaf_by_code(
        &self,
        election: &str,
        code: [u8; 32],
    ) -> Result<Option<StoredLeaf>, StoreError> {
        let election = election.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT idx, leaf, tracking_code FROM leaves
                 WHERE election = ?1 AND tracking_code = ?2",
                params![election, code.to_vec()],
                row_to_leaf,
            )
            .optional()
            .map_err(unavailable)
        })
        .await
    }

    async fn leaves_by_code_prefix(
        &self,
        election: &str,
        prefix: [u8; 15],
        below: u64,
    ) -> Result<Vec<StoredLeaf>, StoreError> {
        let (lo, hi) = super::code_range(&prefix);
        let election = election.to_owned();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT idx, leaf, tracking_code FROM leaves
                     WHERE election = ?1 AND tracking_code BETWEEN ?2 AND ?3 AND idx < ?4
                     ORDER BY idx LIMIT 2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(
                    params![election, lo.to_vec(), hi.to_vec(), below as i64],
                    row_to_leaf,
                )
                .map_err(unavailable)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
        })
        .await
    }

    async fn append<F, T>(&self, election: &str, known: u64, decide: F) -> Result<T, StoreError>
    where
        F: FnOnce(Vec<StoredLeaf>) -> Decision<T> + Send + 'static,
        T: Send + 'static,
    {
        let election = election.to_owned();
        self.write(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let size: i64 = tx
                .query_row(
                    "SELECT size FROM elections WHERE id = ?1",
                    params![election],
                    |r| r.get(0),
                )
                .map_err(unavailable)?;
            let size = size as u64;
            if known > size {
                return Err(StoreError::Diverged { known, size });
            }
            let new = read_leaves(&tx, &election, known, size)?;
            let (appended, out) = decide(new.clone()).map_err(StoreError::Aborted)?;
            check_sequence(known, &new, &appended)?;
            if !appended.is_empty() {
                insert_leaves(&tx, &election, &appended)?;
                tx.execute(
                    "UPDATE elections SET size = ?2 WHERE id = ?1",
                    params![election, (size + appended.len() as u64) as i64],
                )
                .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(out)
        })
        .await
    }

    async fn notes(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let election = election.to_owned();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT first_idx, notes FROM resume_notes
                     WHERE election = ?1 AND first_idx >= ?2 AND first_idx < ?3
                     ORDER BY first_idx",
                )
                .map_err(unavailable)?;
            let mut rows = stmt
                .query(params![election, from as i64, to as i64])
                .map_err(unavailable)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(unavailable)? {
                let first: i64 = r.get(0).map_err(unavailable)?;
                let notes: Vec<u8> = r.get(1).map_err(unavailable)?;
                super::unpack_notes(first as u64, &notes, &mut out)?;
            }
            Ok(out)
        })
        .await
    }

    async fn leaves_at(
        &self,
        election: &str,
        indexes: Vec<u64>,
    ) -> Result<Vec<StoredLeaf>, StoreError> {
        let election = election.to_owned();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT idx, leaf, tracking_code FROM leaves WHERE election = ?1 AND idx = ?2",
                )
                .map_err(unavailable)?;
            let mut out = Vec::with_capacity(indexes.len());
            for i in indexes {
                if let Some(leaf) = stmt
                    .query_row(params![election, i as i64], row_to_leaf)
                    .optional()
                    .map_err(unavailable)?
                {
                    out.push(leaf);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn put_checkpoint(
        &self,
        election: &str,
        checkpoint: StoredCheckpoint,
    ) -> Result<(), StoreError> {
        let election = election.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO checkpoints (election, size, note) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![election, checkpoint.size as i64, checkpoint.note],
            )
            .map_err(unavailable)?;
            let stored: String = c
                .query_row(
                    "SELECT note FROM checkpoints WHERE election = ?1 AND size = ?2",
                    params![election, checkpoint.size as i64],
                    |r| r.get(0),
                )
                .map_err(unavailable)?;
            same_checkpoint(&stored, &checkpoint)
        })
        .await
    }

    async fn latest_checkpoint(
        &self,
        election: &str,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let election = election.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT size, note FROM checkpoints WHERE election = ?1
                 ORDER BY size DESC LIMIT 1",
                params![election],
                |r| {
                    Ok(StoredCheckpoint {
                        size: r.get::<_, i64>(0)? as u64,
                        note: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(unavailable)
        })
        .await
    }

    async fn put_witnessed(
        &self,
        election: &str,
        witnessed: StoredCheckpoint,
    ) -> Result<(), StoreError> {
        let election = election.to_owned();
        let cosigners = crate::witnesses::cosigners_in(&witnessed.note) as i64;
        self.write(move |c| {
            c.execute(
                "INSERT INTO witnessed (election, size, cosigners, note) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (election, size) DO UPDATE SET cosigners = excluded.cosigners,
                 note = excluded.note WHERE excluded.cosigners > witnessed.cosigners",
                params![election, witnessed.size as i64, cosigners, witnessed.note],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn witnessed(
        &self,
        election: &str,
        after: u64,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let election = election.to_owned();
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut q = c
                .prepare_cached(
                    "SELECT size, note FROM witnessed WHERE election = ?1 AND size > ?2 ORDER BY size",
                )
                .map_err(unavailable)?;
            let rows = q
                .query_map(params![election, after], |r| {
                    Ok(StoredCheckpoint {
                        size: r.get::<_, i64>(0)? as u64,
                        note: r.get(1)?,
                    })
                })
                .map_err(unavailable)?;
            rows.collect::<Result<_, _>>().map_err(unavailable)
        })
        .await
    }
}
