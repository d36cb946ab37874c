//! `ReqwestTransport` against a hyper server the test drives chunk by chunk: streaming,
//! body timers, breaks and limits.

mod support;

use std::time::Duration;

use bytes::Bytes;
use foundry_transport::{
    ErrorKind, ReqwestTransport, TimeoutKind, Timeouts, Transport, TransportRequest,
};
use futures_util::StreamExt;
use hyper::Response;
use support::{base, raw_once, serve};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout};

const MS: Duration = Duration::from_millis(1);

fn transport(addr: std::net::SocketAddr, timeouts: Timeouts) -> ReqwestTransport {
    ReqwestTransport::builder()
        .base_url(base(addr))
        .timeouts(timeouts)
        .build()
        .expect("transport builds")
}

/// Bounds a whole test step, so a regression fails instead of hanging.
async fn within<F: std::future::Future>(future: F) -> F::Output {
    timeout(Duration::from_secs(10), future)
        .await
        .expect("step took over 10 s")
}

#[tokio::test]
async fn chunks_arrive_before_the_server_finishes() {
    // The server sends one chunk, then waits for the test to say it got it. A transport
    // that buffered the body would wait forever.
    let (got_first_tx, got_first_rx) = oneshot::channel::<()>();
    let got_first_rx = std::sync::Mutex::new(Some(got_first_rx));
    let addr = serve(move |_, tx| {
        let signal = got_first_rx.lock().unwrap().take().expect("one request");
        tokio::spawn(async move {
            tx.send(Ok(Bytes::from_static(b"data: first\n\n")))
                .await
                .unwrap();
            signal.await.expect("test signals");
            tx.send(Ok(Bytes::from_static(b"data: second\n\n")))
                .await
                .unwrap();
        });
        Response::new(())
    })
    .await;
    let response = transport(addr, Timeouts::new())
        .send(TransportRequest::get("/stream"))
        .await;
    let mut stream = response.expect("headers arrive").into_stream();
    let first = within(stream.next())
        .await
        .expect("a chunk")
        .expect("no error");
    assert_eq!(first, "data: first\n\n");
    got_first_tx.send(()).unwrap();
    let second = within(stream.next())
        .await
        .expect("a chunk")
        .expect("no error");
    assert_eq!(second, "data: second\n\n");
    assert!(within(stream.next()).await.is_none(), "clean end");
}

#[tokio::test]
async fn idle_timeout_fires_when_the_body_stalls() {
    let addr = serve(|_, tx| {
        tokio::spawn(async move {
            tx.send(Ok(Bytes::from_static(b"partial"))).await.unwrap();
            // Keep the body open and silent.
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(tx);
        });
        Response::new(())
    })
    .await;
    let timers = Timeouts::new().with_idle(150 * MS);
    let response = transport(addr, timers)
        .send(TransportRequest::get("/"))
        .await
        .unwrap();
    let mut stream = response.into_stream();
    assert_eq!(within(stream.next()).await.unwrap().unwrap(), "partial");
    let started = Instant::now();
    let err = within(stream.next()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Idle));
    assert!(started.elapsed() >= 140 * MS, "not before the idle time");
    assert!(!err.never_connected());
}

#[tokio::test]
async fn a_long_healthy_stream_outlives_the_idle_timeout() {
    // 12 chunks, 40 ms apart: ~480 ms in total, far beyond the 150 ms idle timer,
    // which restarts with every chunk. There is no deadline.
    let addr = serve(|_, tx| {
        tokio::spawn(async move {
            for i in 0..12 {
                tokio::time::sleep(40 * MS).await;
                tx.send(Ok(Bytes::from(format!("chunk {i}\n"))))
                    .await
                    .unwrap();
            }
        });
        Response::new(())
    })
    .await;
    let timers = Timeouts::new()
        .with_idle(150 * MS)
        .with_first_byte(150 * MS);
    let response = transport(addr, timers)
        .send(TransportRequest::get("/"))
        .await
        .unwrap();
    let body = within(response.bytes_limited(1 << 20))
        .await
        .expect("whole body");
    assert_eq!(
        body.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        12
    );
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_exchange() {
    let addr = serve(|_, tx| {
        tokio::spawn(async move {
            for _ in 0..100 {
                tokio::time::sleep(30 * MS).await;
                if tx.send(Ok(Bytes::from_static(b"tick\n"))).await.is_err() {
                    return;
                }
            }
        });
        Response::new(())
    })
    .await;
    let timers = Timeouts::new()
        .with_idle(Duration::from_secs(5))
        .with_deadline(250 * MS);
    let started = Instant::now();
    let response = transport(addr, timers)
        .send(TransportRequest::get("/"))
        .await
        .unwrap();
    let mut stream = response.into_stream();
    let mut chunks = 0;
    let err = loop {
        match within(stream.next()).await.expect("no clean end") {
            Ok(_) => chunks += 1,
            Err(err) => break err,
        }
    };
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Deadline));
    assert!(chunks >= 1, "chunks flowed before the deadline");
    assert!(started.elapsed() >= 240 * MS && started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_body_cut_off_mid_stream_is_connection_closed() {
    // The server promises 1000 bytes, sends 10, then aborts the body.
    let addr = serve(|_, tx| {
        tokio::spawn(async move {
            tx.send(Ok(Bytes::from_static(b"0123456789")))
                .await
                .unwrap();
            // Let hyper flush the first chunk; an abort discards what is unwritten.
            tokio::time::sleep(50 * MS).await;
            let _ = tx.send(Err(std::io::Error::other("server gives up"))).await;
        });
        Response::builder()
            .header("content-length", "1000")
            .body(())
            .unwrap()
    })
    .await;
    let response = transport(addr, Timeouts::new())
        .send(TransportRequest::get("/"))
        .await
        .unwrap();
    let mut stream = response.into_stream();
    assert_eq!(within(stream.next()).await.unwrap().unwrap(), "0123456789");
    let err = within(stream.next()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionClosed);
    assert!(
        err.to_string()
            .starts_with("connection closed: GET http://127.0.0.1:"),
        "{err}"
    );
    assert!(
        std::error::Error::source(&err).is_some(),
        "cause kept as source"
    );
}

#[tokio::test]
async fn a_tcp_reset_mid_body_is_connection_closed() {
    // A raw socket: headers and part of a chunked body, then RST (zero linger).
    let addr = raw_once(|mut socket| async move {
        let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.flush().await.unwrap();
        tokio::time::sleep(50 * MS).await;
        socket.set_zero_linger().unwrap();
        drop(socket);
    })
    .await;
    let response = transport(addr, Timeouts::new())
        .send(TransportRequest::get("/"))
        .await
        .unwrap();
    let mut stream = response.into_stream();
    assert_eq!(within(stream.next()).await.unwrap().unwrap(), "hello");
    let err = within(stream.next()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionClosed, "{err:?}");
}

#[tokio::test]
async fn an_endless_body_over_the_limit_fails_early() {
    // No Content-Length and no end: only stopping at the limit can return at all.
    let (stopped_tx, mut stopped_rx) = mpsc::channel::<usize>(1);
    let addr = serve(move |_, tx| {
        let stopped = stopped_tx.clone();
        tokio::spawn(async move {
            let mut sent = 0usize;
            while tx
                .send(Ok(Bytes::from(vec![b'x'; 16 * 1024])))
                .await
                .is_ok()
            {
                sent += 16 * 1024;
            }
            let _ = stopped.send(sent).await;
        });
        Response::new(())
    })
    .await;
    let response = transport(addr, Timeouts::new())
        .send(TransportRequest::get("/"))
        .await
        .unwrap();
    let err = within(response.bytes_limited(256 * 1024))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge { limit: 256 * 1024 });
    // Dropping the body closed the connection, so the server stops too.
    let sent = within(stopped_rx.recv()).await.expect("server noticed");
    assert!(sent < 64 * 1024 * 1024, "server stopped after {sent} bytes");
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_request() {
    let (stopped_tx, mut stopped_rx) = mpsc::channel::<()>(1);
    let addr = serve(move |_, tx| {
        let stopped = stopped_tx.clone();
        tokio::spawn(async move {
            while tx
                .send(Ok(Bytes::from_static(b"data: tick\n\n")))
                .await
                .is_ok()
            {
                tokio::time::sleep(10 * MS).await;
            }
            let _ = stopped.send(()).await;
        });
        Response::new(())
    })
    .await;
    let response = transport(addr, Timeouts::new())
        .send(TransportRequest::get("/"))
        .await
        .unwrap();
    let mut stream = response.into_stream();
    within(stream.next()).await.unwrap().unwrap();
    drop(stream);
    within(stopped_rx.recv())
        .await
        .expect("server saw the request cancelled");
}

#[tokio::test]
async fn a_server_that_speaks_no_http_is_an_invalid_response() {
    let addr = raw_once(|mut socket| async move {
        socket
            .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(200 * MS).await;
    })
    .await;
    let err = transport(addr, Timeouts::new())
        .send(TransportRequest::get("/"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err:?}");
    assert!(!err.never_connected());
}
