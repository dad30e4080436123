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
