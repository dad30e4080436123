//! Thistle's voting page. The ballot's state ([`ballot`]) is a pure reducer, testable without a
//! browser; the page itself (yew, WebAssembly) renders it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ballot;
pub mod flow;
pub mod i18n;
