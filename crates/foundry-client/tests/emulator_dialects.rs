//! The whole client against the emulator in every dialect: detection, model names, chat
//! (streamed and not), embeddings, model management and load-on-demand.

use foundry_client::{
    ChatRequest, EmbeddingsRequest, ErrorKind, FinishReason, FoundryClient, LoadOutcome, Message,
    ServerKind,
};
use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig, EmulatorHandle, TINY_ANSWER};
use futures_util::StreamExt;

async fn start(config: EmulatorConfig) -> (EmulatorHandle, FoundryClient) {
    let emulator = Emulator::start(config).await.expect("emulator starts");
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .build()
        .expect("client builds");
    (emulator, client)
}

fn hello(model: &str) -> ChatRequest {
    ChatRequest::new(model, [Message::user("hi")])
}

#[tokio::test]
async fn detection_names_each_dialect() {
    for (dialect, kind) in [
        (Dialect::Legacy, ServerKind::FoundryLegacy),
        (Dialect::Core1, ServerKind::FoundryCore1),
        (Dialect::Core2, ServerKind::FoundryCore2),
    ] {
        let (_emulator, client) = start(EmulatorConfig::new(dialect)).await;
        assert_eq!(client.server().await.unwrap().kind, kind, "{dialect}");
        assert_eq!(dialect.server_kind(), kind);
    }
}

#[tokio::test]
async fn core2_loads_by_alias_on_demand_and_infers_by_id() {
    let (emulator, client) =
        start(EmulatorConfig::new(Dialect::Core2).catalog(Catalog::tiny())).await;
    let answer = client
        .chat(hello("tiny-chat").max_tokens(300))
        .await
        .unwrap();
    assert_eq!(answer.text().as_deref(), Some(TINY_ANSWER));
    assert_eq!(answer.finish_reason(), Some(&FinishReason::Stop));
    assert_eq!(
        answer.model.as_deref(),
        Some("tiny-chat-generic-cpu:1"),
        "inference went by id"
    );
    assert_eq!(emulator.loaded_models(), ["tiny-chat-generic-cpu:1"]);
    let stats = emulator.stats();
    assert_eq!(stats.requests_of("GET /models/load/{name}"), 1, "one load");

    // The learned id is used from now on: no second 404.
    let again = client.chat(hello("tiny-chat").max_tokens(3)).await.unwrap();
    assert_eq!(again.finish_reason(), Some(&FinishReason::Length));
    assert_eq!(
        emulator.stats().requests_of("POST /v1/chat/completions"),
        stats.requests_of("POST /v1/chat/completions") + 1
    );
}

#[tokio::test]
async fn core2_streams_the_same_text_with_one_final_usage() {
    let (_emulator, client) =
        start(EmulatorConfig::new(Dialect::Core2).catalog(Catalog::tiny())).await;
    let ready = client.ensure_ready("tiny-chat").await.unwrap();
    assert_eq!(ready.id, "tiny-chat-generic-cpu:1");
    let whole = client.chat(hello(&ready.id).max_tokens(16)).await.unwrap();
    let mut stream = client
        .chat_stream(hello(&ready.id).max_tokens(16))
        .await
        .unwrap();
    let mut text = String::new();
    let mut usages = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        text.push_str(chunk.text().unwrap_or_default());
        usages += usize::from(chunk.usage.is_some());
    }
    assert_eq!(Some(text), whole.text());
    assert_eq!(usages, 1);
    let collected = client
        .chat_stream(hello(&ready.id).max_tokens(16))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(collected.text(), whole.text());
    assert_eq!(collected.usage, whole.usage);
}

#[tokio::test]
async fn core1_accepts_the_alias_and_loads_on_demand() {
    let (emulator, client) =
        start(EmulatorConfig::new(Dialect::Core1).catalog(Catalog::tiny())).await;
    let answer = client
        .chat(hello("tiny-chat").max_tokens(16))
        .await
        .unwrap();
    assert!(TINY_ANSWER.starts_with(&answer.text().unwrap()));
    assert_eq!(emulator.loaded_models(), ["tiny-chat-generic-cpu:1"]);
    let streamed = client
        .chat_stream(hello("tiny-chat").max_tokens(16))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(streamed.text(), answer.text());
    assert_eq!(
        streamed.usage.unwrap().total_tokens,
        answer.usage.unwrap().total_tokens
    );
    assert_eq!(
        client.cached_models().await.unwrap(),
        ["tiny-embed-generic-cpu", "tiny-chat-generic-cpu"]
    );
    assert_eq!(
        client.unload("tiny-chat", false).await.unwrap(),
        LoadOutcome::Accepted
    );
    assert!(client.loaded_models().await.unwrap().is_empty());
}

#[tokio::test]
async fn legacy_resolves_aliases_downloads_with_progress_and_loads() {
    let (emulator, client) = start(EmulatorConfig::new(Dialect::Legacy)).await;
    let catalog = client.catalog().await.unwrap();
    assert!(catalog.iter().any(|m| m.alias == "qwen2.5-1.5b"));
    // An alias picks the downloaded variant.
    let ready = client.ensure_ready("PHI-4-MINI").await.unwrap();
    assert_eq!(ready.id, "Phi-4-mini-instruct-generic-cpu:4");
    // A model that is not downloaded is downloaded with progress, then loads.
    let mut seen = Vec::new();
    client
        .download_with("qwen2.5-1.5b", |p| seen.push(p.percent))
        .await
        .unwrap();
    assert!(
        seen.len() >= 2 && seen.windows(2).all(|w| w[0] <= w[1]),
        "{seen:?}"
    );
    assert!(
        emulator
            .cached_models()
            .contains(&"qwen2.5-1.5b-instruct-cuda-gpu:3".to_owned())
    );
    assert_eq!(
        client
            .load("qwen2.5-1.5b", Some(std::time::Duration::from_secs(600)))
            .await
            .unwrap(),
        LoadOutcome::Accepted
    );
    assert!(
        client
            .loaded_models()
            .await
            .unwrap()
            .contains(&"qwen2.5-1.5b-instruct-cuda-gpu:3".to_owned())
    );
    let answer = client
        .chat(hello("qwen2.5-1.5b").max_tokens(5))
        .await
        .unwrap();
    assert_eq!(answer.finish_reason(), Some(&FinishReason::Length));
}

#[tokio::test]
async fn legacy_download_failure_is_an_error_even_with_status_200() {
    let config = EmulatorConfig::new(Dialect::Legacy)
        .download_failure(Some("Retry failed after 6 tries".into()));
    let (_emulator, client) = start(config).await;
    let error = client
        .download_with("qwen2.5-1.5b", |_| {})
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert!(
        error.to_string().contains("Retry failed after 6 tries"),
        "{error}"
    );
}

#[tokio::test]
async fn download_on_the_web_service_is_unsupported_and_names_the_cli() {
    let (_emulator, client) = start(EmulatorConfig::new(Dialect::Core2)).await;
    let error = client.download("phi-4-mini").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(
        error
            .to_string()
            .contains("foundry model download phi-4-mini"),
        "{error}"
    );
}

#[tokio::test]
async fn unknown_models_are_typed_errors() {
    for dialect in [Dialect::Legacy, Dialect::Core2] {
        let (_emulator, client) = start(EmulatorConfig::new(dialect)).await;
        let error = client.chat(hello("no-such-model")).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ModelNotFound, "{dialect}: {error}");
    }
    // Core 1.x says "not loaded" for unknown names; loading then fails with an empty 500.
    let (_emulator, client) =
        start(EmulatorConfig::new(Dialect::Core1).catalog(Catalog::tiny())).await;
    let error = client.chat(hello("no-such-model")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ModelNotLoaded, "{error}");
}

#[tokio::test]
async fn without_load_on_demand_a_not_loaded_model_is_reported() {
    let emulator = Emulator::start(EmulatorConfig::new(Dialect::Core2).catalog(Catalog::tiny()))
        .await
        .unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .load_on_demand(false)
        .build()
        .unwrap();
    let error = client
        .chat(hello("tiny-chat-generic-cpu:1"))
        .await
        .unwrap_err();
    assert!(error.is_model_not_loaded(), "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(error.raw_body().is_some());
}

#[tokio::test]
async fn embeddings_are_deterministic_and_of_the_model_dimension() {
    let (_emulator, client) =
        start(EmulatorConfig::new(Dialect::Core2).catalog(Catalog::tiny())).await;
    let request = EmbeddingsRequest::new("tiny-embed", vec!["hello", "world"]);
    let first = client.embeddings(request.clone()).await.unwrap();
    let second = client.embeddings(request).await.unwrap();
    assert_eq!(first.data.len(), 2);
    assert!(first.data.iter().all(|e| e.embedding.len() == 32));
    assert_eq!(first.data, second.data);
}

#[tokio::test]
async fn concurrent_callers_share_one_load() {
    let (emulator, client) =
        start(EmulatorConfig::new(Dialect::Core2).catalog(Catalog::tiny())).await;
    let calls = (0..8).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.ensure_ready("tiny-chat").await })
    });
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().id, "tiny-chat-generic-cpu:1");
    }
    assert_eq!(
        emulator.stats().requests_of("GET /models/load/{name}"),
        1,
        "one load for eight callers"
    );
}

#[tokio::test]
async fn legacy_quirks_decode_streamed_and_not() {
    let (_emulator, client) = start(EmulatorConfig::new(Dialect::Legacy).quirks(true)).await;
    let whole = client
        .chat(hello("phi-4-mini").max_tokens(12))
        .await
        .unwrap();
    assert!(
        whole.text().is_some_and(|t| !t.is_empty()),
        "an answer carrying `delta` instead of `message` decodes"
    );
    let streamed = client
        .chat_stream(hello("phi-4-mini").max_tokens(12))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(
        streamed.choices.len(),
        1,
        "per-chunk indices fold into one choice"
    );
    assert_eq!(streamed.text(), whole.text());
}
