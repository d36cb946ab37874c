//! The two real Foundry Local runtimes, from PyPI, each in a venv of its own, serving the tiny
//! models our generator writes (`xtask/runtimes/gen_models.py`) through our launcher
//! (`xtask/runtimes/launch.py`), which stands in for the model catalog they cannot reach offline.
//!
//! Venvs and models are cached under [`cache_root`], keyed by the runtime's version and the
//! install recipe (venv) or the generator's content (models): a later run starts in about a second.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::process::{ServerProcess, wait_until_ready};
use super::{cache_root, run_checked};

/// One Foundry Local runtime and how to install it.
pub struct Runtime {
    /// Its short name, as the launcher takes it: `core2` or `core1`.
    pub name: &'static str,
    /// The version of its PyPI SDK.
    pub version: &'static str,
    /// The `pip install` argument lists, in order.
    install: &'static [&'static [&'static str]],
}

/// The current C++ Core (oatpp web service).
pub const CORE2: Runtime = Runtime {
    name: "core2",
    version: "2.2.1",
    install: &[&["foundry-local-sdk==2.2.1", "onnx==1.23.2"]],
};

/// The v1 C# Core (Kestrel web service). The SDK's own Linux pins are the CUDA wheels; the CPU
/// wheels of the same generation go in first, then the SDK without its dependencies (so pip has no
/// unmet pins to complain about).
pub const CORE1: Runtime = Runtime {
    name: "core1",
    version: "1.2.4",
    install: &[
        &[
            "foundry-local-core==1.2.4",
            "onnxruntime==1.31.0",
            "onnxruntime-genai-core==0.18.0",
            "pydantic",
            "requests",
            "openai",
            "onnx==1.23.2",
        ],
        &["--no-deps", "foundry-local-sdk==1.2.4"],
    ],
};

/// A runtime ready to start: its venv's Python and a model cache for it alone (each runtime
/// rewrites the cache's `foundry.modelinfo.json` in its own schema).
pub struct Prepared {
    runtime: &'static Runtime,
    root: PathBuf,
    python: PathBuf,
    models: PathBuf,
}

fn runtimes_dir() -> PathBuf {
    crate::step::workspace_root().join("xtask/runtimes")
}

/// Creates the venv and the models where the cache lacks them.
pub fn prepare(runtime: &'static Runtime) -> Result<Prepared, String> {
    let root = cache_root().join(format!(
        "foundry-local-{}-{}",
        runtime.name, runtime.version
    ));
    let venv = root.join("venv");
    let python = venv.join("bin/python");
    // The marker holds the recipe: a changed recipe is a new venv, a half-made one is made again.
    let recipe = format!("{:?}", runtime.install);
    let marker = venv.join("installed-by-xtask");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(recipe.as_str()) {
        println!(
            "e2e: installing Foundry Local {} ({}) into a venv (once)",
            runtime.version, runtime.name
        );
        let _ = std::fs::remove_dir_all(&venv);
        run_checked(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "create a venv (python3 -m venv)",
        )?;
        for args in runtime.install {
            let what = format!("pip install {}", args.join(" "));
            run_checked(
                Command::new(&python)
                    .args(["-m", "pip", "install", "-q"])
                    .args(*args),
                &what,
            )?;
        }
        std::fs::write(&marker, &recipe)
            .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    }

    let generator = runtimes_dir().join("gen_models.py");
    let source = std::fs::read(&generator)
        .map_err(|e| format!("cannot read {}: {e}", generator.display()))?;
    let models = root.join(format!("models-{:016x}", fnv1a(&source)));
    if !models.join("models.json").exists() {
        remove_old_models(&root);
        let mut command = Command::new(&python);
        command.arg(&generator).arg(&models).stdout(Stdio::null());
        run_checked(&mut command, "generate the tiny models")?;
    }
    Ok(Prepared {
        runtime,
        root,
        python,
        models,
    })
}

/// Model caches of earlier generator versions.
fn remove_old_models(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("models-") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// FNV-1a: a content key that is the same on every machine and toolchain.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl Prepared {
    /// The launcher's command line without `--state`: a test that needs a runtime of its own (to
    /// kill it) starts one with it and a state directory of its own.
    pub fn launch_command(&self) -> Vec<String> {
        let launcher = runtimes_dir().join("launch.py");
        [self.python.as_path(), launcher.as_path()]
            .iter()
            .map(|p| p.display().to_string())
            .chain(["--runtime", self.runtime.name, "--models"].map(str::to_owned))
            .chain([self.models.display().to_string()])
            .collect()
    }

    /// [`launch_command`](Self::launch_command) as a JSON array, for an environment variable.
    pub fn launch_command_json(&self) -> String {
        let quoted: Vec<String> = self
            .launch_command()
            .iter()
            .map(|arg| format!("\"{}\"", arg.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        format!("[{}]", quoted.join(","))
    }

    /// Starts the runtime on a free loopback port, waits for its URL and a 200 on `/status`.
    pub fn start(&self, log: &Path) -> Result<ServerProcess, String> {
        let name = format!(
            "Foundry Local {} ({})",
            self.runtime.version, self.runtime.name
        );
        let state = self.root.join("state");
        let _ = std::fs::remove_dir_all(&state);
        let log_file =
            File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let launch = self.launch_command();
        let mut child = Command::new(&launch[0])
            .args(&launch[1..])
            .arg("--state")
            .arg(&state)
            .env("OTEL_SDK_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::from(
                log_file.try_clone().map_err(|e| e.to_string())?,
            ))
            .stderr(Stdio::from(log_file))
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let url = match announced_url(&mut child, log, Duration::from_secs(60)) {
            Ok(url) => url,
            Err(why) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{name} did not start: {why} (log: {})",
                    log.display()
                ));
            }
        };
        let mut server = ServerProcess::new(&name, url, child);
        wait_until_ready(&mut server, "/status", Duration::from_secs(30))?;
        Ok(server)
    }
}

/// The URL the launcher prints (`FOUNDRY_LOCAL_URL=...`) into its log.
fn announced_url(child: &mut Child, log: &Path, limit: Duration) -> Result<String, String> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(file) = File::open(log) {
            let found = BufReader::new(file)
                .lines()
                .map_while(Result::ok)
                .find_map(|line| line.strip_prefix("FOUNDRY_LOCAL_URL=").map(str::to_owned));
            if let Some(url) = found {
                return Ok(url);
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the launcher exited with {status}"));
        }
        thread::sleep(Duration::from_millis(50));
    }
    Err(format!("no URL within {} s", limit.as_secs()))
}
