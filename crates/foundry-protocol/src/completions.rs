//! Legacy text completions (`POST /v1/completions`), streamed or not.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::chat::{Stop, StreamOptions};
use crate::decode_error::{DecodeError, from_json};
use crate::finish_reason::{FinishReason, deserialize_finish_reason};
use crate::serde_util::null_as_default;
use crate::usage::Usage;

/// A request to `POST /v1/completions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompletionRequest {
    /// The model.
    pub model: String,
    /// The prompt: one text or several.
    pub prompt: Prompt,
    /// Token budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// How many choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// A seed for deterministic sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Echo the prompt in the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo: Option<bool>,
    /// Text after the completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// An end-user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Stream the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Streaming options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// Server-specific fields sent as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CompletionRequest {
    /// A request for `model` completing `prompt`.
    pub fn new(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            prompt: Prompt::One(prompt.into()),
            ..Self::default()
        }
    }

    /// Sets the token budget.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }
}

/// A completion prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
    /// One prompt.
    One(String),
    /// Several prompts, one choice each.
    Many(Vec<String>),
}

impl Default for Prompt {
    fn default() -> Self {
        Self::One(String::new())
    }
}

/// A completion answer; streamed chunks have the same shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompletionResponse {
    /// The completion id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `text_completion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<u64>,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The generated choices.
    #[serde(default, deserialize_with = "null_as_default")]
    pub choices: Vec<CompletionChoice>,
    /// Token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

impl CompletionResponse {
    /// Decodes a completion body.
    pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
        from_json("completion", body)
    }

    /// The first choice's text.
    pub fn text(&self) -> Option<&str> {
        self.choices.first().map(|choice| choice.text.as_str())
    }
}

/// One completion choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompletionChoice {
    /// The generated text (or this chunk's piece of it).
    #[serde(default, deserialize_with = "null_as_default")]
    pub text: String,
    /// Position among the choices.
    #[serde(default, deserialize_with = "null_as_default")]
    pub index: u32,
    /// Why generation stopped.
    #[serde(default, deserialize_with = "deserialize_finish_reason")]
    pub finish_reason: Option<FinishReason>,
    /// Log probabilities, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Value>,
}
