//! A reqwest response body as a stream of data chunks.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use http_body::Body;

use super::classify;
use crate::TransportError;

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

/// A failure while reading the body; the timed wrapper, which knows the URL, fills in the message.
fn body_failure(err: reqwest::Error) -> TransportError {
    TransportError::new(classify::in_body(&err), "").with_source(err.without_url())
}

impl<B> Stream for DataFrames<B>
where
    B: Body<Data = Bytes, Error = reqwest::Error> + Unpin,
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
