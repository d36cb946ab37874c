//! The emulator's own routes under `/_emulator/`: faults, counters and model state. They are
//! never faulted nor counted, so a test can always see what happened.

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::json;

use crate::faults::FaultPlan;
use crate::reply::Reply;
use crate::shared::Shared;

pub(crate) fn handle(shared: &Shared, method: &Method, path: &str, body: &Bytes) -> Reply {
    let json = |value: serde_json::Value| Reply::json(StatusCode::OK, value.to_string());
    let refuse = |status: StatusCode, message: String| {
        Reply::json(status, json!({"error": {"message": message}}).to_string())
    };
    match (method.as_str(), path) {
        ("GET", "/_emulator/faults") => json(json!(shared.faults.plan())),
        ("PUT" | "POST", "/_emulator/faults") => match serde_json::from_slice::<FaultPlan>(body) {
            Ok(plan) => match shared.faults.set(plan) {
                Ok(()) => json(json!(shared.faults.plan())),
                Err(error) => refuse(StatusCode::BAD_REQUEST, error.to_string()),
            },
            Err(error) => refuse(
                StatusCode::BAD_REQUEST,
                format!("invalid fault plan: {error}"),
            ),
        },
        ("DELETE", "/_emulator/faults") => {
            shared.faults.clear();
            json(json!(shared.faults.plan()))
        }
        ("GET", "/_emulator/stats") => json(json!(shared.stats.snapshot())),
        ("DELETE", "/_emulator/stats") => {
            shared.stats.reset();
            json(json!(shared.stats.snapshot()))
        }
        ("GET", "/_emulator/state") => {
            let now = tokio::time::Instant::now();
            let mut state = shared.state();
            let ids = |indexes: Vec<usize>| -> Vec<String> {
                indexes
                    .into_iter()
                    .map(|i| shared.catalog.entry(i).id().to_owned())
                    .collect()
            };
            let cached = ids(state.cached_models());
            let loaded = ids(state.loaded_models(now));
            json(json!({"dialect": shared.dialect.as_str(), "cached": cached, "loaded": loaded}))
        }
        _ => refuse(
            StatusCode::NOT_FOUND,
            format!("no emulator route {method} {path}"),
        ),
    }
}
