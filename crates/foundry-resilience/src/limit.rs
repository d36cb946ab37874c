//! The concurrency limit (bulkhead): at most N requests in flight to one endpoint, a bounded
//! queue for the rest, and a typed rejection beyond it.
//!
//! Foundry Local decodes one request at a time; flooding it only builds a queue inside the server
//! where no deadline or cancellation reaches. The queue here is visible, bounded and cancellable.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use foundry_transport::{
    BodyEnd, BodyWatcher, SharedTransport, Transport, TransportError, TransportRequest,
    TransportResponse,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::clock::Clock;
use crate::rejection::Rejection;

/// The settings of a [`ConcurrencyLimit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitConfig {
    /// Requests in flight at once (a streamed response counts until its body ends or is dropped).
    pub max_in_flight: usize,
    /// Requests that may wait for a slot; more are rejected at once.
    pub max_queue: usize,
    /// The longest wait in the queue, if bounded.
    pub max_wait: Option<Duration>,
}

impl LimitConfig {
    /// `max_in_flight` slots and a queue of `max_queue`, with no wait bound.
    pub fn new(max_in_flight: usize, max_queue: usize) -> Self {
        Self {
            max_in_flight: max_in_flight.max(1),
            max_queue,
            max_wait: None,
        }
    }

    /// The Foundry Local default: 4 in flight, a queue of 1,024.
    pub fn foundry() -> Self {
        Self::new(4, 1024)
    }
}

with_setters!(LimitConfig {
    /// Sets [`max_wait`](Self::max_wait).
    with_max_wait => max_wait: Option<Duration>,
});

/// A shared in-flight limit with a bounded wait queue.
#[derive(Debug)]
pub struct ConcurrencyLimit {
    config: LimitConfig,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    clock: Arc<dyn Clock>,
}

impl ConcurrencyLimit {
    /// A limit with these settings.
    pub fn new(config: LimitConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(config.max_in_flight)),
            config,
            waiting: AtomicUsize::new(0),
            clock,
        }
    }

    /// The settings.
    pub fn config(&self) -> LimitConfig {
        self.config
    }

    /// Requests holding a slot now.
    pub fn in_flight(&self) -> usize {
        self.config.max_in_flight - self.slots.available_permits()
    }

    /// Requests waiting for a slot now.
    pub fn queued(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Waits for a slot, or refuses when the queue is full or the wait too long.
    pub async fn acquire(&self) -> Result<OwnedSemaphorePermit, Rejection> {
        self.acquire_within(None).await
    }

    /// A slot if one is free now, without waiting.
    pub fn try_acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Like [`acquire`](Self::acquire), waiting at most `limit` (and at most the configured
    /// `max_wait`): a request's own deadline bounds its time in the queue too.
    pub async fn acquire_within(
        &self,
        limit: Option<Duration>,
    ) -> Result<OwnedSemaphorePermit, Rejection> {
        if let Some(permit) = self.try_acquire() {
            return Ok(permit);
        }
        let queue = self.config.max_queue;
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Rejection::QueueFull {
                limit: self.config.max_in_flight,
                queue,
            });
        }
        let _leave_queue = LeaveQueue(&self.waiting);
        let wait = self.slots.clone().acquire_owned();
        let max_wait = match (self.config.max_wait, limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let permit = match max_wait {
            None => wait.await,
            Some(max_wait) => tokio::select! {
                permit = wait => permit,
                () = self.clock.sleep(max_wait) => return Err(Rejection::QueueTimeout { waited: max_wait }),
            },
        };
        // The semaphore is never closed, so acquiring cannot fail; map it anyway rather than panic.
        permit.map_err(|_| Rejection::QueueFull {
            limit: self.config.max_in_flight,
            queue,
        })
    }
}

/// Leaves the queue count when the wait ends, also when the caller gives up (drops the future).
struct LeaveQueue<'a>(&'a AtomicUsize);

impl Drop for LeaveQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Applies a [`ConcurrencyLimit`] to every request; the slot is held until the response body
/// has been read to its end, failed, or been dropped.
#[derive(Debug, Clone)]
pub struct LimitTransport {
    inner: SharedTransport,
    limit: Arc<ConcurrencyLimit>,
}

impl LimitTransport {
    /// Limits `inner` with `limit`.
    pub fn new(inner: SharedTransport, limit: Arc<ConcurrencyLimit>) -> Self {
        Self { inner, limit }
    }

    /// The limit (for its counters).
    pub fn limit(&self) -> &Arc<ConcurrencyLimit> {
        &self.limit
    }
}

#[async_trait]
impl Transport for LimitTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        let (permit, request) = match self.limit.try_acquire() {
            Some(permit) => (permit, request),
            None => self.wait_for_slot(request).await?,
        };
        let response = self.inner.send(request).await?;
        let (status, headers, body) = response.into_parts();
        Ok(TransportResponse::new(
            status,
            headers,
            body.watched(SlotHeld(permit)),
        ))
    }
}

impl LimitTransport {
    /// Waits in the queue for a slot; the time spent waiting comes out of the request's own
    /// deadline.
    async fn wait_for_slot(
        &self,
        mut request: TransportRequest,
    ) -> Result<(OwnedSemaphorePermit, TransportRequest), TransportError> {
        let overrides = request.timeout_overrides();
        let queued_at = self.limit.clock.now();
        let permit = self
            .limit
            .acquire_within(overrides.deadline())
            .await
            .map_err(Rejection::into_error)?;
        if let Some(deadline) = overrides.deadline() {
            let waited = self.limit.clock.now().saturating_duration_since(queued_at);
            request =
                request.with_timeouts(overrides.with_deadline(deadline.saturating_sub(waited)));
        }
        Ok((permit, request))
    }
}

/// Holds a slot while the body is read, and gives it back as soon as the body ends in any way.
struct SlotHeld(OwnedSemaphorePermit);

impl BodyWatcher for SlotHeld {
    fn body_ended(self: Box<Self>, _end: BodyEnd<'_>) {
        let Self(permit) = *self;
        drop(permit);
    }
}
