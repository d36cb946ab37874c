//! Retry, circuit breaker and concurrency limit for the Foundry Local client, as decorators over
//! a [`SharedTransport`](foundry_transport::SharedTransport).
//!
//! **Who should depend on this crate:** people assembling their own client stack from
//! `foundry-transport` (or writing another decorator) and wanting the same resilience the
//! `foundry-client` facade uses. Most applications get all of it through `foundry-client`.
//!
//! - [`RetryTransport`]: exponential backoff with jitter, `Retry-After`/`retry-after-ms`/
//!   `x-should-retry`, a shared [`RetryBudget`], an overall deadline retries cannot extend, and
//!   no re-send once a response (or a streamed byte) has been handed on.
//! - [`BreakerTransport`] over a [`CircuitBreaker`]: consecutive-failure and failure-ratio rules,
//!   a single half-open probe, growing breaks, manual isolate/reset, observable state.
//! - [`LimitTransport`] over a [`ConcurrencyLimit`]: at most N in flight, a bounded queue, typed
//!   rejection beyond.
//! - [`ResilienceBuilder`] composes them in the documented order (see [`stack`](crate::ResilienceBuilder)).
//!
//! Time and randomness are injected ([`Clock`], [`JitterRng`]); the state machines take `now` as an
//! argument, so every rule is tested without real sleeps.
//!
//! ```
//! use foundry_resilience::ResilienceBuilder;
//! use foundry_transport::mock::{MockResponse, MockTransport};
//! use foundry_transport::{SharedTransport, Transport, TransportRequest};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build()?;
//! # runtime.block_on(async {
//! let server = MockTransport::new();
//! server.push(MockResponse::new(503).header("retry-after", "1"));
//! server.push(MockResponse::json(r#"{"ok":true}"#));
//! let stack = ResilienceBuilder::new().build(SharedTransport::new(server.clone()));
//! let response = stack.transport.send(TransportRequest::get("/v1/models")).await?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(server.requests().len(), 2, "the 503 was retried after the 1 s it asked for");
//! # Ok::<(), foundry_transport::TransportError>(())
//! # })?;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
// Unit tests start the pure state machines at a real instant; the code under test never reads it.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

/// Chained setters for the public fields of a `#[non_exhaustive]` settings struct: the one way
/// callers outside this crate build one from its defaults.
macro_rules! with_setters {
    ($ty:ty { $( $(#[$doc:meta])* $setter:ident => $field:ident: $value:ty ),* $(,)? }) => {
        impl $ty {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $setter(mut self, value: $value) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

pub mod breaker;
mod clock;
mod limit;
mod rejection;
pub mod retry;
mod rng;
mod stack;

pub use breaker::{BreakerConfig, BreakerTransport, CircuitBreaker, CircuitState, FailurePolicy};
pub use clock::{Clock, Sleep, TokioClock};
pub use limit::{ConcurrencyLimit, LimitConfig, LimitTransport};
pub use rejection::{Rejection, rejection_of};
pub use retry::{Backoff, BudgetConfig, RetryBudget, RetryPolicy, RetryTransport, ServerHints};
pub use rng::JitterRng;
pub use stack::{ResilienceBuilder, Resilient};
