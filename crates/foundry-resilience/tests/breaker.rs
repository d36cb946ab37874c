//! The circuit-breaker decorator against the mock transport on tokio's paused clock.

// Tests drive and read tokio's paused clock themselves; the code under test never does.
#![allow(clippy::disallowed_methods)]

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

#[tokio::test(start_paused = true)]
async fn streams_that_break_mid_body_count_as_failures() {
    use futures_util::StreamExt;
    let mock = MockTransport::new();
    let transport = guarded(&mock);
    for _ in 0..5 {
        mock.push(
            MockResponse::new(200)
                .chunks(["data: a\n\n", "data: b\n\n"])
                .break_after(9),
        );
        let mut body = transport.send(get()).await.unwrap().into_stream();
        while let Some(Ok(_)) = body.next().await {}
    }
    assert_eq!(transport.breaker().state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn the_failure_policy_can_be_replaced() {
    let mock = MockTransport::new();
    let breaker = CircuitBreaker::new(
        BreakerConfig::default().with_consecutive_failures(2),
        Arc::new(TokioClock),
    );
    let policy = foundry_resilience::FailurePolicy::default().for_status(|status| {
        if status.as_u16() == 429 {
            foundry_resilience::breaker::Outcome::Failure
        } else {
            foundry_resilience::breaker::Outcome::Success
        }
    });
    let transport =
        BreakerTransport::with_policy(SharedTransport::new(mock.clone()), breaker, policy);
    for _ in 0..2 {
        mock.push(MockResponse::new(429));
        transport.send(get()).await.unwrap();
    }
    assert_eq!(
        transport.breaker().state(),
        CircuitState::Open,
        "429s count under this policy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_admits_no_more_than_its_permits_under_concurrent_callers() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    for permits in [1u32, 3] {
        let config = BreakerConfig::default().with_half_open_permits(permits);
        let breaker = CircuitBreaker::new(config, Arc::new(TokioClock));
        breaker.force_open(Duration::ZERO);
        let admitted = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..64)
            .map(|_| {
                let breaker = breaker.clone();
                let admitted = admitted.clone();
                tokio::spawn(async move {
                    // Every admitted probe is held (never recorded) so permits are not reused.
                    let permit = breaker.try_acquire().ok();
                    if permit.is_some() {
                        admitted.fetch_add(1, Ordering::SeqCst);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    drop(permit);
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }
        assert!(
            admitted.load(Ordering::SeqCst) <= permits as usize,
            "{permits} permits"
        );
        assert!(admitted.load(Ordering::SeqCst) >= 1);
    }
}
