//! Catalog entries: the legacy service's `/foundry/list` and the current Core's model info.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::keys::from_json_any_case;
use crate::decode_error::DecodeError;
use crate::serde_util::{null_as_default, string_or_number};

/// One model variant of the Foundry Local catalog.
///
/// Read from either generation; keys match case-insensitively, `version` may be a string or a
/// number, and the execution provider and device stay open strings (new ones appear often).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelInfo {
    /// The variant id (`Phi-4-mini-instruct-generic-cpu:4`); the legacy list calls it `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The variant name; on the legacy service this is the id, with its version suffix.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The alias users type (`phi-4-mini`); several variants share one.
    #[serde(default, deserialize_with = "null_as_default")]
    pub alias: String,
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The version, as text.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub version: Option<String>,
    /// Where the model comes from (`AzureFoundry`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<String>,
    /// The model's URI (`azureml://...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// `ONNX`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_type: Option<String>,
    /// Prompt templates (`{}` and `null` read as absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_template: Option<PromptTemplate>,
    /// The publisher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// The task (`chat-completion`, `embeddings`, `automatic-speech-recognition`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Device and execution provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// Download size in MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size_mb: Option<u64>,
    /// Default generation settings, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_settings: Option<Value>,
    /// Whether the model can call tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_tool_calling: Option<bool>,
    /// The license name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The license text or link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_description: Option<String>,
    /// The base model's URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_model_uri: Option<String>,
    /// The most tokens one answer may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// The oldest Foundry Local version that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_fl_version: Option<String>,
    /// Whether it is downloaded (current Core only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<bool>,
    /// A test-only entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_model: Option<bool>,
}

impl ModelInfo {
    /// The id to load and to send as `model`: `id` when present, else `name`.
    pub fn model_id(&self) -> &str {
        self.id
            .as_deref()
            .filter(|id| !id.is_empty())
            .unwrap_or(&self.name)
    }

    /// The device type (`CPU`, `GPU`, `NPU`, ...), if known.
    pub fn device_type(&self) -> Option<&str> {
        self.runtime
            .as_ref()
            .and_then(|runtime| runtime.device_type.as_deref())
    }

    /// The execution provider (`CPUExecutionProvider`, ...), if known.
    pub fn execution_provider(&self) -> Option<&str> {
        self.runtime
            .as_ref()
            .and_then(|runtime| runtime.execution_provider.as_deref())
    }

    /// Whether `name` names this variant: its alias (any case), its id, or its id without version.
    pub fn answers_to(&self, name: &str) -> bool {
        let id = self.model_id();
        self.alias.eq_ignore_ascii_case(name)
            || id.eq_ignore_ascii_case(name)
            || id
                .split_once(':')
                .is_some_and(|(bare, _)| bare.eq_ignore_ascii_case(name))
    }
}

/// Device type and execution provider of a variant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Runtime {
    /// `CPU`, `GPU`, `NPU`, or a newer value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    /// `CPUExecutionProvider`, `WebGpuExecutionProvider`, ... (an open set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_provider: Option<String>,
}

/// Prompt templates of a model, each with a `{Content}` placeholder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PromptTemplate {
    /// The system turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The user turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The assistant turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant: Option<String>,
    /// A whole single-turn prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

/// Decodes a catalog: a bare array of entries (what every SDK reads) or `{"models": [...]}`.
pub fn parse_catalog(body: &[u8]) -> Result<Vec<ModelInfo>, DecodeError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Bare(Vec<ModelInfo>),
        Wrapped { models: Vec<ModelInfo> },
    }
    let wire: Wire = from_json_any_case("model catalog", body)?;
    let mut models = match wire {
        Wire::Bare(models) | Wire::Wrapped { models } => models,
    };
    for model in &mut models {
        if model
            .prompt_template
            .as_ref()
            .is_some_and(|t| *t == PromptTemplate::default())
        {
            model.prompt_template = None;
        }
    }
    Ok(models)
}
