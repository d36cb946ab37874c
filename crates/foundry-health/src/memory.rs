//! Memory figures and where each came from.
//!
//! Two kinds of figure exist, and they mean different things: the resident memory of the
//! server's process (measured, read from the OS) and the sizes of the loaded models' files
//! (reported by the server or the catalog, a lower bound of what a model occupies once loaded).
//! Every figure carries its [`MemorySource`] so a dashboard never shows one as the other.

use std::collections::HashMap;
use std::sync::Arc;

use foundry_protocol::ModelInfo;
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// Bytes in one of the catalog's megabytes. `fileSizeMb` is not specified further; binary
/// megabytes are assumed.
const CATALOG_MEGABYTE: u64 = 1024 * 1024;

/// One memory figure and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryFigure {
    /// The amount, in bytes.
    pub bytes: u64,
    /// Where it came from.
    pub source: MemorySource,
}

/// Where a [`MemoryFigure`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemorySource {
    /// The resident set size of the server's process on this machine, read from the OS.
    ProcessRss {
        /// The process id.
        pid: u32,
    },
    /// The sum of the loaded models' sizes as the server reports them (llama.cpp's
    /// `/v1/models` `meta.size`).
    ServerModelSize {
        /// The models counted.
        models: Vec<String>,
    },
    /// The sum of the loaded models' `fileSizeMb` from the catalog the caller supplied.
    CatalogFileSize {
        /// The models counted; loaded models the catalog has no size for are left out.
        models: Vec<String>,
    },
}

/// What a probe knows about reading memory: whether the server's process is ours to read, a
/// process id from elsewhere (the CLI), and the catalog's model sizes.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemorySources {
    /// A process id reported by the server may be read (the server runs on this machine).
    pub(crate) local: bool,
    /// A process id the caller knows (always read: the caller vouches for it).
    pub(crate) pid: Option<u32>,
    /// Model id or alias (lower case) to file size in MB.
    pub(crate) catalog: Arc<HashMap<String, u64>>,
}

impl MemorySources {
    /// Remembers the catalog's sizes by id and by bare id (without `:version`).
    pub(crate) fn set_catalog(&mut self, models: impl IntoIterator<Item = ModelInfo>) {
        let mut sizes = HashMap::new();
        for model in models {
            let Some(size) = model.file_size_mb else {
                continue;
            };
            let id = model.model_id().to_ascii_lowercase();
            if let Some((bare, _)) = id.split_once(':') {
                sizes.entry(bare.to_owned()).or_insert(size);
            }
            sizes.insert(id, size);
        }
        self.catalog = Arc::new(sizes);
    }

    /// The figures for a probe: the process's resident memory when it can be read, else the
    /// loaded models' sizes as the server reports them, else as the catalog lists them.
    pub(crate) fn figures(
        &self,
        server_pid: Option<u32>,
        loaded: Option<&[String]>,
        server_sizes: &[(String, u64)],
    ) -> Vec<MemoryFigure> {
        let pid = self.pid.or(server_pid.filter(|_| self.local));
        if let Some(pid) = pid
            && let Some(bytes) = resident_bytes(pid)
        {
            return vec![MemoryFigure {
                bytes,
                source: MemorySource::ProcessRss { pid },
            }];
        }
        if !server_sizes.is_empty() {
            return vec![MemoryFigure {
                bytes: server_sizes.iter().map(|(_, size)| size).sum(),
                source: MemorySource::ServerModelSize {
                    models: server_sizes.iter().map(|(id, _)| id.clone()).collect(),
                },
            }];
        }
        self.catalog_figure(loaded.unwrap_or_default())
            .into_iter()
            .collect()
    }

    fn catalog_figure(&self, loaded: &[String]) -> Option<MemoryFigure> {
        let mut models = Vec::new();
        let mut megabytes = 0;
        for id in loaded {
            if let Some(size) = self.catalog.get(&id.to_ascii_lowercase()) {
                megabytes += size;
                models.push(id.clone());
            }
        }
        (!models.is_empty()).then(|| MemoryFigure {
            bytes: megabytes * CATALOG_MEGABYTE,
            source: MemorySource::CatalogFileSize { models },
        })
    }
}

/// The resident memory of process `pid`, if it exists and the OS lets us read it.
fn resident_bytes(pid: u32) -> Option<u64> {
    let pid = Pid::from_u32(pid);
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        false,
        ProcessRefreshKind::nothing().with_memory(),
    );
    system
        .process(pid)
        .map(sysinfo::Process::memory)
        .filter(|&bytes| bytes > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_is_readable_and_labelled() {
        let sources = MemorySources {
            pid: Some(std::process::id()),
            ..MemorySources::default()
        };
        let figures = sources.figures(None, None, &[]);
        assert_eq!(figures.len(), 1);
        assert!(figures[0].bytes > 0);
        assert_eq!(
            figures[0].source,
            MemorySource::ProcessRss {
                pid: std::process::id()
            }
        );
    }

    #[test]
    fn a_server_pid_is_read_only_for_a_local_server() {
        let remote = MemorySources::default();
        assert!(
            remote
                .figures(Some(std::process::id()), None, &[])
                .is_empty()
        );
    }

    #[test]
    fn catalog_sizes_count_only_models_with_a_size() {
        let mut sources = MemorySources::default();
        let mut model = ModelInfo::default();
        model.id = Some("Phi-4-mini-instruct-generic-cpu:4".to_owned());
        model.file_size_mb = Some(4980);
        sources.set_catalog([model]);
        let loaded = [
            "Phi-4-mini-instruct-generic-cpu:4".to_owned(),
            "unknown:1".to_owned(),
        ];
        let figures = sources.figures(None, Some(&loaded), &[]);
        assert_eq!(figures[0].bytes, 4980 * CATALOG_MEGABYTE);
        assert_eq!(
            figures[0].source,
            MemorySource::CatalogFileSize {
                models: vec!["Phi-4-mini-instruct-generic-cpu:4".to_owned()]
            }
        );
    }
}
