//! The one-line completion of the "Foundry Local as API" sample:
//! `client.complete("Explain quantum computing").model("phi-4-mini").max_tokens(500).send()`.

use std::time::Duration;

use foundry_protocol::{ChatRequest, FinishReason, Message, Usage};

use crate::client::FoundryClient;
use crate::error::Error;

impl FoundryClient {
    /// Starts a one-prompt completion; finish it with [`send`](Completion::send).
    ///
    /// ```no_run
    /// # async fn run(client: foundry_client::FoundryClient) -> Result<(), foundry_client::Error> {
    /// let answer = client.complete("Explain quantum computing").model("phi-4-mini").max_tokens(500).send().await?;
    /// println!("{} ({} tokens in {:?})", answer.content, answer.usage.total_tokens, answer.latency);
    /// # Ok(()) }
    /// ```
    pub fn complete(&self, prompt: impl Into<String>) -> Completion<'_> {
        Completion {
            client: self,
            request: ChatRequest::new("", [Message::user(prompt)]),
        }
    }
}

/// A completion being set up; see [`FoundryClient::complete`].
#[derive(Debug)]
#[must_use = "a completion does nothing until sent"]
pub struct Completion<'a> {
    client: &'a FoundryClient,
    request: ChatRequest,
}

impl Completion<'_> {
    /// The model (alias or id); default: the client's.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.request.model = model.into();
        self
    }

    /// A system message before the prompt.
    pub fn system(mut self, instructions: impl Into<String>) -> Self {
        self.request
            .messages
            .insert(0, Message::system(instructions));
        self
    }

    /// The token budget of the answer.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.request.max_tokens = Some(max_tokens);
        self
    }

    /// The sampling temperature.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.request.temperature = Some(temperature);
        self
    }

    /// The full request this completion sends.
    pub fn request(&self) -> &ChatRequest {
        &self.request
    }

    /// Sends it and returns the text, usage and latency.
    pub async fn send(self) -> Result<CompletionAnswer, Error> {
        let started = tokio::time::Instant::now();
        let response = self.client.chat(self.request).await?;
        let latency = started.elapsed();
        let choice = response.choices.first();
        Ok(CompletionAnswer {
            content: response.text().unwrap_or_default(),
            finish_reason: choice.and_then(|c| c.finish_reason.clone()),
            model: response.model.clone().unwrap_or_default(),
            usage: response.usage.clone().unwrap_or_default(),
            latency,
        })
    }
}

/// The answer of a [`Completion`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CompletionAnswer {
    /// The generated text.
    pub content: String,
    /// Why generation stopped.
    pub finish_reason: Option<FinishReason>,
    /// The model that answered, as the server names it.
    pub model: String,
    /// Token counts (zero where the server reported none).
    pub usage: Usage,
    /// Time from sending to the whole answer.
    pub latency: Duration,
}
