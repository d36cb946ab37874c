//! Model id lists and load/unload answers.

use serde::Deserialize;

use super::keys::from_json_any_case;
use crate::decode_error::DecodeError;

/// Decodes a list of model ids: a bare array (`/openai/models`, `/models/loaded`) or
/// `{"models": [...]}` (seen from the legacy service).
pub fn parse_model_ids(body: &[u8]) -> Result<Vec<String>, DecodeError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Bare(Vec<String>),
        Wrapped { models: Vec<String> },
    }
    let wire: Wire = from_json_any_case("model id list", body)?;
    Ok(match wire {
        Wire::Bare(ids) | Wire::Wrapped { models: ids } => ids,
    })
}

/// What a load or unload request answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadOutcome {
    /// An empty 200: the legacy service and the v1 Core answer every success this way.
    Accepted,
    /// `{"status":"loaded"}`.
    Loaded,
    /// `{"status":"already_loaded"}`.
    AlreadyLoaded,
    /// `{"status":"unloaded"}`.
    Unloaded,
    /// `{"status":"not_loaded"}`: there was nothing to unload.
    NotLoaded,
    /// A status this crate does not know, kept as sent.
    Other(String),
}

impl LoadOutcome {
    /// Decodes a load or unload answer: an empty body, or a `{"status": ...}` object.
    pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        struct Wire {
            status: String,
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::Accepted);
        }
        let wire: Wire = from_json_any_case("load status", body)?;
        Ok(match wire.status.as_str() {
            "loaded" => Self::Loaded,
            "already_loaded" => Self::AlreadyLoaded,
            "unloaded" => Self::Unloaded,
            "not_loaded" => Self::NotLoaded,
            _ => Self::Other(wire.status),
        })
    }
}
