//! `ReqwestTransport`: the production transport, over one pooled `reqwest::Client`.

mod body;
mod builder;
mod classify;
mod direct;
mod url_cache;

use std::fmt;
use std::sync::Arc;

use http::Method;
use tokio::time::Instant;

use self::body::DataFrames;
pub use self::builder::ReqwestTransportBuilder;
use self::direct::DirectHttp;
use self::url_cache::UrlCache;
use crate::timer::{Exchange, TimedBody, instant_after, until_headers};
use crate::transport::SendFuture;
use crate::url::redact_userinfo;
use crate::{Body, Timeouts, Transport, TransportError, TransportRequest, TransportResponse};

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("foundry-client/", env!("CARGO_PKG_VERSION"));

/// Default time allowed to open a connection: 5 s. Local servers answer in
/// milliseconds; a longer wait means the server is not there.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Default time allowed until the response headers: 60 s, enough for a model to load
/// and answer a short non-streamed request on a CPU.
pub const DEFAULT_FIRST_BYTE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Default longest wait for the next body chunk: 30 s (see [`Timeouts`]).
pub const DEFAULT_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The default timers: connect 5 s, first byte 60 s, idle 30 s, no overall deadline
/// (so a long, healthy stream is never cut short).
pub const DEFAULT_TIMEOUTS: Timeouts = Timeouts::new()
    .with_connect(DEFAULT_CONNECT_TIMEOUT)
    .with_first_byte(DEFAULT_FIRST_BYTE_TIMEOUT)
    .with_idle(DEFAULT_IDLE_TIMEOUT);

/// A [`Transport`] over one pooled `reqwest::Client` (HTTP/1.1 with keep-alive,
/// `TCP_NODELAY`, rustls for `https`).
///
/// Plain-`http` requests (a local server's) go straight through hyper, the engine reqwest runs
/// on, with the same headers, pool settings and connect timeout: reqwest's per-request layers
/// cost more CPU than the rest of a call to a local server (see `docs/PERFORMANCE.md`). reqwest
/// carries `https`, targets the system's proxy settings send to a proxy (read as reqwest reads
/// them), and every request of a transport made [`from_client`](Self::from_client); the
/// builder's [`direct_http`](ReqwestTransportBuilder::direct_http) turns the direct path off.
/// A URL with credentials in it is refused (`InvalidInput`): they would not be sent.
///
/// Four separate timers guard each exchange: connect (in the client's connector),
/// first byte, idle between body chunks, and an optional overall deadline (ours, on
/// tokio's clock). Per-request [`Timeouts`] override all but the connect timeout.
/// reqwest's own retries are off: retrying is a decorator's decision.
///
/// Cloning is cheap and shares the connection pool.
///
/// ```no_run
/// use foundry_transport::{ReqwestTransport, Transport, TransportRequest};
/// use std::time::Duration;
///
/// # async fn run() -> Result<(), foundry_transport::TransportError> {
/// let transport = ReqwestTransport::builder()
///     .base_url("http://127.0.0.1:5272")
///     .api_key("not-a-secret")
///     .idle_timeout(Duration::from_secs(10))
///     .build()?;
/// let response = transport.send(TransportRequest::get("/v1/models")).await?;
/// let body = response.bytes_limited(1 << 20).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    base_url: Option<Arc<str>>,
    /// The parsed URLs of the targets sent to (under `base_url`, which never changes).
    urls: Arc<UrlCache>,
    /// The direct path for plain-`http` targets, when on.
    direct: Option<DirectHttp>,
    timeouts: Timeouts,
    /// What `Debug` may show about the configuration; never a credential's value.
    described: Arc<Description>,
}

/// The printable part of a transport's configuration.
#[derive(Debug, Default)]
struct Description {
    api_key: Option<&'static str>,
    default_headers: Vec<http::HeaderName>,
    from_client: bool,
}

impl ReqwestTransport {
    /// A builder with the defaults ([`DEFAULT_TIMEOUTS`], no base URL, no key).
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder::new()
    }

    /// Wraps an existing client, for settings the builder does not offer (proxies,
    /// custom roots, ...). `base_url`, if given, is joined to relative targets.
    ///
    /// The client's own configuration is used as is, including its connect timeout
    /// and any `User-Agent` or default headers; our first-byte and idle timers apply
    /// with their defaults (change them with [`ReqwestTransport::with_timeouts`]).
    pub fn from_client(
        client: reqwest::Client,
        base_url: Option<&str>,
    ) -> Result<Self, TransportError> {
        Ok(Self {
            client,
            base_url: base_url.map(builder::validate_base_url).transpose()?,
            urls: Arc::default(),
            // The caller's client is used as configured, for every request.
            direct: None,
            // The connect timeout is the client's own, whatever it is.
            timeouts: Timeouts::new()
                .with_first_byte(DEFAULT_FIRST_BYTE_TIMEOUT)
                .with_idle(DEFAULT_IDLE_TIMEOUT),
            described: Arc::new(Description {
                from_client: true,
                ..Description::default()
            }),
        })
    }

    /// Replaces the default timers for first byte, idle and deadline. The connect
    /// timeout belongs to the client and is not changed.
    #[must_use]
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The base URL relative targets are joined to, if any.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// The default timers of this transport.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Whether plain-`http` requests go straight through hyper.
    pub fn sends_http_directly(&self) -> bool {
        self.direct.is_some()
    }
}

impl Transport for ReqwestTransport {
    // Written out rather than with `#[async_trait]`: the request is built and handed to
    // the HTTP client (which boxes it) before the future is made, so the future we box holds
    // only a small handle and the timers, not the whole request.
    fn send<'life0, 'async_trait>(
        &'life0 self,
        request: TransportRequest,
    ) -> SendFuture<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let start = Instant::now();
        let timeouts = request.timeout_overrides().or(self.timeouts);
        let resolved =
            match self
                .urls
                .resolve(&request, self.base_url.as_deref(), self.direct.as_ref())
            {
                Ok(resolved) => resolved,
                Err(err) => return Box::pin(std::future::ready(Err(err))),
            };
        let (method, mut headers, body) = request.into_head_and_body();
        if body.is_empty() && matches!(method, Method::POST | Method::PUT | Method::PATCH) {
            // hyper sends an empty body without any length header; servers that
            // require one for these methods answer 411, so say 0 explicitly.
            headers
                .entry(http::header::CONTENT_LENGTH)
                .or_insert(http::HeaderValue::from_static("0"));
        }
        let exchange = Exchange {
            method: method.clone(),
            url: resolved.text,
        };
        if let (Some(direct), Some(uri)) = (&self.direct, resolved.uri) {
            // Lazy like any future: nothing is sent until it is polled.
            let pending = direct.send(method, uri, headers, body);
            let failed = |err: hyper_util::client::legacy::Error, message| {
                TransportError::new(direct::before_headers(&err), message).with_source(err)
            };
            return Box::pin(answer(pending, failed, start, timeouts, exchange));
        }
        let mut out = reqwest::Request::new(method, resolved.url);
        *out.headers_mut() = headers;
        if !body.is_empty() {
            *out.body_mut() = Some(body.into());
        }
        let pending = self.client.execute(out);
        let pending = async { pending.await.map(http::Response::<reqwest::Body>::from) };
        let failed = |err: reqwest::Error, message| {
            // The URL is in our message already (with any password redacted).
            TransportError::new(classify::before_headers(&err), message)
                .with_source(err.without_url())
        };
        Box::pin(answer(pending, failed, start, timeouts, exchange))
    }
}

/// The answer of either path: its head awaited under the first-byte timer and the deadline,
/// its body then read under the idle timer and the deadline. `failed` turns the client's error
/// before the head, with the exchange's description, into ours.
async fn answer<B, E>(
    pending: impl Future<Output = Result<http::Response<B>, E>>,
    failed: impl FnOnce(E, String) -> TransportError,
    start: Instant,
    timeouts: Timeouts,
    exchange: Exchange,
) -> Result<TransportResponse, TransportError>
where
    B: http_body::Body<Data = bytes::Bytes> + Unpin + Send + 'static,
    B::Error: body::BodyError,
{
    let response = until_headers(
        async {
            pending
                .await
                .map_err(|err| failed(err, exchange.describe()))
        },
        start,
        &timeouts,
        || exchange.describe(),
    )
    .await?;
    let (parts, body) = response.into_parts();
    let body = TimedBody::new(
        DataFrames::new(body),
        timeouts.idle(),
        timeouts.first_byte(),
        instant_after(start, timeouts.deadline()),
        exchange,
    );
    Ok(TransportResponse::new(
        parts.status,
        parts.headers,
        Body::from_stream(body),
    ))
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("base_url", &self.base_url.as_deref().map(redact_userinfo))
            .field("timeouts", &self.timeouts)
            .field("api_key", &self.described.api_key)
            .field("default_headers", &self.described.default_headers)
            .field("from_client", &self.described.from_client)
            .field("direct_http", &self.direct.is_some())
            .finish_non_exhaustive()
    }
}
