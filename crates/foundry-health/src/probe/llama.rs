//! llama.cpp's probe: `/health`, then `/props`, `/slots` and `/v1/models`.

use async_trait::async_trait;
use foundry_protocol::{ApiError, LlamaHealth, LlamaProps, ModelList, decode_json};
use foundry_transport::SharedTransport;
use foundry_transport::http::StatusCode;

use super::base::{ProbeBase, check_name, unreadable};
use super::{Probe, probe_settings};
use crate::report::{ProbeOutcome, ProbeProblem, ProbeReport, ServerKind, SlotUsage};

/// Probes llama.cpp's `llama-server`.
///
/// `GET /health` decides reachability: 200 `{"status":"ok"}` is ready, and 503 "Loading model"
/// is [`Starting`](ProbeOutcome::Starting), not a failure. When it is ready, the probe also reads
/// `GET /props` (slot count and build), `GET /slots` (how many slots are busy; a server started
/// with `--no-slots` answers 501, which is not a problem) and `GET /v1/models` (the loaded model
/// and its file size in `meta.size`). Each of the three can be turned off; a failure of any makes
/// the report [`Partial`](ProbeOutcome::Partial).
#[derive(Debug, Clone)]
pub struct LlamaCppProbe {
    base: ProbeBase,
    props: bool,
    slots: bool,
    models: bool,
}

impl LlamaCppProbe {
    /// A probe of the server at `transport`'s base URL with every check on, timed on tokio's
    /// clock.
    pub fn new(transport: SharedTransport) -> Self {
        Self {
            base: ProbeBase::new(transport),
            props: true,
            slots: true,
            models: true,
        }
    }

    /// Whether to read `/props` (slot count and build).
    #[must_use]
    pub fn props(mut self, on: bool) -> Self {
        self.props = on;
        self
    }

    /// Whether to read `/slots` (busy slots).
    #[must_use]
    pub fn slots(mut self, on: bool) -> Self {
        self.slots = on;
        self
    }

    /// Whether to read `/v1/models` (the loaded model and its size).
    #[must_use]
    pub fn models(mut self, on: bool) -> Self {
        self.models = on;
        self
    }
}

probe_settings!(LlamaCppProbe);

#[async_trait]
impl Probe for LlamaCppProbe {
    async fn probe(&self) -> ProbeReport {
        let start = self.base.now();
        let elapsed = || self.base.now().saturating_duration_since(start);
        let mut report = match self.health().await {
            Ok(outcome) => ProbeReport::new(outcome, elapsed()),
            Err((outcome, problem)) => {
                let mut report = ProbeReport::new(outcome, elapsed());
                report.problems.push(problem);
                return report;
            }
        };
        report.server = Some(ServerKind::LlamaCpp);
        if report.outcome != ProbeOutcome::Ready {
            return report;
        }
        let mut slots = SlotUsage::default();
        let mut sizes = Vec::new();
        let mut problems = Vec::new();
        if self.props {
            match self.read_props().await {
                Ok(props) => {
                    slots.total = props.total_slots;
                    report.version = props.build_info;
                }
                Err(problem) => problems.push(problem),
            }
        }
        if self.slots {
            match self.busy_slots().await {
                Ok(busy) => slots.busy = busy,
                Err(problem) => problems.push(problem),
            }
        }
        if self.models {
            match self.read_models().await {
                Ok(list) => {
                    sizes = list
                        .data
                        .iter()
                        .filter_map(|model| {
                            let size = model.meta.as_ref()?.get("size")?.as_u64()?;
                            Some((model.id.clone(), size))
                        })
                        .collect();
                    report.loaded_models = Some(list.ids().map(str::to_owned).collect());
                }
                Err(problem) => problems.push(problem),
            }
        }
        if slots != SlotUsage::default() {
            report.slots = Some(slots);
        }
        if !problems.is_empty() {
            report.outcome = ProbeOutcome::Partial;
            report.problems = problems;
        }
        report.memory = self
            .base
            .memory
            .figures(None, report.loaded_models.as_deref(), &sizes);
        report.latency = elapsed();
        report
    }
}

impl LlamaCppProbe {
    /// `/health`: ready, starting, or the outcome and problem that end the probe.
    async fn health(&self) -> Result<ProbeOutcome, (ProbeOutcome, ProbeProblem)> {
        const PATH: &str = "/health";
        let answer = self
            .base
            .get(PATH)
            .await
            .map_err(|problem| (ProbeOutcome::Unreachable, problem))?;
        match answer.status {
            StatusCode::OK => match LlamaHealth::from_slice(&answer.body) {
                Ok(health) if health.is_ok() => Ok(ProbeOutcome::Ready),
                Ok(_) => Err((
                    ProbeOutcome::Failing,
                    answer.status_problem(&check_name(PATH)),
                )),
                Err(error) => Err((ProbeOutcome::Failing, unreadable(PATH, &error))),
            },
            StatusCode::SERVICE_UNAVAILABLE
                if ApiError::from_body(&answer.body)
                    .message
                    .contains("Loading model") =>
            {
                Ok(ProbeOutcome::Starting)
            }
            _ => Err((
                ProbeOutcome::Failing,
                answer.status_problem(&check_name(PATH)),
            )),
        }
    }

    async fn read_props(&self) -> Result<LlamaProps, ProbeProblem> {
        const PATH: &str = "/props";
        let answer = self.base.get(PATH).await?;
        if answer.status != StatusCode::OK {
            return Err(answer.status_problem(&check_name(PATH)));
        }
        LlamaProps::from_slice(&answer.body).map_err(|error| unreadable(PATH, &error))
    }

    /// The number of busy slots; `None` when the server has `/slots` turned off.
    async fn busy_slots(&self) -> Result<Option<u32>, ProbeProblem> {
        const PATH: &str = "/slots";
        let answer = self.base.get(PATH).await?;
        match answer.status {
            StatusCode::OK => {}
            StatusCode::NOT_IMPLEMENTED | StatusCode::NOT_FOUND => return Ok(None),
            _ => return Err(answer.status_problem(&check_name(PATH))),
        }
        let slots: Vec<serde_json::Value> = decode_json("llama.cpp slots", &answer.body)
            .map_err(|error| unreadable(PATH, &error))?;
        let busy = slots
            .iter()
            .filter(|slot| {
                slot.get("is_processing")
                    .and_then(serde_json::Value::as_bool)
                    == Some(true)
            })
            .count();
        Ok(Some(u32::try_from(busy).unwrap_or(u32::MAX)))
    }

    async fn read_models(&self) -> Result<ModelList, ProbeProblem> {
        const PATH: &str = "/v1/models";
        let answer = self.base.get(PATH).await?;
        if answer.status != StatusCode::OK {
            return Err(answer.status_problem(&check_name(PATH)));
        }
        ModelList::from_slice(&answer.body).map_err(|error| unreadable(PATH, &error))
    }
}
