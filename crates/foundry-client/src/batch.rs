//! Many chat requests at once: results in input order, one `Result` per item.

use std::sync::Arc;

use foundry_protocol::{ChatRequest, ChatResponse};
use tokio::sync::Semaphore;

use crate::client::FoundryClient;
use crate::error::Error;

/// Progress of a batch, reported after each item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchProgress {
    /// Items finished so far.
    pub done: usize,
    /// Of these, how many failed.
    pub failed: usize,
    /// Items in the batch.
    pub total: usize,
}

type ProgressFn = Arc<dyn Fn(BatchProgress) + Send + Sync>;

impl FoundryClient {
    /// Starts a batch of chat requests; run it with [`Batch::run`].
    pub fn batch(&self, requests: impl IntoIterator<Item = ChatRequest>) -> Batch<'_> {
        Batch {
            client: self,
            requests: requests.into_iter().collect(),
            concurrency: 4,
            progress: None,
        }
    }
}

/// A batch being set up; see [`FoundryClient::batch`].
///
/// Runs at most `concurrency` requests at once (the client's own limit and circuit breaker apply
/// on top). A failure never loses the other results. Dropping the future returned by
/// [`run`](Self::run) cancels every request still running.
#[must_use = "a batch does nothing until run"]
pub struct Batch<'a> {
    client: &'a FoundryClient,
    requests: Vec<ChatRequest>,
    concurrency: usize,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("requests", &self.requests.len())
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl Batch<'_> {
    /// How many requests run at once (at least 1; default 4).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Calls `report` after each finished item.
    pub fn on_progress(mut self, report: impl Fn(BatchProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(report));
        self
    }

    /// Runs the batch; the results are in the order of the requests.
    pub async fn run(self) -> Vec<Result<ChatResponse, Error>> {
        let total = self.requests.len();
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let counts = std::sync::Mutex::new((0usize, 0usize));
        let progress = self.progress.clone();
        let client = self.client;
        let calls = self.requests.into_iter().map(|request| {
            let slots = slots.clone();
            let counts = &counts;
            let progress = progress.clone();
            async move {
                // The semaphore is never closed; if it were, running unthrottled is still correct.
                let _slot = slots.acquire_owned().await.ok();
                let result = client.chat(request).await;
                let (done, failed) = {
                    let mut counts = counts
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    counts.0 += 1;
                    counts.1 += usize::from(result.is_err());
                    *counts
                };
                if let Some(report) = &progress {
                    report(BatchProgress {
                        done,
                        failed,
                        total,
                    });
                }
                result
            }
        });
        // `join_all` keeps input order and polls only the futures that were woken.
        futures_util::future::join_all(calls).await
    }
}
