//! The parsed URLs of the targets a transport sends to, so that a request does not parse its
//! URL again: parsing (with its IDNA check of the host) costs more than all the rest of
//! building a request, and a client sends to the same few paths over and over.

use std::sync::{Arc, PoisonError, RwLock};

use super::direct::DirectHttp;
use crate::url::redact_userinfo;
use crate::{ErrorKind, TransportError, TransportRequest};

/// How many targets are kept: the routes of a client and a few model paths. When full, the
/// cache starts over, so targets in use come back at once and memory stays bounded.
const CAPACITY: usize = 32;

/// Targets (as requests name them) with their parsed URL. Shared by the clones of one
/// transport, which all have the same base URL.
#[derive(Debug, Default)]
pub(super) struct UrlCache {
    entries: RwLock<Vec<Entry>>,
}

#[derive(Debug)]
struct Entry {
    target: Box<str>,
    resolved: Resolved,
}

/// A target's URL in the forms the two paths of the transport send to, and as text for messages.
#[derive(Debug, Clone)]
pub(super) struct Resolved {
    pub(super) url: reqwest::Url,
    /// The URL as hyper takes it, for plain-`http` URLs (those go straight through hyper).
    pub(super) uri: Option<http::Uri>,
    pub(super) text: Arc<str>,
}

impl UrlCache {
    /// The parsed URL of `request`'s target under `base`, and the URL as text for messages;
    /// with its hyper form when `direct` (the transport's direct path, if on) may take it.
    pub(super) fn resolve(
        &self,
        request: &TransportRequest,
        base: Option<&str>,
        direct: Option<&DirectHttp>,
    ) -> Result<Resolved, TransportError> {
        let target = request.target();
        {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = entries.iter().find(|entry| *entry.target == *target) {
                return Ok(entry.resolved.clone());
            }
        }
        let text = request.url(base)?;
        let url = reqwest::Url::parse(&text).map_err(|err| {
            TransportError::new(
                ErrorKind::InvalidInput,
                format!("invalid URL {:?}", redact_userinfo(&text)),
            )
            .with_source(err)
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            // Neither path would send them (reqwest drops them too): say so rather than send
            // the request without them.
            return Err(TransportError::new(
                ErrorKind::InvalidInput,
                format!(
                    "{:?} carries credentials, which are not sent: use an API key or an \
                     Authorization header",
                    redact_userinfo(&text)
                ),
            ));
        }
        // `https`, targets the proxy settings cover, and any URL `http` does not accept as it
        // is go through reqwest.
        let uri = direct
            .filter(|_| url.scheme() == "http")
            .and_then(|direct| {
                http::Uri::try_from(url.as_str())
                    .ok()
                    .filter(|uri| direct.takes(uri))
            });
        let resolved = Resolved {
            url,
            uri,
            text: Arc::from(text.as_ref()),
        };
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if !entries.iter().any(|entry| *entry.target == *target) {
            if entries.len() == CAPACITY {
                entries.clear();
            }
            entries.push(Entry {
                target: target.into(),
                resolved: resolved.clone(),
            });
        }
        Ok(resolved)
    }

    /// How many targets are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use hyper_util::client::proxy::matcher::Matcher;

    const BASE: Option<&str> = Some("http://127.0.0.1:5272/v1");

    /// A direct path under one proxy rule: `10.0.0.7` goes through a proxy.
    fn direct() -> DirectHttp {
        let proxies = Matcher::builder()
            .http("http://proxy.example:3128")
            .no("127.0.0.1,other")
            .build();
        DirectHttp::with_proxies(None, &HeaderMap::new(), proxies)
    }

    #[test]
    fn a_target_is_parsed_once_and_answers_the_same_url_after() {
        let cache = UrlCache::default();
        let direct = direct();
        let request = TransportRequest::get("/models?x=1");
        let first = cache.resolve(&request, BASE, Some(&direct)).unwrap();
        assert_eq!(first.url.as_str(), "http://127.0.0.1:5272/v1/models?x=1");
        assert_eq!(&*first.text, "http://127.0.0.1:5272/v1/models?x=1");
        assert_eq!(
            first.uri.as_ref().map(ToString::to_string).as_deref(),
            Some("http://127.0.0.1:5272/v1/models?x=1")
        );
        let again = cache.resolve(&request, BASE, Some(&direct)).unwrap();
        assert_eq!((again.url, again.uri), (first.url, first.uri));
        assert_eq!(cache.len(), 1);
        let absolute = TransportRequest::get("http://other:1/health");
        let resolved = cache.resolve(&absolute, BASE, Some(&direct)).unwrap();
        assert_eq!(resolved.url.as_str(), "http://other:1/health");
        assert!(resolved.uri.is_some());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn https_proxied_targets_and_a_transport_without_the_direct_path_go_through_reqwest() {
        let cache = UrlCache::default();
        let direct = direct();
        for target in ["https://h/x", "http://10.0.0.7:8000/v1/models"] {
            let resolved = cache
                .resolve(&TransportRequest::get(target), BASE, Some(&direct))
                .unwrap();
            assert!(resolved.uri.is_none(), "{target}");
        }
        let off = UrlCache::default();
        let resolved = off
            .resolve(&TransportRequest::get("/models"), BASE, None)
            .unwrap();
        assert!(resolved.uri.is_none());
    }

    #[test]
    fn invalid_urls_and_credentials_are_errors_and_not_kept() {
        let cache = UrlCache::default();
        for (target, base) in [
            ("http://exa mple/", BASE),
            ("/models", None),
            ("http://user:secret@127.0.0.1:1/v1/models", BASE),
        ] {
            let error = cache
                .resolve(&TransportRequest::get(target), base, None)
                .unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{target}");
            assert!(!error.to_string().contains("secret"), "{error}");
        }
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_full_cache_starts_over_and_stays_bounded() {
        let cache = UrlCache::default();
        for n in 0..CAPACITY * 3 + 1 {
            let request = TransportRequest::get(format!("/models/m{n}"));
            let resolved = cache.resolve(&request, BASE, None).unwrap();
            assert!(resolved.url.as_str().ends_with(&format!("/m{n}")));
            assert!(cache.len() <= CAPACITY);
        }
        assert_eq!(cache.len(), 1);
    }
}
