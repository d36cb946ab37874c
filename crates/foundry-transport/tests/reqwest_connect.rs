//! Connecting: refused, timed out, and what a misconfiguration looks like.

mod support;

use std::time::Duration;

use foundry_transport::{ErrorKind, ReqwestTransport, TimeoutKind, Transport, TransportRequest};
use support::read_head;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::{Instant, timeout};

const MS: Duration = Duration::from_millis(1);

#[tokio::test]
async fn a_closed_port_is_refused_and_never_connected() {
    // Bind, learn the port, close: nothing listens there now.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let transport = ReqwestTransport::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let err = transport
        .send(TransportRequest::post_json("/v1/chat/completions", "{}"))
        .await;
    let err = err.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(err.never_connected());
    assert!(err.is_connect());
    assert!(!err.is_timeout());
    assert!(err.to_string().contains("POST http://127.0.0.1:"), "{err}");
}

#[tokio::test]
async fn a_full_accept_queue_is_a_connect_timeout() {
    // A listener that never accepts, with a backlog of one. Linux keeps backlog + 1
    // finished handshakes queued and then drops further SYNs, so a connection attempt
    // hangs until the connect timer fires: a real connect timeout on loopback.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    loop {
        match timeout(100 * MS, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => fillers.push(stream),
            Ok(Err(err)) => panic!("filler connect failed: {err}"),
            Err(_) => break, // The queue is full.
        }
        assert!(fillers.len() < 64, "the accept queue never filled");
    }

    let transport = ReqwestTransport::builder()
        .base_url(format!("http://{addr}"))
        .connect_timeout(200 * MS)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = transport
        .send(TransportRequest::get("/"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Timeout(TimeoutKind::Connect),
        "{err:?}"
    );
    assert!(err.never_connected() && err.is_timeout() && err.is_connect());
    assert!(started.elapsed() >= 190 * MS && started.elapsed() < Duration::from_secs(2));
    drop((listener, fillers));
}

#[tokio::test]
async fn bad_urls_are_invalid_input() {
    let err = ReqwestTransport::builder()
        .base_url("not a url")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = ReqwestTransport::builder()
        .base_url("ftp://h/")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    let no_base = ReqwestTransport::builder().build().unwrap();
    let err = no_base
        .send(TransportRequest::get("/v1/models"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(!err.never_connected(), "resending cannot help");
}

#[test]
fn an_api_key_that_is_no_header_value_is_rejected_without_echoing_it() {
    let err = ReqwestTransport::builder()
        .api_key("line\nbreak")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(!format!("{err} {err:?}").contains("line"));
}

#[tokio::test]
async fn a_server_that_closes_before_answering_is_connection_closed_and_may_have_been_reached() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            read_head(&mut stream).await;
            drop(stream);
        }
    });
    let transport = ReqwestTransport::builder()
        .base_url(format!("http://{addr}"))
        .build()
        .unwrap();
    let err = timeout(
        Duration::from_secs(10),
        transport.send(TransportRequest::get("/v1/models")),
    )
    .await
    .expect("no hang")
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionClosed, "{err:?}");
    assert!(
        !err.never_connected(),
        "the request may have reached the server: {err:?}"
    );
}

#[tokio::test]
async fn kept_alive_connections_are_reused_and_redirects_handed_back() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                while read_head(&mut stream).await {
                    let answer = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\n\
                                  Content-Length: 0\r\n\r\n";
                    if stream.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let transport = ReqwestTransport::builder()
        .base_url(format!("http://{addr}"))
        .build()
        .unwrap();
    for _ in 0..3 {
        let response = transport
            .send(TransportRequest::get("/v1/models"))
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            302,
            "a redirect is handed back, not followed"
        );
        response.bytes_limited(1024).await.unwrap();
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}
