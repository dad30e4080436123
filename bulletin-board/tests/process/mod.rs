//! Real board processes for the end-to-end tests: start, wait until healthy, SIGKILL, restart.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use protocol::manifest::BoardInfo;
use protocol::merkle::Checkpoint;
use protocol::record::Receipt;
use protocol::signature::SecretKey;
use rand_core::{OsRng, RngCore};
use serde_json::Value;

pub const ORIGIN: &str = "board.test/e2e";
const SEED: [u8; 32] = [9u8; 32];

pub fn board_key() -> SecretKey {
    SecretKey::from_seed(&SEED)
}

pub fn board_info() -> BoardInfo {
    BoardInfo {
        origin: ORIGIN.into(),
        key: board_key().public_key(),
    }
}

/// A fresh directory under Cargo's per-test scratch space, holding the key file (mode 0600).
pub fn data_dir(label: &str) -> PathBuf {
    use std::os::unix::fs::OpenOptionsExt;
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{label}-{:016x}", OsRng.next_u64()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join("board.key"))
        .unwrap();
    std::io::Write::write_all(&mut f, format!("{}\n", hex::encode(SEED)).as_bytes()).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `bulletin-board serve`.
pub struct Server {
    child: Child,
    pub url: String,
    dir: PathBuf,
    port: u16,
    database_url: Option<String>,
    extra: Vec<String>,
}

impl Server {
    pub async fn start(dir: &Path, database_url: Option<&str>) -> Server {
        Self::start_on(dir, database_url, free_port(), &[]).await
    }

    /// Starts with more `serve` flags.
    pub async fn start_with(dir: &Path, database_url: Option<&str>, extra: &[&str]) -> Server {
        let extra: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
        Self::start_on(dir, database_url, free_port(), &extra).await
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    async fn start_on(
        dir: &Path,
        database_url: Option<&str>,
        port: u16,
        extra: &[String],
    ) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bulletin-board"));
        cmd.arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir)
            .arg("--origin")
            .arg(ORIGIN)
            .arg("--checkpoint-ms")
            .arg("200")
            .arg("--workers")
            .arg("2")
            .env_remove("BOARD_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(url) = database_url {
            cmd.arg("--database-url").arg(url);
        }
        cmd.args(extra);
        let child = cmd.spawn().expect("the bulletin-board binary starts");
        let server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir: dir.to_owned(),
            port,
            database_url: database_url.map(str::to_owned),
            extra: extra.to_vec(),
        };
        server.wait_healthy().await;
        server
    }

    async fn wait_healthy(&self) {
        let client = client();
        for _ in 0..300 {
            if let Ok(resp) = client.get(format!("{}/v1/health", self.url)).send().await {
                if resp.status().is_success() {
                    return;
                }
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the board did not become healthy within 15 s");
    }

    /// SIGKILL: no shutdown hooks, no flushing.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts again on the same data, port and database.
    pub async fn restart(&mut self) {
        let fresh = Server::start_on(
            &self.dir,
            self.database_url.as_deref(),
            self.port,
            &self.extra,
        )
        .await;
        let old = std::mem::replace(self, fresh);
        std::mem::forget(old);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish()
}

/// POSTs a JSON body; returns the status and the JSON answer (or an error if the connection
/// failed, as it does when the server is killed mid-request).
pub async fn post(client: &awc::Client, url: &str, body: String) -> Result<(u16, Value), String> {
    let mut resp = client
        .post(url)
        .insert_header(("content-type", "application/json"))
        .send_body(body)
        .await
        .map_err(|e| e.to_string())?;
    let bytes = resp
        .body()
        .limit(1 << 20)
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        resp.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

pub async fn get(client: &awc::Client, url: &str) -> (u16, Value) {
    let mut resp = client.get(url).send().await.expect("the board answers");
    let bytes = resp.body().limit(64 << 20).await.unwrap();
    (
        resp.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Checks a receipt's signature and returns it.
pub fn check_receipt(manifest_hash: &[u8; 32], r: &Value) -> Receipt {
    let (receipt, sig) = bulletin_board::api::parse_receipt(r).expect("a well-formed receipt");
    receipt
        .verify(manifest_hash, &board_key().public_key(), &sig)
        .expect("the receipt is signed by the board");
    receipt
}

/// The board's latest checkpoint, verified.
pub async fn checkpoint(client: &awc::Client, base: &str, id: &str) -> Option<Checkpoint> {
    let (status, cp) = get(client, &format!("{base}/v1/elections/{id}/checkpoint")).await;
    (status == 200).then(|| {
        Checkpoint::verify_note(
            cp["note"].as_str().unwrap(),
            &format!("{ORIGIN}/{id}"),
            &board_key().public_key(),
        )
        .expect("checkpoints are signed by the board")
    })
}

/// Waits for a checkpoint of at least `size`.
pub async fn wait_for_checkpoint(
    client: &awc::Client,
    base: &str,
    id: &str,
    size: u64,
) -> Checkpoint {
    for _ in 0..200 {
        if let Some(cp) = checkpoint(client, base, id).await {
            if cp.size >= size {
                return cp;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no checkpoint of size {size} within 10 s");
}

/// Every leaf under the latest checkpoint.
pub async fn all_leaves(client: &awc::Client, base: &str, id: &str, size: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while (out.len() as u64) < size {
        let (status, page) = get(
            client,
            &format!(
                "{base}/v1/elections/{id}/entries?start={}&end={size}",
                out.len()
            ),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        for e in page["entries"].as_array().unwrap() {
            out.push(B64.decode(e["leaf"].as_str().unwrap()).unwrap());
        }
    }
    out
}

/// Creates `e` on the board and posts its set-up entries, the first `upto` of them (all if
/// `None`).
pub async fn set_up(
    client: &awc::Client,
    base: &str,
    e: &bulletin_board::sim::SimElection,
    upto: Option<usize>,
) {
    use bulletin_board::sim::post_body;
    let (status, body) = post(
        client,
        &format!("{base}/v1/elections"),
        post_body(&e.manifest_entry()),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let entries = e.setup_entries();
    let upto = upto.unwrap_or(entries.len());
    for (kind, entry) in &entries[..upto] {
        let (status, body) = post(
            client,
            &format!("{base}/v1/elections/{}/{kind}", e.id()),
            post_body(entry),
        )
        .await
        .unwrap();
        assert_eq!(status, 201, "{kind}: {body}");
    }
}

pub fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

/// A PostgreSQL schema of its own for one test, dropped when this guard goes.
pub struct Schema {
    base: String,
    name: String,
    /// `DATABASE_URL` with the schema as the search path.
    pub url: String,
}

fn run_sql(url: &str, sql: String) {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("PostgreSQL at DATABASE_URL accepts connections");
            tokio::spawn(conn);
            client.batch_execute(&sql).await.unwrap();
        });
    })
    .join()
    .unwrap();
}

impl Schema {
    pub fn new(base: &str) -> Schema {
        let name = format!("thistle_test_{:016x}", OsRng.next_u64());
        run_sql(base, format!("CREATE SCHEMA {name}"));
        let sep = if base.contains('?') { '&' } else { '?' };
        Schema {
            base: base.to_owned(),
            url: format!("{base}{sep}options=-csearch_path%3D{name}"),
            name,
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        run_sql(&self.base, format!("DROP SCHEMA {} CASCADE", self.name));
    }
}
