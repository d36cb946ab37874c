//! What structured output costs on the client, per answer of about 1 KiB.
//!
//! - `serde_only`: `serde_json::from_str::<Order>` — what deserializing without a schema costs;
//! - `validate_only`: parsing to a `Value` and running the compiled `jsonschema` validator;
//! - `parse` ([`StructuredSchema::parse`]): the whole check — JSON, schema, then `Order`;
//! - `request/chat` and `request/chat_json`: a whole non-streamed request to the in-process
//!   emulator asking for the same JSON answer, without and with the check, for scale.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use foundry_client::{ChatRequest, FoundryClient, Message, StructuredSchema};
use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig};
use schemars::JsonSchema;
use serde::Deserialize;

const MODEL: &str = "Phi-4-mini-instruct-generic-cpu:4";

/// An order of eight lines: nested structs, an enum, bounds — about 1 KiB as JSON.
#[derive(Debug, Deserialize, JsonSchema)]
#[expect(
    dead_code,
    reason = "only deserialized: reading them is what is measured"
)]
struct Order {
    #[schemars(length(min = 1, max = 64))]
    customer: String,
    status: Status,
    #[schemars(length(min = 1, max = 16))]
    lines: Vec<Line>,
    note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Status {
    Open,
    Shipped,
    Cancelled,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[expect(
    dead_code,
    reason = "only deserialized: reading them is what is measured"
)]
struct Line {
    #[schemars(length(min = 1, max = 40))]
    product: String,
    #[schemars(range(min = 1, max = 1000))]
    quantity: u32,
    #[schemars(range(min = 0.0))]
    unit_price: f64,
    tags: Vec<String>,
}

/// A valid answer of about 1 KiB.
fn one_kib_answer() -> String {
    let lines: Vec<String> = (0..8)
        .map(|i| {
            format!(
                r#"{{"product": "product number {i} of the order", "quantity": {}, "unit_price": {}.25, "tags": ["spare", "blue"]}}"#,
                i + 1,
                10 * i + 3
            )
        })
        .collect();
    let text = format!(
        r#"{{"customer": "Ada Lovelace", "status": "shipped", "lines": [{}], "note": "leave at the door"}}"#,
        lines.join(", ")
    );
    assert!((900..=1200).contains(&text.len()), "{} bytes", text.len());
    text
}

fn validation(c: &mut Criterion) {
    let text = one_kib_answer();
    let schema = StructuredSchema::<Order>::derive().expect("the schema compiles");
    let validator = jsonschema::validator_for(schema.schema()).expect("the schema compiles");
    let mut group = c.benchmark_group("structured");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("serde_only", |b| {
        b.iter(|| serde_json::from_str::<Order>(&text).expect("valid"))
    });
    group.bench_function("validate_only", |b| {
        b.iter(|| {
            let value: serde_json::Value = serde_json::from_str(&text).expect("valid");
            assert!(validator.is_valid(&value));
        })
    });
    group.bench_function("parse", |b| b.iter(|| schema.parse(&text).expect("valid")));
    group.finish();
}

fn requests(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let emulator = runtime
        .block_on(Emulator::start(
            EmulatorConfig::new(Dialect::Core2)
                .catalog(Catalog::default())
                .loaded([MODEL]),
        ))
        .expect("the emulator starts");
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .build()
        .expect("a client");
    let schema = StructuredSchema::<Order>::derive().expect("the schema compiles");
    let request = ChatRequest::new(MODEL, [Message::user("An order, please.")]);
    let with_format = request.clone().response_format(schema.response_format());
    let answer = runtime
        .block_on(client.chat(with_format.clone()))
        .expect("an answer");
    println!(
        "structured/request: the emulator's answer is {} bytes",
        answer.text().unwrap_or_default().len()
    );
    let mut group = c.benchmark_group("structured/request");
    group.bench_function("chat", |b| {
        b.iter(|| {
            runtime
                .block_on(client.chat(with_format.clone()))
                .expect("an answer")
        })
    });
    group.bench_function("chat_json", |b| {
        b.iter(|| {
            runtime
                .block_on(client.chat_json::<Order>(request.clone()))
                .expect("a valid answer")
        })
    });
    group.finish();
}

criterion_group!(benches, validation, requests);
criterion_main!(benches);
