//! Request metrics recorded for every call, and on-demand health reports.

use foundry_client::{ChatRequest, FoundryClient, Message, ProbeOutcome};
use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig, Fault, FaultRule};

const MODEL: &str = "tiny-chat-generic-cpu:1";

#[tokio::test]
async fn every_call_is_counted_with_latency_ttft_retries_and_errors_by_kind() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Core2)
            .catalog(Catalog::tiny())
            .loaded([MODEL]),
    )
    .await
    .unwrap();
    let rule = FaultRule::sequence([
        Some(Fault::retry_after(503, 0)),
        None,
        Some(Fault::status(400)),
    ])
    .on_route("POST /v1/chat/completions");
    emulator.faults().push(rule).unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .build()
        .unwrap();
    let hello = || ChatRequest::new(MODEL, [Message::user("hi")]).max_tokens(8);
    client.chat(hello()).await.unwrap(); // 503, retried, then answered.
    assert!(client.chat(hello()).await.is_err()); // 400: an API error.
    client
        .chat_stream(hello())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let snapshot = client.metrics_snapshot();
    assert_eq!(snapshot.requests, 3);
    assert_eq!(snapshot.successes, 2);
    assert_eq!(snapshot.errors.get("api"), Some(&1));
    assert_eq!(snapshot.retries, 1);
    assert_eq!(snapshot.in_flight, 0);
    assert_eq!(snapshot.latency.unwrap().count, 3);
    assert_eq!(
        snapshot.time_to_first_token.unwrap().count,
        1,
        "only the stream has a first token"
    );
    assert_eq!(snapshot.generated_tokens, 16);
    let text = client.metrics().to_prometheus("foundry");
    assert!(text.contains("foundry_requests_total"), "{text}");
}

#[tokio::test]
async fn health_reports_readiness_and_loaded_models() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Core2)
            .catalog(Catalog::tiny())
            .loaded([MODEL]),
    )
    .await
    .unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .build()
        .unwrap();
    let report = client.health().await.unwrap();
    assert_eq!(report.outcome, ProbeOutcome::Ready);
    assert_eq!(report.loaded_models, Some(vec![MODEL.to_owned()]));
    assert!(
        !report.memory.is_empty(),
        "the emulator runs in this process, whose memory can be read"
    );
}
