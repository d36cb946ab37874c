//! The health state machine: probe results in, a status with hysteresis out. Pure: `now` is an
//! argument, and nothing here reads a clock.

use std::time::{Duration, Instant};

use crate::report::{ProbeOutcome, ProbeReport};

/// The health of a server, as the probes have seen it over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HealthStatus {
    /// Not serving yet: no probe has answered, or the server says it is loading.
    Starting,
    /// Serving, fast, every check passing.
    Healthy,
    /// Serving, but slow or with some checks failing.
    Degraded,
    /// Not serving: several probes in a row failed.
    Unhealthy,
}

impl HealthStatus {
    /// Whether requests should be sent to the server (healthy or degraded).
    pub fn is_available(self) -> bool {
        matches!(self, Self::Healthy | Self::Degraded)
    }
}

/// The thresholds of the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthConfig {
    /// Failed probes in a row that make a server unhealthy (default 3, as Kubernetes'
    /// `failureThreshold`). Fewer make a healthy server degraded.
    pub failures_to_unhealthy: u32,
    /// Good probes in a row that bring a degraded or unhealthy server back to healthy
    /// (default 2).
    pub successes_to_recover: u32,
    /// A probe slower than this counts as degraded (default 1 s).
    pub slow_threshold: Duration,
    /// A server that stays starting longer than this becomes unhealthy (default: never; model
    /// loads can take minutes).
    pub max_starting: Option<Duration>,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            failures_to_unhealthy: 3,
            successes_to_recover: 2,
            slow_threshold: Duration::from_secs(1),
            max_starting: None,
        }
    }
}

impl HealthConfig {
    /// Sets [`failures_to_unhealthy`](Self::failures_to_unhealthy) (at least 1).
    #[must_use]
    pub fn failures_to_unhealthy(mut self, n: u32) -> Self {
        self.failures_to_unhealthy = n.max(1);
        self
    }

    /// Sets [`successes_to_recover`](Self::successes_to_recover) (at least 1).
    #[must_use]
    pub fn successes_to_recover(mut self, n: u32) -> Self {
        self.successes_to_recover = n.max(1);
        self
    }

    /// Sets [`slow_threshold`](Self::slow_threshold).
    #[must_use]
    pub fn slow_threshold(mut self, threshold: Duration) -> Self {
        self.slow_threshold = threshold;
        self
    }

    /// Sets [`max_starting`](Self::max_starting).
    #[must_use]
    pub fn max_starting(mut self, limit: Option<Duration>) -> Self {
        self.max_starting = limit;
        self
    }
}

/// What one probe says, as the state machine reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Observation {
    /// Ready and fast.
    Good,
    /// Ready, but slow or with a secondary check failing.
    Degraded,
    /// The server says it is starting.
    Starting,
    /// No answer, or an error.
    Failed,
}

impl Observation {
    /// Reads a probe report with `config`'s slow threshold.
    pub fn of(report: &ProbeReport, config: &HealthConfig) -> Self {
        match report.outcome {
            ProbeOutcome::Ready if report.latency > config.slow_threshold => Self::Degraded,
            ProbeOutcome::Ready => Self::Good,
            ProbeOutcome::Partial => Self::Degraded,
            ProbeOutcome::Starting => Self::Starting,
            _ => Self::Failed,
        }
    }
}

/// A change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthTransition {
    /// The status before.
    pub from: HealthStatus,
    /// The status after.
    pub to: HealthStatus,
    /// When it changed.
    pub at: Instant,
}

/// The state machine.
///
/// - A failure counts towards [`failures_to_unhealthy`](HealthConfig::failures_to_unhealthy);
///   the first one already makes a healthy server degraded.
/// - A slow or partial answer makes a starting or healthy server degraded at once.
/// - "Starting" from the server makes it starting at once (it restarted, or loads a model).
/// - Coming back takes [`successes_to_recover`](HealthConfig::successes_to_recover) answers in a
///   row: good ones to become healthy; from unhealthy, answers that are merely degraded lead
///   to degraded. The exception is a starting server: its first good answer makes it healthy,
///   since there is no failure to be wary of.
#[derive(Debug, Clone)]
pub struct HealthMachine {
    config: HealthConfig,
    status: HealthStatus,
    since: Instant,
    failures: u32,
    /// Answers in a row that were not failures (good or degraded).
    answers: u32,
    /// Good answers in a row.
    goods: u32,
    /// Unhealthy because it stayed starting longer than `max_starting`.
    starting_overdue: bool,
}

impl HealthMachine {
    /// A machine in [`Starting`](HealthStatus::Starting) since `now`.
    pub fn new(config: HealthConfig, now: Instant) -> Self {
        Self {
            config,
            status: HealthStatus::Starting,
            since: now,
            failures: 0,
            answers: 0,
            goods: 0,
            starting_overdue: false,
        }
    }

    /// The current status.
    pub fn status(&self) -> HealthStatus {
        self.status
    }

    /// When the current status began.
    pub fn since(&self) -> Instant {
        self.since
    }

    /// Failed probes in a row.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }

    /// Good probes in a row.
    pub fn consecutive_successes(&self) -> u32 {
        self.goods
    }

    /// The thresholds.
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// Takes in one observation made at `now`; returns the change of status, if any.
    pub fn observe(&mut self, observation: Observation, now: Instant) -> Option<HealthTransition> {
        use HealthStatus::{Degraded, Healthy, Starting, Unhealthy};
        let recover = self.config.successes_to_recover.max(1);
        if observation != Observation::Starting {
            self.starting_overdue = false;
        }
        let next = match observation {
            Observation::Failed => {
                self.failures = self.failures.saturating_add(1);
                self.answers = 0;
                self.goods = 0;
                if self.failures >= self.config.failures_to_unhealthy.max(1) {
                    Unhealthy
                } else if self.status == Healthy {
                    Degraded
                } else {
                    self.status
                }
            }
            Observation::Starting => {
                self.failures = 0;
                self.answers = 0;
                self.goods = 0;
                let overdue = self.config.max_starting.is_some_and(|limit| {
                    self.status == Starting && now.saturating_duration_since(self.since) >= limit
                });
                // Once overdue, further "starting" answers keep it unhealthy rather than
                // restarting the count.
                self.starting_overdue |= overdue;
                if self.starting_overdue {
                    Unhealthy
                } else {
                    Starting
                }
            }
            Observation::Good => {
                self.failures = 0;
                self.answers = self.answers.saturating_add(1);
                self.goods = self.goods.saturating_add(1);
                match self.status {
                    Starting | Healthy => Healthy,
                    _ if self.goods >= recover => Healthy,
                    Unhealthy if self.answers >= recover => Degraded,
                    other => other,
                }
            }
            Observation::Degraded => {
                self.failures = 0;
                self.answers = self.answers.saturating_add(1);
                self.goods = 0;
                match self.status {
                    Starting | Healthy | Degraded => Degraded,
                    Unhealthy if self.answers >= recover => Degraded,
                    Unhealthy => Unhealthy,
                }
            }
        };
        self.move_to(next, now)
    }

    fn move_to(&mut self, next: HealthStatus, now: Instant) -> Option<HealthTransition> {
        if next == self.status {
            return None;
        }
        let transition = HealthTransition {
            from: self.status,
            to: next,
            at: now,
        };
        self.status = next;
        self.since = now;
        Some(transition)
    }
}

#[cfg(test)]
mod tests;
