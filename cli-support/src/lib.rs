//! What Thistle's command-line tools (election authority, tally) share: a client of the bulletin
//! board that acts only on a verified record (spec §13.7, §15), passphrase-sealed secret files, and
//! one error type whose messages say what to do.

pub mod aggregate;
pub mod args;
pub mod board;
pub mod count;
pub mod error;
pub mod keys;
pub mod passphrase;
pub mod progress;
pub mod record;
pub mod secret_file;

pub use error::{Error, Problem, Result};
