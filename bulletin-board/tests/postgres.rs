//! The store suite against a real PostgreSQL server, named by `DATABASE_URL`. Without it these
//! tests fail rather than skip: `scripts/test-all.sh` sets it to the local server, CI too.
mod suite;

use bulletin_board::store::postgres::PgStore;
use bulletin_board::store::AnyStore;

pub fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must name a PostgreSQL server for these tests, \
         e.g. postgres://postgres@127.0.0.1:5432/test",
    )
}

async fn store() -> AnyStore {
    AnyStore::Postgres(PgStore::connect(&database_url(), 8).await.unwrap())
}

suite::store_suite!(store().await);
