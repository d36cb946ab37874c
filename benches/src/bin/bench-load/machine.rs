//! What the table is stamped with: the date, the machine, and the clients' versions.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// Pins the calling thread to one CPU. Called while `bench-load` still runs on one thread, so
/// that is the whole program; the processes it starts afterwards inherit the pinning.
pub fn pin_to_cpu(cpu: usize) -> Result<(), String> {
    use nix::sched::{CpuSet, sched_setaffinity};
    let mut set = CpuSet::new();
    set.set(cpu)
        .map_err(|e| format!("--cpu {cpu}: not a CPU this machine can name: {e}"))?;
    sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)
        .map_err(|e| format!("--cpu {cpu}: cannot pin this process there: {e}"))
}

/// The machine a run happened on.
pub struct Machine {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    /// What `nproc` prints.
    pub cores: String,
    /// The first `model name` of `/proc/cpuinfo`.
    pub cpu: String,
    /// The running kernel's release.
    pub kernel: String,
}

impl Machine {
    /// Reads the machine now; anything unreadable shows as `unknown`.
    pub fn now() -> Self {
        let days = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() / 86_400);
        let cores = Command::new("nproc")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|line| line.starts_with("model name"))
                    .and_then(|line| line.split_once(':'))
                    .map(|(_, name)| name.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|release| release.trim().to_owned())
            .unwrap_or_else(|_| "unknown".to_owned());
        Self {
            date: civil_date(days),
            cores,
            cpu,
            kernel,
        }
    }
}

/// Days since 1970-01-01 as a proleptic Gregorian `YYYY-MM-DD` (H. Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The locked version of a crate, from the workspace's `Cargo.lock`.
pub fn locked_version(lock: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(lock).ok()?;
    let needle = format!("name = \"{name}\"\nversion = \"");
    let start = text.find(&needle)? + needle.len();
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cpu_the_machine_cannot_have_is_refused_with_its_number() {
        let error = pin_to_cpu(usize::MAX).expect_err("no machine has that CPU");
        assert!(
            error.starts_with(&format!("--cpu {}", usize::MAX)),
            "{error}"
        );
        // A number a CPU set can hold but no CPU of this machine answers to.
        let error = pin_to_cpu(1_000).expect_err("no CPU 1000 here");
        assert!(error.starts_with("--cpu 1000"), "{error}");
    }

    #[test]
    fn a_thread_is_pinned_to_a_cpu_it_may_run_on() {
        use nix::sched::sched_getaffinity;
        let allowed = sched_getaffinity(nix::unistd::Pid::from_raw(0)).expect("own affinity");
        let cpu = (0..nix::sched::CpuSet::count())
            .find(|&cpu| allowed.is_set(cpu).unwrap_or(false))
            .expect("some CPU is allowed");
        // A thread of its own: pinning applies to the calling thread only.
        let pinned = std::thread::spawn(move || {
            pin_to_cpu(cpu)?;
            let now =
                sched_getaffinity(nix::unistd::Pid::from_raw(0)).map_err(|e| e.to_string())?;
            Ok::<_, String>(
                (0..nix::sched::CpuSet::count())
                    .filter(|&other| now.is_set(other).unwrap_or(false))
                    .collect::<Vec<_>>(),
            )
        })
        .join()
        .expect("the thread ran");
        assert_eq!(pinned, Ok(vec![cpu]));
    }

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_454), "2026-01-01");
    }

    #[test]
    fn versions_come_from_the_lock_file() {
        let lock = std::env::temp_dir().join(format!("bench-lock-{}", std::process::id()));
        std::fs::write(
            &lock,
            "[[package]]\nname = \"reqwest\"\nversion = \"0.13.5\"\n",
        )
        .unwrap();
        assert_eq!(locked_version(&lock, "reqwest").as_deref(), Some("0.13.5"));
        assert_eq!(locked_version(&lock, "tokio"), None);
        std::fs::remove_file(lock).unwrap();
    }
}
