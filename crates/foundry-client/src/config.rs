//! Configuration, from code or from `FOUNDRY_*` environment variables.

use std::fmt;
use std::time::Duration;

use crate::error::Error;

/// The model used when none is configured.
pub const DEFAULT_MODEL: &str = "phi-4-mini";
/// The default time allowed for a server to start answering, in seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default number of retries.
pub const DEFAULT_RETRIES: u32 = 3;
/// The default log filter.
pub const DEFAULT_LOG_LEVEL: &str = "info";

/// What the client needs to know about its server and its habits.
///
/// [`Config::from_env`] reads:
///
/// | variable | meaning | default |
/// |---|---|---|
/// | `FOUNDRY_ENDPOINT` (else `FOUNDRY_LOCAL_ENDPOINT`) | base URL of the server | none: discover it |
/// | `FOUNDRY_API_KEY` (else `OPENAI_API_KEY`) | bearer token | none |
/// | `FOUNDRY_MODEL` | default model (alias or id) | `phi-4-mini` |
/// | `FOUNDRY_TIMEOUT` | seconds until a server must start answering, and the longest silence inside a stream | 30 |
/// | `FOUNDRY_RETRIES` | retries of a failed attempt | 3 |
/// | `FOUNDRY_LOG_LEVEL` | a `tracing` filter for programs that log | `info` |
///
/// An empty variable counts as unset. An invalid value is an error naming the variable, never a
/// silent default.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The server's base URL (`http://127.0.0.1:5272`), if known.
    pub endpoint: Option<String>,
    /// The API key sent as `Authorization: Bearer`, if any. Never printed.
    pub api_key: Option<String>,
    /// The model used when a request names none.
    pub model: String,
    /// Time allowed until the server starts answering, and the longest silence in a stream.
    pub timeout: Duration,
    /// Retries of a failed attempt.
    pub retries: u32,
    /// The log filter programs should install.
    pub log_level: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            endpoint: None,
            api_key: None,
            model: DEFAULT_MODEL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            log_level: DEFAULT_LOG_LEVEL.to_owned(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("endpoint", &self.endpoint)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("log_level", &self.log_level)
            .finish()
    }
}

impl Config {
    /// Reads the `FOUNDRY_*` variables of this process.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup` (tests pass a map instead of the environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let endpoint = match get("FOUNDRY_ENDPOINT").map(|v| ("FOUNDRY_ENDPOINT", v)) {
            Some(found) => Some(found),
            None => get("FOUNDRY_LOCAL_ENDPOINT").map(|v| ("FOUNDRY_LOCAL_ENDPOINT", v)),
        };
        let endpoint = endpoint
            .map(|(name, value)| validate_endpoint(name, &value))
            .transpose()?;
        let timeout = match get("FOUNDRY_TIMEOUT") {
            None => DEFAULT_TIMEOUT,
            Some(text) => parse_seconds(&text).ok_or_else(|| {
                Error::config(
                    "FOUNDRY_TIMEOUT",
                    format!("{text:?} is not a positive number of seconds"),
                )
            })?,
        };
        let retries = match get("FOUNDRY_RETRIES") {
            None => DEFAULT_RETRIES,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 100)
                .ok_or_else(|| {
                    Error::config(
                        "FOUNDRY_RETRIES",
                        format!("{text:?} is not a whole number from 0 to 100"),
                    )
                })?,
        };
        let log_level = match get("FOUNDRY_LOG_LEVEL") {
            None => DEFAULT_LOG_LEVEL.to_owned(),
            Some(filter) => {
                validate_log_filter(&filter)
                    .map_err(|why| Error::config("FOUNDRY_LOG_LEVEL", why))?;
                filter
            }
        };
        Ok(Self {
            endpoint,
            api_key: get("FOUNDRY_API_KEY").or_else(|| get("OPENAI_API_KEY")),
            model: get("FOUNDRY_MODEL").unwrap_or_else(|| DEFAULT_MODEL.to_owned()),
            timeout,
            retries,
            log_level,
        })
    }
}

/// An endpoint must be an `http` or `https` URL with a host; a trailing `/` is dropped.
pub(crate) fn validate_endpoint(variable: &'static str, value: &str) -> Result<String, Error> {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !rest.contains(char::is_whitespace) =>
        {
            Ok(value.trim_end_matches('/').to_owned())
        }
        _ => Err(Error::config(
            variable,
            format!("{value:?} is not an http:// or https:// URL with a host"),
        )),
    }
}

fn parse_seconds(text: &str) -> Option<Duration> {
    let seconds: f64 = text.parse().ok()?;
    (seconds.is_finite() && seconds > 0.0)
        .then(|| Duration::try_from_secs_f64(seconds).ok())
        .flatten()
}

/// Checks a `tracing` filter: comma-separated `level` or `target=level`. A bare word must be a
/// level: `FOUNDRY_LOG_LEVEL=loud` is a mistake, not a target named "loud".
fn validate_log_filter(filter: &str) -> Result<(), String> {
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = match directive.rsplit_once('=') {
            Some((target, level)) if !target.is_empty() => level,
            Some(_) => return Err(format!("{directive:?} has no target before `=`")),
            None => directive,
        };
        if !LEVELS.iter().any(|known| known.eq_ignore_ascii_case(level)) {
            return Err(format!("{level:?} is not one of {}", LEVELS.join(", ")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, Error> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        assert_eq!(config(&[]).unwrap(), Config::default());
    }

    #[test]
    fn primary_variables_win_and_empty_counts_as_unset() {
        let c = config(&[
            ("FOUNDRY_ENDPOINT", "http://127.0.0.1:5272/"),
            ("FOUNDRY_LOCAL_ENDPOINT", "http://127.0.0.1:1"),
            ("FOUNDRY_API_KEY", ""),
            ("OPENAI_API_KEY", "sk-fallback"),
            ("FOUNDRY_MODEL", "qwen2.5-0.5b"),
            ("FOUNDRY_TIMEOUT", "2.5"),
            ("FOUNDRY_RETRIES", "0"),
            ("FOUNDRY_LOG_LEVEL", "foundry_client=debug,warn"),
        ])
        .unwrap();
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:5272"));
        assert_eq!(c.api_key.as_deref(), Some("sk-fallback"));
        assert_eq!(
            (c.model.as_str(), c.timeout, c.retries),
            ("qwen2.5-0.5b", Duration::from_millis(2500), 0)
        );
        let local = config(&[
            ("FOUNDRY_ENDPOINT", " "),
            ("FOUNDRY_LOCAL_ENDPOINT", "http://h:1"),
        ])
        .unwrap();
        assert_eq!(local.endpoint.as_deref(), Some("http://h:1"));
    }

    #[test]
    fn invalid_values_name_their_variable() {
        for (name, value) in [
            ("FOUNDRY_ENDPOINT", "localhost:5272"),
            ("FOUNDRY_LOCAL_ENDPOINT", "ftp://x"),
            ("FOUNDRY_TIMEOUT", "-1"),
            ("FOUNDRY_TIMEOUT", "soon"),
            ("FOUNDRY_RETRIES", "three"),
            ("FOUNDRY_RETRIES", "1000"),
            ("FOUNDRY_LOG_LEVEL", "loud"),
            ("FOUNDRY_LOG_LEVEL", "=info"),
        ] {
            let error = config(&[(name, value)]).unwrap_err();
            assert!(error.to_string().contains(name), "{name}={value}: {error}");
            assert!(error.is_config());
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let c = config(&[("FOUNDRY_API_KEY", "sk-very-secret")]).unwrap();
        assert!(!format!("{c:?}").contains("sk-very-secret"));
    }
}
