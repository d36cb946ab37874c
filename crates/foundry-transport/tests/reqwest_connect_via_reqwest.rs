//! Connecting: refused, timed out, and what a misconfiguration looks like.
//!
//! Every request through reqwest (`direct_http(false)`): the same cases as `reqwest_connect.rs`.

mod support;

const DIRECT_HTTP: bool = false;

include!("cases/connect.rs");
