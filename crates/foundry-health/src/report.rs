//! What one probe found: [`ProbeReport`] and its parts.

use std::time::Duration;

use foundry_transport::ErrorKind;

use crate::memory::MemoryFigure;
pub use foundry_protocol::ServerKind;

/// The verdict of one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProbeOutcome {
    /// Every check passed.
    Ready,
    /// The main check passed and a secondary one failed (see [`ProbeReport::problems`]): the
    /// server answers but not everything works.
    Partial,
    /// The server answered that it is starting (llama.cpp's 503 "Loading model").
    Starting,
    /// The server answered, but with an error status or a body that could not be read.
    Failing,
    /// No answer: the connection failed or the probe timed out.
    Unreachable,
}

/// llama.cpp's slots: how many requests it decodes at once, and how many are busy now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SlotUsage {
    /// `total_slots` from `/props`.
    pub total: Option<u32>,
    /// Slots with `is_processing: true` in `/slots`.
    pub busy: Option<u32>,
}

/// One check of a probe that did not pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{check}: {kind}")]
#[non_exhaustive]
pub struct ProbeProblem {
    /// The request, as `GET /path`.
    pub check: String,
    /// What went wrong.
    pub kind: ProblemKind,
}

impl ProbeProblem {
    /// A problem with the check `check`.
    pub fn new(check: impl Into<String>, kind: ProblemKind) -> Self {
        Self {
            check: check.into(),
            kind,
        }
    }
}

/// How a check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The request got no answer.
    #[error("no answer ({kind:?}): {message}")]
    Transport {
        /// The transport's classification.
        kind: ErrorKind,
        /// The transport's message.
        message: String,
    },
    /// The server answered with an unexpected status.
    #[error("status {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The server's error message, as far as it could be read.
        message: String,
    },
    /// The body could not be read as the expected document.
    #[error("unreadable answer: {message}")]
    Unreadable {
        /// What the decoder said.
        message: String,
    },
    /// The whole probe took longer than allowed.
    #[error("no answer within {after:?}")]
    TimedOut {
        /// The limit.
        after: Duration,
    },
}

/// What one probe of a server found.
///
/// Figures the server did not give are `None` or empty, never guessed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProbeReport {
    /// The verdict.
    pub outcome: ProbeOutcome,
    /// The kind of server, when the answers tell.
    pub server: Option<ServerKind>,
    /// The server's version or build, when it reports one (llama.cpp's `build_info`).
    pub version: Option<String>,
    /// The models loaded now, when the server lists them.
    pub loaded_models: Option<Vec<String>>,
    /// llama.cpp's slots, when known.
    pub slots: Option<SlotUsage>,
    /// How long the whole probe took, on the probe's clock.
    pub latency: Duration,
    /// Memory figures, each with its source.
    pub memory: Vec<MemoryFigure>,
    /// The checks that failed, in order.
    pub problems: Vec<ProbeProblem>,
}

impl ProbeReport {
    /// A report with this outcome and latency and nothing else known (for custom probes).
    pub fn new(outcome: ProbeOutcome, latency: Duration) -> Self {
        Self {
            outcome,
            server: None,
            version: None,
            loaded_models: None,
            slots: None,
            latency,
            memory: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// A probe that got no answer within `after`.
    pub fn timed_out(after: Duration) -> Self {
        let mut report = Self::new(ProbeOutcome::Unreachable, after);
        report
            .problems
            .push(ProbeProblem::new("probe", ProblemKind::TimedOut { after }));
        report
    }

    /// Whether the server answered at all.
    pub fn reachable(&self) -> bool {
        self.outcome != ProbeOutcome::Unreachable
    }

    /// Whether the server can serve requests now (every check passed, or only a secondary one
    /// failed).
    pub fn ready(&self) -> bool {
        matches!(self.outcome, ProbeOutcome::Ready | ProbeOutcome::Partial)
    }
}
