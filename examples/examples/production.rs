//! A production set-up: explicit retries with an overall deadline, a circuit breaker whose state
//! changes are logged, a concurrency limit, metrics, and a graceful shutdown on Ctrl-C (no new
//! requests; the ones in flight finish). Sends `FOUNDRY_REQUESTS` requests (default 24).

use std::process::ExitCode;
use std::time::Duration;

use examples::{ExampleResult, connect, run};
use foundry_client::{
    BreakerConfig, ChatRequest, FoundryClient, LimitConfig, Message, RetryPolicy,
};
use foundry_emulator::Dialect;
use tokio::sync::watch;

#[tokio::main]
async fn main() -> ExitCode {
    run(production).await
}

async fn production() -> ExampleResult {
    let connection = connect(Dialect::Core2).await?;
    // The same server, with every knob set on purpose.
    let client = FoundryClient::builder()
        .config(connection.client.config().clone())
        .endpoint(connection.client.endpoint())
        .retry_policy(RetryPolicy::with_max_retries(3).with_deadline(Duration::from_secs(60)))
        .breaker(Some(
            BreakerConfig::default()
                .with_consecutive_failures(5)
                .with_break_duration(Duration::from_secs(5)),
        ))
        .concurrency(LimitConfig::new(4, 256))
        .build()?;
    let model = client.ensure_ready(&client.config().model).await?.id;
    println!(
        "Serving with {model}: 3 retries within 60 s, a breaker after 5 failures, 4 in flight."
    );

    if let Some(breaker) = client.breaker() {
        let mut states = breaker.subscribe();
        tokio::spawn(async move {
            while states.changed().await.is_ok() {
                println!("  circuit breaker: {:?}", *states.borrow_and_update());
            }
        });
    }

    // Ctrl-C stops new work; work in flight finishes.
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            println!("\nCtrl-C: finishing the requests in flight, sending no new ones...");
            let _ = stop_tx.send(true);
        }
    });

    let total: usize = std::env::var("FOUNDRY_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let client = client.clone();
            let model = model.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut failures = 0;
                for n in (worker..total).step_by(4) {
                    if *stop.borrow() {
                        break;
                    }
                    let request = ChatRequest::new(
                        &model,
                        [Message::user(format!("Summarize ticket #{n}."))],
                    )
                    .max_tokens(24);
                    if let Err(error) = client.chat(request).await {
                        failures += 1;
                        println!("  request {n} failed: {error}");
                    }
                }
                failures
            })
        })
        .collect();
    let mut failures = 0;
    for worker in workers {
        failures += worker.await?;
    }

    let metrics = client.metrics_snapshot();
    println!(
        "\n{} requests, {} succeeded, {} retries, errors by kind: {:?}",
        metrics.requests, metrics.successes, metrics.retries, metrics.errors
    );
    if let Some(latency) = metrics.latency {
        println!(
            "Latency p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
            latency.p50, latency.p90, latency.p99, latency.max
        );
    }
    println!("Generated tokens: {}", metrics.generated_tokens);
    println!("\nThe same metrics for a Prometheus scraper (first lines):");
    for line in client.metrics().to_prometheus("foundry").lines().take(6) {
        println!("  {line}");
    }
    if failures > 0 {
        return Err(format!("{failures} requests failed").into());
    }
    Ok(())
}
