//! Turning the name a user types into the name each server wants.
//!
//! - Legacy service: aliases resolve through `/foundry/list` (any case), preferring a variant
//!   that is already downloaded.
//! - Core 1.x: every name works; `/v1/models` maps aliases (`parent`) to ids.
//! - Core 2.x: load by alias, infer by id. The id of an alias is learned from `/models/loaded`
//!   after loading it; a Foundry variant id starts with its alias, which settles an alias that was
//!   already loaded.
//! - llama.cpp and other servers: the name as given.

use foundry_protocol::{ModelInfo, ModelList};

use crate::client::FoundryClient;
use crate::error::{Error, ErrorKind};
use crate::routes;
use crate::server::ServerKind;

impl FoundryClient {
    /// The name to send as `model` for inference: the id learned for an alias, the legacy
    /// catalog's variant, or the name as given (every other server, and no lookup to wait for).
    pub(crate) async fn inference_name(
        &self,
        kind: ServerKind,
        model: &str,
    ) -> Result<String, Error> {
        if let Some(id) = self.models().id_of(model) {
            return Ok(id);
        }
        if kind != ServerKind::FoundryLegacy {
            return Ok(model.to_owned());
        }
        let variant = self.legacy_variant(model).await?;
        Ok(variant.model_id().to_owned())
    }

    /// The legacy catalog's variant for `name`: an id matches itself; an alias prefers a variant
    /// that is downloaded, then the catalog's order.
    pub(crate) async fn legacy_variant(&self, name: &str) -> Result<ModelInfo, Error> {
        let catalog = self.cached_catalog().await?;
        if let Some(exact) = catalog
            .iter()
            .find(|m| m.model_id().eq_ignore_ascii_case(name))
        {
            return Ok(exact.clone());
        }
        let candidates: Vec<&ModelInfo> = catalog.iter().filter(|m| m.answers_to(name)).collect();
        if candidates.is_empty() {
            return Err(Error::new(
                ErrorKind::ModelNotFound,
                format!("no model named {name:?} in the catalog"),
            ));
        }
        let cached = self.downloaded_ids().await.unwrap_or_default();
        let pick = candidates
            .iter()
            .find(|m| {
                cached
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(m.model_id()))
            })
            .unwrap_or(&candidates[0]);
        Ok((*pick).clone())
    }

    /// After loading `alias` on Core 2.x: its id among the loaded models — the one that appeared,
    /// else the one whose id starts with the alias.
    pub(crate) fn core2_id_after_load(
        alias: &str,
        before: &[String],
        after: &[String],
    ) -> Option<String> {
        let new: Vec<&String> = after.iter().filter(|id| !before.contains(id)).collect();
        if let [only] = new.as_slice() {
            return Some((*only).clone());
        }
        let alias = alias.to_lowercase();
        after
            .iter()
            .find(|id| id.to_lowercase().starts_with(&alias))
            .cloned()
    }

    /// Catalog entries from an OpenAI model list (Core 1.x names the alias in `parent`).
    pub(crate) fn catalog_from_model_list(list: ModelList) -> Vec<ModelInfo> {
        list.data
            .into_iter()
            .map(|model| {
                let mut info = ModelInfo::default();
                info.id = Some(model.id.clone());
                info.name = model.id;
                info.alias = model.parent.unwrap_or_default();
                info.publisher = model.owned_by;
                info
            })
            .collect()
    }

    /// The catalog path of a server kind (legacy only has a real catalog).
    pub(crate) fn catalog_route(kind: ServerKind) -> &'static str {
        match kind {
            ServerKind::FoundryLegacy => routes::LEGACY_CATALOG,
            _ => routes::MODELS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_new_entry_or_the_prefix_names_the_id() {
        let before = ids(&["other:1"]);
        let after = ids(&["other:1", "tiny-chat-generic-cpu:1"]);
        assert_eq!(
            FoundryClient::core2_id_after_load("tiny-chat", &before, &after).as_deref(),
            Some("tiny-chat-generic-cpu:1")
        );
        let already = ids(&["Phi-4-mini-instruct-generic-cpu:4"]);
        assert_eq!(
            FoundryClient::core2_id_after_load("phi-4-mini", &already, &already).as_deref(),
            Some("Phi-4-mini-instruct-generic-cpu:4")
        );
        assert_eq!(
            FoundryClient::core2_id_after_load("nope", &already, &already),
            None
        );
    }
}
