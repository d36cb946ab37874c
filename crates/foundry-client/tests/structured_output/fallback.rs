//! Exact requests with wiremock: the fallback for servers that refuse `json_schema` (remembered
//! by the client, logged once), and the repair request.

use std::io::Write;
use std::sync::{Arc, Mutex};

use foundry_client::{ChatRequest, ErrorKind, FoundryClient, JsonMode, Message, ServerKind};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

#[derive(Debug, Deserialize, JsonSchema)]
struct City {
    name: String,
    population: u64,
}

const REFUSAL: &str = r#"{"error":{"message":"Unrecognized request argument supplied: response_format.json_schema","type":"invalid_request_error","param":"response_format"}}"#;

fn answer(content: &str) -> ResponseTemplate {
    let body = json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]});
    ResponseTemplate::new(200).set_body_json(body)
}

fn asking_for(kind: &str) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(
            json!({"response_format": {"type": kind}}),
        ))
}

fn client(server: &MockServer) -> FoundryClient {
    FoundryClient::builder()
        .endpoint(server.uri())
        .server_kind(ServerKind::OpenAiCompatible)
        .build()
        .unwrap()
}

fn ask() -> ChatRequest {
    ChatRequest::new("m", [Message::user("The largest city of France?")])
}

async fn bodies(server: &MockServer) -> Vec<Value> {
    let requests = server.received_requests().await.unwrap();
    requests.iter().map(|r| r.body_json().unwrap()).collect()
}

/// Log lines, for a subscriber installed on this thread only.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_server_refusing_json_schema_gets_json_object_and_the_schema_in_a_system_message() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(refused_then_remembered());
    });
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        logs.matches("refuses response_format json_schema").count(),
        2,
        "said once by each client: {logs}"
    );
}

async fn refused_then_remembered() {
    let server = MockServer::start().await;
    let refusal = ResponseTemplate::new(400).set_body_raw(REFUSAL, "application/json");
    asking_for("json_schema")
        .respond_with(refusal)
        .expect(2)
        .mount(&server)
        .await;
    asking_for("json_object")
        .respond_with(answer(r#"{"name": "Paris", "population": 2100000}"#))
        .expect(4)
        .mount(&server)
        .await;
    let first = client(&server);
    let city = first.chat_json::<City>(ask()).await.unwrap();
    assert_eq!(
        (city.value.name.as_str(), city.mode),
        ("Paris", JsonMode::JsonObject)
    );
    // Remembered: this client (and its clones) no longer asks for json_schema; a new client
    // learns it for itself.
    assert_eq!(
        first.chat_json::<City>(ask()).await.unwrap().mode,
        JsonMode::JsonObject
    );
    let clone = first.clone();
    assert_eq!(
        clone.chat_json::<City>(ask()).await.unwrap().mode,
        JsonMode::JsonObject
    );
    let other = client(&server).chat_json::<City>(ask()).await.unwrap();
    assert_eq!(other.mode, JsonMode::JsonObject);

    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 6);
    assert_eq!(bodies[4]["response_format"]["type"], "json_schema");
    let schema_format = &bodies[0]["response_format"];
    assert_eq!(schema_format["json_schema"]["name"], "City");
    assert_eq!(schema_format["json_schema"]["strict"], true);
    assert_eq!(
        schema_format["json_schema"]["schema"]["required"],
        json!(["name", "population"])
    );
    let fallback = &bodies[1];
    assert_eq!(fallback["response_format"], json!({"type": "json_object"}));
    let system = fallback["messages"][0].clone();
    assert_eq!(system["role"], "system");
    let instruction = system["content"].as_str().unwrap();
    assert!(instruction.contains("JSON Schema") && instruction.contains("\"population\""));
    assert_eq!(
        fallback["messages"][1]["content"],
        "The largest city of France?"
    );
}

#[tokio::test]
async fn the_streamed_variant_falls_back_too() {
    let server = MockServer::start().await;
    let refusal = ResponseTemplate::new(400).set_body_raw(REFUSAL, "application/json");
    asking_for("json_schema")
        .respond_with(refusal)
        .expect(1)
        .mount(&server)
        .await;
    let events = [
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"{\"name\": "},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"\"Lyon\", \"population\": 522000}"},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
    ];
    let sse: String = events
        .iter()
        .map(|e| format!("data: {e}\n\n"))
        .collect::<String>()
        + "data: [DONE]\n\n";
    asking_for("json_object")
        .respond_with(ResponseTemplate::new(200).set_body_raw(sse, "text/event-stream"))
        .expect(1)
        .mount(&server)
        .await;
    let city = client(&server)
        .chat_json_stream::<City>(ask())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(
        (city.value.population, city.mode),
        (522_000, JsonMode::JsonObject)
    );
}

#[tokio::test]
async fn other_refusals_are_returned_as_they_are() {
    let server = MockServer::start().await;
    let refusal = ResponseTemplate::new(400).set_body_raw(
        r#"{"error":{"message":"messages must not be empty"}}"#,
        "application/json",
    );
    asking_for("json_schema")
        .respond_with(refusal)
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).chat_json::<City>(ask()).await.unwrap_err();
    assert_eq!(
        (error.kind(), error.status().map(|s| s.as_u16())),
        (ErrorKind::Api, Some(400))
    );
}

#[tokio::test]
async fn the_repair_request_quotes_the_answer_and_its_problems() {
    let server = MockServer::start().await;
    asking_for("json_schema")
        .respond_with(answer(r#"{"name": "Paris", "population": -5}"#))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    asking_for("json_schema")
        .respond_with(answer(r#"{"name": "Paris", "population": 2100000}"#))
        .mount(&server)
        .await;
    let city = client(&server)
        .structured::<City>()
        .repair(true)
        .chat(ask())
        .await
        .unwrap();
    assert_eq!((city.value.population, city.attempts), (2_100_000, 2));
    let bodies = bodies(&server).await;
    let messages = bodies[1]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(
        messages[1]["content"],
        r#"{"name": "Paris", "population": -5}"#
    );
    let quoted = messages[2]["content"].as_str().unwrap();
    assert!(
        quoted.contains("at /population: -5 is less than the minimum of 0"),
        "{quoted}"
    );
}
