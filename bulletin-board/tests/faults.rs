//! Faults found from outside (issue 17), each against real `bulletin-board` processes: a
//! PostgreSQL connection killed in the middle of an append, a retry sent to the other process
//! sharing the database, slow bodies, and large unauthenticated uploads.
mod process;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bulletin_board::board::now;
use bulletin_board::sim::{ballot_entry, post_body, SimElection};
use process::{check_receipt, Server};
use rand_core::OsRng;

fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must name a PostgreSQL server for these tests, \
         e.g. postgres://postgres@127.0.0.1:5432/test",
    )
}

fn election(label: &str, voters: usize) -> SimElection {
    SimElection::new(
        &format!("{label}-{}", process::data_dir(label).display()),
        process::board_info(),
        voters,
        (now() - 60, now() + 3600),
        &mut OsRng,
    )
}

/// A PostgreSQL session, on its own thread, holding `leaves` in EXCLUSIVE mode: the board can
/// still read leaves (so it decides its batch) but its INSERT waits. On `release`, it terminates
/// every backend waiting for it (the board's connection, mid-append) and lets go.
struct LeavesLock {
    release: mpsc::Sender<()>,
    done: std::thread::JoinHandle<usize>,
}

impl LeavesLock {
    fn take(url: &str) -> LeavesLock {
        let url = url.to_owned();
        let (locked_tx, locked_rx) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let (mut client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let tx = client.transaction().await.unwrap();
                tx.batch_execute("LOCK TABLE leaves IN EXCLUSIVE MODE")
                    .await
                    .unwrap();
                locked_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                // Wait for the board's INSERT to queue behind us, then kill its connection.
                let mut killed = 0;
                for _ in 0..200 {
                    let rows = tx
                        .query(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                             WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))",
                            &[],
                        )
                        .await
                        .unwrap();
                    killed += rows.len();
                    if killed > 0 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                tx.rollback().await.unwrap();
                killed
            })
        });
        locked_rx.recv().unwrap();
        LeavesLock { release, done }
    }

    /// Kills the waiting appends and lets go; how many connections were killed.
    fn kill_waiting_and_release(self) -> usize {
        self.release.send(()).unwrap();
        self.done.join().unwrap()
    }
}

/// A PostgreSQL connection lost after the board decided a batch: the byte-identical retry is
/// appended (it was never on the log), never `409`; the ballot receipted before the failure gets
/// under a checkpoint on an idle board; and a retry of a committed ballot sent to the other
/// process sharing the database gets the original receipt (200).
#[actix_web::test]
async fn a_connection_killed_mid_append_then_retries_on_postgres() {
    let schema = process::Schema::new(&database_url());
    let a = Server::start(&process::data_dir("kill-append-a"), Some(&schema.url)).await;
    let b = Server::start(&process::data_dir("kill-append-b"), Some(&schema.url)).await;
    let client = process::client();
    let e = election("kill-append", 8);
    process::set_up(&client, &a.url, &e, None).await;
    let id = e.id();
    let opened = 10;
    let ballots = |base: &str| format!("{base}/v1/elections/{id}/ballots");
    let body = |v: usize| post_body(&ballot_entry(e.ballot(v, v, opened, &mut OsRng)));

    let first = body(0);
    let (status, r0) = process::post(&client, &ballots(&a.url), first)
        .await
        .unwrap();
    assert_eq!(status, 201, "{r0}");
    let r0 = check_receipt(&e.manifest_hash, &r0);

    // Ballot 1's append waits on the lock, then its connection is killed.
    let lock = LeavesLock::take(&schema.url);
    let b1 = body(1);
    let pending = {
        let (client, url, b1) = (client.clone(), ballots(&a.url), b1.clone());
        actix_web::rt::spawn(async move { process::post(&client, &url, b1).await })
    };
    let killed = actix_web::rt::task::spawn_blocking(move || lock.kill_waiting_and_release())
        .await
        .unwrap();
    assert!(killed >= 1, "the board's append was waiting on the lock");
    let (status, err) = pending.await.unwrap().unwrap();
    assert_eq!(status, 503, "the failed append is reported as such: {err}");

    // The ballot receipted before the failure gets under a checkpoint with nothing new posted.
    let cp = process::wait_for_checkpoint(&client, &a.url, &id, r0.index + 1).await;
    assert!(cp.size > r0.index);
    let (status, health) = process::get(&client, &format!("{}/v1/health", a.url)).await;
    assert_eq!(status, 200, "{health}");

    // The retry, byte for byte, goes in: it was never on the log.
    let (status, r1) = process::post(&client, &ballots(&a.url), b1.clone())
        .await
        .unwrap();
    assert_eq!(
        status, 201,
        "a retry of a ballot that is not on the log: {r1}"
    );
    let r1 = check_receipt(&e.manifest_hash, &r1);

    // Its retry to the other process gets the original receipt, at once or after a checkpoint.
    let (status, again) = process::post(&client, &ballots(&b.url), b1).await.unwrap();
    assert_eq!(
        status, 200,
        "the other process answers with the receipt: {again}"
    );
    assert_eq!(check_receipt(&e.manifest_hash, &again), r1);

    // Fresh ballots posted to one process and at once retried on the other.
    for v in 2..8 {
        let (one, other) = if v % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let bytes = body(v);
        let (status, r) = process::post(&client, &ballots(&one.url), bytes.clone())
            .await
            .unwrap();
        assert_eq!(status, 201, "{r}");
        let (status, again) = process::post(&client, &ballots(&other.url), bytes)
            .await
            .unwrap();
        assert_eq!(
            status, 200,
            "voter {v}: the retry to the other process: {again}"
        );
        assert_eq!(
            check_receipt(&e.manifest_hash, &again),
            check_receipt(&e.manifest_hash, &r)
        );
    }
    let cp = process::wait_for_checkpoint(&client, &b.url, &id, opened + 8).await;
    assert_eq!(cp.size, opened + 8, "each ballot once");
}

/// Reads an HTTP response's status line from `stream` (or `None` if the connection closed
/// without one).
fn status_line(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&buf).trim().to_owned())
}

/// Sends a body one byte every 200 ms after the headers, until the server answers or closes.
fn slow_body(port: u16, path: &str) -> (Option<String>, Duration) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: board\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n"
    )
    .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if stream.write_all(b" ").is_err() {
            return (None, started.elapsed());
        }
        let mut peek = [0u8; 1];
        match stream.peek(&mut peek) {
            Ok(0) => return (None, started.elapsed()),
            Ok(_) => {
                stream.set_read_timeout(None).unwrap();
                return (status_line(&mut stream), started.elapsed());
            }
            Err(_) => {} // nothing yet: the 200 ms read timeout paces the writes
        }
    }
    panic!("a body sent one byte per 200 ms stayed open for 30 s");
}

/// A body sent one byte every 200 ms is cut at the body deadline (`408`, connection closed),
/// whether the endpoint reads the body or refuses before reading it.
#[actix_web::test]
async fn slow_bodies_are_cut_at_the_deadline() {
    let server = Server::start_with(
        &process::data_dir("slow-bodies"),
        None,
        &["--body-seconds", "2"],
    )
    .await;
    let port = server.port();
    let cases = actix_web::rt::task::spawn_blocking(move || {
        let reads = slow_body(port, "/v1/elections");
        let refuses = slow_body(port, &format!("/v1/elections/{}/ballots", "ab".repeat(32)));
        (reads, refuses)
    })
    .await
    .unwrap();
    let ((reads, reads_after), (refuses, refuses_after)) = cases;
    assert!(
        reads.as_deref().is_some_and(|l| l.contains(" 408 ")),
        "a slow body is answered 408: {reads:?}"
    );
    assert!(
        reads_after < Duration::from_secs(6),
        "cut after {reads_after:?}"
    );
    // An endpoint that refuses before reading answers at once; the connection is then closed
    // rather than kept draining a slow body.
    assert!(refuses.is_some(), "answered: {refuses:?}");
    assert!(
        refuses_after < Duration::from_secs(6),
        "cut after {refuses_after:?}"
    );
}

/// A thread of the board: its name, nice value and CPU time so far (clock ticks).
#[derive(Debug)]
struct Thread {
    name: String,
    nice: i32,
    ticks: u64,
}

fn threads_of(pid: u32) -> Vec<Thread> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("/proc lists the board's threads")
        .filter_map(|task| {
            let task = task.ok()?.path();
            let name = std::fs::read_to_string(task.join("comm")).ok()?;
            let stat = std::fs::read_to_string(task.join("stat")).ok()?;
            // After the parenthesised name come fields 3 onwards: utime and stime are fields
            // 14 and 15, the nice value 19.
            let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
            let field = |n: usize| fields.get(n - 3).copied();
            Some(Thread {
                name: name.trim_end().to_owned(),
                nice: field(19)?.parse().ok()?,
                ticks: field(14)?.parse::<u64>().ok()? + field(15)?.parse::<u64>().ok()?,
            })
        })
        .collect()
}

/// Under a flood the HTTP workers are busy with bad requests; the ballots they have read are
/// decoded and checked on threads of a higher priority, so honest ballots keep most of the CPU
/// (measured by `board-flood`). A thread inherits its maker's priority: neither the check
/// threads nor an election's witness pusher may be made by a worker.
#[actix_web::test]
async fn ballots_are_checked_above_the_http_workers_priority() {
    let server = Server::start_with(
        &process::data_dir("priorities"),
        None,
        &["--http-nice", "7", "--verifiers", "1"],
    )
    .await;
    let threads = threads_of(server.pid());
    let own = threads
        .iter()
        .find(|t| t.name == "bulletin-board")
        .map(|t| t.nice)
        .expect("the main thread");
    let of = |threads: &[Thread], prefix: &str| -> (Vec<i32>, u64) {
        let named = threads.iter().filter(|t| t.name.starts_with(prefix));
        (
            named.clone().map(|t| t.nice).collect(),
            named.map(|t| t.ticks).sum(),
        )
    };
    // actix names a worker's thread "actix-rt|system:0|arbiter:N" (cut to 15 bytes).
    assert_eq!(
        of(&threads, "actix-rt|system").0,
        vec![(own + 7).min(19); 2],
        "the two HTTP workers run 7 below the process: {threads:?}"
    );
    let (checks, checked_before) = of(&threads, "thistle-check-");
    assert_eq!(
        checks,
        vec![own],
        "one check thread, at the process's own priority: {threads:?}"
    );
    // Ballots go through, checked on that thread: enough of them that its CPU time, counted in
    // 10 ms ticks, must grow.
    let client = process::client();
    let e = election("priorities", 100);
    process::set_up(&client, &server.url, &e, None).await;
    let url = format!("{}/v1/elections/{}/ballots", server.url, e.id());
    for v in 0..100 {
        let body = post_body(&ballot_entry(e.ballot(v, v % 5, 10, &mut OsRng)));
        let (status, receipt) = process::post(&client, &url, body).await.unwrap();
        assert_eq!(status, 201, "{receipt}");
        check_receipt(&e.manifest_hash, &receipt);
    }
    let after = threads_of(server.pid());
    let (checks, checked_after) = of(&after, "thistle-check-");
    assert_eq!(checks.len(), 1, "no check thread was added: {after:?}");
    assert!(
        checked_after > checked_before,
        "the check thread did the checking (CPU ticks {checked_before} -> {checked_after}): {after:?}"
    );
    // An election named by a post (so opened by a worker) gets its witness pusher at the
    // process's priority. The witness need not answer for its pusher to start.
    let witnessed = bulletin_board::sim::SimElection::witnessed(
        &format!("witnessed-{}", process::data_dir("priorities").display()),
        process::board_info(),
        (now() - 60, now() + 3600),
        bulletin_board::sim::SimSpec {
            trustees: 3,
            threshold: 2,
            contests: bulletin_board::sim::one_of_five(),
            weights: vec![1; 2],
            tampered_share: None,
        },
        (
            vec![protocol::manifest::WitnessInfo {
                name: "example.org/witness".into(),
                key: protocol::signature::SecretKey::generate(&mut OsRng).public_key(),
                url: "http://127.0.0.1:9".into(),
            }],
            1,
        ),
        &mut OsRng,
    );
    process::set_up(&client, &server.url, &witnessed, Some(0)).await;
    // A thread takes its name as it starts, a moment after it is made.
    let started = Instant::now();
    let threads = loop {
        let threads = threads_of(server.pid());
        if !of(&threads, "witnesses-").0.is_empty() || started.elapsed() > Duration::from_secs(5) {
            break threads;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        of(&threads, "witnesses-").0,
        vec![own],
        "one witness pusher, at the process's own priority: {threads:?}"
    );
}

/// Peak resident memory of a process, in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// Uploads `len` bytes of `fill` to `path` with these headers; the status line, if any.
fn upload(port: u16, path: &str, headers: &str, len: usize) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: board\r\n{headers}Content-Length: {len}\r\n\r\n"
    )
    .unwrap();
    let chunk = vec![b'A'; 1 << 20];
    let mut sent = 0;
    while sent < len {
        let n = chunk.len().min(len - sent);
        if stream.write_all(&chunk[..n]).is_err() {
            break; // the board answered and closed early
        }
        sent += n;
    }
    status_line(&mut stream)
}

/// While an election waits for its credential list, four concurrent 100 MiB uploads without
/// the authority's signature (three streamed with a forged signature header, one as JSON) leave
/// the board's peak memory under 64 MiB: a JSON list over 4 MiB is refused by its length, and
/// a streamed one is hashed and spooled to disk as it arrives, never held before it verifies
/// (two at a time; a third is answered 503 busy).
#[actix_web::test]
async fn unauthenticated_uploads_hold_little_memory() {
    let server = Server::start(&process::data_dir("big-uploads"), None).await;
    let client = process::client();
    let e = election("big-uploads", 2);
    let setup = e.setup_entries().len();
    // Everything before the credential list (and the opening that follows it).
    process::set_up(&client, &server.url, &e, Some(setup - 2)).await;
    let before = peak_kib(server.pid());
    let port = server.port();
    let path = format!("/v1/elections/{}/credentials", e.id());
    // The authority's real signature of its real list, over other bytes: well formed, so the
    // board reads the whole body before it can tell.
    let list = e.setup_entries()[setup - 2].1.clone();
    let signature = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(list.signature.unwrap())
    };
    let forged =
        format!("Content-Type: application/octet-stream\r\nThistle-Signature: {signature}\r\n");
    let answers = actix_web::rt::task::spawn_blocking(move || {
        std::thread::scope(|s| {
            let mut handles = Vec::new();
            for _ in 0..3 {
                let (path, forged) = (path.clone(), forged.clone());
                handles.push(s.spawn(move || upload(port, &path, &forged, 100 << 20)));
            }
            let json = path.clone();
            handles.push(s.spawn(move || {
                upload(port, &json, "Content-Type: application/json\r\n", 100 << 20)
            }));
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        })
    })
    .await
    .unwrap();
    // Two uploads are received at once; a third is told to come back (503 busy).
    let unauthorised = answers[..3]
        .iter()
        .filter(|a| a.as_deref().is_some_and(|l| l.contains(" 403 ")))
        .count();
    assert!(
        unauthorised >= 2
            && answers[..3].iter().all(|a| a
                .as_deref()
                .is_some_and(|l| l.contains(" 403 ") || l.contains(" 503 "))),
        "forged uploads are unauthorized (or wait their turn): {answers:?}"
    );
    assert!(
        answers[3].as_deref().is_some_and(|l| l.contains(" 413 ")),
        "a 100 MiB JSON list is refused by its length: {:?}",
        answers[3]
    );
    let peak = peak_kib(server.pid());
    assert!(
        peak < 64 * 1024,
        "peak memory {peak} KiB (before the uploads {before} KiB)"
    );
    // A header that is not a signature is the client's encoding at fault; no header at all is
    // an unsigned upload.
    for (headers, expected) in [
        (
            "Content-Type: application/octet-stream\r\nThistle-Signature: not-base64!\r\n",
            " 400 ",
        ),
        ("Content-Type: application/octet-stream\r\n", " 403 "),
    ] {
        let path = format!("/v1/elections/{}/credentials", e.id());
        let answer =
            actix_web::rt::task::spawn_blocking(move || upload(port, &path, headers, 1 << 20))
                .await
                .unwrap();
        assert!(
            answer.as_deref().is_some_and(|l| l.contains(expected)),
            "{headers:?}: {answer:?}"
        );
    }
    // The authority's list, streamed and signed, is then accepted.
    let content = list.entry.content_bytes();
    let mut resp = client
        .post(format!(
            "{}/v1/elections/{}/credentials",
            server.url,
            e.id()
        ))
        .insert_header(("content-type", "application/octet-stream"))
        .insert_header(("thistle-signature", signature))
        .send_body(content[1..].to_vec())
        .await
        .unwrap();
    let body = resp.body().await.unwrap();
    assert_eq!(
        resp.status().as_u16(),
        201,
        "{}",
        String::from_utf8_lossy(&body)
    );
}

/// Sends up to 64 MiB after the headers; how many MiB went through before the board cut the
/// connection, and its status line.
fn push_huge(port: u16, path: &str, chunked: bool) -> (usize, Option<String>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {}", 64 << 20)
    };
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: board\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    )
    .unwrap();
    let chunk = vec![b'x'; 1 << 20];
    let mut sent = 0;
    for _ in 0..64 {
        let written = if chunked {
            stream
                .write_all(b"100000\r\n")
                .and_then(|()| stream.write_all(&chunk))
                .and_then(|()| stream.write_all(b"\r\n"))
        } else {
            stream.write_all(&chunk)
        };
        if written.is_err() {
            break;
        }
        sent += 1;
    }
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    (sent, status_line(&mut stream))
}

/// A body the board refuses unread (too large, or for no endpoint) ends the connection: the
/// client gets the answer and the board reads no further, instead of draining 64 MiB (a
/// chunked body) or lingering to read whatever arrives.
#[actix_web::test]
async fn refused_bodies_are_not_drained() {
    let server = Server::start(&process::data_dir("no-drain"), None).await;
    let port = server.port();
    let cases = actix_web::rt::task::spawn_blocking(move || {
        [
            ("/v1/elections", false),
            ("/v1/elections", true),
            ("/v1/no-such-endpoint", true),
        ]
        .map(|(path, chunked)| (path, chunked, push_huge(port, path, chunked)))
    })
    .await
    .unwrap();
    for (path, chunked, (sent, status)) in cases {
        assert!(
            status
                .as_deref()
                .is_some_and(|l| l.contains(" 413 ") || l.contains(" 404 ")),
            "{path} (chunked {chunked}): answered {status:?}"
        );
        assert!(
            sent < 32,
            "{path} (chunked {chunked}): the board took {sent} MiB of a body it refused"
        );
    }
}
