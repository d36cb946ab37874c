//! The `Transport` trait: the one seam between the client and the network.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{TransportError, TransportRequest, TransportResponse};

/// The future [`Transport::send`] returns, as `async_trait` spells it out.
///
/// For implementations written without `#[async_trait]`: a decorator can do its synchronous
/// part (admission, handing the request to the inner transport) before it boxes a future,
/// so the box holds only what the rest of the call needs.
pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<TransportResponse, TransportError>> + Send + 'a>>;

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

// The pointer impls hand on the inner transport's boxed future as it is, rather than
// boxing it once more in an `async` wrapper: a stack of decorators then costs one
// allocation per layer that does work, not two.
macro_rules! forward_transport {
    ($($pointer:ty),*) => {$(
        impl<T: Transport + ?Sized> Transport for $pointer {
            fn send<'life0, 'async_trait>(
                &'life0 self,
                request: TransportRequest,
            ) -> SendFuture<'async_trait>
            where
                'life0: 'async_trait,
                Self: 'async_trait,
            {
                (**self).send(request)
            }
        }
    )*};
}

forward_transport!(Arc<T>, Box<T>, &T);
