//! What the `foundry` command line prints about its service.
//!
//! The legacy CLI prints emoji-prefixed sentences (`🟢 Model management service is running on
//! http://127.0.0.1:55064/openai/status`); the current one prints JSON with `--output json`.

use serde::{Deserialize, Serialize};

use super::keys::from_json_any_case;
use crate::decode_error::DecodeError;
use crate::serde_util::null_as_default;

/// What `foundry service status` or `foundry service start` (legacy CLI) printed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CliServiceStatus {
    /// Whether the service runs.
    pub running: bool,
    /// Its base URL (`/openai/status` and the trailing `/` removed), when printed.
    pub endpoint: Option<String>,
    /// Its process id, when printed (`foundry service start`).
    pub pid: Option<u32>,
}

/// Reads the text of `foundry service status` or `foundry service start`.
pub fn parse_service_status_text(text: &str) -> CliServiceStatus {
    let endpoint = find_url(text);
    let lower = text.to_lowercase();
    let not_running = lower.contains("not running") || lower.contains("is stopped");
    CliServiceStatus {
        running: endpoint.is_some() && !not_running,
        endpoint,
        pid: find_pid(text),
    }
}

/// The first `http://` or `https://` URL, cut at whitespace or trailing punctuation, with the
/// status path and trailing slash removed.
fn find_url(text: &str) -> Option<String> {
    let start = text.find("http://").or_else(|| text.find("https://"))?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ',' || c == '!' || c == '"')
        .unwrap_or(rest.len());
    let url = rest[..end].trim_end_matches('.');
    let url = url.strip_suffix("/openai/status").unwrap_or(url);
    Some(url.trim_end_matches('/').to_owned())
}

fn find_pid(text: &str) -> Option<u32> {
    let at = text.find("PID")?;
    let digits: String = text[at + 3..]
        .trim_start_matches([' ', ':'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// What `foundry server status --output json` (current CLI) printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CliServerStatus {
    /// Whether the server runs.
    #[serde(default)]
    pub running: bool,
    /// `ready`, `not_running`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The server's process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The URLs it listens on.
    #[serde(default, deserialize_with = "null_as_default")]
    pub web_urls: Vec<String>,
    /// When it started (as printed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Its log file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_file: Option<String>,
}

impl CliServerStatus {
    /// Reads the JSON printed by `foundry server status --output json` (or `server start`).
    pub fn from_json(text: &str) -> Result<Self, DecodeError> {
        from_json_any_case("foundry server status", text.trim().as_bytes())
    }

    /// The first URL without its trailing `/`, when the server runs.
    pub fn endpoint(&self) -> Option<String> {
        self.web_urls
            .first()
            .filter(|_| self.running)
            .map(|url| url.trim_end_matches('/').to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_and_pid_are_found_in_any_sentence() {
        let status = parse_service_status_text(
            "🟢 Service is Started on http://127.0.0.1:64646/, PID 17000!",
        );
        assert_eq!(status.endpoint.as_deref(), Some("http://127.0.0.1:64646"));
        assert_eq!(status.pid, Some(17000));
        assert!(status.running);
    }

    #[test]
    fn text_without_url_is_not_running() {
        let status = parse_service_status_text("something unexpected");
        assert!(!status.running);
        assert_eq!(status.endpoint, None);
        assert_eq!(parse_service_status_text("").pid, None);
        assert_eq!(parse_service_status_text("PID").pid, None);
    }
}
