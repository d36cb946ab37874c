//! The llama.cpp probe against wiremock, with the recorded `/health` and `/v1/models` answers of a
//! real `llama-server`, and its 503 while the model loads.

use foundry_health::{LlamaCppProbe, MemorySource, Probe, ProbeOutcome, ServerKind, SlotUsage};
use foundry_transport::{ReqwestTransport, SharedTransport};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> String {
    String::from_utf8(foundry_recordings::fixture(&format!("llama-cpp/{name}"))).unwrap()
}
const LOADING: &str =
    r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#;
/// `/props` with the fields the probe reads, as the server documents them.
const PROPS: &str = r#"{"default_generation_settings":{"n_ctx":2048},"total_slots":4,"model_path":"smollm2.gguf","build_info":"b11434-0123abc","is_sleeping":false}"#;
/// `/slots`: one of four slots busy.
const SLOTS: &str = r#"[{"id":0,"n_ctx":512,"is_processing":true},{"id":1,"n_ctx":512,"is_processing":false},{"id":2,"n_ctx":512,"is_processing":false},{"id":3,"n_ctx":512,"is_processing":false}]"#;
/// `meta.size` of SmolLM2-135M in `models.json`.
const MODEL_BYTES: u64 = 96_576_768;

fn json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

async fn serve(server: &MockServer, route: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(response)
        .mount(server)
        .await;
}

fn probe(server: &MockServer) -> LlamaCppProbe {
    let transport = ReqwestTransport::builder()
        .base_url(server.uri())
        .build()
        .expect("transport");
    LlamaCppProbe::new(SharedTransport::new(transport))
}

async fn ready_server() -> MockServer {
    let server = MockServer::start().await;
    serve(&server, "/health", json(200, &fixture("health.json"))).await;
    serve(&server, "/props", json(200, PROPS)).await;
    serve(&server, "/slots", json(200, SLOTS)).await;
    serve(&server, "/v1/models", json(200, &fixture("models.json"))).await;
    server
}

#[tokio::test]
async fn a_ready_server_reports_slots_build_model_and_model_size() {
    let server = ready_server().await;
    let report = probe(&server).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Ready, "{report:?}");
    assert_eq!(report.server, Some(ServerKind::LlamaCpp));
    assert_eq!(report.version.as_deref(), Some("b11434-0123abc"));
    let mut slots = SlotUsage::default();
    slots.total = Some(4);
    slots.busy = Some(1);
    assert_eq!(report.slots, Some(slots));
    assert_eq!(
        report.loaded_models.as_deref(),
        Some(&["smollm2".to_owned()][..])
    );
    assert_eq!(report.memory.len(), 1);
    assert_eq!(report.memory[0].bytes, MODEL_BYTES);
    assert_eq!(
        report.memory[0].source,
        MemorySource::ServerModelSize {
            models: vec!["smollm2".to_owned()]
        }
    );
}

#[tokio::test]
async fn loading_model_is_starting_not_dead() {
    let server = MockServer::start().await;
    serve(&server, "/health", json(503, LOADING)).await;
    let report = probe(&server).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Starting);
    assert!(report.reachable());
    assert!(!report.ready());
    assert_eq!(report.server, Some(ServerKind::LlamaCpp));
    assert!(report.problems.is_empty());
    // Nothing else is asked of a server that is loading.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn another_503_is_failing() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/health",
        json(503, r#"{"error":{"message":"boom"}}"#),
    )
    .await;
    let report = probe(&server).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Failing);
    assert!(
        report.problems[0].to_string().contains("503"),
        "{}",
        report.problems[0]
    );
}

#[tokio::test]
async fn slots_turned_off_are_not_a_problem() {
    let server = MockServer::start().await;
    serve(&server, "/health", json(200, &fixture("health.json"))).await;
    serve(&server, "/props", json(200, PROPS)).await;
    serve(
        &server,
        "/slots",
        json(501, r#"{"error":{"code":501,"message":"This server does not support slots endpoint. Start it with `--slots`","type":"not_supported_error"}}"#),
    )
    .await;
    serve(&server, "/v1/models", json(200, &fixture("models.json"))).await;
    let report = probe(&server).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Ready, "{report:?}");
    assert_eq!(report.slots.unwrap().busy, None);
}

#[tokio::test]
async fn a_failing_secondary_check_makes_it_partial() {
    let server = MockServer::start().await;
    serve(&server, "/health", json(200, &fixture("health.json"))).await;
    serve(
        &server,
        "/props",
        json(
            401,
            r#"{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}"#,
        ),
    )
    .await;
    serve(&server, "/slots", json(200, SLOTS)).await;
    serve(&server, "/v1/models", json(200, &fixture("models.json"))).await;
    let report = probe(&server).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Partial);
    assert!(report.ready(), "the server still serves");
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].check, "GET /props");
    assert!(report.problems[0].to_string().contains("Invalid API Key"));
}

#[tokio::test]
async fn the_api_key_is_sent_and_never_shown() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer s3cret"))
        .respond_with(json(200, &fixture("health.json")))
        .mount(&server)
        .await;
    let probe = probe(&server)
        .api_key("s3cret")
        .props(false)
        .slots(false)
        .models(false);
    assert!(!format!("{probe:?}").contains("s3cret"));
    let report = probe.probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Ready, "{report:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreadable_health_body_is_failing() {
    let server = MockServer::start().await;
    serve(&server, "/health", json(200, "not json")).await;
    let report = probe(&server).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Failing);
    assert_eq!(report.problems[0].check, "GET /health");
}

#[tokio::test]
async fn only_the_enabled_checks_are_sent() {
    let server = ready_server().await;
    let report = probe(&server).slots(false).models(false).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Ready);
    assert_eq!(report.loaded_models, None);
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| request.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/health", "/props"]);
}
