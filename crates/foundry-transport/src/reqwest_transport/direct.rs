//! Plain-`http` requests sent straight through hyper, the HTTP engine reqwest itself runs on.
//!
//! Why: a local model server answers in microseconds, and reqwest's per-request layers (its
//! request and response wrappers, redirect and retry services, the URL-to-URI conversion, the
//! connector's clone) cost more CPU than everything else our client does per request — measured in
//! `docs/PERFORMANCE.md`, a chat through `FoundryClient` on this path costs less than a bare
//! reqwest loop. reqwest keeps what it is needed for: `https` (rustls), proxies, and clients
//! handed in with `ReqwestTransport::from_client`.
//!
//! On the wire the two paths send the same thing: the same default headers (`User-Agent`, any
//! configured ones, the API key), `Accept: */*` as reqwest adds it, HTTP/1.1 over one pool of
//! kept-alive connections with `TCP_NODELAY` and reqwest's TCP keep-alive settings, the same
//! connect timeout, no redirects followed. A URL with a user name or password goes through
//! reqwest, which turns them into a basic `Authorization` header.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::header::{ACCEPT, HeaderMap, HeaderValue, USER_AGENT as USER_AGENT_HEADER};
use http::{Method, Request, Uri};
use http_body::Body as _;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::{USER_AGENT, classify};
use crate::{ErrorKind, TimeoutKind, TransportError};

/// How long an idle kept-alive connection stays in the pool, as reqwest keeps it.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// TCP keep-alive probes as reqwest sets them: after 15 s idle, every 15 s, 3 of them.
const TCP_KEEPALIVE: Duration = Duration::from_secs(15);
const TCP_KEEPALIVE_RETRIES: u32 = 3;

/// The proxy variables reqwest honours for `http` URLs: when one is set, every request goes
/// through reqwest so that the proxy (and `NO_PROXY`) apply exactly as before.
const PROXY_VARIABLES: [&str; 4] = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// The hyper client for plain-`http` targets, with the headers every request carries.
#[derive(Clone)]
pub(super) struct DirectHttp {
    client: Client<HttpConnector, Full<Bytes>>,
    default_headers: HeaderMap,
}

impl DirectHttp {
    /// A client with the given connect timeout and default headers (the API key among them), or
    /// `None` when a proxy variable is set and reqwest must carry the requests.
    pub(super) fn unless_proxied(
        connect_timeout: Option<Duration>,
        headers: &HeaderMap,
    ) -> Option<Self> {
        let proxied = PROXY_VARIABLES
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
        (!proxied).then(|| Self::new(connect_timeout, headers))
    }

    fn new(connect_timeout: Option<Duration>, headers: &HeaderMap) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(connect_timeout);
        connector.set_keepalive(Some(TCP_KEEPALIVE));
        connector.set_keepalive_interval(Some(TCP_KEEPALIVE));
        connector.set_keepalive_retries(Some(TCP_KEEPALIVE_RETRIES));
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
        }
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

/// The kind of an error returned before the response headers arrived.
pub(super) fn before_headers(err: &hyper_util::client::legacy::Error) -> ErrorKind {
    if err.is_connect() {
        return if classify::is_dns(err) {
            ErrorKind::Dns
        } else if classify::has_timed_out_io(err) {
            ErrorKind::Timeout(TimeoutKind::Connect)
        } else {
            ErrorKind::Connect
        };
    }
    classify::from_chain(err).unwrap_or(ErrorKind::Other)
}

/// hyper's response body as a stream of data chunks; trailers are skipped. Dropping it drops the
/// connection's body, which aborts the transfer.
pub(super) struct DirectBody {
    inner: Incoming,
}

impl DirectBody {
    pub(super) fn new(inner: Incoming) -> Self {
        Self { inner }
    }
}

impl Stream for DirectBody {
    type Item = Result<Bytes, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let frame = match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Ok(frame)) => frame,
                Some(Err(err)) => {
                    // The message is filled in by the timed wrapper, which knows the URL.
                    let kind = match classify::from_chain(&err) {
                        Some(ErrorKind::InvalidResponse) => ErrorKind::InvalidResponse,
                        _ => ErrorKind::ConnectionClosed,
                    };
                    return Poll::Ready(Some(Err(TransportError::new(kind, "").with_source(err))));
                }
            };
            if let Ok(data) = frame.into_data() {
                return Poll::Ready(Some(Ok(data)));
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, None)
    }
}
