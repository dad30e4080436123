//! Thistle's voting page. The ballot's state ([`ballot`]) and the voter's way through the page
//! ([`flow`]) are pure state machines, testable without a browser; [`board`] is what the page
//! exchanges with the board; the page itself (`app`, yew compiled to WebAssembly) renders them.

#[cfg(target_arch = "wasm32")]
pub mod app;
pub mod ballot;
pub mod bench;
pub mod board;
pub mod flow;
pub mod i18n;
