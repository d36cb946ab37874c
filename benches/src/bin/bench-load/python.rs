//! The Python peer's environment: a venv under `target/` with the `openai` SDK installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::stdout_within;

/// A ready interpreter and the SDK's version.
pub struct Python {
    pub interpreter: PathBuf,
    pub openai_version: String,
}

/// Creates the venv if needed and installs `openai` into it if it is missing. `Ok(None)` only
/// when there is no `python3` at all; any other failure is an error, not a skip.
pub fn prepare(venv: &Path) -> Result<Option<Python>, String> {
    let found = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .status();
    if found.is_err() {
        return Ok(None);
    }
    let interpreter = venv.join("bin").join("python");
    if !interpreter.exists() {
        println!("creating a Python venv in {}", venv.display());
        run(
            Command::new("python3").arg("-m").arg("venv").arg(venv),
            Duration::from_secs(120),
        )?;
    }
    let importable = Command::new(&interpreter)
        .args(["-c", "import openai"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !importable {
        println!("installing the openai SDK into {}", venv.display());
        run(
            Command::new(&interpreter).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "openai",
            ]),
            Duration::from_secs(600),
        )?;
    }
    let openai_version = openai_version(&interpreter)?;
    Ok(Some(Python {
        interpreter,
        openai_version,
    }))
}

fn openai_version(interpreter: &Path) -> Result<String, String> {
    let (status, out) = stdout_within(
        Command::new(interpreter).args(["-c", "import openai; print(openai.__version__)"]),
        Duration::from_secs(60),
    )?;
    if status.success() {
        Ok(out.trim().to_owned())
    } else {
        Err(format!("the openai SDK does not import ({status})"))
    }
}

fn run(command: &mut Command, limit: Duration) -> Result<(), String> {
    let (status, _) = stdout_within(command, limit)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} exited with {status}"))
    }
}
