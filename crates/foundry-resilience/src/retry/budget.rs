//! A retry budget shared by every call to one endpoint, so a failing server gets a trickle of
//! retries instead of a storm.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket: each first attempt deposits `ratio` tokens, time adds `floor_per_second`
/// tokens, each retry withdraws one, and the bucket never holds more than `capacity`.
///
/// With the defaults (20 % of traffic, one retry per second as a floor, at most 10 saved up) a
/// server that fails everything sees at most 1.2× its normal traffic plus one request per second,
/// as Finagle's and tower's budgets allow.
#[derive(Debug)]
pub struct RetryBudget {
    config: BudgetConfig,
    state: Mutex<BudgetState>,
}

/// The settings of a [`RetryBudget`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct BudgetConfig {
    /// Tokens each first attempt deposits (0.2 = retries may add 20 % to the traffic).
    pub ratio: f64,
    /// Tokens that accrue per second regardless of traffic, so a quiet client can still retry.
    pub floor_per_second: f64,
    /// The most tokens the bucket holds (the largest burst of retries).
    pub capacity: f64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            ratio: 0.2,
            floor_per_second: 1.0,
            capacity: 10.0,
        }
    }
}

with_setters!(BudgetConfig {
    /// Sets [`ratio`](Self::ratio).
    with_ratio => ratio: f64,
    /// Sets [`floor_per_second`](Self::floor_per_second).
    with_floor_per_second => floor_per_second: f64,
    /// Sets [`capacity`](Self::capacity).
    with_capacity => capacity: f64,
});

#[derive(Debug)]
struct BudgetState {
    tokens: f64,
    refilled_at: Option<Instant>,
}

impl RetryBudget {
    /// A budget that starts full.
    pub fn new(config: BudgetConfig) -> Self {
        let capacity = config.capacity.max(0.0);
        Self {
            config,
            state: Mutex::new(BudgetState {
                tokens: capacity,
                refilled_at: None,
            }),
        }
    }

    /// A budget that never runs out (for tests and callers who bound retries otherwise).
    pub fn unlimited() -> Self {
        Self::new(BudgetConfig {
            ratio: 0.0,
            floor_per_second: 0.0,
            capacity: f64::INFINITY,
        })
    }

    /// Records a first attempt.
    pub fn deposit(&self, now: Instant) {
        let mut state = self.lock();
        self.refill(&mut state, now);
        state.tokens = (state.tokens + self.config.ratio).min(self.config.capacity);
    }

    /// Takes one retry from the budget; `false` when it is spent.
    pub fn try_withdraw(&self, now: Instant) -> bool {
        let mut state = self.lock();
        self.refill(&mut state, now);
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The tokens available now (whole retries are `floor` of it).
    pub fn available(&self, now: Instant) -> f64 {
        let mut state = self.lock();
        self.refill(&mut state, now);
        state.tokens
    }

    fn refill(&self, state: &mut BudgetState, now: Instant) {
        let elapsed = state
            .refilled_at
            .map_or(Duration::ZERO, |then| now.saturating_duration_since(then));
        state.tokens = (state.tokens + elapsed.as_secs_f64() * self.config.floor_per_second)
            .min(self.config.capacity);
        state.refilled_at = Some(now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BudgetState> {
        // The state is two numbers; a panic elsewhere cannot leave them inconsistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self::new(BudgetConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_spent_budget_refuses_until_traffic_or_time_refills_it() {
        let t0 = Instant::now();
        let budget = RetryBudget::new(BudgetConfig {
            ratio: 0.5,
            floor_per_second: 1.0,
            capacity: 2.0,
        });
        assert!(budget.try_withdraw(t0) && budget.try_withdraw(t0));
        assert!(!budget.try_withdraw(t0));
        budget.deposit(t0);
        budget.deposit(t0);
        assert!(
            budget.try_withdraw(t0),
            "two first attempts at 0.5 buy one retry"
        );
        assert!(!budget.try_withdraw(t0));
        assert!(
            budget.try_withdraw(t0 + Duration::from_secs(1)),
            "the floor refills one per second"
        );
    }

    proptest! {
        #[test]
        fn never_allows_more_retries_than_it_holds(ops in proptest::collection::vec((any::<bool>(), 0u64..3000), 1..300)) {
            let config = BudgetConfig { ratio: 0.2, floor_per_second: 1.0, capacity: 10.0 };
            let budget = RetryBudget::new(config);
            let t0 = Instant::now();
            let (mut now, mut deposits, mut withdrawn) = (t0, 0u32, 0u32);
            for (is_retry, advance_ms) in ops {
                now += Duration::from_millis(advance_ms);
                if is_retry {
                    withdrawn += u32::from(budget.try_withdraw(now));
                } else {
                    budget.deposit(now);
                    deposits += 1;
                }
                let earned = config.capacity + f64::from(deposits) * config.ratio
                    + now.duration_since(t0).as_secs_f64() * config.floor_per_second;
                prop_assert!(f64::from(withdrawn) <= earned + 1e-9);
                prop_assert!(budget.available(now) <= config.capacity);
            }
        }
    }
}
