//! Thistle's bulletin board: the election's single public record, an append-only RFC 9162 log per
//! election with C2SP checkpoints, typed entries checked against the protocol as they arrive, and
//! signed receipts issued only after a durable commit. See `specs/protocol.md` §13.

pub mod api;
pub mod board;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod sim;
pub mod store;
pub mod tree;
pub mod witnesses;

pub use board::{Board, BoardConfig};
pub use error::{ApiError, ErrorCode};
