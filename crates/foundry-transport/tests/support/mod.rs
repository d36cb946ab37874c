//! A tiny hyper server on loopback whose responses the test drives chunk by chunk,
//! for what wiremock cannot do: slow streams, stalls, breaks, endless bodies.
#![allow(dead_code)] // Each test file uses a different part.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// A response body fed from a channel: the test sends chunks when it wants, an `Err`
/// aborts the body (hyper then closes the connection), dropping the sender ends it.
pub struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|item| item.map(|chunk| chunk.map(Frame::data)))
    }
}

/// The sending half of a response body.
pub type BodySender = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// What the handler sees of a request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The request target exactly as it came over the wire.
    pub target: String,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

type Handler = dyn Fn(Seen, BodySender) -> Response<()> + Send + Sync;

/// Serves every request with `handler`, which gets the request and the sender of the
/// response body (a chunked body, unless the handler sets `Content-Length`).
pub async fn serve(
    handler: impl Fn(Seen, BodySender) -> Response<()> + Send + Sync + 'static,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let handler: Arc<Handler> = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let handler = handler.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let seen = Seen {
                            method: parts.method.to_string(),
                            target: parts.uri.to_string(),
                            headers: parts.headers,
                            body,
                        };
                        let (tx, rx) = mpsc::channel(16);
                        let (head, ()) = handler(seen, tx).into_parts();
                        Ok::<_, Infallible>(Response::from_parts(head, ChannelBody { rx }))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Reads one request head (up to the blank line) from `stream`; `false` when the peer closed
/// (or failed) first.
pub async fn read_head(stream: &mut TcpStream) -> bool {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
        }
    }
    true
}

/// A raw TCP server on loopback, for answers no HTTP server would give: it accepts one
/// connection, reads the request head, and hands the socket to `answer`.
pub async fn raw_once<F, Fut>(answer: F) -> SocketAddr
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        assert!(read_head(&mut socket).await, "a request head");
        answer(socket).await;
    });
    addr
}

/// `http://<addr>`.
pub fn base(addr: SocketAddr) -> String {
    format!("http://{addr}")
}
