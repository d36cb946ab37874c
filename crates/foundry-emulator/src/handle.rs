//! Starting an emulator and controlling it while it runs.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use crate::config::{Dialect, EmulatorConfig};
use crate::error::StartError;
use crate::faults::FaultControl;
use crate::server::serve;
use crate::shared::{Shared, SharedInit};
use crate::state::ModelState;
use crate::stats::StatsSnapshot;

/// Starts emulators.
#[derive(Debug, Clone, Copy)]
pub struct Emulator;

impl Emulator {
    /// Binds the configured address and serves on the current tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), foundry_emulator::StartError> {
    /// use foundry_emulator::{Dialect, Emulator, EmulatorConfig};
    ///
    /// let emulator = Emulator::start(EmulatorConfig::new(Dialect::Core2)).await?;
    /// assert!(emulator.url().starts_with("http://127.0.0.1:"));
    /// emulator.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, StartError> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        let (addr, shared) = prepare(&listener, config)?;
        let (stop, stopped) = oneshot::channel();
        let (done_tx, done) = oneshot::channel();
        let serving = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            serve(listener, serving, stopped).await;
            let _ = done_tx.send(());
        });
        Ok(EmulatorHandle::new(
            addr,
            shared,
            stop,
            done,
            Some(task.abort_handle()),
        ))
    }

    /// Serves on a thread of its own with a single-threaded runtime, so the emulator neither
    /// shares nor needs the caller's runtime (benchmarks keep it off the client's cores).
    pub fn start_on_thread(config: EmulatorConfig) -> Result<EmulatorHandle, StartError> {
        let bind_error = |source| StartError::Bind {
            addr: config.bind,
            source,
        };
        let std_listener = std::net::TcpListener::bind(config.bind).map_err(bind_error)?;
        std_listener.set_nonblocking(true).map_err(bind_error)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(StartError::Thread)?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(std_listener).map_err(bind_error)?
        };
        let (addr, shared) = prepare(&listener, config)?;
        let (stop, stopped) = oneshot::channel();
        let (done_tx, done) = oneshot::channel();
        let serving = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("foundry-emulator".to_owned())
            .spawn(move || {
                runtime.block_on(serve(listener, serving, stopped));
                let _ = done_tx.send(());
            })
            .map_err(StartError::Thread)?;
        Ok(EmulatorHandle::new(addr, shared, stop, done, None))
    }
}

fn prepare(
    listener: &TcpListener,
    config: EmulatorConfig,
) -> Result<(SocketAddr, Arc<Shared>), StartError> {
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.bind,
        source,
    })?;
    let state = ModelState::new(&config.catalog, config.cached.as_deref(), &config.loaded)?;
    let faults =
        FaultControl::new(config.faults, config.seed).map_err(StartError::InvalidFaults)?;
    let shared = Arc::new(Shared::new(SharedInit {
        dialect: config.dialect,
        quirks: config.quirks,
        ttft: config.ttft,
        token_delay: config.token_delay,
        seed: config.seed,
        catalog: config.catalog,
        faults,
        url: format!("http://{addr}"),
        model_dir: config.model_dir,
        download_step: config.download_step,
        download_failure: config.download_failure,
        state,
    }));
    Ok((addr, shared))
}

/// A running emulator. Dropping it stops the server and drops its connections.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<()>>,
    task: Option<AbortHandle>,
}

impl EmulatorHandle {
    fn new(
        addr: SocketAddr,
        shared: Arc<Shared>,
        stop: oneshot::Sender<()>,
        done: oneshot::Receiver<()>,
        task: Option<AbortHandle>,
    ) -> Self {
        Self {
            addr,
            shared,
            stop: Some(stop),
            done: Some(done),
            task,
        }
    }

    /// The base URL, without a trailing slash (`http://127.0.0.1:41371`).
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The dialect it speaks.
    pub fn dialect(&self) -> Dialect {
        self.shared.dialect
    }

    /// Changes the injected faults while the emulator runs.
    pub fn faults(&self) -> FaultControl {
        self.shared.faults.clone()
    }

    /// Requests per route and faults per kind, so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }

    /// Sets every counter back to zero.
    pub fn reset_stats(&self) {
        self.shared.stats.reset();
    }

    /// Makes later legacy downloads fail with this message (`None`: they succeed).
    pub fn set_download_failure(&self, message: Option<String>) {
        self.shared.set_download_failure(message);
    }

    /// Ids of the downloaded models, in catalog order.
    pub fn cached_models(&self) -> Vec<String> {
        let cached = self.shared.state().cached_models();
        self.ids(cached)
    }

    /// Ids of the loaded models, oldest load first (TTLs applied).
    pub fn loaded_models(&self) -> Vec<String> {
        let loaded = self
            .shared
            .state()
            .loaded_models(tokio::time::Instant::now());
        self.ids(loaded)
    }

    fn ids(&self, indexes: Vec<usize>) -> Vec<String> {
        indexes
            .into_iter()
            .map(|i| self.shared.catalog.entry(i).id().to_owned())
            .collect()
    }

    /// Stops accepting, drops every connection, and waits until the server has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
