//! Retry with exponential backoff, jitter, server hints, a shared budget and an overall deadline.

mod backoff;
mod body_head;
mod budget;
mod hints;
mod policy;
mod transport;

pub use backoff::Backoff;
pub use budget::{BudgetConfig, RetryBudget};
pub use hints::ServerHints;
pub use policy::{PermanentCheck, RetryObserver, RetryPolicy};
pub use transport::RetryTransport;
