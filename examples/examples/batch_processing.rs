//! Batch processing: 20 prompts, 4 at a time, with a progress bar; results come back in order and
//! a failed item never loses the others.

use std::process::ExitCode;

use examples::{ExampleResult, connect, run};
use foundry_client::{ChatRequest, Message};
use foundry_emulator::Dialect;
use indicatif::{ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() -> ExitCode {
    run(batch_processing).await
}

async fn batch_processing() -> ExampleResult {
    let connection = connect(Dialect::Core2).await?;
    let client = &connection.client;
    let model = client.ensure_ready(&client.config().model).await?.id;

    let topics = ["rivers", "mountains", "deserts", "forests", "oceans"];
    let requests: Vec<_> = (0..20)
        .map(|i| {
            let prompt = format!(
                "Give one fact about {} (#{}).",
                topics[i % topics.len()],
                i + 1
            );
            ChatRequest::new(&model, [Message::user(prompt)]).max_tokens(24)
        })
        .collect();
    println!(
        "Sending {} prompts to {model}, 4 at a time...",
        requests.len()
    );
    let bar = ProgressBar::new(requests.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")?);
    let progress = bar.clone();
    let results = client
        .batch(requests)
        .concurrency(4)
        .on_progress(move |p| {
            progress.set_position(p.done as u64);
            progress.set_message(format!("{} failed", p.failed));
        })
        .run()
        .await;
    bar.finish();

    let mut tokens = 0;
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(answer) => {
                tokens += answer.usage.as_ref().map_or(0, |u| u.total_tokens);
                if i < 3 {
                    println!("#{}: {}", i + 1, answer.text().unwrap_or_default());
                }
            }
            Err(error) => println!("#{} failed: {error}", i + 1),
        }
    }
    let failed = results.iter().filter(|r| r.is_err()).count();
    println!(
        "...\n{} answered, {failed} failed, {tokens} tokens in all.",
        results.len() - failed
    );
    if failed > 0 {
        return Err(format!("{failed} of {} prompts failed", results.len()).into());
    }
    Ok(())
}
