//! What a transport hands back once the response headers have arrived.

use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_LENGTH, HeaderMap};

use crate::{Body, BodyStream, TransportError};

/// A response whose headers have arrived and whose body has not been read yet.
///
/// Dropping it, or the [`BodyStream`] made from it, before the body is complete stops
/// the transfer (a network transport closes the connection rather than reading on).
#[derive(Debug)]
pub struct TransportResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
}

impl TransportResponse {
    /// A response from its parts: for mocks, tests and decorators that rebuild one.
    pub fn new(status: StatusCode, headers: HeaderMap, body: Body) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, for decorators that adjust them.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// Reads the whole body, failing with
    /// [`ErrorKind::BodyTooLarge`](crate::ErrorKind::BodyTooLarge) once more than `limit`
    /// bytes arrived. A `Content-Length` above the limit fails before anything is read.
    pub async fn bytes_limited(self, limit: usize) -> Result<Bytes, TransportError> {
        if self.content_length().is_some_and(|len| len > limit as u64) {
            return Err(TransportError::body_too_large(limit));
        }
        self.body.bytes_limited(limit).await
    }

    /// The body as a stream of chunks, delivered as they arrive.
    pub fn into_stream(self) -> BodyStream {
        self.body.into_stream()
    }

    /// The body, unread.
    pub fn into_body(self) -> Body {
        self.body
    }

    /// Takes the response apart: status, headers, body.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, Body) {
        (self.status, self.headers, self.body)
    }

    /// The `Content-Length` header, when present and valid.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use http::HeaderValue;

    #[test]
    fn a_large_content_length_fails_before_reading() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("1000000"));
        // The body itself would fit: the header alone decides.
        let response = TransportResponse::new(StatusCode::OK, headers, Body::from_bytes("x"));
        assert_eq!(response.content_length(), Some(1_000_000));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut future = std::pin::pin!(response.bytes_limited(1024));
        let std::task::Poll::Ready(Err(err)) = future.as_mut().poll(&mut cx) else {
            panic!("expected an immediate error");
        };
        assert_eq!(err.kind(), ErrorKind::BodyTooLarge { limit: 1024 });
    }
}
