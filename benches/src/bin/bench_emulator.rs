//! `bench-emulator`: the load bench's server. Serves the C++ Core dialect (`g2-core2`) with zero
//! latency on `127.0.0.1` (a free port), prints its URL as the first line of stdout, and stops on
//! SIGTERM or Ctrl-C.
//!
//! Its catalog holds the two models the workloads use, both loaded: a chat model with a short
//! fixed answer, and one whose answer streams as exactly [`benches::STREAM_CHUNKS`] chunks when
//! the request asks for usage.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use foundry_emulator::{Catalog, CatalogEntry, Dialect, Emulator, EmulatorConfig, TINY_ANSWER};
use tokio::signal::unix::{SignalKind, signal};

/// Chunks of a stream that are not answer tokens: the role chunk, the finish chunk, the usage chunk.
const FRAMING_CHUNKS: u64 = 3;

/// Plain words only: no punctuation, so each word (with its leading space) is exactly one token.
const WORDS: [&str; 8] = [
    "local", "model", "answer", "token", "stream", "server", "client", "request",
];

fn long_answer() -> String {
    let tokens = benches::STREAM_CHUNKS - FRAMING_CHUNKS;
    (0..tokens)
        .map(|i| WORDS[i as usize % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn config() -> EmulatorConfig {
    let catalog = Catalog::new(vec![
        CatalogEntry::chat(benches::CHAT_MODEL, "bench-chat").fixed_answer(TINY_ANSWER),
        CatalogEntry::chat(benches::STREAM_MODEL, "bench-stream").fixed_answer(long_answer()),
    ]);
    EmulatorConfig::new(Dialect::Core2)
        .catalog(catalog)
        .loaded([benches::CHAT_MODEL, benches::STREAM_MODEL])
}

#[tokio::main]
async fn main() -> ExitCode {
    // Handlers first, so a supervisor that signals as soon as it reads the URL gets a clean stop.
    let (mut terminate, mut interrupt) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(terminate), Ok(interrupt)) => (terminate, interrupt),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("bench-emulator: cannot handle signals: {error}");
            return ExitCode::FAILURE;
        }
    };
    let emulator = match Emulator::start(config()).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("bench-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", emulator.url());
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
