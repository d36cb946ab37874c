//! The background monitor: a [`HealthChecker`] run on an interval with jitter, in one task that
//! [`HealthMonitor::start`] spawns and dropping the [`MonitorHandle`] stops.

mod checker;

use std::sync::Arc;
use std::time::Duration;

use foundry_resilience::{CircuitBreaker, Clock, JitterRng, TokioClock};
use tokio::sync::watch;
use tokio::task::AbortHandle;

pub use self::checker::{HealthChecker, HealthSnapshot, HealthView};
use crate::probe::Probe;
use crate::state::{HealthConfig, HealthStatus};

/// How often and how patiently a monitor probes, and its state machine's thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct MonitorConfig {
    /// The time between probes (default 5 s).
    pub interval: Duration,
    /// Each wait is the interval times a factor drawn from `[1 - jitter, 1 + jitter]` (default
    /// 0.1), so monitors started together do not probe in lockstep.
    pub jitter: f64,
    /// How long one probe may take before it counts as unreachable (default 3 s).
    pub probe_timeout: Duration,
    /// The state machine's thresholds.
    pub health: HealthConfig,
    /// A seed for the jitter, for repeatable schedules (default: from entropy).
    pub seed: Option<u64>,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
            jitter: 0.1,
            probe_timeout: Duration::from_secs(3),
            health: HealthConfig::default(),
            seed: None,
        }
    }
}

impl MonitorConfig {
    /// Sets the interval between probes.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets the jitter fraction (clamped to `[0, 1]`).
    #[must_use]
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// Sets the probe timeout.
    #[must_use]
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// Sets the state machine's thresholds.
    #[must_use]
    pub fn health(mut self, health: HealthConfig) -> Self {
        self.health = health;
        self
    }

    /// Seeds the jitter.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The wait before the next probe for a draw `unit` in `[0, 1)`.
    fn delay(&self, unit: f64) -> Duration {
        let jitter = self.jitter.clamp(0.0, 1.0);
        self.interval.mul_f64(1.0 + jitter * (2.0 * unit - 1.0))
    }

    /// The longest wait between two probes.
    pub(crate) fn longest_delay(&self) -> Duration {
        self.interval.mul_f64(1.0 + self.jitter.clamp(0.0, 1.0))
    }
}

/// Starts monitors.
#[derive(Debug, Clone, Copy)]
pub struct HealthMonitor;

impl HealthMonitor {
    /// Spawns, on the current tokio runtime, one task that probes now and then every interval
    /// (with jitter), until the returned handle is dropped. Time and sleeps come from tokio's
    /// clock (so a paused test clock drives it).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as `tokio::spawn` does.
    pub fn start(probe: impl Probe + 'static, config: MonitorConfig) -> MonitorHandle {
        Self::start_with_clock(probe, config, Arc::new(TokioClock))
    }

    /// [`start`](Self::start), with time and sleeps from `clock`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as `tokio::spawn` does.
    pub fn start_with_clock(
        probe: impl Probe + 'static,
        config: MonitorConfig,
        clock: Arc<dyn Clock>,
    ) -> MonitorHandle {
        let checker = Arc::new(HealthChecker::new(probe, config, Arc::clone(&clock)));
        let rng = config
            .seed
            .map_or_else(JitterRng::from_entropy, JitterRng::seeded);
        let running = Arc::clone(&checker);
        let task = tokio::spawn(async move {
            loop {
                running.check().await;
                clock.sleep(config.delay(rng.next_f64())).await;
            }
        });
        MonitorHandle {
            checker,
            task: task.abort_handle(),
        }
    }
}

/// A running monitor. Dropping it stops the monitor (a probe in flight is cancelled).
#[derive(Debug)]
pub struct MonitorHandle {
    checker: Arc<HealthChecker>,
    task: AbortHandle,
}

impl MonitorHandle {
    /// Opens `breaker` early while the server is unhealthy: on every unhealthy probe it is
    /// forced open until the next probe can have answered, and at once if the server is
    /// unhealthy now. Once probes pass, the breaker's own rules take over again.
    #[must_use]
    pub fn with_breaker(self, breaker: CircuitBreaker) -> Self {
        self.checker.add_breaker(breaker);
        self
    }

    /// The health now.
    pub fn snapshot(&self) -> HealthSnapshot {
        self.checker.snapshot()
    }

    /// The status now.
    pub fn status(&self) -> HealthStatus {
        self.checker.status()
    }

    /// A receiver of status changes (the current status is its first value).
    pub fn subscribe(&self) -> watch::Receiver<HealthStatus> {
        self.checker.subscribe()
    }

    /// A read-only view, for routing ([`Endpoint::with_health`](crate::Endpoint::with_health));
    /// it does not keep the monitor running.
    pub fn view(&self) -> HealthView {
        self.checker.view()
    }
}

impl Drop for MonitorHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}
