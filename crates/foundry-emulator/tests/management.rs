//! Model management on both current Cores with the default catalog: aliases with several
//! variants, downloads that have not happened, and how each Core names models.

mod support;

use foundry_emulator::{Dialect, Emulator, EmulatorConfig};
use foundry_protocol::foundry::{LoadOutcome, ServiceStatus, parse_model_ids};
use foundry_protocol::{ApiError, ModelList, ModelProblem};
use serde_json::json;
use support::stream::assemble;
use support::{json, raw};

#[tokio::test]
async fn core2_loads_the_downloaded_variant_of_an_alias() {
    let emulator = Emulator::start(EmulatorConfig::new(Dialect::Core2))
        .await
        .expect("emulator");
    let addr = emulator.addr();
    let status =
        ServiceStatus::from_slice(&raw(addr, "GET", "/status", None).await.body).expect("status");
    assert_eq!(
        status.core_flavour(),
        Some(foundry_protocol::foundry::CoreFlavour::Core2)
    );
    assert_eq!(status.endpoints, [emulator.url()]);
    let list =
        ModelList::from_slice(&raw(addr, "GET", "/v1/models", None).await.body).expect("list");
    assert_eq!(list.data.len(), 6, "every catalog entry, downloaded or not");

    let load = raw(addr, "GET", "/models/load/phi-4-mini", None).await;
    assert_eq!(
        LoadOutcome::from_slice(&load.body).expect("outcome"),
        LoadOutcome::Loaded
    );
    let loaded =
        parse_model_ids(&raw(addr, "GET", "/models/loaded", None).await.body).expect("ids");
    assert_eq!(
        loaded,
        ["Phi-4-mini-instruct-generic-cpu:4"],
        "the GPU variant is not downloaded"
    );

    let missing = raw(addr, "GET", "/models/load/qwen2.5-1.5b", None).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        ApiError::from_body(&missing.body).model_problem(),
        Some(ModelProblem::NotDownloaded)
    );
    let by_id = raw(
        addr,
        "GET",
        "/models/unload/Phi-4-mini-instruct-generic-cpu:4",
        None,
    )
    .await;
    assert_eq!(by_id.status, 404);
    let unload = raw(addr, "GET", "/models/unload/phi-4-mini", None).await;
    assert_eq!(
        LoadOutcome::from_slice(&unload.body).expect("outcome"),
        LoadOutcome::Unloaded
    );

    let chat = r#"{"model": "Phi-4-mini-instruct-generic-cpu:4", "messages": [{"role": "user", "content": "hi"}]}"#;
    let not_loaded = raw(addr, "POST", "/v1/chat/completions", Some(chat)).await;
    assert_eq!(
        ApiError::from_body(&not_loaded.body).model_problem(),
        Some(ModelProblem::NotLoaded)
    );
    let zero = r#"{"model": "Phi-4-mini-instruct-generic-cpu:4", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}"#;
    raw(addr, "GET", "/models/load/phi-4-mini", None).await;
    assert_eq!(
        raw(addr, "POST", "/v1/chat/completions", Some(zero))
            .await
            .status,
        400
    );
    let garbage = raw(
        addr,
        "POST",
        "/v1/chat/completions",
        Some(r#"{"model": 5, "messages": []}"#),
    )
    .await;
    assert_eq!(
        json(&garbage.body)["error"]["message"],
        "Invalid request: [json.exception.type_error.302] type must be string, but is number"
    );
}

#[tokio::test]
async fn core1_accepts_every_name_and_echoes_it() {
    let emulator = Emulator::start(EmulatorConfig::new(Dialect::Core1))
        .await
        .expect("emulator");
    let addr = emulator.addr();
    let status = raw(addr, "GET", "/status", None).await;
    assert_eq!(status.header_values("server"), ["Kestrel"]);
    assert!(!status.header_values("date").is_empty());
    let status = ServiceStatus::from_slice(&status.body).expect("status");
    assert_eq!(
        status.core_flavour(),
        Some(foundry_protocol::foundry::CoreFlavour::Core1)
    );

    let list =
        ModelList::from_slice(&raw(addr, "GET", "/v1/models", None).await.body).expect("list");
    assert_eq!(list.data.len(), 3, "downloaded models only");
    assert!(
        list.data
            .iter()
            .all(|m| m.parent.is_some() && !m.id.contains(':'))
    );

    for name in [
        "phi-4-mini",
        "Phi-4-mini-instruct-generic-cpu%3A4",
        "Phi-4-mini-instruct-generic-cpu",
    ] {
        let load = raw(addr, "GET", &format!("/models/load/{name}"), None).await;
        assert_eq!((load.status, load.body.len()), (200, 0), "{name}");
        assert_eq!(
            emulator.loaded_models(),
            ["Phi-4-mini-instruct-generic-cpu:4"]
        );
        assert_eq!(
            raw(addr, "GET", &format!("/models/unload/{name}"), None)
                .await
                .status,
            200
        );
        assert!(emulator.loaded_models().is_empty());
    }
    assert_eq!(
        raw(addr, "GET", "/models/load/qwen2.5-1.5b", None)
            .await
            .status,
        500,
        "not downloaded"
    );
    assert_eq!(
        raw(addr, "GET", "/models/load/nope", None).await.status,
        500
    );

    raw(addr, "GET", "/models/load/phi-4-mini", None).await;
    let tools = json!({
        "model": "phi-4-mini", "stream": true, "messages": [{"role": "user", "content": "weather?"}],
        "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
        "tool_choice": "required"
    });
    let response = raw(
        addr,
        "POST",
        "/v1/chat/completions",
        Some(&tools.to_string()),
    )
    .await;
    let events = support::sse_json(&response.body);
    assert_eq!(events[0]["model"], "phi-4-mini", "the name is echoed");
    assert_eq!(
        events[0]["choices"][0]["delta"],
        events[0]["choices"][0]["message"]
    );
    assert!(
        events
            .last()
            .is_some_and(|e| e["choices"] == json!([]) && e["usage"].is_object())
    );
    let answer = assemble(&response.body, 1);
    let call = &answer.choices[0].message.tool_calls[0];
    assert_eq!(call.function.name, "weather");
    assert!(serde_json::from_str::<serde_json::Value>(&call.function.arguments).is_ok());

    let not_array = raw(
        addr,
        "POST",
        "/v1/chat/completions",
        Some(r#"{"model": "phi-4-mini", "messages": {}}"#),
    )
    .await;
    assert_eq!(not_array.status, 500);
    assert_eq!(json(&not_array.body)["error"]["type"], "server_error");
    let empty = raw(addr, "POST", "/v1/chat/completions", Some("")).await;
    assert_eq!(empty.status, 500);
}
