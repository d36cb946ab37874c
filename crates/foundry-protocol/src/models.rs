//! The OpenAI model list (`GET /v1/models`) in the shapes servers send it.

use serde::{Deserialize, Serialize};

use crate::decode_error::{DecodeError, from_json};
use crate::serde_util::null_as_default;

/// The answer of `GET /v1/models`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelList {
    /// `list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The models.
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<ModelObject>,
}

impl ModelList {
    /// Decodes a model list body.
    pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
        from_json("model list", body)
    }

    /// The ids of the listed models.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.data.iter().map(|model| model.id.as_str())
    }
}

/// One entry of the model list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelObject {
    /// The id to send as `model`.
    pub id: String,
    /// `model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Unix seconds (0 on Foundry Local).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<u64>,
    /// Publisher or server name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
    /// Foundry Local v1 Core: the model's alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// llama.cpp: other names the model answers to.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    /// llama.cpp: model metadata (context size, parameters, ...), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}

impl ModelObject {
    /// An entry with only an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            object: Some("model".to_owned()),
            ..Self::default()
        }
    }
}
