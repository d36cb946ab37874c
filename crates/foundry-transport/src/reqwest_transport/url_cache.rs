//! The parsed URLs of the targets a transport sends to, so that a request does not parse its
//! URL again: parsing (with its IDNA check of the host) costs more than all the rest of
//! building a request, and a client sends to the same few paths over and over.

use std::sync::{Arc, PoisonError, RwLock};

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
    /// The parsed URL of `request`'s target under `base`, and the URL as text for messages.
    pub(super) fn resolve(
        &self,
        request: &TransportRequest,
        base: Option<&str>,
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
        // reqwest carries what it handles in a way of its own: credentials in the URL (a basic
        // `Authorization` header) and any URL `http` does not accept as it is.
        let direct =
            url.scheme() == "http" && url.username().is_empty() && url.password().is_none();
        let uri = direct
            .then(|| http::Uri::try_from(url.as_str()).ok())
            .flatten();
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

    const BASE: Option<&str> = Some("http://127.0.0.1:5272/v1");

    #[test]
    fn a_target_is_parsed_once_and_answers_the_same_url_after() {
        let cache = UrlCache::default();
        let request = TransportRequest::get("/models?x=1");
        let first = cache.resolve(&request, BASE).unwrap();
        assert_eq!(first.url.as_str(), "http://127.0.0.1:5272/v1/models?x=1");
        assert_eq!(&*first.text, "http://127.0.0.1:5272/v1/models?x=1");
        assert_eq!(
            first.uri.as_ref().map(ToString::to_string).as_deref(),
            Some("http://127.0.0.1:5272/v1/models?x=1")
        );
        let again = cache.resolve(&request, BASE).unwrap();
        assert_eq!((again.url, again.uri), (first.url, first.uri));
        assert_eq!(cache.len(), 1);
        let absolute = TransportRequest::get("http://other:1/health");
        assert_eq!(
            cache.resolve(&absolute, BASE).unwrap().url.as_str(),
            "http://other:1/health"
        );
        assert_eq!(cache.len(), 2);
        // https goes through reqwest: no hyper URI.
        let secure = cache
            .resolve(&TransportRequest::get("https://h/x"), BASE)
            .unwrap();
        assert!(secure.uri.is_none());
    }

    #[test]
    fn invalid_urls_are_errors_and_not_kept() {
        let cache = UrlCache::default();
        let error = cache
            .resolve(&TransportRequest::get("http://exa mple/"), BASE)
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        let error = cache
            .resolve(&TransportRequest::get("/models"), None)
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_full_cache_starts_over_and_stays_bounded() {
        let cache = UrlCache::default();
        for n in 0..CAPACITY * 3 + 1 {
            let request = TransportRequest::get(format!("/models/m{n}"));
            let resolved = cache.resolve(&request, BASE).unwrap();
            assert!(resolved.url.as_str().ends_with(&format!("/m{n}")));
            assert!(cache.len() <= CAPACITY);
        }
        assert_eq!(cache.len(), 1);
    }
}
