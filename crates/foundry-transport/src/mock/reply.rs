//! What a mock answers: a response (possibly with body faults) or an error.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::body::{BodyEnd, ScriptedBody};
use crate::{Body, ErrorKind, TransportError, TransportResponse};

/// A scripted response: status, headers, and a body that may arrive in timed chunks,
/// stall, or break off.
///
/// ```
/// use foundry_transport::mock::MockResponse;
/// use std::time::Duration;
///
/// // A stream that sends two chunks 50 ms apart and then loses the connection.
/// let reply = MockResponse::new(200)
///     .header("content-type", "text/event-stream")
///     .chunks(["data: a\n\n", "data: b\n\n"])
///     .chunk_delay(Duration::from_millis(50))
///     .break_after(18);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct MockResponse {
    status: StatusCode,
    headers: HeaderMap,
    chunks: Vec<Bytes>,
    chunk_delay: Option<Duration>,
    end: BodyEnd,
    delay: Option<Duration>,
}

impl MockResponse {
    /// A response with `status` and an empty body.
    ///
    /// # Panics
    /// If `status` is not a valid status code (100–999): a mistake in the test itself.
    pub fn new(status: u16) -> Self {
        let status = StatusCode::from_u16(status)
            .unwrap_or_else(|_| panic!("MockResponse::new: {status} is not a status code"));
        Self {
            status,
            headers: HeaderMap::new(),
            chunks: Vec::new(),
            chunk_delay: None,
            end: BodyEnd::Complete,
            delay: None,
        }
    }

    /// `200 OK` with an empty body.
    pub fn ok() -> Self {
        Self::new(200)
    }

    /// `200 OK` with a JSON body and `Content-Type: application/json`.
    pub fn json(body: impl Into<Bytes>) -> Self {
        Self::ok().json_body(body)
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json_body(self, body: impl Into<Bytes>) -> Self {
        self.header("content-type", "application/json").body(body)
    }

    /// Sets a header, replacing any value it had.
    ///
    /// # Panics
    /// If the name or value is not valid in HTTP: a mistake in the test itself.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name)
            .unwrap_or_else(|_| panic!("MockResponse::header: invalid name {name:?}"));
        let value = HeaderValue::try_from(value)
            .unwrap_or_else(|_| panic!("MockResponse::header: invalid value {value:?}"));
        self.headers.insert(name, value);
        self
    }

    /// Sets the body, sent as one chunk.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        self.chunks = if body.is_empty() {
            Vec::new()
        } else {
            vec![body]
        };
        self
    }

    /// Sets the body as separate chunks, delivered one by one.
    pub fn chunks<I>(mut self, chunks: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Bytes>,
    {
        self.chunks = chunks.into_iter().map(Into::into).collect();
        self
    }

    /// Waits `delay` (on tokio's clock) before each chunk after the first.
    pub fn chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = Some(delay);
        self
    }

    /// After `bytes` bytes of body, the stream goes silent forever, as a hung server's
    /// would: only an idle timer or a deadline ends it.
    pub fn stall_after(mut self, bytes: usize) -> Self {
        self.end = BodyEnd::StallAfter(bytes);
        self
    }

    /// After `bytes` bytes of body, the stream fails with
    /// [`ErrorKind::ConnectionClosed`], as when the server resets the connection.
    pub fn break_after(mut self, bytes: usize) -> Self {
        self.end = BodyEnd::BreakAfter(bytes);
        self
    }

    /// Waits `delay` (on tokio's clock) before the headers arrive.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// The response this script describes, for use outside a [`MockTransport`]
    /// (in a [`transport_fn`] closure, for example).
    ///
    /// [`MockTransport`]: super::MockTransport
    /// [`transport_fn`]: super::transport_fn
    pub fn into_response(self) -> TransportResponse {
        let body = match (self.chunks.len(), self.end) {
            (0, BodyEnd::Complete) => Body::empty(),
            (1, BodyEnd::Complete) => Body::from_bytes(self.chunks[0].clone()),
            _ => Body::from_stream(ScriptedBody::new(self.chunks, self.chunk_delay, self.end)),
        };
        TransportResponse::new(self.status, self.headers, body)
    }

    pub(super) fn header_delay(&self) -> Option<Duration> {
        self.delay
    }
}

/// A scripted failure: an error of a given kind, optionally after a delay.
///
/// `ErrorKind` converts into a reply too, so `mock.push(ErrorKind::Connect)` works.
#[derive(Clone)]
#[must_use]
pub struct MockError {
    kind: ErrorKind,
    message: Cow<'static, str>,
    retry_after: Option<Duration>,
    delay: Option<Duration>,
    make: Option<Arc<dyn Fn() -> TransportError + Send + Sync>>,
}

impl MockError {
    /// An error of `kind`, with the message "scripted by MockTransport".
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            message: Cow::Borrowed("scripted by MockTransport"),
            retry_after: None,
            delay: None,
            make: None,
        }
    }

    /// The error `make` builds, each time this reply is used (so it may carry a source).
    pub fn from_fn(make: impl Fn() -> TransportError + Send + Sync + 'static) -> Self {
        Self {
            make: Some(Arc::new(make)),
            ..Self::new(ErrorKind::Other)
        }
    }

    /// Sets the error's context message.
    pub fn message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = message.into();
        self
    }

    /// Sets the error's retry-after hint.
    pub fn retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// Waits `delay` (on tokio's clock) before failing.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    pub(super) fn header_delay(&self) -> Option<Duration> {
        self.delay
    }

    /// The error this script describes.
    pub fn to_error(&self) -> TransportError {
        if let Some(make) = &self.make {
            return make();
        }
        let err = TransportError::new(self.kind, self.message.clone());
        match self.retry_after {
            Some(after) => err.with_retry_after(after),
            None => err,
        }
    }
}

impl fmt::Debug for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("retry_after", &self.retry_after)
            .field("delay", &self.delay)
            .field("from_fn", &self.make.is_some())
            .finish()
    }
}

/// Either a [`MockResponse`] or a [`MockError`]: what a mock hands out for one request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MockReply {
    /// Answer with this response.
    Response(MockResponse),
    /// Fail with this error.
    Error(MockError),
}

impl MockReply {
    pub(super) fn header_delay(&self) -> Option<Duration> {
        match self {
            Self::Response(response) => response.header_delay(),
            Self::Error(error) => error.header_delay(),
        }
    }
}

impl From<MockResponse> for MockReply {
    fn from(response: MockResponse) -> Self {
        Self::Response(response)
    }
}

impl From<MockError> for MockReply {
    fn from(error: MockError) -> Self {
        Self::Error(error)
    }
}

impl From<ErrorKind> for MockReply {
    fn from(kind: ErrorKind) -> Self {
        Self::Error(MockError::new(kind))
    }
}

impl From<MockResponse> for TransportResponse {
    fn from(response: MockResponse) -> Self {
        response.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::CONTENT_TYPE;

    #[test]
    fn json_sets_status_content_type_and_body() {
        let response = MockResponse::json(r#"{"a":1}"#).into_response();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn errors_carry_their_settings() {
        let err = MockError::new(ErrorKind::Rejected)
            .retry_after(Duration::from_secs(2))
            .to_error();
        assert_eq!(err.kind(), ErrorKind::Rejected);
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    }
}
