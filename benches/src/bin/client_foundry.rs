//! `client-foundry`: the load bench's workload through `FoundryClient` with its default resilience
//! stack on (retries, circuit breaker, concurrency limit). The limit is set to the workload's
//! in-flight count — the bench's own load, not a server's capacity — and printed.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;

use benches::{CallError, Job, Kind, PROMPT};
use foundry_client::{ChatRequest, FoundryClient, LimitConfig, Message};
use futures_util::StreamExt;

const CLIENT: &str = "foundry-client";

/// Room for every worker to wait: the bench never queues more than its own in-flight count.
const QUEUE: usize = 1_024;

#[tokio::main]
async fn main() -> ExitCode {
    let job = match Job::from_args() {
        Ok(job) => job,
        Err(error) => {
            eprintln!("{CLIENT}: {error}");
            return ExitCode::from(2);
        }
    };
    let built = FoundryClient::builder()
        .endpoint(&job.url)
        .concurrency(LimitConfig::new(job.in_flight, QUEUE))
        .build();
    let client = match built {
        Ok(client) => client,
        Err(error) => return benches::finish(CLIENT, Err(CallError::from_error(&error))),
    };
    let outcome = benches::run(CLIENT, "", &job, {
        let (client, job) = (client.clone(), Arc::new(job.clone()));
        move || call(client.clone(), job.clone())
    })
    .await;
    benches::finish(
        CLIENT,
        outcome.map(|mut figures| {
            figures.settings = settings(&client);
            eprintln!("{CLIENT}: {}", figures.settings);
            figures
        }),
    )
}

/// The stack as the client applied it, read back from the client after the run.
fn settings(client: &FoundryClient) -> String {
    let limit = client.concurrency_limit().map_or_else(
        || "no limit".to_owned(),
        |limit| {
            let config = limit.config();
            format!(
                "limit {} in flight, queue {}",
                config.max_in_flight, config.max_queue
            )
        },
    );
    let breaker = if client.breaker().is_some() {
        "breaker on"
    } else {
        "breaker off"
    };
    format!("{limit}; retries {}; {breaker}", client.config().retries)
}

async fn call(client: FoundryClient, job: Arc<Job>) -> Result<u64, CallError> {
    let request = ChatRequest::new(job.model.as_str(), [Message::user(PROMPT)]);
    match job.kind {
        Kind::Chat => {
            let answer = client
                .chat(request)
                .await
                .map_err(|e| CallError::from_error(&e))?;
            if answer.text().unwrap_or_default().is_empty() {
                return Err(CallError("an empty answer".to_owned()));
            }
            Ok(0)
        }
        Kind::Stream => {
            // The client asks for the final usage chunk by default; every peer asks for it too.
            let mut stream = client
                .chat_stream(request)
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
