//! Foundry Local's probes: the current Core's `/status` and `/models/loaded`, and the legacy
//! service's `/openai/status` and `/openai/loadedmodels`.

use async_trait::async_trait;
use foundry_protocol::ServiceStatus;
use foundry_protocol::foundry::{CoreFlavour, parse_model_ids};
use foundry_transport::SharedTransport;
use foundry_transport::http::StatusCode;
use foundry_transport::http::header::{HeaderMap, SERVER};

use super::base::{ProbeBase, unreadable};
use super::{Probe, probe_settings};
use crate::report::{ProbeOutcome, ProbeReport, ServerKind};

/// Probes Foundry Local's current web service (C# Core 1.x or C++ Core 2.x): `GET /status`, then
/// `GET /models/loaded`.
///
/// The `Server` header (`Kestrel` or `oatpp`) and the status keys (`modelDirPath` or
/// `modelCachePath`) tell the two Cores apart. Core 2.x reports its process id: with
/// [`local_process(true)`](Self::local_process) its resident memory is read.
#[derive(Debug, Clone)]
pub struct FoundryCoreProbe {
    base: ProbeBase,
}

/// Probes Foundry Local's legacy CLI service: `GET /openai/status`, then
/// `GET /openai/loadedmodels`.
#[derive(Debug, Clone)]
pub struct FoundryLegacyProbe {
    base: ProbeBase,
}

impl FoundryCoreProbe {
    /// A probe of the Core at `transport`'s base URL, timed on tokio's clock.
    pub fn new(transport: SharedTransport) -> Self {
        Self {
            base: ProbeBase::new(transport),
        }
    }
}

impl FoundryLegacyProbe {
    /// A probe of the legacy service at `transport`'s base URL, timed on tokio's clock.
    pub fn new(transport: SharedTransport) -> Self {
        Self {
            base: ProbeBase::new(transport),
        }
    }
}

probe_settings!(FoundryCoreProbe);
probe_settings!(FoundryLegacyProbe);

#[async_trait]
impl Probe for FoundryCoreProbe {
    async fn probe(&self) -> ProbeReport {
        probe_foundry(&self.base, "/status", "/models/loaded", core_kind).await
    }
}

#[async_trait]
impl Probe for FoundryLegacyProbe {
    async fn probe(&self) -> ProbeReport {
        probe_foundry(
            &self.base,
            "/openai/status",
            "/openai/loadedmodels",
            |_, _| Some(ServerKind::FoundryLegacy),
        )
        .await
    }
}

/// Which Core answered: the `Server` header first, then the status keys.
fn core_kind(status: &ServiceStatus, headers: &HeaderMap) -> Option<ServerKind> {
    let by_header = headers
        .get(SERVER)
        .and_then(|value| value.to_str().ok())
        .and_then(CoreFlavour::from_server_header);
    match by_header.or_else(|| status.core_flavour())? {
        CoreFlavour::Core1 => Some(ServerKind::FoundryCore1),
        CoreFlavour::Core2 => Some(ServerKind::FoundryCore2),
        _ => None,
    }
}

/// The shared shape of both generations: a status document (must pass), then the loaded
/// models (may fail, which makes the report [`Partial`](ProbeOutcome::Partial)).
async fn probe_foundry(
    base: &ProbeBase,
    status_path: &str,
    loaded_path: &str,
    kind_of: fn(&ServiceStatus, &HeaderMap) -> Option<ServerKind>,
) -> ProbeReport {
    let start = base.now();
    let elapsed = || base.now().saturating_duration_since(start);
    let answer = match base.get(status_path).await {
        Ok(answer) => answer,
        Err(problem) => {
            let mut report = ProbeReport::new(ProbeOutcome::Unreachable, elapsed());
            report.problems.push(problem);
            return report;
        }
    };
    let status = if answer.status == StatusCode::OK {
        ServiceStatus::from_slice(&answer.body).map_err(|error| unreadable(status_path, &error))
    } else {
        Err(answer.status_problem(&super::base::check_name(status_path)))
    };
    let status = match status {
        Ok(status) => status,
        Err(problem) => {
            let mut report = ProbeReport::new(ProbeOutcome::Failing, elapsed());
            report.problems.push(problem);
            return report;
        }
    };
    let mut report = ProbeReport::new(ProbeOutcome::Ready, elapsed());
    report.server = kind_of(&status, &answer.headers);
    match loaded_models(base, loaded_path).await {
        Ok(models) => report.loaded_models = Some(models),
        Err(problem) => {
            report.outcome = ProbeOutcome::Partial;
            report.problems.push(problem);
        }
    }
    report.memory = base
        .memory
        .figures(status.pid, report.loaded_models.as_deref(), &[]);
    report.latency = elapsed();
    report
}

async fn loaded_models(
    base: &ProbeBase,
    path: &str,
) -> Result<Vec<String>, crate::report::ProbeProblem> {
    let answer = base.get(path).await?;
    if answer.status != StatusCode::OK {
        return Err(answer.status_problem(&super::base::check_name(path)));
    }
    parse_model_ids(&answer.body).map_err(|error| unreadable(path, &error))
}
