//! Helpers shared by the fixture tests: reading fixture files, raw HTTP exchanges, and streams.

#![allow(dead_code)] // Each test binary uses a different subset.

use foundry_protocol::{ChatAccumulator, ChatChunk, ChatStreamDecoder, StreamError, StreamEvent};

/// The result of decoding a whole stream in one piece.
#[derive(Debug, Default)]
pub struct DecodedStream {
    pub chunks: Vec<ChatChunk>,
    pub done: bool,
    pub errors: Vec<StreamError>,
}

/// Decodes a chat stream fed in pieces of `piece` bytes (0 = all at once).
pub fn decode_chat_stream(body: &[u8], piece: usize) -> DecodedStream {
    let mut decoder = ChatStreamDecoder::default();
    let mut out = DecodedStream::default();
    let pieces: Vec<&[u8]> = if piece == 0 {
        vec![body]
    } else {
        body.chunks(piece).collect()
    };
    let mut events = Vec::new();
    for part in pieces {
        events.extend(decoder.feed(part));
    }
    events.extend(decoder.finish());
    for event in events {
        match event {
            Ok(StreamEvent::Item(chunk)) => out.chunks.push(chunk),
            Ok(StreamEvent::Done) => out.done = true,
            Err(error) => out.errors.push(error),
        }
    }
    out
}

/// Accumulates decoded chunks as a client would, with `[DONE]` if it arrived.
pub fn accumulate(stream: &DecodedStream, expected_choices: u32) -> ChatAccumulator {
    let mut accumulator = ChatAccumulator::with_expected_choices(expected_choices);
    for chunk in &stream.chunks {
        accumulator.push(chunk);
    }
    if stream.done {
        accumulator.push_done();
    }
    accumulator
}
