//! The choice among endpoints, with mock transports.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use foundry_resilience::{BreakerConfig, TokioClock};
use foundry_transport::http::Method;
use foundry_transport::mock::{MockResponse, MockTransport};
use foundry_transport::{ErrorKind, Transport, TransportRequest};

use super::*;
use crate::{HealthChecker, HealthStatus, MonitorConfig, OpenAiProbe};

fn endpoint(name: &str) -> Endpoint {
    let mock = MockTransport::new();
    mock.on(Method::GET, "/v1/models")
        .reply(MockResponse::json(format!(
            r#"{{"data":[{{"id":"{name}"}}]}}"#
        )));
    Endpoint::new(name, SharedTransport::new(mock))
}

fn tally(set: &EndpointSet, picks: usize) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for _ in 0..picks {
        let lease = set.choose().unwrap();
        *counts
            .entry(lease.endpoint().name().to_owned())
            .or_default() += 1;
    }
    counts
}

#[test]
fn p2c_prefers_the_endpoint_with_fewer_requests_in_flight() {
    let set = EndpointSet::new([endpoint("a"), endpoint("b")]).with_rng(JitterRng::seeded(1));
    let held = set.choose().unwrap();
    let busy = held.endpoint().name().to_owned();
    assert_eq!(held.endpoint().in_flight(), 1);
    let counts = tally(&set, 100);
    assert_eq!(counts.get(&busy), None, "all 100 went to the idle endpoint");
    drop(held);
    assert!(set.endpoints().all(|endpoint| endpoint.in_flight() == 0));
}

#[test]
fn idle_endpoints_share_the_load_evenly() {
    let set = EndpointSet::new([endpoint("a"), endpoint("b"), endpoint("c")])
        .with_rng(JitterRng::seeded(7));
    let counts = tally(&set, 3000);
    for name in ["a", "b", "c"] {
        let n = counts[name];
        assert!((800..=1200).contains(&n), "{name}: {n} of 3000");
    }
}

#[test]
fn an_open_breaker_takes_an_endpoint_out_until_it_closes() {
    let breaker = CircuitBreaker::new(BreakerConfig::default(), Arc::new(TokioClock));
    let set = EndpointSet::new([endpoint("a").with_breaker(breaker.clone()), endpoint("b")])
        .with_rng(JitterRng::seeded(3));
    breaker.isolate();
    assert_eq!(tally(&set, 50).get("a"), None);
    breaker.reset();
    assert!(tally(&set, 50)["a"] > 0);
}

#[tokio::test(start_paused = true)]
async fn an_unhealthy_endpoint_is_ejected_and_comes_back_after_probes_pass() {
    let server = MockTransport::new();
    server
        .on(Method::GET, "/v1/models")
        .times(3)
        .reply(MockResponse::new(500));
    server
        .on(Method::GET, "/v1/models")
        .reply(MockResponse::json(r#"{"data":[]}"#));
    let probe = OpenAiProbe::new(SharedTransport::new(server));
    let checker = HealthChecker::new(probe, MonitorConfig::default(), Arc::new(TokioClock));
    let set = EndpointSet::new([endpoint("a").with_health(checker.view()), endpoint("b")])
        .with_rng(JitterRng::seeded(5));
    assert_eq!(checker.status(), HealthStatus::Starting);
    assert_eq!(
        tally(&set, 20).get("a"),
        None,
        "not serving before a probe passed"
    );
    for _ in 0..3 {
        checker.check().await;
    }
    assert_eq!(checker.status(), HealthStatus::Unhealthy);
    assert_eq!(tally(&set, 20).get("a"), None);
    checker.check().await;
    assert_eq!(
        tally(&set, 20).get("a"),
        None,
        "one good probe is not enough"
    );
    checker.check().await;
    assert_eq!(checker.status(), HealthStatus::Healthy);
    assert!(tally(&set, 50)["a"] > 0, "back after two good probes");
}

#[tokio::test]
async fn with_nothing_available_the_error_is_typed() {
    let breaker = CircuitBreaker::new(BreakerConfig::default(), Arc::new(TokioClock));
    breaker.isolate();
    let set = EndpointSet::new([endpoint("a").with_breaker(breaker)]);
    assert_eq!(
        set.choose().unwrap_err(),
        NoEndpointAvailable { endpoints: 1 }
    );
    let err = set
        .send(TransportRequest::get("/v1/models"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Rejected);
}

#[tokio::test(start_paused = true)]
async fn a_request_is_in_flight_until_its_body_is_read() {
    let mock = MockTransport::new();
    mock.on(Method::GET, "/v1/models").reply(
        MockResponse::json(r#"{"data":[]}"#)
            .chunks([&b"{\"data\""[..], &b":[]}"[..]])
            .chunk_delay(Duration::from_millis(10)),
    );
    let set = EndpointSet::new([Endpoint::new("only", SharedTransport::new(mock))]);
    let response = set.send(TransportRequest::get("/v1/models")).await.unwrap();
    assert_eq!(
        set.endpoints().next().unwrap().in_flight(),
        1,
        "headers in, body not yet"
    );
    let body = response.bytes_limited(1024).await.unwrap();
    assert_eq!(&body[..], br#"{"data":[]}"#);
    assert_eq!(set.endpoints().next().unwrap().in_flight(), 0);
    // A dropped, unread body releases it too.
    let response = set.send(TransportRequest::get("/v1/models")).await.unwrap();
    drop(response);
    assert_eq!(set.endpoints().next().unwrap().in_flight(), 0);
}
