//! What the client remembers about models: the catalog (with a TTL), alias → id mappings learned
//! from loads, and one lock per model so concurrent callers share one load.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use foundry_protocol::ModelInfo;
use foundry_resilience::Clock;

/// The model memory of one client.
#[derive(Debug)]
pub(crate) struct ModelDirectory {
    catalog_ttl: Duration,
    clock: Arc<dyn Clock>,
    catalog: Mutex<Option<(Instant, Arc<Vec<ModelInfo>>)>>,
    ids: Mutex<HashMap<String, String>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl ModelDirectory {
    /// An empty directory whose catalog ages on `clock` (the client's).
    pub(crate) fn new(catalog_ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            catalog_ttl,
            clock,
            catalog: Mutex::new(None),
            ids: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The cached catalog, if fetched within the TTL.
    pub(crate) fn fresh_catalog(&self) -> Option<Arc<Vec<ModelInfo>>> {
        let now = self.clock.now();
        let catalog = lock(&self.catalog);
        catalog
            .as_ref()
            .filter(|(at, _)| now.saturating_duration_since(*at) < self.catalog_ttl)
            .map(|(_, models)| models.clone())
    }

    pub(crate) fn store_catalog(&self, models: Vec<ModelInfo>) -> Arc<Vec<ModelInfo>> {
        let models = Arc::new(models);
        *lock(&self.catalog) = Some((self.clock.now(), models.clone()));
        models
    }

    pub(crate) fn forget_catalog(&self) {
        *lock(&self.catalog) = None;
    }

    /// The id learned for `name` (an alias, any case), if any.
    pub(crate) fn id_of(&self, name: &str) -> Option<String> {
        lock(&self.ids).get(&name.to_lowercase()).cloned()
    }

    pub(crate) fn remember_id(&self, name: &str, id: &str) {
        lock(&self.ids).insert(name.to_lowercase(), id.to_owned());
    }

    pub(crate) fn forget_id(&self, name: &str) {
        lock(&self.ids).remove(&name.to_lowercase());
    }

    /// The lock that serializes readying `name`: the second caller waits, then finds it ready.
    pub(crate) fn lock_for(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.locks)
            .entry(name.to_lowercase())
            .or_default()
            .clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update is a single assignment; a panic elsewhere cannot leave a torn value.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use foundry_resilience::TokioClock;

    #[test]
    fn learned_ids_are_found_by_any_case_of_the_alias() {
        let directory = ModelDirectory::new(Duration::from_secs(60), Arc::new(TokioClock));
        assert_eq!(directory.id_of("phi-4-mini"), None);
        directory.remember_id("Phi-4-Mini", "Phi-4-mini-generic-cpu:1");
        for name in ["phi-4-mini", "PHI-4-MINI", "Phi-4-mini"] {
            assert_eq!(
                directory.id_of(name).as_deref(),
                Some("Phi-4-mini-generic-cpu:1"),
                "{name}"
            );
        }
        // Names beyond ASCII are lowercased the Unicode way.
        directory.remember_id("Ärger", "aerger:1");
        assert_eq!(directory.id_of("ÄRGER").as_deref(), Some("aerger:1"));
        assert_eq!(directory.id_of("ärger").as_deref(), Some("aerger:1"));
        directory.forget_id("PHI-4-mini");
        assert_eq!(directory.id_of("phi-4-mini"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_catalog_ages_on_the_clients_clock() {
        let directory = ModelDirectory::new(Duration::from_secs(300), Arc::new(TokioClock));
        directory.store_catalog(vec![ModelInfo::default()]);
        tokio::time::advance(Duration::from_secs(299)).await;
        assert!(directory.fresh_catalog().is_some());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(
            directory.fresh_catalog().is_none(),
            "stale on the paused clock"
        );
    }
}
