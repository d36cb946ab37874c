//! Chat and embeddings on the legacy service: models load on demand, `n` is honoured, and the
//! quirks switch reproduces its non-standard chunks and answers.

use foundry_protocol::{
    ChatRequest, ChunkChoice, Embedding, EmbeddingsRequest, EmbeddingsResponse, Role, Usage,
};
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};

use super::chat::Answer;
use super::g1::{no_provider, quirk_extras, text_error};
use super::json::{self, set};
use super::requests;
use crate::catalog::{CatalogEntry, ModelKind};
use crate::faults::StructuredDefect;
use crate::model;
use crate::reply::{ChunkPlan, Reply, ReplyBody, sse_done, sse_event};
use crate::shared::{Shared, rfc3339};

pub(crate) fn chat(shared: &Shared, body: &[u8], defect: Option<StructuredDefect>) -> Reply {
    let request: ChatRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(error) => {
            return text_error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid request body: {error}"),
            );
        }
    };
    let ttl = request.extra.get("ttl").and_then(Value::as_u64);
    let entry = match load_on_demand(shared, &request.model, ttl) {
        Ok(entry) => entry,
        Err(reply) => return *reply,
    };
    let answer = Answer::generate(shared, entry, &request, entry.id().to_owned(), true, defect);
    if request.stream == Some(true) {
        let events = if shared.quirks {
            quirk_events(&answer)
        } else {
            answer
                .standard_chunks()
                .iter()
                .map(|chunk| sse_event(&json::to_bytes(&json::value_of(chunk))))
                .collect()
        };
        let mut events = events;
        events.push(sse_done());
        let plan = ChunkPlan::new(events, true).delays(shared.ttft, shared.token_delay);
        return Reply::new(StatusCode::OK, ReplyBody::Chunks(plan))
            .header(CONTENT_TYPE, "text/event-stream")
            .header(CACHE_CONTROL, "no-cache");
    }
    let mut value = json::value_of(&answer.response());
    if shared.quirks {
        // The service once answered non-streamed requests with `delta` where `message` belongs.
        json::each(&mut value, "choices", |choice| {
            if let Some(map) = choice.as_object_mut()
                && let Some(message) = map.remove("message")
            {
                map.insert("delta".to_owned(), message);
            }
        });
        set(&mut value, "id", json!("chat.id.1"));
        quirk_extras(&mut value);
    }
    let mut reply = Reply::json(StatusCode::OK, json::to_bytes(&value));
    reply.wait = answer.duration(shared);
    reply
}

/// The catalog entry for an id (never an alias), loaded now if it is downloaded.
fn load_on_demand<'a>(
    shared: &'a Shared,
    name: &str,
    ttl: Option<u64>,
) -> Result<&'a CatalogEntry, Box<Reply>> {
    let index = shared
        .catalog
        .by_id_any_case(name)
        .ok_or_else(|| Box::new(no_provider(name)))?;
    let ttl = ttl.filter(|&t| t > 0).map(std::time::Duration::from_secs);
    let mut state = shared.state();
    if !state.is_cached(index) {
        return Err(Box::new(no_provider(name)));
    }
    state.load(index, ttl, tokio::time::Instant::now());
    Ok(shared.catalog.entry(index))
}

/// The legacy stream as it was seen: no role chunk, `delta` and `message` in every choice, a
/// new id and choice index per chunk, `model: null` until the last chunk, PascalCase extras.
fn quirk_events(answer: &Answer) -> Vec<bytes::Bytes> {
    let created_at = rfc3339(answer.created);
    let mut events = Vec::new();
    let mut number = 0u32;
    let decorate = |value: &mut Value, number: u32, last: bool| {
        set(value, "id", json!(format!("chat.id.{number}")));
        if !last {
            set(value, "model", Value::Null);
        }
        set(value, "CreatedAt", json!(created_at));
        set(value, "StreamEvent", Value::Null);
        set(value, "IsDelta", Value::Bool(true));
        set(value, "Successful", Value::Bool(true));
        set(value, "error", Value::Null);
        set(value, "HttpStatusCode", json!(0));
        set(value, "HeaderValues", Value::Null);
    };
    let all = answer.deltas();
    let chunks_total: usize = all.iter().map(|d| d.len().max(1)).sum();
    for (deltas, choice) in all.into_iter().zip(&answer.choices) {
        let mut deltas = deltas;
        if deltas.is_empty() {
            deltas.push(foundry_protocol::Delta::text(""));
        }
        let last = deltas.len() - 1;
        for (step, mut delta) in deltas.into_iter().enumerate() {
            delta.role = Some(Role::Assistant);
            let finish = (step == last).then(|| choice.finish.clone());
            let chunk = answer.chunk(vec![ChunkChoice::new(number, delta, finish)]);
            let mut value = json::value_of(&chunk);
            json::each(&mut value, "choices", |choice| {
                let delta = choice.get("delta").cloned().unwrap_or(Value::Null);
                set(choice, "message", delta);
                set(choice, "finish_details", Value::Null);
            });
            number += 1;
            decorate(&mut value, number, number as usize == chunks_total);
            events.push(sse_event(&json::to_bytes(&value)));
        }
    }
    if answer.include_usage {
        let mut chunk = answer.chunk(Vec::new());
        chunk.usage = Some(answer.usage());
        let mut value = json::value_of(&chunk);
        decorate(&mut value, number + 1, true);
        events.push(sse_event(&json::to_bytes(&value)));
    }
    events
}

pub(crate) fn embeddings(shared: &Shared, body: &[u8]) -> Reply {
    let request: EmbeddingsRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(error) => {
            return text_error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid request body: {error}"),
            );
        }
    };
    let entry = match load_on_demand(shared, &request.model, None) {
        Ok(entry) => entry,
        Err(reply) => return *reply,
    };
    if entry.kind == ModelKind::Chat {
        return text_error(
            StatusCode::BAD_REQUEST,
            &format!("Model {} does not support embeddings", entry.id()),
        );
    }
    let texts = requests::texts(&request.input);
    let prompt: u64 = texts.iter().map(|t| model::tokenize(t).len() as u64).sum();
    let mut response = EmbeddingsResponse::default();
    response.object = Some("list".to_owned());
    response.model = Some(entry.id().to_owned());
    response.usage = Some(Usage::new(prompt, 0));
    response.data = texts
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
    json::each(&mut value, "data", |item| {
        set(item, "object", json!("embedding"))
    });
    if let Some(usage) = value.get_mut("usage").and_then(Value::as_object_mut) {
        usage.remove("completion_tokens");
    }
    Reply::json(StatusCode::OK, json::to_bytes(&value))
}
