//! The legacy service's `POST /openai/download`: its request body and its progress stream.
//!
//! The answer is text, not SSE: progress lines (`Total 45.67% Downloading model.onnx` as the
//! SDKs see it, or `("model.onnx", 0.5)` as the docs show it), maybe a `[DONE] All Completed!`
//! line, then a JSON result object in camelCase or PascalCase. A 200 whose result says
//! `success: false` is a failed download.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalog::ModelInfo;
use super::keys::from_json_any_case;
use crate::decode_error::DecodeError;

/// The longest progress line or result object accepted (a hostile server must not make the parser
/// buffer without bound).
pub const MAX_DOWNLOAD_LINE: usize = 64 * 1024;

/// The body of `POST /openai/download`, as the official SDKs send it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DownloadRequest {
    /// The model to download.
    pub model: DownloadModel,
    /// An access token (none for the public catalog).
    pub token: Option<String>,
    /// Do not report progress through the named pipe.
    #[serde(rename = "IgnorePipeReport")]
    pub ignore_pipe_report: bool,
}

/// The model part of a [`DownloadRequest`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DownloadModel {
    /// The variant id, with its version suffix.
    pub name: String,
    /// The model URI.
    pub uri: String,
    /// The publisher.
    pub publisher: String,
    /// `AzureFoundryLocal` for catalog models.
    pub provider_type: String,
    /// The prompt template, as the catalog gave it.
    pub prompt_template: Option<Value>,
}

impl DownloadRequest {
    /// The request for a catalog entry. The SDKs append `Local` to the `AzureFoundry` provider.
    pub fn for_model(model: &ModelInfo) -> Self {
        let provider = model
            .provider_type
            .clone()
            .unwrap_or_else(|| "AzureFoundry".to_owned());
        let provider_type = if provider == "AzureFoundry" {
            format!("{provider}Local")
        } else {
            provider
        };
        Self {
            model: DownloadModel {
                name: model.model_id().to_owned(),
                uri: model.uri.clone().unwrap_or_default(),
                publisher: model.publisher.clone().unwrap_or_default(),
                provider_type,
                prompt_template: model
                    .prompt_template
                    .as_ref()
                    .and_then(|template| serde_json::to_value(template).ok()),
            },
            token: None,
            ignore_pipe_report: true,
        }
    }
}

/// Progress of a download.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DownloadProgress {
    /// Percent done, 0 to 100.
    pub percent: f64,
    /// The file being downloaded, when the server names it.
    pub file: Option<String>,
}

/// The final result object of a download.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DownloadResult {
    /// Whether the download succeeded.
    #[serde(default)]
    pub success: bool,
    /// Why it failed.
    #[serde(default)]
    pub error_message: Option<String>,
}

/// One thing the progress stream said.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DownloadEvent {
    /// Progress was made.
    Progress(DownloadProgress),
    /// The final result arrived (check [`DownloadResult::success`]).
    Finished(DownloadResult),
}

/// Why a progress stream could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadParseError {
    /// A line or the result object exceeded [`MAX_DOWNLOAD_LINE`].
    #[error("download progress line longer than {limit} bytes")]
    LineTooLong {
        /// The bound, in bytes.
        limit: usize,
    },
    /// The stream ended without a result object.
    #[error("the download stream ended without a result")]
    MissingResult,
    /// The result object was not valid JSON of the expected shape.
    #[error("invalid download result")]
    InvalidResult(#[source] DecodeError),
}

/// Parses the progress stream incrementally: feed it bytes as they arrive, then call `finish`.
#[derive(Debug, Default)]
pub struct DownloadProgressParser {
    line: Vec<u8>,
    result: Vec<u8>,
    in_result: bool,
    finished: bool,
}

impl DownloadProgressParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes; returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<DownloadEvent>, DownloadParseError> {
        let mut events = Vec::new();
        for &byte in bytes {
            if byte == b'\n' || byte == b'\r' {
                let line = std::mem::take(&mut self.line);
                if let Some(event) = self.take_line(&line)? {
                    events.push(event);
                }
            } else {
                self.line.push(byte);
                if self.line.len() + self.result.len() > MAX_DOWNLOAD_LINE {
                    return Err(DownloadParseError::LineTooLong {
                        limit: MAX_DOWNLOAD_LINE,
                    });
                }
            }
        }
        Ok(events)
    }

    /// Ends the stream: the result object must have arrived (possibly without a final newline).
    pub fn finish(&mut self) -> Result<Option<DownloadEvent>, DownloadParseError> {
        let line = std::mem::take(&mut self.line);
        let last = self.take_line(&line)?;
        if self.finished {
            return Ok(last);
        }
        if self.in_result {
            return self.parse_result().map(Some);
        }
        Err(DownloadParseError::MissingResult)
    }

    fn take_line(&mut self, line: &[u8]) -> Result<Option<DownloadEvent>, DownloadParseError> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        if text.is_empty() || self.finished {
            return Ok(None);
        }
        if self.in_result || text.starts_with('{') {
            // The result object may span lines: gather until it parses.
            self.in_result = true;
            self.result.extend_from_slice(text.as_bytes());
            self.result.push(b'\n');
            if serde_json::from_slice::<Value>(&self.result).is_ok() {
                return self.parse_result().map(Some);
            }
            return Ok(None);
        }
        Ok(parse_progress_line(text).map(DownloadEvent::Progress))
    }

    fn parse_result(&mut self) -> Result<DownloadEvent, DownloadParseError> {
        self.finished = true;
        let result = from_json_any_case::<DownloadResult>("download result", &self.result)
            .map_err(DownloadParseError::InvalidResult)?;
        Ok(DownloadEvent::Finished(result))
    }
}

/// Reads one progress line; `[DONE]` markers and unknown lines give `None`.
pub fn parse_progress_line(line: &str) -> Option<DownloadProgress> {
    let line = line.trim();
    if let Some(tuple) = line
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
    {
        let (file, fraction) = tuple.rsplit_once(',')?;
        let fraction: f64 = fraction.trim().parse().ok()?;
        let file = file.trim().trim_matches(|c| c == '"' || c == '\'');
        return Some(DownloadProgress {
            percent: clamp_percent(fraction * 100.0)?,
            file: (!file.is_empty()).then(|| file.to_owned()),
        });
    }
    let percent_at = line.find('%')?;
    let number_start = line[..percent_at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
        .last()
        .map_or(percent_at, |(i, _)| i);
    let percent: f64 = line[number_start..percent_at].parse().ok()?;
    let file = line[percent_at + 1..]
        .trim()
        .strip_prefix("Downloading")
        .map(str::trim);
    Some(DownloadProgress {
        percent: clamp_percent(percent)?,
        file: file.filter(|f| !f.is_empty()).map(str::to_owned),
    })
}

fn clamp_percent(percent: f64) -> Option<f64> {
    percent.is_finite().then(|| percent.clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_line_forms() {
        let sdk = parse_progress_line("Total 45.67% Downloading model.onnx.data").unwrap();
        assert_eq!(
            (sdk.percent, sdk.file.as_deref()),
            (45.67, Some("model.onnx.data"))
        );
        let docs = parse_progress_line(r#"("genai_config.json", 0.01)"#).unwrap();
        assert_eq!(
            (docs.percent, docs.file.as_deref()),
            (1.0, Some("genai_config.json"))
        );
        assert_eq!(parse_progress_line(r#"("", 1)"#).unwrap().file, None);
        assert_eq!(parse_progress_line("[DONE] All Completed!"), None);
        assert_eq!(parse_progress_line("Total NaN% x"), None);
    }

    #[test]
    fn a_result_split_across_feeds_and_lines_is_read() {
        let mut parser = DownloadProgressParser::new();
        assert!(
            parser
                .feed(b"Total 10.00% Downloading a\n{\"Succ")
                .unwrap()
                .len()
                == 1
        );
        assert!(parser.feed(b"ess\":\n true}").unwrap().is_empty());
        let last = parser.finish().unwrap();
        assert!(matches!(
            last,
            Some(DownloadEvent::Finished(DownloadResult {
                success: true,
                ..
            }))
        ));
    }

    #[test]
    fn a_stream_without_result_is_an_error() {
        let mut parser = DownloadProgressParser::new();
        parser.feed(b"Total 10.00% Downloading a\n").unwrap();
        assert!(matches!(
            parser.finish(),
            Err(DownloadParseError::MissingResult)
        ));
    }

    #[test]
    fn an_endless_line_is_bounded() {
        let mut parser = DownloadProgressParser::new();
        let err = parser.feed(&vec![b'x'; MAX_DOWNLOAD_LINE + 1]).unwrap_err();
        assert!(matches!(err, DownloadParseError::LineTooLong { .. }));
    }
}
