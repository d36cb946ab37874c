//! foundry-client against a real llama.cpp `llama-server` serving SmolLM2-135M.
//! Run with `cargo xtask e2e`, which builds, starts and stops the server.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use e2e::{client_for, server_url};
use foundry_client::{
    BreakerConfig, ChatRequest, CircuitState, EmbeddingsRequest, ErrorKind, FinishReason,
    FoundryClient, Message, ServerKind,
};
use futures_util::StreamExt;

const LLAMA: &str = "E2E_LLAMA_URL";
const MODEL: &str = "smollm2";

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new(MODEL, [Message::user(text)]).temperature(0.0)
}

#[tokio::test]
#[ignore = "needs the real llama-server started by `cargo xtask e2e`"]
async fn the_server_is_detected_as_llama_cpp_with_its_model() {
    let client = client_for(LLAMA);
    let info = client.server().await.unwrap();
    assert_eq!(info.kind, ServerKind::LlamaCpp);
    assert!(info.slots.is_some_and(|n| n >= 1), "{info:?}");
    assert_eq!(client.loaded_models().await.unwrap(), [MODEL]);
    let health = client.health().await.unwrap();
    assert!(health.ready(), "{health:?}");
    assert_eq!(health.loaded_models, Some(vec![MODEL.to_owned()]));
}

#[tokio::test]
#[ignore = "needs the real llama-server started by `cargo xtask e2e`"]
async fn chat_returns_text_and_consistent_usage() {
    let answer = client_for(LLAMA)
        .chat(ask("What are the primary colors?").max_tokens(40))
        .await
        .unwrap();
    assert!(answer.text().is_some_and(|t| !t.trim().is_empty()));
    let usage = answer.usage.unwrap();
    assert!(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert_eq!(
        usage.prompt_tokens + usage.completion_tokens,
        usage.total_tokens
    );
}

#[tokio::test]
#[ignore = "needs the real llama-server started by `cargo xtask e2e`"]
async fn streamed_chunks_add_up_to_the_collected_message_with_a_final_usage() {
    let client = client_for(LLAMA);
    let mut stream = client
        .chat_stream(ask("Say hello in French.").max_tokens(24))
        .await
        .unwrap();
    let (mut text, mut chunks, mut last_usage) = (String::new(), 0, None);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        chunks += 1;
        text.push_str(chunk.text().unwrap_or_default());
        if chunk.usage.is_some() {
            assert!(
                chunk.choices.is_empty(),
                "the usage arrives in its own final chunk"
            );
            last_usage = chunk.usage;
        }
    }
    assert!(chunks > 3, "{chunks} chunks");
    assert!(last_usage.is_some(), "include_usage was asked for");
    let collected = client
        .chat_stream(ask("Say hello in French.").max_tokens(24))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(
        collected.text().unwrap(),
        text,
        "temperature 0: the same answer twice"
    );
}

#[tokio::test]
#[ignore = "needs the real llama-server started by `cargo xtask e2e`"]
async fn a_small_token_budget_ends_with_length() {
    let answer = client_for(LLAMA)
        .chat(ask("Tell me a long story.").max_tokens(5))
        .await
        .unwrap();
    assert_eq!(answer.finish_reason(), Some(&FinishReason::Length));
    assert_eq!(answer.usage.unwrap().completion_tokens, 5);
}

#[tokio::test]
#[ignore = "needs the real llama-server started by `cargo xtask e2e`"]
async fn a_batch_of_eight_succeeds_four_at_a_time() {
    let requests: Vec<_> = (0..8)
        .map(|i| ask(&format!("Count to {}.", i + 1)).max_tokens(8))
        .collect();
    let results = client_for(LLAMA).batch(requests).concurrency(4).run().await;
    assert_eq!(results.len(), 8);
    for result in results {
        assert!(result.unwrap().text().is_some());
    }
}

#[tokio::test]
#[ignore = "needs the real llama-server started by `cargo xtask e2e`"]
async fn messages_that_are_not_an_array_are_a_typed_400_with_the_servers_message() {
    let body = serde_json::json!({"model": MODEL, "messages": "hi"});
    let error = client_for(LLAMA)
        .post_raw("/v1/chat/completions", &body)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(
        error.api_error().unwrap().message,
        "Expected 'messages' to be an array"
    );
}

#[tokio::test]
#[ignore = "needs the real llama-server started by `cargo xtask e2e`"]
async fn embeddings_without_the_flag_are_a_typed_501_and_with_it_they_work() {
    let request = EmbeddingsRequest::new(MODEL, "hello");
    let error = client_for(LLAMA)
        .embeddings(request.clone())
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(501));
    assert_eq!(
        error.api_error().unwrap().error_type.as_deref(),
        Some("not_supported_error")
    );
    let answer = client_for("E2E_LLAMA_EMBEDDINGS_URL")
        .embeddings(request)
        .await
        .unwrap();
    assert_eq!(answer.data.len(), 1);
    assert_eq!(
        answer.data[0].embedding.len(),
        576,
        "SmolLM2-135M's embedding width"
    );
}

/// A llama-server of this test's own on `port`, so it can be killed and restarted.
fn own_server(port: u16) -> Child {
    Command::new(server_url("E2E_LLAMA_BIN"))
        .arg("-m")
        .arg(server_url("E2E_LLAMA_MODEL"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--ctx-size",
            "2048",
            "--alias",
            MODEL,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("llama-server starts")
}

async fn wait_ready(client: &FoundryClient) {
    for _ in 0..300 {
        if client.server().await.is_ok() && client.loaded_models().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the test's own llama-server did not become ready");
}

#[tokio::test]
#[ignore = "needs the real llama-server started by `cargo xtask e2e`"]
async fn killed_mid_stream_is_interrupted_and_the_breaker_opens_then_recovers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = own_server(port);
    let client = FoundryClient::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .retries(0)
        .breaker(Some(
            BreakerConfig::default()
                .with_consecutive_failures(2)
                .with_break_duration(Duration::from_millis(500)),
        ))
        .build()
        .unwrap();
    wait_ready(&client).await;

    let mut stream = client
        .chat_stream(ask("Write a very long essay about the sea.").max_tokens(1500))
        .await
        .unwrap();
    assert!(stream.next().await.unwrap().is_ok(), "the answer started");
    server.kill().unwrap();
    server.wait().unwrap();
    let mut outcome = None;
    while let Some(item) = stream.next().await {
        if let Err(error) = item {
            outcome = Some(error);
        }
    }
    let error = outcome.expect("the stream ends with an error, never silently");
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted, "{error:?}");

    // The broken stream was the first failure, the next call the second: open. (That call meets
    // either a refused connection or a pooled connection the dead server left closed.)
    let error = client.chat(ask("hi").max_tokens(2)).await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Connect | ErrorKind::Transport),
        "{error:?}"
    );
    assert_eq!(client.breaker().unwrap().state(), CircuitState::Open);
    assert!(
        client
            .chat(ask("hi").max_tokens(2))
            .await
            .unwrap_err()
            .is_circuit_open()
    );

    let mut restarted = own_server(port);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut recovered = false;
    for _ in 0..300 {
        if client.chat(ask("hi").max_tokens(2)).await.is_ok() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    assert!(
        recovered,
        "the breaker let a probe through and closed once the server was back"
    );
    assert_eq!(client.breaker().unwrap().state(), CircuitState::Closed);
}
