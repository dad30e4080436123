//! The store suite against a real PostgreSQL server, named by `DATABASE_URL`, each test in a
//! schema of its own. Without `DATABASE_URL` these tests fail rather than skip:
//! `scripts/test-all.sh` sets it to the local server, CI too.
mod process;
mod suite;

use bulletin_board::store::postgres::PgStore;
use bulletin_board::store::AnyStore;

fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must name a PostgreSQL server for these tests, \
         e.g. postgres://postgres@127.0.0.1:5432/test",
    )
}

async fn store() -> (AnyStore, process::Schema) {
    let schema = process::Schema::new(&database_url());
    let store = AnyStore::Postgres(PgStore::connect(&schema.url, 8).await.unwrap());
    (store, schema)
}

suite::store_suite!(store().await);

/// A connection is driven by the store's own threads, not by the runtime that first needed it:
/// an HTTP worker that makes a connection and is then busy (or at a lower priority) must not
/// stall the sequencer's commits on it. Here the other runtime's thread blocks outright until the
/// store has answered on the first; before, that answer waited for it (a deadlock, cut by the
/// timeouts).
#[actix_web::test]
async fn connections_do_not_wait_for_the_runtime_that_made_them() {
    use bulletin_board::store::Store;
    use std::time::Duration;

    let schema = process::Schema::new(&database_url());
    // Opening makes one connection here; the pool may make one more.
    let store = PgStore::connect(&schema.url, 2).await.unwrap();
    let (made, on_made) = tokio::sync::oneshot::channel();
    let (answered, on_answered) = std::sync::mpsc::channel::<()>();
    let worker = {
        let store = store.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                // Two reads at once on another runtime, as an HTTP worker's: the second needs
                // the pool's second connection.
                let (a, b) = tokio::join!(store.elections(), store.elections());
                a.unwrap();
                b.unwrap();
                made.send(()).unwrap();
                // Busy: this runtime polls nothing until the store has answered the other.
                let _ = on_answered.recv_timeout(Duration::from_secs(10));
            });
        })
    };
    tokio::time::timeout(Duration::from_secs(10), on_made)
        .await
        .expect("the other runtime read")
        .unwrap();
    // Two reads at once here use both connections.
    let reads = tokio::time::timeout(
        Duration::from_secs(5),
        futures_util::future::join(store.elections(), store.elections()),
    )
    .await;
    answered.send(()).unwrap();
    worker.join().unwrap();
    assert!(
        matches!(reads, Ok((Ok(_), Ok(_)))),
        "the store must answer while the runtime that made a connection is busy: {reads:?}"
    );
}
