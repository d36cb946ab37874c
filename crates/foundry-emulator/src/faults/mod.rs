//! Fault injection: what can go wrong on the wire, and the plan that says when.
//!
//! A [`FaultPlan`] is a list of [`FaultRule`]s checked in order for every request (except the
//! `/_emulator/*` control routes). A rule matches a route — every route when `route` is absent or
//! `"*"`; else the route key (`"POST /v1/chat/completions"`), its path template
//! (`"/models/load/{name}"`) or the exact request path (`"/models/load/phi-4-mini"`) — and then:
//! - with `fault`, fires with `probability` (default 1), drawn from the plan's seeded generator;
//! - with `sequence`, takes the next entry for each matching request, in order: a fault, or `null`
//!   for "no fault this time". An exhausted sequence no longer fires.
//!
//! The first rule that fires decides the request's fault; a rule that does not fire lets the next
//! one try. See the crate documentation for the JSON form served at `/_emulator/faults`.

mod apply;
mod control;
mod plan;

use serde::{Deserialize, Serialize};

pub(crate) use apply::apply;
pub use control::{FaultControl, InvalidFaultPlan};
pub use plan::{FaultPlan, FaultRule};

/// One thing that can go wrong with an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and body instead of running the route.
    Status {
        /// The HTTP status code.
        status: u16,
        /// The body (JSON if it parses as JSON, else plain text); a default error envelope if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        /// A `Retry-After` header, in seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
        /// A `retry-after-ms` header (OpenAI's finer-grained hint), in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// Close the connection before any response byte: the client sees a connection error.
    CloseBeforeHeaders,
    /// Send the headers and part of the body, then drop the connection: a chunked body never
    /// gets its terminating chunk, a sized body stays short.
    ResetMidBody {
        /// Body bytes sent before the reset (default: half the body).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_bytes: Option<usize>,
    },
    /// Streams: send the first events, then end cleanly without `finish_reason` or `[DONE]`.
    /// Other bodies: a well-framed body cut in half.
    TruncateStream {
        /// Events sent before the end (default: half of those before the finish).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_chunks: Option<usize>,
    },
    /// Streams: replace one event by invalid JSON (the rest follows as usual). Other bodies:
    /// invalid JSON instead of the body.
    MalformedChunk {
        /// Which event is replaced (default 1, the first after the role chunk).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<usize>,
    },
    /// Streams: after some events, one `data: {"error":{...}}` event, then a clean end without
    /// `[DONE]`. Other bodies: the error object instead of the body, with the route's status.
    ErrorEvent {
        /// Events sent before the error (default: as for `truncate_stream`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_chunks: Option<usize>,
        /// The error message (default `Inference failed: injected fault`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Send the headers, then nothing until the client gives up (or `ms` passes, then the
    /// connection is dropped).
    Stall {
        /// How long to stay silent (default 10 minutes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ms: Option<u64>,
    },
    /// Delay every chunk (streams: every event; other bodies: 16 pieces) by this much.
    SlowTrickle {
        /// The delay before each chunk, in milliseconds.
        chunk_delay_ms: u64,
    },
    /// Streams: an extra first event of this many bytes. Other bodies: a JSON body of this size.
    Oversized {
        /// The size in bytes.
        bytes: usize,
    },
    /// Chat requests that ask for JSON (`response_format` `json_schema` or `json_object`): the
    /// model's answer has this defect, streamed or not. Other requests are answered as usual.
    StructuredOutput {
        /// What is wrong with the answer.
        defect: StructuredDefect,
    },
}

/// What is wrong with a JSON answer under [`Fault::StructuredOutput`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StructuredDefect {
    /// Text that is not JSON: a trailing comma in the value (or prose before a scalar),
    /// `finish_reason: "stop"`.
    InvalidJson,
    /// Well-formed JSON that breaks the schema: a required property missing, else a value of a
    /// type the schema does not allow (for `json_object`: an array). A schema that accepts
    /// every value cannot be broken: the answer then stays valid.
    SchemaViolation,
    /// The valid answer cut after half of its tokens, `finish_reason: "length"`, as when a
    /// model runs out of `max_tokens` mid-value.
    Truncated,
}

impl Fault {
    /// An error status with the default body and no retry hint.
    pub fn status(status: u16) -> Self {
        Self::Status {
            status,
            body: None,
            retry_after: None,
            retry_after_ms: None,
        }
    }

    /// An error status asking the client to retry after `seconds`.
    pub fn retry_after(status: u16, seconds: u64) -> Self {
        Self::Status {
            status,
            body: None,
            retry_after: Some(seconds),
            retry_after_ms: None,
        }
    }

    /// A JSON answer with this defect (see [`Fault::StructuredOutput`]).
    pub fn structured(defect: StructuredDefect) -> Self {
        Self::StructuredOutput { defect }
    }

    /// The defect a JSON answer must have under this fault, if it is a structured-output fault.
    pub(crate) fn structured_defect(&self) -> Option<StructuredDefect> {
        match self {
            Self::StructuredOutput { defect } => Some(*defect),
            _ => None,
        }
    }

    /// The name of the fault's kind, as in the JSON form and the stats.
    pub fn kind(&self) -> FaultKind {
        match self {
            Self::Status { .. } => FaultKind::Status,
            Self::CloseBeforeHeaders => FaultKind::CloseBeforeHeaders,
            Self::ResetMidBody { .. } => FaultKind::ResetMidBody,
            Self::TruncateStream { .. } => FaultKind::TruncateStream,
            Self::MalformedChunk { .. } => FaultKind::MalformedChunk,
            Self::ErrorEvent { .. } => FaultKind::ErrorEvent,
            Self::Stall { .. } => FaultKind::Stall,
            Self::SlowTrickle { .. } => FaultKind::SlowTrickle,
            Self::Oversized { .. } => FaultKind::Oversized,
            Self::StructuredOutput { .. } => FaultKind::StructuredOutput,
        }
    }
}

/// The kinds of [`Fault`], for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultKind {
    /// [`Fault::Status`].
    Status,
    /// [`Fault::CloseBeforeHeaders`].
    CloseBeforeHeaders,
    /// [`Fault::ResetMidBody`].
    ResetMidBody,
    /// [`Fault::TruncateStream`].
    TruncateStream,
    /// [`Fault::MalformedChunk`].
    MalformedChunk,
    /// [`Fault::ErrorEvent`].
    ErrorEvent,
    /// [`Fault::Stall`].
    Stall,
    /// [`Fault::SlowTrickle`].
    SlowTrickle,
    /// [`Fault::Oversized`].
    Oversized,
    /// [`Fault::StructuredOutput`].
    StructuredOutput,
}

impl FaultKind {
    /// Every kind, in a stable order.
    pub const ALL: [FaultKind; 10] = [
        Self::Status,
        Self::CloseBeforeHeaders,
        Self::ResetMidBody,
        Self::TruncateStream,
        Self::MalformedChunk,
        Self::ErrorEvent,
        Self::Stall,
        Self::SlowTrickle,
        Self::Oversized,
        Self::StructuredOutput,
    ];

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::CloseBeforeHeaders => "close_before_headers",
            Self::ResetMidBody => "reset_mid_body",
            Self::TruncateStream => "truncate_stream",
            Self::MalformedChunk => "malformed_chunk",
            Self::ErrorEvent => "error_event",
            Self::Stall => "stall",
            Self::SlowTrickle => "slow_trickle",
            Self::Oversized => "oversized",
            Self::StructuredOutput => "structured_output",
        }
    }
}
