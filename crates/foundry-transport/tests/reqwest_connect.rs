//! Connecting: refused, timed out, and what a misconfiguration looks like.
//!
//! Plain-`http` requests take the direct path through hyper (the default).

mod support;

const DIRECT_HTTP: bool = true;

include!("cases/connect.rs");
