//! `bench-load [--report PATH] [--scale F] [--rounds N] [--cpu N] [--layers] [--venv DIR]
//! [--python-script PATH]`: the load bench.
//!
//! Starts `bench-emulator` in its own process, then runs every client in its own process against
//! it, one after the other, on the same workloads, `--rounds` times (3 by default, interleaved);
//! each client measures its own CPU time with `getrusage` around its measured loop. Prints a Markdown table of the figures with the ratios to
//! bare reqwest and the targets marked, and with `--report` writes it into that file between the
//! load-bench markers. The emulator is stopped by its PID at the end, also when a client fails.
//!
//! `--cpu N` pins this program, and so the emulator and every client (they inherit it), to CPU
//! `N`: a client and the server then share one core the same way in every run, which takes most
//! of the noise out. `--layers` runs the sequential chat workload through bare reqwest and each
//! variant of `client-layers` instead, and prints what every layer of our client adds (the
//! report file is left alone).

#![forbid(unsafe_code)]

mod args;
mod layers;
mod machine;
mod plan;
mod process;
mod python;
mod report;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use args::Args;
use plan::{Client, Program, Workload};
use process::EmulatorProcess;
use report::{ClientResult, Context, Outcome};

/// The longest one client may take for one workload (the Python SDK on 10,000 chats is the
/// slowest, at well under a minute here).
const CLIENT_LIMIT: Duration = Duration::from_secs(600);

fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

fn main() -> ExitCode {
    match Args::parse(&workspace_root(), std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-load: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let bin_dir = std::env::current_exe()
        .map_err(|e| format!("cannot find this program's directory: {e}"))?
        .parent()
        .map(Path::to_path_buf)
        .ok_or("this program has no directory")?;
    for sibling in [
        "bench-emulator",
        "client-foundry",
        "client-reqwest",
        "client-async-openai",
        "client-layers",
    ] {
        if !bin_dir.join(sibling).exists() {
            return Err(format!(
                "{sibling} is not built next to bench-load: \
                 run `cargo build --release -p benches --features peers --bins` (or `cargo xtask bench`)"
            ));
        }
    }
    let workloads = if args.layers {
        vec![plan::layer_workload(args.scale)]
    } else {
        plan::workloads(args.scale)
    };
    println!(
        "load bench: scale {} — {}",
        args.scale,
        workloads
            .iter()
            .map(|w| w.label.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );

    let lock = workspace_root().join("Cargo.lock");
    let locked = |name| machine::locked_version(&lock, name).unwrap_or_else(|| "?".to_owned());
    let mut context = Context {
        machine: machine::Machine::now(),
        scale: args.scale,
        rounds: args.rounds,
        versions: vec![
            (plan::BASELINE, format!("(reqwest {})", locked("reqwest"))),
            (plan::OURS, locked("foundry-client")),
            ("async-openai", locked("async-openai")),
        ],
        notices: Vec::new(),
        cpu: args.cpu,
    };
    // After the machine is read (`nproc` follows the pinning) and before anything slow, so a CPU
    // this machine does not have fails at once.
    if let Some(cpu) = args.cpu {
        machine::pin_to_cpu(cpu)?;
        println!("pinned to CPU {cpu}: the emulator and every client run there");
    }
    if args.layers {
        let emulator = start_emulator(&bin_dir)?;
        let outcomes = measure(
            &workloads,
            &plan::layer_clients(),
            &bin_dir,
            emulator.url(),
            args.rounds,
        )?;
        drop(emulator);
        let outcome = outcomes.first().ok_or("the layer run measured nothing")?;
        println!("\n{}", layers::render(&context.stamp(), outcome));
        return Ok(());
    }
    let python = match python::prepare(&args.venv)? {
        Some(python) => {
            context
                .versions
                .push(("openai-python", python.openai_version.clone()));
            Some(Program::Python {
                interpreter: python.interpreter,
                script: args.script.clone(),
            })
        }
        None => {
            let notice = "python3 was not found: the Python openai SDK was skipped.".to_owned();
            println!("NOTICE: {notice}");
            context.notices.push(notice);
            None
        }
    };
    let clients = plan::clients(python);

    let emulator = start_emulator(&bin_dir)?;
    let outcomes = measure(&workloads, &clients, &bin_dir, emulator.url(), args.rounds)?;
    drop(emulator);

    let section = report::render(&context, &outcomes);
    println!("\n{section}");
    if let Some(path) = &args.report {
        report::write_into(path, &section)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("written into {}", path.display());
    }
    Ok(())
}

/// Starts the emulator (on the pinned CPU, if any: it inherits the pinning).
fn start_emulator(bin_dir: &Path) -> Result<EmulatorProcess, String> {
    let emulator =
        EmulatorProcess::start(&bin_dir.join("bench-emulator"), Duration::from_secs(30))?;
    println!(
        "emulator: g2-core2, zero latency, at {} (PID {})",
        emulator.url(),
        emulator.pid()
    );
    Ok(emulator)
}

/// Every workload, `rounds` times per client, clients interleaved within a round.
fn measure(
    workloads: &[Workload],
    clients: &[Client],
    bin_dir: &Path,
    url: &str,
    rounds: usize,
) -> Result<Vec<Outcome>, String> {
    let mut outcomes = Vec::new();
    for workload in workloads {
        println!("\n{}", workload.label);
        let mut results: Vec<ClientResult> = clients
            .iter()
            .map(|client| ClientResult {
                name: client.name,
                runs: Vec::new(),
            })
            .collect();
        // Rounds interleave the clients, so a slow spell of the machine hits them all alike.
        for round in 1..=rounds {
            for (client, result) in clients.iter().zip(&mut results) {
                let figures =
                    process::run_client(command(client, workload, bin_dir, url), CLIENT_LIMIT)
                        .map_err(|e| format!("{} on {}: {e}", client.name, workload.label))?;
                println!(
                    "  round {round}  {:<15} {:>9.2} µs CPU per {}, {:>8.0}/s, p99 {:.2} ms",
                    client.name,
                    figures.cpu_per_unit_us(),
                    if figures.kind == "stream" {
                        "chunk"
                    } else {
                        "request"
                    },
                    figures.throughput(),
                    figures.p99_us as f64 / 1000.0
                );
                result.runs.push(figures);
            }
        }
        outcomes.push(Outcome {
            workload: workload.clone(),
            results,
        });
    }
    Ok(outcomes)
}

/// The command line of one client for one workload: the same flags for every client.
fn command(client: &Client, workload: &Workload, bin_dir: &Path, url: &str) -> Command {
    let mut command = match &client.program {
        Program::Sibling(name) => Command::new(bin_dir.join(name)),
        Program::Layer(variant) => {
            let mut command = Command::new(bin_dir.join("client-layers"));
            command.args(["--variant", variant]);
            command
        }
        Program::Python {
            interpreter,
            script,
        } => {
            let mut command = Command::new(interpreter);
            command.arg(script);
            command
        }
    };
    command
        .args(["--url", url])
        .args(["--kind", workload.kind.as_str()])
        .args(["--model", workload.model])
        .args(["--count", &workload.count.to_string()])
        .args(["--in-flight", &workload.in_flight.to_string()])
        .args(["--chunks", &workload.chunks.to_string()])
        .args(["--workload", &workload.label]);
    command
}
