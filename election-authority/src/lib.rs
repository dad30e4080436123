//! Thistle's election set-up tools (spec §6, §8, §9, §13): the administrator writes and checks the
//! manifest, creates the election on the board and moves its phases; each trustee runs the key
//! ceremony from their own machine through the board; the credential authority issues the voters'
//! credentials and posts the public list. Secrets stay in passphrase-sealed files.

pub mod manifest_file;
pub mod roles;

pub use cli_support::{board, error, secret_file, Error, Result};
