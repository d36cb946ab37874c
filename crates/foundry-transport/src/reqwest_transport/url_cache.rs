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
    url: reqwest::Url,
    text: Arc<str>,
}

impl UrlCache {
    /// The parsed URL of `request`'s target under `base`, and the URL as text for messages.
    pub(super) fn resolve(
        &self,
        request: &TransportRequest,
        base: Option<&str>,
    ) -> Result<(reqwest::Url, Arc<str>), TransportError> {
        let target = request.target();
        {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = entries.iter().find(|entry| *entry.target == *target) {
                return Ok((entry.url.clone(), entry.text.clone()));
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
        let text: Arc<str> = Arc::from(text.as_ref());
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if !entries.iter().any(|entry| *entry.target == *target) {
            if entries.len() == CAPACITY {
                entries.clear();
            }
            entries.push(Entry {
                target: target.into(),
                url: url.clone(),
                text: text.clone(),
            });
        }
        Ok((url, text))
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
        let (first, text) = cache.resolve(&request, BASE).unwrap();
        assert_eq!(first.as_str(), "http://127.0.0.1:5272/v1/models?x=1");
        assert_eq!(&*text, "http://127.0.0.1:5272/v1/models?x=1");
        let (again, _) = cache.resolve(&request, BASE).unwrap();
        assert_eq!(again, first);
        assert_eq!(cache.len(), 1);
        let absolute = TransportRequest::get("http://other:1/health");
        assert_eq!(
            cache.resolve(&absolute, BASE).unwrap().0.as_str(),
            "http://other:1/health"
        );
        assert_eq!(cache.len(), 2);
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
            let (url, _) = cache.resolve(&request, BASE).unwrap();
            assert!(url.as_str().ends_with(&format!("/m{n}")));
            assert!(cache.len() <= CAPACITY);
        }
        assert_eq!(cache.len(), 1);
    }
}
