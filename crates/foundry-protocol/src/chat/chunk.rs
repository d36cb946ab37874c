//! One event of a streamed chat answer.

use serde::{Deserialize, Serialize};

use super::choice_wire::ChoiceWire;
use super::message::Role;
use crate::decode_error::{DecodeError, from_json};
use crate::finish_reason::FinishReason;
use crate::serde_util::null_as_default;
use crate::usage::Usage;

/// One chunk of a streamed chat answer (`chat.completion.chunk`).
///
/// The last chunk may have `choices: []` and carry only `usage`. Foundry's quirks (`model: null`,
/// a new `id` per chunk, `message` beside `delta`, PascalCase extras, `error: null`) decode.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatChunk {
    /// The completion id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `chat.completion.chunk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<u64>,
    /// The model, as the server names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The deltas of this chunk.
    #[serde(default, deserialize_with = "null_as_default")]
    pub choices: Vec<ChunkChoice>,
    /// Token counts (on the final chunk, or on every chunk with some servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Backend configuration fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
}

impl ChatChunk {
    /// A chunk with these choices and nothing else set.
    pub fn new(choices: Vec<ChunkChoice>) -> Self {
        Self {
            choices,
            ..Self::default()
        }
    }

    /// Decodes one chunk's JSON. (A stream's `data: {"error": ...}` events are the server's
    /// errors: the stream decoders report them before any decode.)
    pub fn from_slice(data: &[u8]) -> Result<Self, DecodeError> {
        from_json("chat completion chunk", data)
    }

    /// The text this chunk adds to the first choice, if any.
    pub fn text(&self) -> Option<&str> {
        self.choices
            .first()
            .and_then(|choice| choice.delta.content.as_deref())
    }
}

/// The delta of one choice in a chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "ChoiceWire<Delta>")]
#[non_exhaustive]
pub struct ChunkChoice {
    /// Which choice this delta extends.
    pub index: u32,
    /// What is new.
    pub delta: Delta,
    /// Set on the choice's last chunk.
    pub finish_reason: Option<FinishReason>,
}

impl ChunkChoice {
    /// A delta for choice `index`.
    pub fn new(index: u32, delta: Delta, finish_reason: Option<FinishReason>) -> Self {
        Self {
            index,
            delta,
            finish_reason,
        }
    }
}

// Foundry's legacy service sends `message` beside `delta`; a chunk with `message` only still counts.
impl From<ChoiceWire<Delta>> for ChunkChoice {
    fn from(wire: ChoiceWire<Delta>) -> Self {
        Self {
            index: wire.index,
            delta: wire.delta.or(wire.message).unwrap_or_default(),
            finish_reason: wire.finish_reason,
        }
    }
}

/// What one chunk adds to a choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Delta {
    /// The role, usually only on the first chunk (some servers repeat it on every chunk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// New text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// New reasoning text (llama.cpp, vLLM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// New refusal text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Pieces of tool calls, merged by index (see [`ChatAccumulator`](crate::ChatAccumulator)).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tool_calls: Vec<ToolCallDelta>,
}

impl Delta {
    /// A delta that adds text.
    pub fn text(content: impl Into<String>) -> Self {
        Self {
            content: Some(content.into()),
            ..Self::default()
        }
    }

    /// A delta that only names the role (the first chunk of most streams).
    pub fn role(role: Role) -> Self {
        Self {
            role: Some(role),
            ..Self::default()
        }
    }

    /// A delta that adds pieces of tool calls.
    pub fn tool_calls(pieces: Vec<ToolCallDelta>) -> Self {
        Self {
            tool_calls: pieces,
            ..Self::default()
        }
    }
}

/// A piece of a tool call: the first piece names the call, later pieces extend its arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolCallDelta {
    /// Which call of the choice this piece extends (missing on some servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The call id, on the first piece.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `function`, on the first piece.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name and argument text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
}

impl ToolCallDelta {
    /// A piece of call `index`.
    pub fn new(
        index: u32,
        id: Option<String>,
        name: Option<String>,
        arguments: Option<String>,
    ) -> Self {
        Self {
            index: Some(index),
            kind: id.as_ref().map(|_| super::function_type()),
            id,
            function: Some(FunctionCallDelta { name, arguments }),
        }
    }
}

/// A piece of a function call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionCallDelta {
    /// The function name, on the first piece.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// More argument text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usage_only_final_chunk_decodes() {
        let chunk = ChatChunk::from_slice(
            br#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"#,
        )
        .unwrap();
        assert!(chunk.choices.is_empty());
        assert_eq!(chunk.usage.unwrap().total_tokens, 8);
    }

    #[test]
    fn message_only_choices_and_null_fields_decode() {
        let chunk = ChatChunk::from_slice(
            br#"{"model":null,"id":null,"error":null,"IsDelta":true,"choices":[{"message":{"content":"x"},"index":null,"finish_reason":""}]}"#,
        )
        .unwrap();
        assert_eq!(chunk.text(), Some("x"));
        assert_eq!(chunk.choices[0].finish_reason, None);
        assert_eq!(chunk.model, None);
    }
}
