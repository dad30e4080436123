//! Thistle's tally ceremony (spec §12): the administrator posts the encrypted tally, each trustee
//! decrypts its part of the tally it recomputed itself, and anyone combines ([`ceremony`]). The
//! recomputation runs in two streaming passes, the second in parallel across cores; it lives in
//! [`cli_support::aggregate`] because reading a record with a tally (V13) needs it too, and is
//! re-exported here.

pub mod ceremony;
pub mod mixing;

pub use cli_support::aggregate::{Aggregator, Error, Selection};
