//! One probe through the state machine, published to whoever watches: [`HealthChecker`] and the
//! read-only [`HealthView`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use foundry_resilience::{CircuitBreaker, Clock};
use tokio::sync::watch;

use super::MonitorConfig;
use crate::probe::Probe;
use crate::report::ProbeReport;
use crate::state::{HealthMachine, HealthStatus, Observation};

/// The health of a server at one moment.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HealthSnapshot {
    /// The status.
    pub status: HealthStatus,
    /// When the status began, on the monitor's clock.
    pub since: Instant,
    /// The last probe's report (`None` before the first probe).
    pub last_report: Option<ProbeReport>,
    /// When the last probe ended.
    pub checked_at: Option<Instant>,
    /// Failed probes in a row.
    pub consecutive_failures: u32,
    /// Good probes in a row.
    pub consecutive_successes: u32,
    /// Probes so far.
    pub probes: u64,
}

/// What a checker shares with its views.
#[derive(Debug)]
pub(super) struct Shared {
    snapshots: watch::Sender<HealthSnapshot>,
    statuses: watch::Sender<HealthStatus>,
    breakers: Mutex<Vec<CircuitBreaker>>,
}

/// A read-only, clonable view of a checker's or monitor's health, for whoever routes by it (see
/// [`Endpoint::with_health`](crate::Endpoint::with_health)). It does not keep a monitor running:
/// once the monitor is dropped, the view shows the last health it published.
#[derive(Debug, Clone)]
pub struct HealthView {
    shared: Arc<Shared>,
}

impl HealthView {
    /// The status now.
    pub fn status(&self) -> HealthStatus {
        self.shared.snapshots.borrow().status
    }

    /// The whole snapshot now.
    pub fn snapshot(&self) -> HealthSnapshot {
        self.shared.snapshots.borrow().clone()
    }

    /// A receiver of status changes: its value changes only when the status does.
    pub fn subscribe(&self) -> watch::Receiver<HealthStatus> {
        self.shared.statuses.subscribe()
    }

    /// A receiver of every snapshot, one per probe.
    pub fn subscribe_snapshots(&self) -> watch::Receiver<HealthSnapshot> {
        self.shared.snapshots.subscribe()
    }
}

/// Runs a probe and feeds its report to the state machine, one check per call, on no schedule
/// of its own: [`HealthMonitor`](crate::HealthMonitor) calls it on an interval, and callers with
/// their own schedule (or tests) call [`check`](Self::check) directly.
#[derive(Debug)]
pub struct HealthChecker {
    probe: Arc<dyn Probe>,
    clock: Arc<dyn Clock>,
    probe_timeout: Duration,
    /// How long an unhealthy check keeps the breakers open: until the next check can have
    /// answered, so they stay open for as long as the checks fail.
    open_for: Duration,
    state: Mutex<(HealthMachine, u64)>,
    shared: Arc<Shared>,
}

impl HealthChecker {
    /// A checker of `probe` with `config`'s thresholds and probe timeout, on `clock`.
    pub fn new(probe: impl Probe + 'static, config: MonitorConfig, clock: Arc<dyn Clock>) -> Self {
        let now = clock.now();
        let machine = HealthMachine::new(config.health, now);
        let (snapshots, _) = watch::channel(HealthSnapshot {
            status: machine.status(),
            since: now,
            last_report: None,
            checked_at: None,
            consecutive_failures: 0,
            consecutive_successes: 0,
            probes: 0,
        });
        let (statuses, _) = watch::channel(machine.status());
        Self {
            probe: Arc::new(probe),
            clock,
            probe_timeout: config.probe_timeout,
            open_for: config.longest_delay() + config.probe_timeout,
            state: Mutex::new((machine, 0)),
            shared: Arc::new(Shared {
                snapshots,
                statuses,
                breakers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Opens `breaker` early whenever a check finds the server unhealthy (see
    /// [`add_breaker`](Self::add_breaker)).
    #[must_use]
    pub fn with_breaker(self, breaker: CircuitBreaker) -> Self {
        self.add_breaker(breaker);
        self
    }

    /// Opens `breaker` (with [`CircuitBreaker::force_open`]) whenever a check finds the server
    /// unhealthy, for as long as until the next check can have answered; at once if it is
    /// unhealthy now.
    pub fn add_breaker(&self, breaker: CircuitBreaker) {
        if self.status() == HealthStatus::Unhealthy {
            breaker.force_open(self.open_for);
        }
        lock(&self.shared.breakers).push(breaker);
    }

    /// Probes once (giving up after the probe timeout), updates the status and publishes the
    /// snapshot.
    pub async fn check(&self) -> HealthSnapshot {
        let report = tokio::select! {
            biased;
            report = self.probe.probe() => report,
            () = self.clock.sleep(self.probe_timeout) => ProbeReport::timed_out(self.probe_timeout),
        };
        let now = self.clock.now();
        let (snapshot, transition) = {
            let mut state = lock(&self.state);
            let (machine, probes) = &mut *state;
            let observation = Observation::of(&report, machine.config());
            let transition = machine.observe(observation, now);
            *probes += 1;
            let snapshot = HealthSnapshot {
                status: machine.status(),
                since: machine.since(),
                last_report: Some(report),
                checked_at: Some(now),
                consecutive_failures: machine.consecutive_failures(),
                consecutive_successes: machine.consecutive_successes(),
                probes: *probes,
            };
            (snapshot, transition)
        };
        if let Some(transition) = transition {
            tracing::info!(from = ?transition.from, to = ?transition.to, "health changed");
            self.shared.statuses.send_replace(transition.to);
        }
        self.shared.snapshots.send_replace(snapshot.clone());
        if snapshot.status == HealthStatus::Unhealthy {
            for breaker in lock(&self.shared.breakers).iter() {
                breaker.force_open(self.open_for);
            }
        }
        snapshot
    }

    /// The status now.
    pub fn status(&self) -> HealthStatus {
        self.view().status()
    }

    /// The snapshot of the last check.
    pub fn snapshot(&self) -> HealthSnapshot {
        self.view().snapshot()
    }

    /// A receiver of status changes.
    pub fn subscribe(&self) -> watch::Receiver<HealthStatus> {
        self.shared.statuses.subscribe()
    }

    /// A read-only view, for routing.
    pub fn view(&self) -> HealthView {
        HealthView {
            shared: Arc::clone(&self.shared),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each update completes inside one lock; a panic elsewhere leaves a valid state.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
