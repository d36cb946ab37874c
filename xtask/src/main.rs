//! The project's task runner, reached as `cargo xtask <command>`.
//!
//! Contributors and CI depend on it; library users never do. Every command is a sequence of named
//! steps, each under its own timeout, so a failure always says which step failed and why.

#![forbid(unsafe_code)]

mod bench;
mod demo;
mod deny;
mod e2e;
mod publish;
mod soak;
mod step;

use std::process::ExitCode;
use std::time::Duration;

use step::Step;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  demo    the client end to end: discovery, health, model management, a completion, a stream,
          a batch with progress, what the client saw (uses FOUNDRY_ENDPOINT, else the emulator)
  check   the quick loop while editing: format check, clippy -D warnings, unit tests
  test    format check, clippy -D warnings, every test (unit, integration, doc), benches run once,
          every example against the emulator, the real-server suite (e2e), the docs build, each
          library with no default features and with each feature alone, and packaging
  lint    format check, clippy -D warnings, and the supply-chain check (cargo deny)
  soak    10,000 requests at 64 in flight with 20 % injected faults (`--quick`: 1,000)
  e2e     the real-server suite: builds and starts llama.cpp's llama-server (cached under
          ~/.cache/foundry-local-rs), runs the `e2e` package against it, stops it
  bench   criterion micro-benches (quick), then the load bench against the peers on the
          emulator; writes docs/PERFORMANCE.md (extra arguments go to it, e.g. --scale 0.5,
          --cpu 1 to pin everything to CPU 1); `bench --layers` instead prints what each layer
          of the client adds per request and writes nothing
  help    this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("help");
    let steps = match command {
        "test" => lint_steps().into_iter().chain(test_steps()).collect(),
        "check" => check_steps(),
        "lint" => lint_steps(),
        "bench" => bench::steps(&args[1..]),
        "soak" => {
            let requests = if args.iter().any(|a| a == "--quick") {
                1_000
            } else {
                10_000
            };
            return match soak::run(requests) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => {
                    eprintln!("\nxtask soak: FAILED: {failure}");
                    ExitCode::FAILURE
                }
            };
        }
        "demo" => {
            return match demo::run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("\nxtask demo: FAILED: {error}");
                    let mut cause = error.source();
                    while let Some(inner) = cause {
                        eprintln!("  caused by: {inner}");
                        cause = inner.source();
                    }
                    ExitCode::FAILURE
                }
            };
        }
        "e2e" => {
            return match e2e::run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => {
                    eprintln!("\nxtask e2e: FAILED: {failure}");
                    ExitCode::FAILURE
                }
            };
        }
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("xtask: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match step::run_all(&steps) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("\nxtask {command}: FAILED: {failure}");
            ExitCode::FAILURE
        }
    }
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

/// Format, clippy and the supply-chain check: cheap checks that fail fast before the long build.
fn lint_steps() -> Vec<Step> {
    let mut steps = format_and_clippy();
    steps.extend(deny::steps());
    steps
}

/// The format check and clippy with warnings denied.
fn format_and_clippy() -> Vec<Step> {
    vec![
        Step::cargo(
            "format check",
            minutes(2),
            &["fmt", "--all", "--", "--check"],
        ),
        Step::cargo(
            "clippy (all targets, warnings are errors)",
            minutes(30),
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ]
}

/// The edit loop: format, clippy, and the unit tests of every crate.
fn check_steps() -> Vec<Step> {
    let mut steps = format_and_clippy();
    steps.push(Step::cargo(
        "unit tests",
        minutes(20),
        &["test", "--workspace", "--locked", "--lib", "--bins"],
    ));
    steps
}

/// Every test the workspace has, every example, then the docs build with warnings denied.
fn test_steps() -> Vec<Step> {
    let mut steps = vec![
        Step::cargo(
            "tests (unit, integration, doc)",
            minutes(30),
            &["test", "--workspace", "--locked"],
        ),
        Step::cargo(
            "benches compile and run once",
            minutes(15),
            &["test", "--workspace", "--locked", "--benches"],
        ),
    ];
    steps.extend(example_steps());
    steps.push(Step::cargo(
        "soak: 1,000 requests at 64 in flight with 20 % faults",
        minutes(10),
        &[
            "run", "--locked", "--quiet", "-p", "xtask", "--", "soak", "--quick",
        ],
    ));
    steps.push(
        Step::cargo(
            "demo against the emulator",
            minutes(5),
            &["run", "--locked", "--quiet", "-p", "xtask", "--", "demo"],
        )
        .env_remove("FOUNDRY_ENDPOINT")
        .env_remove("FOUNDRY_LOCAL_ENDPOINT"),
    );
    steps.push(Step::cargo(
        "e2e: the real-server suite (builds its servers on first use)",
        minutes(45),
        &["run", "--locked", "--quiet", "-p", "xtask", "--", "e2e"],
    ));
    steps.push(
        Step::cargo(
            "docs build without warnings",
            minutes(10),
            &["doc", "--workspace", "--no-deps", "--locked"],
        )
        .env("RUSTDOCFLAGS", "-D warnings"),
    );
    steps.extend(publish::feature_steps());
    steps.push(publish::package_step());
    steps
}

/// The runnable examples, which must exit 0.
const EXAMPLES: [&str; 7] = [
    "basic_usage",
    "streaming",
    "batch_processing",
    "model_management",
    "production",
    "health_monitor",
    "structured_output",
];

/// Every example against the in-process emulator: no endpoint variable, so each falls back to it.
fn example_steps() -> Vec<Step> {
    EXAMPLES
        .iter()
        .map(|example| {
            Step::cargo(
                &format!("example {example} against the emulator"),
                minutes(5),
                &[
                    "run",
                    "--locked",
                    "--quiet",
                    "-p",
                    "examples",
                    "--example",
                    example,
                ],
            )
            .env_remove("FOUNDRY_ENDPOINT")
            .env_remove("FOUNDRY_LOCAL_ENDPOINT")
        })
        .collect()
}
