//! The one error type of the transport layer.
//!
//! `TransportError` is deliberately opaque: callers branch on [`ErrorKind`] and the
//! predicates, never on the concrete error of the HTTP stack underneath, which is only
//! reachable through [`std::error::Error::source`].

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// A boxed foreign error kept as the source of a [`TransportError`].
type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a request failed at the transport level.
///
/// The kind says *what* went wrong; [`TransportError::never_connected`] says whether
/// the server can have seen the request, which is what retry logic needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection could not be established: refused, unreachable, TLS handshake failed.
    Connect,
    /// The host name could not be resolved.
    Dns,
    /// One of the transport's timers ran out.
    Timeout(TimeoutKind),
    /// The connection was reset or closed before the response was complete
    /// (before the headers, or in the middle of the body).
    ConnectionClosed,
    /// The response body is larger than the limit the caller set.
    BodyTooLarge {
        /// The limit, in bytes, that was exceeded.
        limit: usize,
    },
    /// The server answered something that is not valid HTTP.
    InvalidResponse,
    /// The caller's input was invalid (a malformed URL, header or client setting), so
    /// nothing was sent.
    InvalidInput,
    /// A decorator (circuit breaker, concurrency limit, ...) refused to send the request.
    Rejected,
    /// Anything else.
    Other,
}

/// Which of the transport's timers ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Establishing the TCP (and TLS) connection took too long.
    Connect,
    /// The response headers did not arrive in time after the request was sent.
    FirstByte,
    /// The gap between two chunks of the response body was too long.
    Idle,
    /// The whole exchange, body included, exceeded its overall deadline.
    Deadline,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::FirstByte => "first byte",
            Self::Idle => "idle",
            Self::Deadline => "deadline",
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect => f.write_str("connection failed"),
            Self::Dns => f.write_str("name resolution failed"),
            Self::Timeout(which) => write!(f, "{which} timeout"),
            Self::ConnectionClosed => f.write_str("connection closed"),
            Self::BodyTooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            Self::InvalidResponse => f.write_str("invalid response"),
            Self::InvalidInput => f.write_str("invalid input"),
            Self::Rejected => f.write_str("rejected"),
            Self::Other => f.write_str("transport error"),
        }
    }
}

/// An error from a [`Transport`](crate::Transport).
///
/// `Display` describes this level only (`"connection failed: POST http://…"`); the
/// underlying cause, if any, is the [`source`](StdError::source).
#[derive(Debug, thiserror::Error)]
#[error("{kind}{}{message}", if .message.is_empty() { "" } else { ": " })]
pub struct TransportError {
    kind: ErrorKind,
    message: Cow<'static, str>,
    retry_after: Option<Duration>,
    #[source]
    source: Option<BoxError>,
}

impl TransportError {
    /// An error of `kind` with a message giving context (for example the method and URL).
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after: None,
            source: None,
        }
    }

    /// A timeout of the given timer.
    pub fn timeout(which: TimeoutKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Timeout(which), message)
    }

    /// The body exceeded `limit` bytes.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(ErrorKind::BodyTooLarge { limit }, "")
    }

    /// The connection closed or was reset before the response was complete.
    pub fn connection_closed(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::ConnectionClosed, message)
    }

    /// A decorator refused to send the request, optionally saying when to try again.
    pub fn rejected(message: impl Into<Cow<'static, str>>, retry_after: Option<Duration>) -> Self {
        Self {
            retry_after,
            ..Self::new(ErrorKind::Rejected, message)
        }
    }

    /// Attaches the underlying cause, reachable through [`source`](StdError::source).
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Attaches a hint of how long to wait before trying again.
    #[must_use]
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// Replaces the context message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = message.into();
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The context message given when the error was made (may be empty).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True when the request surely did not reach the server: the connection could not
    /// be established (refused, DNS, connect timeout) or a decorator rejected it.
    ///
    /// Such a request is safe to send again whatever its method. `InvalidInput` is not
    /// counted: nothing was attempted, but sending it again cannot help either.
    pub fn never_connected(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect
                | ErrorKind::Dns
                | ErrorKind::Timeout(TimeoutKind::Connect)
                | ErrorKind::Rejected
        )
    }

    /// True for any of the timers: connect, first byte, idle, deadline.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::Timeout(_))
    }

    /// True when establishing the connection failed: refused, DNS, or a connect timeout.
    pub fn is_connect(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect | ErrorKind::Dns | ErrorKind::Timeout(TimeoutKind::Connect)
        )
    }

    /// How long to wait before trying again, when whoever failed the request said so
    /// (typically a decorator that rejected it).
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_says_this_level_only() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "os says no");
        let err =
            TransportError::new(ErrorKind::Connect, "GET http://127.0.0.1:1/").with_source(io);
        assert_eq!(
            err.to_string(),
            "connection failed: GET http://127.0.0.1:1/"
        );
        let source = err.source().expect("source kept");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(
            TransportError::body_too_large(10).to_string(),
            "body larger than 10 bytes"
        );
    }

    #[test]
    fn predicates_follow_the_kind() {
        let connect_timeout = TransportError::timeout(TimeoutKind::Connect, "");
        assert!(connect_timeout.never_connected());
        assert!(connect_timeout.is_timeout());
        assert!(connect_timeout.is_connect());

        let first_byte = TransportError::timeout(TimeoutKind::FirstByte, "");
        assert!(!first_byte.never_connected());
        assert!(first_byte.is_timeout());
        assert!(!first_byte.is_connect());

        let rejected = TransportError::rejected("circuit open", Some(Duration::from_secs(3)));
        assert!(rejected.never_connected());
        assert_eq!(rejected.retry_after(), Some(Duration::from_secs(3)));

        assert!(TransportError::new(ErrorKind::Dns, "").never_connected());
        assert!(!TransportError::connection_closed("").never_connected());
        assert!(!TransportError::new(ErrorKind::InvalidInput, "").never_connected());
    }

    #[test]
    fn errors_are_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<TransportError>();
        assert!(std::mem::size_of::<TransportError>() <= 80);
    }
}
