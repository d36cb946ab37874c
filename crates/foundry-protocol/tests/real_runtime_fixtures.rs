//! Every response recorded from the two real Foundry Local runtimes (C++ Core 2.2.1 and C# Core
//! 1.2.4) decodes to the right value or maps to the right typed error.

mod support;

use foundry_protocol::foundry::{CoreFlavour, LoadOutcome, parse_model_ids};
use foundry_protocol::{
    ApiError, ChatResponse, EmbeddingsResponse, FinishReason, ModelList, ModelObject, ModelProblem,
    ServiceStatus, StreamError,
};
use foundry_recordings::Exchange;
use foundry_recordings::{fixture, fixture_files};
use support::{accumulate, decode_chat_stream};

const FULL: &str = "Hello! I am a tiny test model served by Foundry Local: one two three four five six seven eight nine ten.";
const SIXTEEN: &str = "Hello! I am a tiny test model served by Foundry Local: one two three";
const CHAT_ID: &str = "tiny-chat-generic-cpu:1";

#[derive(Debug)]
enum Expect {
    Status(CoreFlavour),
    Models(&'static [&'static str]),
    Model(&'static str),
    Loaded(&'static [&'static str]),
    Load(LoadOutcome),
    Chat(&'static str, FinishReason, u64),
    Stream(&'static str, FinishReason, Option<u64>),
    /// A stream that fails after its headers: with the server's error message, or silently cut.
    StreamFails(Option<&'static str>),
    Embeddings(usize),
    Error(u16, Option<ModelProblem>, &'static str),
}

use Expect::*;
use FinishReason::{Length, Stop};
use ModelProblem::{NotFound, NotLoaded};

fn core2_expectations(file: &str) -> Expect {
    match file {
        "00_status.txt" => Status(CoreFlavour::Core2),
        "01_v1_models.txt" => Models(&[CHAT_ID, "tiny-embed-generic-cpu:1"]),
        "02_v1_models_id_enc.txt" => Error(404, Some(NotFound), "tiny-chat-generic-cpu%3A1"),
        "03_v1_models_id_raw.txt" => Model(CHAT_ID),
        "04_loaded_empty.txt" | "29_loaded_after.txt" => Loaded(&[]),
        "05_chat_before_load.txt" => Error(400, Some(NotLoaded), "must be loaded before inference"),
        "06_chat_unknown_model.txt" | "57_chat_stream_bad_model.txt" => {
            Error(404, Some(NotFound), "'nope:1'")
        }
        "07_load_unknown.txt" => Error(404, Some(NotFound), "'nope'"),
        "08_load_id_enc.txt" => Error(404, Some(NotFound), "'tiny-chat-generic-cpu%3A1'"),
        "09_load_id_raw.txt" | "26_unload_id.txt" => {
            Error(404, Some(NotFound), "'tiny-chat-generic-cpu:1'")
        }
        "10_load_name.txt" => Error(404, Some(NotFound), "'tiny-chat-generic-cpu'"),
        "11_load_alias.txt" | "32_load_alias.txt" | "41_load_embed.txt" => {
            Load(LoadOutcome::Loaded)
        }
        "12_load_alias_again.txt" | "40_load_chat.txt" => Load(LoadOutcome::AlreadyLoaded),
        "13_loaded.txt" => Loaded(&[CHAT_ID]),
        "14_chat_nonstream.txt" | "33_chat_nonstream16.txt" => Chat(SIXTEEN, Length, 21),
        "15_chat_alias_model.txt" => Error(404, Some(NotFound), "'tiny-chat'"),
        "16_chat_stream_usage.txt" | "35_chat_stream_usage.txt" => {
            Stream("Hello! I", Length, Some(8))
        }
        "17_chat_stream_nousage.txt" | "36_chat_stream_nousage.txt" => {
            Stream("Hello!", Length, None)
        }
        "18_chat_messages_not_array.txt" => Error(400, None, "type must be array, but is string"),
        "19_chat_no_messages.txt" => Error(400, None, "key 'messages' not found"),
        "20_chat_no_model.txt" => Error(400, None, "key 'model' not found"),
        "21_chat_empty_body.txt" | "53_embed_empty_body.txt" => {
            Error(400, None, "Empty request body")
        }
        "22_chat_invalid_json.txt" | "54_embed_invalid_json.txt" => {
            Error(400, None, "Invalid JSON")
        }
        "23_embeddings_chatmodel.txt" | "48_embed_on_chat_model.txt" => {
            Error(500, None, "'hidden_states' was not found")
        }
        "24_embeddings_unknown.txt" => Error(404, Some(NotFound), "nope:1"),
        "25_embeddings_empty_input.txt" => Error(400, None, "\"input\" must not be empty"),
        "27_unload_alias.txt" | "55_unload_embed.txt" => Load(LoadOutcome::Unloaded),
        "28_unload_alias_again.txt" => Load(LoadOutcome::NotLoaded),
        "30_unknown_route.txt" => Error(
            404,
            None,
            "No mapping for HTTP-method: 'GET', URL: '/v1/nothing'",
        ),
        "31_post_on_get_route.txt" => Error(404, None, "No mapping for HTTP-method: 'POST'"),
        "34_chat_max2.txt" => Chat("Hello!", Length, 17),
        "37_chat_nomax.txt" | "42_chat_nomax.txt" | "43_chat_max300.txt" => Chat(FULL, Stop, 29),
        "38_chat_temp_seed.txt" => Chat("Hello! I am", Length, 9),
        "39_chat_empty_messages.txt" => Error(400, None, "Missing required field: messages"),
        "44_chat_max5000.txt" => Error(400, None, "ValidateGeneratorRequestBudget"),
        "45_chat_max0.txt" => Error(400, None, "ResolveMaxOutputTokens"),
        "46_chat_max_completion_tokens.txt"
        | "47_chat_on_embed_model.txt"
        | "59_chat_multi_n.txt" => Chat("Hello!", Length, 7),
        "49_embed_list.txt" => Embeddings(2),
        "50_embed_alias.txt" => Error(404, Some(NotFound), "tiny-embed"),
        "51_embed_tokens_input.txt" => Error(400, None, "type must be string, but is number"),
        "52_embed_no_input.txt" => Error(400, None, "key 'input' not found"),
        "56_embed_not_loaded.txt" => Error(400, Some(NotLoaded), "tiny-embed-generic-cpu:1"),
        "58_chat_stream_not_loaded.txt" => Error(400, Some(NotLoaded), "tiny-embed-generic-cpu:1"),
        "60_chat_stop_seq.txt" => Chat("Hello! I am a tiny test", Stop, 13),
        "61_chat_stream_midstream_error.txt" => StreamFails(Some("Empty chat template.")),
        other => panic!("no expectation for core2 fixture {other}"),
    }
}

fn core1_expectations(file: &str) -> Expect {
    match file {
        "01-status.txt" => Status(CoreFlavour::Core1),
        "02-v1-models.txt" => Models(&["tiny-embed-generic-cpu", "tiny-chat-generic-cpu"]),
        "03-loaded-initial.txt" | "34-loaded-final.txt" => Loaded(&[]),
        "04-chat-before-load.txt" => Error(
            400,
            Some(NotLoaded),
            "Model 'tiny-chat-generic-cpu:1' is not loaded",
        ),
        "05-load-alias.txt"
        | "07-unload-alias.txt"
        | "08-load-id-raw.txt"
        | "10-unload-id-raw.txt"
        | "11-load-id-pct3A.txt"
        | "13-unload-id-pct3A.txt"
        | "14-load-name-noversion.txt"
        | "15-unload-name-noversion.txt"
        | "17-unload-not-loaded.txt"
        | "18-load-alias-for-chat.txt"
        | "28-load-embed-alias.txt"
        | "32-unload-embed-alias.txt"
        | "33-unload-chat-alias.txt"
        | "39-load-alias-again.txt" => Load(LoadOutcome::Accepted),
        "06-loaded-after-load-alias.txt"
        | "09-loaded-after-load-id-raw.txt"
        | "12-loaded-after-load-id-pct3A.txt" => Loaded(&[CHAT_ID]),
        "16-load-unknown.txt" => Error(500, None, ""),
        "19-chat-id.txt" | "20-chat-alias.txt" | "21-chat-name-noversion.txt" => {
            Chat(SIXTEEN, Length, 21)
        }
        "22-chat-stream-usage.txt" | "23-chat-stream-nousage.txt" => {
            Stream("Hello! I", Length, Some(8))
        }
        "24-chat-unknown-model.txt" => {
            Error(400, Some(NotLoaded), "Model 'no-such-model' is not loaded")
        }
        "25-chat-messages-not-array.txt" => Error(500, None, "Invalid OpenAI JSON request"),
        "26-chat-invalid-json.txt" => Error(500, None, "is an invalid start of a property name"),
        "27-chat-no-model-field.txt" => {
            Error(400, None, "Value cannot be null. (Parameter 'Model')")
        }
        "29-loaded-both.txt" => Loaded(&["tiny-embed-generic-cpu:1", CHAT_ID]),
        "30-embeddings-id.txt" => Embeddings(2),
        "31-embeddings-alias.txt" => Embeddings(1),
        "35-unknown-route.txt" => Error(404, None, ""),
        "36-wrong-method-post-loaded.txt" => Error(405, None, ""),
        "37-v1-models-by-id.txt" => Error(404, Some(NotFound), "does not exist"),
        "38-v1-models-by-name.txt" => Model("tiny-chat-generic-cpu"),
        "40-embeddings-chat-model.txt" => Error(400, None, "Failed to get embeddings"),
        "41-chat-stream-no-chat-template.txt" => StreamFails(None),
        other => panic!("no expectation for core1 fixture {other}"),
    }
}

fn check(folder: &str, file: &str, expect: Expect) {
    let exchange = Exchange::parse(&fixture(&format!("{folder}/{file}")));
    let body = &exchange.body;
    let context = format!("{folder}/{file}");
    let ok_status = || assert_eq!(exchange.status, 200, "{context}");
    match expect {
        Status(flavour) => {
            ok_status();
            let status = ServiceStatus::from_slice(body).unwrap();
            assert_eq!(status.core_flavour(), Some(flavour), "{context}");
            assert_eq!(
                status.model_directory(),
                Some("/home/user/.foundry-local/cache/models")
            );
            assert_eq!(status.endpoints.len(), 1);
            let server = exchange.header_values("server");
            assert_eq!(
                CoreFlavour::from_server_header(server[0]),
                Some(flavour),
                "{context}"
            );
        }
        Models(ids) => {
            ok_status();
            let list = ModelList::from_slice(body).unwrap();
            assert_eq!(list.ids().collect::<Vec<_>>(), ids, "{context}");
            if folder.contains("v1") {
                let parents: Vec<_> = list.data.iter().map(|m| m.parent.as_deref()).collect();
                assert_eq!(
                    parents,
                    [Some("tiny-embed"), Some("tiny-chat")],
                    "the v1 Core names the alias"
                );
            }
        }
        Model(id) => {
            ok_status();
            assert_eq!(
                serde_json::from_slice::<ModelObject>(body).unwrap().id,
                id,
                "{context}"
            );
        }
        Loaded(ids) => {
            ok_status();
            assert_eq!(parse_model_ids(body).unwrap(), ids, "{context}");
        }
        Load(outcome) => {
            ok_status();
            assert_eq!(LoadOutcome::from_slice(body).unwrap(), outcome, "{context}");
        }
        Chat(text, finish, total) => {
            ok_status();
            let response = ChatResponse::from_slice(body).unwrap();
            assert_eq!(response.choices.len(), 1, "{context}");
            assert_eq!(response.text().as_deref(), Some(text), "{context}");
            assert_eq!(response.finish_reason(), Some(&finish), "{context}");
            let usage = response.usage.unwrap();
            assert_eq!(usage.total_tokens, total, "{context}");
            assert_eq!(
                usage.prompt_tokens + usage.completion_tokens,
                usage.total_tokens,
                "{context}"
            );
        }
        Stream(text, finish, total) => {
            ok_status();
            assert!(exchange.body_complete, "{context}");
            for piece in [0, 1, 7, 64] {
                let stream = decode_chat_stream(body, piece);
                assert!(stream.errors.is_empty(), "{context}: {:?}", stream.errors);
                assert!(stream.done, "{context}");
                let response = accumulate(&stream, 1).finish().unwrap();
                assert_eq!(response.text().as_deref(), Some(text), "{context}");
                assert_eq!(response.finish_reason(), Some(&finish), "{context}");
                assert_eq!(response.usage.map(|u| u.total_tokens), total, "{context}");
                assert_eq!(
                    response.choices[0].message.role,
                    foundry_protocol::Role::Assistant
                );
            }
        }
        StreamFails(message) => {
            ok_status();
            let stream = decode_chat_stream(body, 0);
            assert!(!stream.done, "{context}");
            match message {
                Some(message) => {
                    assert!(
                        matches!(&stream.errors[..], [StreamError::Api(e)] if e.message == message),
                        "{context}: {:?}",
                        stream.errors
                    );
                }
                None => {
                    assert!(
                        stream.chunks.is_empty() && stream.errors.is_empty(),
                        "{context}"
                    );
                    assert!(
                        !exchange.body_complete,
                        "the connection closed without the final chunk"
                    );
                }
            }
            assert!(
                accumulate(&stream, 1).finish().is_err(),
                "an empty or failed stream is never a success"
            );
        }
        Embeddings(count) => {
            ok_status();
            let response = EmbeddingsResponse::from_slice(body).unwrap();
            assert_eq!(response.data.len(), count, "{context}");
            for (i, embedding) in response.data.iter().enumerate() {
                assert_eq!(embedding.index as usize, i);
                assert_eq!(embedding.embedding.len(), 32, "{context}");
            }
        }
        Error(status, problem, needle) => {
            assert_eq!(exchange.status, status, "{context}");
            let error = ApiError::from_body(body);
            assert!(
                error.message.contains(needle),
                "{context}: {:?} lacks {needle:?}",
                error.message
            );
            assert_eq!(
                error.model_problem(),
                problem,
                "{context}: {:?}",
                error.message
            );
            if body.is_empty() {
                assert_eq!(error.message, "", "{context}");
            }
        }
    }
}

#[test]
fn every_core2_recording_decodes_to_the_right_value() {
    let files = fixture_files("foundry-core2");
    assert_eq!(files.len(), 62);
    for file in files {
        check("foundry-core2", &file, core2_expectations(&file));
    }
}

#[test]
fn every_core1_recording_decodes_to_the_right_value() {
    let files = fixture_files("foundry-core1");
    assert_eq!(files.len(), 41);
    for file in files {
        check("foundry-core1", &file, core1_expectations(&file));
    }
}

#[test]
fn core2_streams_duplicate_their_headers() {
    let exchange = Exchange::parse(&fixture("foundry-core2/16_chat_stream_usage.txt"));
    assert_eq!(
        exchange.header_values("content-type"),
        ["text/event-stream", "text/event-stream"]
    );
}

#[test]
fn core1_chat_answers_echo_the_model_name_sent() {
    let exchange = Exchange::parse(&fixture("foundry-core1/20-chat-alias.txt"));
    let response = ChatResponse::from_slice(&exchange.body).unwrap();
    assert_eq!(response.model.as_deref(), Some("tiny-chat"));
    assert_eq!(response.id.as_deref(), Some("chat.id.1"));
    assert!(response.choices[0].message.tool_calls.is_empty());
}
