//! A response before it goes on the wire: status, headers, and a body that is either whole or a
//! timed series of chunks (streams, download progress, faults).

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, StatusCode};

/// What happens after the last chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamEnd {
    /// The body ends properly (a chunked body gets its terminating chunk).
    Clean,
    /// The connection is dropped: the body never ends properly.
    Abort,
    /// Nothing more is sent for this long, then the connection is dropped.
    Stall(Duration),
}

/// A body sent piece by piece, with pauses.
pub(crate) struct ChunkPlan {
    pub(crate) chunks: VecDeque<Bytes>,
    /// Pause before the first chunk (time to first token).
    pub(crate) first_delay: Duration,
    /// Pause before every later chunk.
    pub(crate) delay: Duration,
    pub(crate) end: StreamEnd,
    /// Runs when the last chunk is handed to the connection (a download completes).
    pub(crate) on_complete: Option<Box<dyn FnOnce() + Send>>,
    /// A declared length (a sized body sent in pieces); chunked encoding when absent.
    pub(crate) content_length: Option<u64>,
    /// Whether the chunks are server-sent events (stream faults act on events).
    pub(crate) sse: bool,
}

impl fmt::Debug for ChunkPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkPlan")
            .field("chunks", &self.chunks.len())
            .field("first_delay", &self.first_delay)
            .field("delay", &self.delay)
            .field("end", &self.end)
            .field("content_length", &self.content_length)
            .field("sse", &self.sse)
            .finish_non_exhaustive()
    }
}

impl ChunkPlan {
    /// Chunks sent back to back, ending cleanly.
    pub(crate) fn new(chunks: impl IntoIterator<Item = Bytes>, sse: bool) -> Self {
        Self {
            chunks: chunks.into_iter().collect(),
            first_delay: Duration::ZERO,
            delay: Duration::ZERO,
            end: StreamEnd::Clean,
            on_complete: None,
            content_length: None,
            sse,
        }
    }

    pub(crate) fn delays(mut self, first: Duration, each: Duration) -> Self {
        self.first_delay = first;
        self.delay = each;
        self
    }
}

/// The body of a [`Reply`].
#[derive(Debug)]
pub(crate) enum ReplyBody {
    /// A whole body, sent with `Content-Length`.
    Full(Bytes),
    Chunks(ChunkPlan),
}

/// A response as the dialects build it.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: ReplyBody,
    /// How long to wait before answering (a non-streamed answer's generation time).
    pub(crate) wait: Duration,
}

impl Reply {
    pub(crate) fn new(status: StatusCode, body: ReplyBody) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body,
            wait: Duration::ZERO,
        }
    }

    /// An empty body (`Content-Length: 0`, no content type).
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self::new(status, ReplyBody::Full(Bytes::new()))
    }

    pub(crate) fn with_type(status: StatusCode, content_type: &'static str, body: Bytes) -> Self {
        Self::new(status, ReplyBody::Full(body)).header(CONTENT_TYPE, content_type)
    }

    /// A JSON body with `application/json`.
    pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self::with_type(status, "application/json", body.into())
    }

    /// A plain-text body.
    pub(crate) fn text(status: StatusCode, body: impl Into<String>) -> Self {
        Self::with_type(
            status,
            "text/plain; charset=utf-8",
            Bytes::from(body.into()),
        )
    }

    /// Adds a header (a second value of the same name is kept: some servers repeat headers).
    pub(crate) fn header(mut self, name: http::header::HeaderName, value: &'static str) -> Self {
        self.headers.append(name, HeaderValue::from_static(value));
        self
    }
}

/// One server-sent event carrying `data`.
pub(crate) fn sse_event(data: &[u8]) -> Bytes {
    let mut event = Vec::with_capacity(data.len() + 8);
    event.extend_from_slice(b"data: ");
    event.extend_from_slice(data);
    event.extend_from_slice(b"\n\n");
    Bytes::from(event)
}

/// The event that ends an OpenAI stream.
pub(crate) fn sse_done() -> Bytes {
    Bytes::from_static(b"data: [DONE]\n\n")
}
