//! Why an emulator could not start.

use std::net::SocketAddr;

/// Why [`Emulator::start`](crate::Emulator::start) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The listening socket could not be bound (port taken, address not local, ...).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The configuration names a model that is not in the catalog.
    #[error("model {0:?} is not in the catalog")]
    UnknownModel(String),
    /// The configured fault plan is not valid.
    #[error("invalid fault plan: {0}")]
    InvalidFaults(String),
    /// The dedicated server thread or its runtime could not be created.
    #[error("cannot start the server thread")]
    Thread(#[source] std::io::Error),
}
