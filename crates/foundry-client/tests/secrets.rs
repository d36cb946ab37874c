//! The API key never appears in `Debug`, `Display`, error messages or logs (captured at TRACE).

use std::io::Write;
use std::sync::{Arc, Mutex};

use foundry_client::{ChatRequest, Config, FoundryClient, Message};
use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig, Fault, FaultRule};

const KEY: &str = "sk-VERY-SECRET-0123456789";

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_key_stays_out_of_debug_display_errors_and_trace_logs() {
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = Emulator::start(EmulatorConfig::new(Dialect::Core2).catalog(Catalog::tiny()))
        .await
        .unwrap();
    emulator
        .faults()
        .push(
            FaultRule::sequence([Some(Fault::status(503)), Some(Fault::status(401))])
                .on_route("POST /v1/chat/completions"),
        )
        .unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .api_key(KEY)
        .build()
        .unwrap();
    let error = client
        .chat(ChatRequest::new("tiny-chat", [Message::user("hi")]).max_tokens(3))
        .await
        .unwrap_err();
    client
        .chat(ChatRequest::new("tiny-chat", [Message::user("hi")]).max_tokens(3))
        .await
        .unwrap();

    let config =
        Config::from_lookup(|name| (name == "FOUNDRY_API_KEY").then(|| KEY.to_owned())).unwrap();
    let shown = [
        format!("{client:?}"),
        format!("{config:?}"),
        format!("{error}"),
        format!("{error:?}"),
        std::error::Error::source(&error)
            .map(|s| format!("{s} {s:?}"))
            .unwrap_or_default(),
    ];
    for text in &shown {
        assert!(!text.contains(KEY), "the key leaked: {text}");
    }
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("attempt"), "TRACE logs were captured");
    assert!(!logs.contains(KEY), "the key leaked into the logs");
}
