//! Health probes, a health state machine, a background monitor, request metrics and a
//! health-aware choice among several endpoints.
//!
//! **Who should depend on this crate:** people running several model servers behind one client,
//! building dashboards or alerting on a local model server, or writing their own client stack
//! from `foundry-transport`. Most users get health and metrics through `foundry-client`, which
//! builds on this crate.
//!
//! - [`Probe`]: one real HTTP check of a server, through a
//!   [`SharedTransport`](foundry_transport::SharedTransport): [`FoundryCoreProbe`] (`/status`,
//!   `/models/loaded`), [`FoundryLegacyProbe`] (`/openai/status`, `/openai/loadedmodels`),
//!   [`LlamaCppProbe`] (`/health`, `/props`, `/slots`, `/v1/models`) and [`OpenAiProbe`]
//!   (`/v1/models`). Each returns a [`ProbeReport`]: reachable, ready, server kind and version
//!   where known, loaded models, latency and memory, with the [`MemorySource`] of every figure.
//! - [`HealthMachine`]: the pure state machine (`now` is an argument) that turns probe results
//!   into a [`HealthStatus`] with hysteresis.
//! - [`HealthChecker`] runs a probe and the machine once per call; [`HealthMonitor::start`] runs
//!   it on an interval with jitter in one task that stops when its [`MonitorHandle`] is dropped,
//!   and can open a [`CircuitBreaker`](foundry_resilience::CircuitBreaker) early.
//! - [`RequestMetrics`]: counts, errors by kind, retries, latency, time to first token, tokens
//!   per second and requests in flight, with percentiles from an HDR histogram and an optional
//!   Prometheus text exposition.
//! - [`EndpointSet`]: power of two choices on requests in flight among the endpoints whose health
//!   and breaker let them serve.
//!
//! Time comes from an injected [`Clock`](foundry_resilience::Clock): the library never reads the
//! system clock nor sleeps by itself, so every rule is tested on a manual or paused clock.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use foundry_health::{HealthMonitor, HealthStatus, MonitorConfig, OpenAiProbe};
//! use foundry_resilience::TokioClock;
//! use foundry_transport::SharedTransport;
//! use foundry_transport::http::Method;
//! use foundry_transport::mock::{MockResponse, MockTransport};
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
//! # runtime.block_on(async {
//! let server = MockTransport::new();
//! server.on(Method::GET, "/v1/models").reply(MockResponse::json(r#"{"data":[{"id":"m"}]}"#));
//! let probe = OpenAiProbe::new(SharedTransport::new(server));
//! let config = MonitorConfig::default().interval(Duration::from_secs(5));
//! let monitor = HealthMonitor::start(probe, config);
//! let mut changes = monitor.subscribe();
//! changes.wait_for(|status| *status == HealthStatus::Healthy).await.unwrap();
//! assert_eq!(monitor.snapshot().last_report.unwrap().loaded_models.unwrap(), ["m"]);
//! # });
//! ```
#![forbid(unsafe_code)]
// Unit tests start the pure state machines at a real instant; the code under test never reads it.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

mod detect;
mod endpoints;
mod memory;
mod metrics;
mod monitor;
mod probe;
mod report;
mod state;
#[cfg(test)]
mod test_clock;

pub use detect::{ServerInfo, detect};
pub use endpoints::{Endpoint, EndpointLease, EndpointSet, NoEndpointAvailable};
pub use memory::{MemoryFigure, MemorySource};
pub use metrics::{
    InFlight, LatencySummary, MetricsSnapshot, RateSummary, RequestMetrics, RequestRecord,
};
pub use monitor::{
    HealthChecker, HealthMonitor, HealthSnapshot, HealthView, MonitorConfig, MonitorHandle,
};
pub use probe::{
    FoundryCoreProbe, FoundryLegacyProbe, LlamaCppProbe, OpenAiProbe, Probe, probe_for,
};
pub use report::{ProbeOutcome, ProbeProblem, ProbeReport, ProblemKind, ServerKind, SlotUsage};
pub use state::{HealthConfig, HealthMachine, HealthStatus, HealthTransition, Observation};
