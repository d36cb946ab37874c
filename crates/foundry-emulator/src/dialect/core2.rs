//! The C++ Core 2.x web service (oatpp): load by alias, inference by id, nothing percent-decoded,
//! sorted keys, OpenAI error envelopes, and oatpp's plain-text 404 for unknown routes.

use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};

use super::Call;
use super::chat::Answer;
use super::json::{self, set, set_default};
use super::requests::{self, Field};
use crate::catalog::ModelKind;
use crate::faults::StructuredDefect;
use crate::model;
use crate::reply::{ChunkPlan, Reply, ReplyBody, sse_done, sse_event};
use crate::routes::Route;
use crate::shared::Shared;
use crate::state::LoadResult;
use foundry_protocol::foundry::ServiceStatus;
use foundry_protocol::{Embedding, EmbeddingsResponse, ModelList, ModelObject, Usage};

/// The output budget the Core assumes when a request sets none.
const DEFAULT_BUDGET: u64 = 2048;

pub(crate) fn handle(shared: &Shared, call: &Call<'_>) -> Reply {
    let name = call.name.unwrap_or_default();
    match call.route {
        Route::Status => status(shared),
        Route::Models => {
            let mut list = ModelList::default();
            list.object = Some("list".to_owned());
            list.data = shared.catalog.entries().iter().map(model_object).collect();
            ok(&json::value_of(&list))
        }
        Route::ModelById => match shared.catalog.by_id(name) {
            Some(index) => ok(&json::value_of(&model_object(shared.catalog.entry(index)))),
            None => not_found(name),
        },
        Route::ModelsLoaded => {
            let loaded = shared.state().loaded_models(tokio::time::Instant::now());
            let ids: Vec<&str> = loaded
                .iter()
                .map(|&i| shared.catalog.entry(i).id())
                .collect();
            ok(&json!(ids))
        }
        Route::ModelsLoad => load(shared, name),
        Route::ModelsUnload => unload(shared, name),
        Route::ChatCompletions => {
            chat(shared, &call.body, call.defect).unwrap_or_else(|error| *error)
        }
        Route::Embeddings => embeddings(shared, &call.body).unwrap_or_else(|error| *error),
        _ => unmatched(call),
    }
}

/// oatpp's answer to a path or method it has no mapping for: plain text, no content type.
pub(crate) fn unmatched(call: &Call<'_>) -> Reply {
    let text = format!(
        "server=oatpp/1.3.0\ncode=404\ndescription=Not Found\nmessage=No mapping for HTTP-method: '{}', URL: '{}'\n",
        call.method, call.path
    );
    Reply::new(StatusCode::NOT_FOUND, ReplyBody::Full(text.into()))
}

/// The Core's error envelope; `server_error` from 500 on.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Reply {
    let kind = if status.is_server_error() {
        "server_error"
    } else {
        "invalid_request_error"
    };
    let body =
        json!({"error": {"code": null, "message": message.into(), "param": null, "type": kind}});
    Reply::json(status, json::to_bytes(&body))
}

fn ok(value: &Value) -> Reply {
    Reply::json(StatusCode::OK, json::to_bytes(value))
}

fn not_found(name: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        format!("Model not found: No model matching '{name}'"),
    )
}

fn status(shared: &Shared) -> Reply {
    let mut status = ServiceStatus::default();
    status.endpoints = vec![shared.url.clone()];
    status.model_cache_path = Some(shared.model_dir.clone());
    status.pid = Some(std::process::id());
    ok(&json::recase(json::value_of(&status), json::Case::Camel))
}

fn model_object(entry: &crate::catalog::CatalogEntry) -> ModelObject {
    let mut object = ModelObject::new(entry.id());
    object.created = Some(0);
    object.owned_by = Some(entry.publisher().to_owned());
    object
}

fn load(shared: &Shared, alias: &str) -> Reply {
    let variants: Vec<usize> = shared.catalog.by_alias(alias).collect();
    if variants.is_empty() {
        return not_found(alias);
    }
    let now = tokio::time::Instant::now();
    let mut state = shared.state();
    if variants.iter().any(|&i| state.is_loaded(i, now)) {
        return ok(&json!({"status": "already_loaded"}));
    }
    let Some(&index) = variants.iter().find(|&&i| state.is_cached(i)) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Model not cached: Model must be downloaded before loading",
        );
    };
    match state.load(index, None, now) {
        LoadResult::Loaded => ok(&json!({"status": "loaded"})),
        LoadResult::AlreadyLoaded => ok(&json!({"status": "already_loaded"})),
        LoadResult::NotCached => error(
            StatusCode::BAD_REQUEST,
            "Model not cached: Model must be downloaded before loading",
        ),
    }
}

fn unload(shared: &Shared, alias: &str) -> Reply {
    let variants: Vec<usize> = shared.catalog.by_alias(alias).collect();
    if variants.is_empty() {
        return not_found(alias);
    }
    let now = tokio::time::Instant::now();
    let mut state = shared.state();
    let mut any = false;
    for index in variants {
        any |= state.unload(index, now);
    }
    ok(&json!({"status": if any { "unloaded" } else { "not_loaded" }}))
}

/// A refused request: boxed, since a [`Reply`] is large and refusals are the rare path.
type Refusal = Box<Reply>;

fn chat(shared: &Shared, body: &[u8], defect: Option<StructuredDefect>) -> Result<Reply, Refusal> {
    let bad = |message: String| Box::new(error(StatusCode::BAD_REQUEST, message));
    if body.is_empty() {
        return Err(bad("Empty request body".to_owned()));
    }
    let request = requests::chat(body).map_err(|problem| match problem {
        requests::Problem::Syntax(message) => bad(format!("Invalid JSON: {message}")),
        requests::Problem::Shape(message) => bad(format!("Invalid request: {message}")),
    })?;
    if request.messages.is_empty() {
        return Err(bad("Missing required field: messages".to_owned()));
    }
    let index = shared
        .catalog
        .by_id(&request.model)
        .ok_or_else(|| Box::new(not_found(&request.model)))?;
    let entry = shared.catalog.entry(index);
    if !shared.state().is_loaded(index, tokio::time::Instant::now()) {
        return Err(bad(format!(
            "Model not loaded: Model '{}' must be loaded before inference",
            entry.id()
        )));
    }
    if request.token_budget() == Some(0) {
        return Err(bad("Invalid request: search_options.cc:55 int fl::ResolveMaxOutputTokens(const SearchOptions&, int) max_output_tokens must be >= 1".to_owned()));
    }
    let budget = request.token_budget().map_or(DEFAULT_BUDGET, u64::from);
    let prompt = model::prompt_tokens(entry, &request.messages);
    if prompt + budget > u64::from(entry.context_length) {
        return Err(bad(format!(
            "Invalid request: search_options.cc:108 int fl::ValidateGeneratorRequestBudget(int64_t, int, int) request requires {} total tokens ({prompt} input + {budget} output), which exceeds the model's maximum context length of {} tokens",
            prompt + budget,
            entry.context_length
        )));
    }
    let answer = Answer::generate(
        shared,
        entry,
        &request,
        entry.id().to_owned(),
        false,
        defect,
    );
    if request.stream != Some(true) {
        let mut body = json::value_of(&answer.response());
        json::each(&mut body, "choices", |choice| {
            set(choice, "logprobs", Value::Null);
            if let Some(message) = choice.get_mut("message") {
                set_default(message, "content", Value::Null);
                set(message, "refusal", Value::Null);
            }
        });
        set(&mut body, "system_fingerprint", Value::Null);
        set(&mut body, "usage", json::value_of(&answer.detailed_usage()));
        let mut reply = ok(&body);
        reply.wait = answer.duration(shared);
        return Ok(reply);
    }
    let mut events: Vec<_> = answer
        .standard_chunks()
        .iter()
        .map(|chunk| {
            let mut value = json::value_of(chunk);
            json::each(&mut value, "choices", |choice| {
                set(choice, "logprobs", Value::Null)
            });
            set(&mut value, "system_fingerprint", Value::Null);
            if value.get("usage").is_some() {
                set(
                    &mut value,
                    "usage",
                    json::value_of(&answer.detailed_usage()),
                );
            }
            sse_event(&json::to_bytes(&value))
        })
        .collect();
    events.push(sse_done());
    let plan = ChunkPlan::new(events, true).delays(shared.ttft, shared.token_delay);
    Ok(Reply::new(StatusCode::OK, ReplyBody::Chunks(plan))
        .header(CACHE_CONTROL, "no-cache")
        .header(CACHE_CONTROL, "no-cache")
        .header(CONTENT_TYPE, "text/event-stream")
        .header(CONTENT_TYPE, "text/event-stream"))
}

fn embeddings(shared: &Shared, body: &[u8]) -> Result<Reply, Refusal> {
    let bad = |message: String| Box::new(error(StatusCode::BAD_REQUEST, message));
    if body.is_empty() {
        return Err(bad("Empty request body".to_owned()));
    }
    let request = requests::embeddings(body, &[Field::string("model"), Field::texts("input")])
        .map_err(|problem| bad(format!("Invalid JSON: {}", problem.message())))?;
    let texts = requests::texts(&request.input);
    if texts.is_empty() {
        return Err(bad("\"input\" must not be empty".to_owned()));
    }
    let index = shared.catalog.by_id(&request.model).ok_or_else(|| {
        Box::new(error(
            StatusCode::NOT_FOUND,
            format!("Model not found: {}", request.model),
        ))
    })?;
    let entry = shared.catalog.entry(index);
    if !shared.state().is_loaded(index, tokio::time::Instant::now()) {
        return Err(bad(format!("Model not loaded: {}", entry.id())));
    }
    if entry.kind == ModelKind::Chat {
        return Err(Box::new(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Inference failed: Generator output 'hidden_states' was not found.",
        )));
    }
    let mut response = EmbeddingsResponse::default();
    response.object = Some("list".to_owned());
    response.model = Some(entry.id().to_owned());
    response.usage = Some(Usage::new(0, 0));
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
    let mut body = json::value_of(&response);
    json::each(&mut body, "data", |item| {
        set(item, "object", json!("embedding"))
    });
    if let Some(usage) = body.get_mut("usage").and_then(Value::as_object_mut) {
        usage.remove("completion_tokens");
    }
    Ok(ok(&body))
}
