//! The production store: PostgreSQL through tokio-postgres and a deadpool pool. Several board
//! processes may share one database: each append locks its election's row `FOR UPDATE`, so appends
//! to one log are serialised across processes, and the primary key `(election, idx)` refuses a
//! second leaf at any index even if that lock were bypassed.
use std::str::FromStr;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{NoTls, Row};

use super::{
    check_sequence, same_checkpoint, Decision, Store, StoreError, StoredCheckpoint, StoredLeaf,
};

/// Held while migrating so that processes starting together do not race.
const MIGRATION_LOCK: i64 = 0x0074_6869_7374_6c65;

const MIGRATIONS: &[&str] = &[
    // 1: logs, leaves, checkpoints.
    "CREATE TABLE elections (
        id TEXT PRIMARY KEY,
        size BIGINT NOT NULL
     );
     CREATE TABLE leaves (
        election TEXT NOT NULL REFERENCES elections(id),
        idx BIGINT NOT NULL,
        leaf BYTEA NOT NULL,
        tracking_code BYTEA,
        PRIMARY KEY (election, idx)
     );
     CREATE UNIQUE INDEX leaves_by_code ON leaves(election, tracking_code)
        WHERE tracking_code IS NOT NULL;
     CREATE TABLE checkpoints (
        election TEXT NOT NULL REFERENCES elections(id),
        size BIGINT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (election, size)
     );",
    // 2: the board's resume notes, one row per append.
    "CREATE TABLE resume_notes (
        election TEXT NOT NULL REFERENCES elections(id),
        first_idx BIGINT NOT NULL,
        notes BYTEA NOT NULL,
        PRIMARY KEY (election, first_idx)
     );",
    // 3: checkpoints k witnesses cosigned (the board's note with their lines).
    "CREATE TABLE witnessed (
        election TEXT NOT NULL REFERENCES elections(id),
        size BIGINT NOT NULL,
        cosigners BIGINT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (election, size)
     );",
];

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// The threads that make and drive the store's connections (a connection is driven by a
    /// task on the runtime that made it). Made with the store, they keep the board's own CPU
    /// priority and serve no HTTP request, so no query waits for a busy (or lower-priority) HTTP
    /// worker, or for the sequencers' thread, to poll its connection.
    driver: Arc<Driver>,
}

/// How many threads drive the store's connections.
const DRIVER_THREADS: usize = 2;

/// How long a query waits for a free connection, or for a new one to be made, before the store
/// answers unavailable: the request deadline (§13.8), beyond which nobody waits for the answer.
const CONNECTION_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The store's own runtime, stopped without waiting when the store goes (a runtime may not be
/// dropped, and so waited for, inside another).
struct Driver(Option<tokio::runtime::Runtime>);

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Driver {
    fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("running until dropped").handle()
    }
}

/// Aborts a task when the future waiting for it is dropped: a request given up on (its client
/// gone, its deadline passed) must not keep a place in the queue for a connection.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn row_to_leaf(r: &Row) -> StoredLeaf {
    let code: Option<Vec<u8>> = r.get(2);
    StoredLeaf {
        index: r.get::<_, i64>(0) as u64,
        bytes: r.get(1),
        tracking_code: code.and_then(|c| c.try_into().ok()),
        note: Vec::new(),
    }
}

impl PgStore {
    /// Connects (a pool of `max_connections`) and applies migrations.
    pub async fn connect(url: &str, max_connections: usize) -> Result<Self, StoreError> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CONNECTION_WAIT))
            .create_timeout(Some(CONNECTION_WAIT))
            .build()
            .map_err(unavailable)?;
        let driver = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(DRIVER_THREADS)
            .thread_name("thistle-store")
            .enable_all()
            .build()
            .map_err(|e| unavailable(format!("cannot start the store's threads: {e}")))?;
        let store = PgStore {
            pool,
            driver: Arc::new(Driver(Some(driver))),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        let pool = self.pool.clone();
        let mut getting = AbortOnDrop(self.driver.handle().spawn(async move { pool.get().await }));
        match (&mut getting.0).await {
            Ok(got) => got.map_err(unavailable),
            Err(e) if e.is_panic() => Err(unavailable(format!("making a connection failed: {e}"))),
            Err(_) => Err(unavailable("the board is shutting down")),
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(unavailable)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
        )
        .await
        .map_err(unavailable)?;
        let done: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(unavailable)?
            .get(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            tx.batch_execute(sql).await.map_err(unavailable)?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&(i as i64 + 1)],
            )
            .await
            .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
    }
}

async fn read_leaves(
    client: &impl deadpool_postgres::GenericClient,
    election: &str,
    from: u64,
    to: u64,
) -> Result<Vec<StoredLeaf>, StoreError> {
    let rows = client
        .query(
            "SELECT idx, leaf, tracking_code FROM leaves
             WHERE election = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
            &[&election, &(from as i64), &(to as i64)],
        )
        .await
        .map_err(unavailable)?;
    Ok(rows.iter().map(row_to_leaf).collect())
}

async fn insert_leaves(
    client: &impl deadpool_postgres::GenericClient,
    election: &str,
    leaves: &[StoredLeaf],
) -> Result<(), StoreError> {
    let idx: Vec<i64> = leaves.iter().map(|l| l.index as i64).collect();
    let bytes: Vec<&[u8]> = leaves.iter().map(|l| l.bytes.as_slice()).collect();
    let codes: Vec<Option<&[u8]>> = leaves
        .iter()
        .map(|l| l.tracking_code.as_ref().map(|c| c.as_slice()))
        .collect();
    client
        .execute(
            "INSERT INTO leaves (election, idx, leaf, tracking_code)
             SELECT $1, * FROM UNNEST($2::BIGINT[], $3::BYTEA[], $4::BYTEA[])",
            &[&election, &idx, &bytes, &codes],
        )
        .await
        .map_err(unavailable)?;
    if let (Some(notes), Some(first)) = (super::pack_notes(leaves), leaves.first()) {
        client
            .execute(
                "INSERT INTO resume_notes (election, first_idx, notes) VALUES ($1, $2, $3)",
                &[&election, &(first.index as i64), &notes],
            )
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

impl Store for PgStore {
    async fn elections(&self) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query("SELECT id FROM elections ORDER BY id", &[])
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn create(&self, election: &str, first: StoredLeaf) -> Result<bool, StoreError> {
        check_sequence(0, &[], std::slice::from_ref(&first))?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let inserted = tx
            .execute(
                "INSERT INTO elections (id, size) VALUES ($1, 1) ON CONFLICT DO NOTHING",
                &[&election],
            )
            .await
            .map_err(unavailable)?;
        if inserted == 0 {
            return Ok(false);
        }
        insert_leaves(&tx, election, std::slice::from_ref(&first)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(true)
    }

    async fn size(&self, election: &str) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT size FROM elections WHERE id = $1", &[&election])
            .await
            .map_err(unavailable)?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    async fn leaves(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<StoredLeaf>, StoreError> {
        let client = self.client().await?;
        read_leaves(&client, election, from, to).await
    }

    async fn leaf_by_code(
        &self,
        election: &str,
        code: [u8; 32],
    ) -> Result<Option<StoredLeaf>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT idx, leaf, tracking_code FROM leaves
                 WHERE election = $1 AND tracking_code = $2",
                &[&election, &code.as_slice()],
            )
            .await
            .map_err(unavailable)?;
        Ok(row.as_ref().map(row_to_leaf))
    }

    async fn leaves_by_code_prefix(
        &self,
        election: &str,
        prefix: [u8; 15],
        below: u64,
    ) -> Result<Vec<StoredLeaf>, StoreError> {
        let (lo, hi) = super::code_range(&prefix);
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT idx, leaf, tracking_code FROM leaves
                 WHERE election = $1 AND tracking_code BETWEEN $2 AND $3 AND idx < $4
                 ORDER BY idx LIMIT 2",
                &[&election, &lo.as_slice(), &hi.as_slice(), &(below as i64)],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(row_to_leaf).collect())
    }

    async fn append<F, T>(&self, election: &str, known: u64, decide: F) -> Result<T, StoreError>
    where
        F: FnOnce(Vec<StoredLeaf>) -> Decision<T> + Send + 'static,
        T: Send + 'static,
    {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        // Receipts follow the commit: it must be durable whatever the server's default.
        tx.batch_execute("SET LOCAL synchronous_commit = on")
            .await
            .map_err(unavailable)?;
        let size: i64 = tx
            .query_one(
                "SELECT size FROM elections WHERE id = $1 FOR UPDATE",
                &[&election],
            )
            .await
            .map_err(unavailable)?
            .get(0);
        let size = size as u64;
        if known > size {
            return Err(StoreError::Diverged { known, size });
        }
        let new = read_leaves(&tx, election, known, size).await?;
        let (appended, out) = decide(new.clone()).map_err(StoreError::Aborted)?;
        check_sequence(known, &new, &appended)?;
        if !appended.is_empty() {
            insert_leaves(&tx, election, &appended).await?;
            tx.execute(
                "UPDATE elections SET size = $2 WHERE id = $1",
                &[&election, &((size + appended.len() as u64) as i64)],
            )
            .await
            .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(out)
    }

    async fn notes(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT first_idx, notes FROM resume_notes
                 WHERE election = $1 AND first_idx >= $2 AND first_idx < $3 ORDER BY first_idx",
                &[&election, &(from as i64), &(to as i64)],
            )
            .await
            .map_err(unavailable)?;
        let mut out = Vec::new();
        for r in &rows {
            super::unpack_notes(r.get::<_, i64>(0) as u64, r.get(1), &mut out)?;
        }
        Ok(out)
    }

    async fn leaves_at(
        &self,
        election: &str,
        indexes: Vec<u64>,
    ) -> Result<Vec<StoredLeaf>, StoreError> {
        let client = self.client().await?;
        let idx: Vec<i64> = indexes.iter().map(|&i| i as i64).collect();
        let rows = client
            .query(
                "SELECT idx, leaf, tracking_code FROM leaves
                 WHERE election = $1 AND idx = ANY($2) ORDER BY idx",
                &[&election, &idx],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(row_to_leaf).collect())
    }

    async fn put_checkpoint(
        &self,
        election: &str,
        checkpoint: StoredCheckpoint,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO checkpoints (election, size, note) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&election, &(checkpoint.size as i64), &checkpoint.note],
            )
            .await
            .map_err(unavailable)?;
        let stored: String = client
            .query_one(
                "SELECT note FROM checkpoints WHERE election = $1 AND size = $2",
                &[&election, &(checkpoint.size as i64)],
            )
            .await
            .map_err(unavailable)?
            .get(0);
        same_checkpoint(&stored, &checkpoint)
    }

    async fn latest_checkpoint(
        &self,
        election: &str,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT size, note FROM checkpoints WHERE election = $1
                 ORDER BY size DESC LIMIT 1",
                &[&election],
            )
            .await
            .map_err(unavailable)?;
        Ok(row.map(|r| StoredCheckpoint {
            size: r.get::<_, i64>(0) as u64,
            note: r.get(1),
        }))
    }

    async fn put_witnessed(
        &self,
        election: &str,
        witnessed: StoredCheckpoint,
    ) -> Result<(), StoreError> {
        let cosigners = crate::witnesses::cosigners_in(&witnessed.note) as i64;
        self.client()
            .await?
            .execute(
                "INSERT INTO witnessed (election, size, cosigners, note) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (election, size) DO UPDATE SET cosigners = excluded.cosigners,
                 note = excluded.note WHERE excluded.cosigners > witnessed.cosigners",
                &[
                    &election,
                    &(witnessed.size as i64),
                    &cosigners,
                    &witnessed.note,
                ],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn witnessed(
        &self,
        election: &str,
        after: u64,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT size, note FROM witnessed WHERE election = $1 AND size > $2 ORDER BY size",
                &[&election, &after],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows
            .iter()
            .map(|r| StoredCheckpoint {
                size: r.get::<_, i64>(0) as u64,
                note: r.get(1),
            })
            .collect())
    }
}
