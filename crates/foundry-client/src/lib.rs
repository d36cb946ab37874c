//! The dependable client for Microsoft Foundry Local and OpenAI-compatible local model servers.
//!
//! **Who should depend on this crate:** applications that call a local model server — Foundry
//! Local (its legacy service, or the web service of its C# Core 1.x or C++ Core 2.x), llama.cpp's
//! `llama-server`, Ollama's `/v1`, vLLM. It wires the protocol, transport and resilience crates
//! together and re-exports the types you meet.
//!
//! What it does for you:
//! - detects the server kind once and follows its routes and quirks (Foundry loads by alias and
//!   infers by id on Core 2.x; `:` in paths is never encoded);
//! - retries what is safe to retry, with backoff, server hints, a budget and a circuit breaker,
//!   and never more than a few requests in flight to a local server;
//! - streams answers and reports a stream that stopped early as an error, never as a short answer;
//! - manages models: catalog, downloaded and loaded lists, load, unload, download with progress,
//!   and [`ensure_ready`](FoundryClient::ensure_ready);
//! - asks for typed JSON answers and validates them against their schema
//!   ([`chat_json`](FoundryClient::chat_json), feature `structured`).
//!
//! ```no_run
//! use foundry_client::{ChatRequest, FoundryClient, Message};
//!
//! # async fn run() -> Result<(), foundry_client::Error> {
//! let client = FoundryClient::from_env()?; // FOUNDRY_ENDPOINT, FOUNDRY_MODEL, ...
//! let answer = client.chat(ChatRequest::new("phi-4-mini", [Message::user("Explain quantum computing")])).await?;
//! println!("{}", answer.text().unwrap_or_default());
//! # Ok(()) }
//! ```

//! # Features
//! - `structured` (on by default): structured output — [`FoundryClient::chat_json`],
//!   [`StructuredSchema`], [`StructuredStream`] — with `schemars` (schemas from types) and
//!   `jsonschema` (the validator, without network or file resolution). The validator is the
//!   heavy part: measured on a 2-core machine, a cold build of this crate takes about 55 % more
//!   CPU (roughly 110 s to 170 s) and its dependency tree grows from 103 to 152 crates (regex
//!   engines, big integers). It also turns on serde_json's `float_roundtrip` for the whole
//!   program: floats parse exactly, about 15 % slower in float-heavy JSON such as embeddings.
//!   Structured output is a headline use of a local model, and the cost is paid once per cold
//!   build, so it is on by default; programs that never ask for JSON can depend on this crate
//!   with `default-features = false`. Deriving [`JsonSchema`] needs `schemars` (version 1,
//!   feature `derive`) among the program's own dependencies.

#![forbid(unsafe_code)]

mod batch;
mod builder;
mod cache;
mod chat_stream;
mod client;
mod complete;
mod config;
mod discover;
mod error;
mod inference;
mod models;
mod observe;
mod pipeline;
mod raw;
mod routes;
mod server;
mod stream;
#[cfg(feature = "structured")]
mod structured;

pub use batch::{Batch, BatchProgress};
pub use builder::{ClientBuilder, DEFAULT_MAX_BODY};
pub use cache::{CacheConfig, CacheStats};
pub use chat_stream::ChatStream;
pub use client::FoundryClient;
pub use complete::{Completion, CompletionAnswer};
pub use config::{Config, DEFAULT_LOG_LEVEL, DEFAULT_MODEL, DEFAULT_RETRIES, DEFAULT_TIMEOUT};
pub use discover::DiscoverOptions;
pub use error::{Error, ErrorKind};
pub use models::{DownloadStream, ReadyModel};
pub use server::{ServerInfo, ServerKind};
#[cfg(feature = "structured")]
pub use structured::{
    JsonMode, Structured, StructuredCall, StructuredEvent, StructuredSchema, StructuredStream,
};

/// The schema derivation used by structured output, re-exported so that its version always
/// matches this crate's.
#[cfg(feature = "structured")]
pub use schemars::{self, JsonSchema};

pub use foundry_health::{
    HealthMonitor, HealthStatus, MetricsSnapshot, MonitorConfig, MonitorHandle, Probe,
    ProbeOutcome, ProbeReport, RequestMetrics,
};
pub use foundry_protocol::foundry::LoadOutcome;
pub use foundry_protocol::{
    ApiError, ChatChunk, ChatRequest, ChatResponse, CompletionRequest, CompletionResponse,
    DownloadProgress, EmbeddingsRequest, EmbeddingsResponse, ErrorClass, FinishReason, Message,
    ModelInfo, ModelList, ResponseFormat, Role, Tool, ToolCall, ToolChoice, Usage,
};
pub use foundry_resilience::{
    BreakerConfig, CircuitBreaker, CircuitState, ConcurrencyLimit, LimitConfig, RetryPolicy,
};
pub use foundry_transport::{SharedTransport, Timeouts};

/// Probes, the health monitor, request metrics and endpoint choice (the `foundry-health` crate).
pub use foundry_health as health;
/// Wire types and decoders (the `foundry-protocol` crate).
pub use foundry_protocol as protocol;
/// Retry, circuit breaker and concurrency limit as transport decorators (the
/// `foundry-resilience` crate).
pub use foundry_resilience as resilience;
/// The HTTP seam: the `Transport` trait, its request, response and error types, the mock
/// transport when its feature is on (the `foundry-transport` crate).
pub use foundry_transport as transport;

/// The README's examples compile as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
