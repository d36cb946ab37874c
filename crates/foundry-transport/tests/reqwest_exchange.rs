//! `ReqwestTransport` against wiremock: what goes over the wire, and the first-byte
//! and deadline timers before the headers.
//!
//! Plain-`http` requests take the direct path through hyper (the default).

const DIRECT_HTTP: bool = true;

include!("cases/exchange.rs");

/// Both paths put the same request on the wire: method, path, body and every header.
#[tokio::test]
async fn both_paths_send_the_same_request() {
    let server = server_with(ResponseTemplate::new(200)).await;
    for direct in [true, false] {
        let transport = ReqwestTransport::builder()
            .direct_http(direct)
            .base_url(server.uri())
            .api_key("sk-local-123")
            .default_header(
                HeaderName::from_static("x-team"),
                HeaderValue::from_static("blue"),
            )
            .build()
            .unwrap();
        let request = TransportRequest::post_json("/v1/chat/completions?x=1", r#"{"a":1}"#).header(
            HeaderName::from_static("x-team"),
            HeaderValue::from_static("red"),
        );
        transport.send(request).await.unwrap();
    }
    let received = server.received_requests().await.unwrap();
    let [direct, via_reqwest] = &received[..] else {
        panic!("expected two requests, got {}", received.len());
    };
    let headers = |request: &Request| {
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect();
        headers.sort();
        headers
    };
    assert_eq!(headers(direct), headers(via_reqwest));
    assert_eq!(direct.url, via_reqwest.url);
    assert_eq!(direct.method, via_reqwest.method);
    assert_eq!(direct.body, via_reqwest.body);
    // The request's own header wins over the transport's default, on both paths.
    assert_eq!(direct.headers.get("x-team").unwrap(), "red");
    assert_eq!(direct.headers.get("accept").unwrap(), "*/*");
}
