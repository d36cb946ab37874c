//! The probe of any OpenAI-compatible server: `GET /v1/models`.

use async_trait::async_trait;
use foundry_protocol::ModelList;
use foundry_transport::SharedTransport;
use foundry_transport::http::StatusCode;

use super::base::{ProbeBase, check_name, unreadable};
use super::{Probe, probe_settings};
use crate::report::{ProbeOutcome, ProbeReport, ServerKind};

/// Probes an OpenAI-compatible server (Ollama's `/v1`, vLLM, ...) with `GET /v1/models`.
///
/// The model list is the one route every such server has; the models it lists are reported as
/// loaded, which is what the route means on servers that serve one model (vLLM, llama.cpp) and
/// an upper bound on those that load on demand (Ollama).
#[derive(Debug, Clone)]
pub struct OpenAiProbe {
    base: ProbeBase,
    path: String,
}

impl OpenAiProbe {
    /// A probe of `GET /v1/models` at `transport`'s base URL, timed on tokio's clock.
    pub fn new(transport: SharedTransport) -> Self {
        Self {
            base: ProbeBase::new(transport),
            path: "/v1/models".to_owned(),
        }
    }

    /// Probes `path` instead (`/models` when the base URL already ends in `/v1`).
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }
}

probe_settings!(OpenAiProbe);

#[async_trait]
impl Probe for OpenAiProbe {
    async fn probe(&self) -> ProbeReport {
        let start = self.base.now();
        let elapsed = || self.base.now().saturating_duration_since(start);
        let answer = match self.base.get(&self.path).await {
            Ok(answer) => answer,
            Err(problem) => {
                let mut report = ProbeReport::new(ProbeOutcome::Unreachable, elapsed());
                report.problems.push(problem);
                return report;
            }
        };
        let list = if answer.status == StatusCode::OK {
            ModelList::from_slice(&answer.body).map_err(|error| unreadable(&self.path, &error))
        } else {
            Err(answer.status_problem(&check_name(&self.path)))
        };
        let mut report = ProbeReport::new(ProbeOutcome::Failing, elapsed());
        match list {
            Ok(list) => {
                report.outcome = ProbeOutcome::Ready;
                report.server = Some(ServerKind::OpenAiCompatible);
                report.loaded_models = Some(list.ids().map(str::to_owned).collect());
                report.memory =
                    self.base
                        .memory
                        .figures(None, report.loaded_models.as_deref(), &[]);
            }
            Err(problem) => report.problems.push(problem),
        }
        report.latency = elapsed();
        report
    }
}
