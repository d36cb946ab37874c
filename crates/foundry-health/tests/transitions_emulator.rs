//! Health transitions under faults injected into the emulator, one check at a time.

use std::sync::Arc;
use std::time::Duration;

use foundry_emulator::{
    Catalog, Dialect, Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultRule,
};
use foundry_health::{
    FoundryCoreProbe, FoundryLegacyProbe, HealthChecker, HealthMonitor, HealthStatus,
    MonitorConfig, Probe, ProbeOutcome,
};
use foundry_resilience::TokioClock;
use foundry_transport::{ReqwestTransport, SharedTransport};

use HealthStatus::{Degraded, Healthy, Unhealthy};

async fn emulator(dialect: Dialect) -> EmulatorHandle {
    Emulator::start(
        EmulatorConfig::new(dialect)
            .catalog(Catalog::tiny())
            .loaded(["tiny-chat-generic-cpu:1"]),
    )
    .await
    .expect("emulator starts")
}

fn transport(emulator: &EmulatorHandle) -> SharedTransport {
    SharedTransport::new(
        ReqwestTransport::builder()
            .base_url(emulator.url())
            .build()
            .expect("transport"),
    )
}

/// The probe of each dialect and the route its main check uses.
fn probe_of(emulator: &EmulatorHandle) -> (Box<dyn Probe>, &'static str, &'static str) {
    let transport = transport(emulator);
    match emulator.dialect() {
        Dialect::Legacy => (
            Box::new(FoundryLegacyProbe::new(transport)),
            "/openai/status",
            "/openai/loadedmodels",
        ),
        _ => (
            Box::new(FoundryCoreProbe::new(transport)),
            "/status",
            "/models/loaded",
        ),
    }
}

fn checker(probe: Box<dyn Probe>) -> HealthChecker {
    HealthChecker::new(probe, MonitorConfig::default(), Arc::new(TokioClock))
}

async fn statuses(checker: &HealthChecker, n: usize) -> Vec<HealthStatus> {
    let mut seen = Vec::new();
    for _ in 0..n {
        seen.push(checker.check().await.status);
    }
    seen
}

#[tokio::test]
async fn status_errors_bring_it_down_in_three_and_back_in_two() {
    for dialect in [Dialect::Legacy, Dialect::Core1, Dialect::Core2] {
        let emulator = emulator(dialect).await;
        let (probe, status_route, _) = probe_of(&emulator);
        let checker = checker(probe);
        assert_eq!(statuses(&checker, 1).await, [Healthy], "{dialect}");
        emulator
            .faults()
            .push(FaultRule::always(Fault::status(500)).on_route(status_route))
            .expect("fault");
        assert_eq!(
            statuses(&checker, 3).await,
            [Degraded, Degraded, Unhealthy],
            "{dialect}"
        );
        let report = checker.snapshot().last_report.expect("a report");
        assert_eq!(report.outcome, ProbeOutcome::Failing);
        emulator.faults().clear();
        assert_eq!(
            statuses(&checker, 2).await,
            [Unhealthy, Healthy],
            "{dialect}"
        );
        emulator.shutdown().await;
    }
}

#[tokio::test]
async fn a_failing_model_list_is_partial_and_degraded() {
    for dialect in [Dialect::Legacy, Dialect::Core2] {
        let emulator = emulator(dialect).await;
        let (probe, _, loaded_route) = probe_of(&emulator);
        let checker = checker(probe);
        statuses(&checker, 1).await;
        emulator
            .faults()
            .push(FaultRule::always(Fault::status(503)).on_route(loaded_route))
            .expect("fault");
        assert_eq!(statuses(&checker, 3).await, [Degraded; 3], "{dialect}");
        let report = checker.snapshot().last_report.expect("a report");
        assert_eq!(report.outcome, ProbeOutcome::Partial);
        assert_eq!(report.loaded_models, None);
        emulator.faults().clear();
        assert_eq!(
            statuses(&checker, 2).await,
            [Degraded, Healthy],
            "{dialect}"
        );
        emulator.shutdown().await;
    }
}

#[tokio::test]
async fn dropped_connections_are_unreachable_and_count_as_failures() {
    let emulator = emulator(Dialect::Core2).await;
    let (probe, _, _) = probe_of(&emulator);
    let checker = checker(probe);
    statuses(&checker, 1).await;
    emulator
        .faults()
        .push(FaultRule::always(Fault::CloseBeforeHeaders))
        .expect("fault");
    assert_eq!(statuses(&checker, 3).await, [Degraded, Degraded, Unhealthy]);
    let report = checker.snapshot().last_report.expect("a report");
    assert_eq!(report.outcome, ProbeOutcome::Unreachable);
    emulator.shutdown().await;
}

#[tokio::test]
async fn intermittent_failures_never_reach_unhealthy() {
    let emulator = emulator(Dialect::Core2).await;
    let (probe, status_route, _) = probe_of(&emulator);
    let checker = checker(probe);
    statuses(&checker, 1).await;
    // Fail, fail, pass, fail, fail, pass: never three in a row.
    let fail = Some(Fault::status(500));
    emulator
        .faults()
        .push(
            FaultRule::sequence([fail.clone(), fail.clone(), None, fail.clone(), fail, None])
                .on_route(status_route),
        )
        .expect("fault");
    let seen = statuses(&checker, 6).await;
    assert!(!seen.contains(&Unhealthy), "{seen:?}");
    assert_eq!(seen, [Degraded; 6]);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_follows_an_emulator_down_and_up() {
    let emulator = emulator(Dialect::Core1).await;
    let (probe, status_route, _) = probe_of(&emulator);
    // A 2 ms interval keeps real waiting short; the paused-clock tests cover the schedule itself.
    let config = MonitorConfig::default()
        .interval(Duration::from_millis(2))
        .jitter(0.0);
    let monitor = HealthMonitor::start(probe, config);
    let mut changes = monitor.subscribe();
    wait_for(&mut changes, Healthy).await;
    emulator
        .faults()
        .push(FaultRule::always(Fault::status(500)).on_route(status_route))
        .expect("fault");
    wait_for(&mut changes, Unhealthy).await;
    emulator.faults().clear();
    wait_for(&mut changes, Healthy).await;
    drop(monitor);
    emulator.shutdown().await;
}

async fn wait_for(changes: &mut tokio::sync::watch::Receiver<HealthStatus>, status: HealthStatus) {
    tokio::time::timeout(Duration::from_secs(10), changes.wait_for(|s| *s == status))
        .await
        .expect("in time")
        .expect("monitor running");
}
