//! The process's own CPU time and peak memory, from `getrusage(RUSAGE_SELF)`.

use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};

/// CPU time used so far by every thread of this process, and its peak resident set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessUsage {
    /// Time spent in user mode.
    pub user: Duration,
    /// Time spent in the kernel on the process's behalf.
    pub system: Duration,
    /// The largest resident set so far, in KiB (Linux reports `ru_maxrss` in KiB).
    pub max_rss_kib: u64,
}

impl ProcessUsage {
    /// User plus system time.
    pub fn cpu(&self) -> Duration {
        self.user + self.system
    }
}

/// This process's usage now. `getrusage` on the calling process cannot fail on Linux; if it
/// ever did, the error says so rather than a zero that would look like a cheap client.
pub fn process_usage() -> Result<ProcessUsage, nix::Error> {
    let usage = getrusage(UsageWho::RUSAGE_SELF)?;
    let duration = |time: nix::sys::time::TimeVal| {
        let micros = i128::from(time.tv_sec()) * 1_000_000 + i128::from(time.tv_usec());
        Duration::from_micros(u64::try_from(micros).unwrap_or(0))
    };
    Ok(ProcessUsage {
        user: duration(usage.user_time()),
        system: duration(usage.system_time()),
        max_rss_kib: u64::try_from(usage.max_rss()).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_grows_with_work() {
        let before = process_usage().unwrap();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let after = process_usage().unwrap();
        assert!(after.cpu() >= before.cpu());
        assert!(after.max_rss_kib > 0);
    }
}
