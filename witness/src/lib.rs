//! Thistle's witness: run by an organisation independent of the board, it follows the elections
//! that name it (spec §13.9). It speaks C2SP tlog-witness: a board posts each new checkpoint with a
//! consistency proof from the last one the witness cosigned, and the witness answers with a C2SP
//! tlog-cosignature only if the checkpoint extends that one. In verifying mode (the default) it
//! also fetches the new entries from the board, checks they hash to the checkpoint's root and runs
//! the record verifier on them, so its cosignature says the record is valid as it grows, not only
//! append-only; it keeps every entry and serves the record read-only, so the record outlives the
//! board's operator. What it cosigned is committed before it answers: it never cosigns two
//! inconsistent checkpoints or a smaller tree, across restarts and `kill -9`.

pub mod api;
pub mod error;
pub mod log;
pub mod store;

pub use error::WitnessError;
pub use log::{Witness, WitnessConfig};
