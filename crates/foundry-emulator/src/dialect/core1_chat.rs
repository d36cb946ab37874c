//! Chat and embeddings on the v1 Core: the model name is echoed, every chunk carries `delta`,
//! `message` and a running `usage`, and a usage-only chunk always ends the stream.

use foundry_protocol::{
    ChatRequest, ChunkChoice, Delta, Embedding, EmbeddingsRequest, EmbeddingsResponse, Role, Usage,
};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde_json::{Value, json};

use super::chat::Answer;
use super::core1::{envelope, extras, ok, resolve};
use super::dotnet;
use super::json::{self, set, set_default};
use super::requests;
use crate::catalog::ModelKind;
use crate::faults::StructuredDefect;
use crate::model;
use crate::reply::{ChunkPlan, Reply, ReplyBody, sse_done, sse_event};
use crate::shared::{Shared, rfc3339};

const CHAT_FAILED: &str = "Failed to handle OpenAI completion";
const EMBEDDINGS_FAILED: &str = "Failed to handle OpenAI embeddings";

pub(crate) fn chat(shared: &Shared, body: &[u8], defect: Option<StructuredDefect>) -> Reply {
    let request = match parse_chat(body) {
        Ok(request) => request,
        Err(reply) => return *reply,
    };
    let name = request.model.clone();
    let Some(index) = loaded(shared, &name) else {
        return envelope(
            StatusCode::BAD_REQUEST,
            &format!(
                "{CHAT_FAILED}: Model '{name}' is not loaded. Please load the model before getting a ChatClient."
            ),
            Value::Null,
        );
    };
    let entry = shared.catalog.entry(index);
    let answer = Answer::generate(shared, entry, &request, name, false, defect);
    if request.stream == Some(true) {
        return stream(shared, &answer);
    }
    let mut value = json::value_of(&answer.response());
    json::each(&mut value, "choices", |choice| {
        if let Some(message) = choice.get_mut("message") {
            set_default(message, "tool_calls", json!([]));
            let delta = message.clone();
            set(choice, "delta", delta);
        }
    });
    decorate(&mut value, answer.created);
    let mut reply = ok(&value);
    reply.wait = answer.duration(shared);
    reply
}

/// `id`, `CreatedAt` and the PascalCase extras of every v1 Core answer object.
fn decorate(value: &mut Value, created: u64) {
    set(value, "id", json!("chat.id.1"));
    set(value, "CreatedAt", json!(rfc3339(created)));
    extras(value);
}

fn stream(shared: &Shared, answer: &Answer) -> Reply {
    let mut deltas = answer.deltas().into_iter().next().unwrap_or_default();
    if deltas.is_empty() {
        deltas.push(Delta::text(""));
    }
    let choice = &answer.choices[0];
    let total = choice.completion_tokens;
    let last = deltas.len() - 1;
    let mut events = Vec::with_capacity(deltas.len() + 2);
    for (step, mut delta) in deltas.into_iter().enumerate() {
        delta.role = Some(Role::Assistant);
        let finish = (step == last).then(|| choice.finish.clone());
        let mut chunk = answer.chunk(vec![ChunkChoice::new(0, delta, finish)]);
        let so_far = if step == last {
            total
        } else {
            (step as u64 + 1).min(total)
        };
        chunk.usage = Some(Usage::new(answer.prompt_tokens, so_far));
        let mut value = json::value_of(&chunk);
        json::each(&mut value, "choices", |choice| {
            if let Some(delta) = choice.get_mut("delta") {
                set_default(delta, "tool_calls", json!([]));
                let message = delta.clone();
                set(choice, "message", message);
            }
            if let Some(map) = choice.as_object_mut()
                && map.get("finish_reason").is_some_and(Value::is_null)
            {
                map.remove("finish_reason");
            }
        });
        decorate(&mut value, answer.created);
        events.push(sse_event(&dotnet::escape(&json::to_bytes(&value))));
    }
    let mut usage = answer.chunk(Vec::new());
    usage.usage = Some(Usage::new(answer.prompt_tokens, total));
    let mut value = json::value_of(&usage);
    decorate(&mut value, answer.created);
    events.push(sse_event(&dotnet::escape(&json::to_bytes(&value))));
    events.push(sse_done());
    let plan = ChunkPlan::new(events, true).delays(shared.ttft, shared.token_delay);
    Reply::new(StatusCode::OK, ReplyBody::Chunks(plan)).header(CONTENT_TYPE, "text/event-stream")
}

fn invalid(message: &str) -> Reply {
    envelope(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("Invalid OpenAI JSON request: {message}"),
        Value::Null,
    )
}

fn parse_chat(body: &[u8]) -> Result<ChatRequest, Box<Reply>> {
    let typed_error = match serde_json::from_slice::<ChatRequest>(body) {
        Ok(request) => return Ok(request),
        Err(error) => error,
    };
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        Box::new(invalid(
            &dotnet::syntax_error(body).unwrap_or_else(|| error.to_string()),
        ))
    })?;
    if let Some(key) = dotnet::mistyped_field(&value) {
        return Err(Box::new(invalid(&dotnet::conversion_error(body, key))));
    }
    for (key, parameter) in [("model", "Model"), ("messages", "Messages")] {
        if value.get(key).is_none_or(Value::is_null) {
            return Err(Box::new(envelope(
                StatusCode::BAD_REQUEST,
                &format!("{CHAT_FAILED}: Value cannot be null. (Parameter '{parameter}')"),
                Value::Null,
            )));
        }
    }
    Err(Box::new(invalid(&typed_error.to_string())))
}

/// The loaded catalog entry a name means, if any.
fn loaded(shared: &Shared, name: &str) -> Option<usize> {
    let candidates = resolve(shared, name);
    let now = tokio::time::Instant::now();
    let mut state = shared.state();
    candidates.into_iter().find(|&i| state.is_loaded(i, now))
}

pub(crate) fn embeddings(shared: &Shared, body: &[u8]) -> Reply {
    let request: EmbeddingsRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(error) => {
            return invalid(&dotnet::syntax_error(body).unwrap_or_else(|| error.to_string()));
        }
    };
    let name = request.model.clone();
    let Some(index) = loaded(shared, &name) else {
        return envelope(
            StatusCode::BAD_REQUEST,
            &format!(
                "{EMBEDDINGS_FAILED}: Model '{name}' is not loaded. Please load the model before getting an EmbeddingClient."
            ),
            Value::Null,
        );
    };
    let entry = shared.catalog.entry(index);
    if entry.kind == ModelKind::Chat {
        return envelope(
            StatusCode::BAD_REQUEST,
            &format!("{EMBEDDINGS_FAILED}: Failed to get embeddings"),
            Value::Null,
        );
    }
    let mut response = EmbeddingsResponse::default();
    response.object = Some("list".to_owned());
    response.model = Some(name);
    response.data = requests::texts(&request.input)
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut item = Embedding::default();
            item.index = i as u32;
            item.embedding = model::embed(entry, text, shared.seed);
            item
        })
        .collect();
    let mut value = json::value_of(&response);
    extras(&mut value);
    ok(&value)
}
