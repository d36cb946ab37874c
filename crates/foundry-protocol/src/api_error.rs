//! What a server said when it refused a request, in every shape servers use to say it.
//!
//! OpenAI: `{"error":{"message","type","param","code"}}`; llama.cpp: `{"error":{"code":400,"message","type"}}`;
//! Ollama: `{"error":"text"}`; vLLM: `{"object":"error","message",...}`; the legacy Foundry Local service:
//! plain text; the current Core's router: oatpp's `key=value` text. [`ApiError::from_body`] reads them all
//! and never fails: an unreadable body becomes the message itself.

use serde::Deserialize;
use serde_json::Value;

/// How much of a plain-text error body becomes the message.
const MESSAGE_LIMIT: usize = 4096;

/// A server's description of an error, decoded from any of the shapes servers use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ApiError {
    /// The human-readable message (may be empty when the server sent an empty body).
    pub message: String,
    /// The error type, e.g. `invalid_request_error`, `server_error`, `not_supported_error`.
    pub error_type: Option<String>,
    /// The offending parameter, when the server names one.
    pub param: Option<String>,
    /// The error code, as text (some servers send a number, some a string).
    pub code: Option<String>,
}

/// A problem with the requested model that Foundry Local reports through an error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelProblem {
    /// The server knows no model by that name.
    NotFound,
    /// The model is in the catalog but not downloaded ("Model not cached", or the legacy
    /// service's "No OpenAIService provider found").
    NotDownloaded,
    /// The model is downloaded but not loaded into memory. The v1 Core also says this for a
    /// name it does not know at all, so a client cannot tell the two apart there.
    NotLoaded,
}

/// What an error answer says about sending the same request again: the one classification the
/// retry policy and the client's error predicates share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The server is busy, starting or failing for now: the same request may succeed later
    /// (408, 409, 429, 500, 502, 503, 504).
    Transient,
    /// The request itself is wrong and sending it again cannot help: 400, 404, 413, 422, and a
    /// 500 whose message describes the request (Foundry's Core 1.x answers bad requests so).
    Request,
    /// A problem with the model the request named; readying the model may help, resending not.
    Model(ModelProblem),
    /// Anything else (authentication, 501 "not implemented", ...): not worth resending as it is.
    Other,
}

#[derive(Deserialize)]
struct Envelope {
    error: Option<Value>,
    message: Option<Value>,
    #[serde(rename = "type")]
    error_type: Option<Value>,
    param: Option<Value>,
    code: Option<Value>,
}

impl ApiError {
    /// An error with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }

    /// Reads an error body in any known shape. Never fails: text that is not a known JSON shape
    /// becomes the message (trimmed and bounded).
    pub fn from_body(body: &[u8]) -> Self {
        if let Ok(envelope) = serde_json::from_slice::<Envelope>(body)
            && let Some(error) = from_envelope(envelope)
        {
            return error;
        }
        Self::new(plain_text_message(body))
    }

    /// Reads the `error` member of a payload that is known to carry one (a mid-stream error event).
    pub fn from_value(value: &Value) -> Self {
        match value {
            Value::Object(map) => Self {
                message: map.get("message").map(text_of).unwrap_or_default(),
                error_type: map.get("type").and_then(non_null_text),
                param: map.get("param").and_then(non_null_text),
                code: map.get("code").and_then(non_null_text),
            },
            other => Self::new(text_of(other)),
        }
    }

    /// What this error, answered with `status`, says about sending the request again.
    pub fn classify(&self, status: u16) -> ErrorClass {
        if let Some(problem) = self.model_problem() {
            return ErrorClass::Model(problem);
        }
        match status {
            400 | 404 | 413 | 422 => ErrorClass::Request,
            500 if self.describes_request() => ErrorClass::Request,
            408 | 409 | 429 | 500 | 502 | 503 | 504 => ErrorClass::Transient,
            _ => ErrorClass::Other,
        }
    }

    /// Whether the message says the request could not be handled as sent: Foundry Core 1.x
    /// answers malformed requests with a 500 worded so.
    fn describes_request(&self) -> bool {
        let message = self.message.as_str();
        message.starts_with("Failed to handle OpenAI completion")
            || message.starts_with("Invalid OpenAI JSON request")
            || message.starts_with("Failed to handle OpenAI embeddings")
    }

    /// Which model problem, if any, this message reports (Foundry Local's wordings, all generations).
    pub fn model_problem(&self) -> Option<ModelProblem> {
        let message = self.message.as_str();
        if message.contains("Model not loaded") || message.contains("is not loaded") {
            Some(ModelProblem::NotLoaded)
        } else if message.contains("Model not cached")
            || message.contains("must be downloaded")
            || message.contains("No OpenAIService provider found")
        {
            Some(ModelProblem::NotDownloaded)
        } else if message.contains("Model not found")
            || message.contains("No model matching")
            || message.contains("does not exist")
        {
            Some(ModelProblem::NotFound)
        } else {
            None
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.error_type, self.message.is_empty()) {
            (Some(kind), false) => write!(f, "{kind}: {}", self.message),
            (Some(kind), true) => f.write_str(kind),
            (None, false) => f.write_str(&self.message),
            (None, true) => f.write_str("(empty error body)"),
        }
    }
}

fn from_envelope(envelope: Envelope) -> Option<ApiError> {
    match envelope.error {
        Some(Value::Null) | None => {}
        Some(error @ Value::Object(_)) => return Some(ApiError::from_value(&error)),
        Some(other) => return Some(ApiError::new(text_of(&other))),
    }
    // vLLM and some proxies put the fields at the top level.
    let message = envelope.message.as_ref().and_then(non_null_text)?;
    Some(ApiError {
        message,
        error_type: envelope.error_type.as_ref().and_then(non_null_text),
        param: envelope.param.as_ref().and_then(non_null_text),
        code: envelope.code.as_ref().and_then(non_null_text),
    })
}

fn non_null_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        other => Some(text_of(other)),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A plain-text body: oatpp's `key=value` lines give their `message=`; anything else is the message.
fn plain_text_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let oatpp_message = text.lines().find_map(|line| line.strip_prefix("message="));
    let message = oatpp_message.unwrap_or(text);
    let mut end = message.len().min(MESSAGE_LIMIT);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_openai_envelope() {
        let e =
            ApiError::from_body(br#"{"error":{"message":"m","type":"t","param":"p","code":"c"}}"#);
        assert_eq!(
            (e.message.as_str(), e.error_type.as_deref()),
            ("m", Some("t"))
        );
        assert_eq!(
            (e.param.as_deref(), e.code.as_deref()),
            (Some("p"), Some("c"))
        );
    }

    #[test]
    fn reads_numeric_codes_and_null_fields() {
        let e = ApiError::from_body(
            br#"{"error":{"code":400,"message":"bad","type":"x","param":null}}"#,
        );
        assert_eq!(e.code.as_deref(), Some("400"));
        assert_eq!(e.param, None);
    }

    #[test]
    fn reads_ollama_text_errors_and_top_level_messages() {
        assert_eq!(
            ApiError::from_body(br#"{"error":"model 'x' not found"}"#).message,
            "model 'x' not found"
        );
        let vllm = ApiError::from_body(
            br#"{"object":"error","message":"too long","type":"BadRequestError","code":400}"#,
        );
        assert_eq!(
            (vllm.message.as_str(), vllm.code.as_deref()),
            ("too long", Some("400"))
        );
    }

    #[test]
    fn plain_text_and_empty_bodies_never_fail() {
        assert_eq!(
            ApiError::from_body(b"  Failed loading model\n").message,
            "Failed loading model"
        );
        assert_eq!(ApiError::from_body(b"").message, "");
        assert_eq!(
            ApiError::from_body(b"\xff\xfe oops").message,
            "\u{fffd}\u{fffd} oops"
        );
        let oatpp = b"server=oatpp/1.3.0\ncode=404\ndescription=Not Found\nmessage=No mapping for HTTP-method";
        assert_eq!(
            ApiError::from_body(oatpp).message,
            "No mapping for HTTP-method"
        );
        let huge = vec![b'a'; 100_000];
        assert_eq!(ApiError::from_body(&huge).message.len(), MESSAGE_LIMIT);
    }

    #[test]
    fn json_without_an_error_shape_is_kept_as_text() {
        assert_eq!(
            ApiError::from_body(br#"{"error":null}"#).message,
            r#"{"error":null}"#
        );
        assert_eq!(ApiError::from_body(b"[1,2]").message, "[1,2]");
    }

    #[test]
    fn classifies_answers_for_resending() {
        let class = |status, message: &str| ApiError::new(message).classify(status);
        assert_eq!(class(503, "Loading model"), ErrorClass::Transient);
        assert_eq!(class(429, ""), ErrorClass::Transient);
        assert_eq!(class(500, "CUDA out of memory"), ErrorClass::Transient);
        assert_eq!(
            class(
                500,
                "Failed to handle OpenAI completion: Expected 'messages' to be an array"
            ),
            ErrorClass::Request
        );
        for status in [400, 404, 413, 422] {
            assert_eq!(class(status, "bad"), ErrorClass::Request, "{status}");
        }
        assert_eq!(
            class(
                500,
                "Failed to handle OpenAI completion: Model 'x' is not loaded"
            ),
            ErrorClass::Model(ModelProblem::NotLoaded)
        );
        assert_eq!(class(401, "no key"), ErrorClass::Other);
        assert_eq!(class(501, "embeddings are off"), ErrorClass::Other);
    }

    #[test]
    fn classifies_foundry_model_problems() {
        let problem = |m: &str| ApiError::new(m).model_problem();
        assert_eq!(
            problem("Model not loaded: Model 'x:1' must be loaded before inference"),
            Some(ModelProblem::NotLoaded)
        );
        assert_eq!(
            problem(
                "Failed to handle OpenAI completion: Model 'x' is not loaded. Please load the model"
            ),
            Some(ModelProblem::NotLoaded)
        );
        assert_eq!(
            problem("Model not cached: Model must be downloaded before loading"),
            Some(ModelProblem::NotDownloaded)
        );
        assert_eq!(
            problem("No OpenAIService provider found for modelName:phi-4-mini"),
            Some(ModelProblem::NotDownloaded)
        );
        assert_eq!(
            problem("Model not found: No model matching 'phi-9'"),
            Some(ModelProblem::NotFound)
        );
        assert_eq!(
            problem("No model matching 'nope:1'"),
            Some(ModelProblem::NotFound)
        );
        assert_eq!(problem("Expected 'messages' to be an array"), None);
    }
}
