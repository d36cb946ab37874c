//! The non-streamed chat-completion answer.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::choice_wire::ChoiceWire;
use super::message::Message;
use crate::decode_error::{DecodeError, from_json};
use crate::finish_reason::FinishReason;
use crate::serde_util::null_as_default;
use crate::usage::Usage;

/// The answer to a non-streamed chat request.
///
/// Lenient where servers differ: `null` ids and models, unknown and PascalCase extra fields, and
/// choices that carry `delta` instead of (or beside) `message` all decode.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatResponse {
    /// The completion id (not unique on every server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `chat.completion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<u64>,
    /// The model that answered, as the server names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The generated choices.
    #[serde(default, deserialize_with = "null_as_default")]
    pub choices: Vec<ChatChoice>,
    /// Token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Backend configuration fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
}

impl ChatResponse {
    /// Decodes an answer body, with an excerpt of it in the error when it does not decode.
    pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
        from_json("chat completion", body)
    }

    /// The first choice's text, if any.
    pub fn text(&self) -> Option<String> {
        self.choices
            .first()
            .and_then(|choice| choice.message.text())
    }

    /// The first choice's finish reason.
    pub fn finish_reason(&self) -> Option<&FinishReason> {
        self.choices
            .first()
            .and_then(|choice| choice.finish_reason.as_ref())
    }
}

/// One generated choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "ChoiceWire<Message>")]
#[non_exhaustive]
pub struct ChatChoice {
    /// Position among the choices.
    pub index: u32,
    /// The generated message.
    pub message: Message,
    /// Why generation stopped.
    pub finish_reason: Option<FinishReason>,
    /// Log probabilities, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Value>,
}

impl ChatChoice {
    /// A choice at `index` with a message and finish reason.
    pub fn new(index: u32, message: Message, finish_reason: Option<FinishReason>) -> Self {
        Self {
            index,
            message,
            finish_reason,
            logprobs: None,
        }
    }
}

// The legacy Foundry service answered some non-streamed requests with `delta` only.
impl From<ChoiceWire<Message>> for ChatChoice {
    fn from(wire: ChoiceWire<Message>) -> Self {
        Self {
            index: wire.index,
            message: wire.message.or(wire.delta).unwrap_or_default(),
            finish_reason: wire.finish_reason,
            logprobs: wire.logprobs.filter(|logprobs| !logprobs.is_null()),
        }
    }
}
