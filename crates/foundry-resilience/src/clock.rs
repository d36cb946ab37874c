//! Time, injected: every decorator reads the time and sleeps through a [`Clock`].
//!
//! Production uses [`TokioClock`], tests drive it with tokio's paused clock (`start_paused`), and
//! the pure state machines take `now` as an argument so unit tests need no runtime at all.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};

/// A boxed sleep future.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A source of time for the resilience decorators.
pub trait Clock: Send + Sync + Debug {
    /// The current monotonic instant.
    fn now(&self) -> Instant;

    /// The current wall-clock time (for `Retry-After` given as an HTTP date).
    fn system_now(&self) -> SystemTime;

    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// Tokio's clock: honours `tokio::time::pause()` and `#[tokio::test(start_paused = true)]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

// The one place this crate reads tokio's clock (and the wall clock, for HTTP dates).
#[allow(clippy::disallowed_methods)]
impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn system_now(&self) -> SystemTime {
        // The wall clock only dates `Retry-After` HTTP dates; it is never used to measure time.
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}
