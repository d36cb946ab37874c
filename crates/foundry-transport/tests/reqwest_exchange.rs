//! `ReqwestTransport` against wiremock: what goes over the wire, and the first-byte
//! and deadline timers before the headers.
//!
//! Plain-`http` requests take the direct path through hyper (the default).

const DIRECT_HTTP: bool = true;

include!("cases/exchange.rs");

/// Both paths send the same requests: method, URL, body and every header (their order aside),
/// for a GET, a POST with a body and an empty POST.
#[tokio::test]
async fn both_paths_send_the_same_requests() {
    let server = server_with(ResponseTemplate::new(200)).await;
    let requests = || {
        [
            TransportRequest::get("/v1/models"),
            TransportRequest::post_json("/v1/chat/completions?x=1", r#"{"a":1}"#).header(
                HeaderName::from_static("x-team"),
                HeaderValue::from_static("red"),
            ),
            TransportRequest::new(Method::POST, "/openai/load/m:1?ttl=600"),
        ]
    };
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
        assert_eq!(transport.sends_http_directly(), direct);
        for request in requests() {
            transport.send(request).await.unwrap();
        }
    }
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 6);
    let headers = |request: &Request| {
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect();
        headers.sort();
        headers
    };
    let (direct, via_reqwest) = received.split_at(3);
    for (direct, via_reqwest) in direct.iter().zip(via_reqwest) {
        assert_eq!(headers(direct), headers(via_reqwest), "{}", direct.url);
        assert_eq!(direct.url, via_reqwest.url);
        assert_eq!(direct.method, via_reqwest.method);
        assert_eq!(direct.body, via_reqwest.body);
        assert_eq!(direct.headers.get("accept").unwrap(), "*/*");
    }
    // The request's own header wins over the transport's default; an empty POST says length 0.
    assert_eq!(received[1].headers.get("x-team").unwrap(), "red");
    assert_eq!(received[0].headers.get("x-team").unwrap(), "blue");
    assert_eq!(received[2].headers.get("content-length").unwrap(), "0");
}
