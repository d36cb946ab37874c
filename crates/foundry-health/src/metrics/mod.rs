//! Request metrics: what a client records for every call, cheap to share and to update.

mod prometheus;
mod series;
mod snapshot;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use foundry_resilience::{Clock, TokioClock};

use self::series::Series;
pub use self::snapshot::{LatencySummary, MetricsSnapshot, RateSummary};

/// The error kind of a request whose [`InFlight`] guard was dropped before it ended.
const CANCELLED: &str = "cancelled";

/// Counters and histograms of requests, shared by every clone.
///
/// Counters are atomics; the histograms and the error map sit behind short locks (a record is
/// a few array writes), so recording from many tasks at once stays cheap. Percentiles come from
/// HDR histograms (`hdrhistogram`), not from sorting samples, so memory stays fixed however many
/// requests are recorded.
///
/// ```
/// use foundry_health::RequestMetrics;
///
/// let metrics = RequestMetrics::new();
/// let mut call = metrics.start();
/// call.first_token();
/// call.success(Some(42));
/// let failed = metrics.start();
/// failed.failure("timeout");
/// let snapshot = metrics.snapshot();
/// assert_eq!(snapshot.requests, 2);
/// assert_eq!(snapshot.errors["timeout"], 1);
/// assert_eq!(snapshot.generated_tokens, 42);
/// assert!(metrics.to_prometheus("foundry").contains("foundry_requests_total 2"));
/// ```
#[derive(Debug, Clone)]
pub struct RequestMetrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clock: Arc<dyn Clock>,
    requests: AtomicU64,
    successes: AtomicU64,
    retries: AtomicU64,
    in_flight: AtomicU64,
    input_tokens: AtomicU64,
    generated_tokens: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    operations: Mutex<BTreeMap<Cow<'static, str>, u64>>,
    series: Mutex<AllSeries>,
}

#[derive(Debug)]
struct AllSeries {
    latency: Series,
    time_to_first_token: Series,
    tokens_per_second: Series,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestMetrics {
    /// Empty metrics, timing requests on tokio's clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(TokioClock))
    }

    /// Empty metrics, timing requests on `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                clock,
                requests: AtomicU64::new(0),
                successes: AtomicU64::new(0),
                retries: AtomicU64::new(0),
                in_flight: AtomicU64::new(0),
                input_tokens: AtomicU64::new(0),
                generated_tokens: AtomicU64::new(0),
                errors: Mutex::new(BTreeMap::new()),
                operations: Mutex::new(BTreeMap::new()),
                series: Mutex::new(AllSeries {
                    latency: Series::durations(),
                    time_to_first_token: Series::durations(),
                    tokens_per_second: Series::rates(),
                }),
            }),
        }
    }

    /// Starts timing a request; it counts as in flight until the guard ends or is dropped.
    pub fn start(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight {
            metrics: self.clone(),
            started: self.inner.clock.now(),
            operation: None,
            first_token: None,
            input_tokens: None,
            finished: false,
        }
    }

    /// Starts timing a request of the named operation (`chat`, `embeddings`, `load_model`, ...,
    /// the `gen_ai.operation.name` of OpenTelemetry's GenAI conventions), counted by operation too.
    pub fn start_operation(&self, operation: &'static str) -> InFlight {
        let mut flight = self.start();
        flight.operation = Some(operation);
        flight
    }

    /// Counts one retry.
    pub fn record_retry(&self) {
        self.inner.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a request the caller timed itself.
    pub fn record(&self, record: RequestRecord) {
        let inner = &self.inner;
        inner.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(operation) = &record.operation {
            *lock(&inner.operations)
                .entry(operation.clone())
                .or_default() += 1;
        }
        match &record.error {
            Some(kind) => *lock(&inner.errors).entry(kind.clone()).or_default() += 1,
            None => {
                inner.successes.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(tokens) = record.input_tokens.filter(|_| record.error.is_none()) {
            inner.input_tokens.fetch_add(tokens, Ordering::Relaxed);
        }
        let tokens = record.generated_tokens.filter(|_| record.error.is_none());
        if let Some(tokens) = tokens {
            inner.generated_tokens.fetch_add(tokens, Ordering::Relaxed);
        }
        let mut series = lock(&inner.series);
        series.latency.record_duration(record.latency);
        if let Some(ttft) = record.time_to_first_token {
            series.time_to_first_token.record_duration(ttft);
        }
        if let Some(tokens) = tokens {
            // Decode speed: time after the first token when it is known, so a long prompt does
            // not read as slow generation.
            let decoding = record
                .time_to_first_token
                .and_then(|ttft| record.latency.checked_sub(ttft))
                .filter(|d| !d.is_zero())
                .unwrap_or(record.latency);
            if !decoding.is_zero() {
                series
                    .tokens_per_second
                    .record_rate(tokens as f64 / decoding.as_secs_f64());
            }
        }
    }

    /// The metrics now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let inner = &self.inner;
        let series = lock(&inner.series);
        MetricsSnapshot {
            requests: inner.requests.load(Ordering::Relaxed),
            successes: inner.successes.load(Ordering::Relaxed),
            errors: lock(&inner.errors).clone(),
            operations: lock(&inner.operations)
                .iter()
                .map(|(name, count)| (name.to_string(), *count))
                .collect(),
            retries: inner.retries.load(Ordering::Relaxed),
            in_flight: inner.in_flight.load(Ordering::Relaxed),
            latency: series.latency.latency_summary(),
            time_to_first_token: series.time_to_first_token.latency_summary(),
            input_tokens: inner.input_tokens.load(Ordering::Relaxed),
            generated_tokens: inner.generated_tokens.load(Ordering::Relaxed),
            tokens_per_second: series.tokens_per_second.rate_summary(),
        }
    }

    /// The metrics now in Prometheus' text format, every name starting with `prefix` (see
    /// [`MetricsSnapshot::to_prometheus`]).
    pub fn to_prometheus(&self, prefix: &str) -> String {
        self.snapshot().to_prometheus(prefix)
    }
}

/// A request the caller timed itself, for [`RequestMetrics::record`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RequestRecord {
    latency: Duration,
    operation: Option<Cow<'static, str>>,
    time_to_first_token: Option<Duration>,
    input_tokens: Option<u64>,
    generated_tokens: Option<u64>,
    error: Option<String>,
}

impl RequestRecord {
    /// A request that succeeded after `latency`.
    pub fn success(latency: Duration) -> Self {
        Self {
            latency,
            operation: None,
            time_to_first_token: None,
            input_tokens: None,
            generated_tokens: None,
            error: None,
        }
    }

    /// A request that failed after `latency`, with an error kind of the caller's choosing
    /// (`"timeout"`, `"status_503"`, ...). Keep the set of kinds small: each is a label.
    pub fn failure(latency: Duration, kind: impl Into<String>) -> Self {
        Self {
            error: Some(kind.into()),
            ..Self::success(latency)
        }
    }

    /// When the first token arrived, after the request was sent.
    pub fn time_to_first_token(mut self, ttft: Duration) -> Self {
        self.time_to_first_token = Some(ttft);
        self
    }

    /// How many tokens the answer had (counted for successes only).
    pub fn generated_tokens(mut self, tokens: u64) -> Self {
        self.generated_tokens = Some(tokens);
        self
    }

    /// How many tokens the prompt had (counted for successes only).
    pub fn input_tokens(mut self, tokens: u64) -> Self {
        self.input_tokens = Some(tokens);
        self
    }

    /// The operation the request was (`chat`, `embeddings`, ...), counted by name.
    pub fn operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.operation = Some(operation.into());
        self
    }
}

/// A request in flight: end it with [`success`](Self::success) or [`failure`](Self::failure).
/// Dropping it unended records a failure of kind `"cancelled"`.
#[derive(Debug)]
#[must_use = "dropping the guard records the request as cancelled"]
pub struct InFlight {
    metrics: RequestMetrics,
    started: Instant,
    operation: Option<&'static str>,
    first_token: Option<Duration>,
    input_tokens: Option<u64>,
    finished: bool,
}

impl InFlight {
    /// Marks the arrival of the first token (later calls are ignored).
    pub fn first_token(&mut self) {
        if self.first_token.is_none() {
            self.first_token = Some(self.elapsed());
        }
    }

    /// Sets how many tokens the prompt had, once the server said.
    pub fn input_tokens(&mut self, tokens: u64) {
        self.input_tokens = Some(tokens);
    }

    /// Counts one retry of this request.
    pub fn retry(&self) {
        self.metrics.record_retry();
    }

    /// The time since the request started.
    pub fn elapsed(&self) -> Duration {
        self.metrics
            .inner
            .clock
            .now()
            .saturating_duration_since(self.started)
    }

    /// Ends the request successfully, with the number of tokens generated when known.
    pub fn success(mut self, generated_tokens: Option<u64>) {
        let mut record = RequestRecord::success(self.elapsed());
        record.generated_tokens = generated_tokens;
        self.finish(record);
    }

    /// Ends the request with an error of kind `kind`.
    pub fn failure(mut self, kind: &str) {
        self.finish(RequestRecord::failure(self.elapsed(), kind));
    }

    fn finish(&mut self, mut record: RequestRecord) {
        self.finished = true;
        record.time_to_first_token = self.first_token;
        record.input_tokens = self.input_tokens;
        record.operation = self.operation.map(Cow::Borrowed);
        self.metrics.record(record);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.finished {
            self.finish(RequestRecord::failure(self.elapsed(), CANCELLED));
        }
        self.metrics.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update completes inside one lock; a panic elsewhere leaves valid counts.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
