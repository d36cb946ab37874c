//! A Foundry Local emulator: an HTTP server that answers like the real thing, in-process or as a
//! binary, with a deterministic model and fault injection.
//!
//! **Who should depend on this crate:** tests, examples and benchmarks of code that talks to
//! Foundry Local, and users who want to try such code on a machine without Foundry Local.
//! Applications talking to a real server depend on `foundry-client` instead.
//!
//! # Dialects
//! - [`Dialect::Legacy`], the legacy CLI service: `/openai/status`, `/foundry/list`, `/openai/models`,
//!   `/openai/loadedmodels`, `/openai/load/{id}?ttl=N&ep=X`, `/openai/unload/{id}?force=true`,
//!   `/openai/unloadall`, `POST /openai/download` (progress lines, then a result object),
//!   `/v1/models`, `/v1/chat/completions` (loads a downloaded model on demand), `/v1/embeddings`.
//!   Errors are plain text. [`EmulatorConfig::quirks`] adds its recorded wire quirks.
//! - [`Dialect::Core2`], the C++ Core 2.x (`Server: oatpp/1.3.0`): `/status`, `/v1/models`,
//!   `/v1/models/{id}`, `/models/loaded`, `/models/load/{alias}`, `/models/unload/{alias}`,
//!   `/v1/chat/completions` and `/v1/embeddings` by id, OpenAI error envelopes, duplicated stream
//!   headers, nothing percent-decoded.
//! - [`Dialect::Core1`], the C# Core 1.x (`Server: Kestrel`): the same routes, any model name
//!   everywhere, empty load answers, PascalCase extras, `.NET` error wording.
//!
//! Every answer is built from `foundry-protocol`'s types, then edited only where a server's exact
//! key set differs, so the emulator and the client read and write the same shapes.
//!
//! # The model
//! Answers are pseudo-random words drawn from a hash of the model, the messages, the request's
//! `seed` and the emulator's seed: the same request always gets the same answer. `max_tokens`
//! (or `max_completion_tokens`) cuts it with `finish_reason: "length"`, a `stop` sequence with
//! `"stop"`, and usage counts real tokens. With `tools` and `tool_choice` `required` or naming a
//! function, the answer is a tool call whose arguments fit the function's JSON Schema, streamed
//! as `tool_calls` deltas (id and name first, then the arguments in pieces). Embeddings are
//! unit vectors drawn the same way. [`Catalog::tiny`] reproduces the real runtimes' test models,
//! fixed answer included, so recorded exchanges replay against the emulator.
//!
//! `response_format` is honoured by every model: `json_schema` answers a deterministic instance
//! of the schema (types, `required`, `enum`/`const`, numeric bounds and `multipleOf`, string
//! lengths and common formats, `minItems`/`maxItems`/`prefixItems`/`uniqueItems`, nesting,
//! `$ref` into `$defs`/`definitions`, `anyOf`/`oneOf`/`allOf`; not `pattern`), `json_object`
//! a small object. The JSON text is the answer, so `max_tokens` cuts it mid-value with
//! `finish_reason: "length"`, as real servers do; the `structured_output` fault gives the other
//! broken answers.
//!
//! # Control routes
//! Every dialect also serves `/_emulator/*`, which is never faulted nor counted:
//!
//! | route | does |
//! |---|---|
//! | `GET /_emulator/faults` | the fault plan now (sequences show the entries not yet used) |
//! | `PUT` or `POST /_emulator/faults` | replaces the plan with the body; `400` if invalid |
//! | `DELETE /_emulator/faults` | removes every rule |
//! | `GET /_emulator/stats` | request and fault counters |
//! | `DELETE /_emulator/stats` | sets the counters to zero |
//! | `GET /_emulator/state` | `{"dialect", "cached": [ids], "loaded": [ids]}` |
//!
//! The fault plan (see [`FaultPlan`], [`FaultRule`], [`Fault`]):
//!
//! ```json
//! {
//!   "seed": 7,
//!   "rules": [
//!     {"route": "POST /v1/chat/completions", "probability": 0.25,
//!      "fault": {"kind": "status", "status": 503, "retry_after": 2}},
//!     {"route": "/models/load/{name}",
//!      "sequence": [{"kind": "close_before_headers"}, null, {"kind": "status", "status": 429, "retry_after_ms": 150}]},
//!     {"fault": {"kind": "slow_trickle", "chunk_delay_ms": 20}, "probability": 0.1}
//!   ]
//! }
//! ```
//!
//! `route` is a route key (`"POST /v1/chat/completions"`), a path template
//! (`"/v1/chat/completions"`, `"/models/load/{name}"`), an exact path, or absent/`"*"` for every
//! route. A rule has either `fault` (with an optional `probability`, default 1, drawn from
//! `seed`, default the emulator's seed) or `sequence` (one entry per matching request, `null` =
//! no fault for that one). Rules are tried in order; the first that fires wins. Fault kinds:
//!
//! | `kind` | fields | on the wire |
//! |---|---|---|
//! | `status` | `status`, `body`?, `retry_after`? (s), `retry_after_ms`? | that status instead of the route (default body: the dialect's error shape), `Retry-After` / `retry-after-ms` headers |
//! | `close_before_headers` | | the connection closes before any byte |
//! | `reset_mid_body` | `after_bytes`? | headers, part of the body, then the connection drops (no terminating chunk) |
//! | `truncate_stream` | `after_chunks`? | some events, no `finish_reason`, no `[DONE]`, clean end; other bodies cut in half |
//! | `malformed_chunk` | `at`? | event `at` (default 1) is invalid JSON; other bodies are invalid JSON |
//! | `error_event` | `after_chunks`?, `message`? | some events, then `data: {"error":{...}}` and a clean end without `[DONE]` |
//! | `stall` | `ms`? | headers, then silence (default 10 minutes), then the connection drops |
//! | `slow_trickle` | `chunk_delay_ms` | every event (or 1/16 of a body) is delayed |
//! | `oversized` | `bytes` | streams: an extra first event of that size; bodies: a JSON body of that size |
//! | `structured_output` | `defect`: `invalid_json`, `schema_violation` or `truncated` | chat requests asking for JSON get an answer with that defect (see [`StructuredDefect`]); others are untouched |
//!
//! The counters ([`StatsSnapshot`]), with only non-zero entries:
//!
//! ```json
//! {"requests_total": 5,
//!  "requests": {"GET /status": 1, "POST /v1/chat/completions": 3, "unmatched": 1},
//!  "faults_total": 2,
//!  "faults": {"status": 1, "truncate_stream": 1}}
//! ```
//!
//! # Example
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig, Fault, FaultRule};
//!
//! let emulator = Emulator::start(
//!     EmulatorConfig::new(Dialect::Core2)
//!         .catalog(Catalog::tiny())
//!         .loaded(["tiny-chat-generic-cpu:1"]),
//! )
//! .await?;
//! emulator
//!     .faults()
//!     .push(FaultRule::sequence([Some(Fault::retry_after(503, 1))]).on_route("/v1/chat/completions"))?;
//! println!("Foundry Local (C++ Core) emulated at {}", emulator.url());
//! assert_eq!(emulator.loaded_models(), ["tiny-chat-generic-cpu:1"]);
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod body;
mod catalog;
mod config;
mod control;
mod dialect;
mod error;
mod faults;
mod handle;
mod model;
mod reply;
mod routes;
mod server;
mod shared;
mod state;
mod stats;

pub use catalog::{Catalog, CatalogEntry, ModelKind, TINY_ANSWER, Tokenizer};
pub use config::{Dialect, EmulatorConfig, UnknownDialect};
pub use error::StartError;
pub use faults::{
    Fault, FaultControl, FaultKind, FaultPlan, FaultRule, InvalidFaultPlan, StructuredDefect,
};
pub use handle::{Emulator, EmulatorHandle};
pub use stats::StatsSnapshot;
