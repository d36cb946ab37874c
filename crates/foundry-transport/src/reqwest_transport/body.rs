//! reqwest's response body as a stream of data chunks.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use http_body::Body as _;

use super::classify;
use crate::TransportError;

/// Polls the `http_body::Body` directly (no `stream` feature, no extra boxing) and skips
/// trailers. Dropping it drops the connection's body, which aborts the transfer.
pub(super) struct ReqwestBody {
    inner: reqwest::Body,
}

impl ReqwestBody {
    pub(super) fn new(inner: reqwest::Body) -> Self {
        Self { inner }
    }
}

impl Stream for ReqwestBody {
    type Item = Result<Bytes, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let frame = match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Ok(frame)) => frame,
                Some(Err(err)) => {
                    // The message is filled in by the timed wrapper, which knows the URL.
                    let kind = classify::in_body(&err);
                    return Poll::Ready(Some(Err(
                        TransportError::new(kind, "").with_source(err.without_url())
                    )));
                }
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
