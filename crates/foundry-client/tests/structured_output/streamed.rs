//! The streamed variant: text as it comes, then the validated value or the typed error.

use foundry_client::{ErrorKind, FinishReason, StructuredEvent};
use foundry_emulator::{Dialect, Fault, FaultRule, StructuredDefect};
use futures_util::StreamExt;

use super::{Trip, client_of, emulator, plan_a_trip};

const CHAT: &str = "POST /v1/chat/completions";

#[tokio::test]
async fn the_stream_yields_the_text_then_the_validated_value() {
    for dialect in [Dialect::Legacy, Dialect::Core1, Dialect::Core2] {
        let emulator = emulator(dialect).await;
        let client = client_of(&emulator);
        let mut stream = client
            .chat_json_stream::<Trip>(plan_a_trip())
            .await
            .unwrap();
        let (mut text, mut pieces, mut done) = (String::new(), 0, None);
        while let Some(event) = stream.next().await {
            assert!(done.is_none(), "nothing follows the value");
            match event.unwrap() {
                StructuredEvent::Text(piece) => {
                    pieces += 1;
                    text.push_str(&piece);
                }
                StructuredEvent::Done(value) => done = Some(value),
                other => panic!("unexpected {other:?}"),
            }
        }
        let done = done.expect("the stream ends with the value");
        assert!(pieces > 10, "{dialect}: the text came in {pieces} pieces");
        assert_eq!(done.response.text().unwrap(), text, "{dialect}");
        let whole = client.chat_json::<Trip>(plan_a_trip()).await.unwrap();
        assert_eq!(
            done.value, whole.value,
            "{dialect}: streamed or not, the same answer"
        );
    }
}

#[tokio::test]
async fn a_streamed_answer_that_does_not_fit_ends_with_the_typed_error() {
    let emulator = emulator(Dialect::Core2).await;
    let client = client_of(&emulator);
    emulator
        .faults()
        .push(FaultRule::always(Fault::structured(StructuredDefect::Truncated)).on_route(CHAT))
        .unwrap();
    let mut stream = client
        .chat_json_stream::<Trip>(plan_a_trip())
        .await
        .unwrap();
    let mut last = None;
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(StructuredEvent::Text(piece)) => text.push_str(&piece),
            other => last = Some(other),
        }
    }
    let error = last.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidStructuredOutput);
    assert_eq!(error.finish_reason(), Some(&FinishReason::Length));
    assert_eq!(error.raw_output(), Some(text.as_str()));

    emulator.faults().clear();
    emulator
        .faults()
        .push(
            FaultRule::always(Fault::structured(StructuredDefect::SchemaViolation)).on_route(CHAT),
        )
        .unwrap();
    let error = client
        .chat_json_stream::<Trip>(plan_a_trip())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidStructuredOutput);
    assert!(error.problems()[0].contains("required property"), "{error}");
}

#[tokio::test]
async fn a_broken_stream_is_the_streams_error_not_a_structure_error() {
    let emulator = emulator(Dialect::Core2).await;
    emulator
        .faults()
        .push(
            FaultRule::always(Fault::TruncateStream {
                after_chunks: Some(6),
            })
            .on_route(CHAT),
        )
        .unwrap();
    let error = client_of(&emulator)
        .chat_json_stream::<Trip>(plan_a_trip())
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StreamInterrupted, "{error}");
    assert!(error.partial().is_some());
}
