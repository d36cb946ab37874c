//! One recorded quantity: an HDR histogram plus the exact sum (Prometheus summaries need it, and
//! the histogram only keeps values to three significant digits).

use std::time::Duration;

use hdrhistogram::Histogram;

use super::snapshot::{LatencySummary, RateSummary};

/// Three significant digits: a 0.1 % error on any percentile, in about 50 KiB per series.
const SIGNIFICANT_DIGITS: u8 = 3;

/// Durations are kept in microseconds, up to an hour.
const MAX_MICROS: u64 = 3_600_000_000;

/// Rates are kept in thousandths of a token per second, up to a million tokens per second.
const RATE_SCALE: f64 = 1000.0;
const MAX_MILLI_RATE: u64 = 1_000_000_000;

#[derive(Debug)]
pub(super) struct Series {
    histogram: Histogram<u64>,
    /// The exact sum of the recorded values, in the series' unit (seconds or tokens/s).
    sum: f64,
    /// The exact extremes of recorded durations (the histogram rounds them).
    min: Duration,
    max: Duration,
}

impl Series {
    fn with_max(max: u64) -> Self {
        let histogram = Histogram::new_with_bounds(1, max, SIGNIFICANT_DIGITS)
            .expect("constant bounds: low 1, high well over 2, 3 significant digits");
        Self {
            histogram,
            sum: 0.0,
            min: Duration::MAX,
            max: Duration::ZERO,
        }
    }

    pub(super) fn durations() -> Self {
        Self::with_max(MAX_MICROS)
    }

    pub(super) fn rates() -> Self {
        Self::with_max(MAX_MILLI_RATE)
    }

    pub(super) fn record_duration(&mut self, value: Duration) {
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        // Values beyond the bounds are clamped, never dropped: an hour-long request still counts.
        self.histogram
            .saturating_record(micros.clamp(1, MAX_MICROS));
        self.sum += value.as_secs_f64();
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    pub(super) fn record_rate(&mut self, per_second: f64) {
        if !per_second.is_finite() || per_second < 0.0 {
            return;
        }
        let scaled = (per_second * RATE_SCALE).round() as u64;
        self.histogram
            .saturating_record(scaled.clamp(1, MAX_MILLI_RATE));
        self.sum += per_second;
    }

    pub(super) fn latency_summary(&self) -> Option<LatencySummary> {
        let h = &self.histogram;
        let count = h.len();
        (count > 0).then(|| {
            let at = |quantile: f64| Duration::from_micros(h.value_at_quantile(quantile));
            LatencySummary {
                count,
                sum: Duration::from_secs_f64(self.sum),
                min: self.min,
                max: self.max,
                mean: Duration::from_secs_f64(self.sum / count as f64),
                p50: at(0.5),
                p90: at(0.9),
                p99: at(0.99),
            }
        })
    }

    pub(super) fn rate_summary(&self) -> Option<RateSummary> {
        let h = &self.histogram;
        let count = h.len();
        (count > 0).then(|| {
            let at = |quantile: f64| h.value_at_quantile(quantile) as f64 / RATE_SCALE;
            RateSummary {
                count,
                sum: self.sum,
                mean: self.sum / count as f64,
                p50: at(0.5),
                p90: at(0.9),
                p99: at(0.99),
            }
        })
    }
}
