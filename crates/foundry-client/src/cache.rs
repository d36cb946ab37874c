//! An opt-in cache of non-streamed chat answers, for deterministic requests only.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use foundry_protocol::{ChatRequest, ChatResponse};
use foundry_resilience::Clock;
use lru::LruCache;

/// The settings of the answer cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheConfig {
    /// The most answers kept; the least recently used go first.
    pub capacity: usize,
    /// How long an answer stays valid.
    pub ttl: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            capacity: 256,
            ttl: Duration::from_secs(600),
        }
    }
}

impl CacheConfig {
    /// Sets [`capacity`](Self::capacity).
    #[must_use]
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Sets [`ttl`](Self::ttl).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }
}

/// Hit and miss counts of the answer cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheStats {
    /// Answers served from the cache.
    pub hits: u64,
    /// Cacheable requests that went to the server.
    pub misses: u64,
    /// Answers held now.
    pub entries: usize,
}

/// LRU + TTL over the canonical form of the request (its JSON, fields in declaration order).
#[derive(Debug)]
pub(crate) struct AnswerCache {
    ttl: Duration,
    clock: Arc<dyn Clock>,
    entries: Mutex<LruCache<String, (Instant, ChatResponse)>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl AnswerCache {
    /// An empty cache whose answers age on `clock` (the client's).
    pub(crate) fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Self {
        let capacity = NonZeroUsize::new(config.capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            ttl: config.ttl,
            clock,
            entries: Mutex::new(LruCache::new(capacity)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The key of a request whose answer may be reused: only a deterministic one (temperature 0
    /// or a seed), since a sampled answer is meant to differ each time.
    pub(crate) fn key(request: &ChatRequest) -> Option<String> {
        let deterministic = request.temperature == Some(0.0) || request.seed.is_some();
        if !deterministic || request.n.is_some_and(|n| n > 1) {
            return None;
        }
        serde_json::to_string(request).ok()
    }

    pub(crate) fn get(&self, key: &str) -> Option<ChatResponse> {
        let now = self.clock.now();
        let mut entries = self.lock();
        let found = match entries.get(key) {
            Some((stored, response)) if now.saturating_duration_since(*stored) < self.ttl => {
                Some(response.clone())
            }
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub(crate) fn put(&self, key: String, response: ChatResponse) {
        let now = self.clock.now();
        self.lock().put(key, (now, response));
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.lock().len(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, (Instant, ChatResponse)>> {
        // Each operation leaves the cache consistent; a panic elsewhere cannot tear an entry.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foundry_protocol::Message;
    use foundry_resilience::TokioClock;

    #[test]
    fn only_deterministic_requests_have_a_key() {
        let base = ChatRequest::new("m", [Message::user("hi")]);
        assert_eq!(AnswerCache::key(&base), None);
        assert!(AnswerCache::key(&base.clone().temperature(0.0)).is_some());
        assert!(AnswerCache::key(&base.clone().seed(7)).is_some());
        assert_ne!(
            AnswerCache::key(&base.clone().seed(7)),
            AnswerCache::key(&base.seed(8))
        );
    }

    #[test]
    fn entries_expire_and_the_least_recent_goes_first() {
        let cache = AnswerCache::new(
            CacheConfig {
                capacity: 2,
                ttl: Duration::from_secs(3600),
            },
            Arc::new(TokioClock),
        );
        let answer = ChatResponse::default();
        cache.put("a".into(), answer.clone());
        cache.put("b".into(), answer.clone());
        assert!(cache.get("a").is_some());
        cache.put("c".into(), answer.clone()); // Evicts "b", the least recently used.
        assert!(cache.get("b").is_none());
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 1,
                misses: 1,
                entries: 2
            }
        );
        let expired = AnswerCache::new(
            CacheConfig {
                capacity: 2,
                ttl: Duration::ZERO,
            },
            Arc::new(TokioClock),
        );
        expired.put("a".into(), answer);
        assert!(expired.get("a").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn answers_age_on_the_clients_clock() {
        let cache = AnswerCache::new(
            CacheConfig {
                capacity: 2,
                ttl: Duration::from_secs(60),
            },
            Arc::new(TokioClock),
        );
        cache.put("a".into(), ChatResponse::default());
        tokio::time::advance(Duration::from_secs(59)).await;
        assert!(cache.get("a").is_some());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(cache.get("a").is_none(), "expired on the paused clock");
    }
}
