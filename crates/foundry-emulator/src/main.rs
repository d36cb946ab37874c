//! `foundry-emulator --port N --dialect g1|g2|g2-core1|g2-core2 [--quirks] [--ttft-ms N]
//! [--token-delay-ms N] [--seed N] [--tiny]`: serves until Ctrl-C or SIGTERM.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig};

const USAGE: &str = "usage: foundry-emulator [--port N] [--dialect g1|g2|g2-core1|g2-core2] [--quirks] [--ttft-ms N] [--token-delay-ms N] [--seed N] [--tiny]";

fn parse(args: impl Iterator<Item = String>) -> Result<EmulatorConfig, String> {
    let mut config = EmulatorConfig::new(Dialect::Core2);
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("{name}: {text:?} is not a number"))
        };
        config = match flag.as_str() {
            "--port" => {
                let port = value("--port")?;
                let port = port
                    .parse::<u16>()
                    .map_err(|_| format!("--port: {port:?} is not a port"))?;
                config.port(port)
            }
            "--dialect" => config.dialect(value("--dialect")?.parse().map_err(|e| format!("{e}"))?),
            "--quirks" => config.quirks(true),
            "--tiny" => config.catalog(Catalog::tiny()),
            "--ttft-ms" => config.ttft(Duration::from_millis(number(
                "--ttft-ms",
                value("--ttft-ms")?,
            )?)),
            "--token-delay-ms" => config.token_delay(Duration::from_millis(number(
                "--token-delay-ms",
                value("--token-delay-ms")?,
            )?)),
            "--seed" => config.seed(number("--seed", value("--seed")?)?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        };
    }
    Ok(config)
}

/// Installs the Ctrl-C and SIGTERM handlers now (before the URL is printed, so a supervisor that
/// signals as soon as it reads the URL still gets a clean stop) and waits for either later.
#[cfg(unix)]
fn stop_signals() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

/// Waits for Ctrl-C.
#[cfg(not(unix))]
fn stop_signals() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let dialect = config.dialect_of();
    let stopped = match stop_signals() {
        Ok(stopped) => stopped,
        Err(error) => {
            eprintln!("foundry-emulator: cannot handle signals: {error}");
            return ExitCode::FAILURE;
        }
    };
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("foundry-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", emulator.url());
    eprintln!(
        "foundry-emulator ({dialect}) listening on {}; Ctrl-C to stop",
        emulator.url()
    );
    stopped.await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
