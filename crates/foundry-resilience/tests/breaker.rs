//! The circuit-breaker decorator against the mock transport on tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use foundry_resilience::{
    BreakerConfig, BreakerTransport, CircuitBreaker, CircuitState, Rejection, TokioClock,
    rejection_of,
};
use foundry_transport::mock::{MockResponse, MockTransport};
use foundry_transport::{ErrorKind, SharedTransport, Transport, TransportRequest};

fn guarded(mock: &MockTransport) -> BreakerTransport {
    let breaker = CircuitBreaker::new(BreakerConfig::default(), Arc::new(TokioClock));
    BreakerTransport::new(SharedTransport::new(mock.clone()), breaker)
}

fn get() -> TransportRequest {
    TransportRequest::get("/v1/models")
}

#[tokio::test(start_paused = true)]
async fn opens_rejects_probes_once_and_closes() {
    let mock = MockTransport::new();
    let transport = guarded(&mock);
    let mut changes = transport.breaker().subscribe();
    for _ in 0..5 {
        mock.push(ErrorKind::Connect);
        let _ = transport.send(get()).await;
    }
    assert_eq!(transport.breaker().state(), CircuitState::Open);
    assert!(changes.has_changed().unwrap());
    assert_eq!(*changes.borrow_and_update(), CircuitState::Open);

    let rejected = transport.send(get()).await.unwrap_err();
    assert_eq!(rejected.kind(), ErrorKind::Rejected);
    assert_eq!(rejected.retry_after(), Some(Duration::from_secs(5)));
    assert!(matches!(
        rejection_of(&rejected),
        Some(Rejection::CircuitOpen { .. })
    ));
    assert_eq!(
        mock.requests().len(),
        5,
        "a rejection never reaches the server"
    );

    tokio::time::advance(Duration::from_secs(5)).await;
    // One slow probe goes through; a second caller meanwhile is rejected.
    mock.push(MockResponse::json("{}").delay(Duration::from_millis(100)));
    let probe = {
        let transport = transport.clone();
        tokio::spawn(async move { transport.send(get()).await })
    };
    tokio::task::yield_now().await;
    assert_eq!(transport.breaker().state(), CircuitState::HalfOpen);
    assert_eq!(
        transport.send(get()).await.unwrap_err().kind(),
        ErrorKind::Rejected
    );
    assert_eq!(probe.await.unwrap().unwrap().status(), 200);
    assert_eq!(transport.breaker().state(), CircuitState::Closed);
    assert_eq!(mock.requests().len(), 6);
}

#[tokio::test(start_paused = true)]
async fn client_errors_never_count_as_failures() {
    let mock = MockTransport::new();
    let transport = guarded(&mock);
    for _ in 0..20 {
        mock.push(MockResponse::new(404));
        transport.send(get()).await.unwrap();
    }
    assert_eq!(transport.breaker().state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn server_errors_and_timeouts_count() {
    let mock = MockTransport::new();
    let transport = guarded(&mock);
    for i in 0..5 {
        if i % 2 == 0 {
            mock.push(MockResponse::new(503));
        } else {
            mock.push(ErrorKind::Timeout(
                foundry_transport::TimeoutKind::FirstByte,
            ));
        }
        let _ = transport.send(get()).await;
    }
    assert_eq!(transport.breaker().state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_probe_frees_the_half_open_permit() {
    let mock = MockTransport::new();
    let transport = guarded(&mock);
    transport.breaker().force_open(Duration::from_secs(1));
    tokio::time::advance(Duration::from_secs(1)).await;
    mock.push(MockResponse::json("{}").delay(Duration::from_secs(60)));
    let abandoned = {
        let transport = transport.clone();
        tokio::spawn(async move { transport.send(get()).await })
    };
    tokio::task::yield_now().await;
    abandoned.abort();
    let _ = abandoned.await;
    mock.push(MockResponse::json("{}"));
    assert_eq!(
        transport.send(get()).await.unwrap().status(),
        200,
        "a new probe is admitted"
    );
    assert_eq!(transport.breaker().state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn manual_isolate_and_reset() {
    let mock = MockTransport::new();
    let transport = guarded(&mock);
    transport.breaker().isolate();
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert_eq!(
        transport.send(get()).await.unwrap_err().kind(),
        ErrorKind::Rejected
    );
    transport.breaker().reset();
    mock.push(MockResponse::json("{}"));
    assert_eq!(transport.send(get()).await.unwrap().status(), 200);
}
