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
    let baseline = outcome.of(BASELINE).map(benches::Figures::cpu_per_unit_us);
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
    use crate::report::tests::figures;

    #[test]
    fn rows_show_the_median_the_ratio_and_the_step_from_the_row_above() {
        let outcome = Outcome {
            workload: layer_workload(1.0),
            results: vec![
                ClientResult {
                    name: BASELINE,
                    runs: vec![
                        figures(BASELINE, 2_000),
                        figures(BASELINE, 2_200),
                        figures(BASELINE, 3_000),
                    ],
                },
                ClientResult {
                    name: "transport",
                    runs: vec![figures("transport", 3_300), figures("transport", 2_400)],
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
