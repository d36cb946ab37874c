//! The legacy service (G1): every route, downloads, TTL expiry, on-demand loading, plain-text
//! errors, and the wire quirks against the recorded shapes.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use foundry_emulator::{Dialect, Emulator, EmulatorConfig, EmulatorHandle};
use foundry_protocol::foundry::{
    DownloadEvent, DownloadProgressParser, DownloadRequest, ModelInfo, ServiceStatus,
    parse_catalog, parse_model_ids,
};
use foundry_protocol::{ChatRequest, ChatResponse, Message};
use foundry_recordings::fixtures_dir;
use serde_json::Value;
use support::{client, json, raw, sse_json};

const PHI_CPU: &str = "Phi-4-mini-instruct-generic-cpu:4";
const PHI_GPU: &str = "Phi-4-mini-instruct-generic-gpu:4";

async fn g1(quirks: bool) -> EmulatorHandle {
    Emulator::start(EmulatorConfig::new(Dialect::Legacy).quirks(quirks))
        .await
        .expect("emulator")
}

async fn get(emulator: &EmulatorHandle, path: &str) -> (u16, String) {
    let response = client()
        .get(format!("{}{path}", emulator.url()))
        .send()
        .await
        .expect("sent");
    (
        response.status().as_u16(),
        response.text().await.expect("text"),
    )
}

/// Every key of a JSON value, recursively, as paths (array items merged).
fn keys(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(key, value)| {
            let path = format!("{prefix}.{key}");
            out.insert(path.clone());
            keys(value, &path, out);
        }),
        Value::Array(items) => items
            .iter()
            .for_each(|item| keys(item, &format!("{prefix}[]"), out)),
        _ => {}
    }
}

fn key_set(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    keys(value, "", &mut out);
    out
}

#[tokio::test]
async fn status_catalog_and_model_lists() {
    let emulator = g1(false).await;
    let (status, body) = get(&emulator, "/openai/status").await;
    assert_eq!(status, 200);
    let value: Value = serde_json::from_str(&body).expect("JSON");
    let documented: Value = serde_json::from_slice(
        &std::fs::read(
            fixtures_dir().join("foundry-reconstructed/legacy_openai_status_docs_form.json"),
        )
        .expect("fixture"),
    )
    .expect("JSON");
    assert_eq!(key_set(&value), key_set(&documented));
    let parsed = ServiceStatus::from_slice(body.as_bytes()).expect("status");
    assert_eq!(parsed.endpoints, [emulator.url()]);
    assert_eq!(parsed.pipe_name.as_deref(), Some("inference_agent"));

    let (_, body) = get(&emulator, "/foundry/list").await;
    let raw_list: Value = serde_json::from_str(&body).expect("JSON");
    let entry = &raw_list[0];
    for key in [
        "name",
        "displayName",
        "providerType",
        "uri",
        "version",
        "modelType",
        "publisher",
        "task",
        "runtime",
        "alias",
        "fileSizeMb",
        "supportsToolCalling",
        "license",
        "parentModelUri",
    ] {
        assert!(entry.get(key).is_some(), "catalog entries carry {key}");
    }
    assert!(entry["version"].is_string());
    let catalog: Vec<ModelInfo> = parse_catalog(body.as_bytes()).expect("catalog");
    let devices: BTreeSet<_> = catalog.iter().filter_map(|m| m.device_type()).collect();
    assert_eq!(devices, BTreeSet::from(["CPU", "GPU", "NPU"]));
    assert!(
        catalog
            .iter()
            .any(|m| m.task.as_deref() == Some("embeddings"))
    );
    assert!(catalog.iter().all(|m| m.model_id().contains(':')));

    let (_, body) = get(&emulator, "/openai/models").await;
    let cached = parse_model_ids(body.as_bytes()).expect("ids");
    assert!(cached.contains(&PHI_CPU.to_owned()) && !cached.contains(&PHI_GPU.to_owned()));
    let (_, body) = get(&emulator, "/openai/loadedmodels").await;
    assert!(parse_model_ids(body.as_bytes()).expect("ids").is_empty());
    let (_, body) = get(&emulator, "/v1/models").await;
    assert_eq!(json(body.as_bytes())["data"], serde_json::json!([]));
}

#[tokio::test]
async fn load_unload_and_ttl_expiry() {
    let emulator = g1(false).await;
    let (status, body) = get(&emulator, &format!("/openai/load/{PHI_CPU}?ttl=1&ep=cpu")).await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(emulator.loaded_models(), [PHI_CPU]);
    let (_, body) = get(&emulator, "/v1/models").await;
    assert_eq!(json(body.as_bytes())["data"][0]["id"], PHI_CPU);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, body) = get(&emulator, "/openai/loadedmodels").await;
    assert_eq!(body, "[]", "the TTL unloaded it");

    assert_eq!(
        get(&emulator, &format!("/openai/load/{PHI_CPU}")).await.0,
        200
    );
    assert_eq!(
        get(&emulator, &format!("/openai/unload/{PHI_CPU}?force=true")).await,
        (200, String::new())
    );
    assert!(emulator.loaded_models().is_empty());
    get(&emulator, &format!("/openai/load/{PHI_CPU}")).await;
    get(
        &emulator,
        "/openai/load/qwen2.5-0.5b-instruct-generic-cpu:3",
    )
    .await;
    assert_eq!(emulator.loaded_models().len(), 2);
    assert_eq!(
        get(&emulator, "/openai/unloadall").await,
        (200, String::new())
    );
    assert!(emulator.loaded_models().is_empty());

    let (status, body) = get(&emulator, &format!("/openai/load/{PHI_GPU}")).await;
    assert_eq!(status, 400, "not downloaded");
    assert!(body.contains(&format!(
        "No OpenAIService provider found for modelName:{PHI_GPU}"
    )));
}

#[tokio::test]
async fn chat_loads_on_demand_by_id_only_with_plain_text_errors() {
    let emulator = g1(false).await;
    let chat = |model: &str| {
        let request = ChatRequest::new(model, [Message::user("hi")]).max_tokens(5);
        let url = format!("{}/v1/chat/completions", emulator.url());
        async move {
            client()
                .post(url)
                .json(&request)
                .send()
                .await
                .expect("sent")
        }
    };
    let response = chat(PHI_CPU).await;
    assert_eq!(response.status(), 200);
    let answer = ChatResponse::from_slice(&response.bytes().await.expect("body")).expect("answer");
    assert_eq!(answer.model.as_deref(), Some(PHI_CPU));
    assert_eq!(emulator.loaded_models(), [PHI_CPU], "loaded on demand");

    for model in ["phi-4-mini", PHI_GPU, "nope:1"] {
        let response = chat(model).await;
        assert_eq!(response.status(), 400, "{model}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/plain")
        );
        let recorded = std::fs::read_to_string(
            fixtures_dir().join("foundry-reconstructed/legacy_error_400_no_provider.txt"),
        )
        .expect("fixture");
        assert_eq!(
            response.text().await.expect("text"),
            recorded.trim_end().replace("phi-4-mini", model)
        );
    }
    let bad = raw(
        emulator.addr(),
        "POST",
        "/v1/chat/completions",
        Some("{nope"),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(String::from_utf8_lossy(&bad.body).starts_with("Invalid request body"));

    let embeddings = raw(
        emulator.addr(),
        "POST",
        "/v1/embeddings",
        Some(r#"{"model": "qwen3-embedding-0.6b-generic-cpu:1", "input": ["a", "b c"]}"#),
    )
    .await;
    assert_eq!(embeddings.status, 200);
    let body = json(&embeddings.body);
    assert_eq!(body["data"][1]["object"], "embedding");
    assert_eq!(
        body["usage"],
        serde_json::json!({"prompt_tokens": 3, "total_tokens": 3})
    );
}

async fn download(
    emulator: &EmulatorHandle,
    id: &str,
) -> (Vec<String>, Vec<DownloadEvent>, Duration) {
    let model: ModelInfo = serde_json::from_value(serde_json::json!({
        "name": id, "uri": "azureml://x", "publisher": "Microsoft", "provider_type": "AzureFoundry"
    }))
    .expect("info");
    let started = Instant::now();
    let response = client()
        .post(format!("{}/openai/download", emulator.url()))
        .json(&DownloadRequest::for_model(&model))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.expect("body");
    let elapsed = started.elapsed();
    let mut parser = DownloadProgressParser::new();
    let mut events = parser.feed(&body).expect("progress");
    events.extend(parser.finish().expect("result"));
    let lines = String::from_utf8_lossy(&body)
        .lines()
        .map(str::to_owned)
        .collect();
    (lines, events, elapsed)
}

#[tokio::test]
async fn downloads_stream_progress_then_cache_the_model() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Legacy).download_step(Duration::from_millis(20)),
    )
    .await
    .expect("emulator");
    let (lines, events, elapsed) = download(&emulator, PHI_GPU).await;
    assert!(lines[0].starts_with("Total 0.00% Downloading"));
    assert!(
        lines
            .iter()
            .any(|line| line == "Total 12.50% Downloading genai_config.json")
    );
    assert!(lines.iter().any(|line| line.starts_with("Total 100.00%")));
    assert_eq!(lines[lines.len() - 2], "[DONE] All Completed!");
    assert_eq!(
        lines.last().map(String::as_str),
        Some(r#"{"success": true, "errorMessage": null}"#)
    );
    assert!(
        elapsed >= Duration::from_millis(20 * 10),
        "paced: {elapsed:?}"
    );
    assert!(matches!(events.last(), Some(DownloadEvent::Finished(result)) if result.success));
    assert!(emulator.cached_models().contains(&PHI_GPU.to_owned()));
    let (status, _) = get(&emulator, &format!("/openai/load/{PHI_GPU}")).await;
    assert_eq!(status, 200, "a downloaded model loads");

    let (lines, events, _) = download(&emulator, PHI_GPU).await;
    assert!(
        lines.iter().all(|line| !line.starts_with("Total")),
        "already cached: no progress"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some(r#"{"success": true, "errorMessage": null}"#)
    );
    assert_eq!(events.len(), 1);

    emulator.set_download_failure(Some("Retry failed after 6 tries".into()));
    let id = "qwen2.5-0.5b-instruct-openvino-npu:2";
    let (lines, events, _) = download(&emulator, id).await;
    assert!(lines[0].starts_with("Total 0.00%"));
    assert_eq!(
        lines.last().map(String::as_str),
        Some(r#"{"Success": false, "ErrorMessage": "Retry failed after 6 tries"}"#)
    );
    assert!(matches!(events.last(), Some(DownloadEvent::Finished(result)) if !result.success));
    assert!(!emulator.cached_models().contains(&id.to_owned()));
}

#[tokio::test]
async fn quirks_reproduce_the_recorded_stream_and_answer_shapes() {
    let emulator = g1(true).await;
    let request = ChatRequest::new(PHI_CPU, [Message::user("hi")]).max_tokens(3);
    let body = serde_json::to_string(&request.clone().streaming(false)).expect("json");
    let response = raw(emulator.addr(), "POST", "/v1/chat/completions", Some(&body)).await;
    let events = sse_json(&response.body);
    let recorded = sse_json(
        &std::fs::read(fixtures_dir().join("foundry-reconstructed/legacy_chat_stream_quirks.sse"))
            .expect("fixture"),
    );
    assert_eq!(events.len(), 3);
    for (i, (event, want)) in events.iter().zip(&recorded).enumerate() {
        assert_eq!(key_set(event), key_set(want), "event {i}");
        assert_eq!(event["id"], format!("chat.id.{}", i + 1));
        assert_eq!(event["choices"][0]["index"], i);
        assert_eq!(event["choices"][0]["delta"], event["choices"][0]["message"]);
        assert!(event["error"].is_null() && event["IsDelta"] == true);
        assert_eq!(
            event["model"].is_null(),
            i < 2,
            "model is null on early chunks"
        );
    }
    assert_eq!(events[2]["choices"][0]["finish_reason"], "length");
    assert_eq!(
        support::sse_data(&response.body).last().map(String::as_str),
        Some("[DONE]")
    );
    let assembled = support::stream::assemble(&response.body, 1);
    assert_eq!(assembled.usage, None);

    let body = serde_json::to_string(&request).expect("json");
    let answer = json(
        &raw(emulator.addr(), "POST", "/v1/chat/completions", Some(&body))
            .await
            .body,
    );
    let recorded: Value = serde_json::from_slice(
        &std::fs::read(
            fixtures_dir()
                .join("foundry-reconstructed/legacy_chat_nonstream_delta_instead_of_message.json"),
        )
        .expect("fixture"),
    )
    .expect("JSON");
    assert_eq!(key_set(&answer), key_set(&recorded));
    let decoded = ChatResponse::from_slice(answer.to_string().as_bytes()).expect("answer");
    assert!(decoded.text().is_some_and(|t| !t.is_empty()));

    let (_, models) = get(&emulator, "/v1/models").await;
    let recorded: Value = serde_json::from_slice(
        &std::fs::read(fixtures_dir().join("foundry-reconstructed/legacy_v1_models_empty.json"))
            .expect("fixture"),
    )
    .expect("JSON");
    let mut models: Value = serde_json::from_str(&models).expect("JSON");
    models["data"] = serde_json::json!([]);
    assert_eq!(key_set(&models), key_set(&recorded));
}
