//! What the client observes: request metrics for every call, and on-demand health reports.

use std::sync::Arc;

use foundry_health::{
    FoundryCoreProbe, FoundryLegacyProbe, LlamaCppProbe, MetricsSnapshot, OpenAiProbe, Probe,
    ProbeReport, RequestMetrics,
};
use foundry_transport::is_loopback_url;

use crate::client::FoundryClient;
use crate::error::Error;
use crate::server::ServerKind;

impl FoundryClient {
    /// The request metrics of this client (shared by its clones): count, errors by kind, retries,
    /// latency and time-to-first-token percentiles, tokens per second, in flight. Use
    /// [`RequestMetrics::to_prometheus`] to expose them to a scraper.
    pub fn metrics(&self) -> &Arc<RequestMetrics> {
        &self.settings().metrics
    }

    /// A snapshot of [`metrics`](Self::metrics).
    pub fn metrics_snapshot(&self) -> MetricsSnapshot {
        self.settings().metrics.snapshot()
    }

    /// Probes the server now: reachable, ready, loaded models, latency, and memory where it can be
    /// known (each figure says where it came from). The probe bypasses the retries and the circuit
    /// breaker, so it reports the server as it is.
    pub async fn health(&self) -> Result<ProbeReport, Error> {
        Ok(self.health_probe().await?.probe().await)
    }

    /// The probe that suits this server, for a [`HealthMonitor`](foundry_health::HealthMonitor)
    /// that checks it in the background. It bypasses the retries and the circuit breaker, and
    /// reads the server's memory when the server runs on this machine.
    pub async fn health_probe(&self) -> Result<Arc<dyn Probe>, Error> {
        let kind = self.stack().await?.info.kind;
        let transport = self.settings().raw.clone();
        let local = is_loopback_url(self.endpoint());
        let probe: Arc<dyn Probe> = match kind {
            ServerKind::FoundryLegacy => {
                Arc::new(FoundryLegacyProbe::new(transport).local_process(local))
            }
            ServerKind::FoundryCore1 | ServerKind::FoundryCore2 => {
                Arc::new(FoundryCoreProbe::new(transport).local_process(local))
            }
            ServerKind::LlamaCpp => Arc::new(LlamaCppProbe::new(transport).local_process(local)),
            _ => Arc::new(OpenAiProbe::new(transport).local_process(local)),
        };
        Ok(probe)
    }
}
