//! `client-reqwest`: the load bench's workload through bare `reqwest`, as a careful user writes
//! it by hand — one pooled `reqwest::Client` (rustls), serde types of its own, a minimal SSE
//! split on blank lines with no edge cases handled. The baseline every ratio is taken against.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;

use benches::{CallError, Job, Kind, PROMPT};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

const CLIENT: &str = "bare reqwest";

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: [Message<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
#[allow(
    dead_code,
    reason = "decoded like a user would, so the decoding cost is measured"
)]
struct Chunk {
    choices: Vec<ChunkChoice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
#[allow(
    dead_code,
    reason = "decoded like a user would, so the decoding cost is measured"
)]
struct ChunkChoice {
    delta: Delta,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
#[allow(
    dead_code,
    reason = "decoded like a user would, so the decoding cost is measured"
)]
struct Delta {
    content: Option<String>,
}

#[derive(Deserialize)]
#[allow(
    dead_code,
    reason = "decoded like a user would, so the decoding cost is measured"
)]
struct Usage {
    completion_tokens: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let job = match Job::from_args() {
        Ok(job) => job,
        Err(error) => {
            eprintln!("{CLIENT}: {error}");
            return ExitCode::from(2);
        }
    };
    let http = reqwest::Client::new();
    let endpoint: Arc<str> = format!("{}/v1/chat/completions", job.url).into();
    let outcome = benches::run(CLIENT, "reqwest::Client::new(), no retries", &job, {
        let job = Arc::new(job.clone());
        move || call(http.clone(), endpoint.clone(), job.clone())
    })
    .await;
    benches::finish(CLIENT, outcome)
}

async fn call(http: reqwest::Client, endpoint: Arc<str>, job: Arc<Job>) -> Result<u64, CallError> {
    let stream = job.kind == Kind::Stream;
    let request = ChatRequest {
        model: &job.model,
        messages: [Message {
            role: "user",
            content: PROMPT,
        }],
        stream: stream.then_some(true),
        stream_options: stream.then_some(StreamOptions {
            include_usage: true,
        }),
    };
    let response = http
        .post(&*endpoint)
        .json(&request)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| CallError::from_error(&e))?;
    if !stream {
        let answer: ChatResponse = response
            .json()
            .await
            .map_err(|e| CallError::from_error(&e))?;
        let text = answer
            .choices
            .first()
            .and_then(|c| c.message.content.as_deref());
        return match text {
            Some(text) if !text.is_empty() => Ok(0),
            _ => Err(CallError("an empty answer".to_owned())),
        };
    }
    let mut body = response.bytes_stream();
    let mut buffer = Vec::new();
    let mut chunks = 0;
    while let Some(bytes) = body.next().await {
        buffer.extend_from_slice(&bytes.map_err(|e| CallError::from_error(&e))?);
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = buffer.drain(..end + 2).collect();
            let Some(data) = event.strip_prefix(b"data: ") else {
                continue;
            };
            let data = &data[..data.len() - 2];
            if data == b"[DONE]" {
                return Ok(chunks);
            }
            let _chunk: Chunk =
                serde_json::from_slice(data).map_err(|e| CallError(format!("a chunk: {e}")))?;
            chunks += 1;
        }
    }
    Err(CallError("the stream ended without [DONE]".to_owned()))
}
