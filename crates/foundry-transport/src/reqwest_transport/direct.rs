//! Plain-`http` requests sent straight through hyper, the HTTP engine reqwest itself runs on.
//!
//! Why: a local model server answers in microseconds, and reqwest's per-request layers (its
//! request and response wrappers, redirect and retry services, the URL-to-URI conversion, the
//! connector's clone) cost more CPU than everything else our client does per request — measured in
//! `docs/PERFORMANCE.md`, a chat through `FoundryClient` on this path costs less than a bare
//! reqwest loop. reqwest keeps what it is needed for: `https` (rustls), targets the system's
//! proxy settings send to a proxy (read with the same matcher reqwest uses), and clients handed
//! in with `ReqwestTransport::from_client`.
//!
//! The two paths send the same requests: the same default headers (`User-Agent`, any configured
//! ones, the API key), `Accept: */*` as reqwest adds it, HTTP/1.1 over one pool of kept-alive
//! connections with `TCP_NODELAY` and reqwest's TCP keep-alive and user-timeout settings, the
//! connect timeout over the whole connect (name lookup included), no redirects followed; and
//! their failures map to the same error kinds.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, HeaderMap, HeaderValue, USER_AGENT as USER_AGENT_HEADER};
use http::{Method, Request, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

use super::{USER_AGENT, classify};
use crate::{ErrorKind, TimeoutKind};

/// How long an idle kept-alive connection stays in the pool, as reqwest keeps it.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// TCP keep-alive probes as reqwest sets them: after 15 s idle, every 15 s, 3 of them.
const TCP_KEEPALIVE: Duration = Duration::from_secs(15);
const TCP_KEEPALIVE_RETRIES: u32 = 3;
/// How long sent data may stay unacknowledged before the kernel drops the connection, as
/// reqwest sets it where the option exists.
#[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// The hyper client for plain-`http` targets, with the headers every request carries and the
/// proxy rules that decide which targets it may take.
#[derive(Clone)]
pub(super) struct DirectHttp {
    client: Client<TimedConnector, Full<Bytes>>,
    default_headers: HeaderMap,
    /// The system's proxy rules, read as reqwest reads them: a target they send to a proxy goes
    /// through reqwest.
    proxies: std::sync::Arc<Matcher>,
}

impl DirectHttp {
    /// A client with the given connect timeout and default headers (the API key among them),
    /// under the system's proxy rules.
    pub(super) fn new(connect_timeout: Option<Duration>, headers: &HeaderMap) -> Self {
        Self::with_proxies(connect_timeout, headers, Matcher::from_system())
    }

    pub(super) fn with_proxies(
        connect_timeout: Option<Duration>,
        headers: &HeaderMap,
        proxies: Matcher,
    ) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(connect_timeout);
        connector.set_keepalive(Some(TCP_KEEPALIVE));
        connector.set_keepalive_interval(Some(TCP_KEEPALIVE));
        connector.set_keepalive_retries(Some(TCP_KEEPALIVE_RETRIES));
        #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
        connector.set_tcp_user_timeout(Some(TCP_USER_TIMEOUT));
        let connector = TimedConnector {
            inner: connector,
            limit: connect_timeout,
        };
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        let mut default_headers = headers.clone();
        default_headers
            .entry(USER_AGENT_HEADER)
            .or_insert(HeaderValue::from_static(USER_AGENT));
        default_headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        Self {
            client,
            default_headers,
            proxies: std::sync::Arc::new(proxies),
        }
    }

    /// Whether requests to `uri` may go straight through hyper: no proxy rule applies to it.
    pub(super) fn takes(&self, uri: &Uri) -> bool {
        self.proxies.intercept(uri).is_none()
    }

    /// Starts sending a request (lazily, like any future); the default headers fill in what the
    /// request does not set itself.
    pub(super) fn send(
        &self,
        method: Method,
        uri: Uri,
        mut headers: HeaderMap,
        body: Bytes,
    ) -> ResponseFuture {
        for (name, value) in &self.default_headers {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        self.client.request(request)
    }
}

/// The connector under the connect timeout as a whole, name lookup included, as reqwest bounds
/// it (hyper's own connect timeout bounds each address tried, not the lookup).
#[derive(Clone)]
struct TimedConnector {
    inner: HttpConnector,
    limit: Option<Duration>,
}

type Connecting =
    Pin<Box<dyn Future<Output = Result<TokioIo<tokio::net::TcpStream>, BoxError>> + Send>>;
type BoxError = Box<dyn StdError + Send + Sync>;

impl tower_service::Service<Uri> for TimedConnector {
    type Response = TokioIo<tokio::net::TcpStream>;
    type Error = BoxError;
    type Future = Connecting;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Connecting {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        // Boxed once per new connection, not per request.
        Box::pin(async move {
            let Some(limit) = limit else {
                return connecting.await.map_err(Into::into);
            };
            match tokio::time::timeout(limit, connecting).await {
                Ok(connected) => connected.map_err(Into::into),
                Err(_elapsed) => Err(Box::new(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connect timed out (name lookup included)",
                )) as BoxError),
            }
        })
    }
}

/// The kind of an error returned before the response headers arrived.
pub(super) fn before_headers(err: &hyper_util::client::legacy::Error) -> ErrorKind {
    if err.is_connect() {
        // In reqwest's order: a timer that fired first, then a failed lookup.
        return if classify::has_timed_out_io(err) {
            ErrorKind::Timeout(TimeoutKind::Connect)
        } else if classify::is_dns(err) {
            ErrorKind::Dns
        } else {
            ErrorKind::Connect
        };
    }
    classify::from_chain(err).unwrap_or(ErrorKind::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_a_proxy_rule_covers_go_through_reqwest() {
        let proxies = Matcher::builder()
            .http("http://proxy.example:3128")
            .no("127.0.0.1,localhost")
            .build();
        let direct = DirectHttp::with_proxies(None, &HeaderMap::new(), proxies);
        let uri = |text: &str| text.parse::<Uri>().unwrap();
        assert!(direct.takes(&uri("http://127.0.0.1:5272/v1/models")));
        assert!(direct.takes(&uri("http://localhost:8080/health")));
        assert!(!direct.takes(&uri("http://10.0.0.7:8000/v1/models")));
        let no_rules =
            DirectHttp::with_proxies(None, &HeaderMap::new(), Matcher::builder().build());
        assert!(no_rules.takes(&uri("http://10.0.0.7:8000/v1/models")));
    }

    #[test]
    fn the_default_headers_fill_in_and_never_override() {
        let mut configured = HeaderMap::new();
        configured.insert("x-team", HeaderValue::from_static("blue"));
        let direct = DirectHttp::with_proxies(None, &configured, Matcher::builder().build());
        assert_eq!(direct.default_headers["user-agent"], USER_AGENT);
        assert_eq!(direct.default_headers["accept"], "*/*");
        assert_eq!(direct.default_headers["x-team"], "blue");
    }
}
