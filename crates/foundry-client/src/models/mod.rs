//! Model management: catalog, cached and loaded lists, load, unload, download, readiness.

mod directory;
mod download;
mod manage;
mod resolve;

pub(crate) use directory::ModelDirectory;
pub use download::DownloadStream;
pub use manage::ReadyModel;
