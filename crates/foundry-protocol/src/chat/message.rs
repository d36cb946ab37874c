//! Messages of a conversation: roles, content (text or parts) and tool calls.

use serde::{Deserialize, Serialize};

use crate::serde_util::{null_as_default, open_string_enum};

open_string_enum! {
    /// Who wrote a message. Unknown roles are kept as sent.
    pub enum Role {
        /// Instructions for the model.
        System => "system",
        /// Newer OpenAI name for system-level instructions.
        Developer => "developer",
        /// The person asking.
        User => "user",
        /// The model.
        Assistant => "assistant",
        /// The result of a tool call.
        Tool => "tool",
    }
}

impl Default for Role {
    /// Answers without a role come from the assistant.
    fn default() -> Self {
        Self::Assistant
    }
}

/// One message of a conversation, as sent in a request and as returned in an answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Who wrote it. An answer that omits the role is the assistant's.
    #[serde(default, deserialize_with = "null_as_default")]
    pub role: Role,
    /// Text or content parts; absent for an assistant message that only calls tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    /// An optional participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tool calls made by the assistant (an empty list is not sent: some servers reject it).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tool_calls: Vec<ToolCall>,
    /// For a `tool` message: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// A refusal the model gave instead of content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Reasoning text some servers (llama.cpp, vLLM) return beside the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
}

impl Message {
    /// A message with a role and text content.
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: Some(MessageContent::Text(text.into())),
            ..Self::default()
        }
    }

    /// A system message.
    pub fn system(text: impl Into<String>) -> Self {
        Self::new(Role::System, text)
    }

    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::new(Role::User, text)
    }

    /// An assistant message.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new(Role::Assistant, text)
    }

    /// A message made of typed content parts.
    pub fn parts(role: Role, parts: Vec<ContentPart>) -> Self {
        Self {
            role,
            content: Some(MessageContent::Parts(parts)),
            ..Self::default()
        }
    }

    /// An assistant message that calls tools (and has no text).
    pub fn assistant_tool_calls(calls: Vec<ToolCall>) -> Self {
        Self {
            role: Role::Assistant,
            tool_calls: calls,
            ..Self::default()
        }
    }

    /// The answer to a tool call.
    pub fn tool(tool_call_id: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            tool_call_id: Some(tool_call_id.into()),
            ..Self::new(Role::Tool, text)
        }
    }

    /// The text of the message: the content string, or its text parts joined. `None` without content.
    pub fn text(&self) -> Option<String> {
        self.content.as_ref().map(MessageContent::text)
    }
}

/// Message content: plain text, or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a string or a list of content parts")]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Typed parts (text, images, ...).
    Parts(Vec<ContentPart>),
}

impl MessageContent {
    /// The text of the content; text parts are concatenated, other parts skipped.
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Parts(parts) => parts
                .iter()
                .filter_map(|part| match part {
                    ContentPart::Text { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect(),
        }
    }
}

impl From<&str> for MessageContent {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for MessageContent {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

/// One typed part of a message's content. Unknown part types are kept as raw JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContentPart {
    /// A piece of text.
    Text {
        /// The text.
        text: String,
    },
    /// An image by URL (or `data:` URL).
    ImageUrl {
        /// Where the image is.
        image_url: ImageUrl,
    },
    /// A part type this crate does not model, kept as sent.
    #[serde(untagged)]
    Other(serde_json::Value),
}

/// The image of an [`ContentPart::ImageUrl`] part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageUrl {
    /// The URL (`https:` or `data:`).
    pub url: String,
    /// Requested detail level (`low`, `high`, `auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ImageUrl {
    /// An image URL without a detail level.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            detail: None,
        }
    }
}

/// A complete tool call made by the assistant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolCall {
    /// The call's id, quoted back in the tool's answer.
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    /// Always `function` today.
    #[serde(
        rename = "type",
        default = "function_type",
        deserialize_with = "function_type_or_null"
    )]
    pub kind: String,
    /// Which function, with which arguments.
    #[serde(default, deserialize_with = "null_as_default")]
    pub function: FunctionCall,
}

impl ToolCall {
    /// A function call with its arguments as JSON text.
    pub fn function(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            kind: function_type(),
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
            },
        }
    }
}

/// The function a tool call names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionCall {
    /// The function's name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Its arguments, as JSON text (models can produce invalid JSON: parse it yourself).
    #[serde(default, deserialize_with = "null_as_default")]
    pub arguments: String,
}

pub(crate) fn function_type() -> String {
    "function".to_owned()
}

fn function_type_or_null<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_else(function_type))
}
