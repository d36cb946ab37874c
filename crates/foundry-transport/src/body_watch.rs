//! Being told how a body ended, without wrapping it in another stream.
//!
//! Decorators (a concurrency limit, a circuit breaker) must learn when a response body is over:
//! read to its end, failed in the middle, or dropped unfinished. A watcher is told exactly that,
//! once, without the decorator having to wrap and forward the body's chunks.

use std::fmt;

use crate::TransportError;

/// How a body ended.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum BodyEnd<'a> {
    /// Read to its end.
    Complete,
    /// Failed with this error (a broken connection, a stall, a body over its size limit is
    /// [`Dropped`](Self::Dropped) instead: the reader stopped, the server did nothing wrong).
    Failed(&'a TransportError),
    /// Dropped before its end: the reader stopped reading.
    Dropped,
}

/// Told once how a body ended; see [`Body::watched`](crate::Body::watched).
pub trait BodyWatcher: Send + 'static {
    /// Called exactly once, when the body ends in any way.
    fn body_ended(self: Box<Self>, end: BodyEnd<'_>);
}

/// The watchers of one body, told in the order they were added (the innermost decorator first).
#[derive(Default)]
pub(crate) struct Watchers(Vec<Box<dyn BodyWatcher>>);

impl Watchers {
    pub(crate) fn push(&mut self, watcher: Box<dyn BodyWatcher>) {
        self.0.push(watcher);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Tells every watcher, once: later calls (and the drop) find none left.
    pub(crate) fn tell(&mut self, end: BodyEnd<'_>) {
        for watcher in self.0.drain(..) {
            watcher.body_ended(end);
        }
    }
}

impl Drop for Watchers {
    fn drop(&mut self) {
        self.tell(BodyEnd::Dropped);
    }
}

impl fmt::Debug for Watchers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} watcher(s)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};

    use bytes::Bytes;
    use futures_core::Stream;

    use super::*;
    use crate::{Body, ErrorKind};

    /// Writes how the body ended, with its name, into a shared log.
    struct Log(&'static str, Arc<Mutex<Vec<String>>>);

    impl BodyWatcher for Log {
        fn body_ended(self: Box<Self>, end: BodyEnd<'_>) {
            let end = match end {
                BodyEnd::Complete => "complete".to_owned(),
                BodyEnd::Failed(error) => format!("failed: {}", error.kind()),
                BodyEnd::Dropped => "dropped".to_owned(),
            };
            self.1.lock().unwrap().push(format!("{} {end}", self.0));
        }
    }

    fn watched(body: Body) -> (Body, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let body = body
            .watched(Log("inner", log.clone()))
            .watched(Log("outer", log.clone()));
        (body, log)
    }

    #[test]
    fn many_watchers_are_told_in_order() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let body = ["a", "b", "c", "d"]
            .into_iter()
            .fold(Body::from_bytes("x"), |body, name| {
                body.watched(Log(name, log.clone()))
            });
        drop(body);
        assert_eq!(
            entries(&log),
            ["a dropped", "b dropped", "c dropped", "d dropped"]
        );
    }

    fn entries(log: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
        log.lock().unwrap().clone()
    }

    fn chunks(items: Vec<Result<Bytes, crate::TransportError>>) -> Body {
        Body::from_stream(stream_of(items))
    }

    /// A stream over a list, without pulling in a stream library for the tests.
    fn stream_of(
        items: Vec<Result<Bytes, crate::TransportError>>,
    ) -> impl Stream<Item = Result<Bytes, crate::TransportError>> + Send {
        struct Items(std::vec::IntoIter<Result<Bytes, crate::TransportError>>);
        impl Stream for Items {
            type Item = Result<Bytes, crate::TransportError>;
            fn poll_next(
                mut self: Pin<&mut Self>,
                _: &mut Context<'_>,
            ) -> Poll<Option<Self::Item>> {
                Poll::Ready(self.0.next())
            }
        }
        Items(items.into_iter())
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    fn drain(mut stream: crate::BodyStream) -> usize {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut items = 0;
        while let Poll::Ready(Some(item)) = Pin::new(&mut stream).poll_next(&mut cx) {
            items += 1;
            if item.is_err() {
                break;
            }
        }
        items
    }

    #[test]
    fn a_stream_read_to_its_end_is_complete_once_inner_watcher_first() {
        let (body, log) = watched(chunks(vec![Ok(Bytes::from_static(b"a"))]));
        let mut stream = body.into_stream();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            Pin::new(&mut stream).poll_next(&mut cx),
            Poll::Ready(Some(Ok(_)))
        ));
        assert!(entries(&log).is_empty(), "nothing is told before the end");
        assert!(matches!(
            Pin::new(&mut stream).poll_next(&mut cx),
            Poll::Ready(None)
        ));
        drop(stream);
        assert_eq!(entries(&log), ["inner complete", "outer complete"]);
    }

    #[test]
    fn a_failed_stream_tells_the_error_and_a_dropped_one_says_so() {
        let error = crate::TransportError::new(ErrorKind::ConnectionClosed, "reset");
        let (body, log) = watched(chunks(vec![Ok(Bytes::from_static(b"a")), Err(error)]));
        assert_eq!(drain(body.into_stream()), 2);
        assert_eq!(
            entries(&log),
            [
                "inner failed: connection closed",
                "outer failed: connection closed"
            ]
        );

        let (body, log) = watched(chunks(vec![Ok(Bytes::from_static(b"a"))]));
        drop(body);
        assert_eq!(entries(&log), ["inner dropped", "outer dropped"]);
    }

    #[test]
    fn reading_whole_bodies_tells_complete_failed_or_dropped() {
        let (body, log) = watched(Body::from_bytes("abc"));
        assert_eq!(block_on(body.bytes_limited(10)).unwrap(), "abc");
        assert_eq!(entries(&log), ["inner complete", "outer complete"]);

        // Over the limit: the reader stopped, which is not the server's failure.
        let (body, log) = watched(chunks(vec![Ok(Bytes::from_static(b"abcdef"))]));
        assert!(block_on(body.bytes_limited(3)).is_err());
        assert_eq!(entries(&log), ["inner dropped", "outer dropped"]);

        let error = crate::TransportError::new(ErrorKind::ConnectionClosed, "reset");
        let (body, log) = watched(chunks(vec![Err(error)]));
        assert!(block_on(body.bytes_limited(3)).is_err());
        assert_eq!(
            entries(&log),
            [
                "inner failed: connection closed",
                "outer failed: connection closed"
            ]
        );
    }
}
