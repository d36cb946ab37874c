//! What the load bench runs: the workloads (scaled) and the clients, in the order they run.

use std::path::PathBuf;

use benches::{CHAT_MODEL, Kind, STREAM_CHUNKS, STREAM_MODEL};

/// One workload, the same for every client.
#[derive(Debug, Clone)]
pub struct Workload {
    /// How the table names it, counts included.
    pub label: String,
    pub kind: Kind,
    pub model: &'static str,
    pub count: u64,
    pub in_flight: usize,
    /// Chunks each stream must yield (0 for chats).
    pub chunks: u64,
}

/// The three workloads at full size: 2,000 sequential chats; 10,000 chats with 64 in flight;
/// 200 streams of 1,000 chunks with 8 in flight. `scale` multiplies the call counts only, so
/// concurrency and chunks per stream — what the ratios depend on — stay as they are.
pub fn workloads(scale: f64) -> Vec<Workload> {
    let scaled = |count: u64| ((count as f64 * scale).round() as u64).max(1);
    let chats = |count: u64, in_flight: usize| {
        let count = scaled(count);
        Workload {
            label: format!("{} chats, {in_flight} in flight", thousands(count)),
            kind: Kind::Chat,
            model: CHAT_MODEL,
            count,
            in_flight,
            chunks: 0,
        }
    };
    let streams = scaled(200);
    vec![
        chats(2_000, 1),
        chats(10_000, 64),
        Workload {
            label: format!(
                "{} streams × {} chunks, 8 in flight",
                thousands(streams),
                thousands(STREAM_CHUNKS)
            ),
            kind: Kind::Stream,
            model: STREAM_MODEL,
            count: streams,
            in_flight: 8,
            chunks: STREAM_CHUNKS,
        },
    ]
}

/// How a client process is started.
#[derive(Debug, Clone)]
pub enum Program {
    /// A binary of this package, next to `bench-load`.
    Sibling(&'static str),
    /// `client-layers --variant NAME`: our client with only some of its layers.
    Layer(&'static str),
    /// `python/peer.py` run by the venv's interpreter.
    Python {
        interpreter: PathBuf,
        script: PathBuf,
    },
}

/// One client under test.
#[derive(Debug, Clone)]
pub struct Client {
    /// The name in the table; the ratios are taken against [`BASELINE`] and [`OURS`].
    pub name: &'static str,
    pub program: Program,
}

/// The client every ratio is taken against.
pub const BASELINE: &str = "bare reqwest";
/// The client the targets are about.
pub const OURS: &str = "foundry-client";

/// The Rust clients, then the Python one when it is there.
pub fn clients(python: Option<Program>) -> Vec<Client> {
    let mut clients = vec![
        Client {
            name: BASELINE,
            program: Program::Sibling("client-reqwest"),
        },
        Client {
            name: OURS,
            program: Program::Sibling("client-foundry"),
        },
        Client {
            name: "async-openai",
            program: Program::Sibling("client-async-openai"),
        },
    ];
    if let Some(program) = python {
        clients.push(Client {
            name: "openai-python",
            program,
        });
    }
    clients
}

/// The variants of `client-layers`, each adding one thing to the one before (see that binary's
/// docs), with how the table names them.
pub const LAYERS: [(&str, &str); 8] = [
    (
        "reqwest-typed",
        "bare reqwest with `foundry-protocol`'s request and answer types",
    ),
    (
        "transport-untimed",
        "our transport (`SharedTransport(ReqwestTransport)`), timers off",
    ),
    ("transport", "+ its first-byte and idle timers"),
    ("stacked", "+ the resilience stack with every layer off"),
    ("limited", "+ the concurrency limit"),
    ("retried", "+ retries"),
    (
        "resilient",
        "+ the circuit breaker (limit, retries and breaker, as in the client)",
    ),
    ("client", "`FoundryClient` (breaker on, as benchmarked)"),
];

/// For `--layers`: bare reqwest, then our client one layer at a time.
pub fn layer_clients() -> Vec<Client> {
    let mut clients = vec![Client {
        name: BASELINE,
        program: Program::Sibling("client-reqwest"),
    }];
    clients.extend(LAYERS.iter().map(|&(variant, label)| Client {
        name: label,
        program: Program::Layer(variant),
    }));
    clients
}

/// For `--layers`: the sequential chat workload, where a layer's fixed cost shows most.
pub fn layer_workload(scale: f64) -> Workload {
    let mut workload = workloads(scale).swap_remove(0);
    workload.label = format!("{} (per layer)", workload.label);
    workload
}

/// `12345` → `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_size_workloads_are_the_documented_ones() {
        let full = workloads(1.0);
        assert_eq!(full[0].label, "2,000 chats, 1 in flight");
        assert_eq!(full[1].label, "10,000 chats, 64 in flight");
        assert_eq!(full[2].label, "200 streams × 1,000 chunks, 8 in flight");
        let tenth = workloads(0.1);
        assert_eq!((tenth[1].count, tenth[1].in_flight), (1_000, 64));
        assert_eq!(tenth[2].chunks, 1_000);
    }

    #[test]
    fn layer_runs_start_with_the_baseline_and_end_with_the_whole_client() {
        let clients = layer_clients();
        assert_eq!(clients.len(), LAYERS.len() + 1);
        assert_eq!(clients[0].name, BASELINE);
        assert!(matches!(clients[8].program, Program::Layer("client")));
        assert!(clients[8].name.starts_with("`FoundryClient`"));
        let workload = layer_workload(1.0);
        assert_eq!((workload.count, workload.in_flight), (2_000, 1));
        assert_eq!(workload.label, "2,000 chats, 1 in flight (per layer)");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
