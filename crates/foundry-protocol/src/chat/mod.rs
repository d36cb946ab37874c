//! Chat completions: request, answer, streamed chunks, and the accumulator that joins them.

mod accumulator;
mod choice_wire;
mod chunk;
mod message;
mod request;
mod response;
mod tools;

pub use accumulator::{ChatAccumulator, IncompleteStream};
pub use chunk::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
pub use message::{ContentPart, FunctionCall, ImageUrl, Message, MessageContent, Role, ToolCall};
pub use request::{ChatRequest, Stop, StreamOptions};
pub use response::{ChatChoice, ChatResponse};
pub use tools::{FunctionDefinition, JsonSchemaFormat, ResponseFormat, Tool, ToolChoice};

pub(crate) use message::function_type;
