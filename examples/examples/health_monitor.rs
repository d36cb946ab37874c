//! Health monitoring: a background monitor probes the server at an interval, publishes status
//! changes, and keeps the last report (readiness, latency, loaded models, memory and where that
//! figure came from). Runs for `FOUNDRY_MONITOR_SECONDS` (default 3) and then stops.

use std::process::ExitCode;
use std::time::Duration;

use examples::{ExampleResult, connect, run};
use foundry_client::{HealthMonitor, MonitorConfig};
use foundry_emulator::Dialect;

#[tokio::main]
async fn main() -> ExitCode {
    run(health_monitor).await
}

async fn health_monitor() -> ExampleResult {
    let connection = connect(Dialect::Core2).await?;
    let client = &connection.client;
    let seconds: u64 = std::env::var("FOUNDRY_MONITOR_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);

    println!("One probe now:");
    print_report(&client.health().await?);

    println!(
        "\nMonitoring every 500 ms for {seconds} s (state changes are printed as they happen)..."
    );
    let probe = client.health_probe().await?;
    let config = MonitorConfig::default().interval(Duration::from_millis(500));
    let mut monitor = HealthMonitor::start(probe, config);
    if let Some(breaker) = client.breaker() {
        // An unhealthy server opens the client's breaker at once, before calls fail one by one.
        monitor = monitor.with_breaker(breaker);
    }
    let mut changes = monitor.subscribe();
    let until = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() { break; }
                println!("  status is now {:?}", *changes.borrow_and_update());
            }
            () = tokio::time::sleep_until(until) => break,
        }
    }
    let snapshot = monitor.snapshot();
    println!(
        "\nAfter {} probes: {:?} ({} failures in a row).",
        snapshot.probes, snapshot.status, snapshot.consecutive_failures
    );
    if let Some(report) = &snapshot.last_report {
        print_report(report);
    }
    drop(monitor);
    println!("Monitor stopped (dropping its handle ends it).");
    Ok(())
}

fn print_report(report: &foundry_client::ProbeReport) {
    println!(
        "  outcome: {:?}, answered in {:.1} ms",
        report.outcome,
        report.latency.as_secs_f64() * 1e3
    );
    if let Some(server) = report.server {
        println!("  server: {server}");
    }
    if let Some(models) = &report.loaded_models {
        println!(
            "  loaded models: {}",
            if models.is_empty() {
                "none".to_owned()
            } else {
                models.join(", ")
            }
        );
    }
    for figure in &report.memory {
        println!(
            "  memory: {:.1} MiB ({:?})",
            figure.bytes as f64 / 1048576.0,
            figure.source
        );
    }
    for problem in &report.problems {
        println!("  problem: {problem}");
    }
}
