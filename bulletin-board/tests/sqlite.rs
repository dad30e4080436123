//! The store suite against the embedded SQLite store.
mod suite;

use bulletin_board::store::sqlite::SqliteStore;
use bulletin_board::store::AnyStore;
use rand_core::{OsRng, RngCore};

fn store() -> (AnyStore, ()) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("board-sqlite-{:016x}", OsRng.next_u64()));
    std::fs::create_dir_all(&dir).unwrap();
    (
        AnyStore::Sqlite(SqliteStore::open(&dir.join("board.sqlite3")).unwrap()),
        (),
    )
}

suite::store_suite!(store());
