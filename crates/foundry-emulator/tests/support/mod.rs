//! Helpers shared by the emulator's tests: raw HTTP over loopback, JSON and SSE reading.

#![allow(dead_code)] // Each test binary uses a different subset.

pub mod stream;

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use foundry_recordings::{Exchange, Response};

/// Sends raw bytes and reads until the server closes (or `limit` passes).
pub async fn raw_exchange(addr: SocketAddr, request: &[u8], limit: Duration) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut received = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await;
    received
}

/// A `Connection: close` request with an optional JSON body, answered as a parsed response.
pub async fn raw(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Response {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(body) = body {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        request.push_str("\r\n");
    }
    let bytes = raw_exchange(addr, request.as_bytes(), Duration::from_secs(10)).await;
    Exchange::parse_response(&bytes)
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_data(body: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(body)
        .split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

/// The JSON events of an SSE body (`[DONE]` left out).
pub fn sse_json(body: &[u8]) -> Vec<Value> {
    sse_data(body)
        .iter()
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).expect("JSON event"))
        .collect()
}

/// A JSON body.
pub fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

/// A reqwest client for plain HTTP to the emulator.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}
