//! The settings of a circuit breaker.

use std::time::Duration;

/// When a circuit breaker opens, and for how long.
///
/// The defaults suit one local server: open after 5 consecutive failures, or when at least half
/// of at least 10 calls in the last 30 s failed; stay open 5 s, doubling on each reopening up to
/// 60 s; then let a single probe through.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct BreakerConfig {
    /// Open after this many failures in a row (0 disables the rule).
    pub consecutive_failures: u32,
    /// Open when the failure ratio over the window reaches this (with enough calls).
    pub failure_ratio: f64,
    /// The fewest calls in the window for the ratio rule to apply.
    pub minimum_throughput: u32,
    /// The sliding window of the ratio rule (kept in 10 buckets).
    pub sampling_window: Duration,
    /// How long the breaker stays open the first time.
    pub break_duration: Duration,
    /// Each reopening without a success in between multiplies the break by this.
    pub break_growth: f64,
    /// The longest break.
    pub max_break_duration: Duration,
    /// How many probes may be in flight while half-open.
    pub half_open_permits: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            consecutive_failures: 5,
            failure_ratio: 0.5,
            minimum_throughput: 10,
            sampling_window: Duration::from_secs(30),
            break_duration: Duration::from_secs(5),
            break_growth: 2.0,
            max_break_duration: Duration::from_secs(60),
            half_open_permits: 1,
        }
    }
}

impl BreakerConfig {
    /// The break after the breaker has opened `reopenings` times in a row (0 for the first).
    pub fn break_for(&self, reopenings: u32) -> Duration {
        let factor = self.break_growth.max(1.0).powi(reopenings.min(64) as i32);
        let secs = self.break_duration.as_secs_f64() * factor;
        Duration::try_from_secs_f64(secs)
            .unwrap_or(self.max_break_duration)
            .min(self.max_break_duration)
    }
}

with_setters!(BreakerConfig {
    /// Sets [`consecutive_failures`](Self::consecutive_failures).
    with_consecutive_failures => consecutive_failures: u32,
    /// Sets [`failure_ratio`](Self::failure_ratio).
    with_failure_ratio => failure_ratio: f64,
    /// Sets [`minimum_throughput`](Self::minimum_throughput).
    with_minimum_throughput => minimum_throughput: u32,
    /// Sets [`sampling_window`](Self::sampling_window).
    with_sampling_window => sampling_window: Duration,
    /// Sets [`break_duration`](Self::break_duration).
    with_break_duration => break_duration: Duration,
    /// Sets [`break_growth`](Self::break_growth).
    with_break_growth => break_growth: f64,
    /// Sets [`max_break_duration`](Self::max_break_duration).
    with_max_break_duration => max_break_duration: Duration,
    /// Sets [`half_open_permits`](Self::half_open_permits).
    with_half_open_permits => half_open_permits: u32,
});
