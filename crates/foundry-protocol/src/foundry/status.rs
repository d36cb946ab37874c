//! Service status: the legacy `/openai/status` and the current Core's `/status`.

use serde::{Deserialize, Serialize};

use super::keys::from_json_any_case;
use crate::decode_error::DecodeError;
use crate::serde_util::null_as_default;

/// What a Foundry Local service says about itself.
///
/// One type for every generation: the legacy service and the v1 Core report `modelDirPath`, the
/// C++ Core (2.x) `modelCachePath` and its `pid`. Keys match case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceStatus {
    /// The URLs the service listens on.
    #[serde(default, deserialize_with = "null_as_default")]
    pub endpoints: Vec<String>,
    /// Model directory (legacy service and v1 Core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_dir_path: Option<String>,
    /// Model cache directory (C++ Core 2.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_cache_path: Option<String>,
    /// The service's process id (C++ Core 2.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The named pipe of the legacy service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipe_name: Option<String>,
    /// v1 Core: whether execution-provider registration finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_auto_registration_resolved: Option<bool>,
    /// v1 Core and legacy service: execution-provider registration message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_registration_status: Option<String>,
}

impl ServiceStatus {
    /// Decodes a status body in any key casing.
    pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
        from_json_any_case("service status", body)
    }

    /// The model directory, whichever key carried it.
    pub fn model_directory(&self) -> Option<&str> {
        self.model_cache_path
            .as_deref()
            .or(self.model_dir_path.as_deref())
    }

    /// Which Core answered a `/status`: the key that names the model directory tells them apart.
    pub fn core_flavour(&self) -> Option<CoreFlavour> {
        if self.model_cache_path.is_some() {
            Some(CoreFlavour::Core2)
        } else if self.model_dir_path.is_some() {
            Some(CoreFlavour::Core1)
        } else {
            None
        }
    }
}

/// The two Cores that serve the current web API (`/status`, `/models/*`, `/v1/*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CoreFlavour {
    /// The C# Core 1.x (Kestrel): load by any name, inference by any name, empty load answers.
    Core1,
    /// The C++ Core 2.x (oatpp): load by alias, inference by id, JSON load answers.
    Core2,
}

impl CoreFlavour {
    /// Guesses the flavour from a `Server` header (`Kestrel` or `oatpp/…`).
    pub fn from_server_header(server: &str) -> Option<Self> {
        let server = server.to_ascii_lowercase();
        if server.contains("kestrel") {
            Some(Self::Core1)
        } else if server.contains("oatpp") {
            Some(Self::Core2)
        } else {
            None
        }
    }
}
