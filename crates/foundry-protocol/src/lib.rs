//! Wire types and decoders for Microsoft Foundry Local and OpenAI-compatible servers.
//!
//! **Who should depend on this crate:** authors of servers, proxies, emulators or alternative
//! clients that need the exact wire shapes. Applications calling a model server should depend on
//! `foundry-client`, which re-exports the types they meet.
//!
//! This crate does no I/O. It holds:
//! - the OpenAI-compatible types: [`ChatRequest`], [`ChatResponse`], [`ChatChunk`], legacy
//!   [`CompletionRequest`]/[`CompletionResponse`], [`EmbeddingsRequest`]/[`EmbeddingsResponse`],
//!   [`ModelList`], [`Usage`], [`FinishReason`], and [`ApiError`], which reads every error shape
//!   servers send;
//! - Foundry Local's management types for both API generations ([`foundry`]): catalog entries,
//!   service status, model lists, load answers, the download progress stream, CLI output;
//! - an incremental [`SseDecoder`] and the typed [`ChatStreamDecoder`] on top of it, and the
//!   [`ChatAccumulator`] that assembles a streamed answer, tool calls included.
//!
//! Decoding is lenient where servers differ (unknown fields ignored, unknown enum values kept,
//! `null` read as absent, Foundry's management keys matched in any case) and strict where it
//! matters: a stream that did not end properly is an [`IncompleteStream`], not a short answer.
//!
//! ```
//! use foundry_protocol::{ChatAccumulator, ChatStreamDecoder, StreamEvent};
//!
//! let body = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n\
//!              data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
//! let mut decoder = ChatStreamDecoder::default();
//! let mut answer = ChatAccumulator::new();
//! for event in decoder.feed(body) {
//!     match event.expect("well-formed stream") {
//!         StreamEvent::Item(chunk) => answer.push(&chunk),
//!         StreamEvent::Done => answer.push_done(),
//!     }
//! }
//! let response = answer.finish().expect("complete stream");
//! assert_eq!(response.text().as_deref(), Some("Hi"));
//! ```

#![forbid(unsafe_code)]

mod api_error;
mod chat;
mod completions;
mod decode_error;
mod embeddings;
mod finish_reason;
pub mod foundry;
mod llama;
mod models;
mod serde_util;
mod server_kind;
mod sse;
mod usage;

pub use api_error::{ApiError, ErrorClass, ModelProblem};
pub use chat::{
    ChatAccumulator, ChatChoice, ChatChunk, ChatRequest, ChatResponse, ChunkChoice, ContentPart,
    Delta, FunctionCall, FunctionCallDelta, FunctionDefinition, ImageUrl, IncompleteStream,
    JsonSchemaFormat, Message, MessageContent, ResponseFormat, Role, Stop, StreamOptions, Tool,
    ToolCall, ToolCallDelta, ToolChoice,
};
pub use completions::{CompletionChoice, CompletionRequest, CompletionResponse, Prompt};
pub use decode_error::{DecodeError, decode_json};
pub use embeddings::{
    Embedding, EmbeddingInput, EmbeddingsRequest, EmbeddingsResponse, EncodingFormat,
};
pub use finish_reason::FinishReason;
pub use foundry::{DownloadProgress, ModelInfo, ServiceStatus};
pub use llama::{LlamaHealth, LlamaProps};
pub use models::{ModelList, ModelObject};
pub use server_kind::ServerKind;
pub use sse::{
    ChatStreamDecoder, CompletionStreamDecoder, DEFAULT_MAX_EVENT_SIZE, Events, JsonStreamDecoder,
    SseDecoder, SseError, SseEvent, StreamError, StreamEvent,
};
pub use usage::{CompletionTokensDetails, PromptTokensDetails, Usage};
