//! The first-byte, idle and deadline timers, on tokio's clock.
//!
//! They live here rather than in the HTTP client because its "timeout" bounds the whole
//! exchange, body included, which would kill a healthy long stream; and because the
//! mock transport runs the very same timers, so tests see the production behaviour.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::Method;
use tokio::time::{Instant, Sleep, sleep_until};

use crate::url::redact_userinfo;
use crate::{TimeoutKind, Timeouts, TransportError};

/// `start + after`, or `None` when unset or too far away to represent.
pub(crate) fn instant_after(start: Instant, after: Option<Duration>) -> Option<Instant> {
    after.and_then(|after| start.checked_add(after))
}

/// Runs `exchange` (everything up to the response headers) under the first-byte timer
/// and the overall deadline, whichever comes first.
pub(crate) async fn until_headers<T>(
    exchange: impl Future<Output = Result<T, TransportError>>,
    start: Instant,
    timeouts: &Timeouts,
    context: impl FnOnce() -> String,
) -> Result<T, TransportError> {
    let first_byte = instant_after(start, timeouts.first_byte());
    let deadline = instant_after(start, timeouts.deadline());
    let (at, which) = match (first_byte, deadline) {
        (None, None) => return exchange.await,
        (Some(first_byte), Some(deadline)) if deadline < first_byte => {
            (deadline, TimeoutKind::Deadline)
        }
        (Some(first_byte), _) => (first_byte, TimeoutKind::FirstByte),
        (None, Some(deadline)) => (deadline, TimeoutKind::Deadline),
    };
    match tokio::time::timeout_at(at, exchange).await {
        Ok(result) => result,
        Err(_elapsed) => Err(TransportError::timeout(which, context())),
    }
}

/// Method and URL of an exchange, turned into an error message only when one is needed.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub(crate) method: Method,
    pub(crate) url: std::sync::Arc<str>,
}

impl Exchange {
    /// `"METHOD url"`, the context message of this exchange's errors.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.method, redact_userinfo(&self.url))
    }
}

/// A body error named after its exchange: the inner streams do not know the URL.
fn named(err: TransportError, exchange: &Exchange) -> TransportError {
    if err.message().is_empty() {
        err.with_message(exchange.describe())
    } else {
        err
    }
}

pin_project_lite::pin_project! {
    /// A body stream under the idle timer and the overall deadline.
    ///
    /// The idle gap is counted from the moment the reader waits for a chunk that has not come,
    /// after the last one it took: a reader slower than the server is never cut off for its own
    /// pace. Each timer is one `Sleep`, made at the first wait and re-armed when a new gap
    /// starts; a body that never has to wait never touches a timer.
    pub(crate) struct TimedBody<S> {
        #[pin]
        inner: S,
        idle: Option<Duration>,
        // When the current gap runs out; `None` between a chunk and the next wait, or with no
        // idle limit (or one too far away to represent).
        idle_due: Option<Instant>,
        #[pin]
        idle_timer: Option<Sleep>,
        deadline: Option<Instant>,
        #[pin]
        deadline_timer: Option<Sleep>,
        exchange: Exchange,
        done: bool,
    }
}

impl<S> TimedBody<S> {
    /// Wraps `inner`; the deadline is absolute. Until the first chunk the body may stay silent
    /// for the longer of `idle` and `first_byte`: some servers send their stream headers before
    /// they have read the prompt, so the wait for the first token is still "time to first byte".
    pub(crate) fn new(
        inner: S,
        idle: Option<Duration>,
        first_byte: Option<Duration>,
        deadline: Option<Instant>,
        exchange: Exchange,
    ) -> Self {
        let first_gap = match (idle, first_byte) {
            (Some(idle), Some(first_byte)) => Some(idle.max(first_byte)),
            (idle, _) => idle,
        };
        Self {
            inner,
            idle,
            idle_due: instant_after(Instant::now(), first_gap),
            idle_timer: None,
            deadline,
            deadline_timer: None,
            exchange,
            done: false,
        }
    }
}

/// Polls `timer`, made or re-armed for `due` first; true when it has fired.
fn fired(mut timer: Pin<&mut Option<Sleep>>, due: Instant, cx: &mut Context<'_>) -> bool {
    match timer.as_mut().as_pin_mut() {
        Some(sleep) if sleep.deadline() == due => {}
        Some(sleep) => sleep.reset(due),
        None => timer.set(Some(sleep_until(due))),
    }
    timer
        .as_pin_mut()
        .is_some_and(|sleep| sleep.poll(cx).is_ready())
}

impl<S> Stream for TimedBody<S>
where
    S: Stream<Item = Result<Bytes, TransportError>>,
{
    type Item = Result<Bytes, TransportError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        match this.inner.poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                // The next wait starts a new gap.
                *this.idle_due = None;
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(Some(Err(err))) => {
                *this.done = true;
                return Poll::Ready(Some(Err(named(err, this.exchange))));
            }
            Poll::Ready(None) => {
                *this.done = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        let timed_out = if let Some(deadline) = *this.deadline
            && fired(this.deadline_timer.as_mut(), deadline, cx)
        {
            TimeoutKind::Deadline
        } else {
            if this.idle_due.is_none() {
                *this.idle_due = instant_after(Instant::now(), *this.idle);
            }
            match *this.idle_due {
                Some(due) if fired(this.idle_timer.as_mut(), due, cx) => TimeoutKind::Idle,
                _ => return Poll::Pending,
            }
        };
        *this.done = true;
        let message = this.exchange.describe();
        Poll::Ready(Some(Err(TransportError::timeout(timed_out, message))))
    }
}
