//! Every way an answer can fail its structure is a typed error — and the repair asks once.

use foundry_client::{Error, ErrorKind, FinishReason};
use foundry_emulator::{Dialect, EmulatorHandle, Fault, FaultRule, StructuredDefect};

use super::{Trip, client_of, emulator, plan_a_trip};

const CHAT: &str = "POST /v1/chat/completions";

async fn faulty(defects: impl IntoIterator<Item = Option<StructuredDefect>>) -> EmulatorHandle {
    let emulator = emulator(Dialect::Core2).await;
    let sequence = defects.into_iter().map(|d| d.map(Fault::structured));
    emulator
        .faults()
        .push(FaultRule::sequence(sequence).on_route(CHAT))
        .unwrap();
    emulator
}

async fn failure(defect: StructuredDefect) -> Error {
    let emulator = faulty([Some(defect)]).await;
    let error = client_of(&emulator)
        .chat_json::<Trip>(plan_a_trip())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidStructuredOutput, "{error}");
    assert!(!error.is_retryable());
    error
}

#[tokio::test]
async fn invalid_json_is_a_typed_error_with_the_raw_text() {
    let error = failure(StructuredDefect::InvalidJson).await;
    assert_eq!(error.problems().len(), 1);
    assert!(
        error.problems()[0].starts_with("the answer is not valid JSON"),
        "{:?}",
        error.problems()
    );
    let raw = error.raw_output().unwrap();
    assert!(raw.starts_with('{') && raw.ends_with(",}"), "{raw}");
    assert_eq!(error.finish_reason(), Some(&FinishReason::Stop));
    assert!(!error.is_truncated());
}

#[tokio::test]
async fn a_schema_violation_names_the_broken_rule() {
    let error = failure(StructuredDefect::SchemaViolation).await;
    let problems = error.problems().join("\n");
    assert!(
        problems.contains("at /: \"title\" is a required property"),
        "{problems}"
    );
    assert!(error.to_string().contains("structured output `Trip`"));
    assert_eq!(error.finish_reason(), Some(&FinishReason::Stop));
}

#[tokio::test]
async fn a_truncated_answer_says_the_token_limit_cut_it() {
    let error = failure(StructuredDefect::Truncated).await;
    assert_eq!(error.finish_reason(), Some(&FinishReason::Length));
    assert!(error.is_truncated());
    assert!(
        error.to_string().contains("finish_reason length"),
        "{error}"
    );
    assert!(error.raw_output().unwrap().starts_with("{\""));
}

#[tokio::test]
async fn max_tokens_cuts_the_value_like_a_real_server() {
    let emulator = emulator(Dialect::Core2).await;
    let error = client_of(&emulator)
        .chat_json::<Trip>(plan_a_trip().max_tokens(12))
        .await
        .unwrap_err();
    assert!(error.is_truncated());
    assert!(error.problems()[0].contains("EOF while parsing"), "{error}");
    assert!(!error.raw_output().unwrap().is_empty());
}

#[tokio::test]
async fn a_repair_asks_once_more_quoting_the_problems() {
    let emulator = faulty([Some(StructuredDefect::SchemaViolation), None]).await;
    let trip = client_of(&emulator)
        .structured::<Trip>()
        .repair(true)
        .chat(plan_a_trip())
        .await
        .unwrap();
    assert_eq!(trip.attempts, 2);
    assert_eq!(emulator.stats().requests_of(CHAT), 2);
}

#[tokio::test]
async fn a_repair_never_loops_and_is_off_by_default() {
    let always = [Some(StructuredDefect::InvalidJson); 5];
    let emulator = faulty(always).await;
    let client = client_of(&emulator);
    let error = client
        .structured::<Trip>()
        .repair(true)
        .chat(plan_a_trip())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidStructuredOutput);
    assert_eq!(emulator.stats().requests_of(CHAT), 2, "one repair at most");
    emulator.reset_stats();
    client.chat_json::<Trip>(plan_a_trip()).await.unwrap_err();
    assert_eq!(
        emulator.stats().requests_of(CHAT),
        1,
        "no repair unless asked"
    );
}
