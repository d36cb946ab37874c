//! Foundry Local's management payloads, both API generations, and its CLI output.

mod catalog;
mod cli;
mod download;
mod keys;
mod lists;
mod status;

pub use catalog::{ModelInfo, PromptTemplate, Runtime, parse_catalog};
pub use cli::{CliServerStatus, CliServiceStatus, parse_service_status_text};
pub use download::{
    DownloadEvent, DownloadModel, DownloadParseError, DownloadProgress, DownloadProgressParser,
    DownloadRequest, DownloadResult, MAX_DOWNLOAD_LINE, parse_progress_line,
};
pub use lists::{LoadOutcome, parse_model_ids};
pub use status::{CoreFlavour, ServiceStatus};
