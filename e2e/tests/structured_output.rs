//! Structured output against real servers: llama.cpp's `llama-server` (SmolLM2-135M) answers a
//! schema-constrained value that parses into a struct; the real Foundry Local 2.2.1 runtime's tiny
//! model runs out of tokens mid-value, which must be a typed error with `finish_reason: length`.
//! Run with `cargo xtask e2e`, which starts both servers.

use e2e::client_for;
use foundry_client::{
    ChatRequest, ErrorKind, FinishReason, FoundryClient, JsonMode, Message, StructuredCall,
    StructuredEvent, StructuredSchema,
};
use futures_util::StreamExt;
use serde_json::{Value, json};

const LLAMA: &str = "E2E_LLAMA_URL";
const CORE2: &str = "E2E_CORE2_URL";

/// The city asked for, as the real llama-server was seen to fill it
/// (`{"city": "New York City", "population": 8}`). The schema is the one `schemars` derives for
/// `struct City { city: String, population: u64 }`, written out: this package does not depend on
/// the derive macros.
fn city(client: &FoundryClient) -> StructuredCall<'_, Value> {
    let schema = json!({
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "population": {"type": "integer", "format": "uint64", "minimum": 0}
        },
        "required": ["city", "population"]
    });
    client.structured_with(StructuredSchema::with_schema("City", schema).unwrap())
}

fn ask(model: &str, max_tokens: u32) -> ChatRequest {
    ChatRequest::new(
        model,
        [Message::user(
            "What is the largest city of the United States, and its population?",
        )],
    )
    .temperature(0.0)
    .max_tokens(max_tokens)
}

#[tokio::test]
#[ignore = "needs the real llama-server started by `cargo xtask e2e`"]
async fn llama_server_answers_a_value_that_fits_the_schema() {
    let client = client_for(LLAMA);
    let answer = city(&client).chat(ask("smollm2", 64)).await.unwrap();
    assert_eq!(
        answer.mode,
        JsonMode::JsonSchema,
        "llama.cpp takes json_schema"
    );
    assert_eq!(answer.response.finish_reason(), Some(&FinishReason::Stop));
    let name = answer.value["city"].as_str().unwrap();
    assert!(!name.trim().is_empty(), "{answer:?}");
    assert!(answer.value["population"].as_u64().is_some(), "{answer:?}");

    // Streamed, the text pieces add up to the answer that was validated.
    let mut stream = city(&client).stream(ask("smollm2", 64)).await.unwrap();
    let (mut text, mut done) = (String::new(), None);
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            StructuredEvent::Text(piece) => text.push_str(&piece),
            StructuredEvent::Done(value) => done = Some(value),
            other => panic!("unexpected {other:?}"),
        }
    }
    let done = done.expect("the stream ends with the value");
    assert_eq!(done.response.text().unwrap(), text);
}

#[tokio::test]
#[ignore = "needs the real Foundry Local 2.2.1 runtime started by `cargo xtask e2e`"]
async fn foundry_core2_cut_at_max_tokens_is_a_typed_error_with_the_raw_text() {
    let client = client_for(CORE2);
    let error = city(&client).chat(ask("tiny-chat", 16)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidStructuredOutput, "{error}");
    assert_eq!(
        error.finish_reason(),
        Some(&FinishReason::Length),
        "{error}"
    );
    assert!(error.is_truncated());
    let raw = error.raw_output().unwrap();
    assert!(!raw.is_empty(), "the raw text is kept");
    assert!(!error.problems().is_empty());
}
