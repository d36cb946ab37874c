//! Every recorded llama.cpp `llama-server` payload decodes to the right value or typed error.

mod support;

use foundry_protocol::{
    ApiError, ChatResponse, CompletionResponse, CompletionStreamDecoder, FinishReason, LlamaHealth,
    ModelList, StreamEvent,
};
use foundry_recordings::{fixture, fixture_files};
use support::{accumulate, decode_chat_stream};

#[test]
fn chat_completion_decodes_with_usage_and_length_finish() {
    let response = ChatResponse::from_slice(&fixture("llama-cpp/chat_completion.json")).unwrap();
    assert_eq!(response.model.as_deref(), Some("smollm2"));
    assert_eq!(response.finish_reason(), Some(&FinishReason::Length));
    assert!(
        response
            .text()
            .unwrap()
            .starts_with("The primary colors are:")
    );
    let usage = response.usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (24, 40, 64)
    );
    assert_eq!(usage.prompt_tokens_details.unwrap().cached_tokens, Some(0));
}

#[test]
fn chat_completion_over_context_stops_naturally() {
    let response = ChatResponse::from_slice(&fixture(
        "llama-cpp/chat_completion_max_tokens_over_ctx.json",
    ))
    .unwrap();
    assert_eq!(response.finish_reason(), Some(&FinishReason::Stop));
    let usage = response.usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (35, 81, 116)
    );
    assert_eq!(usage.prompt_tokens_details.unwrap().cached_tokens, Some(24));
}

#[test]
fn chat_stream_accumulates_to_the_full_text() {
    let stream = decode_chat_stream(&fixture("llama-cpp/chat_stream.sse"), 0);
    assert!(stream.errors.is_empty() && stream.done);
    assert_eq!(stream.chunks.len(), 18);
    let response = accumulate(&stream, 1).finish().unwrap();
    assert_eq!(
        response.text().as_deref(),
        Some("Bonjour in French! Bonjour is a beautiful language. It's a language")
    );
    assert_eq!(response.finish_reason(), Some(&FinishReason::Length));
    assert_eq!(
        response.choices[0].message.role,
        foundry_protocol::Role::Assistant
    );
    assert_eq!(response.usage, None);
}

#[test]
fn chat_stream_with_usage_ends_with_a_usage_only_chunk() {
    let stream = decode_chat_stream(&fixture("llama-cpp/chat_stream_with_usage.sse"), 0);
    assert!(stream.errors.is_empty() && stream.done);
    let last = stream.chunks.last().unwrap();
    assert!(last.choices.is_empty());
    let response = accumulate(&stream, 1).finish().unwrap();
    assert!(
        response
            .text()
            .unwrap()
            .starts_with("I'm sorry for any misglamour.")
    );
    let usage = response.usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (34, 24, 58)
    );
}

#[test]
fn legacy_completion_decodes() {
    let response = CompletionResponse::from_slice(&fixture("llama-cpp/completion.json")).unwrap();
    assert_eq!(response.text(), Some(" Paris.\n\nThe United States has"));
    assert_eq!(
        response.choices[0].finish_reason,
        Some(FinishReason::Length)
    );
    assert_eq!(response.usage.unwrap().total_tokens, 13);
}

#[test]
fn legacy_completion_stream_decodes() {
    let mut decoder = CompletionStreamDecoder::new("completion chunk");
    let mut text = String::new();
    let mut done = false;
    let mut usage = None;
    for event in decoder.feed(&fixture("llama-cpp/completion_stream.sse")) {
        match event.unwrap() {
            StreamEvent::Item(chunk) => {
                text.extend(chunk.choices.iter().map(|c| c.text.as_str()));
                usage = chunk.usage.or(usage);
            }
            StreamEvent::Done => done = true,
        }
    }
    assert!(done);
    assert_eq!(text, ", the city of New Haven was a");
    assert_eq!(usage.unwrap().total_tokens, 12);
}

#[test]
fn models_list_keeps_aliases_and_meta() {
    let list = ModelList::from_slice(&fixture("llama-cpp/models.json")).unwrap();
    assert_eq!(list.ids().collect::<Vec<_>>(), ["smollm2"]);
    let model = &list.data[0];
    assert_eq!(model.owned_by.as_deref(), Some("llamacpp"));
    assert_eq!(model.aliases, ["smollm2"]);
    assert_eq!(model.meta.as_ref().unwrap()["n_ctx"], 2048);
}

#[test]
fn health_is_ok() {
    assert!(
        LlamaHealth::from_slice(&fixture("llama-cpp/health.json"))
            .unwrap()
            .is_ok()
    );
    let loading = ApiError::from_body(
        br#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#,
    );
    assert_eq!(
        (loading.message.as_str(), loading.code.as_deref()),
        ("Loading model", Some("503"))
    );
}

#[test]
fn error_bodies_map_to_api_errors() {
    let not_array = ApiError::from_body(&fixture("llama-cpp/error_400_messages_not_array.json"));
    assert_eq!(not_array.message, "Expected 'messages' to be an array");
    assert_eq!(
        not_array.error_type.as_deref(),
        Some("invalid_request_error")
    );
    assert_eq!(not_array.code.as_deref(), Some("400"));

    let embeddings = ApiError::from_body(&fixture(
        "llama-cpp/error_501_embeddings_not_supported.json",
    ));
    assert_eq!(
        embeddings.error_type.as_deref(),
        Some("not_supported_error")
    );
    assert!(embeddings.message.contains("--embeddings"));

    let metrics = ApiError::from_body(&fixture("llama-cpp/metrics_disabled.txt"));
    assert_eq!(metrics.code.as_deref(), Some("501"));
    assert!(metrics.message.contains("--metrics"));
}

#[test]
fn every_llama_server_fixture_has_a_test() {
    let source = include_str!("llama_server_fixtures.rs");
    for file in fixture_files("llama-cpp") {
        assert!(
            source.contains(&format!("llama-cpp/{file}")),
            "{file} is not read by any test"
        );
    }
}
