//! A scriptable transport for tests (feature `mock`).
//!
//! [`MockTransport`] answers from a script: replies bound to a method and path, and a
//! queue of replies handed out in order to whatever comes. It records every request,
//! and can fail in each way the network can: errors of any kind, delays on tokio's
//! clock (so `#[tokio::test(start_paused = true)]` tests run instantly), bodies that
//! stall or break after N bytes. It applies the same first-byte, idle and deadline
//! timers as the real transport when they are set.
//!
//! ```
//! use foundry_transport::mock::{MockResponse, MockTransport};
//! use foundry_transport::http::Method;
//! use foundry_transport::{ErrorKind, SharedTransport, Transport, TransportRequest};
//!
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
//! # rt.block_on(async {
//! let mock = MockTransport::new();
//! // The first request fails to connect, the next ones get the model list.
//! mock.on(Method::GET, "/v1/models").times(1).reply(ErrorKind::Connect);
//! mock.on(Method::GET, "/v1/models").reply(MockResponse::json(r#"{"data":[]}"#));
//!
//! let transport = SharedTransport::new(mock.clone());
//! let err = transport.send(TransportRequest::get("/v1/models")).await.unwrap_err();
//! assert!(err.never_connected());
//! let ok = transport.send(TransportRequest::get("/v1/models")).await.unwrap();
//! assert_eq!(ok.status(), 200);
//! assert_eq!(mock.requests().len(), 2);
//! # });
//! ```

mod body;
mod func;
mod reply;
mod script;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use http::Method;
use tokio::time::Instant;

pub use self::func::{FnTransport, transport_fn};
pub use self::reply::{MockError, MockReply, MockResponse};
use self::script::{Responder, Script};
use crate::timer::{Exchange, TimedBody, instant_after, until_headers};
use crate::{Body, Timeouts, Transport, TransportError, TransportRequest, TransportResponse};

/// A [`Transport`] that answers from a script and records what it was sent.
///
/// Clones share the script and the record, so keep one clone for assertions and hand
/// another to the code under test. Replies are chosen in this order:
///
/// 1. the first route (see [`MockTransport::on`]) whose method and path match the
///    request and that has uses left;
/// 2. otherwise the next reply of the queue (see [`MockTransport::push`]);
/// 3. otherwise the request fails with [`ErrorKind::Other`](crate::ErrorKind::Other)
///    and a message naming it; nothing panics.
#[derive(Clone, Default)]
pub struct MockTransport {
    script: Arc<Mutex<Script>>,
}

impl MockTransport {
    /// An empty script: every request fails until replies are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets default timers, applied like `ReqwestTransport` applies its own (requests
    /// may override them), for this mock and every clone of it. Without this, the mock
    /// has no timers.
    #[must_use]
    pub fn with_timeouts(self, timeouts: Timeouts) -> Self {
        self.lock().timeouts = timeouts;
        self
    }

    /// Adds a reply to the queue; queued replies go, in order, to requests that no
    /// route matches.
    pub fn push(&self, reply: impl Into<MockReply>) -> &Self {
        self.lock().queue.push_back(reply.into());
        self
    }

    /// Starts a route for `method` and `path` (the request path without query, matched
    /// exactly); finish it with [`MockRoute::reply`] or [`MockRoute::reply_with`].
    pub fn on(&self, method: Method, path: impl Into<String>) -> MockRoute<'_> {
        MockRoute {
            mock: self,
            method,
            path: path.into(),
            times: None,
        }
    }

    /// Every request sent so far, in order.
    pub fn requests(&self) -> Vec<TransportRequest> {
        self.lock().requests.clone()
    }

    /// How many replies the script still holds: queued replies, plus the uses left on
    /// routes limited with [`MockRoute::times`]. Zero means every scripted reply was used.
    pub fn pending(&self) -> usize {
        self.lock().pending()
    }

    fn lock(&self) -> MutexGuard<'_, Script> {
        // A test that panicked while holding the lock must not hide its own failure
        // behind a poisoning panic here.
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let script = self.lock();
        f.debug_struct("MockTransport")
            .field("routes", &script.routes.len())
            .field("queued", &script.queue.len())
            .field("requests", &script.requests.len())
            .finish()
    }
}

#[async_trait]
impl Transport for MockTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        let start = Instant::now();
        let exchange = Exchange {
            method: request.method().clone(),
            url: request.target().into(),
        };
        let (reply, timeouts) = {
            let mut script = self.lock();
            let timeouts = request.timeout_overrides().or(script.timeouts);
            (script.answer(request), timeouts)
        };
        let reply = reply?;
        let response = until_headers(
            async {
                if let Some(delay) = reply.header_delay() {
                    tokio::time::sleep(delay).await;
                }
                match reply {
                    MockReply::Response(response) => Ok(response.into_response()),
                    MockReply::Error(error) => Err(error.to_error()),
                }
            },
            start,
            &timeouts,
            || exchange.describe(),
        )
        .await?;
        if timeouts.idle().is_none() && timeouts.deadline().is_none() {
            return Ok(response);
        }
        let (status, headers, body) = response.into_parts();
        let body = TimedBody::new(
            body.into_stream(),
            timeouts.idle(),
            timeouts.first_byte(),
            instant_after(start, timeouts.deadline()),
            exchange,
        );
        Ok(TransportResponse::new(
            status,
            headers,
            Body::from_stream(body),
        ))
    }
}

/// A route being added to a [`MockTransport`]; see [`MockTransport::on`].
#[derive(Debug)]
#[must_use = "a route is added only by `reply` or `reply_with`"]
pub struct MockRoute<'a> {
    mock: &'a MockTransport,
    method: Method,
    path: String,
    times: Option<usize>,
}

impl MockRoute<'_> {
    /// Serves only the next `n` matching requests; later ones fall through to the
    /// next route or the queue. Without it, a route serves every matching request.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// Answers matching requests with `reply`.
    pub fn reply(self, reply: impl Into<MockReply>) {
        self.add(Responder::Fixed(reply.into()));
    }

    /// Answers matching requests with whatever `f` makes of them.
    pub fn reply_with(self, f: impl Fn(&TransportRequest) -> MockReply + Send + Sync + 'static) {
        self.add(Responder::Dynamic(Arc::new(f)));
    }

    fn add(self, responder: Responder) {
        self.mock
            .lock()
            .add_route(self.method, self.path, self.times, responder);
    }
}
