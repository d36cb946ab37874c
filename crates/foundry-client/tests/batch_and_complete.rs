//! Batch processing and the one-line completion, against the emulator.

use std::sync::{Arc, Mutex};

use foundry_client::{ChatRequest, ErrorKind, FinishReason, FoundryClient, Message};
use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig, Fault, FaultRule};

const MODEL: &str = "tiny-chat-generic-cpu:1";

#[tokio::test]
async fn a_batch_keeps_input_order_and_a_failure_loses_nothing_else() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Core2)
            .catalog(Catalog::tiny())
            .loaded([MODEL]),
    )
    .await
    .unwrap();
    // The third request of the run fails for good (400 is not retried).
    let rule = FaultRule::sequence([None, None, Some(Fault::status(400))])
        .on_route("POST /v1/chat/completions");
    emulator.faults().push(rule).unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .build()
        .unwrap();
    let requests: Vec<_> = (1..=8)
        .map(|n| ChatRequest::new(MODEL, [Message::user("hi")]).max_tokens(n))
        .collect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let results = client
        .batch(requests)
        .concurrency(1)
        .on_progress(move |p| log.lock().unwrap().push(p))
        .run()
        .await;
    assert_eq!(results.len(), 8);
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    assert_eq!(results[2].as_ref().unwrap_err().kind(), ErrorKind::Api);
    for (i, result) in results.iter().enumerate().filter(|(i, _)| *i != 2) {
        let usage = result.as_ref().unwrap().usage.clone().unwrap();
        assert_eq!(
            usage.completion_tokens,
            i as u64 + 1,
            "result {i} answers request {i}"
        );
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 8);
    assert_eq!((seen[7].done, seen[7].failed, seen[7].total), (8, 1, 8));
}

#[tokio::test]
async fn a_batch_respects_its_concurrency() {
    let config = EmulatorConfig::new(Dialect::Core2)
        .catalog(Catalog::tiny())
        .loaded([MODEL])
        .ttft(std::time::Duration::from_millis(20));
    let emulator = Emulator::start(config).await.unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .build()
        .unwrap();
    let requests: Vec<_> = (0..6)
        .map(|_| ChatRequest::new(MODEL, [Message::user("hi")]).max_tokens(2))
        .collect();
    let started = tokio::time::Instant::now();
    let results = client.batch(requests).concurrency(2).run().await;
    assert!(results.iter().all(Result::is_ok));
    // Six requests of at least 20 ms, two at a time: at least three rounds.
    assert!(started.elapsed() >= std::time::Duration::from_millis(60));
}

#[tokio::test]
async fn complete_returns_content_usage_and_latency() {
    let emulator = Emulator::start(EmulatorConfig::new(Dialect::Core2).catalog(Catalog::tiny()))
        .await
        .unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .model("tiny-chat")
        .build()
        .unwrap();
    let answer = client
        .complete("Explain quantum computing")
        .max_tokens(3)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.content, "Hello! I");
    assert_eq!(answer.finish_reason, Some(FinishReason::Length));
    assert_eq!(
        answer.model, MODEL,
        "the default alias was loaded and its id used"
    );
    assert_eq!(answer.usage.completion_tokens, 3);
    assert!(answer.latency > std::time::Duration::ZERO);
}

#[tokio::test]
async fn the_opt_in_cache_serves_repeated_deterministic_requests() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Core2)
            .catalog(Catalog::tiny())
            .loaded([MODEL]),
    )
    .await
    .unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .cache(foundry_client::CacheConfig::default())
        .build()
        .unwrap();
    let deterministic = ChatRequest::new(MODEL, [Message::user("hi")])
        .max_tokens(4)
        .temperature(0.0);
    let first = client.chat(deterministic.clone()).await.unwrap();
    let second = client.chat(deterministic).await.unwrap();
    assert_eq!(first, second);
    let sampled = ChatRequest::new(MODEL, [Message::user("hi")]).max_tokens(4);
    client.chat(sampled.clone()).await.unwrap();
    client.chat(sampled).await.unwrap();
    assert_eq!(
        emulator.stats().requests_of("POST /v1/chat/completions"),
        3,
        "one cached, two sampled"
    );
    let stats = client.cache_stats().unwrap();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 1, 1));
}
