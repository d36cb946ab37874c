//! The load bench: the same workloads through `foundry-client` and the clients users would
//! otherwise pick, each in its own process, against the emulator in another.
//!
//! **Who should depend on this crate:** nobody; it is run by `cargo xtask bench`. This library
//! holds what the client binaries share: the job a client is given on its command line
//! ([`Job`]), the measured loop ([`run`]) and the figures it prints ([`Figures`]). The binaries
//! are `bench-emulator` (the server), `client-foundry`, `client-reqwest` and
//! `client-async-openai` (the Rust clients; the last two need the `peers` feature), and
//! `bench-load`, which starts them all and writes the table. `python/peer.py` is the Python
//! `openai` SDK's client and follows the same command line and output.

#![forbid(unsafe_code)]

mod figures;
mod job;
mod runner;
mod usage;

pub use figures::Figures;
pub use job::{Job, JobError, Kind};
pub use runner::{CallError, run};
pub use usage::{ProcessUsage, process_usage};

/// The chat model: a short fixed answer, like a small local model's reply.
pub const CHAT_MODEL: &str = "bench-chat-generic-cpu:1";

/// The streaming model: its fixed answer streams as [`STREAM_CHUNKS`] chunks in all (role chunk,
/// one chunk per token, finish chunk and usage chunk).
pub const STREAM_MODEL: &str = "bench-stream-generic-cpu:1";

/// Chunks in one streamed answer of [`STREAM_MODEL`], usage chunk included.
pub const STREAM_CHUNKS: u64 = 1_000;

/// The prompt every client sends.
pub const PROMPT: &str = "Say something about local models.";

/// Ends a client process: prints the figures as one JSON line on stdout and exits 0, or says
/// what failed on stderr and exits 1.
pub fn finish(client: &str, outcome: Result<Figures, CallError>) -> std::process::ExitCode {
    let line = outcome.and_then(|figures| {
        serde_json::to_string(&figures).map_err(|e| CallError(format!("figures as JSON: {e}")))
    });
    match line {
        Ok(line) => {
            println!("{line}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{client}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
