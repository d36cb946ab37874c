//! The circuit breaker: a shared handle over the pure state machine, and its decorator.

mod config;
mod state;
#[cfg(test)]
mod tests;
mod transport;
mod window;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

pub use config::BreakerConfig;
pub use state::{Admission, BreakerMachine, CircuitState, Outcome, Refusal, Transition};
pub use transport::{BreakerTransport, FailurePolicy};

use crate::clock::Clock;
use crate::rejection::Rejection;

/// A circuit breaker shared by every call to one endpoint.
///
/// Cheap to clone. State changes are traced and published on a watch channel
/// ([`subscribe`](Self::subscribe)).
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    machine: Mutex<BreakerMachine>,
    clock: Arc<dyn Clock>,
    changes: watch::Sender<CircuitState>,
}

impl CircuitBreaker {
    /// A closed breaker with these settings, reading time from `clock`.
    pub fn new(config: BreakerConfig, clock: Arc<dyn Clock>) -> Self {
        let (changes, _) = watch::channel(CircuitState::Closed);
        Self {
            inner: Arc::new(Shared {
                machine: Mutex::new(BreakerMachine::new(config)),
                clock,
                changes,
            }),
        }
    }

    /// The current state.
    pub fn state(&self) -> CircuitState {
        self.lock().state(self.inner.clock.now())
    }

    /// A receiver of state changes (the current state is its first value).
    pub fn subscribe(&self) -> watch::Receiver<CircuitState> {
        self.inner.changes.subscribe()
    }

    /// Asks to let a call through; the permit records the call's outcome (or its abandonment
    /// when dropped unrecorded).
    pub fn try_acquire(&self) -> Result<BreakerPermit, Rejection> {
        let (result, transition) = self.lock().try_acquire(self.inner.clock.now());
        self.publish(transition);
        match result {
            Ok(admission) => Ok(BreakerPermit {
                breaker: self.clone(),
                admission: Some(admission),
            }),
            Err(refusal) => Err(Rejection::CircuitOpen {
                retry_after: refusal.retry_after,
            }),
        }
    }

    /// Opens the breaker for `duration` now (an unhealthy endpoint need not wait for failures).
    pub fn force_open(&self, duration: Duration) {
        let transition = self.lock().force_open(self.inner.clock.now(), duration);
        self.publish(transition);
    }

    /// Opens the breaker until [`reset`](Self::reset).
    pub fn isolate(&self) {
        let transition = self.lock().isolate();
        self.publish(transition);
    }

    /// Closes the breaker and forgets its history.
    pub fn reset(&self) {
        let transition = self.lock().reset();
        self.publish(transition);
    }

    fn record(&self, admission: Admission, outcome: Outcome) {
        let transition = self
            .lock()
            .record(admission, outcome, self.inner.clock.now());
        self.publish(transition);
    }

    fn publish(&self, transition: Option<Transition>) {
        if let Some(Transition { from, to }) = transition {
            tracing::info!(?from, ?to, "circuit breaker state changed");
            self.inner.changes.send_replace(to);
        }
    }

    fn lock(&self) -> MutexGuard<'_, BreakerMachine> {
        // Every transition completes inside one lock; a panic elsewhere leaves a valid state.
        self.inner
            .machine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A call the breaker admitted. Record its outcome; dropping it unrecorded counts as abandoned.
#[derive(Debug)]
pub struct BreakerPermit {
    breaker: CircuitBreaker,
    admission: Option<Admission>,
}

impl BreakerPermit {
    /// Records how the call ended.
    pub fn record(mut self, outcome: Outcome) {
        if let Some(admission) = self.admission.take() {
            self.breaker.record(admission, outcome);
        }
    }
}

impl Drop for BreakerPermit {
    fn drop(&mut self) {
        if let Some(admission) = self.admission.take() {
            self.breaker.record(admission, Outcome::Abandoned);
        }
    }
}
