//! Structured output: ask for a Rust type, get a value validated against its JSON Schema — or a
//! typed error that says what was wrong.
//!
//! The schema is derived from the type with `schemars` and sent as
//! `response_format: {"type": "json_schema", "json_schema": {"name", "strict": true, "schema"}}`;
//! servers that enforce it while decoding (llama.cpp, Foundry Local, vLLM) can only produce
//! matching JSON — unless `max_tokens` cuts the value short, which is why the answer is checked
//! anyway: parsed, validated with the `jsonschema` crate, deserialized, then given to the
//! caller's own check. Any failure is an
//! [`InvalidStructuredOutput`](crate::ErrorKind::InvalidStructuredOutput) error carrying the raw
//! text, the finish reason and the list of problems (see [`Error::problems`](crate::Error::problems)).
//!
//! A server that refuses `json_schema` (a 400 naming `response_format`) is asked again for
//! `{"type": "json_object"}` with the schema in a system message; the client (and its clones)
//! remembers it for the rest of its life, and logs a warning once.

mod call;
mod fallback;
mod parse;
mod schema;
mod stream;

pub use call::StructuredCall;
pub use schema::StructuredSchema;
pub use stream::{StructuredEvent, StructuredStream};

use foundry_protocol::ChatResponse;

/// How the server was asked for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonMode {
    /// `response_format` `json_schema`: the server constrains its output to the schema.
    JsonSchema,
    /// `response_format` `json_object` with the schema in a system message, for servers that
    /// refuse `json_schema`: the server only promises an object, the validation does the rest.
    JsonObject,
}

/// A validated answer: the value, and the chat answer it came from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Structured<T> {
    /// The answer as a `T`: valid against its schema and accepted by the caller's check.
    pub value: T,
    /// The whole chat answer (text, finish reason, usage, model) of the attempt that fitted.
    pub response: ChatResponse,
    /// How the server was asked for JSON.
    pub mode: JsonMode,
    /// Requests made: 1, or 2 when a repair was asked for and fitted.
    pub attempts: u32,
}

impl<T> Structured<T> {
    /// The value, without the rest.
    pub fn into_value(self) -> T {
        self.value
    }
}
