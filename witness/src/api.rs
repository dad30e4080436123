//! The witness's HTTP API: C2SP tlog-witness `add-checkpoint`, and the record it keeps, read-only,
//! under the board's read paths (so a verifier can be pointed at a witness instead of the board).
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use crate::error::WitnessError;
use crate::log::Witness;

/// Largest add-checkpoint body: 63 proof lines and a note with a few cosignatures fit many times.
pub const MAX_BODY: usize = 64 * 1024;

type Shared = web::Data<Arc<Witness>>;

fn refusal(e: &WitnessError) -> HttpResponse {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match e {
        WitnessError::WrongOldSize { size, .. } => HttpResponse::build(status)
            .content_type("text/x.tlog.size")
            .body(format!("{size}\n")),
        other => HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(format!("{other}\n")),
    }
}

async fn add_checkpoint(witness: Shared, body: web::Bytes) -> HttpResponse {
    let w = witness.get_ref().clone();
    match web::block(move || w.add_checkpoint(&body)).await {
        Ok(Ok(line)) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(line),
        Ok(Err(e)) => refusal(&e),
        Err(_) => refusal(&WitnessError::Unavailable(
            "the witness is shutting down".into(),
        )),
    }
}

async fn info(witness: Shared) -> HttpResponse {
    let c = witness.config();
    let key = c.key.public_key();
    let logs: Vec<_> = witness
        .followed()
        .into_iter()
        .map(|(origin, election, size)| json!({"origin": origin, "election": election, "size": size}))
        .collect();
    HttpResponse::Ok().json(json!({
        "name": c.name,
        "key": hex::encode(key.as_bytes()),
        "vkey": protocol::witness::verifier_key(&c.name, &key),
        "verifying": c.verifying,
        "boards": c.boards,
        "logs": logs,
    }))
}

fn not_found(what: &str) -> HttpResponse {
    HttpResponse::NotFound().json(json!({"error": "not_found", "message": what}))
}

async fn checkpoint(witness: Shared, id: web::Path<String>) -> HttpResponse {
    match witness.log_of_election(&id) {
        Some(log) => match log.note {
            Some(note) => HttpResponse::Ok().json(json!({
                "size": log.size,
                "root": hex::encode(log.root),
                "note": note,
            })),
            None => not_found("this witness has cosigned no checkpoint of this election yet"),
        },
        None => not_found("this witness does not follow that election"),
    }
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

/// The election's witnessed timeline as this witness keeps it (§13.10), in the board's format.
async fn checkpoints(witness: Shared, id: web::Path<String>, q: web::Query<After>) -> HttpResponse {
    let Some(log) = witness.log_of_election(&id) else {
        return not_found("this witness does not follow that election");
    };
    match witness.store().timeline(&log.origin, q.after) {
        Ok(all) => HttpResponse::Ok().json(
            all.into_iter()
                .map(|(size, note)| {
                    let root = note.lines().nth(2).and_then(|r| B64.decode(r).ok());
                    let cosigners = protocol::witness::cosigners_in(&note);
                    json!({
                        "size": size,
                        "root": root.map(hex::encode),
                        "cosigners": cosigners,
                        "note": note,
                    })
                })
                .collect::<Vec<_>>(),
        ),
        Err(e) => refusal(&e),
    }
}

/// Every checkpoint this witness cosigned, with its own line only.
async fn cosigned(witness: Shared, id: web::Path<String>) -> HttpResponse {
    let Some(log) = witness.log_of_election(&id) else {
        return not_found("this witness does not follow that election");
    };
    match witness.store().cosigned(&log.origin) {
        Ok(all) => HttpResponse::Ok().json(
            all.into_iter()
                .map(|(size, time, note)| json!({"size": size, "time": time, "note": note}))
                .collect::<Vec<_>>(),
        ),
        Err(e) => refusal(&e),
    }
}

#[derive(Deserialize)]
struct Range {
    start: u64,
    end: u64,
}

async fn entries(witness: Shared, id: web::Path<String>, q: web::Query<Range>) -> HttpResponse {
    let Some(log) = witness.log_of_election(&id) else {
        return not_found("this witness does not follow that election");
    };
    if !witness.config().verifying {
        return not_found("this witness does not keep the record (it runs without --verify)");
    }
    let end = q.end.min(log.size).min(q.start.saturating_add(1000));
    let leaves = if q.start < end {
        match witness.store().leaves(&log.origin, q.start, end) {
            Ok(l) => l,
            Err(e) => return refusal(&e),
        }
    } else {
        Vec::new()
    };
    let entries: Vec<_> = leaves
        .iter()
        .map(|l| json!({"index": l.index, "leaf": B64.encode(&l.bytes)}))
        .collect();
    HttpResponse::Ok().json(json!({"size": log.size, "entries": entries}))
}

async fn record(witness: Shared, id: web::Path<String>) -> HttpResponse {
    let Some(log) = witness.log_of_election(&id) else {
        return not_found("this witness does not follow that election");
    };
    let (Some(own_note), true) = (log.note, witness.config().verifying) else {
        return not_found("this witness keeps no record of that election yet");
    };
    // Under the latest checkpoint a quorum witnessed, with the timeline up to it (§13.10); before
    // any, under this witness's own cosignature alone (a verifier then reports it not witnessed).
    let timeline = match witness.store().timeline(&log.origin, 0) {
        Ok(t) => t,
        Err(e) => return refusal(&e),
    };
    let (size, note) = match timeline.last() {
        Some((size, note)) => (*size, note.clone()),
        None => (log.size, own_note),
    };
    let mut tail = (timeline.len() as u32).to_le_bytes().to_vec();
    for (_, n) in &timeline {
        tail.extend_from_slice(&(n.len() as u32).to_le_bytes());
        tail.extend_from_slice(n.as_bytes());
    }
    let mut head = cli_support::record::MAGIC.to_vec();
    head.extend_from_slice(&(note.len() as u32).to_le_bytes());
    head.extend_from_slice(note.as_bytes());
    head.extend_from_slice(&size.to_le_bytes());
    let origin = log.origin;
    let w = witness.get_ref().clone();
    // A page at a time, so an export of any size holds one page in memory.
    let pages = futures_util::stream::unfold(0u64, move |from| {
        let (w, origin) = (w.clone(), origin.clone());
        async move {
            if from >= size {
                return None;
            }
            let to = (from + 1000).min(size);
            let page = web::block(move || w.store().leaves(&origin, from, to)).await;
            let chunk = match page {
                Ok(Ok(page)) if page.len() as u64 == to - from => {
                    let mut out = Vec::new();
                    for l in page {
                        out.extend_from_slice(&(l.bytes.len() as u32).to_le_bytes());
                        out.extend_from_slice(&l.bytes);
                    }
                    Ok(web::Bytes::from(out))
                }
                _ => Err(actix_web::error::ErrorServiceUnavailable(
                    "the witness's store failed",
                )),
            };
            Some((chunk, to))
        }
    });
    let tail = futures_util::stream::once(async { Ok(web::Bytes::from(tail)) });
    let body = futures_util::stream::once(async move { Ok(web::Bytes::from(head)) })
        .chain(pages)
        .chain(tail);
    HttpResponse::Ok()
        .content_type("application/octet-stream")
        .streaming(body)
}

/// The routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY))
        .route("/add-checkpoint", web::post().to(add_checkpoint))
        .route("/v1/health", web::get().to(HttpResponse::Ok))
        .route("/v1/witness", web::get().to(info))
        .route("/v1/elections/{id}/checkpoint", web::get().to(checkpoint))
        .route("/v1/elections/{id}/checkpoints", web::get().to(checkpoints))
        .route("/v1/elections/{id}/cosigned", web::get().to(cosigned))
        .route("/v1/elections/{id}/entries", web::get().to(entries))
        .route("/v1/elections/{id}/record", web::get().to(record));
}
