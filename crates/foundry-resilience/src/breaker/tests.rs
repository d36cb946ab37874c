//! The breaker's state machine, driven with a manual clock.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::config::BreakerConfig;
use super::state::{BreakerMachine, CircuitState, Outcome};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn call(machine: &mut BreakerMachine, outcome: Outcome, now: Instant) -> bool {
    match machine.try_acquire(now).0 {
        Ok(admission) => {
            machine.record(admission, outcome, now);
            true
        }
        Err(_) => false,
    }
}

#[test]
fn opens_after_five_consecutive_failures_then_probes_once_and_closes() {
    let t0 = Instant::now();
    let mut machine = BreakerMachine::new(BreakerConfig::default());
    for _ in 0..4 {
        assert!(call(&mut machine, Outcome::Failure, t0));
    }
    assert_eq!(machine.state(t0), CircuitState::Closed);
    assert!(call(&mut machine, Outcome::Failure, t0));
    assert_eq!(machine.state(t0), CircuitState::Open);

    let refusal = machine.try_acquire(t0 + secs(1)).0.unwrap_err();
    assert_eq!(
        refusal.retry_after,
        Some(secs(4)),
        "rejections say when to come back"
    );

    let later = t0 + secs(5);
    let probe = machine.try_acquire(later).0.unwrap();
    assert_eq!(machine.state(later), CircuitState::HalfOpen);
    assert!(
        machine.try_acquire(later).0.is_err(),
        "a single probe at a time"
    );
    machine.record(probe, Outcome::Success, later);
    assert_eq!(machine.state(later), CircuitState::Closed);
}

#[test]
fn a_failed_probe_reopens_for_longer_up_to_the_cap() {
    let t0 = Instant::now();
    let config = BreakerConfig {
        consecutive_failures: 1,
        ..BreakerConfig::default()
    };
    let mut machine = BreakerMachine::new(config);
    call(&mut machine, Outcome::Failure, t0);
    let mut now = t0;
    let mut breaks = Vec::new();
    for _ in 0..6 {
        let refusal = machine.try_acquire(now).0.unwrap_err();
        let wait = refusal.retry_after.unwrap();
        breaks.push(wait.as_secs());
        now += wait;
        let probe = machine.try_acquire(now).0.unwrap();
        machine.record(probe, Outcome::Failure, now);
    }
    assert_eq!(breaks, [5, 10, 20, 40, 60, 60]);
}

#[test]
fn opens_on_the_failure_ratio_with_enough_throughput() {
    let t0 = Instant::now();
    let mut machine = BreakerMachine::new(BreakerConfig {
        consecutive_failures: 0,
        ..BreakerConfig::default()
    });
    for i in 0..9 {
        call(
            &mut machine,
            if i % 2 == 0 {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            t0,
        );
    }
    assert_eq!(
        machine.state(t0),
        CircuitState::Closed,
        "9 calls are below the minimum throughput"
    );
    call(&mut machine, Outcome::Failure, t0);
    assert_eq!(
        machine.state(t0),
        CircuitState::Open,
        "6 failures of 10 calls"
    );
}

#[test]
fn old_outcomes_leave_the_window() {
    let t0 = Instant::now();
    let mut machine = BreakerMachine::new(BreakerConfig {
        consecutive_failures: 0,
        ..BreakerConfig::default()
    });
    for i in 0..9 {
        call(
            &mut machine,
            if i < 4 {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            t0,
        );
    }
    // Now, one more failure would make 5 of 10: open. 31 s later the first nine have expired and
    // one failure is 1 of 1 call, below the minimum throughput.
    let mut twin = machine.clone();
    call(&mut twin, Outcome::Failure, t0 + secs(1));
    assert_eq!(twin.state(t0 + secs(1)), CircuitState::Open);
    call(&mut machine, Outcome::Failure, t0 + secs(31));
    assert_eq!(machine.state(t0 + secs(31)), CircuitState::Closed);
}

#[test]
fn late_results_and_abandoned_probes() {
    let t0 = Instant::now();
    let mut machine = BreakerMachine::new(BreakerConfig {
        consecutive_failures: 1,
        ..BreakerConfig::default()
    });
    let slow = machine.try_acquire(t0).0.unwrap();
    call(&mut machine, Outcome::Failure, t0);
    assert_eq!(machine.state(t0), CircuitState::Open);
    machine.record(slow, Outcome::Success, t0 + secs(1));
    assert_eq!(
        machine.state(t0 + secs(1)),
        CircuitState::Open,
        "a late success does not close it"
    );

    let probe = machine.try_acquire(t0 + secs(5)).0.unwrap();
    machine.record(probe, Outcome::Abandoned, t0 + secs(5));
    assert!(
        machine.try_acquire(t0 + secs(5)).0.is_ok(),
        "an abandoned probe frees its permit"
    );
}

#[test]
fn isolate_force_open_and_reset() {
    let t0 = Instant::now();
    let mut machine = BreakerMachine::new(BreakerConfig::default());
    machine.isolate();
    assert_eq!(
        machine.try_acquire(t0 + secs(3600)).0.unwrap_err().state,
        CircuitState::Isolated
    );
    machine.reset();
    assert!(machine.try_acquire(t0).0.is_ok());
    machine.force_open(t0, secs(2));
    assert_eq!(
        machine.try_acquire(t0).0.unwrap_err().retry_after,
        Some(secs(2))
    );
    assert!(machine.try_acquire(t0 + secs(2)).0.is_ok());
}

proptest! {
    #[test]
    fn half_open_never_admits_more_than_its_permits(
        permits in 1u32..4,
        ops in proptest::collection::vec((0u8..4, 0u64..4000), 1..200),
    ) {
        let config = BreakerConfig { consecutive_failures: 1, half_open_permits: permits, ..BreakerConfig::default() };
        let mut machine = BreakerMachine::new(config);
        let mut now = Instant::now();
        let mut held = Vec::new();
        for (op, advance_ms) in ops {
            now += Duration::from_millis(advance_ms);
            match op {
                0 | 1 => {
                    if let Ok(admission) = machine.try_acquire(now).0 {
                        held.push(admission);
                    }
                }
                _ => {
                    if let Some(admission) = held.pop() {
                        let outcome = if op == 2 { Outcome::Failure } else { Outcome::Success };
                        machine.record(admission, outcome, now);
                    }
                }
            }
            prop_assert!(machine.probes_in_flight() <= permits);
        }
    }
}
