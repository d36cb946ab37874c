//! The endpoint set as a [`Transport`]: each request goes to the chosen endpoint and holds its
//! lease until the response body is done.

use std::pin::Pin;
use std::task::{Context, Poll};

use async_trait::async_trait;
use bytes::Bytes;
use foundry_transport::{
    Body, BodyStream, Transport, TransportError, TransportRequest, TransportResponse,
};
use futures_core::Stream;

use super::{EndpointLease, EndpointSet};

#[async_trait]
impl Transport for EndpointSet {
    /// Sends `request` (whose target should be a path: each endpoint's transport adds its own
    /// base URL) to the chosen endpoint. With no endpoint available, fails at once with
    /// [`ErrorKind::Rejected`](foundry_transport::ErrorKind::Rejected).
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        let lease = self
            .choose()
            .map_err(|error| TransportError::rejected(error.to_string(), None))?;
        let response = lease.transport().send(request).await?;
        let (status, headers, body) = response.into_parts();
        // A streamed answer is in flight until its last byte: the lease travels with the body.
        let body = Body::from_stream(LeasedBody {
            inner: body.into_stream(),
            lease: Some(lease),
        });
        Ok(TransportResponse::new(status, headers, body))
    }
}

/// A body that releases its endpoint lease when it ends, fails or is dropped.
struct LeasedBody {
    inner: BodyStream,
    lease: Option<EndpointLease>,
}

impl Stream for LeasedBody {
    type Item = Result<Bytes, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            self.lease = None;
        }
        polled
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
