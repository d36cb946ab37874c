//! The builder of `ReqwestTransport`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use super::{DEFAULT_TIMEOUTS, Description, ReqwestTransport, USER_AGENT};
use crate::request::mark_credentials_sensitive;
use crate::url::{is_loopback_url, redact_userinfo};
use crate::{ErrorKind, Timeouts, TransportError};

/// Configures a [`ReqwestTransport`]; see [`ReqwestTransport::builder`].
///
/// `Debug` shows whether an API key is set, never the key.
#[derive(Clone, Default)]
#[must_use]
pub struct ReqwestTransportBuilder {
    base_url: Option<String>,
    api_key: Option<String>,
    timeouts: Option<Timeouts>,
    headers: HeaderMap,
    plaintext_key_allowed: bool,
}

impl ReqwestTransportBuilder {
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// The URL relative request targets are appended to, e.g. `http://127.0.0.1:5272`
    /// or `http://127.0.0.1:8080/v1`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sends `Authorization: Bearer <key>` with every request (unless the request sets
    /// its own `Authorization`). The key is kept out of every `Debug` output.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Allows sending the API key over plain `http://` to a host that is not this machine. Off by
    /// default: anyone on the path could read the key.
    pub fn allow_plaintext_key(mut self, allowed: bool) -> Self {
        self.plaintext_key_allowed = allowed;
        self
    }

    /// Time allowed to open a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts = Some(self.current().with_connect(timeout));
        self
    }

    /// Time allowed from sending a request to its response headers (default 60 s).
    pub fn first_byte_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts = Some(self.current().with_first_byte(timeout));
        self
    }

    /// Longest wait allowed for the next body chunk, counted from when the reader asks for it
    /// (default 30 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts = Some(self.current().with_idle(timeout));
        self
    }

    /// Bound on a whole exchange, body included (default: none).
    pub fn deadline(mut self, timeout: Duration) -> Self {
        self.timeouts = Some(self.current().with_deadline(timeout));
        self
    }

    /// Replaces all four timers at once; a timer left unset in `timeouts` is off.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = Some(timeouts);
        self
    }

    /// A header sent with every request unless the request sets it.
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    fn current(&self) -> Timeouts {
        self.timeouts.unwrap_or(DEFAULT_TIMEOUTS)
    }

    /// Builds the transport and its connection pool.
    pub fn build(self) -> Result<ReqwestTransport, TransportError> {
        let timeouts = self.current();
        let base_url = self
            .base_url
            .as_deref()
            .map(validate_base_url)
            .transpose()?;
        if self.api_key.is_some()
            && !self.plaintext_key_allowed
            && let Some(url) = &base_url
            && url.text.starts_with("http://")
            && !is_loopback_url(&url.text)
        {
            return Err(TransportError::new(
                ErrorKind::InvalidInput,
                "refusing to send the API key over plain http to a host that is not this machine: \
                 use https, or allow it explicitly",
            ));
        }
        let mut headers = self.headers;
        if let Some(key) = &self.api_key {
            let value = HeaderValue::try_from(format!("Bearer {key}")).map_err(|_| {
                // The error would not show the key either, but say nothing of it at all.
                TransportError::new(
                    ErrorKind::InvalidInput,
                    "the API key is not a valid header value",
                )
            })?;
            headers.insert(AUTHORIZATION, value);
        }
        mark_credentials_sensitive(&mut headers);
        let default_headers = headers.keys().cloned().collect();

        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .tcp_nodelay(true)
            // Retrying is a decision for the resilience decorators, which know whether
            // the request is idempotent and what budget is left.
            .retry(reqwest::retry::never())
            // A local model server has no reason to redirect; following one could carry the
            // request (and its key) to another host. A 3xx is handed back as it is.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(connect) = timeouts.connect() {
            builder = builder.connect_timeout(connect);
        }
        let client = builder.build().map_err(|err| {
            TransportError::new(ErrorKind::Other, "could not build the HTTP client")
                .with_source(err)
        })?;
        Ok(ReqwestTransport {
            client,
            base_url,
            timeouts,
            described: Arc::new(Description {
                api_key: self.api_key.as_ref().map(|_| "<redacted>"),
                default_headers,
                from_client: false,
            }),
        })
    }
}

/// Checks that `base_url` is an absolute `http` or `https` URL without query or
/// fragment, and returns it, parsed once, without trailing slashes.
pub(super) fn validate_base_url(base_url: &str) -> Result<BaseUrl, TransportError> {
    let invalid = |why: &str| {
        TransportError::new(
            ErrorKind::InvalidInput,
            format!("invalid base URL {:?}: {why}", redact_userinfo(base_url)),
        )
    };
    let parsed =
        reqwest::Url::parse(base_url).map_err(|err| invalid("not a URL").with_source(err))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL takes no query or fragment"));
    }
    let text = base_url.trim_end_matches('/');
    Ok(BaseUrl {
        text: Arc::from(text),
        url: reqwest::Url::parse(text).map_err(|err| invalid("not a URL").with_source(err))?,
    })
}

/// The base URL of a transport, as given and parsed: a relative target only sets its path and
/// query, so the host is not parsed (and checked) again on every request.
#[derive(Clone)]
pub(super) struct BaseUrl {
    pub(super) text: Arc<str>,
    pub(super) url: reqwest::Url,
}

impl BaseUrl {
    /// The URL of a relative `target` (`/v1/models?x=1`): the base path, then the target's path,
    /// query and fragment. The path is not decoded, so a model id's `:` stays as it is.
    pub(super) fn join(&self, target: &str) -> reqwest::Url {
        let (rest, fragment) = match target.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (target, None),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let mut url = self.url.clone();
        let base_path = url.path().trim_end_matches('/');
        let joined = crate::url::join(base_path, path);
        url.set_path(&joined);
        url.set_query(query);
        url.set_fragment(fragment);
        url
    }
}

impl fmt::Debug for ReqwestTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransportBuilder")
            .field("base_url", &self.base_url.as_deref().map(redact_userinfo))
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeouts", &self.current())
            .field("default_headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_joined_to_the_parsed_base_is_the_url_parsing_the_joined_text_gives() {
        for base in [
            "http://127.0.0.1:5272",
            "http://h:8080/v1/",
            "https://host.example/a/b",
        ] {
            let parsed = validate_base_url(base).unwrap();
            for target in [
                "/v1/models",
                "models",
                "/models/load/tiny-chat-generic-cpu:1?ttl=600",
                "/a%2Fb c?x=1&y=%3A#frag",
                "",
                "?only=query",
            ] {
                let text = crate::url::join(&parsed.text, target);
                assert_eq!(
                    parsed.join(target).as_str(),
                    reqwest::Url::parse(&text).unwrap().as_str(),
                    "{base} + {target}"
                );
            }
        }
    }

    #[test]
    fn a_key_over_plain_http_to_another_host_needs_an_opt_in() {
        let refused = ReqwestTransportBuilder::new()
            .base_url("http://10.1.2.3:5272")
            .api_key("sk-secret")
            .build();
        let error = refused.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(!error.to_string().contains("sk-secret"));
        let allowed = ReqwestTransportBuilder::new()
            .base_url("http://10.1.2.3:5272")
            .api_key("k")
            .allow_plaintext_key(true)
            .build();
        assert!(allowed.is_ok());
        assert!(
            ReqwestTransportBuilder::new()
                .base_url("https://10.1.2.3")
                .api_key("k")
                .build()
                .is_ok()
        );
        assert!(
            ReqwestTransportBuilder::new()
                .base_url("http://127.0.0.1:1")
                .api_key("k")
                .build()
                .is_ok()
        );
    }
}
