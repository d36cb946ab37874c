//! Prometheus' text exposition format (version 0.0.4) of a [`MetricsSnapshot`].

use std::fmt::Write;

use std::collections::BTreeMap;

use super::snapshot::{LatencySummary, MetricsSnapshot};

impl MetricsSnapshot {
    /// The metrics in Prometheus' text format, for users who scrape. Durations and token counts
    /// carry the names of OpenTelemetry's GenAI client metrics (dots as underscores, the unit as
    /// a suffix); the client's own counters start with `prefix` (characters Prometheus does not
    /// allow in names become `_`):
    ///
    /// | name | type |
    /// |---|---|
    /// | `gen_ai_client_operation_duration_seconds` | summary (0.5, 0.9, 0.99) |
    /// | `gen_ai_client_operation_time_to_first_chunk_seconds` | summary |
    /// | `gen_ai_client_token_usage_total{gen_ai_token_type="input"}` (and `"output"`) | counter |
    /// | `{prefix}_requests_total` | counter |
    /// | `{prefix}_operations_total{gen_ai_operation_name="..."}` | counter |
    /// | `{prefix}_request_errors_total{kind="..."}` | counter |
    /// | `{prefix}_retries_total` | counter |
    /// | `{prefix}_requests_in_flight` | gauge |
    /// | `{prefix}_tokens_per_second` | summary |
    ///
    /// Summaries with nothing recorded yet show only `_sum` and `_count` (both 0): no quantile
    /// is made up.
    pub fn to_prometheus(&self, prefix: &str) -> String {
        let p = metric_name(prefix);
        let mut out = String::with_capacity(2048);
        durations(
            &mut out,
            "gen_ai_client_operation_duration_seconds",
            "Duration of client operations.",
            self.latency.as_ref(),
        );
        durations(
            &mut out,
            "gen_ai_client_operation_time_to_first_chunk_seconds",
            "Time to the first chunk of streamed answers.",
            self.time_to_first_token.as_ref(),
        );
        let usage = "gen_ai_client_token_usage_total";
        header(&mut out, usage, "Tokens used, by type.", "counter");
        for (kind, count) in [
            ("input", self.input_tokens),
            ("output", self.generated_tokens),
        ] {
            let _ = writeln!(out, "{usage}{{gen_ai_token_type=\"{kind}\"}} {count}");
        }
        counter(
            &mut out,
            &format!("{p}_requests_total"),
            "Requests that ended.",
            self.requests,
        );
        labelled(
            &mut out,
            &format!("{p}_operations_total"),
            "Requests that ended, by operation.",
            "gen_ai_operation_name",
            &self.operations,
        );
        labelled(
            &mut out,
            &format!("{p}_request_errors_total"),
            "Failed requests by kind.",
            "kind",
            &self.errors,
        );
        counter(
            &mut out,
            &format!("{p}_retries_total"),
            "Retries.",
            self.retries,
        );
        let in_flight = format!("{p}_requests_in_flight");
        header(&mut out, &in_flight, "Requests in flight.", "gauge");
        let _ = writeln!(out, "{in_flight} {}", self.in_flight);
        let rate = format!("{p}_tokens_per_second");
        header(&mut out, &rate, "Generation speed per request.", "summary");
        let values = self
            .tokens_per_second
            .as_ref()
            .map(|s| ([s.p50, s.p90, s.p99], s.sum, s.count));
        quantiles(&mut out, &rate, values);
        out
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, help, "counter");
    let _ = writeln!(out, "{name} {value}");
}

fn labelled(out: &mut String, name: &str, help: &str, label: &str, values: &BTreeMap<String, u64>) {
    header(out, name, help, "counter");
    for (value, count) in values {
        let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {count}", label_value(value));
    }
}

fn durations(out: &mut String, name: &str, help: &str, summary: Option<&LatencySummary>) {
    header(out, name, help, "summary");
    let values = summary.map(|s| {
        (
            [s.p50, s.p90, s.p99].map(|d| d.as_secs_f64()),
            s.sum.as_secs_f64(),
            s.count,
        )
    });
    quantiles(out, name, values);
}

fn quantiles(out: &mut String, name: &str, values: Option<([f64; 3], f64, u64)>) {
    let Some((quantiles, sum, count)) = values else {
        let _ = writeln!(out, "{name}_sum 0\n{name}_count 0");
        return;
    };
    for (quantile, value) in ["0.5", "0.9", "0.99"].iter().zip(quantiles) {
        let _ = writeln!(out, "{name}{{quantile=\"{quantile}\"}} {value}");
    }
    let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
}

/// `prefix` with every character outside `[a-zA-Z0-9_:]` replaced by `_`, and a leading `_`
/// when it would start with a digit.
fn metric_name(prefix: &str) -> String {
    let mut name: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// A label value with `\`, `"` and newlines escaped.
fn label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_sanitised() {
        assert_eq!(metric_name("foundry-local.client"), "foundry_local_client");
        assert_eq!(metric_name("9lives"), "_9lives");
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn an_empty_snapshot_invents_no_quantile() {
        let text = MetricsSnapshot::default().to_prometheus("x");
        assert!(text.contains("gen_ai_client_operation_duration_seconds_count 0"));
        assert!(!text.contains("quantile"));
        assert!(text.contains("# TYPE x_requests_total counter\nx_requests_total 0\n"));
    }
}
