//! A decoded server-sent event and the decoder's errors.

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SseEvent {
    /// The `event:` field, when present.
    pub event: Option<String>,
    /// The data lines, joined with `\n`.
    pub data: String,
    /// The `id:` field, when present.
    pub id: Option<String>,
    /// The `retry:` field in milliseconds, when present and numeric.
    pub retry: Option<u64>,
}

impl SseEvent {
    /// An event with only data.
    pub fn data(data: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            ..Self::default()
        }
    }

    /// Whether this is the OpenAI end-of-stream marker `[DONE]` (whitespace around it allowed).
    pub fn is_done(&self) -> bool {
        is_done_marker(&self.data)
    }
}

fn is_done_marker(data: &str) -> bool {
    data.trim() == "[DONE]"
}

/// Why a byte stream could not be decoded as server-sent events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// A line or an event's data exceeded the configured bound.
    #[error("server-sent event larger than the limit of {limit} bytes")]
    EventTooLarge {
        /// The bound, in bytes.
        limit: usize,
    },
    /// An event was not valid UTF-8.
    #[error("server-sent event is not valid UTF-8")]
    InvalidUtf8,
}
