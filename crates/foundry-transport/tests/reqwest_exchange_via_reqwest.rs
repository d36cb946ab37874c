//! `ReqwestTransport` against wiremock: what goes over the wire, and the first-byte
//! and deadline timers before the headers.
//!
//! Every request through reqwest (`direct_http(false)`): the same cases as `reqwest_exchange.rs`.

const DIRECT_HTTP: bool = false;

include!("cases/exchange.rs");
