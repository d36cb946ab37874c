//! Every fault observed on the wire, fault plans in code and over HTTP, and the counters.

mod support;

use std::time::{Duration, Instant};

use foundry_emulator::{
    Catalog, Dialect, Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultKind, FaultPlan,
    FaultRule,
};
use foundry_recordings::Exchange;
use serde_json::{Value, json};
use support::{client, raw, raw_exchange, sse_data, sse_json};

const CHAT: &str = "tiny-chat-generic-cpu:1";
const STREAM: &str = r#"{"model": "tiny-chat-generic-cpu:1", "messages": [{"role": "user", "content": "hi"}], "stream": true}"#;
const WHOLE: &str =
    r#"{"model": "tiny-chat-generic-cpu:1", "messages": [{"role": "user", "content": "hi"}]}"#;

async fn emulator(dialect: Dialect, rule: FaultRule) -> EmulatorHandle {
    Emulator::start(
        EmulatorConfig::new(dialect)
            .catalog(Catalog::tiny())
            .loaded([CHAT])
            .faults(FaultPlan::new([rule.on_route("/v1/chat/completions")])),
    )
    .await
    .expect("emulator")
}

fn finished(events: &[Value]) -> bool {
    events.iter().any(|event| {
        event["choices"]
            .as_array()
            .is_some_and(|choices| choices.iter().any(|c| c["finish_reason"].is_string()))
    })
}

#[tokio::test]
async fn status_faults_carry_retry_hints_and_a_dialect_body() {
    let fault = Fault::Status {
        status: 429,
        body: None,
        retry_after: Some(2),
        retry_after_ms: Some(1500),
    };
    for dialect in [Dialect::Core2, Dialect::Core1, Dialect::Legacy] {
        let emulator = emulator(dialect, FaultRule::always(fault.clone())).await;
        let response = raw(emulator.addr(), "POST", "/v1/chat/completions", Some(WHOLE)).await;
        assert_eq!(response.status, 429, "{dialect}");
        assert_eq!(response.header_values("retry-after"), ["2"]);
        assert_eq!(response.header_values("retry-after-ms"), ["1500"]);
        let body = String::from_utf8_lossy(&response.body);
        assert!(
            body.contains("Injected fault: Too Many Requests"),
            "{dialect}: {body}"
        );
        assert_eq!(
            dialect == Dialect::Legacy,
            response.header_values("content-type")[0].starts_with("text/plain")
        );
    }
    let custom = Fault::Status {
        status: 503,
        body: Some(r#"{"error":"busy"}"#.into()),
        retry_after: None,
        retry_after_ms: None,
    };
    let emulator = emulator(Dialect::Core2, FaultRule::always(custom)).await;
    let response = raw(emulator.addr(), "POST", "/v1/chat/completions", Some(WHOLE)).await;
    assert_eq!(
        (response.status, response.body.as_slice()),
        (503, br#"{"error":"busy"}"#.as_slice())
    );
    assert_eq!(response.header_values("content-type"), ["application/json"]);
    assert!(emulator.loaded_models() == [CHAT], "the route did not run");
}

#[tokio::test]
async fn close_before_headers_sends_nothing() {
    let emulator = emulator(Dialect::Core2, FaultRule::always(Fault::CloseBeforeHeaders)).await;
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{WHOLE}",
        WHOLE.len()
    );
    let bytes = raw_exchange(emulator.addr(), request.as_bytes(), Duration::from_secs(5)).await;
    assert!(bytes.is_empty(), "got {}", String::from_utf8_lossy(&bytes));
    let error = client()
        .post(format!("{}/v1/chat/completions", emulator.url()))
        .body(WHOLE)
        .send()
        .await
        .expect_err("no response");
    assert!(!error.is_timeout());
    assert_eq!(emulator.stats().faults_of(FaultKind::CloseBeforeHeaders), 2);
}

#[tokio::test]
async fn reset_mid_body_leaves_bodies_unfinished() {
    let emulator = emulator(
        Dialect::Core2,
        FaultRule::always(Fault::ResetMidBody { after_bytes: None }),
    )
    .await;
    let stream = raw(
        emulator.addr(),
        "POST",
        "/v1/chat/completions",
        Some(STREAM),
    )
    .await;
    assert_eq!(stream.status, 200);
    assert!(stream.is_chunked());
    assert!(!stream.body_complete, "no terminating chunk");
    assert!(!stream.body.is_empty());
    let whole = raw(emulator.addr(), "POST", "/v1/chat/completions", Some(WHOLE)).await;
    let declared: usize = whole.header_values("content-length")[0]
        .parse()
        .expect("length");
    assert_eq!(
        whole.body.len(),
        declared / 2,
        "half of the declared body arrived"
    );
    let error = client()
        .post(format!("{}/v1/chat/completions", emulator.url()))
        .body(WHOLE)
        .send()
        .await
        .expect("headers arrive")
        .bytes()
        .await
        .expect_err("the body breaks");
    assert!(
        error.is_body() || error.is_decode() || error.is_request(),
        "{error:?}"
    );
}

#[tokio::test]
async fn truncated_streams_end_cleanly_without_finish_or_done() {
    let emulator = emulator(
        Dialect::Core2,
        FaultRule::always(Fault::TruncateStream {
            after_chunks: Some(4),
        }),
    )
    .await;
    let response = raw(
        emulator.addr(),
        "POST",
        "/v1/chat/completions",
        Some(STREAM),
    )
    .await;
    assert!(response.body_complete, "the chunked body ends properly");
    let events = sse_json(&response.body);
    assert_eq!(events.len(), 4);
    assert!(!finished(&events));
    assert!(!sse_data(&response.body).contains(&"[DONE]".to_owned()));
}

#[tokio::test]
async fn malformed_chunks_are_invalid_json_in_a_complete_stream() {
    let emulator = emulator(
        Dialect::Core2,
        FaultRule::always(Fault::MalformedChunk { at: Some(2) }),
    )
    .await;
    let response = raw(
        emulator.addr(),
        "POST",
        "/v1/chat/completions",
        Some(STREAM),
    )
    .await;
    let data = sse_data(&response.body);
    assert!(serde_json::from_str::<Value>(&data[1]).is_ok());
    assert!(
        serde_json::from_str::<Value>(&data[2]).is_err(),
        "{}",
        data[2]
    );
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
}

#[tokio::test]
async fn error_events_end_the_stream_without_done() {
    let fault = Fault::ErrorEvent {
        after_chunks: Some(3),
        message: Some("Inference failed: out of memory".into()),
    };
    let emulator = emulator(Dialect::Core2, FaultRule::always(fault)).await;
    let response = raw(
        emulator.addr(),
        "POST",
        "/v1/chat/completions",
        Some(STREAM),
    )
    .await;
    assert!(response.body_complete);
    let events = sse_json(&response.body);
    assert_eq!(events.len(), 4);
    assert_eq!(
        events[3],
        json!({"error": {"code": null, "message": "Inference failed: out of memory", "param": null, "type": "server_error"}})
    );
    assert!(!sse_data(&response.body).contains(&"[DONE]".to_owned()));
}

#[tokio::test]
async fn stalls_send_headers_then_silence() {
    let emulator = emulator(
        Dialect::Core2,
        FaultRule::always(Fault::Stall { ms: Some(400) }),
    )
    .await;
    let started = Instant::now();
    let response = client()
        .post(format!("{}/v1/chat/completions", emulator.url()))
        .body(STREAM)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "headers at once"
    );
    let mut response = response;
    let first = tokio::time::timeout(Duration::from_millis(250), response.chunk()).await;
    assert!(first.is_err(), "nothing after the headers");
    let end = response.chunk().await;
    assert!(
        end.is_err(),
        "the connection drops after the stall: {end:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn slow_trickle_delays_every_chunk() {
    let emulator = emulator(
        Dialect::Core2,
        FaultRule::always(Fault::SlowTrickle { chunk_delay_ms: 15 }),
    )
    .await;
    let started = Instant::now();
    let body = r#"{"model": "tiny-chat-generic-cpu:1", "messages": [{"role": "user", "content": "hi"}], "stream": true, "max_tokens": 4}"#;
    let response = raw(emulator.addr(), "POST", "/v1/chat/completions", Some(body)).await;
    // Role, 4 tokens, finish and [DONE]: 7 chunks, each 15 ms late.
    assert!(
        started.elapsed() >= Duration::from_millis(7 * 15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sse_data(&response.body).len(), 7);
    let started = Instant::now();
    let whole = raw(emulator.addr(), "POST", "/v1/chat/completions", Some(WHOLE)).await;
    assert!(started.elapsed() >= Duration::from_millis(16 * 15));
    assert!(
        serde_json::from_slice::<Value>(&whole.body).is_ok(),
        "the body is whole, only slow"
    );
}

#[tokio::test]
async fn oversized_answers_have_the_asked_size() {
    let emulator = emulator(
        Dialect::Core2,
        FaultRule::always(Fault::Oversized { bytes: 300_000 }),
    )
    .await;
    let response = raw(
        emulator.addr(),
        "POST",
        "/v1/chat/completions",
        Some(STREAM),
    )
    .await;
    let first = sse_data(&response.body).remove(0);
    assert!(
        (299_000..=300_000).contains(&first.len()),
        "{}",
        first.len()
    );
    assert!(serde_json::from_str::<Value>(&first).is_ok());
    let whole = raw(emulator.addr(), "POST", "/v1/chat/completions", Some(WHOLE)).await;
    assert_eq!(whole.body.len(), 300_000);
}

#[tokio::test]
async fn sequences_probabilities_and_routes() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Core2)
            .catalog(Catalog::tiny())
            .loaded([CHAT])
            .faults(FaultPlan::new([FaultRule::sequence([
                Some(Fault::status(500)),
                None,
                Some(Fault::status(502)),
            ])
            .on_route("POST /v1/chat/completions")])),
    )
    .await
    .expect("emulator");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            raw(emulator.addr(), "POST", "/v1/chat/completions", Some(WHOLE))
                .await
                .status,
        );
    }
    assert_eq!(statuses, [500, 200, 502, 200]);
    assert_eq!(
        raw(emulator.addr(), "GET", "/status", None).await.status,
        200,
        "other routes untouched"
    );

    let draws = |seed: u64| {
        let url = emulator.url().to_owned();
        let control = emulator.faults();
        async move {
            control
                .set(
                    FaultPlan::new([FaultRule::with_probability(0.5, Fault::status(503))])
                        .seed(seed),
                )
                .expect("plan");
            let mut statuses = Vec::new();
            for _ in 0..40 {
                statuses.push(
                    client()
                        .get(format!("{url}/models/loaded"))
                        .send()
                        .await
                        .expect("sent")
                        .status()
                        .as_u16(),
                );
            }
            statuses
        }
    };
    let first = draws(3).await;
    assert_eq!(first, draws(3).await, "seeded draws repeat");
    let faulted = first.iter().filter(|s| **s == 503).count();
    assert!((8..=32).contains(&faulted), "{faulted} of 40");

    let stats = emulator.stats();
    assert_eq!(stats.requests_of("POST /v1/chat/completions"), 4);
    assert_eq!(stats.requests_of("/models/loaded"), 80);
    assert_eq!(stats.faults_of(FaultKind::Status), 2 + 2 * faulted as u64);
}

#[tokio::test]
async fn faults_are_controlled_over_http() {
    let emulator = Emulator::start(EmulatorConfig::new(Dialect::Core2))
        .await
        .expect("emulator");
    let url = format!("{}/_emulator/faults", emulator.url());
    let plan = json!({"seed": 1, "rules": [{"route": "/status", "sequence": [{"kind": "status", "status": 418}, null]}]});
    let put = client().put(&url).json(&plan).send().await.expect("sent");
    assert_eq!(put.status(), 200);
    assert_eq!(put.json::<Value>().await.expect("json"), plan);
    assert_eq!(
        raw(emulator.addr(), "GET", "/status", None).await.status,
        418
    );
    let shown: Value = client()
        .get(&url)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        shown["rules"][0]["sequence"],
        json!([null]),
        "used entries are gone"
    );
    assert_eq!(
        raw(emulator.addr(), "GET", "/status", None).await.status,
        200
    );

    let post = client()
        .post(&url)
        .json(&json!({"rules": [{"fault": {"kind": "stall"}, "sequence": []}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(post.status(), 400);
    let post = client().post(&url).body("{").send().await.expect("sent");
    assert_eq!(post.status(), 400);
    client()
        .post(&url)
        .json(&json!({"rules": [{"fault": {"kind": "status", "status": 500}}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        raw(emulator.addr(), "GET", "/v1/models", None).await.status,
        500
    );
    let cleared = client().delete(&url).send().await.expect("sent");
    assert_eq!(
        cleared.json::<Value>().await.expect("json"),
        json!({"rules": []})
    );
    assert_eq!(
        raw(emulator.addr(), "GET", "/v1/models", None).await.status,
        200
    );
    // The control routes themselves are never faulted nor counted.
    assert_eq!(
        raw(emulator.addr(), "GET", "/_emulator/nothing", None)
            .await
            .status,
        404
    );

    let stats: Value = client()
        .get(format!("{}/_emulator/stats", emulator.url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        stats,
        json!({"requests_total": 4, "requests": {"GET /status": 2, "GET /v1/models": 2}, "faults_total": 2, "faults": {"status": 2}})
    );
    client()
        .delete(format!("{}/_emulator/stats", emulator.url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(emulator.stats().requests_total, 0);
    let state: Value = client()
        .get(format!("{}/_emulator/state", emulator.url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(state["dialect"], "g2-core2");
    assert!(state["loaded"].as_array().is_some_and(Vec::is_empty));
}

#[tokio::test]
async fn faults_apply_to_management_routes_and_g1_downloads() {
    let emulator = Emulator::start(
        EmulatorConfig::new(Dialect::Legacy).faults(FaultPlan::new([FaultRule::always(
            Fault::TruncateStream {
                after_chunks: Some(2),
            },
        )
        .on_route("POST /openai/download")])),
    )
    .await
    .expect("emulator");
    let body = r#"{"model": {"Name": "Phi-4-mini-instruct-generic-gpu:4"}}"#;
    let response = raw(emulator.addr(), "POST", "/openai/download", Some(body)).await;
    let text = String::from_utf8_lossy(&response.body).into_owned();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(!text.contains("success"), "no result object");
    assert!(
        !emulator
            .cached_models()
            .contains(&"Phi-4-mini-instruct-generic-gpu:4".to_owned())
    );
    let parsed = Exchange::parse_response(
        &raw_exchange(
            emulator.addr(),
            b"GET /openai/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Duration::from_secs(5),
        )
        .await,
    );
    assert_eq!(parsed.status, 200);
}
