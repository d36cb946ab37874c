//! What is retried, how often, and how long a call may take in all.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

use super::backoff::Backoff;

/// Decides that an error response is permanent although its status is retryable — for example
/// a 500 whose body says the request itself was bad (Foundry Local's v1 Core answers malformed
/// requests that way). Receives the status, headers and the start of the body.
pub type PermanentCheck = Arc<dyn Fn(StatusCode, &HeaderMap, &[u8]) -> bool + Send + Sync>;

/// Told of every retry about to happen: the attempt number that failed and why it is retried.
pub type RetryObserver = Arc<dyn Fn(u32, &'static str) + Send + Sync>;

/// The retry rules.
///
/// Defaults: 3 retries, 0.5 s doubling to 8 s with jitter in (0.75, 1], server hints honoured up
/// to 60 s (a longer hint ends the retries and is passed on), retryable statuses 408, 409, 429,
/// 500, 502, 503, 504, no overall deadline, and non-idempotent requests retried only when they
/// surely never reached the server.
#[derive(Clone)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The delay schedule when the server gives no hint.
    pub backoff: Backoff,
    /// The longest server hint (`Retry-After`) that is waited for; longer means give up.
    pub max_retry_after: Duration,
    /// A bound on the whole call, all attempts and waits included; retries never extend it.
    pub deadline: Option<Duration>,
    /// Retry requests not marked idempotent even when they may have reached the server.
    pub retry_non_idempotent: bool,
    /// The response statuses that are retried.
    pub statuses: Vec<StatusCode>,
    /// An optional check that marks some retryable error responses as permanent.
    pub permanent: Option<PermanentCheck>,
    /// How much of an error body [`permanent`](Self::permanent) gets to see.
    pub inspect_limit: usize,
    /// Called before each retry (metrics count retries through it).
    pub observer: Option<RetryObserver>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            backoff: Backoff::default(),
            max_retry_after: Duration::from_secs(60),
            deadline: None,
            retry_non_idempotent: false,
            statuses: [408, 409, 429, 500, 502, 503, 504]
                .into_iter()
                .filter_map(|code| StatusCode::from_u16(code).ok())
                .collect(),
            permanent: None,
            inspect_limit: 64 * 1024,
            observer: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.max_retries)
            .field("backoff", &self.backoff)
            .field("max_retry_after", &self.max_retry_after)
            .field("deadline", &self.deadline)
            .field("retry_non_idempotent", &self.retry_non_idempotent)
            .field("statuses", &self.statuses)
            .field("permanent", &self.permanent.as_ref().map(|_| "<check>"))
            .field("observer", &self.observer.as_ref().map(|_| "<observer>"))
            .finish()
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The default rules with `max_retries` retries.
    pub fn with_max_retries(max_retries: u32) -> Self {
        Self {
            max_retries,
            ..Self::default()
        }
    }

    /// Sets the overall deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sets the check for permanent error responses.
    #[must_use]
    pub fn permanent_when(
        mut self,
        check: impl Fn(StatusCode, &HeaderMap, &[u8]) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.permanent = Some(Arc::new(check));
        self
    }

    /// Sets the observer told of every retry.
    #[must_use]
    pub fn observe_retries(
        mut self,
        observer: impl Fn(u32, &'static str) + Send + Sync + 'static,
    ) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Whether a response with `status` is retried for a request of this idempotency.
    /// 408, 429 and 503 say the server did not process the request, so they are retried
    /// whatever the method; the others only for idempotent requests.
    pub fn retries_status(&self, status: StatusCode, idempotent: bool) -> bool {
        let not_processed = matches!(status.as_u16(), 408 | 429 | 503);
        self.statuses.contains(&status)
            && (idempotent || not_processed || self.retry_non_idempotent)
    }
}
