//! `ReqwestTransport` against wiremock: what goes over the wire, and the first-byte
//! and deadline timers before the headers.

use std::time::Duration;

use foundry_transport::http::{HeaderName, HeaderValue, Method, StatusCode};
use foundry_transport::{
    ErrorKind, ReqwestTransport, TimeoutKind, Timeouts, Transport, TransportRequest, USER_AGENT,
};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const MS: Duration = Duration::from_millis(1);

async fn server_with(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn transport_for(server: &MockServer) -> ReqwestTransport {
    ReqwestTransport::builder()
        .base_url(server.uri())
        .build()
        .unwrap()
}

#[tokio::test]
async fn sends_the_bearer_key_and_the_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(header("authorization", "Bearer sk-local-123"))
        .and(header("user-agent", USER_AGENT))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let transport = ReqwestTransport::builder()
        .base_url(server.uri())
        .api_key("sk-local-123")
        .build()
        .unwrap();
    let response = transport
        .send(TransportRequest::get("/v1/models"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(USER_AGENT.starts_with("foundry-client/"));
}

#[test]
fn the_api_key_never_appears_in_debug_output() {
    let builder = ReqwestTransport::builder()
        .base_url("http://127.0.0.1:1")
        .api_key("sk-SECRET");
    assert!(!format!("{builder:?}").contains("SECRET"));
    let transport = builder.build().unwrap();
    let printed = format!("{transport:?} {transport:#?}");
    assert!(!printed.contains("SECRET"), "{printed}");
    assert!(printed.contains("redacted"), "{printed}");
}

#[tokio::test]
async fn colons_in_paths_are_sent_raw() {
    let server = server_with(ResponseTemplate::new(200)).await;
    let transport = transport_for(&server);
    transport
        .send(TransportRequest::get(
            "/openai/load/tiny-chat-generic-cpu:1?ttl=600",
        ))
        .await
        .unwrap();
    let received = server.received_requests().await.unwrap();
    let url = &received[0].url;
    assert_eq!(url.path(), "/openai/load/tiny-chat-generic-cpu:1");
    assert_eq!(url.query(), Some("ttl=600"));
}

#[tokio::test]
async fn paths_are_appended_to_the_base_path_and_absolute_urls_win() {
    let server = server_with(ResponseTemplate::new(204)).await;
    let with_prefix = ReqwestTransport::builder()
        .base_url(format!("{}/v1/", server.uri()))
        .build()
        .unwrap();
    with_prefix
        .send(TransportRequest::get("/models"))
        .await
        .unwrap();
    with_prefix
        .send(TransportRequest::get("chat/completions"))
        .await
        .unwrap();
    let elsewhere = format!("{}/status", server.uri());
    with_prefix
        .send(TransportRequest::get(elsewhere))
        .await
        .unwrap();
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/v1/models", "/v1/chat/completions", "/status"]);
}

#[tokio::test]
async fn posts_json_with_default_and_request_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("content-type", "application/json"))
        .and(header("x-team", "inference"))
        .and(header("x-trace", "request-level"))
        .and(body_string(r#"{"model":"phi-4-mini"}"#))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let transport = ReqwestTransport::builder()
        .base_url(server.uri())
        .default_header(
            HeaderName::from_static("x-team"),
            HeaderValue::from_static("inference"),
        )
        .default_header(
            HeaderName::from_static("x-trace"),
            HeaderValue::from_static("default"),
        )
        .build()
        .unwrap();
    let request = TransportRequest::post_json("/v1/chat/completions", r#"{"model":"phi-4-mini"}"#)
        .header(
            HeaderName::from_static("x-trace"),
            HeaderValue::from_static("request-level"),
        );
    let body = transport
        .send(request)
        .await
        .unwrap()
        .bytes_limited(1024)
        .await
        .unwrap();
    assert_eq!(body, "{}");
}

#[tokio::test]
async fn an_empty_post_sends_a_zero_content_length() {
    let server = server_with(ResponseTemplate::new(200)).await;
    let request = TransportRequest::new(Method::POST, "/openai/unload/m:1");
    transport_for(&server).send(request).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].headers.get("content-length").unwrap(), "0");
}

#[tokio::test]
async fn an_error_status_is_a_response_not_an_error() {
    let server = server_with(
        ResponseTemplate::new(503)
            .insert_header("retry-after", "2")
            .set_body_string("busy"),
    )
    .await;
    let response = transport_for(&server)
        .send(TransportRequest::get("/"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(response.bytes_limited(16).await.unwrap(), "busy");
}

#[tokio::test]
async fn slow_headers_hit_the_first_byte_timeout() {
    let server = server_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2))).await;
    let transport = ReqwestTransport::builder()
        .base_url(server.uri())
        .first_byte_timeout(150 * MS)
        .build();
    let started = tokio::time::Instant::now();
    let err = transport
        .unwrap()
        .send(TransportRequest::get("/slow"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::FirstByte));
    assert!(err.is_timeout() && !err.never_connected());
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        err.to_string()
            .starts_with("first byte timeout: GET http://"),
        "{err}"
    );
}

#[tokio::test]
async fn a_request_can_lengthen_or_shorten_its_timers() {
    let server = server_with(ResponseTemplate::new(200).set_delay(200 * MS)).await;
    let transport = ReqwestTransport::builder()
        .base_url(server.uri())
        .first_byte_timeout(50 * MS)
        .build();
    let transport = transport.unwrap();
    let patient = TransportRequest::get("/")
        .with_timeouts(Timeouts::new().with_first_byte(Duration::from_secs(5)));
    assert_eq!(transport.send(patient).await.unwrap().status(), 200);
    let hasty = TransportRequest::get("/").with_timeouts(Timeouts::new().with_deadline(20 * MS));
    let err = transport.send(hasty).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Deadline));
}

#[tokio::test]
async fn a_known_large_body_fails_before_it_is_read() {
    let server = server_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 100_000])).await;
    let response = transport_for(&server)
        .send(TransportRequest::get("/"))
        .await
        .unwrap();
    assert_eq!(response.content_length(), Some(100_000));
    let err = response.bytes_limited(1000).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge { limit: 1000 });
}

#[tokio::test]
async fn the_client_can_be_brought_along() {
    let server = server_with(ResponseTemplate::new(200)).await;
    let client = reqwest::Client::builder()
        .user_agent("mine/1.0")
        .build()
        .unwrap();
    let transport = ReqwestTransport::from_client(client, Some(&server.uri())).unwrap();
    transport.send(TransportRequest::get("/x")).await.unwrap();
    let received: Vec<Request> = server.received_requests().await.unwrap();
    assert_eq!(received[0].headers.get("user-agent").unwrap(), "mine/1.0");
}

/// What goes on the wire for a GET, a POST with a body and an empty POST: reqwest's `Accept`,
/// the request's own header over the transport's default, and a zero length for an empty POST.
#[tokio::test]
async fn requests_carry_the_expected_headers() {
    let server = server_with(ResponseTemplate::new(200)).await;
    let transport = ReqwestTransport::builder()
        .base_url(server.uri())
        .api_key("sk-local-123")
        .default_header(
            HeaderName::from_static("x-team"),
            HeaderValue::from_static("blue"),
        )
        .build()
        .unwrap();
    for request in [
        TransportRequest::get("/v1/models"),
        TransportRequest::post_json("/v1/chat/completions?x=1", r#"{"a":1}"#).header(
            HeaderName::from_static("x-team"),
            HeaderValue::from_static("red"),
        ),
        TransportRequest::new(Method::POST, "/openai/load/m:1?ttl=600"),
    ] {
        transport.send(request).await.unwrap();
    }
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    for request in &received {
        assert_eq!(request.headers.get("accept").unwrap(), "*/*");
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            "Bearer sk-local-123"
        );
    }
    assert_eq!(received[1].url.path(), "/v1/chat/completions");
    assert_eq!(received[1].body, br#"{"a":1}"#);
    assert_eq!(received[1].headers.get("x-team").unwrap(), "red");
    assert_eq!(received[0].headers.get("x-team").unwrap(), "blue");
    assert_eq!(received[2].url.path(), "/openai/load/m:1");
    assert_eq!(received[2].headers.get("content-length").unwrap(), "0");
}
