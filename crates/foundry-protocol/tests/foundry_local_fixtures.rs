//! Every reconstructed Foundry Local payload (legacy service, current Core, CLI) decodes to the
//! right value or maps to the right typed error.

mod support;

use foundry_protocol::foundry::{
    CliServerStatus, CoreFlavour, DownloadEvent, DownloadProgressParser, LoadOutcome,
    parse_catalog, parse_model_ids, parse_service_status_text,
};
use foundry_protocol::{
    ApiError, ChatResponse, FinishReason, ModelList, ModelProblem, ServiceStatus, StreamError,
};
use foundry_recordings::{fixture, fixture_files};
use support::{accumulate, decode_chat_stream};

fn text(name: &str) -> String {
    String::from_utf8(fixture(&format!("foundry-reconstructed/{name}"))).unwrap()
}

fn bytes(name: &str) -> Vec<u8> {
    fixture(&format!("foundry-reconstructed/{name}"))
}

#[test]
fn cli_legacy_status_running_gives_the_base_url() {
    let status = parse_service_status_text(&text("cli_legacy_service_status_running.txt"));
    assert!(status.running);
    assert_eq!(status.endpoint.as_deref(), Some("http://127.0.0.1:55064"));
}

#[test]
fn cli_legacy_status_not_running() {
    let status = parse_service_status_text(&text("cli_legacy_service_status_not_running.txt"));
    assert!(!status.running);
    assert_eq!(status.endpoint, None);
}

#[test]
fn cli_legacy_start_gives_url_and_pid() {
    let status = parse_service_status_text(&text("cli_legacy_service_start.txt"));
    assert!(status.running);
    assert_eq!(status.endpoint.as_deref(), Some("http://127.0.0.1:64646"));
    assert_eq!(status.pid, Some(17000));
}

#[test]
fn cli_current_server_status_json() {
    let running = CliServerStatus::from_json(&text("cli_core_server_status_running.json")).unwrap();
    assert!(running.running);
    assert_eq!(
        (running.state.as_deref(), running.pid),
        (Some("ready"), Some(23948))
    );
    assert_eq!(
        running.endpoint().as_deref(),
        Some("http://127.0.0.1:48077")
    );
    let stopped =
        CliServerStatus::from_json(&text("cli_core_server_status_not_running.json")).unwrap();
    assert!(!stopped.running);
    assert_eq!(stopped.endpoint(), None);
}

#[test]
fn non_stream_answer_with_delta_instead_of_message_decodes() {
    let response = ChatResponse::from_slice(&bytes(
        "legacy_chat_nonstream_delta_instead_of_message.json",
    ))
    .unwrap();
    assert_eq!(
        response.text().as_deref(),
        Some("Quantum computers use qubits.")
    );
    assert_eq!(response.finish_reason(), Some(&FinishReason::Stop));
    assert_eq!(response.usage.unwrap().total_tokens, 19);
}

#[test]
fn legacy_stream_quirks_decode_and_fold_into_one_choice() {
    let stream = decode_chat_stream(&bytes("legacy_chat_stream_quirks.sse"), 0);
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    assert!(stream.done);
    assert_eq!(stream.chunks.len(), 3);
    assert_eq!(stream.chunks[0].model, None, "model: null reads as absent");
    let response = accumulate(&stream, 1).finish().unwrap();
    assert_eq!(
        response.choices.len(),
        1,
        "per-chunk indices 0,1,2 are one choice"
    );
    assert_eq!(response.text().as_deref(), Some("Hello!"));
    assert_eq!(response.finish_reason(), Some(&FinishReason::Stop));
    assert_eq!(
        response.model.as_deref(),
        Some("Phi-4-mini-instruct-generic-cpu:4")
    );
}

#[test]
fn midstream_error_event_is_a_typed_error_and_the_stream_is_incomplete() {
    let stream = decode_chat_stream(&bytes("core_chat_stream_midstream_error.sse"), 0);
    assert_eq!(stream.chunks.len(), 2);
    assert!(!stream.done);
    match &stream.errors[..] {
        [StreamError::Api(error)] => {
            assert_eq!(error.message, "Inference failed: out of memory");
            assert_eq!(error.error_type.as_deref(), Some("server_error"));
        }
        other => panic!("expected one API error, got {other:?}"),
    }
    let incomplete = accumulate(&stream, 1).finish().unwrap_err();
    assert_eq!(incomplete.partial.text().as_deref(), Some("The answer"));
}

#[test]
fn download_progress_ok() {
    let mut parser = DownloadProgressParser::new();
    let mut events = parser
        .feed(&bytes("legacy_download_progress_ok.txt"))
        .unwrap();
    events.extend(parser.finish().unwrap());
    let percents: Vec<f64> = events
        .iter()
        .filter_map(|e| match e {
            DownloadEvent::Progress(p) => Some(p.percent),
            _ => None,
        })
        .collect();
    assert_eq!(percents, [0.0, 12.5, 45.67, 100.0]);
    assert!(
        matches!(events.last(), Some(DownloadEvent::Finished(r)) if r.success && r.error_message.is_none())
    );
}

#[test]
fn download_progress_failed_is_a_failure_result() {
    let mut parser = DownloadProgressParser::new();
    let mut events = parser
        .feed(&bytes("legacy_download_progress_failed.txt"))
        .unwrap();
    events.extend(parser.finish().unwrap());
    match events.last() {
        Some(DownloadEvent::Finished(result)) => {
            assert!(!result.success);
            assert_eq!(
                result.error_message.as_deref(),
                Some("Retry failed after 6 tries")
            );
        }
        other => panic!("expected a result, got {other:?}"),
    }
}

#[test]
fn download_progress_documented_tuple_form() {
    let mut parser = DownloadProgressParser::new();
    // No trailing newline after the result object: `finish` must still read it.
    let mut events = parser
        .feed(&bytes("legacy_download_progress_docs_tuple_form.txt"))
        .unwrap();
    events.extend(parser.finish().unwrap());
    assert!(
        matches!(&events[0], DownloadEvent::Progress(p) if p.percent == 1.0 && p.file.as_deref() == Some("genai_config.json"))
    );
    assert!(matches!(&events[1], DownloadEvent::Progress(p) if p.percent == 50.0));
    assert!(
        matches!(&events[2], DownloadEvent::Progress(p) if p.percent == 100.0 && p.file.is_none())
    );
    assert!(matches!(&events[3], DownloadEvent::Finished(r) if r.success));
}

#[test]
fn legacy_plain_text_errors() {
    let no_provider = ApiError::from_body(&bytes("legacy_error_400_no_provider.txt"));
    assert!(
        no_provider
            .message
            .contains("No OpenAIService provider found for modelName:phi-4-mini")
    );
    assert_eq!(
        no_provider.model_problem(),
        Some(ModelProblem::NotDownloaded)
    );
    let load = ApiError::from_body(&bytes("legacy_error_500_load_plaintext.txt"));
    assert!(
        load.message
            .starts_with("Failed loading model Phi-4-mini-instruct-generic-cpu:4")
    );
    assert_eq!(load.model_problem(), None);
}

#[test]
fn catalog_decodes_with_open_strings_and_any_version_type() {
    let catalog = parse_catalog(&bytes("legacy_foundry_list.json")).unwrap();
    assert!(catalog.len() >= 3);
    let first = &catalog[0];
    assert_eq!(first.model_id(), "Phi-4-mini-instruct-generic-cpu:4");
    assert_eq!(first.alias, "phi-4-mini");
    assert_eq!(first.version.as_deref(), Some("4"));
    assert_eq!(
        (first.device_type(), first.execution_provider()),
        (Some("CPU"), Some("CPUExecutionProvider"))
    );
    assert_eq!(first.file_size_mb, Some(4980));
    assert_eq!(first.min_fl_version.as_deref(), Some("0.7.0"));
    assert!(first.prompt_template.as_ref().unwrap().prompt.is_some());
    assert!(first.answers_to("PHI-4-MINI") && first.answers_to("Phi-4-mini-instruct-generic-cpu"));
    let npu = catalog
        .iter()
        .find(|m| m.device_type() == Some("NPU"))
        .unwrap();
    assert_eq!(npu.execution_provider(), Some("OpenVINOExecutionProvider"));
    assert_eq!(
        npu.prompt_template, None,
        "an empty template object reads as none"
    );
    // The same entries wrapped in an object, and with PascalCase keys, read the same.
    let wrapped = format!("{{\"Models\": {}}}", text("legacy_foundry_list.json"));
    assert_eq!(parse_catalog(wrapped.as_bytes()).unwrap(), catalog);
}

#[test]
fn model_id_lists_in_both_forms() {
    let object = parse_model_ids(&bytes("legacy_openai_loadedmodels_object_form.json")).unwrap();
    assert_eq!(object, ["Phi-4-mini-instruct-generic-cpu:4"]);
    let bare = parse_model_ids(&bytes("legacy_openai_models.json")).unwrap();
    assert_eq!(
        bare,
        [
            "Phi-4-mini-instruct-generic-cpu:4",
            "qwen2.5-0.5b-instruct-openvino-npu:2"
        ]
    );
    assert_eq!(
        parse_model_ids(&bytes("core_models_loaded.json")).unwrap(),
        ["Phi-4-mini-instruct-generic-cpu:4"]
    );
    assert!(parse_model_ids(b"{\"nope\": 1}").is_err());
}

#[test]
fn legacy_status_in_both_casings() {
    let docs = ServiceStatus::from_slice(&bytes("legacy_openai_status_docs_form.json")).unwrap();
    let sdk = ServiceStatus::from_slice(&bytes("legacy_openai_status_sdk_form.json")).unwrap();
    assert_eq!(docs.endpoints, ["http://127.0.0.1:55064"]);
    assert_eq!(
        docs.model_directory(),
        Some(r"C:\Users\user\.foundry\cache\models")
    );
    assert_eq!(docs.pipe_name.as_deref(), Some("inference_agent"));
    assert_eq!(sdk.endpoints, docs.endpoints);
    assert_eq!(
        sdk.model_directory(),
        Some("/Users/user/.foundry/cache/models")
    );
}

#[test]
fn current_core_status_names_its_flavour() {
    let status = ServiceStatus::from_slice(&bytes("core_status.json")).unwrap();
    assert_eq!(status.pid, Some(23948));
    assert_eq!(status.core_flavour(), Some(CoreFlavour::Core2));
    assert_eq!(
        status.model_directory(),
        Some("/home/user/.foundry/cache/models")
    );
}

#[test]
fn openai_model_lists_with_pascal_case_leaks() {
    let empty = ModelList::from_slice(&bytes("legacy_v1_models_empty.json")).unwrap();
    assert!(empty.data.is_empty());
    let list = ModelList::from_slice(&bytes("core_v1_models.json")).unwrap();
    assert_eq!(
        list.ids().collect::<Vec<_>>(),
        [
            "Phi-4-mini-instruct-generic-cpu:4",
            "qwen2.5-0.5b-instruct-generic-cpu:3"
        ]
    );
}

#[test]
fn current_core_errors_name_their_model_problem() {
    for (file, problem) in [
        (
            "core_error_400_model_not_cached.json",
            ModelProblem::NotDownloaded,
        ),
        (
            "core_error_400_model_not_loaded.json",
            ModelProblem::NotLoaded,
        ),
        (
            "core_error_404_model_not_found.json",
            ModelProblem::NotFound,
        ),
    ] {
        let error = ApiError::from_body(&bytes(file));
        assert_eq!(
            error.error_type.as_deref(),
            Some("invalid_request_error"),
            "{file}"
        );
        assert_eq!(error.model_problem(), Some(problem), "{file}");
    }
}

#[test]
fn load_and_unload_answers() {
    assert_eq!(
        LoadOutcome::from_slice(&bytes("core_models_load_ok.json")).unwrap(),
        LoadOutcome::Loaded
    );
    assert_eq!(
        LoadOutcome::from_slice(&bytes("core_models_load_already.json")).unwrap(),
        LoadOutcome::AlreadyLoaded
    );
    assert_eq!(
        LoadOutcome::from_slice(&bytes("core_models_unload_not_loaded.json")).unwrap(),
        LoadOutcome::NotLoaded
    );
    assert_eq!(LoadOutcome::from_slice(b"").unwrap(), LoadOutcome::Accepted);
}

#[test]
fn every_reconstructed_fixture_has_a_test() {
    let source = include_str!("foundry_local_fixtures.rs");
    for file in fixture_files("foundry-reconstructed") {
        assert!(
            source.contains(&format!("\"{file}\"")),
            "{file} is not named by any test"
        );
    }
}
