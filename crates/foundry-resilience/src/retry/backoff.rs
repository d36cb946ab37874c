//! Exponential backoff with multiplicative jitter.

use std::time::Duration;

/// How long to wait before each retry: `initial · multiplier^(retry-1)`, capped at `max`, then
/// multiplied by a jitter factor drawn from `(1 - jitter, 1]`.
///
/// The defaults are openai-python's: 0.5 s doubling to 8 s, jitter factor in (0.75, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The delay before the first retry (before jitter).
    pub initial: Duration,
    /// The largest delay (before jitter).
    pub max: Duration,
    /// Growth per retry.
    pub multiplier: f64,
    /// The fraction jitter may take off: 0.25 draws factors from (0.75, 1].
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(8),
            multiplier: 2.0,
            jitter: 0.25,
        }
    }
}

impl Backoff {
    /// A backoff from `initial` to `max`, doubling, with the default jitter.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            ..Self::default()
        }
    }

    /// The delay before retry number `retry` (1 for the first retry), given a uniform sample
    /// `u` in `[0, 1)`. Never exceeds `max` and never falls below `(1 - jitter) · base`.
    pub fn delay(&self, retry: u32, u: f64) -> Duration {
        let exponent = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
        let growth = self.multiplier.max(1.0).powi(exponent);
        let max = self.max.as_secs_f64();
        // A huge retry number makes `growth` infinite: the cap applies (0 · ∞ must stay 0).
        let capped = if self.initial.is_zero() {
            0.0
        } else {
            (self.initial.as_secs_f64() * growth).min(max)
        };
        let jitter = self.jitter.clamp(0.0, 1.0);
        // u in [0, 1) maps to a factor in (1 - jitter, 1].
        let factor = 1.0 - jitter * u.clamp(0.0, 1.0);
        Duration::try_from_secs_f64(capped * factor).unwrap_or(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_half_a_second_to_eight() {
        let backoff = Backoff::default();
        let delays: Vec<f64> = (1..=7)
            .map(|n| backoff.delay(n, 0.0).as_secs_f64())
            .collect();
        assert_eq!(delays, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]);
    }

    #[test]
    fn jitter_takes_at_most_a_quarter() {
        let backoff = Backoff::default();
        let low = backoff.delay(1, 0.999_999).as_secs_f64();
        assert!(low > 0.375 && low <= 0.5, "{low}");
    }

    proptest::proptest! {
        #[test]
        fn every_delay_stays_within_its_bounds(
            initial_ms in 0u64..5_000,
            max_ms in 0u64..120_000,
            multiplier in 1.0f64..4.0,
            jitter in 0.0f64..1.0,
            retry in 1u32..100,
            u in 0.0f64..1.0,
        ) {
            let backoff = Backoff { initial: Duration::from_millis(initial_ms), max: Duration::from_millis(max_ms), multiplier, jitter };
            let delay = backoff.delay(retry, u).as_secs_f64();
            let base = (initial_ms as f64 / 1000.0 * multiplier.powi(retry as i32 - 1)).min(max_ms as f64 / 1000.0);
            proptest::prop_assert!(delay <= base + 1e-9 && delay <= max_ms as f64 / 1000.0 + 1e-9);
            proptest::prop_assert!(delay >= base * (1.0 - jitter) - 1e-9);
        }
    }

    #[test]
    fn huge_retry_numbers_stay_capped() {
        assert_eq!(
            Backoff::default().delay(u32::MAX, 0.0),
            Duration::from_secs(8)
        );
    }
}
