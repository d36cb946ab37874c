//! The emulator against the real runtimes: one request set, sent in the same order to a real
//! Foundry Local runtime and to the matching emulator flavour serving the same models, and the
//! answers compared — status, content types, header quirks, JSON bodies (key sets and values)
//! and error messages. Run with `cargo xtask e2e`.
//!
//! Accepted differences, normalized before comparing (they vary between any two runs of the real
//! runtime itself):
//! - completion ids of the form `chatcmpl-<hex>`, `created` and `CreatedAt` timestamps;
//! - ports, paths and process ids: `/status`'s `endpoints`, `modelCachePath`, `modelDirPath`, `pid`;
//! - embedding vectors: only their length is compared (the emulator draws its own numbers);
//! - the order of `/v1/models` entries on the 1.x Core (it follows its model directory scan);
//! - header values that are timing or framing: `Date`, `Content-Length`.

use std::collections::BTreeMap;

use e2e::server_url;
use foundry_emulator::{
    Catalog, CatalogEntry, Dialect, Emulator, EmulatorConfig, TINY_ANSWER, Tokenizer,
};
use foundry_transport::http::{HeaderMap, HeaderName, HeaderValue, Method};
use foundry_transport::{ReqwestTransport, Transport, TransportRequest};
use serde_json::{Value, json};

/// One request of the set: a name for reports, then what goes on the wire.
struct Probe {
    name: &'static str,
    method: Method,
    path: &'static str,
    /// A body, sent with `Content-Type: application/json` unless `form` is set.
    body: Option<&'static str>,
    form: bool,
}

fn get(name: &'static str, path: &'static str) -> Probe {
    Probe {
        name,
        method: Method::GET,
        path,
        body: None,
        form: false,
    }
}

fn post(name: &'static str, path: &'static str, body: &'static str) -> Probe {
    Probe {
        name,
        method: Method::POST,
        path,
        body: Some(body),
        form: false,
    }
}

const CHAT: &str = "/v1/chat/completions";
const EMBED: &str = "/v1/embeddings";

/// The request set, in order: server state (what is loaded) follows the sequence.
fn probes() -> Vec<Probe> {
    vec![
        get("status", "/status"),
        get("model list", "/v1/models"),
        get("model by id", "/v1/models/tiny-chat-generic-cpu:1"),
        get("model by name", "/v1/models/tiny-chat-generic-cpu"),
        get(
            "model by encoded id",
            "/v1/models/tiny-chat-generic-cpu%3A1",
        ),
        get("loaded, none", "/models/loaded"),
        get("unload, not loaded", "/models/unload/tiny-chat"),
        post(
            "chat before load",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_tokens":4}"#,
        ),
        post(
            "chat, unknown model",
            CHAT,
            r#"{"model":"nope:1","messages":[{"role":"user","content":"hi"}]}"#,
        ),
        get("load, unknown", "/models/load/nope"),
        get("load by id", "/models/load/tiny-chat-generic-cpu:1"),
        get(
            "load by encoded id",
            "/models/load/tiny-chat-generic-cpu%3A1",
        ),
        get("unload by alias", "/models/unload/tiny-chat"),
        get("load by alias", "/models/load/tiny-chat"),
        get("load by alias again", "/models/load/tiny-chat"),
        get("loaded, one", "/models/loaded"),
        post(
            "chat",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_tokens":64}"#,
        ),
        post(
            "chat by alias",
            CHAT,
            r#"{"model":"tiny-chat","messages":[{"role":"user","content":"hi"}],"max_tokens":8}"#,
        ),
        post(
            "chat, max_tokens 5",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"max_tokens":5}"#,
        ),
        post(
            "chat, stop",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"stop":[" model"]}"#,
        ),
        post(
            "chat, max_completion_tokens",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":2}"#,
        ),
        post(
            "stream with usage",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}"#,
        ),
        post(
            "stream without usage",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_tokens":3,"stream":true}"#,
        ),
        post(
            "stream to the end",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_tokens":64,"stream":true,"stream_options":{"include_usage":true}}"#,
        ),
        post(
            "messages not an array",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":"hi"}"#,
        ),
        post(
            "messages empty",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[]}"#,
        ),
        post(
            "no messages",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1"}"#,
        ),
        post(
            "no model",
            CHAT,
            r#"{"messages":[{"role":"user","content":"hi"}]}"#,
        ),
        post("empty body", CHAT, ""),
        post("invalid JSON", CHAT, "{not json"),
        post(
            "max_tokens 0",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_tokens":0}"#,
        ),
        post(
            "max_tokens past the context",
            CHAT,
            r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_tokens":5000}"#,
        ),
        Probe {
            form: true,
            ..post(
                "chat without a JSON content type",
                CHAT,
                r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_tokens":2}"#,
            )
        },
        get("load embeddings model", "/models/load/tiny-embed"),
        post(
            "embeddings",
            EMBED,
            r#"{"model":"tiny-embed-generic-cpu:1","input":["hello","world"]}"#,
        ),
        post(
            "embeddings by alias",
            EMBED,
            r#"{"model":"tiny-embed","input":"hello"}"#,
        ),
        post(
            "embeddings of tokens",
            EMBED,
            r#"{"model":"tiny-embed-generic-cpu:1","input":[1,2,3]}"#,
        ),
        post(
            "embeddings of nothing",
            EMBED,
            r#"{"model":"tiny-embed-generic-cpu:1","input":[]}"#,
        ),
        post(
            "embeddings on a chat model",
            EMBED,
            r#"{"model":"tiny-chat-generic-cpu:1","input":"hello"}"#,
        ),
        post(
            "chat on the embeddings model",
            CHAT,
            r#"{"model":"tiny-embed-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"max_tokens":2}"#,
        ),
        get("loaded, two", "/models/loaded"),
        get("unload embeddings model", "/models/unload/tiny-embed"),
        post(
            "embeddings, not loaded",
            EMBED,
            r#"{"model":"tiny-embed-generic-cpu:1","input":"a"}"#,
        ),
        post(
            "stream, unknown model",
            CHAT,
            r#"{"model":"nope:1","messages":[{"role":"user","content":"hi"}],"stream":true}"#,
        ),
        post(
            "stream, not loaded",
            CHAT,
            r#"{"model":"tiny-embed-generic-cpu:1","messages":[{"role":"user","content":"hi"}],"stream":true}"#,
        ),
        get("unknown route", "/v1/nothing"),
        post("POST on a GET route", "/v1/models", "{}"),
        post("POST on the loaded list", "/models/loaded", "{}"),
        get("unload chat model", "/models/unload/tiny-chat"),
    ]
}

/// The real runtimes serve four generated models; the emulator gets the same four. Only the two
/// of `Catalog::tiny` answer requests here; the other two are listed, never used.
fn emulator_catalog() -> Catalog {
    let listed_only = |id: &str, alias: &str| {
        CatalogEntry::chat(id, alias)
            .fixed_answer(TINY_ANSWER)
            .cached(true)
            .context_length(4096)
            .tokenizer(Tokenizer::Bytes)
    };
    Catalog::tiny()
        .with_entry(listed_only("tiny-long-generic-cpu:1", "tiny-long"))
        .with_entry(listed_only(
            "tiny-notemplate-generic-cpu:1",
            "tiny-notemplate",
        ))
}

/// What a response looks like once the accepted differences are taken out.
#[derive(Debug, PartialEq)]
struct Seen {
    status: u16,
    content_types: Vec<String>,
    server: Option<String>,
    /// Header names with how often each came, without the timing and framing ones.
    headers: BTreeMap<String, usize>,
    allow: Option<String>,
    body: Body,
}

#[derive(Debug, PartialEq)]
enum Body {
    Empty,
    Json(Value),
    /// Server-sent events: each `data:` payload, JSON normalized or as text (`[DONE]`).
    Events(Vec<Value>),
    Text(String),
    /// The body could not be read to its end (the connection closed early).
    Cut(String),
}

/// Sends one probe; returns what is compared, and the `Connection` header values apart.
async fn send(transport: &ReqwestTransport, probe: &Probe) -> (Seen, Vec<String>) {
    let mut request = TransportRequest::new(probe.method.clone(), probe.path);
    if let Some(body) = probe.body {
        request = request.body(body.as_bytes().to_vec());
        let kind = if probe.form {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        request = request.header(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static(kind),
        );
    }
    let response = transport
        .send(request)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", probe.name));
    let (status, headers, body) = response.into_parts();
    let bytes = body.bytes_limited(16 * 1024 * 1024).await;
    let content_types = values(&headers, "content-type");
    let body = match bytes {
        Err(error) => Body::Cut(format!("{:?}", error.kind())),
        Ok(bytes) if bytes.is_empty() => Body::Empty,
        Ok(bytes)
            if content_types
                .iter()
                .any(|t| t.starts_with("text/event-stream")) =>
        {
            Body::Events(events(&bytes))
        }
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut json) => {
                normalize(&mut json);
                foundry_recordings::mask_parser_wording(&mut json);
                Body::Json(json)
            }
            Err(_) => Body::Text(String::from_utf8_lossy(&bytes).into_owned()),
        },
    };
    let mut counts = BTreeMap::new();
    for name in headers.keys() {
        if !["date", "content-length", "connection"].contains(&name.as_str()) {
            counts.insert(
                name.as_str().to_owned(),
                headers.get_all(name).iter().count(),
            );
        }
    }
    let seen = Seen {
        status: status.as_u16(),
        content_types,
        server: values(&headers, "server").into_iter().next(),
        headers: counts,
        allow: values(&headers, "allow").into_iter().next(),
        body,
    };
    (seen, values(&headers, "connection"))
}

fn values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap_or("?").to_owned())
        .collect()
}

fn events(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|data| match serde_json::from_str::<Value>(data.trim()) {
            Ok(mut json) => {
                normalize(&mut json);
                json
            }
            Err(_) => Value::from(data.trim()),
        })
        .collect()
}

/// Takes out what varies between any two runs (see the file's header).
fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match key.as_str() {
                    "created" | "CreatedAt" | "pid" | "endpoints" | "modelCachePath"
                    | "modelDirPath" => {
                        *item = json!("<varies>");
                    }
                    "id" if item.as_str().is_some_and(|id| id.starts_with("chatcmpl-")) => {
                        *item = json!("chatcmpl-<hex>");
                    }
                    "embedding" => *item = json!(item.as_array().map_or(0, Vec::len)),
                    _ => normalize(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

/// The 1.x Core lists models in the order it finds them on disk.
fn sort_model_list(seen: &mut Seen) {
    if let Body::Json(Value::Object(map)) = &mut seen.body
        && let Some(Value::Array(data)) = map.get_mut("data")
    {
        data.sort_by_key(|m| m["id"].as_str().unwrap_or_default().to_owned());
    }
}

/// One way the emulator answers differently: which request (or `CONNECTION`), and both answers.
#[derive(Debug)]
struct Disagreement {
    name: String,
    request: String,
    answers: String,
}

/// The `Connection` header is compared once per flavour, not per request: it is the same
/// difference on every answer.
const CONNECTION: &str = "the Connection header";

/// Sends the request set to the real runtime and to the emulator and returns every disagreement.
async fn disagreements(real_url: &str, dialect: Dialect) -> Vec<Disagreement> {
    let emulator = Emulator::start(EmulatorConfig::new(dialect).catalog(emulator_catalog()))
        .await
        .unwrap();
    let real = ReqwestTransport::builder()
        .base_url(real_url)
        .build()
        .unwrap();
    let emulated = ReqwestTransport::builder()
        .base_url(emulator.url())
        .build()
        .unwrap();
    // The real runtime may have models loaded by earlier tests; the emulator starts with none.
    for alias in ["tiny-chat", "tiny-embed", "tiny-long", "tiny-notemplate"] {
        let path = format!("/models/unload/{alias}");
        real.send(TransportRequest::get(path)).await.unwrap();
    }
    let mut found = Vec::new();
    for probe in probes() {
        let request = format!(
            "{} {} {}",
            probe.method,
            probe.path,
            probe.body.unwrap_or("")
        );
        let (mut from_real, real_connection) = send(&real, &probe).await;
        let (mut from_emulator, emulated_connection) = send(&emulated, &probe).await;
        if probe.path == "/v1/models" {
            sort_model_list(&mut from_real);
            sort_model_list(&mut from_emulator);
        }
        if from_real != from_emulator {
            let answers = format!("real:     {from_real:?}\nemulator: {from_emulator:?}");
            found.push(Disagreement {
                name: probe.name.to_owned(),
                request: request.clone(),
                answers,
            });
        }
        if real_connection != emulated_connection && !found.iter().any(|d| d.name == CONNECTION) {
            let answers =
                format!("real:     {real_connection:?}\nemulator: {emulated_connection:?}");
            found.push(Disagreement {
                name: CONNECTION.to_owned(),
                request,
                answers,
            });
        }
    }
    emulator.shutdown().await;
    found
}

/// Fails on any disagreement not listed in `awaiting_fix`, and on any listed one that is gone
/// (so the list only ever shrinks). Every disagreement is printed with both answers.
fn judge(flavour: &str, found: &[Disagreement], awaiting_fix: &[&str]) {
    for d in found {
        eprintln!("{flavour}: {} — {}\n{}\n", d.name, d.request, d.answers);
    }
    let new: Vec<&str> = found
        .iter()
        .map(|d| d.name.as_str())
        .filter(|name| !awaiting_fix.contains(name))
        .collect();
    let fixed: Vec<&&str> = awaiting_fix
        .iter()
        .filter(|name| !found.iter().any(|d| d.name == **name))
        .collect();
    assert!(
        new.is_empty(),
        "{flavour}: the emulator disagrees with the real runtime on {new:#?}"
    );
    assert!(
        fixed.is_empty(),
        "{flavour}: these now agree, take them off the list: {fixed:#?}"
    );
}

/// Disagreements of the `g2-core2` emulator reported for a fix in the emulator. Until then they
/// are tolerated here, by name, and nothing else is.
const CORE2_AWAITING_FIX: &[&str] = &[
    // Documented, not to be fixed: oatpp repeats `Connection: keep-alive` as two header lines on
    // streams; hyper, which serves the emulator, writes repeated Connection values as one
    // comma-separated line ("keep-alive, keep-alive"). HTTP treats the two alike.
    CONNECTION,
];

/// The same for the `g2-core1` emulator (the real answers are in the test's output).
const CORE1_AWAITING_FIX: &[&str] = &[];

#[tokio::test]
#[ignore = "needs the real Foundry Local runtimes started by `cargo xtask e2e`"]
async fn the_core2_emulator_answers_like_foundry_local_2_2_1() {
    let found = disagreements(&server_url("E2E_CORE2_URL"), Dialect::Core2).await;
    judge("core2", &found, CORE2_AWAITING_FIX);
}

#[tokio::test]
#[ignore = "needs the real Foundry Local runtimes started by `cargo xtask e2e`"]
async fn the_core1_emulator_answers_like_foundry_local_1_2_4() {
    let found = disagreements(&server_url("E2E_CORE1_URL"), Dialect::Core1).await;
    judge("core1", &found, CORE1_AWAITING_FIX);
}
