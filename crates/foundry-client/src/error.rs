//! The one error type of the client, with a kind and predicates.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use foundry_protocol::{
    ApiError, ChatResponse, DecodeError, ErrorClass, FinishReason, IncompleteStream, ModelProblem,
};
use foundry_resilience::{Rejection, rejection_of};
use foundry_transport::http::{HeaderMap, StatusCode};
use foundry_transport::{ErrorKind as TransportKind, TransportError};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong, in the terms a caller acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server could not be reached (refused, unreachable, name not resolved).
    Connect,
    /// A timer ran out: connect, first byte, silence in a stream, or the overall deadline.
    Timeout,
    /// The server answered with an error (see [`Error::status`] and [`Error::api_error`]).
    Api,
    /// The server knows no model by that name.
    ModelNotFound,
    /// The model exists but is not downloaded.
    ModelNotDownloaded,
    /// The model is downloaded but not loaded.
    ModelNotLoaded,
    /// The server asked the client to slow down (429); see [`Error::retry_after`].
    RateLimited,
    /// The circuit breaker is open: the server failed repeatedly; see [`Error::retry_after`].
    CircuitOpen,
    /// Too many requests are in flight to this server and its queue is full.
    Overloaded,
    /// A stream ended before it was complete; [`Error::partial`] holds what arrived.
    StreamInterrupted,
    /// The server's answer could not be decoded.
    Decode,
    /// The server cannot do this (e.g. download on Foundry's current web service).
    Unsupported,
    /// The configuration is invalid (a variable, an endpoint, a builder setting).
    Config,
    /// An answer did not match the requested structure.
    InvalidStructuredOutput,
    /// Any other transport failure (connection closed, invalid response, body too large).
    Transport,
}

impl ErrorKind {
    /// A short snake_case name, for metrics labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Api => "api",
            Self::ModelNotFound => "model_not_found",
            Self::ModelNotDownloaded => "model_not_downloaded",
            Self::ModelNotLoaded => "model_not_loaded",
            Self::RateLimited => "rate_limited",
            Self::CircuitOpen => "circuit_open",
            Self::Overloaded => "overloaded",
            Self::StreamInterrupted => "stream_interrupted",
            Self::Decode => "decode",
            Self::Unsupported => "unsupported",
            Self::Config => "config",
            Self::InvalidStructuredOutput => "invalid_structured_output",
            Self::Transport => "transport",
        }
    }
}

/// An error of the Foundry Local client.
///
/// `Display` says what failed at this level; the cause (a transport error, a decode error) is the
/// [`source`](StdError::source). The raw body of an API error is kept.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<StatusCode>,
    api: Option<ApiError>,
    body: Option<Bytes>,
    retry_after: Option<Duration>,
    partial: Option<IncompleteStream>,
    structured: Option<Box<StructuredFailure>>,
    source: Option<BoxError>,
}

/// What an answer that failed its structure was, for [`ErrorKind::InvalidStructuredOutput`].
struct StructuredFailure {
    raw: String,
    finish_reason: Option<FinishReason>,
    problems: Vec<String>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                api: None,
                body: None,
                retry_after: None,
                partial: None,
                structured: None,
                source: None,
            }),
        }
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    /// Attaches the server's description of the error (a mid-stream error event).
    pub(crate) fn with_api(mut self, api: ApiError) -> Self {
        self.inner.message = format!("{}: the server reported: {api}", self.inner.message);
        self.inner.api = Some(api);
        self
    }

    /// An invalid configuration value; `what` names the variable or setting.
    pub(crate) fn config(what: &str, why: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Config, format!("invalid {what}: {why}"))
    }

    /// An operation the server cannot do, with what to do instead.
    pub(crate) fn unsupported(operation: &str, server: impl fmt::Display, hint: &str) -> Self {
        Self::new(
            ErrorKind::Unsupported,
            format!("{operation} is not supported by {server}: {hint}"),
        )
    }

    /// A transport failure while doing `what` (e.g. `POST /v1/chat/completions`).
    pub(crate) fn transport(what: &str, error: TransportError) -> Self {
        let (kind, retry_after) = match error.kind() {
            TransportKind::Connect | TransportKind::Dns => (ErrorKind::Connect, None),
            TransportKind::Timeout(_) => (ErrorKind::Timeout, None),
            TransportKind::Rejected => match rejection_of(&error) {
                Some(Rejection::CircuitOpen { retry_after }) => {
                    (ErrorKind::CircuitOpen, retry_after)
                }
                Some(_) => (ErrorKind::Overloaded, None),
                None => (ErrorKind::Transport, error.retry_after()),
            },
            _ => (ErrorKind::Transport, None),
        };
        let message = match kind {
            ErrorKind::Connect => format!("could not connect for {what}"),
            ErrorKind::Timeout => format!("{what} timed out"),
            ErrorKind::CircuitOpen => {
                format!("{what} refused: the server failed repeatedly (circuit open)")
            }
            ErrorKind::Overloaded => format!("{what} refused: too many requests in flight"),
            _ => format!("{what} failed"),
        };
        Self::new(kind, message)
            .with_retry_after(retry_after)
            .with_source(error)
    }

    /// An error answer of the server: classified by status and by what its body says.
    pub(crate) fn from_response(
        what: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Self {
        let api = ApiError::from_body(&body);
        let kind = match api.classify(status.as_u16()) {
            ErrorClass::Model(ModelProblem::NotFound) => ErrorKind::ModelNotFound,
            ErrorClass::Model(ModelProblem::NotDownloaded) => ErrorKind::ModelNotDownloaded,
            ErrorClass::Model(ModelProblem::NotLoaded) => ErrorKind::ModelNotLoaded,
            _ if status == StatusCode::TOO_MANY_REQUESTS => ErrorKind::RateLimited,
            _ => ErrorKind::Api,
        };
        let retry_after =
            foundry_resilience::ServerHints::from_headers(headers, std::time::SystemTime::now())
                .retry_after;
        let mut error = Self::new(kind, format!("{what}: server answered {status}: {api}"));
        error.inner.status = Some(status);
        error.inner.api = Some(api);
        error.inner.body = Some(body);
        error.with_retry_after(retry_after)
    }

    /// An answer that did not decode.
    pub(crate) fn decode(what: &str, error: DecodeError) -> Self {
        Self::new(
            ErrorKind::Decode,
            format!("{what}: the answer could not be decoded"),
        )
        .with_source(error)
    }

    /// A stream that ended early; `cause` is what ended it, if anything did.
    pub(crate) fn stream_interrupted(
        what: &str,
        partial: IncompleteStream,
        cause: Option<BoxError>,
    ) -> Self {
        let message = format!(
            "{what}: the stream ended early, after {} chunks",
            partial.chunks
        );
        let mut error = Self::new(ErrorKind::StreamInterrupted, message);
        error.inner.partial = Some(partial);
        error.inner.source = cause;
        error
    }

    /// An answer that is not the structure asked for: `raw` is its text, `problems` what is wrong
    /// with it (the parse error, the schema violations, the caller's check).
    #[cfg_attr(not(feature = "structured"), allow(dead_code))]
    pub(crate) fn invalid_structured_output(
        what: &str,
        raw: String,
        finish_reason: Option<FinishReason>,
        problems: Vec<String>,
    ) -> Self {
        let cut = if finish_reason == Some(FinishReason::Length) {
            " (the answer was cut at the token limit: finish_reason length)"
        } else {
            ""
        };
        let first = problems.first().map_or("", String::as_str);
        let more = match problems.len() {
            0 | 1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let message = format!("{what}: the answer does not fit: {first}{more}{cut}");
        let mut error = Self::new(ErrorKind::InvalidStructuredOutput, message);
        error.inner.structured = Some(Box::new(StructuredFailure {
            raw,
            finish_reason,
            problems,
        }));
        error
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The server's description of the error, when it answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        self.inner.api.as_ref()
    }

    /// The raw body of an error answer, exactly as received.
    pub fn raw_body(&self) -> Option<&[u8]> {
        self.inner.body.as_deref()
    }

    /// How long the server (or the circuit breaker) asks to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// For an interrupted stream: the answer as far as it got.
    pub fn partial(&self) -> Option<&ChatResponse> {
        self.inner.partial.as_ref().map(|p| &*p.partial)
    }

    /// For an interrupted stream: how many chunks arrived before it ended.
    pub fn chunks_received(&self) -> Option<usize> {
        self.inner.partial.as_ref().map(|p| p.chunks)
    }

    /// For invalid structured output: the answer's text, exactly as the model wrote it.
    pub fn raw_output(&self) -> Option<&str> {
        self.inner.structured.as_ref().map(|s| s.raw.as_str())
    }

    /// For invalid structured output: why the model stopped (`length` when `max_tokens` cut the
    /// value short).
    pub fn finish_reason(&self) -> Option<&FinishReason> {
        self.inner
            .structured
            .as_ref()
            .and_then(|s| s.finish_reason.as_ref())
    }

    /// For invalid structured output: what is wrong with the answer — the parse error, each
    /// schema violation (with its JSON pointer), a deserialization error, or the caller's check.
    /// Empty for other errors.
    pub fn problems(&self) -> &[String] {
        self.inner
            .structured
            .as_ref()
            .map_or(&[], |s| s.problems.as_slice())
    }

    /// For invalid structured output: whether the token limit cut the answer short.
    pub fn is_truncated(&self) -> bool {
        self.finish_reason() == Some(&FinishReason::Length)
    }

    /// Whether trying the same call again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self.kind() {
            ErrorKind::Connect
            | ErrorKind::Timeout
            | ErrorKind::RateLimited
            | ErrorKind::CircuitOpen
            | ErrorKind::Overloaded
            | ErrorKind::StreamInterrupted
            | ErrorKind::Transport => true,
            ErrorKind::Api => self.class() == Some(ErrorClass::Transient),
            _ => false,
        }
    }

    /// Whether the circuit breaker refused the call.
    pub fn is_circuit_open(&self) -> bool {
        self.kind() == ErrorKind::CircuitOpen
    }

    /// Whether a timer ran out.
    pub fn is_timeout(&self) -> bool {
        self.kind() == ErrorKind::Timeout
    }

    /// Whether the server could not be reached.
    pub fn is_connect(&self) -> bool {
        self.kind() == ErrorKind::Connect
    }

    /// Whether the configuration is invalid.
    pub fn is_config(&self) -> bool {
        self.kind() == ErrorKind::Config
    }

    /// Whether the server refused the model because it is not loaded.
    pub fn is_model_not_loaded(&self) -> bool {
        self.kind() == ErrorKind::ModelNotLoaded
    }

    /// What the server's error answer says about sending the request again (see
    /// [`ErrorClass`]); `None` when the server did not answer with an error.
    pub fn class(&self) -> Option<ErrorClass> {
        let status = self.status()?.as_u16();
        Some(match self.api_error() {
            Some(api) => api.classify(status),
            None => ApiError::default().classify(status),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Error");
        debug
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(status) = self.inner.status {
            debug.field("status", &status);
        }
        if let Some(retry_after) = self.inner.retry_after {
            debug.field("retry_after", &retry_after);
        }
        if let Some(structured) = &self.inner.structured {
            debug
                .field("finish_reason", &structured.finish_reason)
                .field("problems", &structured.problems);
        }
        if let Some(source) = &self.inner.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}
