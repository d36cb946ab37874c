//! The `--layers` table: what each layer of `foundry-client` adds to the CPU time of a sequential
//! request, measured as each process's own CPU time (`getrusage`), like the main table.
//!
//! Instruction counts (callgrind) miss most of the cost here: the layers' extra cache misses
//! cost more than their extra instructions. Run with `--cpu N` and ten rounds or more: with the
//! emulator and every client on one CPU the medians repeat to about a microsecond, though single
//! runs still stray.

use std::fmt::Write as _;

use crate::plan::BASELINE;
use crate::report::Outcome;

/// The table of one `--layers` run: every variant's median CPU per request, its range, its ratio
/// to bare reqwest and what it adds to the row above.
pub fn render(stamp: &str, outcome: &Outcome) -> String {
    let mut out = format!("{stamp}\n\n");
    out.push_str(
        "| what runs | CPU µs / request | range of runs | × bare reqwest | + µs over the row above |\n\
         |---|---:|---:|---:|---:|\n",
    );
    let median = |name: &str| {
        outcome
            .results
            .iter()
            .find(|result| result.name == name)
            .and_then(|result| result.median())
            .map(benches::Figures::cpu_per_unit_us)
    };
    let baseline = median(BASELINE);
    let mut above: Option<f64> = None;
    for result in &outcome.results {
        let Some(cpu) = result.median().map(benches::Figures::cpu_per_unit_us) else {
            continue;
        };
        let (low, high) = result.spread();
        let ratio = baseline.map_or_else(
            || "–".to_owned(),
            |base| format!("{:.2}×", cpu / base.max(f64::MIN_POSITIVE)),
        );
        let added = above.map_or_else(|| "–".to_owned(), |above| format!("{:+.1}", cpu - above));
        let _ = writeln!(
            out,
            "| {} | {cpu:.1} | {low:.1}–{high:.1} | {ratio} | {added} |",
            result.name
        );
        above = Some(cpu);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::layer_workload;
    use crate::report::ClientResult;
    use benches::Figures;

    fn run(client: &'static str, cpu_us: u64) -> Figures {
        Figures {
            client: client.to_owned(),
            workload: "w".to_owned(),
            kind: "chat".to_owned(),
            settings: String::new(),
            calls: 1,
            in_flight: 1,
            chunks: 0,
            cpu_user_us: cpu_us,
            cpu_system_us: 0,
            wall_us: 1,
            p50_us: 1,
            p99_us: 1,
            max_rss_kib: 1,
        }
    }

    #[test]
    fn rows_show_the_median_the_ratio_and_the_step_from_the_row_above() {
        let outcome = Outcome {
            workload: layer_workload(1.0),
            results: vec![
                ClientResult {
                    name: BASELINE,
                    runs: vec![run(BASELINE, 20), run(BASELINE, 22), run(BASELINE, 30)],
                },
                ClientResult {
                    name: "transport",
                    runs: vec![run("transport", 33), run("transport", 24)],
                },
            ],
        };
        let table = render("stamp", &outcome);
        assert!(table.starts_with("stamp\n\n| what runs |"), "{table}");
        assert!(
            table.contains("| bare reqwest | 22.0 | 20.0–30.0 | 1.00× | – |"),
            "{table}"
        );
        // Two runs: the lower middle one is the median.
        assert!(
            table.contains("| transport | 24.0 | 24.0–33.0 | 1.09× | +2.0 |"),
            "{table}"
        );
    }
}
