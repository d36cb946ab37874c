//! Everything the request handlers share: configuration, catalog, live state, faults, counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::catalog::Catalog;
use crate::config::Dialect;
use crate::faults::FaultControl;
use crate::state::ModelState;
use crate::stats::Stats;

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) dialect: Dialect,
    pub(crate) quirks: bool,
    pub(crate) ttft: Duration,
    pub(crate) token_delay: Duration,
    pub(crate) seed: u64,
    pub(crate) catalog: Catalog,
    pub(crate) faults: FaultControl,
    pub(crate) stats: Stats,
    /// The base URL, as `/status` reports it.
    pub(crate) url: String,
    pub(crate) model_dir: String,
    pub(crate) download_step: Duration,
    state: Mutex<ModelState>,
    download_failure: Mutex<Option<String>>,
    /// Numbers completion ids.
    counter: AtomicU64,
}

/// The parts of [`Shared`] that come from the configuration.
#[derive(Debug)]
pub(crate) struct SharedInit {
    pub(crate) dialect: Dialect,
    pub(crate) quirks: bool,
    pub(crate) ttft: Duration,
    pub(crate) token_delay: Duration,
    pub(crate) seed: u64,
    pub(crate) catalog: Catalog,
    pub(crate) faults: FaultControl,
    pub(crate) url: String,
    pub(crate) model_dir: String,
    pub(crate) download_step: Duration,
    pub(crate) download_failure: Option<String>,
    pub(crate) state: ModelState,
}

impl Shared {
    pub(crate) fn new(init: SharedInit) -> Self {
        Self {
            dialect: init.dialect,
            quirks: init.quirks,
            ttft: init.ttft,
            token_delay: init.token_delay,
            seed: init.seed,
            catalog: init.catalog,
            faults: init.faults,
            stats: Stats::default(),
            url: init.url,
            model_dir: init.model_dir,
            download_step: init.download_step,
            state: Mutex::new(init.state),
            download_failure: Mutex::new(init.download_failure),
            counter: AtomicU64::new(0),
        }
    }

    /// The model state. Handlers hold it briefly and never across an await.
    pub(crate) fn state(&self) -> MutexGuard<'_, ModelState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn download_failure(&self) -> Option<String> {
        self.download_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn set_download_failure(&self, message: Option<String>) {
        *self
            .download_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = message;
    }

    /// A fresh number for ids.
    pub(crate) fn next_number(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Unix seconds now.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2026-11-25T01:40:04+00:00`, as .NET writes a `DateTimeOffset` in UTC.
pub(crate) fn rfc3339(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let seconds = unix % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_format_like_dotnet() {
        assert_eq!(super::rfc3339(1_795_570_804), "2026-11-25T01:40:04+00:00");
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00+00:00");
    }
}
