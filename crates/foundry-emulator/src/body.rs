//! The HTTP body type handed to hyper: a whole buffer, or a [`ChunkPlan`] played out over time.

use std::error::Error;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

use crate::reply::{ChunkPlan, StreamEnd};

/// Raised by a body to make hyper drop the connection mid-body (an injected reset).
#[derive(Debug)]
pub(crate) struct Aborted;

impl fmt::Display for Aborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl Error for Aborted {}

/// The response body of every emulator answer.
pub(crate) enum Body {
    Full(Option<Bytes>),
    Chunks(Box<Played>),
}

/// A chunk plan being played out.
pub(crate) struct Played {
    plan: ChunkPlan,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Whether the pause before the next chunk has already been taken.
    waited: bool,
    started: bool,
    finished: bool,
    /// Set once the flush pause before a deliberate abort has begun.
    aborting: bool,
}

/// Pause before a deliberate abort, so hyper flushes what was sent before dropping the connection.
const FLUSH_BEFORE_ABORT: std::time::Duration = std::time::Duration::from_millis(20);

impl Body {
    pub(crate) fn full(bytes: Bytes) -> Self {
        Self::Full(Some(bytes))
    }

    pub(crate) fn chunks(plan: ChunkPlan) -> Self {
        Self::Chunks(Box::new(Played {
            plan,
            sleep: None,
            waited: false,
            started: false,
            finished: false,
            aborting: false,
        }))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Aborted;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Aborted>>> {
        match self.get_mut() {
            Self::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Self::Chunks(played) => played.poll_next(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Self::Chunks(played) => played.finished,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            // A declared length is sent as a header; hyper then frames the body by it.
            Self::Chunks(_) => SizeHint::default(),
        }
    }
}

impl Played {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Aborted>>> {
        loop {
            if let Some(sleep) = self.sleep.as_mut() {
                ready!(sleep.as_mut().poll(cx));
                self.sleep = None;
            }
            if self.finished {
                return Poll::Ready(None);
            }
            if !self.plan.chunks.is_empty() {
                let pause = if self.started {
                    self.plan.delay
                } else {
                    self.plan.first_delay
                };
                if !self.waited && !pause.is_zero() {
                    self.waited = true;
                    self.sleep = Some(Box::pin(tokio::time::sleep(pause)));
                    continue;
                }
                self.waited = false;
                self.started = true;
                let chunk = self.plan.chunks.pop_front().unwrap_or_default();
                if self.plan.chunks.is_empty()
                    && let Some(done) = self.plan.on_complete.take()
                {
                    done();
                }
                return Poll::Ready(Some(Ok(Frame::data(chunk))));
            }
            match self.plan.end {
                StreamEnd::Clean => {
                    self.finished = true;
                    return Poll::Ready(None);
                }
                StreamEnd::Abort if !self.aborting => {
                    self.aborting = true;
                    self.sleep = Some(Box::pin(tokio::time::sleep(FLUSH_BEFORE_ABORT)));
                }
                StreamEnd::Abort => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(Aborted)));
                }
                StreamEnd::Stall(pause) => {
                    self.plan.end = StreamEnd::Abort;
                    self.sleep = Some(Box::pin(tokio::time::sleep(pause)));
                }
            }
        }
    }
}
