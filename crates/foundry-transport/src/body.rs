//! Response bodies: whole or streamed, both behind one type.

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

use crate::TransportError;
use crate::body_watch::{BodyEnd, BodyWatcher, Watchers};

type DynStream = Pin<Box<dyn Stream<Item = Result<Bytes, TransportError>> + Send>>;

/// The body of a [`TransportResponse`](crate::TransportResponse), not yet read.
///
/// Read it whole with [`Body::bytes_limited`] or chunk by chunk with
/// [`Body::into_stream`]. Dropping it (or the stream made from it) stops reading; for
/// a network transport that cancels the request.
pub struct Body {
    inner: Inner,
    watchers: Watchers,
}

enum Inner {
    /// A body already in memory: yielded as one chunk, unless empty.
    Full(Option<Bytes>),
    /// Chunks as they arrive.
    Stream(DynStream),
}

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        Self {
            inner: Inner::Full(None),
            watchers: Watchers::default(),
        }
    }

    /// A body already in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            inner: Inner::Full((!bytes.is_empty()).then_some(bytes)),
            watchers: Watchers::default(),
        }
    }

    /// A body read from a stream of chunks. For transports, mocks and decorators that
    /// wrap another body.
    pub fn from_stream<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, TransportError>> + Send + 'static,
    {
        Self {
            inner: Inner::Stream(Box::pin(stream)),
            watchers: Watchers::default(),
        }
    }

    /// Adds a watcher that is told how this body ends: read to its end, failed, or dropped
    /// unfinished (also as a stream made with [`into_stream`](Self::into_stream)). Watchers
    /// are told in the order they were added.
    ///
    /// For decorators that must act when a body is over (give back a slot, count a failure).
    #[must_use]
    pub fn watched(mut self, watcher: impl BodyWatcher) -> Self {
        self.watchers.push(Box::new(watcher));
        self
    }

    /// The body as a stream of chunks.
    pub fn into_stream(self) -> BodyStream {
        BodyStream {
            inner: self.inner,
            watchers: self.watchers,
        }
    }

    /// Reads the whole body, failing with [`ErrorKind::BodyTooLarge`] as soon as more
    /// than `limit` bytes have arrived; the rest is not read.
    ///
    /// [`ErrorKind::BodyTooLarge`]: crate::ErrorKind::BodyTooLarge
    pub async fn bytes_limited(self, limit: usize) -> Result<Bytes, TransportError> {
        let Self {
            inner,
            mut watchers,
        } = self;
        let read = match inner {
            Inner::Full(bytes) => {
                let bytes = bytes.unwrap_or_default();
                if bytes.len() > limit {
                    // Too large is the reader's limit, not the server's failure: the watchers
                    // hear "dropped" when `watchers` goes.
                    return Err(TransportError::body_too_large(limit));
                }
                Ok(bytes)
            }
            Inner::Stream(stream) => collect(stream, limit, &mut watchers).await,
        };
        if read.is_ok() {
            watchers.tell(BodyEnd::Complete);
        }
        read
    }
}

/// Gathers chunks up to `limit` bytes. A body that arrives as one chunk is returned
/// without copying.
async fn collect(
    mut stream: DynStream,
    limit: usize,
    watchers: &mut Watchers,
) -> Result<Bytes, TransportError> {
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut total = 0usize;
    while let Some(chunk) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                watchers.tell(BodyEnd::Failed(&error));
                return Err(error);
            }
        };
        total = total.saturating_add(chunk.len());
        if total > limit {
            // Returning drops the stream, which stops the transfer.
            return Err(TransportError::body_too_large(limit));
        }
        match (&mut joined, first.take()) {
            (Some(buf), _) => buf.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(previous)) => {
                let mut buf = BytesMut::with_capacity(previous.len() + chunk.len());
                buf.extend_from_slice(&previous);
                buf.extend_from_slice(&chunk);
                joined = Some(buf);
            }
        }
    }
    Ok(match joined {
        Some(buf) => buf.freeze(),
        None => first.unwrap_or_default(),
    })
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Self::from_bytes(bytes)
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_inner(&self.inner, "Body", f)
    }
}

/// A response body as a stream of chunks; ends after the last chunk or the first error.
///
/// It is `Send` and `Unpin`, so it can be polled from any task and moved freely.
pub struct BodyStream {
    inner: Inner,
    watchers: Watchers,
}

impl Stream for BodyStream {
    type Item = Result<Bytes, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let poll = match &mut self.inner {
            Inner::Full(bytes) => Poll::Ready(bytes.take().map(Ok)),
            Inner::Stream(stream) => stream.as_mut().poll_next(cx),
        };
        if !self.watchers.is_empty() {
            match &poll {
                Poll::Ready(None) => self.watchers.tell(BodyEnd::Complete),
                Poll::Ready(Some(Err(error))) => self.watchers.tell(BodyEnd::Failed(error)),
                _ => {}
            }
        }
        poll
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Inner::Full(bytes) => {
                let n = usize::from(bytes.is_some());
                (n, Some(n))
            }
            Inner::Stream(stream) => stream.size_hint(),
        }
    }
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_inner(&self.inner, "BodyStream", f)
    }
}

fn fmt_inner(inner: &Inner, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match inner {
        Inner::Full(bytes) => f
            .debug_struct(name)
            .field("len", &bytes.as_ref().map_or(0, Bytes::len))
            .finish(),
        Inner::Stream(_) => f.debug_struct(name).field("streaming", &true).finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        // The futures here never wait on I/O, so a no-op waker is enough.
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    /// Yields its chunks in order and counts how many were pulled.
    struct Chunks(Vec<Result<Bytes, TransportError>>, Arc<AtomicUsize>);

    impl Stream for Chunks {
        type Item = Result<Bytes, TransportError>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.1.fetch_add(1, Ordering::Relaxed);
            Poll::Ready(if self.0.is_empty() {
                None
            } else {
                Some(self.0.remove(0))
            })
        }
    }

    #[test]
    fn collects_chunks_within_the_limit() {
        let body = Body::from_stream(Chunks(
            vec![Ok(Bytes::from_static(b"ab")), Ok(Bytes::from_static(b"cd"))],
            Arc::default(),
        ));
        assert_eq!(block_on(body.bytes_limited(4)).unwrap(), "abcd");
        assert_eq!(
            block_on(Body::from_bytes("xyz").bytes_limited(3)).unwrap(),
            "xyz"
        );
        assert_eq!(block_on(Body::empty().bytes_limited(0)).unwrap(), "");
    }

    #[test]
    fn over_the_limit_is_a_typed_error() {
        let chunks = (0..100)
            .map(|_| Ok(Bytes::from_static(b"0123456789")))
            .collect();
        let pulled = Arc::new(AtomicUsize::new(0));
        let body = Body::from_stream(Chunks(chunks, pulled.clone()));
        let err = block_on(body.bytes_limited(25)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BodyTooLarge { limit: 25 });
        // Three chunks of ten cross the limit: the other 97 were never pulled.
        assert_eq!(pulled.load(Ordering::Relaxed), 3);
        let err = block_on(Body::from_bytes("toolong").bytes_limited(3)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BodyTooLarge { limit: 3 });
    }

    #[test]
    fn full_body_streams_as_one_chunk() {
        let mut stream = Body::from_bytes("hello").into_stream();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let first = Pin::new(&mut stream).poll_next(&mut cx);
        assert!(matches!(first, Poll::Ready(Some(Ok(ref b))) if b == "hello"));
        assert!(matches!(
            Pin::new(&mut stream).poll_next(&mut cx),
            Poll::Ready(None)
        ));
        let mut empty = Body::empty().into_stream();
        assert!(matches!(
            Pin::new(&mut empty).poll_next(&mut cx),
            Poll::Ready(None)
        ));
    }
}
