//! The [`Probe`] trait and the probes of each server kind.

mod base;
mod foundry;
mod llama;
mod openai;

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use foundry_transport::SharedTransport;

pub use self::foundry::{FoundryCoreProbe, FoundryLegacyProbe};
pub use self::llama::LlamaCppProbe;
pub use self::openai::OpenAiProbe;
use crate::report::{ProbeReport, ServerKind};

/// One health check of a server: real HTTP requests, summed up in a [`ProbeReport`].
///
/// A probe never fails: a server that cannot be reached is a report with
/// [`ProbeOutcome::Unreachable`](crate::ProbeOutcome::Unreachable). Probes time themselves on
/// their injected clock; [`HealthChecker`](crate::HealthChecker) bounds how long one may take.
#[async_trait]
pub trait Probe: Send + Sync + Debug {
    /// Checks the server once.
    async fn probe(&self) -> ProbeReport;
}

#[async_trait]
impl<P: Probe + ?Sized> Probe for Arc<P> {
    async fn probe(&self) -> ProbeReport {
        (**self).probe().await
    }
}

#[async_trait]
impl<P: Probe + ?Sized> Probe for Box<P> {
    async fn probe(&self) -> ProbeReport {
        (**self).probe().await
    }
}

/// The probe that suits a server of `kind` (the kind `foundry-client` detected, for instance),
/// with default settings.
pub fn probe_for(kind: ServerKind, transport: SharedTransport) -> Arc<dyn Probe> {
    match kind {
        ServerKind::FoundryLegacy => Arc::new(FoundryLegacyProbe::new(transport)),
        ServerKind::FoundryCore1 | ServerKind::FoundryCore2 => {
            Arc::new(FoundryCoreProbe::new(transport))
        }
        ServerKind::LlamaCpp => Arc::new(LlamaCppProbe::new(transport)),
        _ => Arc::new(OpenAiProbe::new(transport)),
    }
}

/// The settings every probe shares, as builder methods on each probe type.
macro_rules! probe_settings {
    ($probe:ty) => {
        impl $probe {
            /// Times the probe with `clock` instead of tokio's.
            #[must_use]
            pub fn with_clock(
                mut self,
                clock: std::sync::Arc<dyn foundry_resilience::Clock>,
            ) -> Self {
                self.base.clock = clock;
                self
            }

            /// Sends `Authorization: Bearer <key>` with every check (llama.cpp's `/props` and
            /// `/slots` need it when the server has a key). The key never appears in `Debug`.
            #[must_use]
            pub fn api_key(mut self, key: &str) -> Self {
                self.base.set_api_key(key);
                self
            }

            /// Says that the server runs on this machine, so a process id it reports names one of
            /// our processes and its resident memory may be read. Off by default: a remote
            /// server's process id would name an unrelated local process. See
            /// [`is_loopback_url`](foundry_transport::is_loopback_url).
            #[must_use]
            pub fn local_process(mut self, local: bool) -> Self {
                self.base.memory.local = local;
                self
            }

            /// The server's process id, learnt elsewhere (Foundry Local's CLI, a process
            /// manager): its resident memory is read on every probe.
            #[must_use]
            pub fn pid(mut self, pid: u32) -> Self {
                self.base.memory.pid = Some(pid);
                self
            }

            /// The catalog, for the loaded models' `fileSizeMb` when no process memory is
            /// known.
            #[must_use]
            pub fn catalog(
                mut self,
                models: impl IntoIterator<Item = foundry_protocol::ModelInfo>,
            ) -> Self {
                self.base.memory.set_catalog(models);
                self
            }
        }
    };
}
pub(crate) use probe_settings;
