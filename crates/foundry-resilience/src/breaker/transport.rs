//! The circuit-breaker decorator and the policy of what counts as a failure.

use async_trait::async_trait;
use foundry_transport::{
    ErrorKind, SharedTransport, Transport, TransportError, TransportRequest, TransportResponse,
};
use http::StatusCode;

use super::{CircuitBreaker, Outcome};

/// Which outcomes count against the server.
///
/// Default: connect errors, timeouts, connections closed early and 5xx responses (except 501,
/// "not implemented", which is a deterministic answer of a healthy server) are failures; 4xx
/// responses are successes (the server is up and answering); rejections by other decorators and
/// invalid input say nothing about the server.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct FailurePolicy;

impl FailurePolicy {
    /// The outcome of a response.
    pub fn classify_response(&self, status: StatusCode) -> Outcome {
        if status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED {
            Outcome::Failure
        } else {
            Outcome::Success
        }
    }

    /// The outcome of a transport error.
    pub fn classify_error(&self, error: &TransportError) -> Outcome {
        match error.kind() {
            ErrorKind::Connect
            | ErrorKind::Dns
            | ErrorKind::Timeout(_)
            | ErrorKind::ConnectionClosed
            | ErrorKind::InvalidResponse => Outcome::Failure,
            ErrorKind::Rejected | ErrorKind::InvalidInput => Outcome::Abandoned,
            _ => Outcome::Success,
        }
    }
}

/// Sends requests only while the breaker admits them; rejections are immediate
/// [`Rejected`](ErrorKind::Rejected) errors carrying when to retry.
#[derive(Debug, Clone)]
pub struct BreakerTransport {
    inner: SharedTransport,
    breaker: CircuitBreaker,
    policy: FailurePolicy,
}

impl BreakerTransport {
    /// Guards `inner` with `breaker`.
    pub fn new(inner: SharedTransport, breaker: CircuitBreaker) -> Self {
        Self {
            inner,
            breaker,
            policy: FailurePolicy,
        }
    }

    /// The breaker (for state, subscriptions and manual control).
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }
}

#[async_trait]
impl Transport for BreakerTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        let permit = self
            .breaker
            .try_acquire()
            .map_err(|rejection| rejection.into_error())?;
        let outcome = self.inner.send(request).await;
        permit.record(match &outcome {
            Ok(response) => self.policy.classify_response(response.status()),
            Err(error) => self.policy.classify_error(error),
        });
        outcome
    }
}
