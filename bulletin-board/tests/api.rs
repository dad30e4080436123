//! Handler tests for the endpoints around the log: health, metrics, the board's identity, the
//! voter client's static files, and the command line's key-file checks.
mod suite;

use actix_web::http::StatusCode;
use actix_web::test as http_test;
use actix_web::{web, App};
use bulletin_board::api;
use bulletin_board::sim::post_body;
use bulletin_board::store::sqlite::SqliteStore;
use bulletin_board::store::AnyStore;
use bulletin_board::Board;
use rand_core::{OsRng, RngCore};

fn scratch(label: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{label}-{:016x}", OsRng.next_u64()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[actix_web::test]
async fn health_metrics_identity_and_static_files() {
    let dir = scratch("api");
    let store = AnyStore::Sqlite(SqliteStore::open(&dir.join("board.sqlite3")).unwrap());
    let board = Board::open(store, suite::config()).await.unwrap();
    let site = dir.join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("index.html"), "<h1>Thistle</h1>").unwrap();
    let data = web::Data::new(board.clone());
    let app = http_test::init_service(
        App::new()
            .app_data(data)
            .configure(|c| api::configure(c, Some(site.clone()))),
    )
    .await;

    let (status, body) = suite::get(&app, "/v1/health").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );

    let e = suite::sim("api", 2, suite::open_window());
    let (status, _) = suite::post(&app, "/v1/elections", post_body(&e.manifest_entry())).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, info) = suite::get(&app, "/v1/board").await;
    assert_eq!(info["origin"], suite::ORIGIN);
    assert_eq!(
        info["key"],
        hex::encode(suite::board_key().public_key().as_bytes())
    );
    assert_eq!(info["elections"][0], e.id());
    let (status, st) = suite::get(&app, &format!("/v1/elections/{}", e.id())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (st["phase"].as_str(), st["accepting_ballots"].as_bool()),
        (Some("Setup"), Some(false))
    );
    let (status, err) = suite::post(&app, "/v1/elections/0123/ballots", "{}".into()).await;
    assert_eq!(
        (status, suite::error_code(&err)),
        (StatusCode::NOT_FOUND, "unknown_election")
    );

    suite::wait_for_checkpoint(&board, &e.id(), 1).await;
    let resp = http_test::call_service(
        &app,
        http_test::TestRequest::get().uri("/metrics").to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = String::from_utf8(http_test::read_body(resp).await.to_vec()).unwrap();
    assert!(
        text.contains("thistle_board_refusals_total{code=\"unknown_election\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "thistle_board_checkpoint_size{{election=\"{}\"}} 1",
            e.id()
        )),
        "{text}"
    );
    assert!(text.contains("thistle_board_checkpoints_total"), "{text}");
    assert!(
        text.contains("thistle_board_entries_accepted_total 1"),
        "{text}"
    );

    let resp =
        http_test::call_service(&app, http_test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(http_test::read_body(resp).await, "<h1>Thistle</h1>");
}

#[test]
fn the_server_refuses_a_key_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("key");
    let key = dir.join("board.key");
    std::fs::write(&key, format!("{}\n", hex::encode([3u8; 32]))).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bulletin-board"))
        .args(["serve", "--data-dir"])
        .arg(&dir)
        .env_remove("BOARD_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));

    // `key` never makes a key by surprise; with --create it makes one with mode 0600 and prints
    // its public half.
    let fresh = dir.join("fresh.key");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bulletin-board"))
        .args(["key", "--key-file"])
        .arg(&fresh)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!fresh.exists());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bulletin-board"))
        .args(["key", "--create", "--key-file"])
        .arg(&fresh)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim().len(), 64);
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[actix_web::test]
async fn only_listed_administrators_create_elections() {
    let dir = scratch("admins");
    let store = AnyStore::Sqlite(SqliteStore::open(&dir.join("board.sqlite3")).unwrap());
    let e = suite::sim("listed", 1, suite::open_window());
    let stranger = suite::sim("unlisted", 1, suite::open_window());
    let mut config = suite::config();
    config.administrators = vec![e.admin.public_key()];
    let board = Board::open(store, config).await.unwrap();
    let data = web::Data::new(board.clone());
    let app = http_test::init_service(
        App::new()
            .app_data(data)
            .configure(|c| api::configure(c, None)),
    )
    .await;
    let (status, err) =
        suite::post(&app, "/v1/elections", post_body(&stranger.manifest_entry())).await;
    assert_eq!(
        (status, suite::error_code(&err)),
        (StatusCode::FORBIDDEN, "unauthorized")
    );
    let (status, body) = suite::post(&app, "/v1/elections", post_body(&e.manifest_entry())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(board.election_ids(), vec![e.id()]);
}
