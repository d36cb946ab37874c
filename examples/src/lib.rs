//! Shared set-up of the examples: logging from `FOUNDRY_LOG_LEVEL`, choosing the server, and
//! reporting failures with their causes.
//!
//! Where the examples connect, in order: `FOUNDRY_ENDPOINT` (or `FOUNDRY_LOCAL_ENDPOINT`) if set;
//! else a Foundry Local that the `foundry` command line reports running (none is started); else
//! the Foundry Local emulator, started in this process. Each example says which it uses.

#![forbid(unsafe_code)]

use std::error::Error as StdError;
use std::future::Future;
use std::process::ExitCode;

use foundry_client::{Config, Error, ErrorKind, FoundryClient};

/// What an example's body returns: any error, reported with its causes.
pub type ExampleResult<T = ()> = Result<T, Box<dyn StdError>>;
use foundry_emulator::{Dialect, Emulator, EmulatorConfig, EmulatorHandle};

/// A connected client, and the emulator behind it when one was started.
pub struct Connection {
    /// The client.
    pub client: FoundryClient,
    /// The in-process emulator, kept alive as long as the connection.
    pub emulator: Option<EmulatorHandle>,
}

/// Installs a log subscriber filtered by `FOUNDRY_LOG_LEVEL` (default `info`; an invalid value
/// is reported when the configuration is read).
pub fn init_logging() {
    let filter = std::env::var("FOUNDRY_LOG_LEVEL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "warn".into());
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // A second call (several examples in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

/// Connects as described in the crate docs; `dialect` is the emulator's when one is needed.
pub async fn connect(dialect: Dialect) -> ExampleResult<Connection> {
    let config = Config::from_env()?;
    if let Some(endpoint) = &config.endpoint {
        println!("Using the server at {endpoint} (from FOUNDRY_ENDPOINT).");
        return Ok(Connection {
            client: FoundryClient::builder().config(config).build()?,
            emulator: None,
        });
    }
    match FoundryClient::discover().await {
        Ok(client) => {
            println!(
                "Using the Foundry Local the `foundry` command reports running at {}.",
                client.endpoint()
            );
            return Ok(Connection {
                client,
                emulator: None,
            });
        }
        Err(error) if error.kind() == ErrorKind::Connect => {}
        Err(error) => return Err(error.into()),
    }
    let emulator = Emulator::start(EmulatorConfig::new(dialect)).await?;
    println!(
        "No FOUNDRY_ENDPOINT and no running Foundry Local: using the built-in emulator ({dialect} dialect) at {}.",
        emulator.url()
    );
    let client = FoundryClient::builder()
        .config(config)
        .endpoint(emulator.url())
        .build()?;
    Ok(Connection {
        client,
        emulator: Some(emulator),
    })
}

/// Runs an example's body; on failure prints the error with every cause and exits non-zero.
pub async fn run<F, Fut>(body: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ExampleResult>,
{
    init_logging();
    match body().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nError: {error}");
            let mut cause = error.as_ref().source();
            while let Some(inner) = cause {
                eprintln!("  caused by: {inner}");
                cause = inner.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// Prints why a step is skipped when the server cannot do it; other errors pass through.
pub fn skip_if_unsupported<T>(step: &str, result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.kind() == ErrorKind::Unsupported => {
            println!("  (skipping {step}: {error})");
            Ok(None)
        }
        Err(error) => Err(error),
    }
}
