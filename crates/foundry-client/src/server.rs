//! The server the client talks to, detected once (by `foundry_health::detect`), so routes and
//! quirks can follow it.

pub use foundry_health::{ServerInfo, ServerKind, detect};

/// The in-flight limit that suits a server of `kind` when nothing else is known (DESIGN:
/// Foundry handles requests one at a time, llama.cpp has its slots, others scale out).
pub(crate) fn default_concurrency(kind: ServerKind) -> usize {
    match kind {
        ServerKind::OpenAiCompatible => 64,
        _ => 4,
    }
}
