//! The basics: connect, make sure the model is ready, ask a question, read the answer and usage.
//!
//! `cargo run -p examples --example basic_usage` (set `FOUNDRY_ENDPOINT` and `FOUNDRY_MODEL` to
//! use your own server).

use std::process::ExitCode;

use examples::{ExampleResult, connect, run, skip_if_unsupported};
use foundry_client::{ChatRequest, Message};
use foundry_emulator::Dialect;

#[tokio::main]
async fn main() -> ExitCode {
    run(basic_usage).await
}

async fn basic_usage() -> ExampleResult {
    let connection = connect(Dialect::Core2).await?;
    let client = &connection.client;
    let model = client.config().model.clone();

    let server = client.server().await?;
    println!("The server is a {}.", server.kind);

    println!("Making sure {model:?} is loaded...");
    let ready = client.ensure_ready(&model).await?;
    println!("Ready: requests will name it {:?}.", ready.id);

    let question = "Explain quantum computing in one sentence.";
    println!("\nAsking: {question}");
    let answer = client
        .chat(
            ChatRequest::new(
                &ready.id,
                [Message::system("Answer briefly."), Message::user(question)],
            )
            .max_tokens(64),
        )
        .await?;
    println!("Answer: {}", answer.text().unwrap_or_default());
    if let Some(usage) = &answer.usage {
        println!(
            "Tokens: {} in the prompt, {} in the answer.",
            usage.prompt_tokens, usage.completion_tokens
        );
    }

    println!("\nThe same through the one-line form:");
    let short = client
        .complete("Name three primary colors.")
        .model(&ready.id)
        .max_tokens(32)
        .send()
        .await?;
    println!(
        "{} ({} tokens, {:?})",
        short.content, short.usage.total_tokens, short.latency
    );

    if let Some(loaded) =
        skip_if_unsupported("listing loaded models", client.loaded_models().await)?
    {
        println!("\nLoaded models: {}", loaded.join(", "));
    }
    Ok(())
}
