//! `MockTransport` as a test of client code would use it.

use std::time::Duration;

use foundry_transport::http::{HeaderValue, Method, StatusCode, header};
use foundry_transport::mock::{MockError, MockReply, MockResponse, MockTransport, transport_fn};
use foundry_transport::{
    ErrorKind, SharedTransport, TimeoutKind, Timeouts, Transport, TransportError, TransportRequest,
};
use futures_util::StreamExt;
use tokio::time::Instant;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn queued_replies_go_out_in_order() {
    let mock = MockTransport::new();
    mock.push(MockResponse::new(503).header("retry-after", "1"))
        .push(MockResponse::json(r#"{"ok":true}"#));
    let transport = SharedTransport::new(mock.clone());

    let first = transport
        .send(TransportRequest::get("/status"))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(first.headers()["retry-after"], "1");
    let second = transport
        .send(TransportRequest::get("/status"))
        .await
        .unwrap();
    assert_eq!(second.bytes_limited(100).await.unwrap(), r#"{"ok":true}"#);
    assert_eq!(mock.pending(), 0);
}

#[tokio::test]
async fn routes_match_method_and_path_and_ignore_the_query() {
    let mock = MockTransport::new();
    mock.on(Method::GET, "/v1/models")
        .reply(MockResponse::json(r#"{"data":[]}"#));
    mock.on(Method::POST, "/openai/load/phi-4-mini:1")
        .reply(MockResponse::ok());

    let load = TransportRequest::new(Method::POST, "/openai/load/phi-4-mini:1?ttl=60");
    assert_eq!(mock.send(load).await.unwrap().status(), 200);
    for _ in 0..3 {
        let models = mock
            .send(TransportRequest::get("http://host:1/v1/models"))
            .await
            .unwrap();
        assert_eq!(models.bytes_limited(64).await.unwrap(), r#"{"data":[]}"#);
    }
    // Right path, wrong method: no route, empty queue.
    let err = mock
        .send(TransportRequest::delete("/v1/models"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
}

#[tokio::test]
async fn a_limited_route_gives_way_to_the_next() {
    let mock = MockTransport::new();
    mock.on(Method::GET, "/health")
        .times(2)
        .reply(ErrorKind::Connect);
    mock.on(Method::GET, "/health").reply(MockResponse::ok());
    assert_eq!(mock.pending(), 2);

    let mut kinds = Vec::new();
    for _ in 0..3 {
        kinds.push(
            mock.send(TransportRequest::get("/health"))
                .await
                .map(|r| r.status()),
        );
    }
    assert_eq!(kinds[0].as_ref().unwrap_err().kind(), ErrorKind::Connect);
    assert_eq!(kinds[1].as_ref().unwrap_err().kind(), ErrorKind::Connect);
    assert_eq!(*kinds[2].as_ref().unwrap(), StatusCode::OK);
    assert_eq!(mock.pending(), 0);
}

#[tokio::test]
async fn replies_can_depend_on_the_request() {
    let mock = MockTransport::new();
    mock.on(Method::POST, "/echo")
        .reply_with(|request| MockResponse::ok().body(request.body_bytes().clone()).into());
    let response = mock
        .send(TransportRequest::post("/echo", "ping"))
        .await
        .unwrap();
    assert_eq!(response.bytes_limited(10).await.unwrap(), "ping");
}

#[tokio::test]
async fn requests_are_recorded_for_assertions() {
    let mock = MockTransport::new();
    mock.push(MockResponse::ok()).push(MockResponse::ok());
    let request = TransportRequest::post_json("/v1/chat/completions", r#"{"stream":true}"#)
        .header(header::AUTHORIZATION, HeaderValue::from_static("Bearer k"));
    mock.send(request).await.unwrap();
    mock.send(TransportRequest::get("/v1/models"))
        .await
        .unwrap();

    let seen = mock.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method(), Method::POST);
    assert_eq!(seen[0].path(), "/v1/chat/completions");
    assert_eq!(seen[0].headers()[header::AUTHORIZATION], "Bearer k");
    assert_eq!(seen[0].body_bytes().as_ref(), br#"{"stream":true}"#);
    assert_eq!(seen[1].path(), "/v1/models");
}

#[tokio::test]
async fn an_unscripted_request_is_a_clear_error() {
    let mock = MockTransport::new();
    mock.on(Method::GET, "/a")
        .times(1)
        .reply(MockResponse::ok());
    let err = mock.send(TransportRequest::get("/b")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    let text = err.to_string();
    assert!(text.contains("no reply for GET /b"), "{text}");
    assert!(text.contains("GET /a (1 left)"), "{text}");
    assert_eq!(mock.requests().len(), 1, "failed requests are recorded too");
}

#[tokio::test]
async fn every_error_kind_can_be_injected() {
    let kinds = [
        ErrorKind::Connect,
        ErrorKind::Dns,
        ErrorKind::Timeout(TimeoutKind::Connect),
        ErrorKind::Timeout(TimeoutKind::FirstByte),
        ErrorKind::Timeout(TimeoutKind::Idle),
        ErrorKind::Timeout(TimeoutKind::Deadline),
        ErrorKind::ConnectionClosed,
        ErrorKind::BodyTooLarge { limit: 10 },
        ErrorKind::InvalidResponse,
        ErrorKind::InvalidInput,
        ErrorKind::Rejected,
        ErrorKind::Other,
    ];
    let mock = MockTransport::new();
    for kind in kinds {
        mock.push(kind);
    }
    for kind in kinds {
        let err = mock.send(TransportRequest::get("/")).await.unwrap_err();
        assert_eq!(err.kind(), kind);
        let expect_never_connected = matches!(
            kind,
            ErrorKind::Connect
                | ErrorKind::Dns
                | ErrorKind::Timeout(TimeoutKind::Connect)
                | ErrorKind::Rejected
        );
        assert_eq!(err.never_connected(), expect_never_connected, "{kind:?}");
        assert_eq!(
            err.is_timeout(),
            matches!(kind, ErrorKind::Timeout(_)),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn scripted_errors_carry_retry_after_and_sources() {
    let mock = MockTransport::new();
    mock.push(
        MockError::new(ErrorKind::Rejected)
            .retry_after(3 * SECOND)
            .message("circuit open"),
    );
    mock.push(MockError::from_fn(|| {
        TransportError::new(ErrorKind::ConnectionClosed, "reset")
            .with_source(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
    }));
    let rejected = mock.send(TransportRequest::get("/")).await.unwrap_err();
    assert_eq!(rejected.retry_after(), Some(3 * SECOND));
    assert_eq!(rejected.to_string(), "rejected: circuit open");
    let reset = mock.send(TransportRequest::get("/")).await.unwrap_err();
    assert!(std::error::Error::source(&reset).is_some());
}

#[tokio::test(start_paused = true)]
async fn delays_run_on_the_paused_clock() {
    let mock = MockTransport::new();
    mock.push(MockResponse::ok().delay(30 * SECOND));
    mock.push(MockError::new(ErrorKind::ConnectionClosed).delay(5 * SECOND));
    let wall = std::time::Instant::now();
    let virtual_start = Instant::now();
    mock.send(TransportRequest::get("/")).await.unwrap();
    assert_eq!(virtual_start.elapsed(), 30 * SECOND);
    mock.send(TransportRequest::get("/")).await.unwrap_err();
    assert_eq!(virtual_start.elapsed(), 35 * SECOND);
    assert!(wall.elapsed() < SECOND, "no real waiting");
}

#[tokio::test(start_paused = true)]
async fn a_slow_reply_meets_the_first_byte_timer() {
    let mock = MockTransport::new().with_timeouts(Timeouts::new().with_first_byte(10 * SECOND));
    mock.push(MockResponse::ok().delay(60 * SECOND));
    let start = Instant::now();
    let err = mock
        .send(TransportRequest::get("/v1/chat/completions"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::FirstByte));
    assert_eq!(start.elapsed(), 10 * SECOND);
}

#[tokio::test(start_paused = true)]
async fn chunks_arrive_on_schedule() {
    let mock = MockTransport::new();
    mock.push(
        MockResponse::ok()
            .chunks(["a", "b", "c"])
            .chunk_delay(2 * SECOND),
    );
    let start = Instant::now();
    let mut stream = mock
        .send(TransportRequest::get("/"))
        .await
        .unwrap()
        .into_stream();
    let mut arrivals = Vec::new();
    while let Some(chunk) = stream.next().await {
        arrivals.push((chunk.unwrap(), start.elapsed().as_secs()));
    }
    assert_eq!(
        arrivals,
        [("a".into(), 0), ("b".into(), 2), ("c".into(), 4)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_meets_the_idle_timer() {
    let mock = MockTransport::new();
    mock.push(
        MockResponse::ok()
            .chunks(["data: 1\n\n", "data: 2\n\n"])
            .stall_after(12),
    );
    let request = TransportRequest::get("/").with_timeouts(Timeouts::new().with_idle(5 * SECOND));
    let start = Instant::now();
    let mut stream = mock.send(request).await.unwrap().into_stream();
    assert_eq!(stream.next().await.unwrap().unwrap(), "data: 1\n\n");
    assert_eq!(stream.next().await.unwrap().unwrap(), "dat");
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Idle));
    assert_eq!(start.elapsed(), 5 * SECOND);
    assert!(
        stream.next().await.is_none(),
        "the stream ends after its error"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_wakes_the_reader_that_waits_now() {
    let mock = MockTransport::new();
    mock.push(MockResponse::ok().chunks(["data: 1\n\n"]).stall_after(9));
    let request = TransportRequest::get("/").with_timeouts(Timeouts::new().with_idle(5 * SECOND));
    let mut stream = mock.send(request).await.unwrap().into_stream();
    assert_eq!(stream.next().await.unwrap().unwrap(), "data: 1\n\n");
    // A first wait under another waker (as when a stream moves between tasks) arms the timers
    // with that waker; the reader that waits next must still be woken by them.
    let waiting = Instant::now();
    let mut elsewhere = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(stream.poll_next_unpin(&mut elsewhere).is_pending());
    let waited = tokio::time::timeout(60 * SECOND, stream.next()).await;
    let err = waited
        .expect("woken by the idle timer")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Idle));
    assert_eq!(waiting.elapsed(), 5 * SECOND, "woken when the timer fired");
}

#[tokio::test(start_paused = true)]
async fn timers_polled_when_the_task_has_no_budget_left_still_fire() {
    let mock = MockTransport::new();
    mock.push(MockResponse::ok().chunks(["data: 1\n\n"]).stall_after(9));
    let timeouts = Timeouts::new()
        .with_idle(5 * SECOND)
        .with_deadline(20 * SECOND);
    let request = TransportRequest::get("/").with_timeouts(timeouts);
    let mut stream = mock.send(request).await.unwrap().into_stream();
    assert_eq!(stream.next().await.unwrap().unwrap(), "data: 1\n\n");
    let waiting = Instant::now();
    // The first wait comes in a poll that has spent the task's budget (as a busy channel read
    // beside the stream in a `select!` does): tokio refuses to register timers in it.
    let mut spend_budget = true;
    let waited = tokio::time::timeout(
        60 * SECOND,
        std::future::poll_fn(|cx| {
            if std::mem::take(&mut spend_budget) {
                while tokio::task::coop::has_budget_remaining() {
                    let spend = std::pin::pin!(tokio::task::coop::consume_budget());
                    let _ = spend.poll(cx);
                }
            }
            stream.poll_next_unpin(cx)
        }),
    )
    .await;
    let err = waited
        .expect("woken by the idle timer")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Idle));
    assert_eq!(waiting.elapsed(), 5 * SECOND);
}

#[tokio::test(start_paused = true)]
async fn a_slow_reader_is_not_cut_off_for_its_own_pace() {
    let mock = MockTransport::new();
    // The second chunk comes 3 s after the reader asks for it.
    mock.push(
        MockResponse::ok()
            .chunks(["data: 1\n\n", "data: 2\n\n"])
            .chunk_delay(3 * SECOND),
    );
    let request = TransportRequest::get("/").with_timeouts(Timeouts::new().with_idle(5 * SECOND));
    let mut stream = mock.send(request).await.unwrap().into_stream();
    assert_eq!(stream.next().await.unwrap().unwrap(), "data: 1\n\n");
    // The reader spends longer than the idle limit over the first chunk; counted from the
    // wait that follows, the body is idle 3 s, within the limit.
    tokio::time::sleep(6 * SECOND).await;
    let waiting = Instant::now();
    assert_eq!(stream.next().await.unwrap().unwrap(), "data: 2\n\n");
    assert_eq!(waiting.elapsed(), 3 * SECOND);
    assert!(stream.next().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_body_read_in_another_task_keeps_its_timers() {
    let mock = MockTransport::new();
    mock.push(
        MockResponse::ok()
            .chunks(["data: 1\n\n", "data: 2\n\n", "data: 3\n\n"])
            .chunk_delay(2 * SECOND)
            .stall_after(18),
    );
    let request = TransportRequest::get("/").with_timeouts(Timeouts::new().with_idle(5 * SECOND));
    let mut stream = mock.send(request).await.unwrap().into_stream();
    // The first chunk is read here, then the stream moves to a task of its own (as a server
    // handing a stream to a worker does): chunks and the idle timer follow it there.
    assert_eq!(stream.next().await.unwrap().unwrap(), "data: 1\n\n");
    let reader = tokio::spawn(async move {
        let start = Instant::now();
        let second = stream.next().await.unwrap().unwrap();
        let end = stream.next().await.unwrap().unwrap_err();
        (second, end.kind(), start.elapsed())
    });
    let (second, end, waited) = reader.await.unwrap();
    assert_eq!(second, "data: 2\n\n");
    assert_eq!(end, ErrorKind::Timeout(TimeoutKind::Idle));
    assert_eq!(
        waited,
        2 * SECOND + 5 * SECOND,
        "one delay, then one idle gap"
    );
}

#[tokio::test(start_paused = true)]
async fn a_long_stream_is_cut_only_by_the_deadline() {
    let chunks = (0..100).map(|i| format!("{i}\n"));
    let mock = MockTransport::new();
    mock.push(
        MockResponse::ok()
            .chunks(chunks.clone())
            .chunk_delay(SECOND),
    );
    mock.push(MockResponse::ok().chunks(chunks).chunk_delay(SECOND));
    let idle = Timeouts::new().with_idle(5 * SECOND);
    // 99 s of streaming, never 5 s without a chunk: it completes.
    let body = mock
        .send(TransportRequest::get("/").with_timeouts(idle))
        .await
        .unwrap();
    assert_eq!(body.bytes_limited(1 << 16).await.unwrap().len(), 290);
    // The same stream under a 10 s deadline.
    let bounded = TransportRequest::get("/").with_timeouts(idle.with_deadline(10 * SECOND));
    let err = mock
        .send(bounded)
        .await
        .unwrap()
        .bytes_limited(1 << 16)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Deadline));
}

#[tokio::test]
async fn a_broken_body_is_connection_closed_after_the_given_bytes() {
    let mock = MockTransport::new();
    mock.push(MockResponse::ok().body("0123456789").break_after(4));
    let mut stream = mock
        .send(TransportRequest::get("/"))
        .await
        .unwrap()
        .into_stream();
    assert_eq!(stream.next().await.unwrap().unwrap(), "0123");
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionClosed);
    assert!(!err.never_connected());
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn oversized_mock_bodies_hit_the_limit() {
    let mock = MockTransport::new();
    mock.push(MockResponse::ok().chunks(vec![vec![b'x'; 1000]; 50]));
    let err = mock
        .send(TransportRequest::get("/"))
        .await
        .unwrap()
        .bytes_limited(4096)
        .await;
    assert_eq!(
        err.unwrap_err().kind(),
        ErrorKind::BodyTooLarge { limit: 4096 }
    );
}

#[tokio::test]
async fn a_closure_is_a_transport() {
    let transport = SharedTransport::new(transport_fn(|request: TransportRequest| async move {
        if request.path() == "/v1/models" {
            Ok(MockResponse::json(r#"{"data":[]}"#).into_response())
        } else {
            Err(TransportError::rejected("only /v1/models here", None))
        }
    }));
    let ok = transport
        .send(TransportRequest::get("/v1/models"))
        .await
        .unwrap();
    assert_eq!(ok.headers()[header::CONTENT_TYPE], "application/json");
    let err = transport
        .send(TransportRequest::get("/other"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Rejected);
}

#[test]
fn replies_convert_from_their_parts() {
    let from_kind: MockReply = ErrorKind::Dns.into();
    assert!(matches!(from_kind, MockReply::Error(_)));
    let from_response: MockReply = MockResponse::ok().into();
    assert!(matches!(from_response, MockReply::Response(_)));
}

#[tokio::test(start_paused = true)]
async fn the_first_chunk_may_take_as_long_as_the_first_byte_timer() {
    use foundry_transport::Timeouts;
    use futures_util::StreamExt;
    use std::time::Duration;
    // Stream headers come at once, the first token after 5 s (a long prompt on a CPU).
    let mock = MockTransport::new().with_timeouts(
        Timeouts::new()
            .with_idle(Duration::from_secs(2))
            .with_first_byte(Duration::from_secs(10)),
    );
    mock.push(
        MockResponse::new(200)
            .chunks(["first", "second"])
            .chunk_delay(Duration::from_secs(5)),
    );
    let transport = foundry_transport::SharedTransport::new(mock.clone());
    let mut body = foundry_transport::Transport::send(
        &transport,
        foundry_transport::TransportRequest::get("/s"),
    )
    .await
    .unwrap()
    .into_stream();
    assert_eq!(
        body.next().await.unwrap().unwrap(),
        "first",
        "not cut by the 2 s idle timer"
    );
    // Between chunks the idle timer applies: 5 s of silence is too long.
    let error = body.next().await.unwrap().unwrap_err();
    assert_eq!(
        error.kind(),
        foundry_transport::ErrorKind::Timeout(foundry_transport::TimeoutKind::Idle)
    );
}
