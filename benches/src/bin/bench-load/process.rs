//! The processes of a run: the emulator (started once, stopped by PID with SIGTERM, also when the
//! run fails) and one client process per client and workload (stopped by PID if it overruns).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use benches::Figures;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Variables that would point a client elsewhere or add headers: each client gets the emulator's
/// URL on its command line and nothing from the environment.
const CLEARED_ENV: [&str; 9] = [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_ADMIN_KEY",
    "FOUNDRY_ENDPOINT",
    "FOUNDRY_LOCAL_ENDPOINT",
    "FOUNDRY_API_KEY",
    "FOUNDRY_LOG_LEVEL",
];

/// The emulator's process; dropping it stops the process.
pub struct EmulatorProcess {
    child: Child,
    url: String,
}

impl EmulatorProcess {
    /// Starts `program` and waits (up to `limit`) for the URL it prints on its first line.
    pub fn start(program: &Path, limit: Duration) -> Result<Self, String> {
        let mut child = Command::new(program)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let stdout = child.stdout.take();
        // From here on the guard owns the child, so every early return stops it.
        let mut process = Self {
            child,
            url: String::new(),
        };
        let stdout = stdout.ok_or("the emulator's stdout was not captured")?;
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            // The receiver may have given up waiting; then nobody needs the line.
            let _ = sender.send(read);
        });
        process.url = match receiver.recv_timeout(limit) {
            Ok(Ok(line)) if line.starts_with("http://127.0.0.1:") => line.trim().to_owned(),
            Ok(Ok(line)) => return Err(format!("the emulator printed {line:?}, not its URL")),
            Ok(Err(e)) => return Err(format!("reading the emulator's URL: {e}")),
            Err(_) => return Err(format!("the emulator printed no URL within {limit:?}")),
        };
        Ok(process)
    }

    /// The emulator's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The emulator's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        stop(&mut self.child, Duration::from_secs(5));
    }
}

/// SIGTERM, a grace period, then SIGKILL: always by the child's own PID.
fn stop(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    if let Some(pid) = pid_of(child) {
        // It may have exited in between; then there is nothing left to stop.
        let _ = kill(pid, Signal::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    // Past the grace period: `Child::kill` sends SIGKILL to this PID.
    let _ = child.kill();
    let _ = child.wait();
}

fn pid_of(child: &Child) -> Option<Pid> {
    i32::try_from(child.id()).ok().map(Pid::from_raw)
}

/// Runs one client to completion (at most `limit`) and reads its figures from the last line of
/// its stdout. Its stderr goes to ours, so its notices and errors are seen as they happen.
pub fn run_client(mut command: Command, limit: Duration) -> Result<Figures, String> {
    command
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    for key in CLEARED_ENV {
        command.env_remove(key);
    }
    let (status, output) = stdout_within(&mut command, limit)?;
    if !status.success() {
        return Err(format!("exited with {status}"));
    }
    let line = output.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| format!("its figures {line:?} do not parse: {e}"))
}

/// Runs a command to completion, at most `limit`, and returns its exit status and stdout (its
/// stderr is ours). Past the limit it is stopped by its PID and the run fails.
pub fn stdout_within(
    command: &mut Command,
    limit: Duration,
) -> Result<(ExitStatus, String), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let stdout = child.stdout.take().ok_or("stdout was not captured")?;
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut text = String::new();
        let read = BufReader::new(stdout).read_to_string(&mut text);
        // The receiver may have given up waiting; then nobody needs the text.
        let _ = sender.send(read.map(|_| text));
    });
    let output = match receiver.recv_timeout(limit) {
        Ok(read) => read.map_err(|e| format!("reading the output of {program}: {e}")),
        Err(_) => {
            stop(&mut child, Duration::from_secs(1));
            return Err(format!(
                "{program} did not finish within {limit:?} and was stopped"
            ));
        }
    };
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {program}: {e}"))?;
    Ok((status, output?))
}
