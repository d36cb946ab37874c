//! The typed reason behind a decorator's [`ErrorKind::Rejected`](foundry_transport::ErrorKind) error.

use std::time::Duration;

use foundry_transport::{ErrorKind, TransportError};

/// Why a resilience decorator refused to send a request. Attached as the
/// [`source`](std::error::Error::source) of the transport error; read it with [`rejection_of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The circuit breaker is open (or half-open with its probes in flight, or isolated).
    #[error("circuit breaker is open")]
    CircuitOpen {
        /// When the breaker will let a probe through, if known.
        retry_after: Option<Duration>,
    },
    /// Too many requests are in flight and the wait queue is full.
    #[error("concurrency limit reached: {limit} in flight and {queue} waiting")]
    QueueFull {
        /// The in-flight limit.
        limit: usize,
        /// The queue bound.
        queue: usize,
    },
    /// The request waited in the queue longer than allowed.
    #[error("waited {waited:?} for a free slot")]
    QueueTimeout {
        /// How long it waited.
        waited: Duration,
    },
}

impl Rejection {
    /// The transport error that carries this rejection.
    pub fn into_error(self) -> TransportError {
        let retry_after = match self {
            Self::CircuitOpen { retry_after } => retry_after,
            _ => None,
        };
        TransportError::rejected(self.to_string(), retry_after).with_source(self)
    }
}

/// The rejection behind `error`, if a resilience decorator refused the request.
pub fn rejection_of(error: &TransportError) -> Option<Rejection> {
    if error.kind() != ErrorKind::Rejected {
        return None;
    }
    std::error::Error::source(error)?
        .downcast_ref::<Rejection>()
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_survives_as_the_source() {
        let error = Rejection::CircuitOpen {
            retry_after: Some(Duration::from_secs(3)),
        }
        .into_error();
        assert_eq!(error.kind(), ErrorKind::Rejected);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
        assert!(matches!(
            rejection_of(&error),
            Some(Rejection::CircuitOpen { .. })
        ));
        assert_eq!(rejection_of(&TransportError::connection_closed("x")), None);
    }
}
