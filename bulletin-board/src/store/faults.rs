//! Store failures on demand, for the board's fault tests: a real store (SQLite or PostgreSQL)
//! behind a switch that makes appends fail after the board has decided them, as a full disk or a
//! connection lost mid-commit does, and makes writes fail while the switch is on.
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use super::{AnyStore, Decision, Store, StoreError, StoredCheckpoint, StoredLeaf};

/// What to break.
#[derive(Default)]
pub struct FaultPlan {
    appends_to_fail: AtomicU32,
    writes_fail: AtomicBool,
}

impl FaultPlan {
    /// The next `n` appends fail after their decision ran, committing nothing.
    pub fn fail_next_appends(&self, n: u32) {
        self.appends_to_fail.store(n, Ordering::SeqCst);
    }

    /// While on, every append fails after its decision and every checkpoint write fails (a
    /// full disk: reads still work).
    pub fn set_writes_fail(&self, on: bool) {
        self.writes_fail.store(on, Ordering::SeqCst);
    }

    fn append_fails(&self) -> bool {
        self.writes_fail.load(Ordering::SeqCst)
            || self
                .appends_to_fail
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
    }
}

/// A store whose writes fail when its [`FaultPlan`] says so.
#[derive(Clone)]
pub struct FaultyStore {
    inner: Arc<AnyStore>,
    plan: Arc<FaultPlan>,
}

const INJECTED: &str = "injected store failure";

impl FaultyStore {
    /// Wraps `inner`; the returned plan breaks it.
    pub fn new(inner: AnyStore) -> (Self, Arc<FaultPlan>) {
        let plan = Arc::new(FaultPlan::default());
        (
            FaultyStore {
                inner: Arc::new(inner),
                plan: plan.clone(),
            },
            plan,
        )
    }
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send>>;

impl FaultyStore {
    fn boxed<T>(f: impl Future<Output = Result<T, StoreError>> + Send + 'static) -> Boxed<T> {
        Box::pin(f)
    }

    /// A checkpoint write: refused as a full disk would while writes fail.
    fn checkpoint_write(
        &self,
        write: impl Future<Output = Result<(), StoreError>> + Send + 'static,
    ) -> Boxed<()> {
        let fails = self.plan.writes_fail.load(Ordering::SeqCst);
        Self::boxed(async move {
            if fails {
                return Err(StoreError::Unavailable(format!(
                    "{INJECTED}: no space left on device"
                )));
            }
            write.await
        })
    }
}

impl Store for FaultyStore {
    fn elections(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send {
        let inner = self.inner.clone();

        Self::boxed(async move { inner.elections().await })
    }

    fn create(
        &self,
        election: &str,
        first: StoredLeaf,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move { inner.create(&election, first).await })
    }

    fn size(&self, election: &str) -> impl Future<Output = Result<u64, StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move { inner.size(&election).await })
    }

    fn leaves(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<StoredLeaf>, StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move { inner.leaves(&election, from, to).await })
    }

    fn notes(
        &self,
        election: &str,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<(u64, Vec<u8>)>, StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move { inner.notes(&election, from, to).await })
    }

    fn leaves_at(
        &self,
        election: &str,
        indexes: Vec<u64>,
    ) -> impl Future<Output = Result<Vec<StoredLeaf>, StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move { inner.leaves_at(&election, indexes).await })
    }

    fn leaf_by_code(
        &self,
        election: &str,
        code: [u8; 32],
    ) -> impl Future<Output = Result<Option<StoredLeaf>, StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move { inner.leaf_by_code(&election, code).await })
    }

    fn leaves_by_code_prefix(
        &self,
        election: &str,
        prefix: [u8; 15],
        below: u64,
    ) -> impl Future<Output = Result<Vec<StoredLeaf>, StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move { inner.leaves_by_code_prefix(&election, prefix, below).await })
    }

    fn append<F, T>(
        &self,
        election: &str,
        known: u64,
        decide: F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        F: FnOnce(Vec<StoredLeaf>) -> Decision<T> + Send + 'static,
        T: Send + 'static,
    {
        let plan = self.plan.clone();
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move {
            // Boxed, so that the inner store's `append` is instantiated once, not once per
            // wrapping closure.
            let decide: Box<dyn FnOnce(Vec<StoredLeaf>) -> Decision<T> + Send> =
                Box::new(move |new| {
                    let decided = decide(new)?;
                    if plan.append_fails() {
                        return Err(format!("{INJECTED}: no space left on device"));
                    }
                    Ok(decided)
                });
            inner
                .append(&election, known, decide)
                .await
                .map_err(|e| match e {
                    StoreError::Aborted(m) if m.starts_with(INJECTED) => StoreError::Unavailable(m),
                    other => other,
                })
        })
    }

    fn put_checkpoint(
        &self,
        election: &str,
        checkpoint: StoredCheckpoint,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        self.checkpoint_write(async move { inner.put_checkpoint(&election, checkpoint).await })
    }

    fn latest_checkpoint(
        &self,
        election: &str,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>, StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move { inner.latest_checkpoint(&election).await })
    }

    fn put_witnessed(
        &self,
        election: &str,
        witnessed: StoredCheckpoint,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        self.checkpoint_write(async move { inner.put_witnessed(&election, witnessed).await })
    }

    fn witnessed(
        &self,
        election: &str,
        after: u64,
    ) -> impl Future<Output = Result<Vec<StoredCheckpoint>, StoreError>> + Send {
        let inner = self.inner.clone();
        let election = election.to_owned();
        Self::boxed(async move { inner.witnessed(&election, after).await })
    }
}
