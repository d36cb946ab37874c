//! Each retry rule, against the mock transport on tokio's paused clock.

// Tests drive and read tokio's paused clock themselves; the code under test never does.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::Duration;

use foundry_resilience::{
    BudgetConfig, JitterRng, RetryBudget, RetryPolicy, RetryTransport, TokioClock,
};
use foundry_transport::mock::{MockError, MockResponse, MockTransport};
use foundry_transport::{ErrorKind, SharedTransport, TimeoutKind, Transport, TransportRequest};
use futures_util::StreamExt;
use tokio::time::Instant;

fn retrying(mock: &MockTransport, policy: RetryPolicy) -> RetryTransport {
    RetryTransport::new(
        SharedTransport::new(mock.clone()),
        policy,
        Arc::new(RetryBudget::unlimited()),
        Arc::new(TokioClock),
        Arc::new(JitterRng::seeded(1)),
    )
}

fn get() -> TransportRequest {
    TransportRequest::get("/v1/models")
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_2_waits_two_seconds_of_paused_time() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(429).header("retry-after", "2"));
    mock.push(MockResponse::json("{}"));
    let started = Instant::now();
    let response = retrying(&mock, RetryPolicy::default())
        .send(get())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_http_date_hint_and_a_millisecond_hint_are_honoured() {
    let mock = MockTransport::new();
    let in_three_seconds =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    mock.push(MockResponse::new(503).header("retry-after", &in_three_seconds));
    mock.push(MockResponse::new(503).header("retry-after-ms", "250"));
    mock.push(MockResponse::json("{}"));
    let started = Instant::now();
    retrying(&mock, RetryPolicy::default())
        .send(get())
        .await
        .unwrap();
    let waited = started.elapsed().as_secs_f64();
    // The date has one-second resolution: between 2 and 3 s, plus the 0.25 s.
    assert!((2.25..=3.25).contains(&waited), "{waited}");
}

#[tokio::test(start_paused = true)]
async fn a_hint_beyond_the_cap_ends_the_retries_and_is_passed_on() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(429).header("retry-after", "120"));
    let response = retrying(&mock, RetryPolicy::default())
        .send(get())
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(
        response.headers()["retry-after"],
        "120",
        "the caller sees the hint"
    );
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn x_should_retry_overrides_the_status_rules() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(503).header("x-should-retry", "false"));
    assert_eq!(
        retrying(&mock, RetryPolicy::default())
            .send(get())
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(mock.requests().len(), 1);

    let mock = MockTransport::new();
    mock.push(MockResponse::new(400).header("x-should-retry", "true"));
    mock.push(MockResponse::json("{}"));
    assert_eq!(
        retrying(&mock, RetryPolicy::default())
            .send(get())
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_with_jitter_and_stops_after_max_retries() {
    let mock = MockTransport::new();
    for _ in 0..4 {
        mock.push(MockResponse::new(500));
    }
    let started = Instant::now();
    let response = retrying(&mock, RetryPolicy::default())
        .send(get())
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        500,
        "the last answer is returned once retries are spent"
    );
    assert_eq!(mock.requests().len(), 4, "one attempt and three retries");
    let waited = started.elapsed().as_secs_f64();
    assert!(
        (0.75 * 3.5..=3.5).contains(&waited),
        "0.5 + 1 + 2 s, each jittered: {waited}"
    );
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(400));
    assert_eq!(
        retrying(&mock, RetryPolicy::default())
            .send(get())
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn connect_errors_are_retried_even_for_posts() {
    let mock = MockTransport::new();
    mock.push(ErrorKind::Connect);
    mock.push(MockResponse::json("{}"));
    let post = TransportRequest::post_json("/v1/chat/completions", "{}");
    assert_eq!(
        retrying(&mock, RetryPolicy::default())
            .send(post)
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(start_paused = true)]
async fn a_post_that_timed_out_after_sending_is_not_retried_by_default() {
    let mock = MockTransport::new();
    mock.push(MockError::new(ErrorKind::Timeout(TimeoutKind::FirstByte)));
    mock.push(MockResponse::json("{}"));
    let post = TransportRequest::post_json("/v1/chat/completions", "{}");
    let error = retrying(&mock, RetryPolicy::default())
        .send(post.clone())
        .await
        .unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(mock.requests().len(), 1);

    // Marked idempotent (inference has no side effects), the same failure is retried.
    let response = retrying(&mock, RetryPolicy::default())
        .send(post.idempotent(true))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(start_paused = true)]
async fn a_500_for_a_non_idempotent_post_is_not_retried_but_a_503_is() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(500));
    let post = TransportRequest::post_json("/v1/chat/completions", "{}");
    assert_eq!(
        retrying(&mock, RetryPolicy::default())
            .send(post.clone())
            .await
            .unwrap()
            .status(),
        500
    );
    mock.push(MockResponse::new(503));
    mock.push(MockResponse::json("{}"));
    assert_eq!(
        retrying(&mock, RetryPolicy::default())
            .send(post)
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(start_paused = true)]
async fn a_stream_that_breaks_after_the_first_chunk_is_not_retried() {
    let mock = MockTransport::new();
    mock.push(
        MockResponse::new(200)
            .chunks(["data: {}\n\n", "data: {}\n\n"])
            .break_after(10),
    );
    mock.push(MockResponse::json("{}"));
    let request = TransportRequest::post_json("/v1/chat/completions", "{}").idempotent(true);
    let response = retrying(&mock, RetryPolicy::default())
        .send(request)
        .await
        .unwrap();
    let mut body = response.into_stream();
    assert!(
        body.next().await.unwrap().is_ok(),
        "the first bytes reach the caller"
    );
    let error = body.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionClosed);
    assert_eq!(
        mock.requests().len(),
        1,
        "never sent again once bytes were handed on"
    );
}

#[tokio::test(start_paused = true)]
async fn the_overall_deadline_is_never_extended_by_retries() {
    let mock = MockTransport::new();
    for _ in 0..10 {
        mock.push(MockResponse::new(503).header("retry-after", "4"));
    }
    let policy = RetryPolicy::with_max_retries(10).with_deadline(Duration::from_secs(10));
    let started = Instant::now();
    let response = retrying(&mock, policy).send(get()).await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() <= Duration::from_secs(10));
    assert_eq!(
        mock.requests().len(),
        3,
        "at 0 s, 4 s and 8 s; a wait to 12 s would pass the deadline"
    );
    // Each attempt was told how much time remained.
    let deadlines: Vec<_> = mock
        .requests()
        .iter()
        .map(|r| r.timeout_overrides().deadline().unwrap().as_secs())
        .collect();
    assert_eq!(deadlines, [10, 6, 2]);
}

#[tokio::test(start_paused = true)]
async fn an_empty_budget_stops_retrying() {
    let mock = MockTransport::new();
    for _ in 0..10 {
        mock.push(MockResponse::new(503));
    }
    let budget = Arc::new(RetryBudget::new(
        BudgetConfig::default()
            .with_ratio(0.0)
            .with_floor_per_second(0.0)
            .with_capacity(1.0),
    ));
    let transport = RetryTransport::new(
        SharedTransport::new(mock.clone()),
        RetryPolicy::default(),
        budget,
        Arc::new(TokioClock),
        Arc::new(JitterRng::seeded(1)),
    );
    transport.send(get()).await.unwrap();
    assert_eq!(
        mock.requests().len(),
        2,
        "one retry bought by the single token"
    );
    transport.send(get()).await.unwrap();
    assert_eq!(mock.requests().len(), 3, "no token left: no retry");
}

#[tokio::test(start_paused = true)]
async fn a_permanent_500_is_not_retried_and_its_body_survives() {
    let mock = MockTransport::new();
    let body = r#"{"error":{"message":"Invalid OpenAI JSON request: bad","type":"server_error"}}"#;
    mock.push(MockResponse::new(500).json_body(body));
    let policy = RetryPolicy::default().permanent_when(|_, _, body| {
        std::str::from_utf8(body).is_ok_and(|text| text.contains("Invalid OpenAI JSON request"))
    });
    let request = TransportRequest::post_json("/v1/chat/completions", "{}").idempotent(true);
    let response = retrying(&mock, policy).send(request).await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.bytes_limited(1 << 20).await.unwrap(),
        body.as_bytes()
    );
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn rejections_by_inner_decorators_are_not_retried() {
    let mock = MockTransport::new();
    mock.push(ErrorKind::Rejected);
    let error = retrying(&mock, RetryPolicy::default())
        .send(get())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected);
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_success_is_never_resent_whatever_its_hints_say() {
    let mock = MockTransport::new();
    mock.push(MockResponse::json(r#"{"first":true}"#).header("x-should-retry", "true"));
    mock.push(MockResponse::json(r#"{"second":true}"#));
    let response = retrying(&mock, RetryPolicy::default())
        .send(get())
        .await
        .unwrap();
    assert_eq!(
        response.bytes_limited(1024).await.unwrap(),
        r#"{"first":true}"#.as_bytes()
    );
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_explicit_yes_does_not_stop_a_status_rule_retry_of_a_post() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(503).header("x-should-retry", "true"));
    mock.push(MockResponse::json("{}"));
    let post = TransportRequest::post_json("/v1/chat/completions", "{}");
    assert_eq!(
        retrying(&mock, RetryPolicy::default())
            .send(post)
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(start_paused = true)]
async fn an_error_body_larger_than_the_inspection_limit_keeps_its_status_and_bytes() {
    let mock = MockTransport::new();
    let page = "x".repeat(100 * 1024);
    for _ in 0..4 {
        mock.push(MockResponse::new(503).body(page.clone()));
    }
    let policy = RetryPolicy::default().permanent_when(|_, _, _| true);
    let response = retrying(&mock, policy).send(get()).await.unwrap();
    assert_eq!(
        response.status(),
        503,
        "retried (not provably permanent), then handed back"
    );
    assert_eq!(mock.requests().len(), 4);
    assert_eq!(
        response.bytes_limited(1 << 20).await.unwrap().len(),
        page.len(),
        "no byte lost"
    );
}
