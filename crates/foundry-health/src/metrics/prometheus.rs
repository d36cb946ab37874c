//! Prometheus' text exposition format (version 0.0.4) of a [`MetricsSnapshot`].

use std::fmt::Write;

use super::snapshot::{LatencySummary, MetricsSnapshot, RateSummary};

impl MetricsSnapshot {
    /// The metrics in Prometheus' text format, for users who scrape. Names start with `prefix`
    /// (characters Prometheus does not allow in names become `_`):
    ///
    /// | name | type |
    /// |---|---|
    /// | `{prefix}_requests_total` | counter |
    /// | `{prefix}_request_errors_total{kind="..."}` | counter |
    /// | `{prefix}_retries_total` | counter |
    /// | `{prefix}_requests_in_flight` | gauge |
    /// | `{prefix}_request_duration_seconds` | summary (0.5, 0.9, 0.99) |
    /// | `{prefix}_time_to_first_token_seconds` | summary |
    /// | `{prefix}_generated_tokens_total` | counter |
    /// | `{prefix}_tokens_per_second` | summary |
    ///
    /// Summaries with nothing recorded yet show only `_sum` and `_count` (both 0): no quantile
    /// is made up.
    pub fn to_prometheus(&self, prefix: &str) -> String {
        let p = metric_name(prefix);
        let mut out = String::with_capacity(2048);
        counter(
            &mut out,
            &p,
            "requests_total",
            "Requests that ended.",
            self.requests,
        );
        header(
            &mut out,
            &p,
            "request_errors_total",
            "Failed requests by kind.",
            "counter",
        );
        for (kind, count) in &self.errors {
            let _ = writeln!(
                out,
                "{p}_request_errors_total{{kind=\"{}\"}} {count}",
                label_value(kind)
            );
        }
        counter(&mut out, &p, "retries_total", "Retries.", self.retries);
        header(
            &mut out,
            &p,
            "requests_in_flight",
            "Requests in flight.",
            "gauge",
        );
        let _ = writeln!(out, "{p}_requests_in_flight {}", self.in_flight);
        durations(
            &mut out,
            &p,
            "request_duration_seconds",
            "Request latency.",
            self.latency.as_ref(),
        );
        durations(
            &mut out,
            &p,
            "time_to_first_token_seconds",
            "Time to the first token.",
            self.time_to_first_token.as_ref(),
        );
        counter(
            &mut out,
            &p,
            "generated_tokens_total",
            "Tokens generated.",
            self.generated_tokens,
        );
        rates(&mut out, &p, self.tokens_per_second.as_ref());
        out
    }
}

fn header(out: &mut String, prefix: &str, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {prefix}_{name} {help}");
    let _ = writeln!(out, "# TYPE {prefix}_{name} {kind}");
}

fn counter(out: &mut String, prefix: &str, name: &str, help: &str, value: u64) {
    header(out, prefix, name, help, "counter");
    let _ = writeln!(out, "{prefix}_{name} {value}");
}

fn durations(
    out: &mut String,
    prefix: &str,
    name: &str,
    help: &str,
    summary: Option<&LatencySummary>,
) {
    header(out, prefix, name, help, "summary");
    let values = summary.map(|s| {
        (
            [s.p50, s.p90, s.p99].map(|d| d.as_secs_f64()),
            s.sum.as_secs_f64(),
            s.count,
        )
    });
    quantiles(out, &format!("{prefix}_{name}"), values);
}

fn rates(out: &mut String, prefix: &str, summary: Option<&RateSummary>) {
    let name = "tokens_per_second";
    header(
        out,
        prefix,
        name,
        "Generation speed per request.",
        "summary",
    );
    let values = summary.map(|s| ([s.p50, s.p90, s.p99], s.sum, s.count));
    quantiles(out, &format!("{prefix}_{name}"), values);
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
        assert!(text.contains("x_request_duration_seconds_count 0"));
        assert!(!text.contains("quantile"));
        assert!(text.contains("# TYPE x_requests_total counter\nx_requests_total 0\n"));
    }
}
