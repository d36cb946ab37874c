//! Every exchange recorded from the two real Foundry Local runtimes (C++ Core 2.2.1 and C# Core
//! 1.2.4), replayed against the client.
//!
//! A loopback server answers each request with the recorded response, byte for byte (status line,
//! duplicated headers, chunked framing, a body cut short), except that `Content-Length` is
//! recomputed where the recording's body was edited (local paths replaced). The client makes the
//! call a user would make for that exchange; the test checks the request line and JSON body it
//! sent against the recorded request — where the client would send that request at all — and the
//! value or typed error the client made of the answer.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use foundry_client::{
    ChatRequest, EmbeddingsRequest, ErrorKind, FinishReason, FoundryClient, LoadOutcome, ServerKind,
};
use foundry_recordings::Exchange;
use serde_json::Value;

const FULL: &str = "Hello! I am a tiny test model served by Foundry Local: one two three four five six seven eight nine ten.";
const SIXTEEN: &str = "Hello! I am a tiny test model served by Foundry Local: one two three";
const CHAT_ID: &str = "tiny-chat-generic-cpu:1";
const EMBED_ID: &str = "tiny-embed-generic-cpu:1";

/// The client call made for an exchange.
#[derive(Debug, Clone, Copy)]
enum Call {
    /// Server detection (`server()`), from scratch.
    Detect,
    /// `models_list()`.
    Models,
    /// `get_raw` of the recorded path.
    GetRaw,
    /// `loaded_models()`.
    Loaded,
    /// `load(name)`.
    Load(&'static str),
    /// `unload(name)`.
    Unload(&'static str),
    /// `chat` with the recorded body read as a `ChatRequest`.
    Chat,
    /// `chat_stream(..).collect()` with the recorded body read as a `ChatRequest`.
    Stream,
    /// `embeddings` with the recorded body read as an `EmbeddingsRequest`.
    Embed,
    /// `post_raw` of the recorded JSON body to the recorded path (bodies the typed API cannot
    /// express, like `messages` that is not an array).
    PostRaw,
    /// A chat the client can send, for a recorded request it never sends (invalid JSON, an empty
    /// body): only what the client makes of the answer is checked.
    ChatInstead,
    /// The same for embeddings.
    EmbedInstead,
}

/// Whether the client sends the recorded request itself.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sent {
    /// Yes: the request line and the JSON body must match (plus the defaults the client always
    /// sends: `stream_options.include_usage` on streams, `encoding_format` on embeddings).
    Same,
    /// No (a percent-encoded `:`, a body the client never writes): only the answer is checked.
    Never,
}

/// What the client must make of the answer.
#[derive(Debug, Clone)]
enum Expect {
    Kind(ServerKind),
    Ids(&'static [&'static str]),
    /// `get_raw`'s JSON answer has this `id`.
    Id(&'static str),
    Outcome(LoadOutcome),
    /// Text, finish reason, and the total tokens of the usage (`None`: no usage sent).
    Answer(&'static str, FinishReason, Option<u64>),
    /// This many 32-dimension vectors.
    Vectors(usize),
    /// A typed error: kind, HTTP status (none for errors raised after a stream started or made
    /// by the client itself), and a fragment of its message.
    Fails(ErrorKind, Option<u16>, &'static str),
}

use Call::*;
use Expect::*;
use FinishReason::{Length, Stop};
use Sent::{Never, Same};

fn core2_case(file: &str) -> (Call, Sent, Expect) {
    match file {
        "00_status.txt" => (Detect, Same, Kind(ServerKind::FoundryCore2)),
        "01_v1_models.txt" => (Models, Same, Ids(&[CHAT_ID, EMBED_ID])),
        "02_v1_models_id_enc.txt" => (
            GetRaw,
            Same,
            Fails(ErrorKind::ModelNotFound, Some(404), "%3A1"),
        ),
        "03_v1_models_id_raw.txt" => (GetRaw, Same, Id(CHAT_ID)),
        "04_loaded_empty.txt" | "29_loaded_after.txt" => (Loaded, Same, Ids(&[])),
        "05_chat_before_load.txt" => (
            Chat,
            Same,
            Fails(ErrorKind::ModelNotLoaded, Some(400), "must be loaded"),
        ),
        "06_chat_unknown_model.txt" => (
            Chat,
            Same,
            Fails(ErrorKind::ModelNotFound, Some(404), "'nope:1'"),
        ),
        "07_load_unknown.txt" => (
            Load("nope"),
            Same,
            Fails(ErrorKind::ModelNotFound, Some(404), "'nope'"),
        ),
        // The client never encodes `:`; given an id, it explains that 2.x loads by alias.
        "08_load_id_enc.txt" => (
            Load(CHAT_ID),
            Never,
            Fails(ErrorKind::ModelNotFound, None, "by alias"),
        ),
        "09_load_id_raw.txt" => (
            Load(CHAT_ID),
            Same,
            Fails(ErrorKind::ModelNotFound, None, "by alias"),
        ),
        "10_load_name.txt" => (
            Load("tiny-chat-generic-cpu"),
            Same,
            Fails(
                ErrorKind::ModelNotFound,
                Some(404),
                "'tiny-chat-generic-cpu'",
            ),
        ),
        "11_load_alias.txt" | "32_load_alias.txt" => {
            (Load("tiny-chat"), Same, Outcome(LoadOutcome::Loaded))
        }
        "12_load_alias_again.txt" | "40_load_chat.txt" => {
            (Load("tiny-chat"), Same, Outcome(LoadOutcome::AlreadyLoaded))
        }
        "13_loaded.txt" => (Loaded, Same, Ids(&[CHAT_ID])),
        "14_chat_nonstream.txt" | "33_chat_nonstream16.txt" => {
            (Chat, Same, Answer(SIXTEEN, Length, Some(21)))
        }
        "15_chat_alias_model.txt" => (
            Chat,
            Same,
            Fails(ErrorKind::ModelNotFound, Some(404), "'tiny-chat'"),
        ),
        "16_chat_stream_usage.txt" | "35_chat_stream_usage.txt" => {
            (Stream, Same, Answer("Hello! I", Length, Some(8)))
        }
        // Recorded without `include_usage`: the server sent no usage chunk.
        "17_chat_stream_nousage.txt" | "36_chat_stream_nousage.txt" => {
            (Stream, Same, Answer("Hello!", Length, None))
        }
        "18_chat_messages_not_array.txt" => (
            PostRaw,
            Same,
            Fails(ErrorKind::Api, Some(400), "type must be array"),
        ),
        "19_chat_no_messages.txt" => (
            PostRaw,
            Same,
            Fails(ErrorKind::Api, Some(400), "key 'messages' not found"),
        ),
        "20_chat_no_model.txt" => (
            PostRaw,
            Same,
            Fails(ErrorKind::Api, Some(400), "key 'model' not found"),
        ),
        "21_chat_empty_body.txt" => (
            ChatInstead,
            Never,
            Fails(ErrorKind::Api, Some(400), "Empty request body"),
        ),
        "22_chat_invalid_json.txt" => (
            ChatInstead,
            Never,
            Fails(ErrorKind::Api, Some(400), "Invalid JSON"),
        ),
        "23_embeddings_chatmodel.txt" | "48_embed_on_chat_model.txt" => (
            Embed,
            Same,
            Fails(ErrorKind::Api, Some(500), "'hidden_states' was not found"),
        ),
        "24_embeddings_unknown.txt" => (
            Embed,
            Same,
            Fails(ErrorKind::ModelNotFound, Some(404), "nope:1"),
        ),
        "25_embeddings_empty_input.txt" => (
            Embed,
            Same,
            Fails(ErrorKind::Api, Some(400), "must not be empty"),
        ),
        "26_unload_id.txt" => (
            Unload(CHAT_ID),
            Same,
            Fails(ErrorKind::ModelNotFound, Some(404), CHAT_ID),
        ),
        "27_unload_alias.txt" => (Unload("tiny-chat"), Same, Outcome(LoadOutcome::Unloaded)),
        "28_unload_alias_again.txt" => (Unload("tiny-chat"), Same, Outcome(LoadOutcome::NotLoaded)),
        // oatpp's plain-text 404 for a route it does not have.
        "30_unknown_route.txt" => (
            GetRaw,
            Same,
            Fails(
                ErrorKind::Api,
                Some(404),
                "No mapping for HTTP-method: 'GET'",
            ),
        ),
        "31_post_on_get_route.txt" => (
            PostRaw,
            Same,
            Fails(
                ErrorKind::Api,
                Some(404),
                "No mapping for HTTP-method: 'POST'",
            ),
        ),
        "34_chat_max2.txt" => (Chat, Same, Answer("Hello!", Length, Some(17))),
        "37_chat_nomax.txt" | "42_chat_nomax.txt" | "43_chat_max300.txt" => {
            (Chat, Same, Answer(FULL, Stop, Some(29)))
        }
        "38_chat_temp_seed.txt" => (Chat, Same, Answer("Hello! I am", Length, Some(9))),
        "39_chat_empty_messages.txt" => (
            Chat,
            Same,
            Fails(
                ErrorKind::Api,
                Some(400),
                "Missing required field: messages",
            ),
        ),
        "41_load_embed.txt" => (Load("tiny-embed"), Same, Outcome(LoadOutcome::Loaded)),
        "44_chat_max5000.txt" => (
            Chat,
            Same,
            Fails(ErrorKind::Api, Some(400), "maximum context length"),
        ),
        "45_chat_max0.txt" => (
            Chat,
            Same,
            Fails(ErrorKind::Api, Some(400), "max_output_tokens must be >= 1"),
        ),
        "46_chat_max_completion_tokens.txt"
        | "47_chat_on_embed_model.txt"
        | "59_chat_multi_n.txt" => (Chat, Same, Answer("Hello!", Length, Some(7))),
        "49_embed_list.txt" => (Embed, Same, Vectors(2)),
        "50_embed_alias.txt" => (
            Embed,
            Same,
            Fails(ErrorKind::ModelNotFound, Some(404), "tiny-embed"),
        ),
        "51_embed_tokens_input.txt" => (
            Embed,
            Same,
            Fails(ErrorKind::Api, Some(400), "type must be string"),
        ),
        "52_embed_no_input.txt" => (
            PostRaw,
            Same,
            Fails(ErrorKind::Api, Some(400), "key 'input' not found"),
        ),
        "53_embed_empty_body.txt" => (
            EmbedInstead,
            Never,
            Fails(ErrorKind::Api, Some(400), "Empty request body"),
        ),
        "54_embed_invalid_json.txt" => (
            EmbedInstead,
            Never,
            Fails(ErrorKind::Api, Some(400), "Invalid JSON"),
        ),
        "55_unload_embed.txt" => (Unload("tiny-embed"), Same, Outcome(LoadOutcome::Unloaded)),
        "56_embed_not_loaded.txt" => (
            Embed,
            Same,
            Fails(ErrorKind::ModelNotLoaded, Some(400), EMBED_ID),
        ),
        // Errors found before a stream starts are ordinary JSON answers.
        "57_chat_stream_bad_model.txt" => (
            Stream,
            Same,
            Fails(ErrorKind::ModelNotFound, Some(404), "'nope:1'"),
        ),
        "58_chat_stream_not_loaded.txt" => (
            Stream,
            Same,
            Fails(ErrorKind::ModelNotLoaded, Some(400), EMBED_ID),
        ),
        "60_chat_stop_seq.txt" => (
            Chat,
            Same,
            Answer("Hello! I am a tiny test", Stop, Some(13)),
        ),
        // An error event after the headers, and no [DONE].
        "61_chat_stream_midstream_error.txt" => (
            Stream,
            Same,
            Fails(ErrorKind::StreamInterrupted, None, "Empty chat template."),
        ),
        other => panic!("no replay case for the core2 recording {other}"),
    }
}

fn core1_case(file: &str) -> (Call, Sent, Expect) {
    let accepted = || Outcome(LoadOutcome::Accepted); // the 1.x Core answers load and unload with an empty 200
    match file {
        "01-status.txt" => (Detect, Same, Kind(ServerKind::FoundryCore1)),
        "02-v1-models.txt" => (
            Models,
            Same,
            Ids(&["tiny-embed-generic-cpu", "tiny-chat-generic-cpu"]),
        ),
        "03-loaded-initial.txt" | "34-loaded-final.txt" => (Loaded, Same, Ids(&[])),
        "04-chat-before-load.txt" => (
            Chat,
            Same,
            Fails(ErrorKind::ModelNotLoaded, Some(400), "is not loaded"),
        ),
        "05-load-alias.txt" | "18-load-alias-for-chat.txt" | "39-load-alias-again.txt" => {
            (Load("tiny-chat"), Same, accepted())
        }
        "06-loaded-after-load-alias.txt"
        | "09-loaded-after-load-id-raw.txt"
        | "12-loaded-after-load-id-pct3A.txt" => (Loaded, Same, Ids(&[CHAT_ID])),
        "07-unload-alias.txt" | "17-unload-not-loaded.txt" | "33-unload-chat-alias.txt" => {
            (Unload("tiny-chat"), Same, accepted())
        }
        "08-load-id-raw.txt" => (Load(CHAT_ID), Same, accepted()),
        "10-unload-id-raw.txt" => (Unload(CHAT_ID), Same, accepted()),
        "11-load-id-pct3A.txt" => (Load(CHAT_ID), Never, accepted()),
        "13-unload-id-pct3A.txt" => (Unload(CHAT_ID), Never, accepted()),
        "14-load-name-noversion.txt" => (Load("tiny-chat-generic-cpu"), Same, accepted()),
        "15-unload-name-noversion.txt" => (Unload("tiny-chat-generic-cpu"), Same, accepted()),
        // An empty 500: the client names it for what it is.
        "16-load-unknown.txt" => (
            Load("no-such-model"),
            Same,
            Fails(ErrorKind::ModelNotFound, None, "empty 500"),
        ),
        "19-chat-id.txt" | "20-chat-alias.txt" | "21-chat-name-noversion.txt" => {
            (Chat, Same, Answer(SIXTEEN, Length, Some(21)))
        }
        // Usage on every chunk, and a usage chunk even when it was not asked for.
        "22-chat-stream-usage.txt" | "23-chat-stream-nousage.txt" => {
            (Stream, Same, Answer("Hello! I", Length, Some(8)))
        }
        "24-chat-unknown-model.txt" => (
            Chat,
            Same,
            Fails(
                ErrorKind::ModelNotLoaded,
                Some(400),
                "'no-such-model' is not loaded",
            ),
        ),
        "25-chat-messages-not-array.txt" => (
            PostRaw,
            Same,
            Fails(ErrorKind::Api, Some(500), "Invalid OpenAI JSON request"),
        ),
        "26-chat-invalid-json.txt" => (
            ChatInstead,
            Never,
            Fails(
                ErrorKind::Api,
                Some(500),
                "invalid start of a property name",
            ),
        ),
        "27-chat-no-model-field.txt" => (
            PostRaw,
            Same,
            Fails(ErrorKind::Api, Some(400), "(Parameter 'Model')"),
        ),
        "28-load-embed-alias.txt" => (Load("tiny-embed"), Same, accepted()),
        "29-loaded-both.txt" => (Loaded, Same, Ids(&[EMBED_ID, CHAT_ID])),
        "30-embeddings-id.txt" => (Embed, Same, Vectors(2)),
        "31-embeddings-alias.txt" => (Embed, Same, Vectors(1)),
        "32-unload-embed-alias.txt" => (Unload("tiny-embed"), Same, accepted()),
        // Kestrel's empty 404 and 405.
        "35-unknown-route.txt" => (GetRaw, Same, Fails(ErrorKind::Api, Some(404), "")),
        "36-wrong-method-post-loaded.txt" => (PostRaw, Same, Fails(ErrorKind::Api, Some(405), "")),
        "37-v1-models-by-id.txt" => (
            GetRaw,
            Same,
            Fails(ErrorKind::ModelNotFound, Some(404), "does not exist"),
        ),
        "38-v1-models-by-name.txt" => (GetRaw, Same, Id("tiny-chat-generic-cpu")),
        "40-embeddings-chat-model.txt" => (
            Embed,
            Same,
            Fails(ErrorKind::Api, Some(400), "Failed to get embeddings"),
        ),
        // Stream headers, then the connection closes: no event, no final chunk.
        "41-chat-stream-no-chat-template.txt" => {
            (Stream, Same, Fails(ErrorKind::StreamInterrupted, None, ""))
        }
        other => panic!("no replay case for the core1 recording {other}"),
    }
}

#[tokio::test]
async fn every_core2_recording_replays_against_the_client() {
    replay_folder("foundry-core2", ServerKind::FoundryCore2, core2_case).await;
}

#[tokio::test]
async fn every_core1_recording_replays_against_the_client() {
    replay_folder("foundry-core1", ServerKind::FoundryCore1, core1_case).await;
}

/// The 1.x Core reports a bad body as a 500 with .NET's words: deterministic, so even a client
/// with retries on sends it once.
#[tokio::test]
async fn the_v1_cores_500_for_a_bad_body_is_not_retried() {
    let exchange = Exchange::read(&fixtures().join("foundry-core1/25-chat-messages-not-array.txt"));
    let server = ReplayServer::start(exchange.replayed_response());
    let client = FoundryClient::builder()
        .endpoint(&server.url)
        .server_kind(ServerKind::FoundryCore1)
        .retries(3)
        .build()
        .unwrap();
    let body: Value = serde_json::from_slice(&exchange.request_body).unwrap();
    let error = client
        .post_raw("/v1/chat/completions", &body)
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert!(!error.is_retryable(), "{error}");
    assert_eq!(server.requests().len(), 1, "sent once");
}

/// The 1.x Core answers a load of an unknown model with an empty 500, every time: sent once, it
/// is a typed "not found" at once, and it does not add up to an open circuit breaker.
#[tokio::test]
async fn the_v1_cores_empty_500_on_load_is_not_retried() {
    let exchange = Exchange::read(&fixtures().join("foundry-core1/16-load-unknown.txt"));
    let server = ReplayServer::start(exchange.replayed_response());
    let client = FoundryClient::builder()
        .endpoint(&server.url)
        .server_kind(ServerKind::FoundryCore1)
        .retries(3)
        .build()
        .unwrap();
    for attempt in 1..=3 {
        let started = std::time::Instant::now();
        let error = client.load("no-such-model", None).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ModelNotFound, "{error}");
        assert!(
            started.elapsed() < std::time::Duration::from_millis(400),
            "no backoff waits"
        );
        assert_eq!(server.requests().len(), attempt, "sent once per call");
    }
}

/// The 1.x Core refuses a stream for a model it has not loaded with stream headers and a body
/// that closes before a byte. With load-on-demand the client loads the model and asks again.
#[tokio::test]
async fn a_v1_stream_that_closes_before_a_byte_loads_the_model_and_asks_again() {
    let v1 = fixtures().join("foundry-core1");
    let recorded = |file: &str| Exchange::read(&v1.join(file)).replayed_response();
    let request =
        || ChatRequest::new("tiny-chat", [foundry_client::Message::user("hi")]).max_tokens(3);
    let client = |url: &str, load_on_demand: bool| {
        FoundryClient::builder()
            .endpoint(url)
            .server_kind(ServerKind::FoundryCore1)
            .load_on_demand(load_on_demand)
            .build()
            .unwrap()
    };
    let closed = "41-chat-stream-no-chat-template.txt";

    let server = ReplayServer::start_sequence(vec![
        recorded(closed),
        recorded("18-load-alias-for-chat.txt"),
        recorded("22-chat-stream-usage.txt"),
    ]);
    let answer = client(&server.url, true)
        .chat_stream(request())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(answer.unwrap().text().as_deref(), Some("Hello! I"));
    let lines: Vec<(String, String)> = server
        .requests()
        .into_iter()
        .map(|r| (r.method, r.target))
        .collect();
    let line = |method: &str, target: &str| (method.to_owned(), target.to_owned());
    assert_eq!(
        lines,
        [
            line("POST", "/v1/chat/completions"),
            line("GET", "/models/load/tiny-chat"),
            line("POST", "/v1/chat/completions")
        ]
    );

    // A model the runtime does not know: the load's empty 500 says so.
    let server =
        ReplayServer::start_sequence(vec![recorded(closed), recorded("16-load-unknown.txt")]);
    let error = client(&server.url, true)
        .chat_stream(request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ModelNotFound, "{error}");

    // Without load-on-demand the stream is handed on as it came: interrupted, empty.
    let server = ReplayServer::start(recorded(closed));
    let stream = client(&server.url, false)
        .chat_stream(request())
        .await
        .unwrap();
    let error = stream.collect().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted, "{error}");
    assert_eq!(server.requests().len(), 1);
}

async fn replay_folder(folder: &str, kind: ServerKind, case: fn(&str) -> (Call, Sent, Expect)) {
    let dir = fixtures().join(folder);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".txt"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "{files:?}");
    for file in files {
        let (call, sent, expect) = case(&file);
        let exchange = Exchange::read(&dir.join(&file));
        replay(
            &format!("{folder}/{file}"),
            kind,
            &exchange,
            call,
            sent,
            expect,
        )
        .await;
    }
}

async fn replay(
    context: &str,
    kind: ServerKind,
    exchange: &Exchange,
    call: Call,
    sent: Sent,
    expect: Expect,
) {
    let server = ReplayServer::start(exchange.replayed_response());
    // No retries and no load-on-demand: one request per call, each answered by the recording.
    let mut builder = FoundryClient::builder()
        .endpoint(&server.url)
        .retries(0)
        .load_on_demand(false);
    if !matches!(call, Detect) {
        builder = builder.server_kind(kind);
    }
    let client = builder.build().unwrap();
    let outcome = run(&client, exchange, call).await;
    check_outcome(context, outcome, expect);

    let requests = server.requests();
    assert_eq!(
        requests.len(),
        1,
        "{context}: one request, got {requests:?}"
    );
    let request = &requests[0];
    if request.method == "POST" {
        assert_eq!(
            request.content_type.as_deref(),
            Some("application/json"),
            "{context}"
        );
    }
    if sent == Same {
        assert_eq!(
            (request.method.as_str(), request.target.as_str()),
            (exchange.method.as_str(), exchange.path.as_str()),
            "{context}: request line"
        );
        let expected = with_client_defaults(call, json_or_null(&exchange.request_body));
        assert_eq!(
            json_or_null(&request.body),
            expected,
            "{context}: request body"
        );
    }
}

/// What every call sends besides what the caller set: streams ask for the usage chunk,
/// embeddings say they want floats.
fn with_client_defaults(call: Call, mut body: Value) -> Value {
    if let Value::Object(map) = &mut body {
        match call {
            Stream => {
                map.entry("stream_options")
                    .or_insert(serde_json::json!({"include_usage": true}));
            }
            Embed => {
                map.entry("encoding_format").or_insert(Value::from("float"));
            }
            _ => {}
        }
    }
    body
}

fn json_or_null(body: &[u8]) -> Value {
    if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    }
}

/// What a call produced, reduced to what the expectations talk about.
#[derive(Debug)]
enum Got {
    Kind(ServerKind),
    Ids(Vec<String>),
    Json(Value),
    Load(LoadOutcome),
    Answer(Option<String>, Option<FinishReason>, Option<u64>),
    Vectors(Vec<usize>),
    Error(foundry_client::Error),
}

async fn run(client: &FoundryClient, exchange: &Exchange, call: Call) -> Got {
    use Got as O;
    let chat_request = || serde_json::from_slice::<ChatRequest>(&exchange.request_body).unwrap();
    let embed_request =
        || serde_json::from_slice::<EmbeddingsRequest>(&exchange.request_body).unwrap();
    let answer = |r: foundry_client::ChatResponse| {
        O::Answer(
            r.text(),
            r.finish_reason().cloned(),
            r.usage.map(|u| u.total_tokens),
        )
    };
    let result = match call {
        Detect => client.server().await.map(|info| O::Kind(info.kind)),
        Models => client
            .models_list()
            .await
            .map(|l| O::Ids(l.ids().map(str::to_owned).collect())),
        GetRaw => client.get_raw(&exchange.path).await.map(O::Json),
        Loaded => client.loaded_models().await.map(O::Ids),
        Load(name) => client.load(name, None).await.map(O::Load),
        Unload(name) => client.unload(name, false).await.map(O::Load),
        Chat => client.chat(chat_request()).await.map(answer),
        Stream => match client.chat_stream(chat_request()).await {
            Ok(stream) => stream.collect().await.map(answer),
            Err(error) => Err(error),
        },
        Embed => client
            .embeddings(embed_request())
            .await
            .map(|r| O::Vectors(r.data.iter().map(|e| e.embedding.len()).collect())),
        PostRaw => {
            let body: Value = serde_json::from_slice(&exchange.request_body).unwrap();
            client.post_raw(&exchange.path, &body).await.map(O::Json)
        }
        ChatInstead => client
            .chat(ChatRequest::new(
                CHAT_ID,
                [foundry_client::Message::user("hi")],
            ))
            .await
            .map(answer),
        EmbedInstead => client
            .embeddings(EmbeddingsRequest::new(EMBED_ID, "hi"))
            .await
            .map(|_| O::Vectors(vec![])),
    };
    result.unwrap_or_else(O::Error)
}

fn check_outcome(context: &str, outcome: Got, expect: Expect) {
    match (outcome, expect) {
        (Got::Kind(kind), Kind(expected)) => assert_eq!(kind, expected, "{context}"),
        (Got::Ids(ids), Ids(expected)) => assert_eq!(ids, expected, "{context}"),
        (Got::Json(json), Id(expected)) => assert_eq!(json["id"], expected, "{context}"),
        (Got::Load(outcome), Outcome(expected)) => assert_eq!(outcome, expected, "{context}"),
        (Got::Answer(text, finish, total), Answer(expected, reason, tokens)) => {
            assert_eq!(text.as_deref(), Some(expected), "{context}");
            assert_eq!(finish, Some(reason), "{context}");
            assert_eq!(total, tokens, "{context}: total tokens");
        }
        (Got::Vectors(dims), Vectors(count)) => assert_eq!(dims, vec![32; count], "{context}"),
        (Got::Error(error), Fails(kind, status, fragment)) => {
            assert_eq!(error.kind(), kind, "{context}: {error}");
            assert_eq!(
                error.status().map(|s| s.as_u16()),
                status,
                "{context}: {error}"
            );
            let said = error
                .api_error()
                .map(|api| api.message.clone())
                .unwrap_or_else(|| error.to_string());
            assert!(
                said.contains(fragment),
                "{context}: {said:?} lacks {fragment:?}"
            );
            if kind == ErrorKind::StreamInterrupted && fragment.is_empty() {
                assert_eq!(
                    error.chunks_received(),
                    Some(0),
                    "{context}: nothing arrived"
                );
            }
        }
        (outcome, expect) => panic!("{context}: got {outcome:?}, expected {expect:?}"),
    }
}

fn fixtures() -> PathBuf {
    foundry_recordings::fixtures_dir()
}

/// A request the replay server received.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    target: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// A loopback server that answers every connection with the same recorded bytes, then closes it
/// (every recording was made with `Connection: close`). Plain threads and blocking sockets: the
/// bytes go out exactly as given, truncated bodies included.
struct ReplayServer {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl ReplayServer {
    fn start(response: Vec<u8>) -> Self {
        Self::start_sequence(vec![response])
    }

    /// Answers the n-th connection with the n-th response; the last one answers the rest.
    fn start_sequence(responses: Vec<Vec<u8>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                if let Some(request) = read_request(&mut stream) {
                    log.lock().unwrap().push(request);
                    let response = &responses[n.min(responses.len() - 1)];
                    let _ = stream.write_all(response);
                }
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        });
        Self { url, received }
    }

    fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Reads one HTTP/1.1 request: head, then a `Content-Length` body.
fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut buffer).ok().filter(|&n| n > 0)?;
        data.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buffer).ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&buffer[..n]);
    }
    let mut line = head.lines().next()?.split(' ');
    Some(Received {
        method: line.next()?.to_owned(),
        target: line.next()?.to_owned(),
        content_type: header("content-type"),
        body,
    })
}
