//! Finding a running Foundry Local: the endpoint variables, then the CLI of either generation,
//! optionally starting the service and waiting for it.

use std::time::Duration;

use foundry_protocol::foundry::{CliServerStatus, parse_service_status_text};

use crate::client::FoundryClient;
use crate::config::Config;
use crate::error::{Error, ErrorKind};

/// How [`FoundryClient::discover_with`] looks for a server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DiscoverOptions {
    /// The configuration (endpoint variables win over the CLI); default: [`Config::from_env`].
    pub config: Option<Config>,
    /// The `foundry` command to run (a name on `PATH`, or a path).
    pub cli: String,
    /// Start the service when none runs (`foundry server start`, else `foundry service start`).
    pub start_service: bool,
    /// How long to wait for a started service to answer (default 30 s, not the SDKs' 1 s: a
    /// cold start takes longer).
    pub wait: Duration,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        Self {
            config: None,
            cli: "foundry".to_owned(),
            start_service: false,
            wait: Duration::from_secs(30),
        }
    }
}

/// What one CLI call said.
enum CliAnswer {
    Running(String),
    NotRunning,
    Unavailable,
}

impl FoundryClient {
    /// A client for the Foundry Local that runs here: `FOUNDRY_ENDPOINT` (or
    /// `FOUNDRY_LOCAL_ENDPOINT`) if set, else what `foundry server status --output json` or
    /// `foundry service status` reports. Does not start a service.
    pub async fn discover() -> Result<Self, Error> {
        Self::discover_with(DiscoverOptions::default()).await
    }

    /// [`discover`](Self::discover) with options, e.g. starting the service.
    pub async fn discover_with(options: DiscoverOptions) -> Result<Self, Error> {
        let config = match options.config.clone() {
            Some(config) => config,
            None => Config::from_env()?,
        };
        if config.endpoint.is_some() {
            return Self::builder().config(config).build();
        }
        let endpoint = match find_endpoint(&options.cli).await {
            Some(endpoint) => endpoint,
            None if options.start_service => start_and_wait(&options).await?,
            None => {
                return Err(Error::new(
                    ErrorKind::Connect,
                    format!(
                        "no Foundry Local found: FOUNDRY_ENDPOINT is not set and `{cli} server status` / `{cli} service status` report no running service",
                        cli = options.cli
                    ),
                ));
            }
        };
        Self::builder().config(config).endpoint(endpoint).build()
    }
}

async fn find_endpoint(cli: &str) -> Option<String> {
    for answer in [server_status(cli).await, service_status(cli).await] {
        if let CliAnswer::Running(endpoint) = answer {
            return Some(endpoint);
        }
    }
    None
}

async fn start_and_wait(options: &DiscoverOptions) -> Result<String, Error> {
    let current = !matches!(server_status(&options.cli).await, CliAnswer::Unavailable);
    let args: &[&str] = if current {
        &["server", "start"]
    } else {
        &["service", "start"]
    };
    run(&options.cli, args).await.ok_or_else(|| {
        Error::new(
            ErrorKind::Connect,
            format!("could not run `{} {}`", options.cli, args.join(" ")),
        )
    })?;
    let deadline = tokio::time::Instant::now() + options.wait;
    let mut pause = Duration::from_millis(100);
    loop {
        if let Some(endpoint) = find_endpoint(&options.cli).await {
            return Ok(endpoint);
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "started Foundry Local, but it did not report a URL within {:?}",
                    options.wait
                ),
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// `foundry server status --output json` (current CLI).
async fn server_status(cli: &str) -> CliAnswer {
    let Some(output) = run(cli, &["server", "status", "--output", "json"]).await else {
        return CliAnswer::Unavailable;
    };
    match CliServerStatus::from_json(&output) {
        Ok(status) => status
            .endpoint()
            .map_or(CliAnswer::NotRunning, CliAnswer::Running),
        Err(_) => CliAnswer::Unavailable,
    }
}

/// `foundry service status` (legacy CLI, emoji text).
async fn service_status(cli: &str) -> CliAnswer {
    let Some(output) = run(cli, &["service", "status"]).await else {
        return CliAnswer::Unavailable;
    };
    let status = parse_service_status_text(&output);
    match (status.running, status.endpoint) {
        (true, Some(endpoint)) => CliAnswer::Running(endpoint),
        _ => CliAnswer::NotRunning,
    }
}

/// Runs the CLI with a bound on its time and output; `None` when it cannot run or hangs.
async fn run(cli: &str, args: &[&str]) -> Option<String> {
    let child = tokio::process::Command::new(cli)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(15), child)
        .await
        .ok()?
        .ok()?;
    let text =
        String::from_utf8_lossy(&output.stdout[..output.stdout.len().min(64 * 1024)]).into_owned();
    // The legacy CLI exits non-zero when the service is stopped but still says so on stdout.
    (!text.trim().is_empty()).then_some(text)
}
