//! What management calls change: which models are downloaded and which are loaded (with TTLs).

use std::time::Duration;

use tokio::time::Instant;

use crate::catalog::Catalog;
use crate::error::StartError;

/// One loaded model.
#[derive(Debug, Clone)]
struct Loaded {
    index: usize,
    /// When a TTL given at load time runs out, the model is unloaded.
    expires: Option<Instant>,
}

/// Download and load state of every catalog entry, by catalog position.
#[derive(Debug)]
pub(crate) struct ModelState {
    cached: Vec<bool>,
    /// In load order, oldest first.
    loaded: Vec<Loaded>,
}

/// What a load request changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadResult {
    Loaded,
    AlreadyLoaded,
    NotCached,
}

impl ModelState {
    /// The start state: the catalog's flags, or the configured lists.
    pub(crate) fn new(
        catalog: &Catalog,
        cached: Option<&[String]>,
        loaded: &[String],
    ) -> Result<Self, StartError> {
        let find = |id: &String| {
            catalog
                .by_id(id)
                .ok_or_else(|| StartError::UnknownModel(id.clone()))
        };
        let mut state = Self {
            cached: catalog.entries().iter().map(|entry| entry.cached).collect(),
            loaded: Vec::new(),
        };
        if let Some(cached) = cached {
            state.cached.iter_mut().for_each(|flag| *flag = false);
            for id in cached {
                state.cached[find(id)?] = true;
            }
        }
        for id in loaded {
            let index = find(id)?;
            state.cached[index] = true;
            state.load(index, None, Instant::now());
        }
        Ok(state)
    }

    /// Forgets models whose TTL ran out. Every reader calls this first, so expiry is exact as
    /// observed through the API without a timer task.
    fn expire(&mut self, now: Instant) {
        self.loaded
            .retain(|model| model.expires.is_none_or(|deadline| deadline > now));
    }

    pub(crate) fn is_cached(&self, index: usize) -> bool {
        self.cached.get(index).copied().unwrap_or(false)
    }

    pub(crate) fn set_cached(&mut self, index: usize) {
        if let Some(flag) = self.cached.get_mut(index) {
            *flag = true;
        }
    }

    /// Positions of the downloaded models, in catalog order.
    pub(crate) fn cached_models(&self) -> Vec<usize> {
        (0..self.cached.len()).filter(|&i| self.cached[i]).collect()
    }

    pub(crate) fn is_loaded(&mut self, index: usize, now: Instant) -> bool {
        self.expire(now);
        self.loaded.iter().any(|model| model.index == index)
    }

    /// Positions of the loaded models, oldest load first.
    pub(crate) fn loaded_models(&mut self, now: Instant) -> Vec<usize> {
        self.expire(now);
        self.loaded.iter().map(|model| model.index).collect()
    }

    /// Loads a downloaded model; a TTL replaces the previous one.
    pub(crate) fn load(&mut self, index: usize, ttl: Option<Duration>, now: Instant) -> LoadResult {
        self.expire(now);
        if !self.is_cached(index) {
            return LoadResult::NotCached;
        }
        // A TTL too long to represent never expires.
        let expires = ttl.and_then(|ttl| now.checked_add(ttl));
        if let Some(model) = self.loaded.iter_mut().find(|model| model.index == index) {
            if ttl.is_some() {
                model.expires = expires;
            }
            return LoadResult::AlreadyLoaded;
        }
        self.loaded.push(Loaded { index, expires });
        LoadResult::Loaded
    }

    /// Unloads a model; `false` when it was not loaded.
    pub(crate) fn unload(&mut self, index: usize, now: Instant) -> bool {
        self.expire(now);
        let before = self.loaded.len();
        self.loaded.retain(|model| model.index != index);
        self.loaded.len() != before
    }

    pub(crate) fn unload_all(&mut self) {
        self.loaded.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_expiry_unloads_and_reloading_is_already_loaded() {
        let catalog = Catalog::tiny();
        let mut state = ModelState::new(&catalog, None, &[]).unwrap();
        let start = Instant::now();
        assert_eq!(
            state.load(0, Some(Duration::from_secs(2)), start),
            LoadResult::Loaded
        );
        assert_eq!(state.load(0, None, start), LoadResult::AlreadyLoaded);
        assert!(state.is_loaded(0, start + Duration::from_secs(1)));
        assert!(!state.is_loaded(0, start + Duration::from_secs(3)));
        assert!(
            state
                .loaded_models(start + Duration::from_secs(3))
                .is_empty()
        );
    }

    #[test]
    fn configured_lists_replace_catalog_flags() {
        let catalog = Catalog::tiny();
        let state = ModelState::new(&catalog, Some(&[]), &[]).unwrap();
        assert!(state.cached_models().is_empty());
        assert!(matches!(
            ModelState::new(&catalog, None, &["nope:1".to_owned()]),
            Err(StartError::UnknownModel(_))
        ));
    }
}
