//! The concurrency limit: at most N in flight, a bounded queue, typed rejection beyond.

use std::sync::Arc;
use std::time::Duration;

use foundry_resilience::{
    ConcurrencyLimit, LimitConfig, LimitTransport, Rejection, TokioClock, rejection_of,
};
use foundry_transport::mock::{MockResponse, MockTransport};
use foundry_transport::{SharedTransport, Transport, TransportRequest};
use futures_util::StreamExt;

fn limited(mock: &MockTransport, config: LimitConfig) -> LimitTransport {
    LimitTransport::new(
        SharedTransport::new(mock.clone()),
        Arc::new(ConcurrencyLimit::new(config, Arc::new(TokioClock))),
    )
}

#[tokio::test(start_paused = true)]
async fn at_most_n_in_flight_the_rest_queue_and_overflow_is_rejected() {
    let mock = MockTransport::new();
    for _ in 0..5 {
        mock.push(MockResponse::json("{}").delay(Duration::from_secs(1)));
    }
    let transport = limited(&mock, LimitConfig::new(2, 2));
    let mut calls = Vec::new();
    for _ in 0..4 {
        let transport = transport.clone();
        calls.push(tokio::spawn(async move {
            transport
                .send(TransportRequest::get("/x"))
                .await
                .map(|r| r.status())
        }));
    }
    tokio::task::yield_now().await;
    assert_eq!(
        (transport.limit().in_flight(), transport.limit().queued()),
        (2, 2)
    );
    let overflow = transport
        .send(TransportRequest::get("/x"))
        .await
        .unwrap_err();
    assert!(matches!(
        rejection_of(&overflow),
        Some(Rejection::QueueFull { limit: 2, queue: 2 })
    ));
    for call in calls {
        // Each response body is dropped at once, freeing the slot for the next in the queue.
        assert_eq!(call.await.unwrap().unwrap(), 200);
    }
    assert_eq!(mock.requests().len(), 4);
    assert_eq!(
        (transport.limit().in_flight(), transport.limit().queued()),
        (0, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_streamed_body_holds_its_slot_until_it_ends() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(200).chunks(["a", "b"]));
    let transport = limited(&mock, LimitConfig::new(1, 0));
    let response = transport
        .send(TransportRequest::get("/stream"))
        .await
        .unwrap();
    assert_eq!(transport.limit().in_flight(), 1);
    let mut body = response.into_stream();
    while body.next().await.is_some() {}
    assert_eq!(
        transport.limit().in_flight(),
        0,
        "the slot is free once the body ended"
    );
}

#[tokio::test(start_paused = true)]
async fn a_queue_wait_bound_gives_a_typed_timeout() {
    let mock = MockTransport::new();
    mock.push(MockResponse::json("{}").delay(Duration::from_secs(10)));
    let transport = limited(
        &mock,
        LimitConfig::new(1, 8).with_max_wait(Some(Duration::from_secs(1))),
    );
    let busy = {
        let transport = transport.clone();
        tokio::spawn(async move {
            transport
                .send(TransportRequest::get("/x"))
                .await
                .map(|_| ())
        })
    };
    tokio::task::yield_now().await;
    let error = transport
        .send(TransportRequest::get("/x"))
        .await
        .unwrap_err();
    assert!(matches!(
        rejection_of(&error),
        Some(Rejection::QueueTimeout { .. })
    ));
    assert_eq!(
        transport.limit().queued(),
        0,
        "the timed-out caller left the queue"
    );
    busy.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_requests_deadline_bounds_its_wait_and_what_remains_is_passed_on() {
    use foundry_transport::Timeouts;
    let mock = MockTransport::new();
    mock.push(MockResponse::json("{}").delay(Duration::from_secs(3)));
    mock.push(MockResponse::json("{}"));
    let transport = limited(&mock, LimitConfig::new(1, 8));
    let busy = {
        let transport = transport.clone();
        tokio::spawn(async move {
            transport
                .send(TransportRequest::get("/busy"))
                .await
                .map(|_| ())
        })
    };
    tokio::task::yield_now().await;
    let short = TransportRequest::get("/short")
        .with_timeouts(Timeouts::new().with_deadline(Duration::from_secs(1)));
    let error = transport.send(short).await.unwrap_err();
    assert!(
        matches!(rejection_of(&error), Some(Rejection::QueueTimeout { .. })),
        "{error}"
    );
    let long = TransportRequest::get("/long")
        .with_timeouts(Timeouts::new().with_deadline(Duration::from_secs(10)));
    transport.send(long).await.unwrap();
    busy.await.unwrap().unwrap();
    let sent = mock.requests();
    let long_deadline = sent
        .iter()
        .find(|r| r.path() == "/long")
        .unwrap()
        .timeout_overrides()
        .deadline()
        .unwrap();
    assert_eq!(
        long_deadline,
        Duration::from_secs(8),
        "queued from 1 s to 3 s: 2 of its 10 s are gone"
    );
}
