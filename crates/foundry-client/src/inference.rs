//! Chat, legacy text completions and embeddings: each one request through the call pipeline.

use foundry_protocol::{
    ChatRequest, ChatResponse, CompletionRequest, CompletionResponse, EmbeddingsRequest,
    EmbeddingsResponse,
};
use foundry_transport::http::HeaderMap;

use crate::cache::AnswerCache;
use crate::client::{FoundryClient, carries_error_envelope};
use crate::error::Error;
use crate::pipeline::Operation;
use crate::routes;

impl FoundryClient {
    /// Sends a chat request and returns the whole answer.
    ///
    /// An empty `model` means the configured default. Aliases are translated to what the server
    /// wants; a Foundry model that is not loaded is loaded once and the request sent again
    /// (unless turned off with [`load_on_demand`](crate::ClientBuilder::load_on_demand)).
    pub async fn chat(&self, mut request: ChatRequest) -> Result<ChatResponse, Error> {
        request.stream = None;
        request.stream_options = None;
        let model = self.model_or_default(&request.model);
        let cache_key = self
            .settings()
            .cache
            .as_ref()
            .and_then(|_| AnswerCache::key(&request));
        self.run(Operation::CHAT, Some(&model), cache_key, |name| {
            request.model = name.to_owned();
            let body = Self::post_json(routes::CHAT, &request);
            async move {
                let (status, bytes) = self.execute_bytes(body?, "chat completion").await?;
                let response = ChatResponse::from_slice(&bytes)
                    .map_err(|e| Error::decode("chat completion", e))?;
                // No choices: maybe an error envelope whose `error` key does not come first.
                if response.choices.is_empty() && carries_error_envelope(&bytes) {
                    return Err(Error::from_response(
                        "chat completion",
                        status,
                        &HeaderMap::new(),
                        bytes,
                    ));
                }
                Ok(response)
            }
        })
        .await
    }

    /// Sends a request to the legacy text-completion endpoint (`/v1/completions`: a prompt in,
    /// text out). For a one-line chat completion, see [`complete`](Self::complete).
    pub async fn text_completion(
        &self,
        mut request: CompletionRequest,
    ) -> Result<CompletionResponse, Error> {
        request.stream = None;
        let model = self.model_or_default(&request.model);
        self.run(Operation::TEXT_COMPLETION, Some(&model), None, |name| {
            request.model = name.to_owned();
            let body = Self::post_json(routes::COMPLETIONS, &request);
            async move {
                self.execute_json::<CompletionResponse>(body?, "text completion")
                    .await
            }
        })
        .await
    }

    /// Embeds the input; vectors come back as floats.
    pub async fn embeddings(
        &self,
        mut request: EmbeddingsRequest,
    ) -> Result<EmbeddingsResponse, Error> {
        let model = self.model_or_default(&request.model);
        self.run(Operation::EMBEDDINGS, Some(&model), None, |name| {
            request.model = name.to_owned();
            let body = Self::post_json(routes::EMBEDDINGS, &request);
            async move {
                let (_, bytes) = self.execute_bytes(body?, "embeddings").await?;
                EmbeddingsResponse::from_slice(&bytes).map_err(|e| Error::decode("embeddings", e))
            }
        })
        .await
    }
}
