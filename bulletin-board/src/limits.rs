//! Back-pressure (spec §13.8): what the board takes on at once, and what it tells a client that
//! must come back later. Nothing here queues without bound: work beyond a limit is refused at once
//! with `503 busy` or `429 rate_limited` and a `Retry-After`, which the tools and the voting page
//! honour with backoff.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ApiError, ErrorCode};

/// The board's limits. The defaults suit a 2-core machine; every one is a `serve` flag.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Threads decoding and checking ballots (signature and proofs), so checks running at once.
    pub verifiers: usize,
    /// Ballots waiting for a check before further ones are told to retry (`503 busy`).
    pub verify_queue: usize,
    /// Bytes of request bodies held at once, in all, before their writer is authenticated.
    pub body_bytes: usize,
    /// Time a client has to send a request body of up to 1 MiB.
    pub body_deadline: Duration,
    /// Time a post takes at most, body, checks and commit included; past it the client is told
    /// to look the entry up and retry (an entry already queued may still be committed).
    pub request_deadline: Duration,
    /// Posts per second allowed per client address, with a burst of as many; none if `None`.
    pub rate_per_client: Option<u32>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (only these are believed).
    pub trusted_proxies: Vec<IpAddr>,
    /// Where uploads are spooled while their signature is checked: on disk, not in memory (a
    /// temporary directory may be a RAM-backed tmpfs). `serve` uses its data directory.
    pub spool_dir: std::path::PathBuf,
    /// Bytes of large leaves (a credential list, a mix: [`LARGE_LEAF`] or more) held at once for
    /// readers, counted at what answering them costs; beyond it a read is `503 busy` (an export
    /// waits instead).
    pub read_bytes: usize,
}

/// A leaf of at least this many bytes is read only within [`Limits::read_bytes`], and alone.
pub const LARGE_LEAF: usize = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            verifiers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            verify_queue: 256,
            body_bytes: 32 << 20,
            body_deadline: Duration::from_secs(10),
            request_deadline: Duration::from_secs(30),
            rate_per_client: None,
            trusted_proxies: Vec::new(),
            spool_dir: std::env::temp_dir(),
            read_bytes: 256 << 20,
        }
    }
}

impl Limits {
    /// The deadline for a body of `len` bytes: the base deadline, plus a second per MiB beyond
    /// the first (so a large authenticated upload on a slow line still fits).
    pub fn body_deadline_for(&self, len: usize) -> Duration {
        self.body_deadline + Duration::from_secs((len >> 20) as u64)
    }
}

/// The limits as semaphores and counters, shared by every request.
pub struct Guards {
    /// The limits.
    pub limits: Limits,
    /// The threads that decode and check ballots, `verifiers` of them. They are made when the
    /// board opens, so they keep the process's CPU priority when `serve` lowers its HTTP
    /// workers' (a thread inherits the priority of the thread that makes it): under a flood,
    /// ballots already read are checked before more requests are read.
    checks: rayon::ThreadPool,
    /// One permit per ballot waiting for or running a check.
    verify_queue: Arc<Semaphore>,
    /// One permit per body byte held.
    body_bytes: Arc<Semaphore>,
    rates: Mutex<Tracked<IpAddr, Bucket>>,
    /// Credentials whose own signed ballot failed its proofs, and since when.
    penalties: Mutex<Tracked<[u8; 32], Instant>>,
    /// One permit per signed upload being received (spooled to disk before it is authenticated).
    uploads: Arc<Semaphore>,
    /// One permit per KiB of large leaves being answered.
    read_kib: Arc<Semaphore>,
}

/// Signed uploads (credential lists) received at once; more wait for `503 busy`.
pub const UPLOADS: usize = 2;

/// How long a credential whose signed ballot failed its proofs waits before the board checks
/// another of its ballots. Only the credential's holder can sign for it, and an honest device
/// never makes a failing proof, so this costs honest voters nothing and bounds what a holder of
/// credentials can make the board verify to one ballot per credential per period.
pub const PROOF_FAILURE_PENALTY: Duration = Duration::from_secs(10);

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Clients tracked by the rate limiter before idle ones are forgotten.
const TRACKED_CLIENTS: usize = 100_000;

/// A map of at most [`TRACKED_CLIENTS`] entries whose stale ones are swept at most once a second:
/// a sweep costs a pass over the map, so a flood of fresh keys must not trigger one per request.
/// When the map is full of live entries, a new key is not tracked (a flood from so many
/// addresses is not one client's to limit).
struct Tracked<K, V> {
    map: HashMap<K, V>,
    swept: Instant,
}

impl<K: std::hash::Hash + Eq, V> Tracked<K, V> {
    fn new() -> Self {
        Tracked {
            map: HashMap::new(),
            swept: Instant::now(),
        }
    }

    /// The entry for `key`, inserting `fresh` if there is room; `None` if the map is full.
    fn entry(
        &mut self,
        key: K,
        stale: impl FnMut(&K, &mut V) -> bool,
        fresh: impl FnOnce() -> V,
    ) -> Option<&mut V> {
        if self.map.len() >= TRACKED_CLIENTS
            && !self.map.contains_key(&key)
            && self.swept.elapsed() >= Duration::from_secs(1)
        {
            let mut stale = stale;
            self.map.retain(|k, v| !stale(k, v));
            self.swept = Instant::now();
        }
        if self.map.len() >= TRACKED_CLIENTS && !self.map.contains_key(&key) {
            return None;
        }
        Some(self.map.entry(key).or_insert_with(fresh))
    }
}

impl Guards {
    /// Guards for `limits`; fails only if the ballot-check threads cannot be made.
    pub fn new(limits: Limits) -> Result<Self, rayon::ThreadPoolBuildError> {
        let checks = rayon::ThreadPoolBuilder::new()
            .num_threads(limits.verifiers.max(1))
            .thread_name(|i| format!("thistle-check-{i}"))
            .panic_handler(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("no message");
                tracing::error!(
                    "a job on the check threads panicked ({what}); its post was answered 503"
                )
            })
            .build()?;
        Ok(Guards {
            checks,
            verify_queue: Arc::new(Semaphore::new(limits.verify_queue.max(1))),
            body_bytes: Arc::new(Semaphore::new(limits.body_bytes)),
            rates: Mutex::new(Tracked::new()),
            penalties: Mutex::new(Tracked::new()),
            uploads: Arc::new(Semaphore::new(UPLOADS)),
            read_kib: Arc::new(Semaphore::new((limits.read_bytes >> 10).max(1))),
            limits,
        })
    }

    /// Runs `job` on the ballot-check threads and waits for it; `None` if it panicked. A job
    /// whose caller has gone (its client disconnected, its deadline passed) is dropped unrun.
    pub async fn on_check_threads<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.checks.spawn(move || {
            if !answer.is_closed() {
                let _ = answer.send(job());
            }
        });
        answered.await.ok()
    }

    /// Starts a thread named `name` running `run`, at the board's own CPU priority whichever
    /// thread asks (a thread inherits its maker's, and the HTTP workers run lower): a check thread
    /// makes it. Nothing waits for it, so it starts even if the caller goes; a failure is logged.
    pub fn start_thread(&self, name: String, run: impl FnOnce() + Send + 'static) {
        self.checks.spawn(move || {
            if let Err(e) = std::thread::Builder::new().name(name.clone()).spawn(run) {
                tracing::error!("cannot start the thread {name}: {e}");
            }
        });
    }

    /// Runs a ballot's decoding and checks (`job`) on the ballot-check threads, with at most
    /// [`Limits::verify_queue`] waiting or running: beyond that, `503 busy`. Its place in the
    /// queue, and `held` (its body's share of the body budget), go with the job, not with its
    /// caller, so a post given up on still counts until its job has left the threads.
    pub async fn check_ballot<T: Send + 'static>(
        &self,
        held: Option<OwnedSemaphorePermit>,
        job: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let waiting = self.verify_queue.clone().try_acquire_owned().map_err(|_| {
            ApiError::new(
                ErrorCode::Busy,
                "the board is checking as many ballots as it can; retry after the Retry-After delay",
            )
        })?;
        self.on_check_threads(move || {
            let _held = (waiting, held);
            job()
        })
        .await
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unavailable,
                "the board failed while checking this entry; retry after the Retry-After delay",
            )
        })?
    }

    /// Room for `n` more body bytes, held until the permit is dropped; `503 busy` if the board
    /// already holds its limit.
    pub fn body_bytes(&self, n: usize) -> Result<OwnedSemaphorePermit, ApiError> {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.body_bytes
            .clone()
            .try_acquire_many_owned(n)
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::Busy,
                    "the board is receiving as much as it can hold; retry after the Retry-After delay",
                )
            })
    }

    /// Room to answer with a large leaf of `len` bytes at a cost of `factor` times its size
    /// (`None` for a small one), held until the permit is dropped; `503 busy` if readers hold
    /// [`Limits::read_bytes`] already. A leaf larger than the whole budget takes all of it.
    pub fn large_read(
        &self,
        len: usize,
        factor: usize,
    ) -> Result<Option<OwnedSemaphorePermit>, ApiError> {
        if len < LARGE_LEAF {
            return Ok(None);
        }
        self.read_kib
            .clone()
            .try_acquire_many_owned(self.read_permits(len, factor))
            .map(Some)
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::Busy,
                    "the board is serving as many large entries as it can hold; retry after the Retry-After delay",
                )
            })
    }

    /// [`Self::large_read`] that waits for room instead (a streamed export).
    pub async fn large_read_wait(&self, len: usize, factor: usize) -> Option<OwnedSemaphorePermit> {
        if len < LARGE_LEAF {
            return None;
        }
        let permits = self.read_permits(len, factor);
        self.read_kib.clone().acquire_many_owned(permits).await.ok()
    }

    fn read_permits(&self, len: usize, factor: usize) -> u32 {
        let all = (self.limits.read_bytes >> 10).max(1);
        u32::try_from((len.saturating_mul(factor) >> 10).clamp(1, all)).unwrap_or(u32::MAX)
    }

    /// Room for one more signed upload, held until the permit is dropped; `503 busy` if
    /// [`UPLOADS`] are being received.
    pub fn upload(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.uploads.clone().try_acquire_owned().map_err(|_| {
            ApiError::new(
                ErrorCode::Busy,
                "the board is receiving other uploads; retry after the Retry-After delay",
            )
        })
    }

    /// `429 rate_limited` if this credential's signed ballot failed its proofs less than
    /// [`PROOF_FAILURE_PENALTY`] ago.
    pub fn check_credential(&self, credential: &[u8; 32]) -> Result<(), ApiError> {
        let penalties = self.penalties.lock().expect("not poisoned");
        match penalties.map.get(credential) {
            Some(at) if at.elapsed() < PROOF_FAILURE_PENALTY => Err(ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "a ballot signed by this credential failed its proofs; the board checks another from it after {} s (the device encrypting it is faulty)",
                    PROOF_FAILURE_PENALTY.as_secs()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Notes that a ballot signed by this credential failed its proofs.
    pub fn penalize(&self, credential: [u8; 32]) {
        let mut penalties = self.penalties.lock().expect("not poisoned");
        let now = Instant::now();
        if let Some(at) = penalties.entry(
            credential,
            |_, at| at.elapsed() >= PROOF_FAILURE_PENALTY,
            || now,
        ) {
            *at = now;
        }
    }

    /// The client a request comes from: the peer, or the last address a trusted proxy added.
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let peer = peer?;
        if !self.limits.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        forwarded_for
            .and_then(|v| v.rsplit(',').next())
            .and_then(|a| a.trim().parse().ok())
            .or(Some(peer))
    }

    /// Takes one post from `client`'s allowance (a token bucket of `rate_per_client` tokens a
    /// second, as many deep); `429 rate_limited` once it is spent.
    pub fn admit(&self, client: Option<IpAddr>) -> Result<(), ApiError> {
        let (Some(rate), Some(client)) = (self.limits.rate_per_client, client) else {
            return Ok(());
        };
        let rate = f64::from(rate.max(1));
        let now = Instant::now();
        let mut rates = self.rates.lock().expect("not poisoned");
        // A bucket idle for a second is full again: forgetting it changes nothing.
        let Some(bucket) = rates.entry(
            client,
            |_, b| now.duration_since(b.at) >= Duration::from_secs(1),
            || Bucket {
                tokens: rate,
                at: now,
            },
        ) else {
            return Ok(());
        };
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(rate);
        bucket.at = now;
        if bucket.tokens < 1.0 {
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                "too many posts from this address; retry after the Retry-After delay",
            ));
        }
        bucket.tokens -= 1.0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits() {
        let guards = Guards::new(Limits {
            rate_per_client: Some(3),
            ..Limits::default()
        })
        .unwrap();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            guards.admit(Some(a)).unwrap();
        }
        assert_eq!(
            guards.admit(Some(a)).unwrap_err().code,
            ErrorCode::RateLimited
        );
        guards
            .admit(Some(b))
            .expect("another client has its own allowance");
    }

    /// A post given up on (its client gone, its deadline passed) keeps its place in the check
    /// queue until its job has left the threads, and that job is not run: an attacker who posts
    /// ballots and hangs up cannot queue checks without bound (§13.8).
    #[tokio::test]
    async fn a_ballot_given_up_on_still_counts_until_its_job_leaves_and_is_not_checked() {
        let guards = Arc::new(
            Guards::new(Limits {
                verifiers: 1,
                verify_queue: 2,
                ..Limits::default()
            })
            .unwrap(),
        );
        let (started, running) = tokio::sync::oneshot::channel();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let busy = guards.clone();
        let occupying = tokio::spawn(async move {
            busy.check_ballot(None, move || {
                started.send(()).unwrap();
                wait.recv().unwrap();
                Ok(())
            })
            .await
        });
        running.await.unwrap();
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let body = guards.body_bytes(100).unwrap();
        let abandoned = guards.check_ballot(Some(body), {
            let ran = ran.clone();
            move || {
                ran.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            }
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(50), abandoned)
                .await
                .is_err(),
            "the only check thread is occupied"
        );
        // Given up on, it still holds its place and its body's share of the budget.
        let refused =
            tokio::time::timeout(Duration::from_secs(1), guards.check_ballot(None, || Ok(())))
                .await
                .expect("refused at once, not queued")
                .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Busy);
        assert_eq!(
            guards
                .body_bytes(Limits::default().body_bytes)
                .unwrap_err()
                .code,
            ErrorCode::Busy
        );
        release.send(()).unwrap();
        occupying.await.unwrap().unwrap();
        guards
            .check_ballot(None, || Ok(()))
            .await
            .expect("both places are free once the jobs have left");
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "nobody waited for the abandoned check, so it was not run"
        );
        let _all = guards
            .body_bytes(Limits::default().body_bytes)
            .expect("the abandoned body's share was released with its job");
    }

    #[test]
    fn a_full_tracker_sweeps_at_most_once_a_second_and_then_tracks_no_one_new() {
        let mut tracked: Tracked<u32, ()> = Tracked::new();
        for k in 0..TRACKED_CLIENTS as u32 {
            assert!(tracked.entry(k, |_, _| false, || ()).is_some());
        }
        // Full of live entries: fresh keys are not tracked, and the sweep that found nothing to
        // forget is not run again for each of them.
        tracked.swept = Instant::now() - Duration::from_secs(2);
        let mut looked_at = 0usize;
        for k in 0..1000u32 {
            let fresh = TRACKED_CLIENTS as u32 + k;
            let entry = tracked.entry(
                fresh,
                |_, _| {
                    looked_at += 1;
                    false
                },
                || (),
            );
            assert!(entry.is_none());
        }
        assert_eq!(looked_at, TRACKED_CLIENTS, "one sweep, not one per request");
        assert_eq!(tracked.map.len(), TRACKED_CLIENTS);
        // A tracked key is still found.
        assert!(tracked.entry(7, |_, _| false, || ()).is_some());
    }

    #[test]
    fn large_reads_share_the_read_budget() {
        let guards = Guards::new(Limits {
            read_bytes: 4 << 20,
            ..Limits::default()
        })
        .unwrap();
        assert!(
            guards.large_read(LARGE_LEAF - 1, 3).unwrap().is_none(),
            "small"
        );
        let first = guards.large_read(LARGE_LEAF, 3).unwrap().expect("large");
        assert_eq!(
            guards.large_read(LARGE_LEAF, 3).unwrap_err().code,
            ErrorCode::Busy,
            "3 + 3 MiB over a budget of 4"
        );
        drop(first);
        // A leaf larger than the whole budget takes all of it, and can be read alone.
        let huge = guards.large_read(64 << 20, 3).unwrap().expect("large");
        assert!(guards.large_read(LARGE_LEAF, 1).is_err());
        drop(huge);
        assert!(guards.large_read(LARGE_LEAF, 1).unwrap().is_some());
    }

    #[test]
    fn a_credential_whose_proofs_failed_waits() {
        let guards = Guards::new(Limits::default()).unwrap();
        guards.check_credential(&[1; 32]).unwrap();
        guards.penalize([1; 32]);
        assert_eq!(
            guards.check_credential(&[1; 32]).unwrap_err().code,
            ErrorCode::RateLimited
        );
        guards
            .check_credential(&[2; 32])
            .expect("other credentials are not affected");
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let guards = Guards::new(Limits {
            trusted_proxies: vec![proxy],
            ..Limits::default()
        })
        .unwrap();
        let other: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(
            guards.client(Some(proxy), Some("203.0.113.9, 198.51.100.1")),
            Some("198.51.100.1".parse().unwrap())
        );
        assert_eq!(
            guards.client(Some(other), Some("203.0.113.9")),
            Some(other),
            "an untrusted peer cannot pick its own address"
        );
    }

    #[test]
    fn body_bytes_are_refused_beyond_the_limit_and_returned_on_drop() {
        let guards = Guards::new(Limits {
            body_bytes: 100,
            ..Limits::default()
        })
        .unwrap();
        let held = guards.body_bytes(80).unwrap();
        assert_eq!(guards.body_bytes(30).unwrap_err().code, ErrorCode::Busy);
        drop(held);
        let _all = guards.body_bytes(100).unwrap();
    }
}
