//! `SharedTransport`: a cheap, clonable handle to any transport.

use std::fmt;
use std::sync::Arc;

use crate::{Transport, TransportError, TransportRequest, TransportResponse};

/// A reference-counted handle to a [`Transport`]; cloning it is one atomic increment.
///
/// This is what clients and decorators hold: a decorator wraps a `SharedTransport` and
/// is itself wrapped in one, so stacks of any depth have one concrete type.
///
/// ```
/// use foundry_transport::{SharedTransport, Transport, TransportRequest};
/// use foundry_transport::mock::{MockResponse, MockTransport};
///
/// # tokio_test_block_on(async {
/// let mock = MockTransport::new();
/// mock.push(MockResponse::json(r#"{"ok":true}"#));
/// let transport = SharedTransport::new(mock.clone());
/// let response = transport.send(TransportRequest::get("/status")).await.unwrap();
/// assert_eq!(response.status(), 200);
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Clone)]
pub struct SharedTransport {
    inner: Arc<dyn Transport>,
}

impl SharedTransport {
    /// Wraps `transport`.
    pub fn new(transport: impl Transport + 'static) -> Self {
        Self {
            inner: Arc::new(transport),
        }
    }

    /// Wraps a transport that is already behind an `Arc`.
    pub fn from_arc(transport: Arc<dyn Transport>) -> Self {
        Self { inner: transport }
    }

    /// The shared transport as an `Arc`.
    pub fn as_arc(&self) -> &Arc<dyn Transport> {
        &self.inner
    }
}

impl fmt::Debug for SharedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Transparent: the interesting part is what it wraps.
        fmt::Debug::fmt(&*self.inner, f)
    }
}

#[async_trait::async_trait]
impl Transport for SharedTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        self.inner.send(request).await
    }
}
