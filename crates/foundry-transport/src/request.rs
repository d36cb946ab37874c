//! What a caller asks a transport to send.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::url::{is_absolute, join, path_of};
use crate::{ErrorKind, Timeouts, TransportError};

/// One HTTP request, ready to be sent (and sent again: cloning is cheap).
///
/// The target is either an absolute URL or a path that the transport joins to its base
/// URL (see [`TransportRequest::url`]). Method, target, headers and body are shared
/// between clones (and copied only when a clone is changed), so a retry decorator keeps
/// the request for another attempt without copying it.
///
/// ```
/// use foundry_transport::{Timeouts, TransportRequest};
/// use std::time::Duration;
///
/// let request = TransportRequest::post_json("/v1/chat/completions", r#"{"model":"m"}"#)
///     .idempotent(true)
///     .with_timeouts(Timeouts::new().with_first_byte(Duration::from_secs(120)));
/// assert!(request.is_idempotent());
/// assert_eq!(request.path(), "/v1/chat/completions");
/// ```
#[derive(Clone)]
pub struct TransportRequest {
    parts: Arc<Parts>,
    idempotent: Option<bool>,
    timeouts: Timeouts,
}

/// What clones of a request share.
#[derive(Debug, Clone)]
struct Parts {
    method: Method,
    target: String,
    headers: HeaderMap,
    body: Bytes,
}

impl fmt::Debug for TransportRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportRequest")
            .field("method", &self.parts.method)
            .field("target", &self.parts.target)
            .field("headers", &self.parts.headers)
            .field("body", &self.parts.body)
            .field("idempotent", &self.idempotent)
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

impl TransportRequest {
    /// A request with `method` for `target` (an absolute URL or a path), no headers and
    /// an empty body.
    pub fn new(method: Method, target: impl Into<String>) -> Self {
        Self {
            parts: Arc::new(Parts {
                method,
                target: target.into(),
                headers: HeaderMap::new(),
                body: Bytes::new(),
            }),
            idempotent: None,
            timeouts: Timeouts::new(),
        }
    }

    /// A `GET` of `target`.
    pub fn get(target: impl Into<String>) -> Self {
        Self::new(Method::GET, target)
    }

    /// A `DELETE` of `target`.
    pub fn delete(target: impl Into<String>) -> Self {
        Self::new(Method::DELETE, target)
    }

    /// A `POST` of `body` to `target`, without a content type.
    pub fn post(target: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self::new(Method::POST, target).body(body)
    }

    /// A `POST` of a JSON document to `target`, with `Content-Type: application/json`.
    pub fn post_json(target: impl Into<String>, json: impl Into<Bytes>) -> Self {
        Self::post(target, json).header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )
    }

    /// Sets a header, replacing any value it had. Credentials (`Authorization`,
    /// `Proxy-Authorization`, `Cookie`, `X-Api-Key`, `Api-Key`) are marked sensitive so
    /// that `Debug` output does not show them.
    #[must_use]
    pub fn header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        if is_credential(&name) {
            value.set_sensitive(true);
        }
        self.headers_mut().insert(name, value);
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        Arc::make_mut(&mut self.parts).body = body.into();
        self
    }

    /// Says whether sending this request twice is harmless, overriding the default that
    /// follows from the method (see [`TransportRequest::is_idempotent`]).
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Sets timer overrides for this request; unset timers fall back to the transport's.
    #[must_use]
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.parts.method
    }

    /// The target exactly as given: an absolute URL or a path.
    pub fn target(&self) -> &str {
        &self.parts.target
    }

    /// The path of the target, without scheme, authority, query or fragment, and always
    /// starting with `/`. Nothing is percent-encoded or decoded.
    pub fn path(&self) -> Cow<'_, str> {
        path_of(&self.parts.target)
    }

    /// True when the target is an absolute URL (`scheme://...`).
    pub fn is_absolute(&self) -> bool {
        is_absolute(&self.parts.target)
    }

    /// The full URL: the target if absolute, else the target appended to `base`'s path.
    ///
    /// Appending (rather than RFC 3986 resolution) keeps a base path: base
    /// `http://host:8080/v1` and path `/models` give `http://host:8080/v1/models`.
    /// The path is not percent-encoded, so a model id such as `phi-4-mini:1` stays as is.
    pub fn url<'a>(&'a self, base: Option<&str>) -> Result<Cow<'a, str>, TransportError> {
        if self.is_absolute() {
            return Ok(Cow::Borrowed(&self.parts.target));
        }
        match base {
            Some(base) => Ok(Cow::Owned(join(base, &self.parts.target))),
            None => Err(TransportError::new(
                ErrorKind::InvalidInput,
                format!("relative target {:?} and no base URL", self.parts.target),
            )),
        }
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// The headers, for changes a decorator needs to make. Values inserted here are
    /// not marked sensitive automatically: add credentials with
    /// [`header`](Self::header), or mark them with `HeaderValue::set_sensitive`.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut Arc::make_mut(&mut self.parts).headers
    }

    /// The body (cloning it is cheap).
    pub fn body_bytes(&self) -> &Bytes {
        &self.parts.body
    }

    /// Whether sending this request twice is harmless: the value set with
    /// [`idempotent`](Self::idempotent), else true for `GET`, `HEAD`, `PUT`, `DELETE`,
    /// `OPTIONS` and `TRACE`, and false for anything else (`POST`, `PATCH`, ...).
    pub fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or(matches!(
            self.parts.method,
            Method::GET
                | Method::HEAD
                | Method::PUT
                | Method::DELETE
                | Method::OPTIONS
                | Method::TRACE
        ))
    }

    /// The timer overrides of this request.
    pub fn timeout_overrides(&self) -> Timeouts {
        self.timeouts
    }

    /// Takes the request apart: method, target, headers, body (copied only if a clone of
    /// the request still shares them).
    pub fn into_parts(self) -> (Method, String, HeaderMap, Bytes) {
        let parts = Arc::unwrap_or_clone(self.parts);
        (parts.method, parts.target, parts.headers, parts.body)
    }
}

/// True for header names whose values are secrets.
fn is_credential(name: &HeaderName) -> bool {
    name == header::AUTHORIZATION
        || name == header::PROXY_AUTHORIZATION
        || name == header::COOKIE
        || name == "x-api-key"
        || name == "api-key"
}

/// Marks every credential header sensitive, so `HeaderValue`'s `Debug` hides it.
#[cfg(feature = "reqwest")]
pub(crate) fn mark_credentials_sensitive(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if is_credential(name) {
            value.set_sensitive(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_defaults_follow_the_method() {
        assert!(TransportRequest::get("/").is_idempotent());
        assert!(TransportRequest::delete("/").is_idempotent());
        assert!(TransportRequest::new(Method::PUT, "/").is_idempotent());
        assert!(!TransportRequest::post_json("/", "{}").is_idempotent());
        assert!(
            TransportRequest::post_json("/", "{}")
                .idempotent(true)
                .is_idempotent()
        );
        assert!(!TransportRequest::get("/").idempotent(false).is_idempotent());
    }

    #[test]
    fn post_json_sets_the_content_type_and_body() {
        let request = TransportRequest::post_json("/v1/x", r#"{"a":1}"#);
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(request.body_bytes().as_ref(), br#"{"a":1}"#);
    }

    #[test]
    fn clones_share_until_one_is_changed() {
        let original = TransportRequest::post_json("/v1/x", r#"{"a":1}"#).idempotent(true);
        let mut changed = original.clone();
        changed
            .headers_mut()
            .insert("x-extra", HeaderValue::from_static("1"));
        assert!(original.headers().get("x-extra").is_none());
        assert_eq!(changed.headers()["x-extra"], "1");
        // Taking apart a request whose parts a clone still shares copies them.
        let kept = original.clone();
        let (method, target, headers, body) = original.into_parts();
        assert_eq!(
            (method, target.as_str(), body.as_ref()),
            (Method::POST, "/v1/x", br#"{"a":1}"#.as_slice())
        );
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(kept.body_bytes().as_ref(), br#"{"a":1}"#);
        assert!(kept.is_idempotent());
    }

    #[test]
    fn credentials_are_hidden_from_debug() {
        let request = TransportRequest::get("/").header(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret"),
        );
        assert!(!format!("{request:?}").contains("s3cret"));
    }

    #[test]
    fn url_joins_relative_targets_and_keeps_absolute_ones() {
        let request = TransportRequest::get("/models/tiny-chat-generic-cpu:1");
        assert_eq!(
            request.url(Some("http://127.0.0.1:5272/")).unwrap(),
            "http://127.0.0.1:5272/models/tiny-chat-generic-cpu:1"
        );
        let absolute = TransportRequest::get("http://other:1/x");
        assert_eq!(
            absolute.url(Some("http://base/")).unwrap(),
            "http://other:1/x"
        );
        let err = request.url(None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
