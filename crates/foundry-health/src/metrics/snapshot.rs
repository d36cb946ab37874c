//! The request metrics at one moment.

use std::collections::BTreeMap;
use std::time::Duration;

/// The request metrics at one moment.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Requests that ended, successfully or not.
    pub requests: u64,
    /// Requests that ended successfully.
    pub successes: u64,
    /// Requests that failed, by the kind the caller named (`"cancelled"` for requests whose
    /// guard was dropped before they ended).
    pub errors: BTreeMap<String, u64>,
    /// Requests that ended, by the operation they were started as (see
    /// [`RequestMetrics::start_operation`](crate::RequestMetrics::start_operation)).
    pub operations: BTreeMap<String, u64>,
    /// Retries.
    pub retries: u64,
    /// Requests in flight now.
    pub in_flight: u64,
    /// Latency of the requests that ended (`None` before the first).
    pub latency: Option<LatencySummary>,
    /// Time to the first token of the requests that reported one.
    pub time_to_first_token: Option<LatencySummary>,
    /// Prompt tokens, summed over successful requests that reported a count.
    pub input_tokens: u64,
    /// Tokens generated, summed over successful requests that reported a count.
    pub generated_tokens: u64,
    /// Generation speed of the successful requests that reported a token count.
    pub tokens_per_second: Option<RateSummary>,
}

impl MetricsSnapshot {
    /// Failed requests, all kinds together.
    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// The distribution of a duration. Percentiles come from an HDR histogram with three
/// significant digits (within 0.1 %); the sum and mean are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LatencySummary {
    /// How many values.
    pub count: u64,
    /// Their sum.
    pub sum: Duration,
    /// The smallest.
    pub min: Duration,
    /// The largest.
    pub max: Duration,
    /// The mean.
    pub mean: Duration,
    /// The median.
    pub p50: Duration,
    /// The 90th percentile.
    pub p90: Duration,
    /// The 99th percentile.
    pub p99: Duration,
}

/// The distribution of a rate, in tokens per second.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RateSummary {
    /// How many requests.
    pub count: u64,
    /// The sum of their rates (for Prometheus).
    pub sum: f64,
    /// The mean rate.
    pub mean: f64,
    /// The median rate.
    pub p50: f64,
    /// The 90th percentile.
    pub p90: f64,
    /// The 99th percentile.
    pub p99: f64,
}
