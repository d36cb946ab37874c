//! `client-async-openai`: the load bench's workload through `async-openai` in its default
//! configuration (its own reqwest client, its default retry backoff), pointed at the emulator's
//! `/v1` base with a placeholder key. Like every client here it asks for the final usage chunk
//! of a stream, so all clients receive the same bytes.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessage, ChatCompletionStreamOptions, CreateChatCompletionRequest,
    CreateChatCompletionRequestArgs,
};
use benches::{CallError, Job, Kind, PROMPT};
use futures_util::StreamExt;

const CLIENT: &str = "async-openai";

#[tokio::main]
async fn main() -> ExitCode {
    let job = match Job::from_args() {
        Ok(job) => job,
        Err(error) => {
            eprintln!("{CLIENT}: {error}");
            return ExitCode::from(2);
        }
    };
    let config = OpenAIConfig::new()
        .with_api_base(format!("{}/v1", job.url))
        .with_api_key("placeholder");
    let client = Client::with_config(config);
    let outcome = benches::run(CLIENT, "Client::with_config, default backoff", &job, {
        let job = Arc::new(job.clone());
        move || call(client.clone(), job.clone())
    })
    .await;
    benches::finish(CLIENT, outcome)
}

fn request(job: &Job) -> Result<CreateChatCompletionRequest, OpenAIError> {
    let mut request = CreateChatCompletionRequestArgs::default();
    request
        .model(job.model.as_str())
        .messages([ChatCompletionRequestUserMessage::from(PROMPT).into()]);
    if job.kind == Kind::Stream {
        request.stream_options(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        });
    }
    request.build()
}

async fn call(client: Client<OpenAIConfig>, job: Arc<Job>) -> Result<u64, CallError> {
    // Built for each call, as a user does (and as the other clients do).
    let request = request(&job).map_err(|e| CallError::from_error(&e))?;
    match job.kind {
        Kind::Chat => {
            let answer = client
                .chat()
                .create(request)
                .await
                .map_err(|e| CallError::from_error(&e))?;
            let text = answer
                .choices
                .first()
                .and_then(|c| c.message.content.as_deref());
            match text {
                Some(text) if !text.is_empty() => Ok(0),
                _ => Err(CallError("an empty answer".to_owned())),
            }
        }
        Kind::Stream => {
            let mut stream = client
                .chat()
                .create_stream(request)
                .await
                .map_err(|e| CallError::from_error(&e))?;
            let mut chunks = 0;
            while let Some(chunk) = stream.next().await {
                chunk.map_err(|e| CallError::from_error(&e))?;
                chunks += 1;
            }
            Ok(chunks)
        }
    }
}
