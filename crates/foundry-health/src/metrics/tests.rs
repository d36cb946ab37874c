//! Request metrics on a manual clock.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::test_clock::ManualClock;

fn metrics() -> (RequestMetrics, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    (RequestMetrics::with_clock(clock.clone()), clock)
}

/// Within the histogram's three significant digits.
fn assert_close(actual: Duration, expected_ms: f64) {
    let actual = actual.as_secs_f64() * 1000.0;
    assert!(
        (actual - expected_ms).abs() <= expected_ms * 0.001 + 0.001,
        "{actual} ms, expected {expected_ms} ms"
    );
}

#[test]
fn the_guard_counts_in_flight_and_times_the_request() {
    let (metrics, clock) = metrics();
    let mut call = metrics.start();
    let other = metrics.start();
    assert_eq!(metrics.snapshot().in_flight, 2);
    clock.advance(Duration::from_millis(200));
    call.first_token();
    clock.advance(Duration::from_millis(800));
    call.first_token(); // ignored: the first token came at 200 ms
    call.success(Some(100));
    drop(other);
    let snapshot = metrics.snapshot();
    assert_eq!(snapshot.in_flight, 0);
    assert_eq!(snapshot.requests, 2);
    assert_eq!(snapshot.successes, 1);
    assert_eq!(snapshot.errors["cancelled"], 1, "dropped unended");
    let ttft = snapshot.time_to_first_token.unwrap();
    assert_eq!(ttft.count, 1);
    assert_close(ttft.p50, 200.0);
    assert_eq!(ttft.min, Duration::from_millis(200), "extremes are exact");
    assert_eq!(snapshot.latency.unwrap().max, Duration::from_secs(1));
    // 100 tokens over the 800 ms after the first one.
    let rate = snapshot.tokens_per_second.unwrap();
    assert!((rate.mean - 125.0).abs() < 1e-9, "{rate:?}");
    assert!((rate.p50 - 125.0).abs() < 0.2, "{rate:?}");
    assert_eq!(snapshot.generated_tokens, 100);
}

#[test]
fn errors_are_counted_by_kind_and_retries_separately() {
    let (metrics, _) = metrics();
    metrics.start().failure("timeout");
    metrics.start().failure("timeout");
    let call = metrics.start();
    call.retry();
    call.retry();
    call.failure("status_503");
    metrics.record_retry();
    let snapshot = metrics.snapshot();
    assert_eq!(snapshot.errors.len(), 2);
    assert_eq!(snapshot.errors["timeout"], 2);
    assert_eq!(snapshot.errors["status_503"], 1);
    assert_eq!(snapshot.errors_total(), 3);
    assert_eq!(snapshot.retries, 3);
    assert_eq!(snapshot.successes, 0);
    assert_eq!(snapshot.generated_tokens, 0);
    assert!(snapshot.tokens_per_second.is_none());
}

#[test]
fn percentiles_come_from_the_histogram() {
    let (metrics, _) = metrics();
    // 1..=1000 ms: p50 = 500 ms, p90 = 900 ms, p99 = 990 ms, within the histogram's 0.1 %.
    for ms in 1..=1000 {
        metrics.record(RequestRecord::success(Duration::from_millis(ms)));
    }
    let latency = metrics.snapshot().latency.unwrap();
    assert_close(latency.p50, 500.0);
    assert_close(latency.p90, 900.0);
    assert_close(latency.p99, 990.0);
    assert_eq!(latency.min, Duration::from_millis(1));
    assert_eq!(latency.max, Duration::from_secs(1));
    assert_eq!(latency.count, 1000);
    assert_eq!(latency.sum, Duration::from_millis(500_500));
    assert_eq!(latency.mean, Duration::from_micros(500_500));
}

#[test]
fn records_without_tokens_or_ttft_leave_those_empty() {
    let (metrics, _) = metrics();
    metrics.record(RequestRecord::success(Duration::from_millis(5)));
    let snapshot = metrics.snapshot();
    assert!(snapshot.time_to_first_token.is_none());
    assert!(snapshot.tokens_per_second.is_none());
    // Without a first token, the whole latency is the generation time.
    metrics.record(RequestRecord::success(Duration::from_secs(2)).generated_tokens(50));
    let rate = metrics.snapshot().tokens_per_second.unwrap();
    assert!((rate.mean - 25.0).abs() < 1e-9);
}

#[test]
fn clones_share_and_threads_can_record_at_once() {
    let (metrics, _) = metrics();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let metrics = metrics.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    if i % 10 == 0 {
                        metrics.record(RequestRecord::failure(Duration::from_millis(1), "x"));
                    } else {
                        metrics.record(RequestRecord::success(Duration::from_millis(1)));
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let snapshot = metrics.snapshot();
    assert_eq!(snapshot.requests, 4000);
    assert_eq!(snapshot.errors["x"], 400);
    assert_eq!(snapshot.latency.unwrap().count, 4000);
}

#[test]
fn prometheus_exposition_has_counters_labels_and_quantiles() {
    let (metrics, _) = metrics();
    metrics.record(
        RequestRecord::success(Duration::from_millis(250))
            .operation("chat")
            .time_to_first_token(Duration::from_millis(50))
            .input_tokens(7)
            .generated_tokens(20),
    );
    metrics.record(RequestRecord::failure(
        Duration::from_millis(10),
        "bad \"kind\"",
    ));
    metrics.record_retry();
    let _held = metrics.start();
    let text = metrics.to_prometheus("foundry");
    // Quantiles are the histogram's (three significant digits): compare their leading digits.
    for prefix in [
        "gen_ai_client_operation_duration_seconds{quantile=\"0.99\"} 0.25",
        "gen_ai_client_operation_time_to_first_chunk_seconds{quantile=\"0.5\"} 0.05",
        "foundry_tokens_per_second{quantile=\"0.5\"} 100",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(prefix)),
            "missing {prefix:?} in\n{text}"
        );
    }
    for line in [
        "# TYPE foundry_requests_total counter",
        "foundry_requests_total 2",
        "foundry_request_errors_total{kind=\"bad \\\"kind\\\"\"} 1",
        "foundry_retries_total 1",
        "# TYPE foundry_requests_in_flight gauge",
        "foundry_requests_in_flight 1",
        "# TYPE gen_ai_client_operation_duration_seconds summary",
        "gen_ai_client_operation_duration_seconds_count 2",
        "gen_ai_client_token_usage_total{gen_ai_token_type=\"input\"} 7",
        "gen_ai_client_token_usage_total{gen_ai_token_type=\"output\"} 20",
        "foundry_operations_total{gen_ai_operation_name=\"chat\"} 1",
        "foundry_tokens_per_second_count 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}
