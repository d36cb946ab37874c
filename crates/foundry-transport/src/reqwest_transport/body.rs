//! A response body — reqwest's or hyper's — as a stream of data chunks.

use std::error::Error as StdError;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use http_body::Body;

use super::classify;
use crate::{ErrorKind, TransportError};

/// A body error of one of the two paths: its kind, and what is kept as the error's source.
pub(super) trait BodyError: StdError + Send + Sync + Sized + 'static {
    /// The kind of a failure while reading the body.
    fn kind(&self) -> ErrorKind;
    /// The error as the source of ours.
    fn into_source(self) -> Self {
        self
    }
}

impl BodyError for reqwest::Error {
    fn kind(&self) -> ErrorKind {
        classify::in_body(self)
    }

    // The URL is in our message already (with any password redacted).
    fn into_source(self) -> Self {
        self.without_url()
    }
}

impl BodyError for hyper::Error {
    fn kind(&self) -> ErrorKind {
        classify::in_body_chain(self)
    }
}

/// Polls the `http_body::Body` directly (no `stream` feature, no extra boxing) and skips
/// trailers. Dropping it drops the connection's body, which aborts the transfer.
pub(super) struct DataFrames<B> {
    inner: B,
}

impl<B> DataFrames<B> {
    pub(super) fn new(inner: B) -> Self {
        Self { inner }
    }
}

/// A failure while reading the body, out of line: the code read per chunk stays small.
#[cold]
#[inline(never)]
fn body_failure<E: BodyError>(err: E) -> TransportError {
    // The message is filled in by the timed wrapper, which knows the URL.
    let kind = err.kind();
    TransportError::new(kind, "").with_source(err.into_source())
}

impl<B> Stream for DataFrames<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: BodyError,
{
    type Item = Result<Bytes, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let frame = match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Ok(frame)) => frame,
                Some(Err(err)) => return Poll::Ready(Some(Err(body_failure(err)))),
            };
            if let Ok(data) = frame.into_data() {
                return Poll::Ready(Some(Ok(data)));
            }
            // Trailers carry nothing the caller reads; poll on.
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Chunk counts are unknown even when the byte length is.
        (0, None)
    }
}
