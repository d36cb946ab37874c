//! The state machine on a manual clock: `now` is a plain `Instant` moved by hand.

use super::*;
use HealthStatus::{Degraded, Healthy, Starting, Unhealthy};
use Observation::{Degraded as Slow, Failed, Good, Starting as Loading};

/// A machine with the defaults (3 failures down, 2 successes up) and a manual clock.
struct Harness {
    machine: HealthMachine,
    now: Instant,
}

impl Harness {
    fn new(config: HealthConfig) -> Self {
        let now = Instant::now();
        Self {
            machine: HealthMachine::new(config, now),
            now,
        }
    }

    /// Observes after `secs` more seconds and returns the status.
    fn step(&mut self, observation: Observation, secs: u64) -> HealthStatus {
        self.now += Duration::from_secs(secs);
        self.machine.observe(observation, self.now);
        self.machine.status()
    }
}

#[test]
fn starts_starting_and_the_first_good_probe_makes_it_healthy() {
    let mut h = Harness::new(HealthConfig::default());
    assert_eq!(h.machine.status(), Starting);
    assert_eq!(h.step(Good, 5), Healthy);
    assert_eq!(h.machine.since(), h.now);
}

#[test]
fn going_down_takes_n_consecutive_failures() {
    let mut h = Harness::new(HealthConfig::default());
    h.step(Good, 1);
    assert_eq!(
        h.step(Failed, 1),
        Degraded,
        "one failure: degraded, not down"
    );
    assert_eq!(h.step(Failed, 1), Degraded);
    assert_eq!(h.machine.consecutive_failures(), 2);
    assert_eq!(h.step(Failed, 1), Unhealthy, "the third failure in a row");
}

#[test]
fn a_success_between_failures_restarts_the_count() {
    let mut h = Harness::new(HealthConfig::default());
    h.step(Good, 1);
    h.step(Failed, 1);
    h.step(Failed, 1);
    h.step(Good, 1);
    assert_eq!(h.machine.consecutive_failures(), 0);
    assert_eq!(h.step(Failed, 1), Degraded);
    assert_eq!(h.step(Failed, 1), Degraded);
    assert_eq!(h.step(Failed, 1), Unhealthy);
}

#[test]
fn coming_back_takes_m_consecutive_successes() {
    let mut h = Harness::new(HealthConfig::default());
    for _ in 0..3 {
        h.step(Failed, 1);
    }
    assert_eq!(h.machine.status(), Unhealthy);
    assert_eq!(h.step(Good, 1), Unhealthy, "one success is not enough");
    assert_eq!(h.step(Failed, 1), Unhealthy);
    assert_eq!(h.step(Good, 1), Unhealthy);
    assert_eq!(h.step(Good, 1), Healthy, "two in a row");
}

#[test]
fn degraded_recovers_after_m_good_probes() {
    let mut h = Harness::new(HealthConfig::default());
    h.step(Good, 1);
    assert_eq!(h.step(Slow, 1), Degraded);
    assert_eq!(h.step(Good, 1), Degraded);
    assert_eq!(h.step(Good, 1), Healthy);
}

#[test]
fn slow_answers_bring_an_unhealthy_server_only_to_degraded() {
    let mut h = Harness::new(HealthConfig::default());
    for _ in 0..3 {
        h.step(Failed, 1);
    }
    assert_eq!(h.step(Slow, 1), Unhealthy);
    assert_eq!(h.step(Slow, 1), Degraded);
    assert_eq!(h.step(Good, 1), Degraded);
    assert_eq!(h.step(Good, 1), Healthy);
}

#[test]
fn a_slow_probe_is_degraded_by_the_threshold() {
    let config = HealthConfig::default().slow_threshold(Duration::from_millis(200));
    let fast = crate::ProbeReport::new(ProbeOutcome::Ready, Duration::from_millis(200));
    let slow = crate::ProbeReport::new(ProbeOutcome::Ready, Duration::from_millis(201));
    let partial = crate::ProbeReport::new(ProbeOutcome::Partial, Duration::ZERO);
    let loading = crate::ProbeReport::new(ProbeOutcome::Starting, Duration::ZERO);
    let down = crate::ProbeReport::new(ProbeOutcome::Unreachable, Duration::ZERO);
    let failing = crate::ProbeReport::new(ProbeOutcome::Failing, Duration::ZERO);
    assert_eq!(Observation::of(&fast, &config), Good);
    assert_eq!(Observation::of(&slow, &config), Slow);
    assert_eq!(Observation::of(&partial, &config), Slow);
    assert_eq!(Observation::of(&loading, &config), Loading);
    assert_eq!(Observation::of(&down, &config), Failed);
    assert_eq!(Observation::of(&failing, &config), Failed);
}

#[test]
fn loading_is_starting_not_a_failure() {
    let mut h = Harness::new(HealthConfig::default());
    for _ in 0..10 {
        assert_eq!(h.step(Loading, 5), Starting);
    }
    assert_eq!(h.step(Good, 5), Healthy);
    // A restart: the server says it is loading again.
    assert_eq!(h.step(Loading, 5), Starting);
}

#[test]
fn failures_while_starting_still_bring_it_down() {
    let mut h = Harness::new(HealthConfig::default());
    assert_eq!(h.step(Failed, 1), Starting);
    assert_eq!(h.step(Failed, 1), Starting);
    assert_eq!(h.step(Failed, 1), Unhealthy);
}

#[test]
fn starting_too_long_is_unhealthy_until_it_answers() {
    let config = HealthConfig::default().max_starting(Some(Duration::from_secs(60)));
    let mut h = Harness::new(config);
    assert_eq!(h.step(Loading, 30), Starting);
    assert_eq!(h.step(Loading, 29), Starting);
    assert_eq!(
        h.step(Loading, 1),
        Unhealthy,
        "60 s after it began starting"
    );
    assert_eq!(
        h.step(Loading, 600),
        Unhealthy,
        "more loading answers do not reset it"
    );
    assert_eq!(h.step(Good, 1), Unhealthy);
    assert_eq!(h.step(Good, 1), Healthy);
}

#[test]
fn transitions_say_from_to_and_when() {
    let now = Instant::now();
    let mut machine = HealthMachine::new(HealthConfig::default(), now);
    let later = now + Duration::from_secs(3);
    assert_eq!(
        machine.observe(Good, later),
        Some(HealthTransition {
            from: Starting,
            to: Healthy,
            at: later
        })
    );
    assert_eq!(
        machine.observe(Good, later),
        None,
        "no change, no transition"
    );
}

#[test]
fn thresholds_are_configurable_and_at_least_one() {
    let config = HealthConfig::default()
        .failures_to_unhealthy(1)
        .successes_to_recover(0);
    assert_eq!(config.successes_to_recover, 1);
    let mut h = Harness::new(config);
    h.step(Good, 1);
    assert_eq!(h.step(Failed, 1), Unhealthy);
    assert_eq!(h.step(Good, 1), Healthy);
}

#[test]
fn only_healthy_and_degraded_are_available() {
    assert!(Healthy.is_available());
    assert!(Degraded.is_available());
    assert!(!Starting.is_available());
    assert!(!Unhealthy.is_available());
}
