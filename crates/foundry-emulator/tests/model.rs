//! The deterministic model seen over HTTP: determinism, `max_tokens`, `stop`, `n`, usage,
//! `include_usage`, tool calls, embeddings and timing.

mod support;

use std::time::{Duration, Instant};

use foundry_emulator::{Dialect, Emulator, EmulatorConfig, EmulatorHandle};
use foundry_protocol::{
    ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, FinishReason, Message, Tool,
    ToolChoice,
};
use serde_json::json;
use support::stream::{assemble, decode};
use support::{client, raw};

const PHI: &str = "Phi-4-mini-instruct-generic-cpu:4";
const EMBED: &str = "qwen3-embedding-0.6b-generic-cpu:1";

async fn core2() -> EmulatorHandle {
    Emulator::start(EmulatorConfig::new(Dialect::Core2).loaded([PHI, EMBED]))
        .await
        .expect("emulator")
}

async fn ask(emulator: &EmulatorHandle, request: &ChatRequest) -> ChatResponse {
    let response = client()
        .post(format!("{}/v1/chat/completions", emulator.url()))
        .json(request)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    ChatResponse::from_slice(&response.bytes().await.expect("body")).expect("a chat answer")
}

async fn ask_stream(emulator: &EmulatorHandle, request: &ChatRequest) -> Vec<u8> {
    let response = client()
        .post(format!("{}/v1/chat/completions", emulator.url()))
        .json(request)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("body").to_vec()
}

fn hello() -> ChatRequest {
    ChatRequest::new(
        PHI,
        [
            Message::system("be brief"),
            Message::user("Say hello to the world"),
        ],
    )
}

#[tokio::test]
async fn the_same_request_gets_the_same_answer() {
    let emulator = core2().await;
    let a = ask(&emulator, &hello()).await;
    let b = ask(&emulator, &hello()).await;
    assert_eq!(a.text(), b.text());
    assert_eq!(a.usage, b.usage);
    assert_ne!(a.id, b.id, "ids differ per answer");
    let seeded = ask(&emulator, &hello().seed(42)).await;
    assert_ne!(
        a.text(),
        seeded.text(),
        "the request seed changes the answer"
    );
    let streamed = assemble(&ask_stream(&emulator, &hello().streaming(false)).await, 1);
    assert_eq!(
        streamed.text(),
        a.text(),
        "streamed and whole answers agree"
    );

    let other = Emulator::start(EmulatorConfig::new(Dialect::Core2).loaded([PHI]).seed(7))
        .await
        .expect("emulator");
    assert_ne!(
        ask(&other, &hello()).await.text(),
        a.text(),
        "the emulator seed changes it"
    );
}

#[tokio::test]
async fn max_tokens_stop_and_usage_behave_like_a_server() {
    let emulator = core2().await;
    let full = ask(&emulator, &hello()).await;
    let usage = full.usage.clone().expect("usage");
    assert_eq!(
        usage.prompt_tokens, 7,
        "prompt tokens are the messages' words"
    );
    assert_eq!(full.finish_reason(), Some(&FinishReason::Stop));
    assert_eq!(
        usage.total_tokens,
        usage.prompt_tokens + usage.completion_tokens
    );

    let cut = ask(&emulator, &hello().max_tokens(3)).await;
    assert_eq!(cut.finish_reason(), Some(&FinishReason::Length));
    assert_eq!(cut.usage.as_ref().map(|u| u.completion_tokens), Some(3));
    let text = full.text().expect("text");
    assert!(text.starts_with(&cut.text().expect("text")));

    let mut newer = hello();
    newer.max_completion_tokens = Some(2);
    assert_eq!(
        ask(&emulator, &newer)
            .await
            .usage
            .map(|u| u.completion_tokens),
        Some(2)
    );

    let third_word: String = text.split(' ').nth(2).expect("words").to_owned();
    let stopped = ask(&emulator, &hello().stop(third_word.as_str())).await;
    assert_eq!(stopped.finish_reason(), Some(&FinishReason::Stop));
    let stopped_text = stopped.text().expect("text");
    assert!(
        !stopped_text.contains(&third_word),
        "{stopped_text:?} ends before the stop"
    );
    assert!(text.starts_with(stopped_text.trim_end()));
}

#[tokio::test]
async fn include_usage_adds_a_final_usage_chunk() {
    let emulator = core2().await;
    let (chunks, done) =
        decode(&ask_stream(&emulator, &hello().max_tokens(4).streaming(true)).await);
    assert!(done);
    let last = chunks.last().expect("chunks");
    assert!(last.choices.is_empty());
    assert_eq!(last.usage.as_ref().map(|u| u.completion_tokens), Some(4));
    assert_eq!(chunks.len(), 1 + 4 + 1 + 1, "role, tokens, finish, usage");
    let (chunks, done) =
        decode(&ask_stream(&emulator, &hello().max_tokens(4).streaming(false)).await);
    assert!(done);
    assert!(
        chunks
            .iter()
            .all(|chunk| chunk.usage.is_none() && !chunk.choices.is_empty())
    );
}

#[tokio::test]
async fn n_is_ignored_on_core2_and_honoured_on_g1() {
    let emulator = core2().await;
    let mut request = hello();
    request.n = Some(3);
    assert_eq!(ask(&emulator, &request).await.choices.len(), 1);

    let g1 = Emulator::start(EmulatorConfig::new(Dialect::Legacy))
        .await
        .expect("emulator");
    let answer = ask(&g1, &request).await;
    assert_eq!(answer.choices.len(), 3);
    assert_ne!(
        answer.choices[0].message.text(),
        answer.choices[1].message.text()
    );
    let streamed = assemble(&ask_stream(&g1, &request.clone().streaming(true)).await, 3);
    assert_eq!(streamed.choices.len(), 3);
    assert_eq!(
        streamed.choices[2].message.text(),
        answer.choices[2].message.text()
    );
}

fn weather_tool() -> Tool {
    Tool::function(
        "get_weather",
        "Current weather",
        json!({"type": "object", "properties": {
            "city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 5}
        }, "required": ["city"]}),
    )
}

#[tokio::test]
async fn tool_calls_follow_tool_choice_and_stream_in_pieces() {
    let emulator = core2().await;
    let tools = vec![
        weather_tool(),
        Tool::function("noop", "", json!({"type": "object"})),
    ];
    let auto = hello().tools(tools.clone(), Some(ToolChoice::Auto));
    assert!(
        ask(&emulator, &auto).await.choices[0]
            .message
            .tool_calls
            .is_empty()
    );

    let named = hello().tools(
        tools.clone(),
        Some(ToolChoice::Function("get_weather".into())),
    );
    let answer = ask(&emulator, &named).await;
    assert_eq!(answer.finish_reason(), Some(&FinishReason::ToolCalls));
    let call = &answer.choices[0].message.tool_calls[0];
    assert_eq!(call.function.name, "get_weather");
    let arguments: serde_json::Value =
        serde_json::from_str(&call.function.arguments).expect("JSON");
    assert!(arguments["city"].is_string());
    assert!((1..=5).contains(&arguments["days"].as_i64().expect("days")));

    let body = ask_stream(&emulator, &named.clone().streaming(true)).await;
    let (chunks, _) = decode(&body);
    let pieces: Vec<_> = chunks
        .iter()
        .flat_map(|chunk| chunk.choices.iter())
        .flat_map(|choice| choice.delta.tool_calls.iter())
        .collect();
    assert!(pieces.len() >= 3, "head plus argument pieces");
    assert!(
        pieces[0].id.is_some()
            && pieces[0]
                .function
                .as_ref()
                .and_then(|f| f.name.as_ref())
                .is_some()
    );
    assert!(pieces[1..].iter().all(|p| p.id.is_none()));
    let streamed = assemble(&body, 1);
    assert_eq!(
        streamed.choices[0].message.tool_calls,
        answer.choices[0].message.tool_calls
    );
    assert_eq!(streamed.finish_reason(), Some(&FinishReason::ToolCalls));

    let required = hello().tools(tools, Some(ToolChoice::Required));
    assert_eq!(
        ask(&emulator, &required).await.choices[0]
            .message
            .tool_calls
            .len(),
        1
    );
}

#[tokio::test]
async fn embeddings_are_unit_vectors_stable_per_text() {
    let emulator = core2().await;
    let embed = |input: Vec<&'static str>| {
        let request = EmbeddingsRequest::new(EMBED, input);
        let url = format!("{}/v1/embeddings", emulator.url());
        async move {
            let body = client()
                .post(url)
                .json(&request)
                .send()
                .await
                .expect("sent")
                .bytes()
                .await
                .expect("body");
            EmbeddingsResponse::from_slice(&body).expect("embeddings")
        }
    };
    let first = embed(vec!["alpha", "beta"]).await;
    let again = embed(vec!["beta"]).await;
    assert_eq!(first.data.len(), 2);
    assert_eq!(first.data[0].embedding.len(), 1024);
    assert_eq!(first.data[1].embedding, again.data[0].embedding);
    let norm: f32 = first.data[0].embedding.iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-3);
}

#[tokio::test]
async fn ttft_and_token_delay_pace_the_answer() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Core2)
            .loaded([PHI])
            .ttft(Duration::from_millis(150))
            .token_delay(Duration::from_millis(20)),
    )
    .await
    .expect("emulator");
    let started = Instant::now();
    let response = client()
        .post(format!("{}/v1/chat/completions", emulator.url()))
        .json(&hello().max_tokens(5).streaming(false))
        .send()
        .await
        .expect("sent");
    let headers_at = started.elapsed();
    let body = response.bytes().await.expect("body");
    let total = started.elapsed();
    assert!(
        headers_at < Duration::from_millis(150),
        "headers come at once: {headers_at:?}"
    );
    // Role chunk after the TTFT, then 5 tokens, the finish chunk and [DONE] 20 ms apart.
    assert!(total >= Duration::from_millis(150 + 7 * 20), "{total:?}");
    assert_eq!(decode(&body).0.len(), 7);

    let started = Instant::now();
    ask(&emulator, &hello().max_tokens(5)).await;
    assert!(started.elapsed() >= Duration::from_millis(150 + 5 * 20));
}

#[tokio::test]
async fn core2_streams_repeat_their_headers() {
    let emulator = core2().await;
    let body = serde_json::to_string(&hello().max_tokens(2).streaming(true)).expect("json");
    let response = raw(emulator.addr(), "POST", "/v1/chat/completions", Some(&body)).await;
    assert_eq!(
        response.header_values("cache-control"),
        ["no-cache", "no-cache"]
    );
    assert_eq!(
        response.header_values("content-type"),
        ["text/event-stream", "text/event-stream"]
    );
    assert_eq!(response.header_values("server"), ["oatpp/1.3.0"]);
    assert!(response.header_values("date").is_empty());
    let events = support::sse_json(&response.body);
    assert_eq!(
        events[0]["choices"][0]["delta"],
        json!({"content": "", "role": "assistant"})
    );
    assert_eq!(events[3]["choices"][0]["delta"], json!({}));
    assert_eq!(events[3]["choices"][0]["finish_reason"], "length");
    assert!(
        events
            .iter()
            .all(|e| e["system_fingerprint"].is_null() && e.get("system_fingerprint").is_some())
    );
    assert_eq!(
        support::sse_data(&response.body).last().map(String::as_str),
        Some("[DONE]")
    );
}
