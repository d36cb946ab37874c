//! Exact requests on the wire, checked with wiremock: paths (with `:` sent raw), headers and
//! bodies, and detection of llama.cpp and generic servers.

use foundry_client::{ChatRequest, FoundryClient, Message, ServerKind};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ANSWER: &str = r#"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;

#[tokio::test]
async fn chat_sends_the_exact_body_with_key_and_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-local"))
        .and(header("content-type", "application/json"))
        .and(body_json(serde_json::json!({"model": "smollm2", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5})))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ANSWER, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = FoundryClient::builder()
        .endpoint(server.uri())
        .api_key("sk-local")
        .server_kind(ServerKind::OpenAiCompatible)
        .build()
        .unwrap();
    let answer = client
        .chat(ChatRequest::new("smollm2", [Message::user("hi")]).max_tokens(5))
        .await
        .unwrap();
    assert_eq!(answer.text().as_deref(), Some("ok"));
    let requests = server.received_requests().await.unwrap();
    let agent = requests[0]
        .headers
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(agent.starts_with("foundry-client/"), "{agent}");
}

#[tokio::test]
async fn legacy_load_puts_the_id_with_its_colon_raw_in_the_path() {
    let server = MockServer::start().await;
    let catalog = foundry_recordings::fixture("foundry-reconstructed/legacy_foundry_list.json");
    Mock::given(method("GET"))
        .and(path("/foundry/list"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(catalog, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/openai/models"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"["Phi-4-mini-instruct-generic-cpu:4"]"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/openai/load/Phi-4-mini-instruct-generic-cpu:4"))
        .and(query_param("ttl", "600"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = FoundryClient::builder()
        .endpoint(server.uri())
        .server_kind(ServerKind::FoundryLegacy)
        .build()
        .unwrap();
    client
        .load("phi-4-mini", Some(std::time::Duration::from_secs(600)))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let load = requests
        .iter()
        .find(|r| r.url.path().starts_with("/openai/load/"))
        .unwrap();
    assert!(
        load.url.as_str().contains("generic-cpu:4?ttl=600"),
        "never %3A: {}",
        load.url
    );
}

#[tokio::test]
async fn llama_cpp_is_detected_from_props_and_its_slots_set_the_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/status"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/openai/status"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/props"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"total_slots":2,"default_generation_settings":{"n_ctx":2048}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = FoundryClient::builder()
        .endpoint(server.uri())
        .build()
        .unwrap();
    let info = client.server().await.unwrap();
    assert_eq!((info.kind, info.slots), (ServerKind::LlamaCpp, Some(2)));
    assert_eq!(
        client.concurrency_limit().unwrap().config().max_in_flight,
        2
    );
    let error = client.load("smollm2", None).await.unwrap_err();
    assert_eq!(error.kind(), foundry_client::ErrorKind::Unsupported);
}

#[tokio::test]
async fn a_server_without_known_routes_is_generic_openai_with_a_wider_limit() {
    let server = MockServer::start().await;
    let client = FoundryClient::builder()
        .endpoint(server.uri())
        .build()
        .unwrap();
    let info = client.server().await.unwrap();
    assert_eq!(info.kind, ServerKind::OpenAiCompatible);
    assert_eq!(
        client.concurrency_limit().unwrap().config().max_in_flight,
        64
    );
}

#[tokio::test]
async fn a_dead_endpoint_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = FoundryClient::builder().endpoint(url).build().unwrap();
    let error = client.server().await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    assert!(std::error::Error::source(&error).is_some());
}
