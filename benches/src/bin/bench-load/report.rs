//! The Markdown the run produces: a stamp, one table of figures with the ratios, and the targets
//! marked met or not. The same text is printed and written into `docs/PERFORMANCE.md`.

use std::fmt::Write as _;
use std::path::Path;

use benches::{Figures, Kind};

use crate::machine::Machine;
use crate::plan::{BASELINE, OURS, Workload};

/// The floors the client keeps (DESIGN, 2026-12): its CPU with the default stack on, per request
/// and per chunk, within this many times bare reqwest's.
pub const BARE_REQWEST_FLOOR: f64 = 1.3;
/// Per request, within this many times async-openai's.
pub const ASYNC_OPENAI_PER_REQUEST_FLOOR: f64 = 1.1;
/// Per chunk, ahead of async-openai: below its CPU.
pub const ASYNC_OPENAI_PER_CHUNK_FLOOR: f64 = 1.0;
/// The peer the second floor is taken against.
const ASYNC_OPENAI: &str = "async-openai";

/// The section of `docs/PERFORMANCE.md` a run replaces; the text around it is kept.
pub const BEGIN: &str = "<!-- load-bench:begin (written by `cargo xtask bench`) -->";
/// The end of that section.
pub const END: &str = "<!-- load-bench:end -->";

/// One client's runs of one workload.
pub struct ClientResult {
    pub name: &'static str,
    /// One entry per round, in the order they ran.
    pub runs: Vec<Figures>,
}

impl ClientResult {
    /// The run with the median CPU per unit (the lower middle one for an even count): the table
    /// shows that run's figures, so they belong together.
    pub fn median(&self) -> Option<&Figures> {
        let mut runs: Vec<&Figures> = self.runs.iter().collect();
        runs.sort_by(|a, b| a.cpu_per_unit_us().total_cmp(&b.cpu_per_unit_us()));
        runs.get(runs.len().saturating_sub(1) / 2).copied()
    }

    /// The lowest and highest CPU per unit over the runs.
    pub fn spread(&self) -> (f64, f64) {
        let cpu = self.runs.iter().map(Figures::cpu_per_unit_us);
        let low = cpu.clone().fold(f64::INFINITY, f64::min);
        (low, cpu.fold(0.0, f64::max))
    }
}

/// One workload's results, one per client, in the order the clients ran.
pub struct Outcome {
    pub workload: Workload,
    pub results: Vec<ClientResult>,
}

impl Outcome {
    /// The median run of `client`, if it ran.
    pub fn of(&self, client: &str) -> Option<&Figures> {
        self.results
            .iter()
            .find(|result| result.name == client)
            .and_then(ClientResult::median)
    }

    /// CPU per unit of `client` over `other`'s.
    fn ratio(&self, client: &str, other: &str) -> Option<f64> {
        let (client, other) = (self.of(client)?, self.of(other)?);
        Some(cpu_ratio(client, other))
    }

    /// The same ratio round by round: each of `client`'s runs over the run of `other` in the same
    /// round (the clients run one after the other in each round, so these pairs ran closest in
    /// time and show how far the machine's noise moves the ratio).
    fn round_ratios(&self, client: &str, other: &str) -> Vec<f64> {
        let runs = |name: &str| {
            self.results
                .iter()
                .find(|result| result.name == name)
                .map(|result| result.runs.as_slice())
                .unwrap_or_default()
        };
        runs(client)
            .iter()
            .zip(runs(other))
            .map(|(client, other)| cpu_ratio(client, other))
            .collect()
    }
}

fn cpu_ratio(client: &Figures, other: &Figures) -> f64 {
    client.cpu_per_unit_us() / other.cpu_per_unit_us().max(f64::MIN_POSITIVE)
}

/// What the stamp says besides the machine.
pub struct Context {
    pub machine: Machine,
    pub scale: f64,
    /// Runs of each client on each workload; the table shows the median run.
    pub rounds: usize,
    /// `(client, version)` in table order.
    pub versions: Vec<(&'static str, String)>,
    /// Why a client is missing, if one is.
    pub notices: Vec<String>,
    /// The one CPU every process ran on (`--cpu`), or `None` when the scheduler placed them.
    pub cpu: Option<usize>,
}

impl Context {
    /// The first line of a table: when, where, and how the processes were placed.
    pub fn stamp(&self) -> String {
        let m = &self.machine;
        let placement = match self.cpu {
            Some(cpu) => format!("the emulator and every client pinned to CPU {cpu}"),
            None => "processes placed by the scheduler".to_owned(),
        };
        format!(
            "Measured {} on {} cores (`nproc`), {}, Linux {}; {placement}. Scale {} (1 = the full \
             counts); {} runs of every client on every workload, interleaved; each row is the run \
             with the median CPU per unit, the range is over all runs; a target's \"round by \
             round\" ratios divide each of our runs by bare reqwest's run of the same round.",
            m.date, m.cores, m.cpu, m.kernel, self.scale, self.rounds
        )
    }
}

/// The whole section, markers excluded.
pub fn render(context: &Context, outcomes: &[Outcome]) -> String {
    let mut out = context.stamp();
    out.push('\n');
    let versions: Vec<String> = context
        .versions
        .iter()
        .map(|(client, version)| format!("{client} {version}"))
        .collect();
    let _ = writeln!(out, "Clients: {}.", versions.join(", "));
    for notice in &context.notices {
        let _ = writeln!(out, "\n**Note:** {notice}");
    }
    out.push('\n');
    out.push_str(&table(outcomes));
    out.push('\n');
    out.push_str(&targets(outcomes));
    out.push('\n');
    out.push_str(&settings(outcomes));
    out
}

fn table(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "| workload | client | CPU µs / unit | range of runs | × bare reqwest | × foundry-client | throughput / s | p50 ms | p99 ms | peak RSS MiB |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for outcome in outcomes {
        let unit = match outcome.workload.kind {
            Kind::Chat => "per request",
            Kind::Stream => "per chunk",
        };
        for result in &outcome.results {
            let (client, Some(figures)) = (result.name, result.median()) else {
                continue;
            };
            let ratio = |other| outcome.ratio(client, other).map_or("–".to_owned(), times);
            let (low, high) = result.spread();
            let _ = writeln!(
                out,
                "| {} ({unit}) | {client} | {} | {}–{} | {} | {} | {} | {} | {} | {:.0} |",
                outcome.workload.label,
                micros(figures.cpu_per_unit_us()),
                micros(low),
                micros(high),
                ratio(BASELINE),
                ratio(OURS),
                figures.throughput().round(),
                millis(figures.p50_us),
                millis(figures.p99_us),
                figures.max_rss_kib as f64 / 1024.0,
            );
        }
    }
    out
}

fn targets(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "| floor (same-run ratio) | workload | measured | kept | round by round | rounds within |\n\
         |---|---|---:|---|---:|---:|\n",
    );
    for outcome in outcomes {
        // (peer, floor, whether the floor itself is outside, what the row says)
        let (what, peer_floor) = match outcome.workload.kind {
            Kind::Chat => (
                "CPU per request",
                (ASYNC_OPENAI_PER_REQUEST_FLOOR, false, "≤ 1.1× async-openai"),
            ),
            Kind::Stream => (
                "CPU per chunk",
                (ASYNC_OPENAI_PER_CHUNK_FLOOR, true, "below async-openai"),
            ),
        };
        let floors = [
            (BASELINE, BARE_REQWEST_FLOOR, false, "≤ 1.3× bare reqwest"),
            (ASYNC_OPENAI, peer_floor.0, peer_floor.1, peer_floor.2),
        ];
        for (peer, floor, strict, says) in floors {
            let Some(ratio) = outcome.ratio(OURS, peer) else {
                continue;
            };
            let within = |ratio: f64| ratio < floor || (!strict && ratio == floor);
            let kept = if within(ratio) {
                "kept"
            } else {
                "**not kept**"
            };
            let rounds = outcome.round_ratios(OURS, peer);
            let low = rounds.iter().copied().fold(f64::INFINITY, f64::min);
            let high = rounds.iter().copied().fold(0.0, f64::max);
            let count = rounds.iter().filter(|ratio| within(**ratio)).count();
            // Three decimals: the verdict is taken on the exact ratio, and 1.303 must not read 1.30.
            let _ = writeln!(
                out,
                "| foundry-client {what} {says} | {} | {ratio:.3}× | {kept} | \
                 {low:.3}–{high:.3}× | {count} of {} |",
                outcome.workload.label,
                rounds.len(),
            );
        }
    }
    out
}

fn settings(outcomes: &[Outcome]) -> String {
    let mut out = String::from("Settings as each client applied them:\n\n");
    for outcome in outcomes {
        let _ = writeln!(out, "- {}:", outcome.workload.label);
        for result in &outcome.results {
            if let Some(figures) = result.median() {
                let _ = writeln!(out, "  - {}: {}", result.name, figures.settings);
            }
        }
    }
    out
}

fn times(ratio: f64) -> String {
    format!("{ratio:.2}×")
}

fn micros(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    }
}

fn millis(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// Replaces the section between [`BEGIN`] and [`END`] in `path`, or creates the file with a
/// title and the section when it has none.
pub fn write_into(path: &Path, section: &str) -> std::io::Result<()> {
    let block = format!("{BEGIN}\n{section}{END}\n");
    let text = match std::fs::read_to_string(path) {
        Ok(text) => match (text.find(BEGIN), text.find(END)) {
            (Some(begin), Some(end)) if begin < end => {
                let rest = &text[end + END.len()..];
                let after = rest.strip_prefix('\n').unwrap_or(rest);
                format!("{}{block}{after}", &text[..begin])
            }
            _ => format!("{}\n\n{block}", text.trim_end()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            format!("# Performance\n\n{block}")
        }
        Err(e) => return Err(e),
    };
    std::fs::write(path, text)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::plan::workloads;

    /// One chat run of `client` whose 100 calls took `cpu_us` of CPU in all.
    pub(crate) fn figures(client: &str, cpu_us: u64) -> Figures {
        Figures {
            client: client.into(),
            workload: "w".into(),
            kind: "chat".into(),
            settings: format!("{client} settings"),
            calls: 100,
            in_flight: 1,
            chunks: 0,
            cpu_user_us: cpu_us,
            cpu_system_us: 0,
            wall_us: 1_000_000,
            p50_us: 1_500,
            p99_us: 2_500,
            max_rss_kib: 10_240,
        }
    }

    fn context(cpu: Option<usize>) -> Context {
        Context {
            machine: Machine {
                date: "2026-12-06".into(),
                cores: "2".into(),
                cpu: "AMD EPYC".into(),
                kernel: "6.18".into(),
            },
            scale: 1.0,
            rounds: 3,
            versions: Vec::new(),
            notices: Vec::new(),
            cpu,
        }
    }

    #[test]
    fn the_stamp_says_how_the_processes_were_placed() {
        let pinned = context(Some(1)).stamp();
        assert!(
            pinned.contains("the emulator and every client pinned to CPU 1"),
            "{pinned}"
        );
        let free = context(None).stamp();
        assert!(free.contains("processes placed by the scheduler"), "{free}");
        assert!(free.starts_with("Measured 2026-12-06 on 2 cores"), "{free}");
    }

    fn outcome(ours: u64) -> Outcome {
        Outcome {
            workload: workloads(1.0).remove(0),
            results: vec![
                ClientResult {
                    name: BASELINE,
                    runs: vec![
                        figures(BASELINE, 1_000),
                        figures(BASELINE, 1_000),
                        figures(BASELINE, 1_000),
                    ],
                },
                ClientResult {
                    name: OURS,
                    runs: vec![
                        figures(OURS, ours + 500),
                        figures(OURS, ours),
                        figures(OURS, ours - 50),
                    ],
                },
            ],
        }
    }

    #[test]
    fn ratios_and_floors_are_marked() {
        let kept = targets(&[outcome(1_100)]);
        // Rounds: 1.600, 1.100 and 1.050; two of them within 1.3.
        assert!(
            kept.contains("| 1.100× | kept | 1.050–1.600× | 2 of 3 |"),
            "{kept}"
        );
        let missed = targets(&[outcome(1_400)]);
        assert!(
            missed.contains("| 1.400× | **not kept** | 1.350–1.900× | 0 of 3 |"),
            "{missed}"
        );
        // Just over the floor: the table must not show it as the floor itself.
        let over = targets(&[outcome(1_302)]);
        assert!(over.contains("| 1.302× | **not kept** |"), "{over}");
        let rows = table(&[outcome(1_100)]);
        assert!(
            rows.contains(
                "| foundry-client | 11.0 | 10.5–16.0 | 1.10× | 1.00× | 100 | 1.50 | 2.50 | 10 |"
            ),
            "{rows}"
        );
    }

    #[test]
    fn the_section_is_replaced_and_the_rest_kept() {
        let path = std::env::temp_dir().join(format!("bench-report-{}.md", std::process::id()));
        std::fs::write(
            &path,
            format!("# P\n\nbefore\n\n{BEGIN}\nold\n{END}\n\nafter\n"),
        )
        .unwrap();
        write_into(&path, "new\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("# P\n\nbefore\n\n{BEGIN}\nnew\n{END}\n\nafter\n")
        );
        std::fs::remove_file(path).unwrap();
    }
}
