//! The circuit breaker's pure state machine: no clock, no locks — `now` is an argument.

use std::time::{Duration, Instant};

use super::config::BreakerConfig;
use super::window::Window;

/// The state of a circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CircuitState {
    /// Calls pass; outcomes are counted.
    Closed,
    /// Calls are rejected until the break ends.
    Open,
    /// A limited number of probes may pass; their outcome closes or reopens the breaker.
    HalfOpen,
    /// Opened by hand; only [`reset`](crate::CircuitBreaker::reset) closes it.
    Isolated,
}

/// How a call ended, as far as the breaker is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The server answered (any status the policy does not count as a failure).
    Success,
    /// The call failed in a way the policy counts (connect error, timeout, 5xx by default).
    Failure,
    /// The call was abandoned before it ended (cancelled): it says nothing about the server.
    Abandoned,
}

/// A call the breaker let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    probe: bool,
}

/// Why the breaker refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The state that refused.
    pub state: CircuitState,
    /// When the breaker will let a probe through, if known.
    pub retry_after: Option<Duration>,
}

/// A change of state, for observers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: CircuitState,
    /// The state after.
    pub to: CircuitState,
}

/// The breaker's state machine.
#[derive(Debug, Clone)]
pub struct BreakerMachine {
    config: BreakerConfig,
    state: CircuitState,
    window: Window,
    consecutive_failures: u32,
    open_until: Option<Instant>,
    reopenings: u32,
    probes_in_flight: u32,
}

impl BreakerMachine {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            window: Window::new(config.sampling_window),
            config,
            state: CircuitState::Closed,
            consecutive_failures: 0,
            open_until: None,
            reopenings: 0,
            probes_in_flight: 0,
        }
    }

    /// The current state (an open breaker whose break is over reads as half-open).
    pub fn state(&self, now: Instant) -> CircuitState {
        match (self.state, self.open_until) {
            (CircuitState::Open, Some(until)) if now >= until => CircuitState::HalfOpen,
            (state, _) => state,
        }
    }

    /// How many probes are in flight.
    pub fn probes_in_flight(&self) -> u32 {
        self.probes_in_flight
    }

    /// Asks to let a call through.
    pub fn try_acquire(
        &mut self,
        now: Instant,
    ) -> (Result<Admission, Refusal>, Option<Transition>) {
        let mut transition = None;
        if self.state == CircuitState::Open && self.open_until.is_some_and(|until| now >= until) {
            transition = self.move_to(CircuitState::HalfOpen);
        }
        let result = match self.state {
            CircuitState::Closed => Ok(Admission { probe: false }),
            CircuitState::HalfOpen if self.probes_in_flight < self.config.half_open_permits => {
                self.probes_in_flight += 1;
                Ok(Admission { probe: true })
            }
            CircuitState::HalfOpen => Err(Refusal {
                state: CircuitState::HalfOpen,
                retry_after: None,
            }),
            CircuitState::Open => Err(Refusal {
                state: CircuitState::Open,
                retry_after: self
                    .open_until
                    .map(|until| until.saturating_duration_since(now)),
            }),
            CircuitState::Isolated => Err(Refusal {
                state: CircuitState::Isolated,
                retry_after: None,
            }),
        };
        (result, transition)
    }

    /// Records how an admitted call ended.
    pub fn record(
        &mut self,
        admission: Admission,
        outcome: Outcome,
        now: Instant,
    ) -> Option<Transition> {
        if admission.probe {
            self.probes_in_flight = self.probes_in_flight.saturating_sub(1);
            if self.state != CircuitState::HalfOpen {
                return None; // Reset or isolated meanwhile: the probe's answer is stale.
            }
            return match outcome {
                Outcome::Success => {
                    self.reopenings = 0;
                    self.close()
                }
                Outcome::Failure => {
                    self.reopenings = self.reopenings.saturating_add(1);
                    self.open(now)
                }
                Outcome::Abandoned => None, // The permit is free again for another probe.
            };
        }
        if self.state != CircuitState::Closed || outcome == Outcome::Abandoned {
            return None; // Late results never re-trip an open breaker nor extend its break.
        }
        let failed = outcome == Outcome::Failure;
        self.window.record(failed, now);
        self.consecutive_failures = if failed {
            self.consecutive_failures.saturating_add(1)
        } else {
            0
        };
        if failed && self.should_trip(now) {
            self.open(now)
        } else {
            None
        }
    }

    /// Opens the breaker now for `duration` (for example because health checks failed).
    pub fn force_open(&mut self, now: Instant, duration: Duration) -> Option<Transition> {
        if self.state == CircuitState::Isolated {
            return None;
        }
        self.open_until = Some(now + duration);
        self.move_to(CircuitState::Open)
    }

    /// Opens the breaker until [`reset`](Self::reset).
    pub fn isolate(&mut self) -> Option<Transition> {
        self.open_until = None;
        self.move_to(CircuitState::Isolated)
    }

    /// Closes the breaker and forgets its history.
    pub fn reset(&mut self) -> Option<Transition> {
        self.reopenings = 0;
        self.close()
    }

    fn should_trip(&mut self, now: Instant) -> bool {
        let consecutive = self.config.consecutive_failures;
        if consecutive > 0 && self.consecutive_failures >= consecutive {
            return true;
        }
        let (calls, failures) = self.window.totals(now);
        calls >= self.config.minimum_throughput.max(1)
            && f64::from(failures) / f64::from(calls) >= self.config.failure_ratio
    }

    fn open(&mut self, now: Instant) -> Option<Transition> {
        self.open_until = Some(now + self.config.break_for(self.reopenings));
        self.move_to(CircuitState::Open)
    }

    fn close(&mut self) -> Option<Transition> {
        self.window.clear();
        self.consecutive_failures = 0;
        self.open_until = None;
        self.move_to(CircuitState::Closed)
    }

    fn move_to(&mut self, to: CircuitState) -> Option<Transition> {
        let from = self.state;
        self.state = to;
        (from != to).then_some(Transition { from, to })
    }
}
