//! Replays every recorded exchange with the two real Foundry Local runtimes against the
//! emulator with the tiny catalog, in recorded order on one server, and holds each answer to
//! the recording: status, content type (every value), `Server`, chunked or not, duplicated
//! headers, and the body — JSON compared value by value once the fields that differ on every
//! run are masked (see `VOLATILE`), SSE event by event, text byte by byte.
//!
//! Deliberate differences, not compared: ids and timestamps (`id` of the C++ Core, `created`,
//! `CreatedAt`), ports (`endpoints`), the process id (`pid`), and embedding values (only their
//! count is compared: the real vectors come from a generated ONNX model). Left out: the two
//! recordings of a model without a chat template (`61_*`, `41-*`), a model the tiny catalog
//! does not have; the emulator's `error_event` fault produces that wire shape.

mod support;

use std::time::Duration;

use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig};
use foundry_recordings::Response;
use foundry_recordings::recordings;
use serde_json::Value;
use support::raw_exchange;

/// Keys whose values differ on every run.
const VOLATILE: &[&str] = &["created", "CreatedAt", "pid", "endpoints"];

fn mask(value: &mut Value, core2: bool) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if VOLATILE.contains(&key.as_str())
                    || (core2
                        && key == "id"
                        && value.as_str().is_some_and(|id| id.starts_with("chatcmpl-")))
                {
                    *value = Value::String("<volatile>".into());
                } else if key == "embedding" {
                    let count = value.as_array().map_or(0, Vec::len);
                    *value = Value::String(format!("<{count} floats>"));
                } else {
                    mask(value, core2);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| mask(item, core2)),
        _ => {}
    }
}

fn compare_bodies(name: &str, recorded: &Response, got: &Response, core2: bool) {
    let content_type = recorded
        .header_values("content-type")
        .first()
        .copied()
        .unwrap_or("");
    if content_type.contains("json") {
        let mut want: Value = serde_json::from_slice(&recorded.body).expect("recorded JSON");
        let mut have: Value = serde_json::from_slice(&got.body).unwrap_or_else(|e| {
            panic!(
                "{name}: not JSON ({e}): {}",
                String::from_utf8_lossy(&got.body)
            )
        });
        mask(&mut want, core2);
        mask(&mut have, core2);
        foundry_recordings::mask_parser_wording(&mut want);
        foundry_recordings::mask_parser_wording(&mut have);
        assert_eq!(have, want, "{name}: JSON body");
    } else if content_type.contains("event-stream") {
        let events = |body: &[u8]| -> Vec<Value> {
            support::sse_data(body)
                .into_iter()
                .map(|data| serde_json::from_str(&data).unwrap_or(Value::String(data)))
                .map(|mut value| {
                    mask(&mut value, core2);
                    value
                })
                .collect()
        };
        assert_eq!(events(&got.body), events(&recorded.body), "{name}: events");
    } else {
        assert_eq!(
            String::from_utf8_lossy(&got.body),
            String::from_utf8_lossy(&recorded.body),
            "{name}: body"
        );
    }
}

async fn replay(folder: &str, dialect: Dialect, skip: &[&str]) -> usize {
    let emulator = Emulator::start(
        EmulatorConfig::new(dialect)
            .catalog(Catalog::tiny())
            .model_dir("/home/user/.foundry-local/cache/models"),
    )
    .await
    .expect("emulator starts");
    let core2 = dialect == Dialect::Core2;
    let mut replayed = 0;
    for (name, exchange) in recordings(folder) {
        if skip.iter().any(|prefix| name.starts_with(prefix)) {
            continue;
        }
        let bytes = raw_exchange(
            emulator.addr(),
            &exchange.request_bytes(),
            Duration::from_secs(10),
        )
        .await;
        let got = foundry_recordings::Exchange::parse_response(&bytes);
        let recorded = exchange.response();
        assert_eq!(
            got.status,
            recorded.status,
            "{name}: status\n{}",
            String::from_utf8_lossy(&got.body)
        );
        for header in ["content-type", "server", "cache-control", "allow"] {
            assert_eq!(
                got.header_values(header),
                recorded.header_values(header),
                "{name}: {header}"
            );
        }
        assert_eq!(got.is_chunked(), recorded.is_chunked(), "{name}: chunked");
        assert_eq!(
            got.header_values("date").is_empty(),
            recorded.header_values("date").is_empty(),
            "{name}: a Date header or none"
        );
        assert!(got.body_complete, "{name}: body complete");
        compare_bodies(&name, &recorded, &got, core2);
        replayed += 1;
    }
    emulator.shutdown().await;
    replayed
}

#[tokio::test]
async fn every_recorded_core2_exchange_replays() {
    let replayed = replay("foundry-core2", Dialect::Core2, &["61_"]).await;
    assert_eq!(replayed, 61);
}

#[tokio::test]
async fn every_recorded_core1_exchange_replays() {
    let replayed = replay("foundry-core1", Dialect::Core1, &["41-"]).await;
    assert_eq!(replayed, 40);
}
