//! Servers without `json_schema`: recognising their refusal, remembering it per client (one
//! client, one endpoint), and the request that asks them for JSON another way.

use std::sync::atomic::Ordering;

use foundry_protocol::{ChatRequest, Message, MessageContent, ResponseFormat, Role};

use super::JsonMode;
use super::schema::Compiled;
use crate::client::FoundryClient;
use crate::error::{Error, ErrorKind};

/// How to ask this client's server for JSON: with the schema, unless it refused that before.
pub(crate) fn mode_for(client: &FoundryClient) -> JsonMode {
    if client.learned().json_schema_refused.load(Ordering::Relaxed) {
        JsonMode::JsonObject
    } else {
        JsonMode::JsonSchema
    }
}

/// Remembers that this client's server refuses `json_schema`, and says so once.
pub(crate) fn remember(client: &FoundryClient, error: &Error) {
    if client
        .learned()
        .json_schema_refused
        .swap(true, Ordering::Relaxed)
    {
        return;
    }
    tracing::warn!(
        endpoint = client.endpoint(),
        %error,
        "the server refuses response_format json_schema: this client asks for json_object \
         with the schema in a system message from now on"
    );
}

/// Whether `error` is a server refusing the `response_format` itself: a 400 (or 422) whose
/// message names `response_format` or `json_schema`, or the 500 Foundry's C# Core answers a
/// request it cannot handle with the same words.
pub(crate) fn refuses_json_schema(error: &Error) -> bool {
    if error.kind() != ErrorKind::Api {
        return false;
    }
    let names = |text: &str| {
        let text = text.to_ascii_lowercase();
        text.contains("response_format") || text.contains("json_schema")
    };
    let named = error.api_error().is_some_and(|api| names(&api.message))
        || error
            .raw_body()
            .is_some_and(|body| names(&String::from_utf8_lossy(body)));
    let status = error.status().map(|s| s.as_u16());
    named
        && (matches!(status, Some(400 | 422))
            || (status == Some(500)
                && error.class() == Some(foundry_protocol::ErrorClass::Request)))
}

/// `request` asking for JSON in `mode`: `response_format` set (replacing the caller's), and in
/// [`JsonMode::JsonObject`] the schema given to the model in a system message.
pub(crate) fn shape(request: &ChatRequest, compiled: &Compiled, mode: JsonMode) -> ChatRequest {
    let mut request = request.clone();
    match mode {
        JsonMode::JsonSchema => {
            request.response_format = Some(ResponseFormat::json_schema(
                compiled.name.clone(),
                compiled.schema.clone(),
            ));
        }
        JsonMode::JsonObject => {
            request.response_format = Some(ResponseFormat::JsonObject);
            let instruction = instruction(compiled);
            // Many chat templates take one system message, first: extend it when there is one.
            let first_system_text = request
                .messages
                .first_mut()
                .filter(|first| first.role == Role::System)
                .and_then(|first| match &mut first.content {
                    Some(MessageContent::Text(text)) => Some(text),
                    _ => None,
                });
            match first_system_text {
                Some(text) => {
                    text.push_str("\n\n");
                    text.push_str(&instruction);
                }
                None => request.messages.insert(0, Message::system(instruction)),
            }
        }
    }
    request
}

/// What the model is told when the server cannot enforce the schema.
fn instruction(compiled: &Compiled) -> String {
    format!(
        "Answer with one JSON object and nothing else. It must be valid against this JSON \
         Schema (named {}):\n{}",
        compiled.name, compiled.schema
    )
}
