//! Streaming: print the answer token by token as it arrives, then the usage.

use std::io::Write;
use std::process::ExitCode;

use examples::{ExampleResult, connect, run};
use foundry_client::{ChatRequest, Message};
use foundry_emulator::Dialect;
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> ExitCode {
    run(streaming).await
}

async fn streaming() -> ExampleResult {
    let connection = connect(Dialect::Core2).await?;
    let client = &connection.client;
    let model = client.ensure_ready(&client.config().model).await?.id;

    let question = "Write a haiku about local AI.";
    println!("Asking {model}: {question}\n");
    let mut stream = client
        .chat_stream(ChatRequest::new(&model, [Message::user(question)]).max_tokens(64))
        .await?;
    let mut usage = None;
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        // A stream that stops early ends with an error here, never silently.
        let chunk = chunk?;
        chunks += 1;
        if let Some(text) = chunk.text() {
            print!("{text}");
            std::io::stdout().flush()?;
        }
        usage = chunk.usage.or(usage);
    }
    println!("\n\n{chunks} chunks received.");
    if let Some(usage) = usage {
        println!(
            "Tokens: {} in the prompt, {} in the answer.",
            usage.prompt_tokens, usage.completion_tokens
        );
    }
    Ok(())
}
