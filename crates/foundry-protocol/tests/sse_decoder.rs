//! The SSE decoder's edge cases, and the property that any split of a recorded stream decodes to
//! exactly the same events.

mod support;

use foundry_protocol::{SseDecoder, SseError, SseEvent};
use foundry_recordings::fixture;
use proptest::prelude::*;

/// Decodes `pieces` in order, then finishes.
fn decode_pieces(decoder: &mut SseDecoder, pieces: &[&[u8]]) -> Vec<Result<SseEvent, SseError>> {
    let mut events = Vec::new();
    for piece in pieces {
        events.extend(decoder.feed(piece));
    }
    events.extend(decoder.finish());
    events
}

fn decode(bytes: &[u8]) -> Vec<Result<SseEvent, SseError>> {
    decode_pieces(&mut SseDecoder::new(), &[bytes])
}

fn data(events: &[Result<SseEvent, SseError>]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e.as_ref().expect("no error").data.as_str())
        .collect()
}

#[test]
fn lf_cr_and_crlf_line_ends_all_work() {
    assert_eq!(
        data(&decode(b"data: a\n\ndata: b\r\rdata: c\r\n\r\n")),
        ["a", "b", "c"]
    );
}

#[test]
fn a_crlf_split_across_feeds_is_one_line_end() {
    let events = decode_pieces(
        &mut SseDecoder::new(),
        &[b"data: a\r", b"\n", b"\r", b"\ndata: b\n\n"],
    );
    assert_eq!(data(&events), ["a", "b"]);
}

#[test]
fn multi_line_data_is_joined_with_newlines() {
    assert_eq!(
        data(&decode(b"data: one\ndata:two\ndata:  three\n\n")),
        ["one\ntwo\n three"]
    );
}

#[test]
fn comments_and_unknown_fields_are_ignored() {
    let events = decode(b": keep-alive\n\nfoo: bar\ndata: x\n: inner comment\n\n");
    assert_eq!(data(&events), ["x"]);
}

#[test]
fn event_id_and_retry_fields_are_kept() {
    let events = decode(b"event: delta\nid: 7\nretry: 1500\ndata: x\n\n");
    let event = events[0].as_ref().unwrap();
    assert_eq!(
        (event.event.as_deref(), event.id.as_deref(), event.retry),
        (Some("delta"), Some("7"), Some(1500))
    );
    let bad_retry = decode(b"retry: soon\ndata: x\n\n");
    assert_eq!(bad_retry[0].as_ref().unwrap().retry, None);
}

#[test]
fn a_field_without_colon_and_an_event_without_data() {
    // `data` alone is an empty data line; an event of only `event:` is not dispatched.
    let events = decode(b"event: ping\n\ndata\n\n");
    assert_eq!(data(&events), [""]);
}

#[test]
fn a_utf8_character_split_across_feeds_survives() {
    let text = "data: héllo wörld ✓\n\n".as_bytes();
    let split = text.iter().position(|&b| b == 0xE2).unwrap() + 1; // Inside the 3-byte check mark.
    let events = decode_pieces(&mut SseDecoder::new(), &[&text[..split], &text[split..]]);
    assert_eq!(data(&events), ["héllo wörld ✓"]);
}

#[test]
fn invalid_utf8_is_a_typed_error_and_the_decoder_stops() {
    let mut decoder = SseDecoder::new();
    let events = decode_pieces(&mut decoder, &[b"data: \xff\xfe\n\n", b"data: later\n\n"]);
    assert_eq!(events, [Err(SseError::InvalidUtf8)]);
    assert_eq!(decoder.buffered_len(), 0);
    // Within one piece, and with each kind of line end (a lone LF-ended data line is read
    // straight from the buffer, the others line by line).
    for body in [
        &b"data: ok\n\ndata: \xff\n\ndata: later\n\n"[..],
        b"data: ok\r\n\r\ndata: \xff\r\n\r\ndata: later\r\n\r\n",
        b"data: ok\n\ndata: a\ndata: \xff\n\ndata: later\n\n",
    ] {
        let events = decode(body);
        assert_eq!(data(&events[..1]), ["ok"]);
        assert_eq!(events[1..], [Err(SseError::InvalidUtf8)]);
    }
}

#[test]
fn a_lone_data_line_over_the_bound_is_an_error_too() {
    let mut decoder = SseDecoder::with_max_event_size(16);
    let events = decode_pieces(&mut decoder, &[b"data: 0123456789abcdef\n\n"]);
    assert_eq!(events, [Err(SseError::EventTooLarge { limit: 16 })]);
    let mut decoder = SseDecoder::with_max_event_size(16);
    let events = decode_pieces(&mut decoder, &[b"data: 0123456789abcde\n\n"]);
    assert_eq!(data(&events), ["0123456789abcde"]);
}

#[test]
fn the_last_event_without_a_blank_line_is_flushed_at_finish() {
    assert_eq!(data(&decode(b"data: a\n\ndata: tail")), ["a", "tail"]);
    assert_eq!(data(&decode(b"data: a\n\ndata: tail\n")), ["a", "tail"]);
}

#[test]
fn a_byte_order_mark_at_the_start_is_skipped_even_when_split() {
    let events = decode_pieces(&mut SseDecoder::new(), &[b"\xEF", b"\xBB\xBFdata: x\n\n"]);
    assert_eq!(data(&events), ["x"]);
}

#[test]
fn an_endless_line_hits_the_bound() {
    let mut decoder = SseDecoder::with_max_event_size(1024);
    let mut results = Vec::new();
    for _ in 0..100 {
        results.extend(decoder.feed(&[b'x'; 64]));
    }
    assert_eq!(results, [Err(SseError::EventTooLarge { limit: 1024 })]);
    assert_eq!(
        decoder.buffered_len(),
        0,
        "the buffer is released after the error"
    );
}

#[test]
fn many_data_lines_hit_the_bound() {
    let mut decoder = SseDecoder::with_max_event_size(1024);
    let line = [b"data: ".as_slice(), &[b'y'; 100], b"\n"].concat();
    let results: Vec<_> = (0..20)
        .flat_map(|_| decoder.feed(&line).collect::<Vec<_>>())
        .collect();
    assert_eq!(results, [Err(SseError::EventTooLarge { limit: 1024 })]);
}

#[test]
fn an_event_taken_no_longer_counts_as_buffered_and_fields_do_not_leak_into_the_next() {
    let mut decoder = SseDecoder::new();
    let events: Vec<_> = decoder
        .feed(b"event: first\nid: 7\nretry: 10\ndata: abc\n\n")
        .collect();
    assert_eq!(events[0].as_ref().unwrap().event.as_deref(), Some("first"));
    assert_eq!(decoder.buffered_len(), 0);
    let events: Vec<_> = decoder.feed(b"data: next\n\ndata: ab").collect();
    let next = events[0].as_ref().unwrap();
    assert_eq!((next.data.as_str(), next.event.as_deref()), ("next", None));
    assert_eq!((next.id.as_deref(), next.retry), (None, None));
    assert_eq!(decoder.buffered_len(), 8, "the unfinished line only");
}

#[test]
fn invalid_utf8_in_an_event_name_or_id_is_a_typed_error() {
    assert_eq!(
        decode(b"event: \xff\ndata: x\n\n"),
        [Err(SseError::InvalidUtf8)]
    );
    assert_eq!(
        decode(b"id: \xc3\ndata: x\n\n"),
        [Err(SseError::InvalidUtf8)]
    );
}

#[test]
fn invalid_utf8_in_a_field_value_never_used_is_harmless() {
    // On an event without data: the event is dropped, its fields with it.
    assert_eq!(decode(b"id: \xff\n\ndata: x\n\n").len(), 1);
    assert!(decode(b"id: \xff\n\n").is_empty());
    // Overwritten by a later line of the same event: only the last value counts.
    let events = decode(b"event: \xff\nevent: message\ndata: x\n\n");
    assert_eq!(
        events[0].as_ref().unwrap().event.as_deref(),
        Some("message")
    );
    let events = decode(b"id: \xc3\nid: 7\ndata: x\n\n");
    assert_eq!(events[0].as_ref().unwrap().id.as_deref(), Some("7"));
}

#[test]
fn invalid_utf8_in_an_unterminated_last_event_is_a_typed_error() {
    let mut decoder = SseDecoder::new();
    assert_eq!(decoder.feed(b"event: \xff\ndata: x").count(), 0);
    let events: Vec<_> = decoder.finish().collect();
    assert_eq!(events, [Err(SseError::InvalidUtf8)]);
}

#[test]
fn done_marker_is_recognized() {
    let events = decode(b"data: [DONE]\n\n");
    assert!(events[0].as_ref().unwrap().is_done());
}

#[test]
fn done_marker_is_recognized_with_any_whitespace_around_it() {
    for data in [
        "[DONE] ",
        "\t[DONE]",
        "[DONE]\u{a0}",
        "[DONE]\u{b}",
        "\u{2003}[DONE]",
    ] {
        assert!(SseEvent::data(data).is_done(), "{data:?}");
    }
    assert!(!SseEvent::data("[DONE]x").is_done());
    assert!(!SseEvent::data("[done]").is_done());
}

const RECORDED_STREAMS: &[&str] = &[
    "llama-cpp/chat_stream.sse",
    "llama-cpp/chat_stream_with_usage.sse",
    "llama-cpp/completion_stream.sse",
    "foundry-reconstructed/legacy_chat_stream_quirks.sse",
    "foundry-reconstructed/core_chat_stream_midstream_error.sse",
];

/// Turns a recorded stream's line ends into CRLF or CR, to prove the splits hold for every style.
fn with_line_ends(bytes: &[u8], style: u8) -> Vec<u8> {
    match style {
        0 => bytes.to_vec(),
        1 => bytes
            .iter()
            .flat_map(|&b| {
                if b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![b]
                }
            })
            .collect(),
        _ => bytes
            .iter()
            .map(|&b| if b == b'\n' { b'\r' } else { b })
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_of_a_recorded_stream_yields_the_same_events(
        file in 0..RECORDED_STREAMS.len(),
        style in 0u8..3,
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
    ) {
        let bytes = with_line_ends(&fixture(RECORDED_STREAMS[file]), style);
        let expected = decode(&bytes);
        prop_assert!(expected.len() >= 3);
        let mut positions: Vec<usize> = cuts.iter().map(|cut| cut.index(bytes.len() + 1)).collect();
        positions.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for position in positions {
            pieces.push(&bytes[start..position]);
            start = position;
        }
        pieces.push(&bytes[start..]);
        prop_assert_eq!(decode_pieces(&mut SseDecoder::new(), &pieces), expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut decoder = SseDecoder::with_max_event_size(512);
        for piece in bytes.chunks(37) {
            for event in decoder.feed(piece).flatten() {
                prop_assert!(event.data.len() <= 512);
            }
            prop_assert!(decoder.buffered_len() <= 512 + 37);
        }
        for event in decoder.finish().flatten() {
            prop_assert!(event.data.len() <= 512);
        }
    }
}
