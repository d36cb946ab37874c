//! The one path every operation of the client takes.
//!
//! An operation — a chat, a stream, a text completion, embeddings, a model load, a catalog
//! fetch — names itself with an [`Operation`] and hands [`FoundryClient::run`] the exchange to
//! make. `run` then: opens a tracing span with OpenTelemetry's GenAI attributes, starts the
//! request metrics, detects the server (once per client), serves a repeated deterministic answer
//! from the cache, translates the model name for the server and, on a Foundry server that has
//! not loaded the model, loads it and sends once more. What the answer says (the model that
//! answered, its token counts) goes on the span and into the metrics through its [`Outcome`]; a
//! stream keeps both until it ends.

use std::future::Future;

use foundry_health::InFlight;
use foundry_protocol::{
    ChatResponse, CompletionResponse, EmbeddingsResponse, ModelInfo, ModelList, Usage,
    foundry::LoadOutcome,
};
use tracing::Instrument;
use tracing::field::Empty;

use crate::client::FoundryClient;
use crate::error::{Error, ErrorKind};
use crate::models::ReadyModel;
use crate::server::ServerKind;

/// What an operation is, for its span, its metrics and the pipeline's steps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation {
    /// `gen_ai.operation.name`: `chat`, `text_completion`, `embeddings`, or a model-management
    /// name such as `load_model`.
    pub(crate) name: &'static str,
    /// `gen_ai.request.stream`.
    pub(crate) stream: bool,
    /// Whether the model name is translated for the server and the model loaded on demand
    /// (inference); model management resolves names itself.
    pub(crate) inference: bool,
}

impl Operation {
    /// A non-streamed chat.
    pub(crate) const CHAT: Self = Self::inference("chat", false);
    /// A streamed chat.
    pub(crate) const CHAT_STREAM: Self = Self::inference("chat", true);
    /// A legacy text completion.
    pub(crate) const TEXT_COMPLETION: Self = Self::inference("text_completion", false);
    /// Embeddings.
    pub(crate) const EMBEDDINGS: Self = Self::inference("embeddings", false);

    const fn inference(name: &'static str, stream: bool) -> Self {
        Self {
            name,
            stream,
            inference: true,
        }
    }

    /// A model-management or raw call named `name`.
    pub(crate) const fn other(name: &'static str) -> Self {
        Self {
            name,
            stream: false,
            inference: false,
        }
    }
}

/// The span and the metrics of one call, ended by its outcome.
#[derive(Debug)]
pub(crate) struct Observation {
    pub(crate) span: tracing::Span,
    flight: InFlight,
}

impl Observation {
    /// Records the model that answered and the token counts, and ends the call as a success.
    pub(crate) fn succeed(mut self, model: Option<&str>, usage: Option<&Usage>) {
        if let Some(model) = model {
            self.span.record("gen_ai.response.model", model);
        }
        if let Some(usage) = usage {
            self.span
                .record("gen_ai.usage.input_tokens", usage.prompt_tokens);
            self.span
                .record("gen_ai.usage.output_tokens", usage.completion_tokens);
            self.flight.input_tokens(usage.prompt_tokens);
        }
        self.flight
            .success(usage.map(|usage| usage.completion_tokens));
    }

    /// Ends the call as a failure of `error`'s kind.
    pub(crate) fn fail(self, error: &Error) {
        self.span.record("error.type", error.kind().as_str());
        self.flight.failure(error.kind().as_str());
    }

    /// Marks the first chunk of a streamed answer.
    pub(crate) fn first_chunk(&mut self) {
        self.flight.first_token();
    }
}

/// What a call's answer tells its span and metrics, and whether it may be cached.
pub(crate) trait Outcome: Sized {
    /// Ends the observation with what the answer says. Streams keep it and end it when they end.
    fn observed(&mut self, observation: Observation) {
        observation.succeed(None, None);
    }

    /// The answer as the cache keeps it, for answers that may be served again.
    fn to_cache(&self) -> Option<ChatResponse> {
        None
    }

    /// An answer from the cache.
    fn from_cache(_answer: ChatResponse) -> Option<Self> {
        None
    }
}

impl Outcome for ChatResponse {
    fn observed(&mut self, observation: Observation) {
        observation.succeed(self.model.as_deref(), self.usage.as_ref());
    }

    fn to_cache(&self) -> Option<ChatResponse> {
        Some(self.clone())
    }

    fn from_cache(answer: ChatResponse) -> Option<Self> {
        Some(answer)
    }
}

impl Outcome for CompletionResponse {
    fn observed(&mut self, observation: Observation) {
        observation.succeed(self.model.as_deref(), self.usage.as_ref());
    }
}

impl Outcome for EmbeddingsResponse {
    fn observed(&mut self, observation: Observation) {
        observation.succeed(self.model.as_deref(), self.usage.as_ref());
    }
}

impl Outcome for () {}
impl Outcome for LoadOutcome {}
impl Outcome for ModelList {}
impl Outcome for ReadyModel {}
impl Outcome for Vec<String> {}
impl Outcome for std::sync::Arc<Vec<ModelInfo>> {}
impl Outcome for serde_json::Value {}

impl FoundryClient {
    /// Runs one operation: `send` makes the exchange, given the server's name for `model` (the
    /// name as given for operations that are not inference). `cache_key`, for answers that may
    /// be served again, looks the answer up first and keeps it after.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        operation: Operation,
        model: Option<&str>,
        cache_key: Option<String>,
        send: F,
    ) -> Result<T, Error>
    where
        T: Outcome,
        F: FnMut(&str) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let span = tracing::info_span!(
            "gen_ai",
            otel.name = %format_args!("{} {}", operation.name, model.unwrap_or_default()),
            gen_ai.operation.name = operation.name,
            gen_ai.provider.name = Empty,
            gen_ai.request.model = model,
            gen_ai.request.stream = operation.stream,
            gen_ai.response.model = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            error.type = Empty,
        );
        let cache = self.settings().cache.as_ref();
        if let (Some(cache), Some(key)) = (cache, &cache_key)
            && let Some(hit) = cache.get(key).and_then(T::from_cache)
        {
            tracing::debug!(parent: &span, "answer served from the cache");
            return Ok(hit);
        }
        let flight = self.metrics().start_operation(operation.name);
        let result = self
            .resolve_and_send(operation, model, send)
            .instrument(span.clone())
            .await;
        let observation = Observation { span, flight };
        match result {
            Ok(mut answer) => {
                if let (Some(cache), Some(key), Some(kept)) = (cache, cache_key, answer.to_cache())
                {
                    cache.put(key, kept);
                }
                answer.observed(observation);
                Ok(answer)
            }
            Err(error) => {
                observation.fail(&error);
                Err(error)
            }
        }
    }

    async fn resolve_and_send<T, F, Fut>(
        &self,
        operation: Operation,
        model: Option<&str>,
        mut send: F,
    ) -> Result<T, Error>
    where
        F: FnMut(&str) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let kind = self.stack().await?.info.kind;
        tracing::Span::current().record("gen_ai.provider.name", kind.as_str());
        let model = model.unwrap_or_default();
        if !operation.inference {
            return send(model).await;
        }
        let name = self.inference_name(kind, model).await?;
        let error = match send(&name).await {
            Err(error) if self.should_load_on_demand(kind, &error) => error,
            other => return other,
        };
        tracing::info!(model, "model not loaded: loading it and trying again");
        let ready_id = self
            .ready(model)
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
        send(&ready_id).await
    }

    /// Whether `error` from a server of `kind` calls for loading the model and sending again.
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
