//! The HTTP seam of the Foundry Local client.
//!
//! **Who should depend on this crate:** people writing a custom [`Transport`] or a
//! decorator around one (retry, circuit breaker, concurrency limit, metrics), and tests
//! that swap in the `mock` transport. Most users depend on `foundry-client` instead,
//! which re-exports what they need from here.
//!
//! The crate knows HTTP and nothing of the inference API:
//!
//! - [`Transport`] sends a [`TransportRequest`] and yields a [`TransportResponse`] once
//!   the headers are in; [`SharedTransport`] is the cheap, clonable handle to one.
//! - The body is read whole with a size limit ([`TransportResponse::bytes_limited`]) or
//!   as a stream ([`TransportResponse::into_stream`]); dropping it cancels the request.
//! - Failures are one opaque [`TransportError`] with an [`ErrorKind`] and predicates
//!   such as [`TransportError::never_connected`] for retry logic.
//! - `ReqwestTransport` (feature `reqwest`, on by default) is the network; the
//!   `mock` module (feature `mock`) is a scriptable stand-in for tests.
//!
//! # Features
//!
//! - `reqwest` (default): `ReqwestTransport`, HTTP/1.1 over a pooled reqwest client, rustls.
//! - `mock`: `mock::MockTransport` and `mock::transport_fn`.
//!
//! Both run their timers on tokio's clock, so they need a tokio runtime with time
//! enabled (`#[tokio::test]` and `#[tokio::main]` have it).
#![forbid(unsafe_code)]

mod body;
mod body_watch;
mod error;
mod request;
mod response;
mod shared;
mod timeouts;
#[cfg(any(feature = "reqwest", feature = "mock"))]
mod timer;
mod transport;
mod url;

#[cfg(feature = "mock")]
pub mod mock;
#[cfg(feature = "reqwest")]
mod reqwest_transport;

pub use crate::body::{Body, BodyStream};
pub use crate::body_watch::{BodyEnd, BodyWatcher};
pub use crate::error::{ErrorKind, TimeoutKind, TransportError};
pub use crate::request::TransportRequest;
pub use crate::response::TransportResponse;
pub use crate::shared::SharedTransport;
pub use crate::timeouts::Timeouts;
pub use crate::transport::Transport;
pub use crate::url::is_loopback_url;

#[cfg(feature = "reqwest")]
pub use crate::reqwest_transport::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_FIRST_BYTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_TIMEOUTS,
    ReqwestTransport, ReqwestTransportBuilder, USER_AGENT,
};

/// Re-exported because [`Transport`] is declared with it.
pub use async_trait::async_trait;
/// Re-exported so that implementors name the same `bytes` types as this crate.
pub use bytes;
/// Re-exported so that implementors name the same `http` types as this crate.
pub use http;
