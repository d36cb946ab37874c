//! The first-byte, idle and deadline timers, on tokio's clock.
//!
//! They live here rather than in the HTTP client because its "timeout" bounds the whole
//! exchange, body included, which would kill a healthy long stream; and because the
//! mock transport runs the very same timers, so tests see the production behaviour.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
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

/// A body error named after its exchange (inner streams need not know it), out of line: the
/// code read per chunk stays small.
#[cold]
#[inline(never)]
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
    /// The idle gap is counted from the moment the reader waits for a chunk that has not
    /// come, after the last one it took: a reader slower than the server is never cut off
    /// for its own pace, and a chunk costs no clock read (the clock is read once per wait).
    /// Timers are registered only once the body actually has to wait, so a small body
    /// that arrives with the headers never touches tokio's timer wheel; the idle timer is
    /// re-armed lazily when it fires.
    pub(crate) struct TimedBody<S> {
        #[pin]
        inner: S,
        // `Some` exactly when there is an idle limit.
        idle: Option<Duration>,
        // When the idle gap started: the first wait after the last chunk taken.
        last_chunk: Option<Instant>,
        // A chunk was taken since `last_chunk` was set: the next wait starts a new gap.
        chunk_since: bool,
        #[pin]
        idle_timer: Option<Sleep>,
        deadline: Option<Instant>,
        #[pin]
        deadline_timer: Option<Sleep>,
        exchange: Exchange,
        done: bool,
        // The waker the armed timers hold, once every timer has registered with it: while it
        // stays the reader's and no timer has fired, a wait needs no timer poll (the timers
        // wake the reader themselves).
        armed_for: Option<Waker>,
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
        let grace = match (idle, first_byte) {
            (Some(idle), Some(first_byte)) => first_byte.saturating_sub(idle),
            _ => Duration::ZERO,
        };
        Self {
            inner,
            idle,
            // The idle timer fires at `last_chunk + idle`: starting it `grace` later gives the
            // first chunk `max(idle, first_byte)`.
            last_chunk: idle.map(|_| Instant::now() + grace),
            chunk_since: false,
            idle_timer: None,
            deadline,
            deadline_timer: None,
            exchange,
            done: false,
            armed_for: None,
        }
    }
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
                *this.chunk_since = true;
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
        if std::mem::take(this.chunk_since) && this.last_chunk.is_some() {
            *this.last_chunk = Some(Instant::now());
        }
        let fired = |timer: Option<Pin<&Sleep>>| timer.is_some_and(|timer| timer.is_elapsed());
        if this
            .armed_for
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
            && !fired(this.deadline_timer.as_ref().as_pin_ref())
            && !fired(this.idle_timer.as_ref().as_pin_ref())
        {
            return Poll::Pending;
        }

        if let Some(at) = *this.deadline {
            if this.deadline_timer.is_none() {
                this.deadline_timer.set(Some(sleep_until(at)));
            }
            if let Some(timer) = this.deadline_timer.as_mut().as_pin_mut()
                && timer.poll(cx).is_ready()
            {
                *this.done = true;
                let message = this.exchange.describe();
                return Poll::Ready(Some(Err(TransportError::timeout(
                    TimeoutKind::Deadline,
                    message,
                ))));
            }
        }

        // `None` when too far away to represent: no idle limit in practice.
        let due = this
            .idle
            .zip(*this.last_chunk)
            .and_then(|(idle, last_chunk)| last_chunk.checked_add(idle));
        if let Some(due) = due {
            if this.idle_timer.is_none() {
                this.idle_timer.set(Some(sleep_until(due)));
            }
            if let Some(mut timer) = this.idle_timer.as_mut().as_pin_mut() {
                while timer.as_mut().poll(cx).is_ready() {
                    if due <= timer.deadline() {
                        *this.done = true;
                        let message = this.exchange.describe();
                        return Poll::Ready(Some(Err(TransportError::timeout(
                            TimeoutKind::Idle,
                            message,
                        ))));
                    }
                    // A chunk came since the timer was armed: wait out the rest of the gap.
                    timer.as_mut().reset(due);
                }
            }
        }
        // Every armed timer was just polled with this waker, and registered with it unless the
        // task's budget ran out: a timer polled without budget returns `Pending` without
        // registering (tokio wakes the task to poll again), and is not registered until then.
        // The budget never grows within a poll, so one left now means none was refused.
        if tokio::task::coop::has_budget_remaining()
            && (this.deadline_timer.is_some() || this.idle_timer.is_some())
        {
            match this.armed_for {
                Some(waker) => waker.clone_from(cx.waker()),
                None => *this.armed_for = Some(cx.waker().clone()),
            }
        } else {
            *this.armed_for = None;
        }
        Poll::Pending
    }
}
