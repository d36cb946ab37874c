//! The composed stack: the layers work together in the documented order.

use std::time::Duration;

use foundry_resilience::{
    BreakerConfig, CircuitState, LimitConfig, ResilienceBuilder, RetryPolicy, rejection_of,
};
use foundry_transport::mock::{MockResponse, MockTransport};
use foundry_transport::{ErrorKind, SharedTransport, Transport, TransportRequest};

#[tokio::test(start_paused = true)]
async fn retries_stop_when_the_breaker_opens_and_rejections_are_not_retried() {
    let mock = MockTransport::new();
    for _ in 0..20 {
        mock.push(ErrorKind::Connect);
    }
    let stack = ResilienceBuilder::new()
        .retry(RetryPolicy::with_max_retries(10))
        .breaker(BreakerConfig::default().with_consecutive_failures(3))
        .seed(7)
        .build(SharedTransport::new(mock.clone()));
    let error = stack
        .transport
        .send(TransportRequest::get("/v1/models"))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::Rejected,
        "the fourth attempt met the open breaker"
    );
    assert!(rejection_of(&error).is_some());
    assert_eq!(mock.requests().len(), 3);
    assert_eq!(stack.breaker.as_ref().unwrap().state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn a_call_keeps_its_slot_across_its_retries() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(503).header("retry-after", "1"));
    mock.push(MockResponse::json("{}"));
    mock.push(MockResponse::json("{}"));
    let stack = ResilienceBuilder::new()
        .limit(LimitConfig::new(1, 4))
        .seed(7)
        .build(SharedTransport::new(mock.clone()));
    let first = {
        let transport = stack.transport.clone();
        tokio::spawn(async move {
            transport
                .send(TransportRequest::get("/a"))
                .await
                .map(|r| r.status())
        })
    };
    tokio::task::yield_now().await;
    let second = {
        let transport = stack.transport.clone();
        tokio::spawn(async move {
            transport
                .send(TransportRequest::get("/b"))
                .await
                .map(|r| r.status())
        })
    };
    tokio::time::advance(Duration::from_millis(1500)).await;
    assert_eq!(first.await.unwrap().unwrap(), 200);
    assert_eq!(second.await.unwrap().unwrap(), 200);
    let paths: Vec<_> = mock
        .requests()
        .iter()
        .map(|r| r.path().into_owned())
        .collect();
    assert_eq!(
        paths,
        ["/a", "/a", "/b"],
        "the retry of /a went before /b, which waited for the slot"
    );
}

#[tokio::test(start_paused = true)]
async fn with_every_layer_off_the_stack_passes_requests_straight_through() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(503));
    let stack = ResilienceBuilder::new()
        .retry(None)
        .breaker(None)
        .limit(None)
        .build(SharedTransport::new(mock.clone()));
    let response = stack
        .transport
        .send(TransportRequest::get("/v1/models"))
        .await
        .unwrap();
    assert_eq!(response.status(), 503, "handed back, not retried");
    assert_eq!(mock.requests().len(), 1);
    assert!(stack.breaker.is_none() && stack.limit.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_slot_is_held_until_the_body_is_read_and_the_breaker_sees_the_outcome() {
    let mock = MockTransport::new();
    mock.push(MockResponse::json(r#"{"ok":true}"#));
    mock.push(MockResponse::new(500));
    let stack = ResilienceBuilder::new()
        .retry(None)
        .breaker(BreakerConfig::default().with_consecutive_failures(1))
        .limit(LimitConfig::new(1, 0))
        .build(SharedTransport::new(mock.clone()));
    let limit = stack.limit.clone().unwrap();
    let response = stack
        .transport
        .send(TransportRequest::get("/a"))
        .await
        .unwrap();
    assert_eq!(limit.in_flight(), 1, "the unread body keeps its slot");
    let refused = stack
        .transport
        .send(TransportRequest::get("/b"))
        .await
        .unwrap_err();
    assert_eq!(
        refused.kind(),
        ErrorKind::Rejected,
        "no queue: refused at once"
    );
    response.bytes_limited(1 << 10).await.unwrap();
    assert_eq!(limit.in_flight(), 0);
    let failed = stack
        .transport
        .send(TransportRequest::get("/c"))
        .await
        .unwrap();
    assert_eq!(failed.status(), 500);
    assert_eq!(
        stack.breaker.as_ref().unwrap().state(),
        CircuitState::Open,
        "the 500 counted against the server"
    );
}
