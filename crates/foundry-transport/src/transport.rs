//! The `Transport` trait: the one seam between the client and the network.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{TransportError, TransportRequest, TransportResponse};

/// Sends one HTTP request and returns the response once its headers have arrived.
///
/// Implementations are the network (`ReqwestTransport`), test doubles
/// (`mock::MockTransport`) and decorators that wrap
/// another transport (retry, circuit breaker, concurrency limit). The trait is
/// object-safe and takes `&self`, so one transport can serve many tasks at once behind
/// a [`SharedTransport`](crate::SharedTransport).
///
/// A transport must not interpret status codes: a 500 is a successful exchange that
/// yields a response. Errors are for exchanges that failed (see
/// [`TransportError`]).
#[async_trait]
pub trait Transport: Send + Sync + Debug {
    /// Sends `request`. The returned future is `Send`.
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError>;
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        (**self).send(request).await
    }
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Box<T> {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        (**self).send(request).await
    }
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for &T {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        (**self).send(request).await
    }
}
