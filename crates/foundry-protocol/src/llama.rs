//! llama.cpp `llama-server` specifics: `/health` and `/props`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::decode_error::{DecodeError, from_json};

/// The answer of llama.cpp's `GET /health` when ready: `{"status":"ok"}`.
///
/// While the model loads the server answers 503 with an error envelope whose message is
/// `Loading model`: read that with [`ApiError`](crate::ApiError), it means "starting", not "dead".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LlamaHealth {
    /// `ok` when ready.
    #[serde(default)]
    pub status: String,
}

impl LlamaHealth {
    /// Decodes a `/health` body.
    pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
        from_json("llama.cpp health", body)
    }

    /// Whether the server says it is ready.
    pub fn is_ok(&self) -> bool {
        self.status.eq_ignore_ascii_case("ok")
    }
}

/// The parts of llama.cpp's `GET /props` a client uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LlamaProps {
    /// How many requests the server decodes at once (its slots): the right concurrency limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_slots: Option<u32>,
    /// The loaded model file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_path: Option<String>,
    /// The server's build (`b1234-abcdef`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_info: Option<String>,
    /// Generation defaults, including `n_ctx`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_generation_settings: Option<Value>,
}

impl LlamaProps {
    /// Decodes a `/props` body.
    pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
        from_json("llama.cpp props", body)
    }

    /// The context size, when the server reports it.
    pub fn context_size(&self) -> Option<u64> {
        self.default_generation_settings
            .as_ref()?
            .get("n_ctx")?
            .as_u64()
    }
}
