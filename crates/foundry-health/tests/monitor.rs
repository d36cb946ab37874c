//! The monitor on tokio's paused clock, against a mock server: no real sleeps.

// Tests drive and read tokio's paused clock themselves; the code under test never does.
#![allow(clippy::disallowed_methods)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use foundry_health::{
    HealthConfig, HealthMonitor, HealthStatus, MonitorConfig, OpenAiProbe, ProbeOutcome,
    ProblemKind,
};
use foundry_resilience::{BreakerConfig, CircuitBreaker, CircuitState, TokioClock};
use foundry_transport::SharedTransport;
use foundry_transport::http::Method;
use foundry_transport::mock::{MockReply, MockResponse, MockTransport};
use tokio::time::Instant;

/// A server whose `/v1/models` is up or down at the test's command, counting the requests.
#[derive(Clone)]
struct Switch {
    up: Arc<AtomicBool>,
    hits: Arc<AtomicUsize>,
    at: Arc<Mutex<Vec<Instant>>>,
    mock: MockTransport,
}

impl Switch {
    fn new(delay: Duration) -> Self {
        let switch = Self {
            up: Arc::new(AtomicBool::new(true)),
            hits: Arc::new(AtomicUsize::new(0)),
            at: Arc::new(Mutex::new(Vec::new())),
            mock: MockTransport::new(),
        };
        let (up, hits, at) = (switch.up.clone(), switch.hits.clone(), switch.at.clone());
        switch
            .mock
            .on(Method::GET, "/v1/models")
            .reply_with(move |_| {
                hits.fetch_add(1, Ordering::SeqCst);
                at.lock().unwrap().push(Instant::now());
                let response = if up.load(Ordering::SeqCst) {
                    MockResponse::json(r#"{"data":[{"id":"m"}]}"#)
                } else {
                    MockResponse::new(500)
                };
                MockReply::from(response.delay(delay))
            });
        switch
    }

    fn probe(&self) -> OpenAiProbe {
        OpenAiProbe::new(SharedTransport::new(self.mock.clone()))
    }

    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

fn config() -> MonitorConfig {
    MonitorConfig::default()
        .interval(Duration::from_secs(5))
        .jitter(0.0)
        .probe_timeout(Duration::from_secs(1))
}

#[tokio::test(start_paused = true)]
async fn goes_down_after_three_failures_and_back_after_two_successes() {
    let server = Switch::new(Duration::ZERO);
    let monitor = HealthMonitor::start(server.probe(), config());
    let mut changes = monitor.subscribe();
    assert_eq!(*changes.borrow(), HealthStatus::Starting);
    changes.changed().await.unwrap();
    assert_eq!(*changes.borrow_and_update(), HealthStatus::Healthy);
    let first = monitor.snapshot();
    assert_eq!(first.probes, 1, "the first probe runs at start");
    assert_eq!(first.last_report.unwrap().loaded_models.unwrap(), ["m"]);

    server.set(false);
    let down_from = Instant::now();
    changes.changed().await.unwrap();
    assert_eq!(*changes.borrow_and_update(), HealthStatus::Degraded);
    changes.changed().await.unwrap();
    assert_eq!(*changes.borrow_and_update(), HealthStatus::Unhealthy);
    assert_eq!(monitor.snapshot().consecutive_failures, 3);
    // Probes at +5, +10, +15 s after the last good one.
    assert_eq!(down_from.elapsed(), Duration::from_secs(15));

    server.set(true);
    changes.changed().await.unwrap();
    assert_eq!(*changes.borrow_and_update(), HealthStatus::Healthy);
    let snapshot = monitor.snapshot();
    assert_eq!(snapshot.consecutive_successes, 2);
    assert_eq!(snapshot.probes, 6);
    assert_eq!(snapshot.since, snapshot.checked_at.unwrap());
}

#[tokio::test(start_paused = true)]
async fn dropping_the_handle_stops_the_probes() {
    let server = Switch::new(Duration::ZERO);
    let monitor = HealthMonitor::start(server.probe(), config());
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(server.hits.load(Ordering::SeqCst), 3, "at 0, 5 and 10 s");
    drop(monitor);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn the_interval_is_jittered_within_bounds_and_repeatable_with_a_seed() {
    async fn gaps(seed: u64) -> Vec<Duration> {
        let server = Switch::new(Duration::ZERO);
        let config = config()
            .interval(Duration::from_secs(10))
            .jitter(0.2)
            .seed(seed);
        let monitor = HealthMonitor::start(server.probe(), config);
        tokio::time::sleep(Duration::from_secs(200)).await;
        drop(monitor);
        let at = server.at.lock().unwrap().clone();
        at.windows(2).map(|w| w[1] - w[0]).collect()
    }
    let first = gaps(42).await;
    assert!(first.len() >= 16, "{} probes", first.len());
    for gap in &first {
        assert!(
            (Duration::from_secs(8)..=Duration::from_secs(12)).contains(gap),
            "{gap:?}"
        );
    }
    assert!(
        first.windows(2).any(|w| w[0] != w[1]),
        "jitter varies the gaps"
    );
    assert_eq!(first, gaps(42).await, "the same seed, the same schedule");
    assert_ne!(first, gaps(43).await);
}

#[tokio::test(start_paused = true)]
async fn an_unhealthy_server_opens_the_breaker_until_probes_pass() {
    let server = Switch::new(Duration::ZERO);
    server.set(false);
    let breaker = CircuitBreaker::new(BreakerConfig::default(), Arc::new(TokioClock));
    let monitor = HealthMonitor::start(server.probe(), config()).with_breaker(breaker.clone());
    let mut changes = monitor.subscribe();
    changes
        .wait_for(|status| *status == HealthStatus::Unhealthy)
        .await
        .unwrap();
    assert_eq!(
        breaker.state(),
        CircuitState::Open,
        "opened without a single request"
    );
    // Still open just before the next probe, and that probe (failing) opens it again.
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    assert_eq!(breaker.state(), CircuitState::Open);

    server.set(true);
    changes
        .wait_for(|status| *status == HealthStatus::Healthy)
        .await
        .unwrap();
    // The last forced break (interval + probe timeout) runs out; the breaker's own rules resume.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_ne!(breaker.state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn a_probe_that_hangs_counts_as_unreachable_after_the_timeout() {
    let server = Switch::new(Duration::from_secs(30));
    let monitor = HealthMonitor::start(server.probe(), config());
    let mut changes = monitor.subscribe();
    changes
        .wait_for(|status| *status == HealthStatus::Unhealthy)
        .await
        .unwrap();
    let report = monitor.snapshot().last_report.unwrap();
    assert_eq!(report.outcome, ProbeOutcome::Unreachable);
    assert_eq!(
        report.problems[0].kind,
        ProblemKind::TimedOut {
            after: Duration::from_secs(1)
        }
    );
}

#[tokio::test(start_paused = true)]
async fn slow_answers_make_it_degraded() {
    let server = Switch::new(Duration::from_millis(300));
    let config =
        config().health(HealthConfig::default().slow_threshold(Duration::from_millis(200)));
    let monitor = HealthMonitor::start(server.probe(), config);
    let mut changes = monitor.subscribe();
    changes.changed().await.unwrap();
    assert_eq!(*changes.borrow(), HealthStatus::Degraded);
    let report = monitor.snapshot().last_report.unwrap();
    assert_eq!(report.outcome, ProbeOutcome::Ready);
    assert_eq!(
        report.latency,
        Duration::from_millis(300),
        "timed on the paused clock"
    );
}

#[tokio::test(start_paused = true)]
async fn a_view_outlives_the_monitor_with_its_last_status() {
    let server = Switch::new(Duration::ZERO);
    let monitor = HealthMonitor::start(server.probe(), config());
    let view = monitor.view();
    let mut changes = view.subscribe();
    changes
        .wait_for(|status| *status == HealthStatus::Healthy)
        .await
        .unwrap();
    drop(monitor);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(view.status(), HealthStatus::Healthy);
    assert_eq!(view.snapshot().probes, 1);
}

#[tokio::test(start_paused = true)]
async fn a_breaker_attached_while_unhealthy_opens_at_once() {
    let server = Switch::new(Duration::ZERO);
    server.set(false);
    let checker =
        foundry_health::HealthChecker::new(server.probe(), config(), Arc::new(TokioClock));
    for _ in 0..3 {
        checker.check().await;
    }
    assert_eq!(checker.status(), HealthStatus::Unhealthy);
    let breaker = CircuitBreaker::new(BreakerConfig::default(), Arc::new(TokioClock));
    checker.add_breaker(breaker.clone());
    assert_eq!(breaker.state(), CircuitState::Open);
}
