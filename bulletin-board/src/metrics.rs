//! Prometheus text-format counters. A handful of atomics written out by hand: the exposition
//! format is a few lines, and a metrics crate with its own registry would outweigh what it saves.
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use protocol::record::Receipt;

use crate::error::{ApiError, ErrorCode};

/// The board's counters.
#[derive(Default)]
pub struct Metrics {
    /// Entries committed.
    pub accepted: AtomicU64,
    /// Ballots and audited ballots committed.
    pub voter_entries: AtomicU64,
    /// Refusals by code.
    refusals: Mutex<Vec<(ErrorCode, u64)>>,
    /// Sequencer transactions committed.
    pub batches: AtomicU64,
    /// Store failures in the sequencer.
    pub store_errors: AtomicU64,
    /// Checkpoints signed.
    pub checkpoints: AtomicU64,
    /// States rebuilt from the store after a failed append.
    pub reloads: AtomicU64,
    /// Voter entries taken in from their resume notes (at start and in reloads).
    pub readmitted: AtomicU64,
}

impl Metrics {
    /// Counts one sequencing outcome.
    pub fn count(&self, outcome: &Result<Receipt, ApiError>) {
        match outcome {
            Ok(r) => {
                self.accepted.fetch_add(1, Ordering::Relaxed);
                if r.tracking_code.is_some() {
                    self.voter_entries.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(e) => self.refused(e.code),
        }
    }

    /// Counts a refusal.
    pub fn refused(&self, code: ErrorCode) {
        let mut r = self.refusals.lock().expect("not poisoned");
        match r.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => r.push((code, 1)),
        }
    }

    /// The exposition text; `sizes` is each election's checkpointed size.
    pub fn render(&self, sizes: &[(String, u64)]) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            "thistle_board_entries_accepted_total",
            "Entries committed to a log.",
            self.accepted.load(Ordering::Relaxed),
        );
        counter(
            "thistle_board_voter_entries_accepted_total",
            "Ballots and audited ballots committed.",
            self.voter_entries.load(Ordering::Relaxed),
        );
        counter(
            "thistle_board_sequencer_batches_total",
            "Sequencer transactions committed.",
            self.batches.load(Ordering::Relaxed),
        );
        counter(
            "thistle_board_store_errors_total",
            "Storage failures while sequencing.",
            self.store_errors.load(Ordering::Relaxed),
        );
        counter(
            "thistle_board_reloads_total",
            "States rebuilt from the store after a failed append.",
            self.reloads.load(Ordering::Relaxed),
        );
        counter(
            "thistle_board_checkpoints_total",
            "Checkpoints signed.",
            self.checkpoints.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP thistle_board_refusals_total Requests refused, by error code.\n# TYPE thistle_board_refusals_total counter"
        );
        for (code, n) in self.refusals.lock().expect("not poisoned").iter() {
            let _ = writeln!(
                out,
                "thistle_board_refusals_total{{code=\"{}\"}} {n}",
                code.as_str()
            );
        }
        let _ = writeln!(
            out,
            "# HELP thistle_board_checkpoint_size Leaves under the latest checkpoint.\n# TYPE thistle_board_checkpoint_size gauge"
        );
        for (id, size) in sizes {
            let _ = writeln!(
                out,
                "thistle_board_checkpoint_size{{election=\"{id}\"}} {size}"
            );
        }
        out
    }
}
