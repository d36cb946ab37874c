//! `ReqwestTransport`: the production transport, over one pooled `reqwest::Client`.

mod body;
mod builder;
mod classify;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use http::Method;
use tokio::time::Instant;

use self::body::DataFrames;
use self::builder::BaseUrl;
pub use self::builder::ReqwestTransportBuilder;
use crate::timer::{Exchange, TimedBody, instant_after, until_headers};
use crate::url::redact_userinfo;
use crate::{
    Body, ErrorKind, Timeouts, Transport, TransportError, TransportRequest, TransportResponse,
};

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
/// The system's proxy settings (`HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`) apply as reqwest applies
/// them. A URL with credentials in it is refused (`InvalidInput`): reqwest would not send them.
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
    base_url: Option<BaseUrl>,
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
        self.base_url.as_ref().map(|base| &*base.text)
    }

    /// The default timers of this transport.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The URL `request` goes to: its target joined to the base URL, parsed, and refused when it
    /// carries credentials (reqwest would drop them silently).
    fn url_of(
        &self,
        request: &TransportRequest,
    ) -> Result<(reqwest::Url, Arc<str>), TransportError> {
        let text = request.url(self.base_url())?;
        let invalid = |why: &str| {
            TransportError::new(
                ErrorKind::InvalidInput,
                format!("{:?} {why}", redact_userinfo(&text)),
            )
        };
        let url = match &self.base_url {
            Some(base) if !request.is_absolute() => base.join(request.target()),
            _ => reqwest::Url::parse(&text)
                .map_err(|err| invalid("is not a valid URL").with_source(err))?,
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "carries credentials, which are not sent: use an API key or an Authorization header",
            ));
        }
        Ok((url, Arc::from(text.as_ref())))
    }
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, TransportError> {
        let start = Instant::now();
        let timeouts = request.timeout_overrides().or(self.timeouts);
        let (url, text) = self.url_of(&request)?;
        let (method, _target, mut headers, body) = request.into_parts();
        if body.is_empty() && matches!(method, Method::POST | Method::PUT | Method::PATCH) {
            // An empty body is sent without any length header; servers that require one for
            // these methods answer 411, so say 0 explicitly.
            headers
                .entry(http::header::CONTENT_LENGTH)
                .or_insert(http::HeaderValue::from_static("0"));
        }
        let exchange = Exchange {
            method: method.clone(),
            url: text,
        };
        let mut out = reqwest::Request::new(method, url);
        *out.headers_mut() = headers;
        if !body.is_empty() {
            *out.body_mut() = Some(body.into());
        }
        let pending = self.client.execute(out);
        let response = until_headers(
            async {
                pending.await.map_err(|err| {
                    // The URL is in our message already (with any password redacted).
                    TransportError::new(classify::before_headers(&err), exchange.describe())
                        .with_source(err.without_url())
                })
            },
            start,
            &timeouts,
            || exchange.describe(),
        )
        .await?;
        let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
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
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("base_url", &self.base_url().map(redact_userinfo))
            .field("timeouts", &self.timeouts)
            .field("api_key", &self.described.api_key)
            .field("default_headers", &self.described.default_headers)
            .field("from_client", &self.described.from_client)
            .finish_non_exhaustive()
    }
}
