//! `ReqwestTransport` against a hyper server the test drives chunk by chunk: streaming,
//! body timers, breaks and limits.
//!
//! Plain-`http` requests take the direct path through hyper (the default).

mod support;

const DIRECT_HTTP: bool = true;

include!("cases/streaming.rs");
