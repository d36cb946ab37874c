//! The client under faults injected by the emulator: retries where safe, typed errors where not,
//! and never a short answer passed off as a whole one.

use std::time::Duration;

use foundry_client::{BreakerConfig, ChatRequest, ErrorKind, FoundryClient, Message, RetryPolicy};
use foundry_emulator::{
    Catalog, Dialect, Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultRule,
};
use futures_util::StreamExt;

const CHAT_ROUTE: &str = "POST /v1/chat/completions";
const MODEL: &str = "tiny-chat-generic-cpu:1";

async fn start() -> (EmulatorHandle, FoundryClient) {
    let config = EmulatorConfig::new(Dialect::Core2)
        .catalog(Catalog::tiny())
        .loaded([MODEL]);
    let emulator = Emulator::start(config).await.expect("emulator starts");
    let policy = RetryPolicy::with_max_retries(3);
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .retry_policy(fast(policy))
        .build()
        .unwrap();
    (emulator, client)
}

/// Real sleeps in these tests stay short: the backoff starts at 10 ms.
fn fast(mut policy: RetryPolicy) -> RetryPolicy {
    policy.backoff.initial = Duration::from_millis(10);
    policy.backoff.max = Duration::from_millis(40);
    policy
}

fn fault(emulator: &EmulatorHandle, faults: Vec<Option<Fault>>) {
    emulator
        .faults()
        .push(FaultRule::sequence(faults).on_route(CHAT_ROUTE))
        .unwrap();
}

fn hello() -> ChatRequest {
    ChatRequest::new(MODEL, [Message::user("hi")]).max_tokens(16)
}

#[tokio::test]
async fn transient_failures_are_retried_and_the_answer_arrives() {
    let (emulator, client) = start().await;
    fault(
        &emulator,
        vec![
            Some(Fault::retry_after(503, 0)),
            Some(Fault::CloseBeforeHeaders),
            Some(Fault::status(500)),
        ],
    );
    let answer = client.chat(hello()).await.unwrap();
    assert!(answer.text().is_some());
    assert_eq!(emulator.stats().requests_of(CHAT_ROUTE), 4);
}

#[tokio::test]
async fn a_request_error_dressed_as_500_is_not_retried() {
    let (emulator, client) = start().await;
    let body = r#"{"error":{"message":"Invalid OpenAI JSON request: The JSON value could not be converted","type":"server_error","code":null}}"#;
    let fault_500 = Fault::Status {
        status: 500,
        body: Some(body.into()),
        retry_after: None,
        retry_after_ms: None,
    };
    fault(&emulator, vec![Some(fault_500)]);
    let error = client.chat(hello()).await.unwrap_err();
    assert_eq!(
        (error.kind(), error.status().map(|s| s.as_u16())),
        (ErrorKind::Api, Some(500))
    );
    assert!(!error.is_retryable());
    assert!(
        error
            .api_error()
            .unwrap()
            .message
            .starts_with("Invalid OpenAI JSON request")
    );
    assert_eq!(
        emulator.stats().requests_of(CHAT_ROUTE),
        1,
        "a deterministic 500 is not retried into a storm"
    );
}

#[tokio::test]
async fn a_truncated_stream_is_interrupted_not_short() {
    let (emulator, client) = start().await;
    fault(
        &emulator,
        vec![Some(Fault::TruncateStream {
            after_chunks: Some(3),
        })],
    );
    let error = client
        .chat_stream(hello())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted);
    assert_eq!(error.chunks_received(), Some(3));
    assert!(error.partial().unwrap().text().is_some());
    assert_eq!(
        emulator.stats().requests_of(CHAT_ROUTE),
        1,
        "a started stream is never sent again"
    );
}

#[tokio::test]
async fn a_mid_stream_error_event_is_the_servers_error_with_the_partial_answer() {
    let (emulator, client) = start().await;
    let event = Fault::ErrorEvent {
        after_chunks: Some(2),
        message: Some("Inference failed: out of memory".into()),
    };
    fault(&emulator, vec![Some(event)]);
    let mut stream = client.chat_stream(hello()).await.unwrap();
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item);
    }
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 2);
    let error = items.pop().unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted);
    assert_eq!(
        error.api_error().unwrap().message,
        "Inference failed: out of memory"
    );
}

#[tokio::test]
async fn a_reset_mid_body_and_a_malformed_chunk_are_typed_errors() {
    let (emulator, client) = start().await;
    fault(
        &emulator,
        vec![
            Some(Fault::ResetMidBody {
                after_bytes: Some(300),
            }),
            Some(Fault::MalformedChunk { at: Some(1) }),
        ],
    );
    let reset = client
        .chat_stream(hello())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert_eq!(reset.kind(), ErrorKind::StreamInterrupted, "{reset:?}");
    let malformed = client
        .chat_stream(hello())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert_eq!(malformed.kind(), ErrorKind::StreamInterrupted);
    assert!(
        std::error::Error::source(&malformed).is_some(),
        "the decode error is the cause"
    );
}

#[tokio::test]
async fn a_stalled_stream_times_out() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Core2)
            .catalog(Catalog::tiny())
            .loaded([MODEL]),
    )
    .await
    .unwrap();
    fault(&emulator, vec![Some(Fault::Stall { ms: Some(5_000) })]);
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = client
        .chat_stream(hello())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
}

#[tokio::test]
async fn the_breaker_opens_under_persistent_failure_and_fails_fast() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Core2)
            .catalog(Catalog::tiny())
            .loaded([MODEL]),
    )
    .await
    .unwrap();
    emulator
        .faults()
        .push(FaultRule::always(Fault::status(503)).on_route(CHAT_ROUTE))
        .unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .retries(0)
        .breaker(Some(BreakerConfig::default().with_consecutive_failures(3)))
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            client
                .chat(hello())
                .await
                .unwrap_err()
                .status()
                .map(|s| s.as_u16()),
            Some(503)
        );
    }
    let error = client.chat(hello()).await.unwrap_err();
    assert!(error.is_circuit_open(), "{error}");
    assert!(error.retry_after().is_some());
    assert_eq!(
        emulator.stats().requests_of(CHAT_ROUTE),
        3,
        "the open breaker kept the fourth call home"
    );
}
