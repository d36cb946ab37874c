//! Building a client: from code, from the environment, or with a transport of the caller's.

use std::sync::Arc;
use std::time::Duration;

use foundry_health::RequestMetrics;
use foundry_resilience::{BreakerConfig, Clock, LimitConfig, RetryPolicy, TokioClock};
use foundry_transport::{ReqwestTransport, SharedTransport};

use crate::cache::{AnswerCache, CacheConfig};
use crate::client::{ClientSettings, FoundryClient};
use crate::config::{Config, validate_endpoint};
use crate::error::Error;
use crate::server::ServerKind;

/// The largest non-streamed answer read by default: 32 MiB.
pub const DEFAULT_MAX_BODY: usize = 32 * 1024 * 1024;

/// Builds a [`FoundryClient`].
///
/// ```
/// use std::time::Duration;
/// use foundry_client::FoundryClient;
///
/// let client = FoundryClient::builder()
///     .endpoint("http://127.0.0.1:5272")
///     .model("phi-4-mini")
///     .timeout(Duration::from_secs(60))
///     .retries(2)
///     .build()?;
/// assert_eq!(client.endpoint(), "http://127.0.0.1:5272");
/// # Ok::<(), foundry_client::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
    transport: Option<SharedTransport>,
    server_kind: Option<ServerKind>,
    retry: Option<RetryPolicy>,
    breaker: Option<Option<BreakerConfig>>,
    concurrency: Option<LimitConfig>,
    load_on_demand: Option<bool>,
    max_body: Option<usize>,
    catalog_ttl: Option<Duration>,
    cache: Option<CacheConfig>,
    plaintext_key_allowed: bool,
}

impl ClientBuilder {
    /// Starts from a configuration (for example [`Config::from_env`]).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The server's base URL, e.g. `http://127.0.0.1:5272`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.config.endpoint = Some(endpoint.into());
        self
    }

    /// The API key sent as `Authorization: Bearer` (local servers rarely need one).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.config.api_key = Some(api_key.into());
        self
    }

    /// The model used when a request names none.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.config.model = model.into();
        self
    }

    /// Time allowed until the server starts answering, and the longest silence inside a stream.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// Retries of a failed attempt, with the default policy.
    pub fn retries(mut self, retries: u32) -> Self {
        self.config.retries = retries;
        self
    }

    /// A full retry policy (overrides [`retries`](Self::retries)). Unless it has its own
    /// permanence check, the client adds one: a 500 that describes a bad request is not retried.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The circuit breaker's settings; `None` turns the breaker off.
    pub fn breaker(mut self, config: Option<BreakerConfig>) -> Self {
        self.breaker = Some(config);
        self
    }

    /// The in-flight limit and queue (default: 4 and 1,024 for Foundry and llama.cpp — or
    /// llama.cpp's slot count —, 64 for other servers).
    pub fn concurrency(mut self, limit: LimitConfig) -> Self {
        self.concurrency = Some(limit);
        self
    }

    /// Sends requests through this transport instead of the network (tests, custom stacks).
    /// Resilience layers still wrap it.
    pub fn transport(mut self, transport: SharedTransport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Skips detection: the server is known to be of this kind.
    pub fn server_kind(mut self, kind: ServerKind) -> Self {
        self.server_kind = Some(kind);
        self
    }

    /// Whether to load a model and retry once when a Foundry server says it is not loaded
    /// (default: on).
    pub fn load_on_demand(mut self, on: bool) -> Self {
        self.load_on_demand = Some(on);
        self
    }

    /// The largest non-streamed answer read (default 32 MiB); larger is a typed error.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// How long a fetched catalog is reused (default 5 minutes).
    pub fn catalog_ttl(mut self, ttl: Duration) -> Self {
        self.catalog_ttl = Some(ttl);
        self
    }

    /// Allows sending the API key over plain `http://` to a host that is not this machine
    /// (refused by default: anyone on the path could read it).
    pub fn allow_plaintext_api_key(mut self, allowed: bool) -> Self {
        self.plaintext_key_allowed = allowed;
        self
    }

    /// Keeps answers to deterministic requests (temperature 0 or a seed) and serves repeats from
    /// memory (off by default).
    pub fn cache(mut self, config: CacheConfig) -> Self {
        self.cache = Some(config);
        self
    }

    /// Builds the client. Fails without an endpoint, or with an invalid one.
    pub fn build(self) -> Result<FoundryClient, Error> {
        let endpoint = match &self.config.endpoint {
            Some(endpoint) => validate_endpoint("endpoint", endpoint)?,
            None if self.transport.is_some() => "http://transport.invalid".to_owned(),
            None => {
                return Err(Error::config(
                    "endpoint",
                    "none set: pass one to the builder, set FOUNDRY_ENDPOINT, or use FoundryClient::discover()",
                ));
            }
        };
        let transport = match self.transport {
            Some(transport) => transport,
            None => {
                let mut builder = ReqwestTransport::builder()
                    .base_url(&endpoint)
                    .first_byte_timeout(self.config.timeout)
                    .idle_timeout(self.config.timeout);
                if let Some(key) = &self.config.api_key {
                    builder = builder
                        .api_key(key)
                        .allow_plaintext_key(self.plaintext_key_allowed);
                }
                SharedTransport::new(builder.build().map_err(|e| Error::config("endpoint", e))?)
            }
        };
        let clock: Arc<dyn Clock> = Arc::new(TokioClock);
        let metrics = Arc::new(RequestMetrics::with_clock(clock.clone()));
        let policy = with_request_error_check(
            self.retry
                .unwrap_or_else(|| RetryPolicy::with_max_retries(self.config.retries)),
        );
        let retry = counting_retries(policy, metrics.clone());
        let settings = ClientSettings {
            endpoint,
            raw: transport,
            server_kind: self.server_kind,
            retry,
            breaker: self
                .breaker
                .unwrap_or_else(|| Some(BreakerConfig::default())),
            concurrency: self.concurrency,
            load_on_demand: self.load_on_demand.unwrap_or(true),
            max_body: self.max_body.unwrap_or(DEFAULT_MAX_BODY),
            catalog_ttl: self.catalog_ttl.unwrap_or(Duration::from_secs(300)),
            cache: self
                .cache
                .map(|config| AnswerCache::new(config, clock.clone())),
            metrics,
            clock,
        };
        Ok(FoundryClient::from_settings(self.config, settings))
    }
}

/// Every retry is counted in the request metrics (and still told to the policy's own observer).
fn counting_retries(policy: RetryPolicy, metrics: Arc<RequestMetrics>) -> RetryPolicy {
    let theirs = policy.observer.clone();
    policy.observe_retries(move |attempt, reason| {
        metrics.record_retry();
        if let Some(observer) = &theirs {
            observer(attempt, reason);
        }
    })
}

/// Unless the policy has its own check: an answer that is not transient by the one
/// classification of error answers ([`ErrorClass`](foundry_protocol::ErrorClass)) is final — a 500
/// that describes a bad request (as Foundry's Core 1.x answers them), a model problem.
fn with_request_error_check(policy: RetryPolicy) -> RetryPolicy {
    if policy.permanent.is_some() {
        return policy;
    }
    policy.permanent_when(|status, _, body| {
        foundry_protocol::ApiError::from_body(body).classify(status.as_u16())
            != foundry_protocol::ErrorClass::Transient
    })
}
