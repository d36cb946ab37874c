//! A named command with a timeout: the unit every xtask command is made of.

use std::fmt;
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

/// One named step: a program, its arguments, extra environment, and how long it may run.
pub struct Step {
    name: String,
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    env_removed: Vec<String>,
    timeout: Duration,
}

/// Why a step did not succeed.
#[derive(Debug)]
pub enum StepFailure {
    /// The program could not be started at all.
    Spawn { step: String, error: std::io::Error },
    /// The program ran and exited unsuccessfully.
    Exit { step: String, code: Option<i32> },
    /// The program ran past its timeout and was killed.
    Timeout { step: String, limit: Duration },
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spawn { step, error } => write!(f, "step `{step}` could not start: {error}"),
            Self::Exit {
                step,
                code: Some(code),
            } => write!(f, "step `{step}` exited with code {code}"),
            Self::Exit { step, code: None } => write!(f, "step `{step}` was killed by a signal"),
            Self::Timeout { step, limit } => {
                write!(
                    f,
                    "step `{step}` did not finish within {} s and was stopped",
                    limit.as_secs()
                )
            }
        }
    }
}

impl Step {
    /// The step's name, as failures report it.
    #[cfg(test)]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments the program is started with.
    #[cfg(test)]
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// A `cargo` invocation, using the same cargo that runs the xtask.
    pub fn cargo(name: &str, timeout: Duration, args: &[&str]) -> Self {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        Self {
            name: name.to_owned(),
            program: cargo,
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            env: Vec::new(),
            env_removed: Vec::new(),
            timeout,
        }
    }

    /// Adds an environment variable for this step only.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Removes an environment variable for this step only.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.env_removed.push(key.to_owned());
        self
    }

    fn run(&self) -> Result<(), StepFailure> {
        println!(
            "\n==> {} ({} {})",
            self.name,
            self.program,
            self.args.join(" ")
        );
        let started = Instant::now();
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir(workspace_root());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        for key in &self.env_removed {
            command.env_remove(key);
        }
        // Its own process group, so a timeout stops cargo and everything it started (rustc,
        // test binaries), not cargo alone.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().map_err(|error| StepFailure::Spawn {
            step: self.name.clone(),
            error,
        })?;
        let outcome = wait_with_timeout(child, self.timeout);
        let elapsed = started.elapsed().as_secs_f64();
        match outcome {
            Some(Ok(status)) if status.success() => {
                println!("==> {}: ok in {elapsed:.1} s", self.name);
                Ok(())
            }
            Some(Ok(status)) => Err(StepFailure::Exit {
                step: self.name.clone(),
                code: status.code(),
            }),
            Some(Err(error)) => Err(StepFailure::Spawn {
                step: self.name.clone(),
                error,
            }),
            None => Err(StepFailure::Timeout {
                step: self.name.clone(),
                limit: self.timeout,
            }),
        }
    }
}

/// Runs the steps in order and stops at the first failure.
pub fn run_all(steps: &[Step]) -> Result<(), StepFailure> {
    steps.iter().try_for_each(Step::run)
}

/// Polls the child until it exits or the limit passes; on timeout it is killed and `None` returned.
fn wait_with_timeout(
    mut child: Child,
    limit: Duration,
) -> Option<std::io::Result<std::process::ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(Ok(status)),
            Ok(None) if Instant::now() >= deadline => {
                // Best effort: the step already failed; a kill error changes nothing for the caller.
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(format!("-{}", child.id()))
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(error) => return Some(Err(error)),
        }
    }
}

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> std::path::PathBuf {
    let manifest_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
