//! What one client measured on one workload: the line every client prints, as JSON.

use serde::{Deserialize, Serialize};

/// One client's figures for one workload. Every client prints exactly one of these, as a single
/// JSON line on stdout (`python/peer.py` writes the same keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Which client (`foundry-client`, `bare reqwest`, ...).
    pub client: String,
    /// The workload's name.
    pub workload: String,
    /// `chat` or `stream`.
    pub kind: String,
    /// The settings that matter for the comparison, as the client applied them (limits, retries).
    pub settings: String,
    /// Calls measured (the warm-up call excluded).
    pub calls: u64,
    /// Calls in flight at once.
    pub in_flight: u64,
    /// Stream chunks received in the measured calls (0 for chats).
    pub chunks: u64,
    /// User CPU time of the client's process during the measured loop.
    pub cpu_user_us: u64,
    /// System CPU time of the client's process during the measured loop.
    pub cpu_system_us: u64,
    /// Wall-clock time of the measured loop.
    pub wall_us: u64,
    /// Median latency of one call (a stream: until its last chunk).
    pub p50_us: u64,
    /// 99th percentile latency of one call.
    pub p99_us: u64,
    /// Peak resident set of the client's process, in KiB.
    pub max_rss_kib: u64,
}

impl Figures {
    /// User plus system CPU time, in µs.
    pub fn cpu_us(&self) -> u64 {
        self.cpu_user_us + self.cpu_system_us
    }

    /// What the CPU time is divided by: chunks for streams, calls for chats.
    pub fn units(&self) -> u64 {
        if self.kind == "stream" {
            self.chunks
        } else {
            self.calls
        }
    }

    /// CPU time per request (chats) or per chunk (streams), in µs.
    pub fn cpu_per_unit_us(&self) -> f64 {
        self.cpu_us() as f64 / self.units().max(1) as f64
    }

    /// Requests (chats) or chunks (streams) per second of wall-clock time.
    pub fn throughput(&self) -> f64 {
        self.units() as f64 / (self.wall_us.max(1) as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(kind: &str) -> Figures {
        Figures {
            client: "c".into(),
            workload: "w".into(),
            kind: kind.into(),
            settings: String::new(),
            calls: 10,
            in_flight: 1,
            chunks: 1_000,
            cpu_user_us: 150,
            cpu_system_us: 50,
            wall_us: 2_000_000,
            p50_us: 1,
            p99_us: 2,
            max_rss_kib: 3,
        }
    }

    #[test]
    fn chats_count_calls_and_streams_count_chunks() {
        assert_eq!(figures("chat").cpu_per_unit_us(), 20.0);
        assert_eq!(figures("chat").throughput(), 5.0);
        assert_eq!(figures("stream").cpu_per_unit_us(), 0.2);
        assert_eq!(figures("stream").throughput(), 500.0);
    }

    #[test]
    fn the_json_line_round_trips() {
        let line = serde_json::to_string(&figures("chat")).unwrap();
        assert_eq!(
            serde_json::from_str::<Figures>(&line).unwrap(),
            figures("chat")
        );
    }
}
