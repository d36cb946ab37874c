//! `cargo xtask demo`: the whole client in two minutes, on a fresh machine, with no setup.
//!
//! Uses `FOUNDRY_ENDPOINT` when set; otherwise starts the Foundry Local emulator in this process
//! (its legacy dialect, which can download models) and says so.

use std::io::Write;
use std::time::{Duration, Instant};

use foundry_client::{ChatRequest, Config, ErrorKind, FoundryClient, Message};
use foundry_emulator::{Dialect, Emulator, EmulatorConfig};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

type DemoResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Runs the demo on a fresh runtime.
pub fn run() -> DemoResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(demo())
}

fn heading(text: &str) {
    println!("\n\u{2500}\u{2500} {text}");
}

async fn demo() -> DemoResult {
    heading("1. Finding a server");
    let config = Config::from_env()?;
    let (client, _emulator) = match &config.endpoint {
        Some(endpoint) => {
            println!("FOUNDRY_ENDPOINT is set: using {endpoint}.");
            (
                FoundryClient::builder().config(config.clone()).build()?,
                None,
            )
        }
        None => {
            let emulator = Emulator::start(
                EmulatorConfig::new(Dialect::Legacy)
                    .download_step(Duration::from_millis(15))
                    .token_delay(Duration::from_millis(15)),
            )
            .await?;
            println!(
                "FOUNDRY_ENDPOINT is not set: started the built-in Foundry Local emulator at {}.",
                emulator.url()
            );
            println!(
                "(Set FOUNDRY_ENDPOINT=http://127.0.0.1:<port> to run this against a real server.)"
            );
            (
                FoundryClient::builder()
                    .config(config.clone())
                    .endpoint(emulator.url())
                    .build()?,
                Some(emulator),
            )
        }
    };
    let info = client.server().await?;
    println!("The server answering there is: {}.", info.kind);

    heading("2. Health");
    let health = client.health().await?;
    println!(
        "Probe: {:?}, answered in {:.1} ms.",
        health.outcome,
        health.latency.as_secs_f64() * 1e3
    );
    if let Some(models) = &health.loaded_models {
        println!("Loaded models: {}.", list(models));
    }
    for figure in &health.memory {
        println!(
            "Memory: {:.1} MiB, from {:?}.",
            figure.bytes as f64 / 1048576.0,
            figure.source
        );
    }
    if let Some(breaker) = client.breaker() {
        println!(
            "Circuit breaker: {:?} (it opens after repeated failures and fails calls fast).",
            breaker.state()
        );
    }

    heading("3. Model management");
    let model = config.model.clone();
    match client.catalog().await {
        Ok(catalog) => println!(
            "The catalog offers {} model variants, e.g. {}.",
            catalog.len(),
            sample(&catalog)
        ),
        Err(error) => println!("No catalog here ({error})."),
    }
    let download_target = if info.kind == foundry_client::ServerKind::FoundryLegacy {
        "qwen2.5-1.5b"
    } else {
        model.as_str()
    };
    println!("Downloading {download_target} (skipped where the server has no download API)...");
    let bar = ProgressBar::new(100)
        .with_style(ProgressStyle::with_template("   {bar:40} {pos:>3}% {msg}")?);
    let progress = bar.clone();
    let download = client
        .download_with(download_target, move |p| {
            progress.set_position(p.percent as u64);
            progress.set_message(p.file.clone().unwrap_or_default());
        })
        .await;
    bar.finish_and_clear();
    match download {
        Ok(()) => println!("Downloaded {download_target}."),
        Err(error) if error.kind() == ErrorKind::Unsupported => println!("Skipped: {error}"),
        Err(error) => return Err(error.into()),
    }
    println!("Loading {model}...");
    let ready = client.ensure_ready(&model).await?;
    println!("Ready. Requests will name it {:?}.", ready.id);

    heading("4. A completion");
    let question = "Explain quantum computing in one sentence.";
    println!("Q: {question}");
    let answer = client
        .complete(question)
        .model(&ready.id)
        .max_tokens(48)
        .send()
        .await?;
    println!("A: {}", answer.content);
    println!(
        "   ({} prompt + {} answer tokens, {:.1} ms)",
        answer.usage.prompt_tokens,
        answer.usage.completion_tokens,
        answer.latency.as_secs_f64() * 1e3
    );

    heading("5. A streamed answer, token by token");
    let mut stream = client
        .chat_stream(
            ChatRequest::new(&ready.id, [Message::user("Write a haiku about local AI.")])
                .max_tokens(40),
        )
        .await?;
    print!("   ");
    while let Some(chunk) = stream.next().await {
        print!("{}", chunk?.text().unwrap_or_default());
        std::io::stdout().flush()?;
    }
    println!();

    heading("6. A batch of 20 prompts, 4 at a time");
    let requests: Vec<_> = (1..=20)
        .map(|i| {
            ChatRequest::new(
                &ready.id,
                [Message::user(format!(
                    "Give me fact number {i} about the sea."
                ))],
            )
            .max_tokens(16)
        })
        .collect();
    let bar =
        ProgressBar::new(20).with_style(ProgressStyle::with_template("   {bar:40} {pos}/{len}")?);
    let progress = bar.clone();
    let batch_started = Instant::now();
    let results = client
        .batch(requests)
        .concurrency(4)
        .on_progress(move |p| progress.set_position(p.done as u64))
        .run()
        .await;
    bar.finish_and_clear();
    let failed = results.iter().filter(|r| r.is_err()).count();
    let tokens: u64 = results
        .iter()
        .flatten()
        .filter_map(|r| r.usage.as_ref())
        .map(|u| u.total_tokens)
        .sum();
    println!(
        "   {} answered, {failed} failed, {tokens} tokens, {:.1} ms in all.",
        results.len() - failed,
        batch_started.elapsed().as_secs_f64() * 1e3
    );

    heading("7. What the client saw");
    let metrics = client.metrics_snapshot();
    println!(
        "{} calls, {} succeeded, {} retried attempts, errors: {:?}.",
        metrics.requests, metrics.successes, metrics.retries, metrics.errors
    );
    if let Some(latency) = &metrics.latency {
        println!(
            "Latency: p50 {:.1} ms, p99 {:.1} ms.",
            ms(latency.p50),
            ms(latency.p99)
        );
    }
    if let Some(ttft) = &metrics.time_to_first_token {
        println!("Time to first token (streams): p50 {:.1} ms.", ms(ttft.p50));
    }
    if let Some(rate) = &metrics.tokens_per_second {
        println!(
            "Generation speed: {:.0} tokens/s on average ({} tokens in all).",
            rate.mean, metrics.generated_tokens
        );
    }
    if let Some(limit) = client.concurrency_limit() {
        println!(
            "In flight now: {}; the limit to this server: {}.",
            limit.in_flight(),
            limit.config().max_in_flight
        );
    }
    if let Some(breaker) = client.breaker() {
        println!("Circuit breaker: {:?}.", breaker.state());
    }
    if failed > 0 {
        return Err(format!("{failed} batch prompts failed").into());
    }
    println!(
        "\nDone. Next: `cargo run -p examples --example streaming`, or set FOUNDRY_ENDPOINT to try your own server."
    );
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn sample(catalog: &[foundry_client::ModelInfo]) -> String {
    let mut aliases: Vec<&str> = catalog
        .iter()
        .map(|m| m.alias.as_str())
        .filter(|a| !a.is_empty())
        .collect();
    aliases.dedup();
    aliases.into_iter().take(3).collect::<Vec<_>>().join(", ")
}
