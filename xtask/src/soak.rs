//! `cargo xtask soak`: many requests (mixed plain, streamed and batched) at 64 in flight through
//! `FoundryClient` against the emulator with 20 % injected faults, then a burst of failures.
//! It asserts that nothing is lost or doubled, retries stay within the budget, no stream is sent
//! again once it started, the breaker opens and closes, and descriptors and memory come back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use foundry_client::{
    BreakerConfig, ChatRequest, CircuitState, FoundryClient, LimitConfig, Message, RetryPolicy,
};
use foundry_emulator::{
    Catalog, Dialect, Emulator, EmulatorConfig, Fault, FaultKind, FaultPlan, FaultRule,
};
use futures_util::StreamExt;
use tokio::sync::Mutex;

const MODEL: &str = "tiny-chat-generic-cpu:1";
const CHAT: &str = "POST /v1/chat/completions";
const IN_FLIGHT: usize = 64;

/// Runs the soak with `requests` requests on a fresh runtime.
pub fn run(requests: usize) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let baseline_fds = open_descriptors();
    let result = runtime.block_on(soak(requests));
    drop(runtime);
    let after_fds = open_descriptors();
    println!(
        "soak: open descriptors {baseline_fds} before, {after_fds} after (connections included)"
    );
    result?;
    check(
        after_fds <= baseline_fds + 2,
        format!("descriptors leaked: {baseline_fds} before, {after_fds} after"),
    )
}

/// Twenty per cent of the answers go wrong, spread over every fault the emulator has.
fn faults() -> FaultPlan {
    let each = 1.0 - 0.8f64.powf(1.0 / 9.0); // nine rules, one in five requests faulted overall
    let kinds = [
        Fault::Status {
            status: 429,
            body: None,
            retry_after: None,
            retry_after_ms: Some(5),
        },
        Fault::status(500),
        Fault::status(503),
        Fault::CloseBeforeHeaders,
        Fault::ResetMidBody {
            after_bytes: Some(120),
        },
        Fault::TruncateStream {
            after_chunks: Some(3),
        },
        Fault::MalformedChunk { at: Some(2) },
        Fault::Stall { ms: Some(1_000) },
        Fault::SlowTrickle { chunk_delay_ms: 2 },
    ];
    FaultPlan::new(
        kinds
            .into_iter()
            .map(|f| FaultRule::with_probability(each, f).on_route(CHAT)),
    )
    .seed(7)
}

async fn soak(requests: usize) -> Result<(), String> {
    let config = EmulatorConfig::new(Dialect::Core2)
        .catalog(Catalog::tiny())
        .loaded([MODEL])
        .faults(faults());
    let emulator = Emulator::start(config).await.map_err(|e| e.to_string())?;
    let mut policy = RetryPolicy::with_max_retries(3);
    policy.backoff.initial = Duration::from_millis(5);
    policy.backoff.max = Duration::from_millis(50);
    let breaker = BreakerConfig::default().with_break_duration(Duration::from_millis(300));
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .timeout(Duration::from_millis(300))
        .retry_policy(policy)
        .breaker(Some(breaker))
        .concurrency(LimitConfig::new(IN_FLIGHT, 4096))
        .build()
        .map_err(|e| e.to_string())?;
    println!(
        "soak: {requests} requests, {IN_FLIGHT} in flight (limit set to {IN_FLIGHT}), 20 % faults, against {}",
        emulator.url()
    );

    let started = Instant::now();
    let tally = Arc::new(Tally::default());
    let next = Arc::new(AtomicUsize::new(0));
    let rss_first = Arc::new(Mutex::new(None));
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            tokio::spawn(worker(
                client.clone(),
                requests,
                next.clone(),
                tally.clone(),
                rss_first.clone(),
            ))
        })
        .collect();
    let mut panics = 0;
    for worker in workers {
        panics += usize::from(worker.await.is_err());
    }
    let elapsed = started.elapsed();
    let rss_last = resident_kib();
    let rss_first = rss_first.lock().await.unwrap_or(rss_last);

    let outcomes = tally.outcomes.lock().await.clone();
    let ended: usize = outcomes.values().sum();
    let metrics = client.metrics_snapshot();
    let stats = emulator.stats();
    let received = stats.requests_of(CHAT) as u64;
    let pre_header_faults = (stats.faults_of(FaultKind::Status)
        + stats.faults_of(FaultKind::CloseBeforeHeaders)) as u64;
    let rejected = (outcomes.get("circuit_open").copied().unwrap_or(0)
        + outcomes.get("overloaded").copied().unwrap_or(0)) as u64;
    let budget = 10.0 + 0.2 * requests as f64 + elapsed.as_secs_f64();
    println!(
        "soak: {ended} outcomes in {:.1} s ({:.0} requests/s): {outcomes:?}",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "soak: the emulator received {received} chat requests, injected {} faults ({pre_header_faults} before any header); the client retried {} times (budget allows {budget:.0})",
        stats.faults_total, metrics.retries
    );
    println!(
        "soak: resident memory {rss_first} KiB after the first thousand, {rss_last} KiB at the end"
    );

    check(panics == 0, format!("{panics} workers panicked"))?;
    check(
        ended == requests,
        format!("{ended} outcomes for {requests} requests: something was lost or doubled"),
    )?;
    check(
        (metrics.retries as f64) <= budget,
        format!(
            "{} retries exceed the budget of {budget:.0}",
            metrics.retries
        ),
    )?;
    check(
        metrics.retries <= pre_header_faults,
        format!(
            "{} retries but only {pre_header_faults} faults before headers: a started answer was sent again",
            metrics.retries
        ),
    )?;
    check(
        received <= requests as u64 + metrics.retries,
        format!("{received} requests received: more than calls and retries"),
    )?;
    check(
        received + rejected >= requests as u64,
        format!("{received} requests received and {rejected} refused: some never went out"),
    )?;
    let growth = rss_last.saturating_sub(rss_first);
    check(
        growth <= (rss_first / 5).max(16 * 1024),
        format!("memory grew by {growth} KiB between the first and the last thousand"),
    )?;

    burst(&client, &emulator).await?;
    drop(client);
    emulator.shutdown().await;
    println!("soak: passed");
    Ok(())
}

#[derive(Default)]
struct Tally {
    outcomes: Mutex<BTreeMap<String, usize>>,
    done: AtomicUsize,
}

/// Takes request numbers until none are left: plain chats, streams and batches of ten.
async fn worker(
    client: FoundryClient,
    total: usize,
    next: Arc<AtomicUsize>,
    tally: Arc<Tally>,
    rss_first: Arc<Mutex<Option<u64>>>,
) {
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= total {
            return;
        }
        let request = ChatRequest::new(MODEL, [Message::user(format!("soak {n}"))]).max_tokens(12);
        let outcomes: Vec<Result<(), String>> = match n % 20 {
            // One in twenty takes ten numbers at once as a batch.
            0 if n + 10 <= total && next.fetch_add(9, Ordering::Relaxed) + 9 < total => {
                let batch: Vec<_> = (0..10).map(|_| request.clone()).collect();
                client
                    .batch(batch)
                    .concurrency(10)
                    .run()
                    .await
                    .into_iter()
                    .map(|r| r.map(|_| ()).map_err(kind))
                    .collect()
            }
            n if n % 2 == 0 => vec![stream(&client, request).await],
            _ => vec![client.chat(request).await.map(|_| ()).map_err(kind)],
        };
        let mut map = tally.outcomes.lock().await;
        for outcome in outcomes {
            *map.entry(outcome.err().unwrap_or_else(|| "ok".to_owned()))
                .or_default() += 1;
            let done = tally.done.fetch_add(1, Ordering::Relaxed) + 1;
            if done == 1000.min(total) {
                *rss_first.lock().await = Some(resident_kib());
            }
        }
    }
}

async fn stream(client: &FoundryClient, request: ChatRequest) -> Result<(), String> {
    let mut stream = client.chat_stream(request).await.map_err(kind)?;
    while let Some(chunk) = stream.next().await {
        chunk.map_err(kind)?;
    }
    Ok(())
}

fn kind(error: foundry_client::Error) -> String {
    error.kind().as_str().to_owned()
}

/// A burst of failures opens the breaker; once they stop, it closes again.
async fn burst(
    client: &FoundryClient,
    emulator: &foundry_emulator::EmulatorHandle,
) -> Result<(), String> {
    emulator
        .faults()
        .set(FaultPlan::new([
            FaultRule::always(Fault::status(503)).on_route(CHAT)
        ]))
        .map_err(|e| e.0)?;
    let breaker = client.breaker().ok_or("the client has no breaker")?;
    let mut opened = false;
    for _ in 0..50 {
        let _ = client
            .chat(ChatRequest::new(MODEL, [Message::user("burst")]).max_tokens(2))
            .await;
        if breaker.state() == CircuitState::Open {
            opened = true;
            break;
        }
    }
    check(
        opened,
        "the breaker did not open during a burst of failures".to_owned(),
    )?;
    emulator.faults().clear();
    let mut closed = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if client
            .chat(ChatRequest::new(MODEL, [Message::user("after")]).max_tokens(2))
            .await
            .is_ok()
            && breaker.state() == CircuitState::Closed
        {
            closed = true;
            break;
        }
    }
    check(
        closed,
        "the breaker did not close after the failures stopped".to_owned(),
    )?;
    println!("soak: the breaker opened during the burst and closed after it");
    Ok(())
}

fn check(ok: bool, failure: String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(failure) }
}

/// Open file descriptors of this process (sockets included).
fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// Resident memory of this process, in KiB.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}
