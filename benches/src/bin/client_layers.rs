//! `client-layers --variant V <job flags>`: the chat workload through `foundry-client` one layer at
//! a time, to see what each layer costs per request. `bench-load --layers` (`cargo xtask bench
//! --layers`) runs every variant; it can also be run by hand against a running `bench-emulator`
//! (see `docs/PERFORMANCE.md`). Variants, each adding to the one before:
//!
//! - `reqwest-typed`: bare reqwest, but with `foundry-protocol`'s request and response types;
//! - `transport-untimed`: `SharedTransport(ReqwestTransport)` without its first-byte and idle
//!   timers, no resilience;
//! - `transport`: `SharedTransport(ReqwestTransport)` with its timers, as the client builds it;
//! - `stacked`: that transport inside the resilience stack with every layer off (the stack's own
//!   cost: one boxed future and one more dynamic call);
//! - `limited`: the stack with the client's concurrency limit alone;
//! - `retried`: under the limit and the retry layer;
//! - `resilient`: under the limit, the retry layer and the circuit breaker (the client's stack);
//! - `client`: `FoundryClient` as `client-foundry` runs it.
//!
//! One more, outside that order: `client-no-breaker`, `FoundryClient` with the breaker off.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use benches::{CallError, Job, PROMPT};
use foundry_client::{
    BreakerConfig, ChatRequest, ChatResponse, FoundryClient, LimitConfig, Message, RetryPolicy,
};
use foundry_resilience::ResilienceBuilder;
use foundry_transport::{ReqwestTransport, SharedTransport, Timeouts, Transport, TransportRequest};

const QUEUE: usize = 1_024;

#[derive(Clone)]
enum Variant {
    ReqwestTyped(reqwest::Client, Arc<str>),
    Transport(SharedTransport),
    Client(FoundryClient),
}

fn error(e: impl std::error::Error) -> CallError {
    CallError::from_error(&e)
}

fn variant(name: &str, job: &Job) -> Result<Variant, CallError> {
    let transport = || -> Result<SharedTransport, CallError> {
        let reqwest = ReqwestTransport::builder()
            .base_url(&job.url)
            .first_byte_timeout(Duration::from_secs(30))
            .idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(error)?;
        Ok(SharedTransport::new(reqwest))
    };
    let untimed = || -> Result<SharedTransport, CallError> {
        let reqwest = ReqwestTransport::builder()
            .base_url(&job.url)
            .timeouts(Timeouts::new())
            .build()
            .map_err(error)?;
        Ok(SharedTransport::new(reqwest))
    };
    let client = |breaker: bool| {
        let mut builder = FoundryClient::builder()
            .endpoint(&job.url)
            .concurrency(LimitConfig::new(job.in_flight, QUEUE));
        if !breaker {
            builder = builder.breaker(None);
        }
        builder.build().map(Variant::Client).map_err(error)
    };
    match name {
        "reqwest-typed" => Ok(Variant::ReqwestTyped(
            reqwest::Client::new(),
            format!("{}/v1/chat/completions", job.url).into(),
        )),
        "transport-untimed" => Ok(Variant::Transport(untimed()?)),
        "transport" => Ok(Variant::Transport(transport()?)),
        "stacked" | "limited" | "retried" | "resilient" => {
            let mut stack = ResilienceBuilder::new()
                .retry(None)
                .breaker(None)
                .limit(None);
            if name != "stacked" {
                stack = stack.limit(LimitConfig::new(job.in_flight, QUEUE));
            }
            if name == "retried" || name == "resilient" {
                stack = stack.retry(RetryPolicy::with_max_retries(3));
            }
            if name == "resilient" {
                stack = stack.breaker(BreakerConfig::default());
            }
            Ok(Variant::Transport(stack.build(transport()?).transport))
        }
        "client-no-breaker" => client(false),
        "client" => client(true),
        other => Err(CallError(format!("unknown variant {other:?}"))),
    }
}

async fn call(variant: Variant, job: Arc<Job>) -> Result<u64, CallError> {
    let request = ChatRequest::new(job.model.as_str(), [Message::user(PROMPT)]);
    let answer = match variant {
        Variant::ReqwestTyped(http, endpoint) => {
            let body = serde_json::to_vec(&request).map_err(error)?;
            let response = http
                .post(&*endpoint)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(error)?;
            let bytes = response.bytes().await.map_err(error)?;
            ChatResponse::from_slice(&bytes).map_err(error)?
        }
        Variant::Transport(transport) => {
            let body = serde_json::to_vec(&request).map_err(error)?;
            let request =
                TransportRequest::post_json("/v1/chat/completions", body).idempotent(true);
            let response = transport.send(request).await.map_err(error)?;
            if !response.status().is_success() {
                return Err(CallError(format!("status {}", response.status())));
            }
            let bytes = response.bytes_limited(32 << 20).await.map_err(error)?;
            ChatResponse::from_slice(&bytes).map_err(error)?
        }
        Variant::Client(client) => client.chat(request).await.map_err(error)?,
    };
    if answer.text().unwrap_or_default().is_empty() {
        return Err(CallError("an empty answer".to_owned()));
    }
    Ok(0)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let name = match args.iter().position(|a| a == "--variant") {
        Some(at) if at + 1 < args.len() => {
            let name = args.remove(at + 1);
            args.remove(at);
            name
        }
        _ => {
            eprintln!(
                "client-layers: --variant reqwest-typed|transport-untimed|transport|stacked|limited|retried|resilient|client|client-no-breaker is required"
            );
            return ExitCode::from(2);
        }
    };
    let job = match Job::parse(args) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("client-layers: {e}");
            return ExitCode::from(2);
        }
    };
    let variant = match variant(&name, &job) {
        Ok(variant) => variant,
        Err(e) => return benches::finish("client-layers", Err(e)),
    };
    let outcome = benches::run(&name, &name, &job, {
        let job = Arc::new(job.clone());
        move || call(variant.clone(), job.clone())
    })
    .await;
    benches::finish("client-layers", outcome)
}
