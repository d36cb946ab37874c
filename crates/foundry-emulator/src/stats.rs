//! Counters of what an emulator served and which faults it injected.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::faults::FaultKind;
use crate::routes::Route;

/// Lock-free counters: one slot per route and per fault kind.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    requests: [AtomicU64; Route::COUNT],
    faults: [AtomicU64; FaultKind::ALL.len()],
}

impl Stats {
    pub(crate) fn count_request(&self, route: Route) {
        self.requests[route as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_fault(&self, kind: FaultKind) {
        if let Some(slot) = FaultKind::ALL.iter().position(|k| *k == kind) {
            self.faults[slot].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn reset(&self) {
        self.requests
            .iter()
            .chain(&self.faults)
            .for_each(|slot| slot.store(0, Ordering::Relaxed));
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        let requests: BTreeMap<String, u64> = Route::ALL
            .iter()
            .zip(&self.requests)
            .map(|(route, slot)| (route.key().to_owned(), slot.load(Ordering::Relaxed)))
            .filter(|(_, count)| *count > 0)
            .collect();
        let faults: BTreeMap<String, u64> = FaultKind::ALL
            .iter()
            .zip(&self.faults)
            .map(|(kind, slot)| (kind.as_str().to_owned(), slot.load(Ordering::Relaxed)))
            .filter(|(_, count)| *count > 0)
            .collect();
        StatsSnapshot {
            requests_total: requests.values().sum(),
            faults_total: faults.values().sum(),
            requests,
            faults,
        }
    }
}

/// What an emulator has served so far (the JSON of `GET /_emulator/stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// Requests of every route (control routes excluded).
    pub requests_total: u64,
    /// Requests per route key (`"POST /v1/chat/completions"`, `"unmatched"`), non-zero only.
    pub requests: BTreeMap<String, u64>,
    /// Faults injected, all kinds.
    pub faults_total: u64,
    /// Faults injected per kind (`"status"`, `"stall"`, ...), non-zero only.
    pub faults: BTreeMap<String, u64>,
}

impl StatsSnapshot {
    /// Requests of one route key, or of every route with this path template.
    pub fn requests_of(&self, route: &str) -> u64 {
        self.requests
            .iter()
            .filter(|(key, _)| {
                *key == route || key.split_once(' ').is_some_and(|(_, p)| p == route)
            })
            .map(|(_, count)| count)
            .sum()
    }

    /// Faults of one kind.
    pub fn faults_of(&self, kind: FaultKind) -> u64 {
        self.faults.get(kind.as_str()).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_count_per_route_and_kind() {
        let stats = Stats::default();
        stats.count_request(Route::ChatCompletions);
        stats.count_request(Route::ChatCompletions);
        stats.count_request(Route::Status);
        stats.count_fault(FaultKind::Stall);
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.requests_total, 3);
        assert_eq!(snapshot.requests_of("/v1/chat/completions"), 2);
        assert_eq!(snapshot.requests_of("GET /status"), 1);
        assert_eq!(snapshot.faults_of(FaultKind::Stall), 1);
        stats.reset();
        assert_eq!(stats.snapshot(), StatsSnapshot::default());
    }
}
