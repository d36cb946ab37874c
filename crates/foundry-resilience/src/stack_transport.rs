//! The stack [`ResilienceBuilder`](crate::ResilienceBuilder) builds: limit, retry and breaker
//! applied in one decorator.
//!
//! It behaves exactly as the three decorators nested (limit → retry → breaker → transport), and
//! runs their very code (each decorator's `send_through`), but as one future: a call allocates
//! one boxed future for the whole stack instead of one per layer, and makes one dynamic call
//! into the transport below instead of three through the layers.

use async_trait::async_trait;
use foundry_transport::{
    SharedTransport, Transport, TransportError, TransportRequest, TransportResponse,
};

use crate::breaker::BreakerTransport;
use crate::limit::LimitTransport;
use crate::retry::RetryTransport;

/// The layers that are on, each over `inner` (their own `inner` is not used here: each layer
/// hands on to the next through its `send_through`).
#[derive(Debug, Clone)]
pub(crate) struct StackTransport {
    pub(crate) inner: SharedTransport,
    pub(crate) limit: Option<LimitTransport>,
    pub(crate) retry: Option<RetryTransport>,
    pub(crate) breaker: Option<BreakerTransport>,
}

#[async_trait]
impl Transport for StackTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        match &self.limit {
            Some(limit) => {
                limit
                    .send_through(request, |request| self.retried(request))
                    .await
            }
            None => self.retried(request).await,
        }
    }
}

impl StackTransport {
    async fn retried(
        &self,
        request: TransportRequest,
    ) -> Result<TransportResponse, TransportError> {
        match &self.retry {
            Some(retry) => {
                retry
                    .send_through(request, |attempt| self.guarded(attempt))
                    .await
            }
            None => self.guarded(request).await,
        }
    }

    async fn guarded(
        &self,
        request: TransportRequest,
    ) -> Result<TransportResponse, TransportError> {
        match &self.breaker {
            Some(breaker) => {
                breaker
                    .send_through(request, |request| self.inner.send(request))
                    .await
            }
            None => self.inner.send(request).await,
        }
    }
}
