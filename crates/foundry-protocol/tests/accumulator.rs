//! The tool-call accumulator and the rules for when a streamed answer is complete.

mod support;

use foundry_protocol::{
    ChatAccumulator, ChatChunk, ChunkChoice, Delta, FinishReason, Role, ToolCall, ToolCallDelta,
    Usage,
};
use foundry_recordings::fixture;
use proptest::prelude::*;
use support::{accumulate, decode_chat_stream};

fn chunk(choices: Vec<ChunkChoice>) -> ChatChunk {
    ChatChunk::new(choices)
}

fn tool_piece(index: u32, id: Option<&str>, name: Option<&str>, arguments: &str) -> ChunkChoice {
    let piece = ToolCallDelta::new(
        index,
        id.map(str::to_owned),
        name.map(str::to_owned),
        Some(arguments.to_owned()),
    );
    ChunkChoice::new(0, Delta::tool_calls(vec![piece]), None)
}

#[test]
fn streamed_tool_calls_merge_by_index_into_complete_calls() {
    let mut accumulator = ChatAccumulator::new();
    let role = Delta::role(Role::Assistant);
    accumulator.push(&chunk(vec![ChunkChoice::new(0, role, None)]));
    accumulator.push(&chunk(vec![tool_piece(
        0,
        Some("call_a"),
        Some("get_weather"),
        "{\"ci",
    )]));
    accumulator.push(&chunk(vec![tool_piece(
        1,
        Some("call_b"),
        Some("get_time"),
        "{",
    )]));
    accumulator.push(&chunk(vec![tool_piece(0, None, None, "ty\":\"Paris\"}")]));
    accumulator.push(&chunk(vec![tool_piece(1, None, None, "}")]));
    accumulator.push(&chunk(vec![ChunkChoice::new(
        0,
        Delta::default(),
        Some(FinishReason::ToolCalls),
    )]));
    let response = accumulator.finish().unwrap();
    let message = &response.choices[0].message;
    assert_eq!(message.role, Role::Assistant);
    assert_eq!(message.content, None);
    assert_eq!(
        message.tool_calls,
        [
            ToolCall::function("call_a", "get_weather", "{\"city\":\"Paris\"}"),
            ToolCall::function("call_b", "get_time", "{}"),
        ]
    );
    assert_eq!(response.finish_reason(), Some(&FinishReason::ToolCalls));
}

#[test]
fn tool_calls_without_index_follow_their_ids() {
    let mut accumulator = ChatAccumulator::new();
    let piece = |id: Option<&str>, args: &str| {
        let mut piece = ToolCallDelta::new(
            0,
            id.map(str::to_owned),
            id.map(|_| "f".to_owned()),
            Some(args.to_owned()),
        );
        piece.index = None;
        piece
    };
    for tool in [
        piece(Some("a"), "{"),
        piece(None, "}"),
        piece(Some("b"), "[]"),
    ] {
        let delta = Delta::tool_calls(vec![tool]);
        accumulator.push(&chunk(vec![ChunkChoice::new(0, delta, None)]));
    }
    accumulator.push_done();
    let calls = &accumulator.finish().unwrap().choices[0].message.tool_calls;
    assert_eq!(
        calls
            .iter()
            .map(|c| (c.id.as_str(), c.function.arguments.as_str()))
            .collect::<Vec<_>>(),
        [("a", "{}"), ("b", "[]")]
    );
}

#[test]
fn a_repeated_function_name_is_not_doubled_and_huge_indices_do_not_allocate() {
    let mut accumulator = ChatAccumulator::new();
    accumulator.push(&chunk(vec![tool_piece(
        u32::MAX,
        Some("x"),
        Some("lookup"),
        "{",
    )]));
    accumulator.push(&chunk(vec![tool_piece(
        u32::MAX,
        None,
        Some("lookup"),
        "}",
    )]));
    accumulator.push_done();
    let calls = &accumulator.finish().unwrap().choices[0].message.tool_calls;
    assert_eq!(calls, &[ToolCall::function("x", "lookup", "{}")]);
}

#[test]
fn several_choices_stay_apart_when_several_were_asked_for() {
    let mut accumulator = ChatAccumulator::with_expected_choices(2);
    accumulator.push(&chunk(vec![
        ChunkChoice::new(0, Delta::text("a"), None),
        ChunkChoice::new(1, Delta::text("b"), None),
    ]));
    accumulator.push(&chunk(vec![ChunkChoice::new(
        1,
        Delta::text("B"),
        Some(FinishReason::Stop),
    )]));
    assert!(!accumulator.is_complete(), "choice 0 has not finished");
    accumulator.push(&chunk(vec![ChunkChoice::new(
        0,
        Delta::text("A"),
        Some(FinishReason::Length),
    )]));
    assert!(accumulator.is_complete());
    let response = accumulator.finish().unwrap();
    let texts: Vec<_> = response
        .choices
        .iter()
        .map(|c| c.message.text().unwrap())
        .collect();
    assert_eq!(texts, ["aA", "bB"]);
}

#[test]
fn the_last_usage_wins_and_a_repeated_role_is_taken_once() {
    let mut accumulator = ChatAccumulator::new();
    for (text, total) in [("Hel", 6), ("lo", 7)] {
        let mut delta = Delta::text(text);
        delta.role = Some(Role::Assistant);
        let mut c = chunk(vec![ChunkChoice::new(0, delta, None)]);
        c.usage = Some(Usage::new(5, total - 5));
        accumulator.push(&c);
    }
    accumulator.push_done();
    let response = accumulator.finish().unwrap();
    assert_eq!(response.text().as_deref(), Some("Hello"));
    assert_eq!(response.usage.unwrap().total_tokens, 7);
}

#[test]
fn streams_that_did_not_end_properly_are_incomplete() {
    // Nothing at all.
    assert!(ChatAccumulator::new().finish().is_err());
    // Only [DONE]: no answer arrived.
    let mut only_done = ChatAccumulator::new();
    only_done.push_done();
    assert!(only_done.finish().is_err());
    // Content but neither a finish reason nor [DONE]: cut short.
    let mut cut = ChatAccumulator::new();
    cut.push(&chunk(vec![ChunkChoice::new(
        0,
        Delta::text("partial"),
        None,
    )]));
    let incomplete = cut.finish().unwrap_err();
    assert_eq!(
        (incomplete.chunks, incomplete.partial.text().as_deref()),
        (1, Some("partial"))
    );
    // A finish reason without [DONE] is complete (the body ended cleanly after the final chunk).
    let mut finished = ChatAccumulator::new();
    finished.push(&chunk(vec![ChunkChoice::new(
        0,
        Delta::text("x"),
        Some(FinishReason::Stop),
    )]));
    assert!(finished.finish().is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn typed_decoding_is_independent_of_how_the_stream_is_split(piece in 1usize..300) {
        let body = fixture("llama-cpp/chat_stream_with_usage.sse");
        let whole = accumulate(&decode_chat_stream(&body, 0), 1).finish().unwrap();
        let split = accumulate(&decode_chat_stream(&body, piece), 1).finish().unwrap();
        prop_assert_eq!(whole, split);
    }
}
