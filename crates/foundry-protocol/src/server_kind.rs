//! The kinds of server a client can meet, named once for the client, the probes and the emulator.

use std::fmt;

/// The kinds of model server the client recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerKind {
    /// Foundry Local's legacy CLI service (`/openai/*`).
    FoundryLegacy,
    /// Foundry Local's web service on the C# Core 1.x (Kestrel).
    FoundryCore1,
    /// Foundry Local's web service on the C++ Core 2.x (oatpp).
    FoundryCore2,
    /// llama.cpp's `llama-server`.
    LlamaCpp,
    /// Any other OpenAI-compatible server.
    OpenAiCompatible,
}

impl ServerKind {
    /// Whether this is a Foundry Local service of any generation.
    pub fn is_foundry(self) -> bool {
        matches!(
            self,
            Self::FoundryLegacy | Self::FoundryCore1 | Self::FoundryCore2
        )
    }

    /// A short snake_case name, for logs, metrics and the `gen_ai.provider.name` of spans.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FoundryLegacy => "foundry_local_legacy",
            Self::FoundryCore1 => "foundry_local_core1",
            Self::FoundryCore2 => "foundry_local_core2",
            Self::LlamaCpp => "llama_cpp",
            Self::OpenAiCompatible => "openai_compatible",
        }
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::FoundryLegacy => "Foundry Local (legacy service)",
            Self::FoundryCore1 => "Foundry Local (Core 1.x web service)",
            Self::FoundryCore2 => "Foundry Local (Core 2.x web service)",
            Self::LlamaCpp => "llama.cpp server",
            Self::OpenAiCompatible => "OpenAI-compatible server",
        })
    }
}
