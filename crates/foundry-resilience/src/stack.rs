//! One builder that composes the decorators in the right order with sane defaults.
//!
//! The order, outermost first: **limit → retry (owns the overall deadline) → breaker →
//! transport (per-attempt timers)**.
//! - The limit is outermost so a call keeps its slot across its retries: retries never jump the
//!   queue, and the server never sees more than N requests of ours, retries included.
//! - Retry sits above the breaker so every attempt is counted by the breaker, and an open breaker
//!   fails the call at once (a rejection is never retried: failing fast is the breaker's point).
//! - The deadline lives in retry, so no retry can extend it; each attempt gets what remains as its
//!   transport deadline, and the transport's own timers (connect, first byte, idle) bound each
//!   attempt.

use std::sync::Arc;

use foundry_transport::SharedTransport;

use crate::breaker::{BreakerConfig, BreakerTransport, CircuitBreaker};
use crate::clock::{Clock, TokioClock};
use crate::limit::{ConcurrencyLimit, LimitConfig, LimitTransport};
use crate::retry::{BudgetConfig, RetryBudget, RetryPolicy, RetryTransport};
use crate::rng::JitterRng;

/// Composes retry, circuit breaker and concurrency limit over a transport.
#[derive(Debug, Clone)]
#[must_use]
pub struct ResilienceBuilder {
    retry: Option<RetryPolicy>,
    budget: BudgetConfig,
    breaker: Option<BreakerConfig>,
    limit: Option<LimitConfig>,
    clock: Arc<dyn Clock>,
    seed: Option<u64>,
}

impl Default for ResilienceBuilder {
    /// Every layer on with its defaults: 3 retries, the default breaker, 4 in flight with a queue of 1,024.
    fn default() -> Self {
        Self {
            retry: Some(RetryPolicy::default()),
            budget: BudgetConfig::default(),
            breaker: Some(BreakerConfig::default()),
            limit: Some(LimitConfig::foundry()),
            clock: Arc::new(TokioClock),
            seed: None,
        }
    }
}

impl ResilienceBuilder {
    /// Every layer on with its defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the retry policy (`None` turns retries off).
    pub fn retry(mut self, policy: impl Into<Option<RetryPolicy>>) -> Self {
        self.retry = policy.into();
        self
    }

    /// Sets the retry budget.
    pub fn budget(mut self, budget: BudgetConfig) -> Self {
        self.budget = budget;
        self
    }

    /// Sets the circuit breaker (`None` turns it off).
    pub fn breaker(mut self, config: impl Into<Option<BreakerConfig>>) -> Self {
        self.breaker = config.into();
        self
    }

    /// Sets the concurrency limit (`None` turns it off).
    pub fn limit(mut self, config: impl Into<Option<LimitConfig>>) -> Self {
        self.limit = config.into();
        self
    }

    /// Sets the clock (tests pass one they control).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Seeds the jitter (for repeatable tests).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Wraps `inner` in the configured layers, each a decorator over the next:
    /// [`LimitTransport`] over [`RetryTransport`] over [`BreakerTransport`] over `inner`.
    pub fn build(self, inner: SharedTransport) -> Resilient {
        let breaker = self
            .breaker
            .map(|config| CircuitBreaker::new(config, self.clock.clone()));
        let budget = Arc::new(RetryBudget::new(self.budget));
        let limit = self
            .limit
            .map(|config| Arc::new(ConcurrencyLimit::new(config, self.clock.clone())));

        let mut transport = inner;
        if let Some(breaker) = &breaker {
            transport = SharedTransport::new(BreakerTransport::new(transport, breaker.clone()));
        }
        if let Some(policy) = self.retry {
            let rng = self
                .seed
                .map_or_else(JitterRng::from_entropy, JitterRng::seeded);
            transport = SharedTransport::new(RetryTransport::new(
                transport,
                policy,
                budget.clone(),
                self.clock.clone(),
                Arc::new(rng),
            ));
        }
        if let Some(limit) = &limit {
            transport = SharedTransport::new(LimitTransport::new(transport, limit.clone()));
        }
        Resilient {
            transport,
            breaker,
            limit,
            budget,
        }
    }
}

/// A transport wrapped in resilience layers, with handles to observe and steer them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Resilient {
    /// The decorated transport: send requests through this.
    pub transport: SharedTransport,
    /// The circuit breaker, when on.
    pub breaker: Option<CircuitBreaker>,
    /// The concurrency limit, when on.
    pub limit: Option<Arc<ConcurrencyLimit>>,
    /// The retry budget.
    pub budget: Arc<RetryBudget>,
}
