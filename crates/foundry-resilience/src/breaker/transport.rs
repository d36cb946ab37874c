//! The circuit-breaker decorator and the policy of what counts as a failure.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use foundry_transport::{
    BodyEnd, BodyWatcher, ErrorKind, SharedTransport, Transport, TransportError, TransportRequest,
    TransportResponse,
};
use http::StatusCode;

use super::{BreakerPermit, CircuitBreaker, Outcome};

type StatusRule = Arc<dyn Fn(StatusCode) -> Outcome + Send + Sync>;
type ErrorRule = Arc<dyn Fn(&TransportError) -> Outcome + Send + Sync>;

/// Which outcomes count against the server.
///
/// Default: connect errors, timeouts, connections closed early (also in the middle of a body) and
/// 5xx responses (except 501, "not implemented", a deterministic answer of a healthy server) are
/// failures; 4xx responses are successes (the server is up and answering); rejections by other
/// decorators and invalid input say nothing about the server. Either rule can be replaced.
#[derive(Clone, Default)]
pub struct FailurePolicy {
    status: Option<StatusRule>,
    error: Option<ErrorRule>,
}

impl fmt::Debug for FailurePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailurePolicy")
            .field("custom_status_rule", &self.status.is_some())
            .field("custom_error_rule", &self.error.is_some())
            .finish()
    }
}

impl FailurePolicy {
    /// Replaces the rule for responses.
    #[must_use]
    pub fn for_status(
        mut self,
        rule: impl Fn(StatusCode) -> Outcome + Send + Sync + 'static,
    ) -> Self {
        self.status = Some(Arc::new(rule));
        self
    }

    /// Replaces the rule for transport errors (before the headers or in the body).
    #[must_use]
    pub fn for_error(
        mut self,
        rule: impl Fn(&TransportError) -> Outcome + Send + Sync + 'static,
    ) -> Self {
        self.error = Some(Arc::new(rule));
        self
    }

    /// The outcome of a response.
    pub fn classify_response(&self, status: StatusCode) -> Outcome {
        if let Some(rule) = &self.status {
            return rule(status);
        }
        if status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED {
            Outcome::Failure
        } else {
            Outcome::Success
        }
    }

    /// The outcome of a transport error.
    pub fn classify_error(&self, error: &TransportError) -> Outcome {
        if let Some(rule) = &self.error {
            return rule(error);
        }
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
///
/// A call's outcome is recorded when it ends: at the headers for a failing status, else when the
/// body ends — so a stream that breaks or stalls in the middle counts as the failure it is.
#[derive(Debug, Clone)]
pub struct BreakerTransport {
    inner: SharedTransport,
    breaker: CircuitBreaker,
    policy: Arc<FailurePolicy>,
}

impl BreakerTransport {
    /// Guards `inner` with `breaker` and the default [`FailurePolicy`].
    pub fn new(inner: SharedTransport, breaker: CircuitBreaker) -> Self {
        Self::with_policy(inner, breaker, FailurePolicy::default())
    }

    /// Guards `inner` with `breaker`, counting failures by `policy`.
    pub fn with_policy(
        inner: SharedTransport,
        breaker: CircuitBreaker,
        policy: FailurePolicy,
    ) -> Self {
        Self {
            inner,
            breaker,
            policy: Arc::new(policy),
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
        match self.inner.send(request).await {
            Err(error) => {
                permit.record(self.policy.classify_error(&error));
                Err(error)
            }
            Ok(response) => match self.policy.classify_response(response.status()) {
                Outcome::Success => {
                    let (status, headers, body) = response.into_parts();
                    let watcher = BodyOutcome {
                        permit,
                        policy: self.policy.clone(),
                    };
                    Ok(TransportResponse::new(
                        status,
                        headers,
                        body.watched(watcher),
                    ))
                }
                outcome => {
                    permit.record(outcome);
                    Ok(response)
                }
            },
        }
    }
}

/// Reports to the breaker how a body ended. Dropped unfinished, it counts as a success: the
/// server answered, and the caller chose to stop reading.
struct BodyOutcome {
    permit: BreakerPermit,
    policy: Arc<FailurePolicy>,
}

impl BodyWatcher for BodyOutcome {
    fn body_ended(self: Box<Self>, end: BodyEnd<'_>) {
        let outcome = match end {
            BodyEnd::Failed(error) => self.policy.classify_error(error),
            _ => Outcome::Success,
        };
        self.permit.record(outcome);
    }
}
