//! Chat and embeddings on the v1 Core: the model name is echoed, every chunk carries `delta`,
//! `message` and a running `usage`, and a usage-only chunk always ends the stream.

use foundry_protocol::{
    ChatRequest, ChunkChoice, Delta, Embedding, EmbeddingsRequest, EmbeddingsResponse,
    FinishReason, Role, Usage,
};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde_json::{Value, json};

use super::chat::Answer;
use super::core1::{envelope, extras, ok, resolve};
use super::json::{self, set, set_default};
use super::requests;
use crate::catalog::ModelKind;
use crate::faults::StructuredDefect;
use crate::model;
use crate::reply::{ChunkPlan, Reply, ReplyBody, StreamEnd, sse_done, sse_event};
use crate::shared::{Shared, rfc3339};

const CHAT_FAILED: &str = "Failed to handle OpenAI completion";
const EMBEDDINGS_FAILED: &str = "Failed to handle OpenAI embeddings";

pub(crate) fn chat(shared: &Shared, body: &[u8], defect: Option<StructuredDefect>) -> Reply {
    let mut request = match parse_chat(body) {
        Ok(request) => request,
        Err(reply) => return *reply,
    };
    if request.messages.is_empty() {
        return bad_request(&format!(
            "{CHAT_FAILED}: Request must contain at least one Chat request message (Parameter 'chatRequest')"
        ));
    }
    if request.token_budget() == Some(0) {
        return bad_request(&format!(
            "{CHAT_FAILED}: Invalid 'max_completion_tokens': integer below minimum value. Expected a value >= 1 (Parameter 'chatRequest')"
        ));
    }
    // The 1.x Core ignores stop sequences.
    request.stop = None;
    let name = request.model.clone();
    let Some(index) = loaded(shared, &name) else {
        if request.stream == Some(true) {
            // It only finds out after sending the stream's headers: then it closes the connection
            // without a single byte.
            let mut plan = ChunkPlan::new(Vec::<bytes::Bytes>::new(), true);
            plan.end = StreamEnd::Abort;
            return Reply::new(StatusCode::OK, ReplyBody::Chunks(plan))
                .header(CONTENT_TYPE, "text/event-stream");
        }
        return envelope(
            StatusCode::BAD_REQUEST,
            &format!(
                "{CHAT_FAILED}: Model '{name}' is not loaded. Please load the model before getting a ChatClient."
            ),
            Value::Null,
        );
    };
    let entry = shared.catalog.entry(index);
    let prompt = model::prompt_tokens(entry, &request.messages);
    if let Some(budget) = request.token_budget()
        && prompt + u64::from(budget) > u64::from(entry.context_length)
    {
        return bad_request(&format!(
            "{CHAT_FAILED}: This request requires {} total tokens ({prompt} input + {budget} output), which exceeds the model's maximum context length of {} tokens. Please reduce 'max_tokens'or shorten your input. (Parameter 'chatRequest')",
            prompt + u64::from(budget),
            entry.context_length
        ));
    }
    let mut answer = Answer::generate(shared, entry, &request, name, false, defect);
    if request.max_tokens.is_none() && request.max_completion_tokens.is_some() {
        // Cut by `max_completion_tokens`, the 1.x Core still says "stop".
        for choice in &mut answer.choices {
            choice.finish = FinishReason::Stop;
        }
    }
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
    // A natural end comes as one more chunk with empty content carrying "stop"; a cut answer
    // carries its finish reason on the last content chunk.
    if choice.finish == FinishReason::Stop {
        deltas.push(Delta::text(""));
    }
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
        events.push(sse_event(&json::to_bytes(&value)));
    }
    let mut usage = answer.chunk(Vec::new());
    usage.usage = Some(Usage::new(answer.prompt_tokens, total));
    let mut value = json::value_of(&usage);
    decorate(&mut value, answer.created);
    events.push(sse_event(&json::to_bytes(&value)));
    events.push(sse_done());
    let plan = ChunkPlan::new(events, true).delays(shared.ttft, shared.token_delay);
    Reply::new(StatusCode::OK, ReplyBody::Chunks(plan)).header(CONTENT_TYPE, "text/event-stream")
}

fn bad_request(message: &str) -> Reply {
    envelope(StatusCode::BAD_REQUEST, message, Value::Null)
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
    let value: Value =
        serde_json::from_slice(body).map_err(|error| Box::new(invalid(&error.to_string())))?;
    if let Some(key) = mistyped_field(&value) {
        return Err(Box::new(invalid(&conversion_error(key))));
    }
    if value.get("model").is_none_or(Value::is_null) {
        return Err(Box::new(bad_request(&format!(
            "{CHAT_FAILED}: Value cannot be null. (Parameter 'Model')"
        ))));
    }
    if value.get("messages").is_none_or(Value::is_null) {
        return Err(Box::new(bad_request(&format!(
            "{CHAT_FAILED}: Request must contain at least one Chat request message (Parameter 'chatRequest')"
        ))));
    }
    Err(Box::new(invalid(&typed_error.to_string())))
}

/// System.Text.Json's message for a value of the wrong type for the request field `key`, up to
/// the position it adds (a syntax error is worded by serde_json instead): the messages of the
/// real Core are compared by these parts (see `docs/COMPATIBILITY.md`).
fn conversion_error(key: &str) -> String {
    let target = match key {
        "messages" => {
            "System.Collections.Generic.IList`1[Betalgo.Ranul.OpenAI.ObjectModels.RequestModels.ChatMessage]"
        }
        "model" => "System.String",
        "stream" => "System.Nullable`1[System.Boolean]",
        "max_tokens" | "max_completion_tokens" | "n" => "System.Nullable`1[System.Int32]",
        _ => "System.Nullable`1[System.Single]",
    };
    format!("The JSON value could not be converted to {target}. Path: $.{key}")
}

/// The top-level field whose value does not fit the v1 Core's request type, if any.
fn mistyped_field(value: &Value) -> Option<&'static str> {
    let object = value.as_object()?;
    let wrong =
        |key: &str, ok: fn(&Value) -> bool| object.get(key).is_some_and(|v| !v.is_null() && !ok(v));
    [
        ("model", Value::is_string as fn(&Value) -> bool),
        ("messages", Value::is_array),
        ("stream", Value::is_boolean),
        ("max_tokens", Value::is_i64),
        ("max_completion_tokens", Value::is_i64),
        ("n", Value::is_i64),
        ("temperature", Value::is_number),
        ("top_p", Value::is_number),
    ]
    .into_iter()
    .find(|(key, ok)| wrong(key, *ok))
    .map(|(key, _)| key)
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
            return invalid(&error.to_string());
        }
    };
    if let foundry_protocol::EmbeddingInput::Tokens(_) = request.input {
        // .NET cannot bind token arrays to its request type: it reports the whole object.
        let end = String::from_utf8_lossy(body).trim_end().len();
        return invalid(&format!(
            "The JSON value could not be converted to Betalgo.Ranul.OpenAI.ObjectModels.RequestModels.EmbeddingCreateRequest. Path: $ | LineNumber: 0 | BytePositionInLine: {end}."
        ));
    }
    if requests::texts(&request.input).is_empty() {
        return bad_request(&format!(
            "{EMBEDDINGS_FAILED}: Request must contain at least one embedding input (Input or InputAsList must be set) (Parameter 'embeddingRequest')"
        ));
    }
    let name = request.model.clone();
    let Some(index) = loaded(shared, &name) else {
        return envelope(
            StatusCode::BAD_REQUEST,
            &format!(
                "{EMBEDDINGS_FAILED}: Model '{name}' is not loaded. Please load the model before getting an EmbeddingsClient."
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
