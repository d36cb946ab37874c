//! `ReqwestTransport` against a hyper server the test drives chunk by chunk: streaming,
//! body timers, breaks and limits.
//!
//! Every request through reqwest (`direct_http(false)`): the same cases as `reqwest_streaming.rs`.

mod support;

const DIRECT_HTTP: bool = false;

include!("cases/streaming.rs");
