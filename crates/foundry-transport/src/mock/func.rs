//! `transport_fn`: a transport from a closure.

use std::fmt;
use std::future::Future;

use async_trait::async_trait;

use crate::{Transport, TransportError, TransportRequest, TransportResponse};

/// A [`Transport`] that calls `f` for every request; for one-off test doubles and
/// decorators sketched inline.
///
/// ```
/// use foundry_transport::mock::{MockResponse, transport_fn};
/// use foundry_transport::{SharedTransport, Transport, TransportRequest};
///
/// let echo = transport_fn(|request: TransportRequest| async move {
///     Ok(MockResponse::ok().body(request.path().into_owned()).into_response())
/// });
/// let transport = SharedTransport::new(echo);
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let response = transport.send(TransportRequest::get("/hello")).await.unwrap();
/// assert_eq!(response.bytes_limited(64).await.unwrap(), "/hello");
/// # });
/// ```
pub fn transport_fn<F, Fut>(f: F) -> FnTransport<F>
where
    F: Fn(TransportRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<TransportResponse, TransportError>> + Send,
{
    FnTransport { f }
}

/// The transport made by [`transport_fn`].
#[derive(Clone)]
pub struct FnTransport<F> {
    f: F,
}

impl<F> fmt::Debug for FnTransport<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnTransport")
    }
}

#[async_trait]
impl<F, Fut> Transport for FnTransport<F>
where
    F: Fn(TransportRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<TransportResponse, TransportError>> + Send,
{
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        (self.f)(request).await
    }
}
