//! `POST /openai/download`: progress lines over time, then a result object.

use bytes::Bytes;
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde_json::Value;
use std::sync::Arc;

use super::g1::text_error;
use crate::reply::{ChunkPlan, Reply, ReplyBody};
use crate::shared::Shared;

/// Files a download reports, in order.
const FILES: [&str; 4] = [
    "genai_config.json",
    "model.onnx",
    "model.onnx.data",
    "tokenizer.json",
];
/// Progress lines of a complete download.
const STEPS: usize = 8;

pub(crate) fn download(shared: &Arc<Shared>, body: &[u8]) -> Reply {
    let Some(name) = requested_model(body) else {
        return text_error(
            StatusCode::BAD_REQUEST,
            "Invalid download request: expected {\"model\": {\"Name\": \"<model id>\", ...}}",
        );
    };
    let Some(index) = shared
        .catalog
        .by_id_any_case(&name)
        .or_else(|| shared.catalog.by_alias(&name).next())
    else {
        return result(
            &[],
            Some(&format!("Model {name} was not found in the catalog")),
            None,
        );
    };
    if shared.state().is_cached(index) {
        return result(&[], None, None);
    }
    let failure = shared.download_failure();
    let steps = if failure.is_some() {
        STEPS / 2 - 1
    } else {
        STEPS + 1
    };
    let lines: Vec<String> = (0..steps)
        .map(|step| {
            let percent = 100.0 * step as f64 / STEPS as f64;
            let file = FILES[(step * FILES.len() / (STEPS + 1)).min(FILES.len() - 1)];
            format!("Total {percent:.2}% Downloading {file}\n")
        })
        .collect();
    let shared_for_done = Arc::clone(shared);
    let done: Box<dyn FnOnce() + Send> =
        Box::new(move || shared_for_done.state().set_cached(index));
    let mut reply = result(
        &lines,
        failure.as_deref(),
        failure.is_none().then_some(done),
    );
    if let ReplyBody::Chunks(plan) = &mut reply.body {
        plan.delay = shared.download_step;
    }
    reply
}

/// The progress lines, `[DONE]` on success, and the result object in the casing each outcome
/// has been seen with (camelCase on success, PascalCase on failure).
fn result(
    lines: &[String],
    failure: Option<&str>,
    done: Option<Box<dyn FnOnce() + Send>>,
) -> Reply {
    let mut chunks: Vec<Bytes> = lines.iter().map(|line| Bytes::from(line.clone())).collect();
    match failure {
        None => {
            chunks.push(Bytes::from_static(b"[DONE] All Completed!\n"));
            chunks.push(Bytes::from_static(
                br#"{"success": true, "errorMessage": null}"#,
            ));
        }
        Some(message) => {
            let message = Value::String(message.to_owned()).to_string();
            chunks.push(Bytes::from(format!(
                r#"{{"Success": false, "ErrorMessage": {message}}}"#
            )));
        }
    }
    let mut plan = ChunkPlan::new(chunks, false);
    plan.on_complete = done;
    Reply::new(StatusCode::OK, ReplyBody::Chunks(plan))
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
}

/// The model id of a download body: `model` (or `Model`) as an object with `Name`, or a string.
fn requested_model(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let model = any_case(&value, "model")?;
    match model {
        Value::String(name) => Some(name.clone()),
        object => any_case(object, "name")?.as_str().map(str::to_owned),
    }
}

fn any_case<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::requested_model;

    #[test]
    fn every_sdk_body_names_its_model() {
        let sdk = br#"{"model":{"Name":"a:1","Uri":"u","Publisher":"p","ProviderType":"AzureFoundryLocal"},"token":null,"IgnorePipeReport":true}"#;
        assert_eq!(requested_model(sdk).as_deref(), Some("a:1"));
        assert_eq!(
            requested_model(br#"{"Model":{"name":"b:2"}}"#).as_deref(),
            Some("b:2")
        );
        assert_eq!(
            requested_model(br#"{"model":"c:3"}"#).as_deref(),
            Some("c:3")
        );
        assert_eq!(requested_model(b"nope"), None);
    }
}
