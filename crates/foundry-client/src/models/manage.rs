//! The public model-management calls.

use std::sync::Arc;
use std::time::Duration;

use foundry_protocol::foundry::{LoadOutcome, parse_catalog, parse_model_ids};
use foundry_protocol::{ModelInfo, ModelList};
use foundry_transport::TransportRequest;

use crate::client::FoundryClient;
use crate::error::{Error, ErrorKind};
use crate::pipeline::Operation;
use crate::routes;
use crate::server::ServerKind;

/// A model that is ready for inference.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadyModel {
    /// The name the caller gave.
    pub requested: String,
    /// The name to send as `model` in requests.
    pub id: String,
}

impl FoundryClient {
    /// The catalog: every model variant the server offers. Fetched once and kept for the catalog
    /// TTL (see [`refresh_catalog`](Self::refresh_catalog)). On the current web service only ids
    /// (and, on Core 1.x, aliases) are known.
    pub async fn catalog(&self) -> Result<Arc<Vec<ModelInfo>>, Error> {
        let operation = Operation::other("list_catalog");
        self.run(operation, None, None, |_| self.cached_catalog())
            .await
    }

    /// Fetches the catalog again.
    pub async fn refresh_catalog(&self) -> Result<Arc<Vec<ModelInfo>>, Error> {
        let operation = Operation::other("refresh_catalog");
        self.run(operation, None, None, |_| self.fetch_catalog())
            .await
    }

    /// The models the server lists for inference (`GET /v1/models`).
    pub async fn models_list(&self) -> Result<ModelList, Error> {
        let operation = Operation::other("list_models");
        self.run(operation, None, None, |_| self.model_list()).await
    }

    /// The ids of downloaded models.
    pub async fn cached_models(&self) -> Result<Vec<String>, Error> {
        let operation = Operation::other("list_downloaded_models");
        self.run(operation, None, None, |_| self.downloaded_ids())
            .await
    }

    /// The ids of loaded models. llama.cpp and other servers list what they serve.
    pub async fn loaded_models(&self) -> Result<Vec<String>, Error> {
        let operation = Operation::other("list_loaded_models");
        self.run(operation, None, None, |_| self.loaded_ids()).await
    }

    /// Loads `model` (an alias or an id), with a time to live where the server supports one
    /// (legacy service). Returns what the server said.
    pub async fn load(&self, model: &str, ttl: Option<Duration>) -> Result<LoadOutcome, Error> {
        let operation = Operation::other("load_model");
        self.run(operation, Some(model), None, |_| {
            self.load_model(model, ttl)
        })
        .await
    }

    /// Unloads `model`; `force` ignores a time to live (legacy service).
    pub async fn unload(&self, model: &str, force: bool) -> Result<LoadOutcome, Error> {
        let operation = Operation::other("unload_model");
        self.run(operation, Some(model), None, |_| {
            self.unload_model(model, force)
        })
        .await
    }

    /// Makes `model` ready for inference: resolves the alias, downloads it where the server can
    /// (legacy service), loads it, and returns the name to send. Idempotent, and concurrent
    /// callers for the same model share one load.
    pub async fn ensure_ready(&self, model: &str) -> Result<ReadyModel, Error> {
        let operation = Operation::other("ensure_model_ready");
        self.run(operation, Some(model), None, |_| self.ready(model))
            .await
    }

    /// The catalog kept from an earlier fetch while it is fresh, else fetched now.
    pub(crate) async fn cached_catalog(&self) -> Result<Arc<Vec<ModelInfo>>, Error> {
        if let Some(catalog) = self.models().fresh_catalog() {
            return Ok(catalog);
        }
        self.fetch_catalog().await
    }

    async fn fetch_catalog(&self) -> Result<Arc<Vec<ModelInfo>>, Error> {
        let kind = self.stack().await?.info.kind;
        let route = Self::catalog_route(kind);
        let (_, body) = self
            .execute_bytes(TransportRequest::get(route), "fetching the model catalog")
            .await?;
        let models = match kind {
            ServerKind::FoundryLegacy => parse_catalog(&body),
            _ => ModelList::from_slice(&body).map(Self::catalog_from_model_list),
        }
        .map_err(|e| Error::decode("fetching the model catalog", e))?;
        Ok(self.models().store_catalog(models))
    }

    async fn model_list(&self) -> Result<ModelList, Error> {
        self.execute_json(TransportRequest::get(routes::MODELS), "listing models")
            .await
    }

    pub(crate) async fn downloaded_ids(&self) -> Result<Vec<String>, Error> {
        let kind = self.stack().await?.info.kind;
        let route = match kind {
            ServerKind::FoundryLegacy => routes::LEGACY_CACHED,
            // Core 1.x lists only downloaded models.
            ServerKind::FoundryCore1 => routes::MODELS,
            other => {
                return Err(Error::unsupported(
                    "listing downloaded models",
                    other,
                    "this server's REST API does not say which models are downloaded; `foundry cache list` does",
                ));
            }
        };
        let (_, body) = self
            .execute_bytes(TransportRequest::get(route), "listing downloaded models")
            .await?;
        match kind {
            ServerKind::FoundryLegacy => parse_model_ids(&body),
            _ => ModelList::from_slice(&body).map(|list| list.ids().map(str::to_owned).collect()),
        }
        .map_err(|e| Error::decode("listing downloaded models", e))
    }

    async fn loaded_ids(&self) -> Result<Vec<String>, Error> {
        let kind = self.stack().await?.info.kind;
        match routes::loaded(kind) {
            Some(route) => {
                let (_, body) = self
                    .execute_bytes(TransportRequest::get(route), "listing loaded models")
                    .await?;
                parse_model_ids(&body).map_err(|e| Error::decode("listing loaded models", e))
            }
            None => Ok(self.model_list().await?.ids().map(str::to_owned).collect()),
        }
    }

    async fn load_model(&self, model: &str, ttl: Option<Duration>) -> Result<LoadOutcome, Error> {
        let kind = self.stack().await?.info.kind;
        let name = match kind {
            ServerKind::FoundryLegacy => self.legacy_variant(model).await?.model_id().to_owned(),
            _ => model.to_owned(),
        };
        let route = routes::load(kind, &name, ttl).ok_or_else(|| {
            Error::unsupported(
                "loading a model",
                kind,
                "the server loads its model at start-up",
            )
        })?;
        let what = format!("loading {model:?}");
        // The 1.x Core answers a load it cannot do (an unknown name above all) with an empty 500:
        // deterministic, so it is sent once. Resending would only wait and trip the breaker.
        let request = TransportRequest::get(route).idempotent(kind != ServerKind::FoundryCore1);
        let (_, body) = self
            .execute_bytes(request, &what)
            .await
            .map_err(|e| load_error(e, kind, model))?;
        LoadOutcome::from_slice(&body).map_err(|e| Error::decode("loading a model", e))
    }

    async fn unload_model(&self, model: &str, force: bool) -> Result<LoadOutcome, Error> {
        let kind = self.stack().await?.info.kind;
        let name = match kind {
            ServerKind::FoundryLegacy => self.legacy_variant(model).await?.model_id().to_owned(),
            _ => model.to_owned(),
        };
        let route = routes::unload(kind, &name, force).ok_or_else(|| {
            Error::unsupported(
                "unloading a model",
                kind,
                "the server keeps its model loaded",
            )
        })?;
        let (_, body) = self
            .execute_bytes(
                TransportRequest::get(route),
                &format!("unloading {model:?}"),
            )
            .await?;
        self.models().forget_id(model);
        LoadOutcome::from_slice(&body).map_err(|e| Error::decode("unloading a model", e))
    }

    /// What [`ensure_ready`](Self::ensure_ready) does, for the client's own calls
    /// (load-on-demand) too.
    pub(crate) async fn ready(&self, model: &str) -> Result<ReadyModel, Error> {
        let lock = self.models().lock_for(model);
        let _one_at_a_time = lock.lock().await;
        let kind = self.stack().await?.info.kind;
        let id = match kind {
            ServerKind::FoundryLegacy => self.ready_legacy(model).await?,
            ServerKind::FoundryCore1 => {
                self.load_model(model, None).await?;
                model.to_owned()
            }
            ServerKind::FoundryCore2 => self.ready_core2(model).await?,
            _ => model.to_owned(),
        };
        Ok(ReadyModel {
            requested: model.to_owned(),
            id,
        })
    }

    async fn ready_legacy(&self, model: &str) -> Result<String, Error> {
        let variant = self.legacy_variant(model).await?;
        let id = variant.model_id().to_owned();
        if self
            .loaded_ids()
            .await?
            .iter()
            .any(|loaded| loaded.eq_ignore_ascii_case(&id))
        {
            return Ok(id);
        }
        let cached = self.downloaded_ids().await?;
        if !cached.iter().any(|c| c.eq_ignore_ascii_case(&id)) {
            self.download_variant(&variant, |_| {}).await?;
        }
        self.load_model(&id, None).await?;
        Ok(id)
    }

    async fn ready_core2(&self, alias: &str) -> Result<String, Error> {
        if let Some(id) = self.models().id_of(alias)
            && self.loaded_ids().await?.contains(&id)
        {
            return Ok(id);
        }
        let before = self.loaded_ids().await?;
        self.load_model(alias, None).await?;
        let after = self.loaded_ids().await?;
        let id = Self::core2_id_after_load(alias, &before, &after).ok_or_else(|| {
            Error::new(
                ErrorKind::ModelNotFound,
                format!("loaded {alias:?} but could not tell its id among {after:?}"),
            )
        })?;
        self.models().remember_id(alias, &id);
        Ok(id)
    }
}

/// Load failures in the words of the server generation that produced them.
fn load_error(error: Error, kind: ServerKind, model: &str) -> Error {
    match (kind, error.kind(), error.status().map(|s| s.as_u16())) {
        // Core 1.x answers an unknown model with an empty 500.
        (ServerKind::FoundryCore1, ErrorKind::Api, Some(500)) if error.raw_body().is_none_or(<[u8]>::is_empty) => {
            Error::new(ErrorKind::ModelNotFound, format!("the server knows no model {model:?} (empty 500 on load)"))
                .with_source(error)
        }
        // Core 2.x loads by alias only.
        (ServerKind::FoundryCore2, ErrorKind::ModelNotFound, _) if model.contains(':') => Error::new(
            ErrorKind::ModelNotFound,
            format!("{model:?} looks like a model id; Foundry Local 2.x loads models by alias (e.g. `phi-4-mini`)"),
        )
        .with_source(error),
        (ServerKind::FoundryCore1 | ServerKind::FoundryCore2, ErrorKind::ModelNotDownloaded, _) => Error::new(
            ErrorKind::ModelNotDownloaded,
            format!("{model:?} is not downloaded: run `foundry model download {model}` (this server has no download API)"),
        )
        .with_source(error),
        _ => error,
    }
}
