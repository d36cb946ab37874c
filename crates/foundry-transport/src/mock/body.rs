//! The body stream of a scripted response: timed chunks, then an end, a stall or a break.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use tokio::time::{Sleep, sleep};

use crate::TransportError;

/// How a scripted body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyEnd {
    /// After the last chunk, cleanly.
    Complete,
    /// After this many bytes, silence forever.
    StallAfter(usize),
    /// After this many bytes, a `ConnectionClosed` error.
    BreakAfter(usize),
}

/// Yields the scripted chunks, cut at the fault's byte count if there is one.
pub(super) struct ScriptedBody {
    chunks: VecDeque<Bytes>,
    chunk_delay: Option<Duration>,
    end: BodyEnd,
    /// Bytes still allowed before the fault, when there is one.
    budget: Option<usize>,
    sleep: Option<Pin<Box<Sleep>>>,
    sent_any: bool,
    finished: bool,
}

impl ScriptedBody {
    pub(super) fn new(chunks: Vec<Bytes>, chunk_delay: Option<Duration>, end: BodyEnd) -> Self {
        let budget = match end {
            BodyEnd::Complete => None,
            BodyEnd::StallAfter(n) | BodyEnd::BreakAfter(n) => Some(n),
        };
        Self {
            chunks: chunks.into_iter().filter(|c| !c.is_empty()).collect(),
            chunk_delay,
            end,
            budget,
            sleep: None,
            sent_any: false,
            finished: false,
        }
    }

    /// What happens once the chunks (or the budget) are used up.
    fn poll_end(&mut self) -> Poll<Option<Result<Bytes, TransportError>>> {
        match self.end {
            BodyEnd::Complete => {
                self.finished = true;
                Poll::Ready(None)
            }
            // Never woken: like a server that stopped sending without closing.
            BodyEnd::StallAfter(_) => Poll::Pending,
            BodyEnd::BreakAfter(n) => {
                self.finished = true;
                Poll::Ready(Some(Err(TransportError::connection_closed(format!(
                    "scripted by MockTransport: connection closed after {n} bytes"
                )))))
            }
        }
    }
}

impl Stream for ScriptedBody {
    type Item = Result<Bytes, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        if let Some(sleep) = this.sleep.as_mut() {
            ready!(sleep.as_mut().poll(cx));
            this.sleep = None;
        } else if let Some(delay) = this.chunk_delay
            && this.sent_any
            && !this.chunks.is_empty()
            && this.budget != Some(0)
        {
            let mut timer = Box::pin(sleep(delay));
            if timer.as_mut().poll(cx).is_pending() {
                this.sleep = Some(timer);
                return Poll::Pending;
            }
        }
        let Some(mut chunk) = this.chunks.pop_front() else {
            return this.poll_end();
        };
        if let Some(budget) = this.budget.as_mut() {
            if *budget == 0 {
                return this.poll_end();
            }
            if chunk.len() > *budget {
                chunk.truncate(*budget);
                this.chunks.clear();
            }
            *budget -= chunk.len();
        }
        this.sent_any = true;
        Poll::Ready(Some(Ok(chunk)))
    }
}
