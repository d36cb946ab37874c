//! The retry decorator.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use foundry_transport::{
    ErrorKind, SharedTransport, TimeoutKind, Transport, TransportError, TransportRequest,
    TransportResponse,
};
use tracing::Instrument;

use super::body_head::{read_head, rejoin};
use super::budget::RetryBudget;
use super::hints::ServerHints;
use super::policy::RetryPolicy;
use crate::clock::Clock;
use crate::rng::JitterRng;

/// Retries failed attempts of a request according to a [`RetryPolicy`].
///
/// A response is handed back as soon as its headers arrive and is never retried afterwards, so a
/// streamed body that breaks after its first bytes reached the caller is never sent again.
#[derive(Debug, Clone)]
pub struct RetryTransport {
    inner: SharedTransport,
    policy: Arc<RetryPolicy>,
    budget: Arc<RetryBudget>,
    clock: Arc<dyn Clock>,
    rng: Arc<JitterRng>,
}

/// What to do after an attempt.
enum Verdict {
    Done,
    Retry {
        reason: &'static str,
        hint: ServerHints,
    },
}

impl RetryTransport {
    /// Wraps `inner` with `policy`, drawing retries from `budget`.
    pub fn new(
        inner: SharedTransport,
        policy: RetryPolicy,
        budget: Arc<RetryBudget>,
        clock: Arc<dyn Clock>,
        rng: Arc<JitterRng>,
    ) -> Self {
        Self {
            inner,
            policy: Arc::new(policy),
            budget,
            clock,
            rng,
        }
    }

    /// The budget this decorator draws from.
    pub fn budget(&self) -> &Arc<RetryBudget> {
        &self.budget
    }

    /// Decides about an error: only failures that cannot have had an effect, or that hit an
    /// idempotent request, are retried; an expired overall deadline never is.
    fn judge_error(&self, error: &TransportError, idempotent: bool) -> Verdict {
        let may_resend = idempotent || self.policy.retry_non_idempotent;
        let reason = match error.kind() {
            _ if error.never_connected() && error.kind() != ErrorKind::Rejected => "connect failed",
            ErrorKind::Timeout(TimeoutKind::FirstByte) if may_resend => "no answer in time",
            ErrorKind::Timeout(TimeoutKind::Idle) if may_resend => "body stalled",
            ErrorKind::ConnectionClosed if may_resend => "connection closed",
            _ => return Verdict::Done,
        };
        Verdict::Retry {
            reason,
            hint: ServerHints {
                retry_after: error.retry_after(),
                should_retry: None,
            },
        }
    }

    /// Decides about a response; may read (and then restore) the body of a retryable error so the
    /// policy's permanence check can see it.
    async fn judge_response(
        &self,
        response: TransportResponse,
        idempotent: bool,
    ) -> (Result<TransportResponse, TransportError>, Verdict) {
        let status = response.status();
        if !is_error_status(status) {
            return (Ok(response), Verdict::Done);
        }
        let hint = ServerHints::from_headers(response.headers(), self.clock.system_now());
        let may_resend = idempotent || self.policy.retry_non_idempotent;
        let by_status = self.policy.retries_status(status, idempotent);
        let retry = match hint.should_retry {
            Some(false) => false,
            // An explicit yes widens the status rules, but never re-sends what may not be re-sent.
            Some(true) => by_status || may_resend,
            None => by_status,
        };
        if !retry {
            return (Ok(response), Verdict::Done);
        }
        let Some(permanent) = &self.policy.permanent else {
            return (
                Ok(response),
                Verdict::Retry {
                    reason: "retryable status",
                    hint,
                },
            );
        };
        let (status, headers, body) = response.into_parts();
        let (head, rest) = match read_head(body, self.policy.inspect_limit).await {
            Ok(parts) => parts,
            Err(error) => {
                let verdict = self.judge_error(&error, idempotent);
                return (Err(error), verdict);
            }
        };
        // A body larger than the inspection limit is not a request error we know: retry it, and
        // hand back every byte (the head already read, then the rest) if the retries end here.
        let verdict = if rest.is_none() && permanent(status, &headers, &head) {
            Verdict::Done
        } else {
            Verdict::Retry {
                reason: "retryable status",
                hint,
            }
        };
        (
            Ok(TransportResponse::new(status, headers, rejoin(head, rest))),
            verdict,
        )
    }

    /// The wait before the next attempt, or `None` when the call must end now.
    fn next_delay(
        &self,
        retry: u32,
        hint: ServerHints,
        started: Instant,
        deadline: Option<Duration>,
    ) -> Option<Duration> {
        if retry > self.policy.max_retries {
            return None;
        }
        let delay = match hint.retry_after {
            Some(wait) if wait > self.policy.max_retry_after => return None,
            Some(wait) => wait,
            None => self.policy.backoff.delay(retry, self.rng.next_f64()),
        };
        let now = self.clock.now();
        if deadline
            .is_some_and(|deadline| now.saturating_duration_since(started) + delay >= deadline)
        {
            return None;
        }
        self.budget.try_withdraw(now).then_some(delay)
    }
}

#[async_trait]
impl Transport for RetryTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        let started = self.clock.now();
        let idempotent = request.is_idempotent();
        let overrides = request.timeout_overrides();
        let deadline = match (self.policy.deadline, overrides.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.budget.deposit(started);
        let mut attempt: u32 = 1;
        // Why this attempt is a retry ("" for the first), recorded on its span.
        let mut retry_reason: &'static str = "";
        loop {
            let mut this_try = request.clone();
            if let Some(deadline) = deadline {
                let remaining =
                    deadline.saturating_sub(self.clock.now().saturating_duration_since(started));
                if remaining.is_zero() {
                    return Err(TransportError::timeout(
                        TimeoutKind::Deadline,
                        "overall deadline reached before the next attempt",
                    ));
                }
                this_try = this_try.with_timeouts(overrides.with_deadline(remaining));
            }
            let span = tracing::debug_span!(
                "attempt",
                attempt,
                retry_reason,
                method = %request.method(),
                path = %request.path()
            );
            let outcome = self.inner.send(this_try).instrument(span).await;
            let (outcome, verdict) = match outcome {
                // A success is a success, whatever hints ride along with it.
                Ok(response) if !is_error_status(response.status()) => return Ok(response),
                Ok(response) => self.judge_response(response, idempotent).await,
                Err(error) => {
                    let verdict = self.judge_error(&error, idempotent);
                    (Err(error), verdict)
                }
            };
            let Verdict::Retry { reason, hint } = verdict else {
                return outcome;
            };
            let Some(delay) = self.next_delay(attempt, hint, started, deadline) else {
                return outcome;
            };
            tracing::debug!(
                attempt,
                reason,
                delay_ms = delay.as_millis() as u64,
                "retrying"
            );
            if let Some(observer) = &self.policy.observer {
                observer(attempt, reason);
            }
            retry_reason = reason;
            drop(outcome);
            self.clock.sleep(delay).await;
            attempt += 1;
        }
    }
}

/// A 4xx or 5xx status: the answers a retry policy looks at.
fn is_error_status(status: http::StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}
