//! Hostile or broken server answers: each ends in a typed error, quickly and with bounded memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use foundry_client::{ChatRequest, ErrorKind, FoundryClient, Message, ServerKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server writes after the request: a head, then a body that may never end.
#[derive(Clone)]
enum Body {
    Fixed(Vec<u8>),
    /// `prefix`, then `filler` repeated until the client goes away.
    Endless {
        prefix: Vec<u8>,
        filler: Vec<u8>,
    },
}

/// Serves every connection with `head` + `body`; counts the body bytes it managed to write.
async fn serve(head: &str, body: Body) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let written = Arc::new(AtomicUsize::new(0));
    let head = head.to_owned();
    let counter = written.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer(socket, head.clone(), body.clone(), counter.clone()));
        }
    });
    (url, written)
}

async fn answer(mut socket: TcpStream, head: String, body: Body, written: Arc<AtomicUsize>) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    // Read the head and a body of the announced length (requests here are small).
    while let Ok(n) = socket.read(&mut buffer).await {
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buffer[..n]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&request[..end]).to_lowercase();
            let length: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                break;
            }
        }
    }
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    match body {
        Body::Fixed(bytes) => {
            let _ = socket.write_all(&bytes).await;
            written.fetch_add(bytes.len(), Ordering::Relaxed);
        }
        Body::Endless { prefix, filler } => {
            let _ = socket.write_all(&prefix).await;
            while socket.write_all(&filler).await.is_ok() {
                written.fetch_add(filler.len(), Ordering::Relaxed);
            }
        }
    }
    let _ = socket.shutdown().await;
}

fn client(url: &str) -> FoundryClient {
    FoundryClient::builder()
        .endpoint(url)
        .server_kind(ServerKind::OpenAiCompatible)
        .retries(0)
        .max_body(1 << 20)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn hello() -> ChatRequest {
    ChatRequest::new("m", [Message::user("hi")])
}

const STREAM_HEAD: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn invalid_utf8_in_a_stream_is_a_typed_error() {
    let body =
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xff\xfe\"}}]}\n\n".to_vec();
    let (url, _) = serve(STREAM_HEAD, Body::Fixed(body)).await;
    let error = client(&url)
        .chat_stream(hello())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted);
    assert!(
        std::error::Error::source(&error)
            .unwrap()
            .to_string()
            .contains("event stream"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_gigabyte_body_is_stopped_early_by_the_size_limit() {
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n";
    let (url, written) = serve(
        head,
        Body::Endless {
            prefix: b"{\"x\":\"".to_vec(),
            filler: vec![b'a'; 64 * 1024],
        },
    )
    .await;
    let error = client(&url).chat(hello()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(
        written.load(Ordering::Relaxed) < 64 << 20,
        "the client stopped reading long before 1 GiB"
    );
}

#[tokio::test]
async fn an_endless_stream_without_a_newline_hits_the_event_bound() {
    let endless = Body::Endless {
        prefix: b"data: ".to_vec(),
        filler: vec![b'a'; 64 * 1024],
    };
    let (url, written) = serve(STREAM_HEAD, endless).await;
    let error = client(&url)
        .chat_stream(hello())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted, "{error:?}");
    assert!(written.load(Ordering::Relaxed) < 64 << 20);
}

#[tokio::test]
async fn a_json_nesting_bomb_is_a_decode_error() {
    let bomb = [vec![b'['; 200_000], vec![b']'; 200_000]].concat();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        bomb.len()
    );
    let (url, _) = serve(&head, Body::Fixed(bomb)).await;
    let error = client(&url).chat(hello()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error:?}");
}

#[tokio::test]
async fn a_stream_answered_with_another_content_type_is_a_typed_error() {
    let page = b"<html>proxy error</html>".to_vec();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
        page.len()
    );
    let (url, _) = serve(&head, Body::Fixed(page)).await;
    let error = client(&url).chat_stream(hello()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.to_string().contains("text/html"), "{error}");
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let elsewhere = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!(
        "http://{}/v1/chat/completions",
        elsewhere.local_addr().unwrap()
    );
    let head = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n"
    );
    let (url, _) = serve(&head, Body::Fixed(Vec::new())).await;
    let client = FoundryClient::builder()
        .endpoint(&url)
        .api_key("sk-never-forwarded")
        .server_kind(ServerKind::OpenAiCompatible)
        .build()
        .unwrap();
    let error = client.chat(hello()).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(307));
    let contacted = tokio::time::timeout(Duration::from_millis(200), elsewhere.accept()).await;
    assert!(contacted.is_err(), "the other host was never contacted");
}

#[tokio::test]
async fn a_200_carrying_an_error_envelope_is_an_error() {
    let body = br#"{"error":{"message":"boom","type":"server_error"}}"#.to_vec();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (url, _) = serve(&head, Body::Fixed(body)).await;
    let error = client(&url).chat(hello()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.api_error().unwrap().message, "boom");
}

#[tokio::test]
async fn an_error_envelope_whose_error_key_is_not_first_is_still_an_error() {
    let body = br#"{"id":"x","error":{"message":"late","type":"server_error"}}"#.to_vec();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (url, _) = serve(&head, Body::Fixed(body)).await;
    let error = client(&url).chat(hello()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.api_error().unwrap().message, "late");
}

#[tokio::test]
async fn nothing_after_an_error_event_is_handed_on() {
    // One write, so the client decodes all of it at once.
    let body = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n",
        "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n",
        "data: [DONE]\n\n",
    );
    let (url, _) = serve(STREAM_HEAD, Body::Fixed(body.as_bytes().to_vec())).await;
    let mut stream = client(&url).chat_stream(hello()).await.unwrap();
    let mut items = Vec::new();
    while let Some(item) = futures_util::StreamExt::next(&mut stream).await {
        items.push(item);
    }
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0].as_ref().unwrap().choices[0]
            .delta
            .content
            .as_deref(),
        Some("a")
    );
    let error = items[1].as_ref().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted);
    assert_eq!(
        error.api_error().map(|api| api.message.as_str()),
        Some("overloaded")
    );
    let partial = error.partial().expect("the partial answer");
    assert_eq!(partial.text().as_deref(), Some("a"));
}
