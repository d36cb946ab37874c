//! The client handle: cheap to clone, shared by every task of a program.

use std::sync::Arc;

use bytes::Bytes;
use foundry_resilience::{
    CircuitBreaker, ConcurrencyLimit, LimitConfig, ResilienceBuilder, Resilient, RetryPolicy,
};
use foundry_transport::http::StatusCode;
use foundry_transport::{SharedTransport, Transport, TransportRequest, TransportResponse};
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use crate::builder::ClientBuilder;
use crate::config::Config;
use crate::error::Error;
use crate::models::ModelDirectory;
use crate::server::{ServerInfo, ServerKind, default_concurrency, detect};

/// The largest error body kept: enough for any real message, bounded against hostile servers.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// A client of one local model server: Foundry Local (any generation), llama.cpp, or any
/// OpenAI-compatible server.
///
/// `Clone + Send + Sync`; clones share the connection pool, the circuit breaker, the concurrency
/// limit and what the client learned about the server (its kind, model ids).
#[derive(Debug, Clone)]
pub struct FoundryClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    settings: ClientSettings,
    stack: OnceCell<Stack>,
    models: ModelDirectory,
    learned: Learned,
}

/// What the client learned about its server's habits while talking to it.
#[derive(Debug, Default)]
pub(crate) struct Learned {
    /// The server refused `response_format` `json_schema`: structured output asks for
    /// `json_object` instead from then on.
    #[cfg_attr(not(feature = "structured"), allow(dead_code))]
    pub(crate) json_schema_refused: std::sync::atomic::AtomicBool,
}

/// Everything the builder decided.
#[derive(Debug)]
pub(crate) struct ClientSettings {
    pub(crate) endpoint: String,
    pub(crate) raw: SharedTransport,
    pub(crate) server_kind: Option<ServerKind>,
    pub(crate) retry: RetryPolicy,
    pub(crate) breaker: Option<foundry_resilience::BreakerConfig>,
    pub(crate) concurrency: Option<LimitConfig>,
    pub(crate) load_on_demand: bool,
    pub(crate) max_body: usize,
    pub(crate) catalog_ttl: std::time::Duration,
    pub(crate) cache: Option<crate::cache::AnswerCache>,
    pub(crate) metrics: Arc<foundry_health::RequestMetrics>,
    /// The one clock of the client: resilience, metrics, the cache and the catalog age on it.
    pub(crate) clock: Arc<dyn foundry_resilience::Clock>,
}

/// The server's kind and the resilience stack that suits it, set up on first use.
#[derive(Debug)]
pub(crate) struct Stack {
    pub(crate) info: ServerInfo,
    pub(crate) resilient: Resilient,
}

impl FoundryClient {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the `FOUNDRY_*` variables (see [`Config`]).
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().config(Config::from_env()?).build()
    }

    pub(crate) fn from_settings(config: Config, settings: ClientSettings) -> Self {
        let models = ModelDirectory::new(settings.catalog_ttl, settings.clock.clone());
        Self {
            inner: Arc::new(Inner {
                config,
                settings,
                stack: OnceCell::new(),
                models,
                learned: Learned::default(),
            }),
        }
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The server's base URL.
    pub fn endpoint(&self) -> &str {
        &self.inner.settings.endpoint
    }

    /// What kind of server answers, detected on first use (or as set on the builder).
    pub async fn server(&self) -> Result<ServerInfo, Error> {
        Ok(self.stack().await?.info.clone())
    }

    /// The server's kind, once detected (or as set on the builder and first used).
    pub(crate) fn known_kind(&self) -> Option<ServerKind> {
        self.inner.stack.get().map(|stack| stack.info.kind)
    }

    /// The circuit breaker guarding this server, once the server has been contacted.
    pub fn breaker(&self) -> Option<CircuitBreaker> {
        self.inner
            .stack
            .get()
            .and_then(|stack| stack.resilient.breaker.clone())
    }

    /// The concurrency limit in front of this server, once the server has been contacted.
    pub fn concurrency_limit(&self) -> Option<Arc<ConcurrencyLimit>> {
        self.inner
            .stack
            .get()
            .and_then(|stack| stack.resilient.limit.clone())
    }

    /// Hits and misses of the answer cache, when it is on.
    pub fn cache_stats(&self) -> Option<crate::cache::CacheStats> {
        self.inner
            .settings
            .cache
            .as_ref()
            .map(crate::cache::AnswerCache::stats)
    }

    pub(crate) fn models(&self) -> &ModelDirectory {
        &self.inner.models
    }

    pub(crate) fn settings(&self) -> &ClientSettings {
        &self.inner.settings
    }

    #[cfg_attr(not(feature = "structured"), allow(dead_code))]
    pub(crate) fn learned(&self) -> &Learned {
        &self.inner.learned
    }

    /// The model to use: the request's, else the configured default.
    pub(crate) fn model_or_default(&self, model: &str) -> String {
        if model.is_empty() {
            self.inner.config.model.clone()
        } else {
            model.to_owned()
        }
    }

    /// The detected server and its stack; detection runs once (a failed detection is retried on
    /// the next call).
    pub(crate) async fn stack(&self) -> Result<&Stack, Error> {
        self.inner
            .stack
            .get_or_try_init(|| async {
                let settings = &self.inner.settings;
                let info = match settings.server_kind {
                    Some(kind) => ServerInfo::of_kind(kind),
                    None => detect(&settings.raw).await.map_err(|e| Error::transport("detecting the server", e))?,
                };
                tracing::debug!(kind = %info.kind, endpoint = %settings.endpoint, "server detected");
                let limit = settings.concurrency.unwrap_or_else(|| {
                    let slots = info.slots.map(|n| n as usize);
                    LimitConfig::new(slots.unwrap_or_else(|| default_concurrency(info.kind)), 1024)
                });
                let resilient = ResilienceBuilder::new()
                    .clock(settings.clock.clone())
                    .retry(settings.retry.clone())
                    .breaker(settings.breaker)
                    .limit(limit)
                    .build(settings.raw.clone());
                Ok(Stack { info, resilient })
            })
            .await
    }

    /// Sends a request through the resilience stack; an error status becomes a typed error.
    pub(crate) async fn execute(
        &self,
        request: TransportRequest,
        what: &str,
    ) -> Result<TransportResponse, Error> {
        let stack = self.stack().await?;
        let response = stack
            .resilient
            .transport
            .send(request)
            .await
            .map_err(|e| Error::transport(what, e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(error_of_response(response, what).await)
    }

    /// Sends a request and reads its whole (bounded) body.
    pub(crate) async fn execute_bytes(
        &self,
        request: TransportRequest,
        what: &str,
    ) -> Result<(StatusCode, Bytes), Error> {
        let response = self.execute(request, what).await?;
        let (status, headers, body) = response.into_parts();
        let body = body
            .bytes_limited(self.inner.settings.max_body)
            .await
            .map_err(|e| Error::transport(what, e))?;
        // A success status whose body is an error envelope is the error it describes. Checked
        // cheaply here (an envelope starts with its `error` key); answers that decode to nothing
        // (no choices, no data) get the thorough check where they are decoded.
        if starts_with_error_key(&body) && carries_error_envelope(&body) {
            return Err(Error::from_response(what, status, &headers, body));
        }
        Ok((status, body))
    }

    /// Sends a request and decodes its JSON answer.
    pub(crate) async fn execute_json<T: DeserializeOwned>(
        &self,
        request: TransportRequest,
        what: &'static str,
    ) -> Result<T, Error> {
        let (_, body) = self.execute_bytes(request, what).await?;
        foundry_protocol::decode_json(what, &body).map_err(|e| Error::decode(what, e))
    }

    /// A JSON POST of `body` to `path`. Inference has no side effects on the server, so it is
    /// marked idempotent: it may be retried (as openai-python does) until its answer starts.
    pub(crate) fn post_json(
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<TransportRequest, Error> {
        let json = serde_json::to_vec(body).map_err(|e| Error::config("request body", e))?;
        Ok(TransportRequest::post_json(path, json).idempotent(true))
    }
}

/// The typed error an error status and its (bounded) body describe.
async fn error_of_response(response: TransportResponse, what: &str) -> Error {
    let (status, headers, body) = response.into_parts();
    // A body that cannot be read still leaves the status to report.
    let body = body
        .bytes_limited(ERROR_BODY_LIMIT)
        .await
        .unwrap_or_default();
    Error::from_response(what, status, &headers, body)
}

/// Whether a JSON object's first key is `error`: how every error envelope seen in the wild starts.
fn starts_with_error_key(body: &[u8]) -> bool {
    let rest = body.trim_ascii_start();
    rest.strip_prefix(b"{")
        .is_some_and(|inner| inner.trim_ascii_start().starts_with(b"\"error\""))
}

/// Whether a JSON body is an error envelope (`{"error": {...}}` or `{"error": "text"}`); `"error":
/// null`, which the legacy service sends on successes, is not.
pub(crate) fn carries_error_envelope(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(default)]
        error: Option<serde_json::Value>,
        #[serde(default)]
        choices: Option<serde_json::Value>,
        #[serde(default)]
        data: Option<serde_json::Value>,
    }
    serde_json::from_slice::<Probe>(body).is_ok_and(|probe| {
        probe.error.is_some_and(|e| !e.is_null()) && probe.choices.is_none() && probe.data.is_none()
    })
}
