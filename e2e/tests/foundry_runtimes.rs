//! foundry-client against both real Foundry Local runtimes: the C++ Core of `foundry-local-sdk`
//! 2.2.1 ("core2") and the C# Core of `foundry-local-core` 1.2.4 ("core1"), each serving the tiny
//! generated models. Every test is written once and runs against each runtime (`core2::*`,
//! `core1::*`). Run with `cargo xtask e2e`, which prepares, starts and stops the runtimes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use e2e::server_url;
use foundry_client::{
    ChatRequest, Config, EmbeddingsRequest, ErrorKind, FinishReason, FoundryClient, LoadOutcome,
    Message, ServerKind,
};
use foundry_transport::mock::transport_fn;
use foundry_transport::{ReqwestTransport, SharedTransport, Transport};
use futures_util::StreamExt;

/// The tiny chat model's whole answer: 24 tokens, then it stops.
const ANSWER: &str = "Hello! I am a tiny test model served by Foundry Local: one two three four five six seven eight nine ten.";
const ANSWER_TOKENS: u64 = 24;
/// `<|user|>`, `h`, `i`, `<|end|>`, `<|assistant|>`.
const PROMPT_TOKENS: u64 = 5;
const CHAT: &str = "tiny-chat";
const CHAT_ID: &str = "tiny-chat-generic-cpu:1";
const IDS: [&str; 4] = [
    "tiny-chat-generic-cpu:1",
    "tiny-embed-generic-cpu:1",
    "tiny-long-generic-cpu:1",
    "tiny-notemplate-generic-cpu:1",
];

/// One real runtime started by `cargo xtask e2e`.
#[derive(Debug, Clone, Copy)]
struct Runtime {
    kind: ServerKind,
    url_variable: &'static str,
    launch_variable: &'static str,
}

const CORE2: Runtime = Runtime {
    kind: ServerKind::FoundryCore2,
    url_variable: "E2E_CORE2_URL",
    launch_variable: "E2E_CORE2_LAUNCH",
};

const CORE1: Runtime = Runtime {
    kind: ServerKind::FoundryCore1,
    url_variable: "E2E_CORE1_URL",
    launch_variable: "E2E_CORE1_LAUNCH",
};

impl Runtime {
    fn url(self) -> String {
        server_url(self.url_variable)
    }

    /// A client as most users build it: endpoint only, load-on-demand on.
    fn client(self) -> FoundryClient {
        FoundryClient::builder()
            .endpoint(self.url())
            .build()
            .expect("a valid endpoint")
    }

    /// A client that never loads a model by itself.
    fn client_without_load_on_demand(self) -> FoundryClient {
        FoundryClient::builder()
            .endpoint(self.url())
            .load_on_demand(false)
            .build()
            .expect("a valid endpoint")
    }
}

fn hi(model: &str) -> ChatRequest {
    ChatRequest::new(model, [Message::user("hi")])
}

/// Loads `alias` and returns the name inference needs.
async fn ready(client: &FoundryClient, alias: &str) -> String {
    client.ensure_ready(alias).await.unwrap().id
}

async fn discovery_through_the_endpoint_variable_detects_the_runtime(runtime: Runtime) {
    let url = runtime.url();
    let config =
        Config::from_lookup(|name| (name == "FOUNDRY_ENDPOINT").then(|| url.clone())).unwrap();
    let client = FoundryClient::builder().config(config).build().unwrap();
    assert_eq!(client.endpoint(), url);
    let info = client.server().await.unwrap();
    assert_eq!(info.kind, runtime.kind);
    assert!(
        info.model_dir
            .as_deref()
            .is_some_and(|dir| dir.contains("models-")),
        "{info:?}"
    );
    // Only the 2.x Core reports its process id.
    assert_eq!(
        info.pid.is_some(),
        runtime.kind == ServerKind::FoundryCore2,
        "{info:?}"
    );
}

async fn the_model_list_names_every_generated_model(runtime: Runtime) {
    let list = runtime.client().models_list().await.unwrap();
    let mut ids: Vec<&str> = list.ids().collect();
    ids.sort_unstable();
    match runtime.kind {
        // The 2.x Core lists `name:version` ids and never the alias.
        ServerKind::FoundryCore2 => {
            assert_eq!(ids, IDS);
            assert!(list.data.iter().all(|m| m.parent.is_none()), "{list:?}");
        }
        // The 1.x Core lists names without version, with the alias as `parent`.
        _ => {
            let bare: Vec<&str> = IDS.iter().map(|id| id.trim_end_matches(":1")).collect();
            assert_eq!(ids, bare);
            let chat = list
                .data
                .iter()
                .find(|m| m.id == "tiny-chat-generic-cpu")
                .unwrap();
            assert_eq!(chat.parent.as_deref(), Some(CHAT));
        }
    }
    assert!(
        list.data
            .iter()
            .all(|m| m.owned_by.as_deref() == Some("Microsoft")),
        "{list:?}"
    );
}

async fn ensure_ready_loads_by_alias_and_the_loaded_list_shows_the_id(runtime: Runtime) {
    let client = runtime.client();
    client.unload(CHAT, false).await.unwrap();
    assert!(
        !client
            .loaded_models()
            .await
            .unwrap()
            .contains(&CHAT_ID.to_owned())
    );
    let ready = client.ensure_ready(CHAT).await.unwrap();
    assert_eq!(ready.requested, CHAT);
    // The 2.x Core infers by id only; the 1.x Core takes the alias as it is.
    let expected = if runtime.kind == ServerKind::FoundryCore2 {
        CHAT_ID
    } else {
        CHAT
    };
    assert_eq!(ready.id, expected);
    assert!(
        client
            .loaded_models()
            .await
            .unwrap()
            .contains(&CHAT_ID.to_owned())
    );
    // Idempotent: a second call finds it loaded.
    assert_eq!(client.ensure_ready(CHAT).await.unwrap().id, expected);
}

async fn chat_returns_exactly_the_fixed_answer_with_consistent_usage(runtime: Runtime) {
    let client = runtime.client();
    ready(&client, CHAT).await;
    let answer = client.chat(hi(CHAT).max_tokens(64)).await.unwrap();
    assert_eq!(answer.text().as_deref(), Some(ANSWER));
    assert_eq!(answer.finish_reason(), Some(&FinishReason::Stop));
    let usage = answer.usage.unwrap();
    assert_eq!(
        (usage.prompt_tokens, usage.completion_tokens),
        (PROMPT_TOKENS, ANSWER_TOKENS)
    );
    assert_eq!(
        usage.total_tokens,
        usage.prompt_tokens + usage.completion_tokens
    );
}

async fn streaming_yields_the_same_text_and_one_final_usage(runtime: Runtime) {
    let client = runtime.client();
    ready(&client, CHAT).await;
    let mut stream = client.chat_stream(hi(CHAT).max_tokens(64)).await.unwrap();
    let (mut text, mut last_usage, mut finish) = (String::new(), None, None);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        text.push_str(chunk.text().unwrap_or_default());
        // The 1.x Core sends a running usage on every chunk; the last one is final.
        last_usage = chunk.usage.clone().or(last_usage);
        finish = chunk
            .choices
            .iter()
            .find_map(|c| c.finish_reason.clone())
            .or(finish);
    }
    assert_eq!(text, ANSWER);
    assert_eq!(finish, Some(FinishReason::Stop));
    let usage = last_usage.expect("a usage");
    assert_eq!(
        (usage.prompt_tokens, usage.completion_tokens),
        (PROMPT_TOKENS, ANSWER_TOKENS)
    );

    let collected = client
        .chat_stream(hi(CHAT).max_tokens(64))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(collected.text().as_deref(), Some(ANSWER));
    assert_eq!(collected.choices.len(), 1);
    let usage = collected.usage.expect("one usage in the collected answer");
    assert_eq!(usage.completion_tokens, ANSWER_TOKENS);
    assert_eq!(usage.total_tokens, PROMPT_TOKENS + ANSWER_TOKENS);
}

async fn max_tokens_below_the_answer_gives_finish_reason_length(runtime: Runtime) {
    let client = runtime.client();
    ready(&client, CHAT).await;
    let answer = client.chat(hi(CHAT).max_tokens(5)).await.unwrap();
    assert_eq!(answer.finish_reason(), Some(&FinishReason::Length));
    let text = answer.text().unwrap();
    assert!(
        text.len() < ANSWER.len() && ANSWER.starts_with(&text),
        "{text:?}"
    );
    assert_eq!(answer.usage.unwrap().completion_tokens, 5);

    let streamed = client
        .chat_stream(hi(CHAT).max_tokens(5))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(streamed.text(), Some(text));
    assert_eq!(streamed.finish_reason(), Some(&FinishReason::Length));
}

async fn embeddings_are_deterministic_and_of_the_model_dimension(runtime: Runtime) {
    let client = runtime.client();
    ready(&client, "tiny-embed").await;
    let embed = |input: Vec<&str>| client.embeddings(EmbeddingsRequest::new("tiny-embed", input));
    let one = embed(vec!["hello"]).await.unwrap();
    let again = embed(vec!["hello"]).await.unwrap();
    let two = embed(vec!["hello", "world"]).await.unwrap();
    assert_eq!(one.data.len(), 1);
    assert_eq!(one.data[0].embedding.len(), 32);
    assert_eq!(one.data[0].embedding, again.data[0].embedding);
    assert_eq!(two.data.len(), 2);
    assert_eq!(two.data[0].embedding, one.data[0].embedding);
    assert_ne!(two.data[1].embedding, one.data[0].embedding);
    assert_eq!((two.data[0].index, two.data[1].index), (0, 1));
}

async fn chat_before_load_is_not_loaded_and_load_on_demand_loads_by_alias(runtime: Runtime) {
    let lazy = runtime.client_without_load_on_demand();
    lazy.unload(CHAT, false).await.unwrap();
    let error = lazy.chat(hi(CHAT_ID).max_tokens(4)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ModelNotLoaded, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(
        error.api_error().unwrap().message.contains(CHAT_ID),
        "{error}"
    );

    let eager = runtime.client();
    let answer = eager.chat(hi(CHAT).max_tokens(64)).await.unwrap();
    assert_eq!(answer.text().as_deref(), Some(ANSWER));
    assert!(
        eager
            .loaded_models()
            .await
            .unwrap()
            .contains(&CHAT_ID.to_owned())
    );
}

async fn a_stream_before_load_loads_on_demand(runtime: Runtime) {
    let client = runtime.client();
    client.unload(CHAT, false).await.unwrap();
    let stream = client.chat_stream(hi(CHAT).max_tokens(64)).await.unwrap();
    let answer = stream.collect().await.unwrap();
    assert_eq!(answer.text().as_deref(), Some(ANSWER));
}

async fn an_unknown_model_is_a_typed_error(runtime: Runtime) {
    let client = runtime.client();
    let load = client.load("no-such-model", None).await.unwrap_err();
    assert_eq!(load.kind(), ErrorKind::ModelNotFound, "{load}");
    let lazy = runtime.client_without_load_on_demand();
    let chat = lazy
        .chat(hi("no-such-model:1").max_tokens(4))
        .await
        .unwrap_err();
    match runtime.kind {
        // The 2.x Core says so: 404 "Model not found".
        ServerKind::FoundryCore2 => {
            assert_eq!(chat.kind(), ErrorKind::ModelNotFound, "{chat}");
            assert_eq!(chat.status().map(|s| s.as_u16()), Some(404));
        }
        // The 1.x Core answers an unknown model with its "is not loaded" 400.
        _ => {
            assert_eq!(chat.kind(), ErrorKind::ModelNotLoaded, "{chat}");
            assert_eq!(chat.status().map(|s| s.as_u16()), Some(400));
        }
    }
    // With load-on-demand the client tries to load it first; the load fails on both (404 on the
    // 2.x Core, an empty 500 on the 1.x Core), and the client reports the runtime's own refusal.
    let eager = client
        .chat(hi("no-such-model").max_tokens(4))
        .await
        .unwrap_err();
    assert_eq!(eager.kind(), chat.kind(), "{eager}");
    // Streamed, the 1.x Core closes its stream before a byte; the client's load then says it.
    let streamed = client.chat_stream(hi("no-such-model")).await.unwrap_err();
    assert_eq!(streamed.kind(), ErrorKind::ModelNotFound, "{streamed}");
}

async fn messages_not_an_array_is_a_typed_error_sent_once(runtime: Runtime) {
    // A counting transport over the real one: how many times the request went out.
    let sent = Arc::new(AtomicUsize::new(0));
    let inner = Arc::new(
        ReqwestTransport::builder()
            .base_url(runtime.url())
            .build()
            .unwrap(),
    );
    let counter = sent.clone();
    let transport = transport_fn(move |request| {
        if request.path() == "/v1/chat/completions" {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        let inner = inner.clone();
        async move { inner.send(request).await }
    });
    let client = FoundryClient::builder()
        .endpoint(runtime.url())
        .transport(SharedTransport::new(transport))
        .retries(3)
        .build()
        .unwrap();
    let id = ready(&client, CHAT).await;
    let body = serde_json::json!({"model": id, "messages": "hi", "max_tokens": 4});
    let error = client
        .post_raw("/v1/chat/completions", &body)
        .await
        .unwrap_err();
    let message = &error.api_error().expect("the server's message").message;
    match runtime.kind {
        ServerKind::FoundryCore2 => {
            assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
            assert!(
                message.contains("type must be array, but is string"),
                "{message}"
            );
        }
        // The 1.x Core reports a bad body as a 500 with .NET's words: deterministic, never retried.
        _ => {
            assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
            assert!(
                message.starts_with("Invalid OpenAI JSON request"),
                "{message}"
            );
            assert!(message.contains("Path: $.messages"), "{message}");
        }
    }
    assert_eq!(error.kind(), ErrorKind::Api);
    assert!(!error.is_retryable(), "{error}");
    assert_eq!(sent.load(Ordering::SeqCst), 1, "sent exactly once");
}

async fn unload_then_the_model_is_no_longer_loaded(runtime: Runtime) {
    let client = runtime.client();
    ready(&client, CHAT).await;
    let first = client.unload(CHAT, false).await.unwrap();
    let again = client.unload(CHAT, false).await.unwrap();
    match runtime.kind {
        ServerKind::FoundryCore2 => {
            assert_eq!(
                (first, again),
                (LoadOutcome::Unloaded, LoadOutcome::NotLoaded)
            );
        }
        // The 1.x Core answers both with an empty 200.
        _ => assert_eq!(
            (first, again),
            (LoadOutcome::Accepted, LoadOutcome::Accepted)
        ),
    }
    assert!(
        !client
            .loaded_models()
            .await
            .unwrap()
            .contains(&CHAT_ID.to_owned())
    );
}

async fn a_failure_after_the_stream_started_is_an_error_not_a_short_answer(runtime: Runtime) {
    let client = runtime.client();
    ready(&client, "tiny-notemplate").await;
    let stream = client
        .chat_stream(hi("tiny-notemplate").max_tokens(8))
        .await
        .unwrap();
    let error = stream.collect().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted, "{error}");
    match runtime.kind {
        // The 2.x Core sends one error event after the headers.
        ServerKind::FoundryCore2 => {
            let api = error.api_error().expect("the server's error event");
            assert_eq!(api.message, "Empty chat template.");
        }
        // The 1.x Core sends the headers, then closes without a single event.
        _ => assert_eq!(error.chunks_received(), Some(0), "{error}"),
    }
}

async fn the_runtime_killed_mid_stream_is_stream_interrupted(runtime: Runtime) {
    let mut own = OwnRuntime::start(runtime);
    let client = FoundryClient::builder()
        .endpoint(own.url.clone())
        .build()
        .unwrap();
    ready(&client, "tiny-long").await;
    // tiny-long never stops by itself: this stream would run for minutes.
    let request = hi("tiny-long").max_tokens(60_000);
    let mut stream = client.chat_stream(request).await.unwrap();
    let first = stream.next().await.expect("a first chunk").unwrap();
    assert!(first.choices.len() <= 1, "{first:?}");
    own.kill();
    let mut chunks = 1;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => chunks += 1,
            Some(Err(error)) => break error,
            None => panic!("the stream ended cleanly after {chunks} chunks"),
        }
    };
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted, "{error}");
    assert!(chunks < 60_000, "{chunks} chunks");
    let partial = error.partial().and_then(|p| p.text()).unwrap_or_default();
    // How much arrived before the kill depends on timing; it is at least the first chunk's word.
    assert!(partial.starts_with("Hello"), "{partial:?}");
}

/// A runtime instance of the test's own, started from the launcher command `cargo xtask e2e`
/// passes in, with a state directory of its own; killed by PID when dropped.
struct OwnRuntime {
    child: Child,
    url: String,
    state: std::path::PathBuf,
}

impl OwnRuntime {
    fn start(runtime: Runtime) -> Self {
        let launch = std::env::var(runtime.launch_variable).unwrap_or_else(|_| {
            panic!(
                "{} is not set: run with `cargo xtask e2e`",
                runtime.launch_variable
            )
        });
        let argv: Vec<String> = serde_json::from_str(&launch).expect("a JSON array of arguments");
        let state = std::env::temp_dir().join(format!(
            "foundry-e2e-{}-{}",
            runtime.url_variable,
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(&state).unwrap();
        let log = std::fs::File::create(state.join("launcher.log")).unwrap();
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .arg("--state")
            .arg(&state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("the launcher starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (found, url) = mpsc::channel();
        // Reads until the launcher's stdout closes, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("FOUNDRY_LOCAL_URL=") {
                    let _ = found.send(url.to_owned());
                }
            }
        });
        let mut own = Self {
            child,
            url: String::new(),
            state,
        };
        match url.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => own.url = url,
            Err(_) => panic!(
                "the runtime did not print its URL; see {}",
                own.state.display()
            ),
        }
        own
    }

    /// SIGKILL: the runtime gets no chance to finish what it is sending.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

/// Runs each test once per runtime: `core2::<test>` and `core1::<test>`.
macro_rules! on_both_runtimes {
    ($($test:ident),* $(,)?) => {
        mod core2 {
            $(
                #[tokio::test]
                #[ignore = "needs the real Foundry Local runtimes started by `cargo xtask e2e`"]
                async fn $test() {
                    super::$test(super::CORE2).await;
                }
            )*
        }
        mod core1 {
            $(
                #[tokio::test]
                #[ignore = "needs the real Foundry Local runtimes started by `cargo xtask e2e`"]
                async fn $test() {
                    super::$test(super::CORE1).await;
                }
            )*
        }
    };
}

on_both_runtimes!(
    discovery_through_the_endpoint_variable_detects_the_runtime,
    the_model_list_names_every_generated_model,
    ensure_ready_loads_by_alias_and_the_loaded_list_shows_the_id,
    chat_returns_exactly_the_fixed_answer_with_consistent_usage,
    streaming_yields_the_same_text_and_one_final_usage,
    max_tokens_below_the_answer_gives_finish_reason_length,
    embeddings_are_deterministic_and_of_the_model_dimension,
    chat_before_load_is_not_loaded_and_load_on_demand_loads_by_alias,
    a_stream_before_load_loads_on_demand,
    an_unknown_model_is_a_typed_error,
    messages_not_an_array_is_a_typed_error_sent_once,
    unload_then_the_model_is_no_longer_loaded,
    a_failure_after_the_stream_started_is_an_error_not_a_short_answer,
    the_runtime_killed_mid_stream_is_stream_interrupted,
);
