//! Model management: the catalog, a download with a progress bar, load, the loaded list, unload.
//! Without an endpoint it uses the emulator's legacy dialect, whose REST API can download; steps a
//! server cannot do are skipped with the reason.

use std::process::ExitCode;
use std::time::Duration;

use examples::{ExampleResult, connect, run, skip_if_unsupported};
use foundry_emulator::Dialect;
use indicatif::{ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() -> ExitCode {
    run(model_management).await
}

async fn model_management() -> ExampleResult {
    let connection = connect(Dialect::Legacy).await?;
    let client = &connection.client;
    println!("The server is a {}.", client.server().await?.kind);

    let catalog = client.catalog().await?;
    println!("\nThe catalog has {} model variants:", catalog.len());
    for model in catalog.iter() {
        let device = model.device_type().unwrap_or("?");
        let size = model
            .file_size_mb
            .map(|mb| format!("{mb} MB"))
            .unwrap_or_default();
        println!(
            "  {:<45} alias {:<22} {device:<4} {size}",
            model.model_id(),
            model.alias
        );
    }

    // FOUNDRY_DOWNLOAD_MODEL if set; else the emulator's catalog entry that is not downloaded yet
    // when there is one; else the configured model.
    let model = std::env::var("FOUNDRY_DOWNLOAD_MODEL")
        .ok()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            if catalog.iter().any(|m| m.alias == "qwen2.5-1.5b") {
                "qwen2.5-1.5b".to_owned()
            } else {
                client.config().model.clone()
            }
        });
    if let Some(cached) =
        skip_if_unsupported("listing downloaded models", client.cached_models().await)?
    {
        println!("\nDownloaded: {}", cached.join(", "));
    }

    println!("\nDownloading {model}...");
    let bar = ProgressBar::new(100);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos:>3}% {msg}")?);
    let progress = bar.clone();
    let downloaded = client
        .download_with(&model, move |p| {
            progress.set_position(p.percent as u64);
            progress.set_message(p.file.clone().unwrap_or_default());
        })
        .await;
    bar.finish();
    skip_if_unsupported("the download", downloaded)?;

    println!("\nLoading {model} for 10 minutes...");
    if let Some(outcome) = skip_if_unsupported(
        "loading",
        client.load(&model, Some(Duration::from_secs(600))).await,
    )? {
        println!("The server said: {outcome:?}");
    }
    println!("Loaded now: {}", client.loaded_models().await?.join(", "));

    println!("\nUnloading {model}...");
    if let Some(outcome) = skip_if_unsupported("unloading", client.unload(&model, true).await)? {
        println!("The server said: {outcome:?}");
    }
    println!("Loaded now: {}", client.loaded_models().await?.join(", "));
    Ok(())
}
