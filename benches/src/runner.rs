//! The measured loop every Rust client runs: one warm-up call, then `count` calls with
//! `in_flight` of them at once, timed one by one, with the process's CPU time read around it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::task::JoinSet;

use crate::figures::Figures;
use crate::job::{Job, Kind};
use crate::usage::process_usage;

/// Why a measured run failed: a call failed, or a stream did not have the expected chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError(pub String);

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CallError {}

impl CallError {
    /// Wraps any error, with the error's causes, so a failed run says what went wrong.
    pub fn from_error(error: &dyn std::error::Error) -> Self {
        let mut text = error.to_string();
        let mut cause = error.source();
        while let Some(inner) = cause {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            cause = inner.source();
        }
        Self(text)
    }
}

/// One call's outcome: how many stream chunks it received (0 for a chat).
type CallResult = Result<u64, CallError>;

/// Runs `job` through `call` and measures it. `call` makes one request and returns the number of
/// chunks it received; `client` and `settings` are echoed in the figures.
///
/// Workers are tokio tasks, `in_flight` of them, each taking the next call from a shared counter
/// until `count` were made, so at most `in_flight` calls are ever outstanding.
pub async fn run<F, Fut>(
    client: &str,
    settings: &str,
    job: &Job,
    call: F,
) -> Result<Figures, CallError>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CallResult> + Send + 'static,
{
    let call = Arc::new(call);
    // The warm-up call: connection set up, lazy initialisation and server detection done before
    // anything is measured.
    check(job, call().await?)?;

    let next = Arc::new(AtomicU64::new(0));
    let usage = |e: nix::Error| CallError(format!("getrusage failed: {e}"));
    let before = process_usage().map_err(usage)?;
    let started = Instant::now();
    let mut workers = JoinSet::new();
    let workers_wanted = u64::try_from(job.in_flight)
        .unwrap_or(u64::MAX)
        .min(job.count);
    for _ in 0..workers_wanted {
        let (call, next, job) = (call.clone(), next.clone(), job.clone());
        workers.spawn(async move {
            let mut latencies = histogram();
            let mut chunks = 0;
            while next.fetch_add(1, Ordering::Relaxed) < job.count {
                let sent = Instant::now();
                let received = check(&job, call().await?)?;
                latencies.saturating_record(micros(sent.elapsed()));
                chunks += received;
            }
            Ok::<_, CallError>((latencies, chunks))
        });
    }
    let mut outcomes = Vec::with_capacity(workers.len());
    while let Some(joined) = workers.join_next().await {
        outcomes.push(joined.map_err(|e| CallError(format!("a worker task failed: {e}")))??);
    }
    let wall = started.elapsed();
    let after = process_usage().map_err(usage)?;

    let mut latencies = histogram();
    let mut chunks = 0;
    for (worker, received) in outcomes {
        latencies
            .add(worker)
            .map_err(|e| CallError(format!("latency histogram: {e}")))?;
        chunks += received;
    }
    Ok(Figures {
        client: client.to_owned(),
        workload: job.workload.clone(),
        kind: job.kind.as_str().to_owned(),
        settings: settings.to_owned(),
        calls: job.count,
        in_flight: workers_wanted,
        chunks,
        cpu_user_us: micros(after.user.saturating_sub(before.user)),
        cpu_system_us: micros(after.system.saturating_sub(before.system)),
        wall_us: micros(wall),
        p50_us: latencies.value_at_quantile(0.5),
        p99_us: latencies.value_at_quantile(0.99),
        max_rss_kib: after.max_rss_kib,
    })
}

/// A stream must have exactly the chunks the job expects: a client that stopped early would
/// otherwise look cheap.
fn check(job: &Job, chunks: u64) -> CallResult {
    match job.kind {
        Kind::Stream if job.chunks > 0 && chunks != job.chunks => Err(CallError(format!(
            "a stream yielded {chunks} chunks, expected {}",
            job.chunks
        ))),
        _ => Ok(chunks),
    }
}

/// Latencies from 1 µs to an hour, three significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("the bounds are constant and valid")
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(kind: Kind, count: u64, in_flight: usize) -> Job {
        Job {
            url: String::new(),
            kind,
            model: String::new(),
            count,
            in_flight,
            chunks: 3,
            workload: "w".into(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_call_is_made_once_and_counted() {
        let made = Arc::new(AtomicU64::new(0));
        let counter = made.clone();
        let figures = run("c", "s", &job(Kind::Stream, 50, 4), move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async { Ok(3) }
        })
        .await
        .unwrap();
        assert_eq!(
            made.load(Ordering::Relaxed),
            51,
            "50 measured calls and the warm-up"
        );
        assert_eq!(
            (figures.calls, figures.chunks, figures.in_flight),
            (50, 150, 4)
        );
        assert_eq!(figures.kind, "stream");
    }

    #[tokio::test]
    async fn a_short_stream_or_a_failed_call_fails_the_run() {
        let short = run("c", "s", &job(Kind::Stream, 5, 1), || async { Ok(2) }).await;
        assert!(short.unwrap_err().0.contains("expected 3"));
        let failed = run("c", "s", &job(Kind::Chat, 5, 2), || async {
            Err(CallError("refused".into()))
        })
        .await;
        assert_eq!(failed.unwrap_err().0, "refused");
    }
}
