//! The C# Core 1.x web service (Kestrel): any model name everywhere (alias, id, bare name,
//! percent-decoded), empty load answers, PascalCase extras, and .NET error wording.

use http::StatusCode;
use http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};

use super::Call;
use super::core1_chat;
use super::json::{self, set};
use crate::catalog::CatalogEntry;
use crate::reply::{ChunkPlan, Reply, ReplyBody};
use crate::routes::{Route, percent_decode};
use crate::shared::Shared;
use crate::state::LoadResult;
use foundry_protocol::foundry::ServiceStatus;
use foundry_protocol::{ModelList, ModelObject};

pub(crate) fn handle(shared: &Shared, call: &Call<'_>) -> Reply {
    let name = percent_decode(call.name.unwrap_or_default());
    match call.route {
        Route::Status => status(shared),
        Route::Models => {
            let mut list = ModelList::default();
            list.object = Some("list".to_owned());
            let cached = shared.state().cached_models();
            list.data = cached
                .iter()
                .rev()
                .map(|&i| model_object(shared.catalog.entry(i)))
                .collect();
            let mut value = json::value_of(&list);
            json::each(&mut value, "data", extend_model);
            extras(&mut value);
            ok(&value)
        }
        Route::ModelById => {
            let cached = shared.state().cached_models();
            match cached
                .iter()
                .map(|&i| shared.catalog.entry(i))
                .find(|entry| entry.bare_name().eq_ignore_ascii_case(&name))
            {
                Some(entry) => {
                    let mut value = json::value_of(&model_object(entry));
                    extend_model(&mut value);
                    ok(&value)
                }
                None => envelope(
                    StatusCode::NOT_FOUND,
                    &format!("The model '{name}' does not exist"),
                    json!("model_not_found"),
                ),
            }
        }
        Route::ModelsLoaded => {
            let loaded = shared.state().loaded_models(tokio::time::Instant::now());
            let ids: Vec<&str> = loaded
                .iter()
                .rev()
                .map(|&i| shared.catalog.entry(i).id())
                .collect();
            // Kestrel streams this one: chunked, with a charset.
            let plan = ChunkPlan::new([json::to_bytes(&json!(ids)).into()], false);
            let mut reply = Reply::new(StatusCode::OK, ReplyBody::Chunks(plan));
            reply.headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            reply
        }
        Route::ModelsLoad => load(shared, &name),
        Route::ModelsUnload => unload(shared, &name),
        Route::ChatCompletions => match not_json(call.content_type.as_deref()) {
            // ASP.NET refuses to bind a body that is not declared JSON.
            Some(content_type) => envelope(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Invalid OpenAI JSON request: Unable to read the request as JSON because the request content type '{content_type}' is not a known JSON content type."
                ),
                Value::Null,
            ),
            None => core1_chat::chat(shared, &call.body, call.defect),
        },
        Route::Embeddings => core1_chat::embeddings(shared, &call.body),
        _ => Reply::empty(StatusCode::NOT_FOUND),
    }
}

/// Kestrel's answer to a known path with the wrong method.
/// A declared content type that is not JSON (`None` when it is JSON or absent).
fn not_json(content_type: Option<&str>) -> Option<&str> {
    let content_type = content_type?;
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    (essence != "application/json" && !essence.ends_with("+json")).then_some(content_type)
}

pub(crate) fn wrong_method(allowed: &'static str) -> Reply {
    let mut reply = Reply::empty(StatusCode::METHOD_NOT_ALLOWED);
    reply
        .headers
        .insert(ALLOW, HeaderValue::from_static(allowed));
    reply
}

/// A JSON answer.
pub(crate) fn ok(value: &Value) -> Reply {
    Reply::json(StatusCode::OK, json::to_bytes(value))
}

/// The v1 Core's error envelope: no `param`.
pub(crate) fn envelope(status: StatusCode, message: &str, code: Value) -> Reply {
    let kind = if status.is_server_error() {
        "server_error"
    } else {
        "invalid_request_error"
    };
    let body = json!({"error": {"message": message, "type": kind, "code": code}});
    Reply::json(status, json::to_bytes(&body))
}

/// The PascalCase fields every v1 Core object carries.
pub(crate) fn extras(value: &mut Value) {
    set(value, "IsDelta", Value::Bool(false));
    set(value, "Successful", Value::Bool(true));
    set(value, "HttpStatusCode", json!(0));
}

fn status(shared: &Shared) -> Reply {
    let mut status = ServiceStatus::default();
    status.endpoints = vec![shared.url.clone()];
    status.model_dir_path = Some(shared.model_dir.clone());
    status.is_auto_registration_resolved = Some(true);
    status.auto_registration_status = Some("No EP bootstrappers configured.".to_owned());
    let mut value = json::recase(json::value_of(&status), json::Case::Camel);
    set(&mut value, "pipeName", Value::Null);
    let pretty = serde_json::to_vec_pretty(&value).unwrap_or_default();
    Reply::json(StatusCode::OK, pretty)
}

fn model_object(entry: &CatalogEntry) -> ModelObject {
    let mut object = ModelObject::new(entry.bare_name());
    object.created = Some(0);
    object.owned_by = Some(entry.publisher().to_owned());
    object.parent = Some(entry.alias().to_owned());
    object
}

fn extend_model(value: &mut Value) {
    set(value, "permission", json!([]));
    set(value, "CreatedTime", json!("1970-01-01T00:00:00+00:00"));
    extras(value);
}

/// The catalog entries a name means, best first: downloaded ones before the others.
pub(crate) fn resolve(shared: &Shared, name: &str) -> Vec<usize> {
    let state = shared.state();
    let mut found: Vec<usize> = shared.catalog.answering_to(name).collect();
    found.sort_by_key(|&i| !state.is_cached(i));
    found
}

fn load(shared: &Shared, name: &str) -> Reply {
    let Some(&index) = resolve(shared, name).first() else {
        return Reply::empty(StatusCode::INTERNAL_SERVER_ERROR);
    };
    match shared
        .state()
        .load(index, None, tokio::time::Instant::now())
    {
        LoadResult::Loaded | LoadResult::AlreadyLoaded => Reply::empty(StatusCode::OK),
        LoadResult::NotCached => Reply::empty(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn unload(shared: &Shared, name: &str) -> Reply {
    let found = resolve(shared, name);
    if found.is_empty() {
        return Reply::empty(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let now = tokio::time::Instant::now();
    let mut state = shared.state();
    for index in found {
        state.unload(index, now);
    }
    Reply::empty(StatusCode::OK)
}
