//! Chat, legacy completions and embeddings, with load-on-demand for Foundry servers.

use std::future::Future;

use foundry_protocol::{
    ChatRequest, ChatResponse, CompletionRequest, CompletionResponse, EmbeddingsRequest,
    EmbeddingsResponse,
};

use tracing::Instrument;

use crate::cache::AnswerCache;
use crate::client::{FoundryClient, carries_error_envelope};
use crate::error::{Error, ErrorKind};
use crate::routes;
use crate::server::ServerKind;

impl FoundryClient {
    /// Sends a chat request and returns the whole answer.
    ///
    /// An empty `model` means the configured default. Aliases are translated to what the server
    /// wants; a Foundry model that is not loaded is loaded once and the request sent again
    /// (unless turned off with [`load_on_demand`](crate::ClientBuilder::load_on_demand)).
    //
    // Not an `async fn`: its argument would be kept twice in the future (as the argument and as
    // the local it is moved into), and a request is a few hundred bytes.
    pub fn chat(
        &self,
        mut request: ChatRequest,
    ) -> impl Future<Output = Result<ChatResponse, Error>> + Send + '_ {
        request.stream = None;
        request.stream_options = None;
        async move {
            let model = self.model_or_default(&request.model);
            let span = tracing::info_span!(
                "chat",
                gen_ai.operation.name = "chat",
                gen_ai.request.model = %model,
                gen_ai.response.model = tracing::field::Empty,
                gen_ai.usage.input_tokens = tracing::field::Empty,
                gen_ai.usage.output_tokens = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let cache_key = self
                .settings()
                .cache
                .as_ref()
                .and_then(|_| AnswerCache::key(&request));
            if let (Some(cache), Some(key)) = (&self.settings().cache, &cache_key)
                && let Some(hit) = cache.get(key)
            {
                tracing::debug!(parent: &span, "answer served from the cache");
                return Ok(hit);
            }
            let started = tokio::time::Instant::now();
            let flight = self.metrics().start();
            let result = self
                .with_model(&model, |name| {
                    set_model(&mut request.model, name);
                    let body = Self::post_json(routes::CHAT, &request);
                    async move {
                        let (status, bytes) = self.execute_bytes(body?, "chat completion").await?;
                        let response = ChatResponse::from_slice(&bytes)
                            .map_err(|e| Error::decode("chat completion", e))?;
                        // No choices: maybe an error envelope whose `error` key does not come first.
                        if response.choices.is_empty() && carries_error_envelope(&bytes) {
                            let headers = foundry_transport::http::HeaderMap::new();
                            return Err(Error::from_response(
                                "chat completion",
                                status,
                                &headers,
                                bytes,
                            ));
                        }
                        Ok(response)
                    }
                })
                .instrument(span.clone())
                .await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            match &result {
                Ok(response) => {
                    flight.success(response.usage.as_ref().map(|u| u.completion_tokens))
                }
                Err(error) => flight.failure(error.kind().as_str()),
            }
            if let Ok(response) = &result {
                record_usage(&span, response);
                if let (Some(cache), Some(key)) = (&self.settings().cache, cache_key) {
                    cache.put(key, response);
                }
            }
            result
        }
    }

    /// Sends a legacy text-completion request.
    pub async fn completions(
        &self,
        mut request: CompletionRequest,
    ) -> Result<CompletionResponse, Error> {
        request.stream = None;
        let model = self.model_or_default(&request.model);
        let flight = self.metrics().start();
        let result = self
            .with_model(&model, |name| {
                set_model(&mut request.model, name);
                let body = Self::post_json(routes::COMPLETIONS, &request);
                async move {
                    self.execute_json::<CompletionResponse>(body?, "completion")
                        .await
                }
            })
            .await;
        match &result {
            Ok(response) => flight.success(response.usage.as_ref().map(|u| u.completion_tokens)),
            Err(error) => flight.failure(error.kind().as_str()),
        }
        result
    }

    /// Embeds the input; vectors come back as floats.
    pub async fn embeddings(
        &self,
        mut request: EmbeddingsRequest,
    ) -> Result<EmbeddingsResponse, Error> {
        let model = self.model_or_default(&request.model);
        let flight = self.metrics().start();
        let result = self
            .with_model(&model, |name| {
                set_model(&mut request.model, name);
                let body = Self::post_json(routes::EMBEDDINGS, &request);
                async move {
                    let (_, bytes) = self.execute_bytes(body?, "embeddings").await?;
                    EmbeddingsResponse::from_slice(&bytes)
                        .map_err(|e| Error::decode("embeddings", e))
                }
            })
            .await;
        match &result {
            Ok(_) => flight.success(None),
            Err(error) => flight.failure(error.kind().as_str()),
        }
        result
    }

    /// Runs `call` with the server's name for `model`; on a Foundry server that says the model is
    /// not loaded (or, on Core 2.x, does not know the alias), readies it and runs `call` once more.
    ///
    /// `call` encodes the request (with the name it is given) before it returns its future, so a
    /// request is never copied for a second attempt.
    pub(crate) async fn with_model<T, F, Fut>(&self, model: &str, mut call: F) -> Result<T, Error>
    where
        F: FnMut(&str) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let kind = self.stack().await?.info.kind;
        let name = self.inference_name(kind, model).await?;
        // The first answer is out of scope before the retry's await, so the future does not keep
        // room for it beside the retry's own.
        let error = match call(&name).await {
            Err(error) if self.should_load_on_demand(kind, &error) => error,
            other => return other,
        };
        tracing::info!(model, "model not loaded: loading it and trying again");
        // Boxed: loading is rare, and every call's future would otherwise carry its space.
        let ready_id = Box::pin(self.ensure_ready(model))
            .await
            .map_err(|load_error| {
                // The original refusal explains the situation better than a failed load.
                if load_error.kind() == ErrorKind::ModelNotFound {
                    error
                } else {
                    load_error
                }
            })?
            .id;
        call(&ready_id).await
    }

    fn should_load_on_demand(&self, kind: ServerKind, error: &Error) -> bool {
        if !self.settings().load_on_demand || !kind.is_foundry() {
            return false;
        }
        match error.kind() {
            ErrorKind::ModelNotLoaded => true,
            // Core 2.x answers 404 for an alias in an inference request.
            ErrorKind::ModelNotFound => kind == ServerKind::FoundryCore2,
            _ => false,
        }
    }
}

/// Puts the server's name for the model into a request, reusing the field's allocation.
pub(crate) fn set_model(field: &mut String, name: &str) {
    if field != name {
        field.clear();
        field.push_str(name);
    }
}

/// Records the answer's model and token counts on the call's span.
pub(crate) fn record_usage(span: &tracing::Span, response: &ChatResponse) {
    if let Some(model) = &response.model {
        span.record("gen_ai.response.model", model.as_str());
    }
    if let Some(usage) = &response.usage {
        span.record("gen_ai.usage.input_tokens", usage.prompt_tokens);
        span.record("gen_ai.usage.output_tokens", usage.completion_tokens);
    }
}
