//! What an emulator serves and how: dialect, catalog, timing, download behaviour, faults.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use foundry_protocol::ServerKind;

use crate::catalog::Catalog;
use crate::faults::FaultPlan;

/// Which Foundry Local server the emulator impersonates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// The legacy CLI service: `/openai/*`, `/foundry/list`, plain-text errors, REST download.
    Legacy,
    /// The C# Core 1.x web service (Kestrel): any model name everywhere, empty load answers.
    Core1,
    /// The C++ Core 2.x web service (oatpp): load by alias, inference by id, JSON load answers.
    #[default]
    Core2,
}

impl Dialect {
    /// The name used on the command line (`g1`, `g2-core1`, `g2-core2`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "g1",
            Self::Core1 => "g2-core1",
            Self::Core2 => "g2-core2",
        }
    }
}

impl Dialect {
    /// The kind of server this dialect impersonates, as the client detects it.
    pub fn server_kind(self) -> ServerKind {
        match self {
            Self::Legacy => ServerKind::FoundryLegacy,
            Self::Core1 => ServerKind::FoundryCore1,
            Self::Core2 => ServerKind::FoundryCore2,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dialect name that is none of `g1`, `g2`, `g2-core1`, `g2-core2`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dialect {0:?}: expected g1, g2, g2-core1 or g2-core2")]
pub struct UnknownDialect(pub String);

impl FromStr for Dialect {
    type Err = UnknownDialect;

    /// Reads `g1`, `g2-core1`, `g2-core2`, and `g2` (the current Core, `g2-core2`), in any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "g1" | "legacy" => Ok(Self::Legacy),
            "g2" | "g2-core2" | "core2" => Ok(Self::Core2),
            "g2-core1" | "core1" => Ok(Self::Core1),
            _ => Err(UnknownDialect(text.to_owned())),
        }
    }
}

/// The configuration of one emulator, built with chained setters.
///
/// ```
/// use std::time::Duration;
/// use foundry_emulator::{Catalog, Dialect, EmulatorConfig};
///
/// let config = EmulatorConfig::new(Dialect::Legacy)
///     .quirks(true)
///     .ttft(Duration::from_millis(20))
///     .catalog(Catalog::tiny())
///     .loaded(["tiny-chat-generic-cpu:1"]);
/// assert_eq!(config.dialect_of(), Dialect::Legacy);
/// ```
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub(crate) dialect: Dialect,
    pub(crate) quirks: bool,
    pub(crate) ttft: Duration,
    pub(crate) token_delay: Duration,
    pub(crate) seed: u64,
    pub(crate) catalog: Catalog,
    pub(crate) cached: Option<Vec<String>>,
    pub(crate) loaded: Vec<String>,
    pub(crate) download_step: Duration,
    pub(crate) download_failure: Option<String>,
    pub(crate) faults: FaultPlan,
    pub(crate) bind: SocketAddr,
    pub(crate) model_dir: String,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self::new(Dialect::default())
    }
}

impl EmulatorConfig {
    /// A configuration for `dialect` with the default catalog, no delays, no faults, bound to
    /// `127.0.0.1:0`.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            quirks: false,
            ttft: Duration::ZERO,
            token_delay: Duration::ZERO,
            seed: 0,
            catalog: Catalog::default(),
            cached: None,
            loaded: Vec::new(),
            download_step: Duration::from_millis(1),
            download_failure: None,
            faults: FaultPlan::default(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            model_dir: "/home/user/.foundry/cache/models".to_owned(),
        }
    }

    /// Sets the dialect.
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// The configured dialect.
    pub fn dialect_of(&self) -> Dialect {
        self.dialect
    }

    /// Emits the legacy service's wire quirks (legacy service only): PascalCase extras, `error: null`,
    /// `delta` beside `message`, per-chunk ids and indexes, `model: null`, `delta` in
    /// non-streamed answers.
    pub fn quirks(mut self, on: bool) -> Self {
        self.quirks = on;
        self
    }

    /// Time before the first token of an answer (zero by default).
    pub fn ttft(mut self, delay: Duration) -> Self {
        self.ttft = delay;
        self
    }

    /// Time between two tokens of an answer (zero by default).
    pub fn token_delay(mut self, delay: Duration) -> Self {
        self.token_delay = delay;
        self
    }

    /// Seed mixed into every generated answer, embedding and fault draw.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Replaces the catalog (see [`Catalog::tiny`] for the real runtimes' test models).
    pub fn catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = catalog;
        self
    }

    /// The ids of the models that start downloaded, replacing the catalog's own flags.
    pub fn cached<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cached = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// The ids of the models that start loaded (they count as downloaded too).
    pub fn loaded<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.loaded = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Pause between two progress lines of a legacy download (1 ms by default).
    pub fn download_step(mut self, step: Duration) -> Self {
        self.download_step = step;
        self
    }

    /// Makes every legacy download fail with this message (`None`: downloads succeed).
    pub fn download_failure(mut self, message: Option<String>) -> Self {
        self.download_failure = message;
        self
    }

    /// The faults to inject from the first request on (they can be changed at run time).
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = plan;
        self
    }

    /// The address to listen on (`127.0.0.1:0`, a free port, by default).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Listens on `127.0.0.1:port`.
    pub fn port(self, port: u16) -> Self {
        self.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    }

    /// The model directory reported by the status route.
    pub fn model_dir(mut self, path: impl Into<String>) -> Self {
        self.model_dir = path.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_names_parse() {
        assert_eq!("g2".parse::<Dialect>().unwrap(), Dialect::Core2);
        assert_eq!("G2-Core1".parse::<Dialect>().unwrap(), Dialect::Core1);
        assert_eq!("g1".parse::<Dialect>().unwrap(), Dialect::Legacy);
        assert!("g3".parse::<Dialect>().is_err());
        assert_eq!(Dialect::Core1.to_string(), "g2-core1");
    }
}
