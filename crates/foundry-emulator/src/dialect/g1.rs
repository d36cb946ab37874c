//! The legacy CLI service: `/openai/*` management, `/foundry/list`, plain-text errors, loads
//! by id with a TTL, and on-demand loading for inference.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};

use super::Call;
use super::g1_chat;
use super::g1_download;
use super::json::{self, Case, set};
use crate::reply::Reply;
use crate::routes::{Route, percent_decode, query_param};
use crate::shared::Shared;
use crate::state::LoadResult;
use foundry_protocol::foundry::ServiceStatus;
use foundry_protocol::{ModelList, ModelObject};

pub(crate) fn handle(shared: &Arc<Shared>, call: &Call<'_>) -> Reply {
    let name = percent_decode(call.name.unwrap_or_default());
    let now = tokio::time::Instant::now();
    match call.route {
        Route::OpenaiStatus => {
            let mut status = ServiceStatus::default();
            status.endpoints = vec![shared.url.clone()];
            status.model_dir_path = Some(shared.model_dir.clone());
            status.pipe_name = Some("inference_agent".to_owned());
            ok(&json::recase(json::value_of(&status), Case::Pascal))
        }
        Route::FoundryList => {
            let entries: Vec<Value> = shared
                .catalog
                .entries()
                .iter()
                .map(|entry| json::recase(json::value_of(&entry.info), Case::Camel))
                .collect();
            ok(&Value::Array(entries))
        }
        Route::OpenaiModels => {
            let cached = shared.state().cached_models();
            ids(shared, &cached)
        }
        Route::OpenaiLoadedModels => {
            let loaded = shared.state().loaded_models(now);
            ids(shared, &loaded)
        }
        Route::OpenaiLoad => {
            let ttl = query_param(call.query, "ttl")
                .and_then(|ttl| ttl.parse::<u64>().ok())
                .filter(|&ttl| ttl > 0)
                .map(Duration::from_secs);
            let Some(index) = shared.catalog.by_id_any_case(&name) else {
                return no_provider(&name);
            };
            match shared.state().load(index, ttl, now) {
                LoadResult::Loaded | LoadResult::AlreadyLoaded => Reply::empty(StatusCode::OK),
                LoadResult::NotCached => no_provider(&name),
            }
        }
        Route::OpenaiUnload => {
            if let Some(index) = shared.catalog.by_id_any_case(&name) {
                shared.state().unload(index, now);
            }
            Reply::empty(StatusCode::OK)
        }
        Route::OpenaiUnloadAll => {
            shared.state().unload_all();
            Reply::empty(StatusCode::OK)
        }
        Route::OpenaiDownload => g1_download::download(shared, &call.body),
        Route::Models => {
            let loaded = shared.state().loaded_models(now);
            let mut list = ModelList::default();
            list.object = Some("list".to_owned());
            list.data = loaded
                .iter()
                .map(|&i| {
                    let entry = shared.catalog.entry(i);
                    let mut object = ModelObject::new(entry.id());
                    object.created = Some(0);
                    object.owned_by = Some(entry.publisher().to_owned());
                    object
                })
                .collect();
            let mut value = json::value_of(&list);
            if shared.quirks {
                quirk_extras(&mut value);
            }
            ok(&value)
        }
        Route::ChatCompletions => g1_chat::chat(shared, &call.body, call.defect),
        Route::Embeddings => g1_chat::embeddings(shared, &call.body),
        _ => text_error(StatusCode::NOT_FOUND, ""),
    }
}

fn ok(value: &Value) -> Reply {
    Reply::json(StatusCode::OK, json::to_bytes(value))
}

fn ids(shared: &Shared, indexes: &[usize]) -> Reply {
    let ids: Vec<&str> = indexes
        .iter()
        .map(|&i| shared.catalog.entry(i).id())
        .collect();
    ok(&json!(ids))
}

/// A plain-text error, as the legacy service sends them.
pub(crate) fn text_error(status: StatusCode, message: &str) -> Reply {
    Reply::text(status, message.to_owned())
}

/// The service's answer for a model it cannot serve (unknown, an alias, or not downloaded).
pub(crate) fn no_provider(name: &str) -> Reply {
    text_error(
        StatusCode::BAD_REQUEST,
        &format!(
            "An unhandled exception occurred while processing the request.\nInvalidOperationException: No OpenAIService provider found for modelName:{name}"
        ),
    )
}

/// The PascalCase fields the legacy service leaks into OpenAI objects.
pub(crate) fn quirk_extras(value: &mut Value) {
    set(value, "IsDelta", Value::Bool(false));
    set(value, "Successful", Value::Bool(true));
    set(value, "HttpStatusCode", json!(0));
}
