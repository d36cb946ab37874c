//! Reading a streamed answer with the protocol crate's own decoder and accumulator.

use foundry_protocol::{ChatAccumulator, ChatChunk, ChatResponse, ChatStreamDecoder, StreamEvent};

/// Decodes every chunk of an SSE body; `true` when `[DONE]` arrived.
pub fn decode(body: &[u8]) -> (Vec<ChatChunk>, bool) {
    let mut decoder = ChatStreamDecoder::default();
    let mut chunks = Vec::new();
    let mut done = false;
    let mut events: Vec<_> = decoder.feed(body).collect();
    events.extend(decoder.finish());
    for event in events {
        match event.expect("well-formed event") {
            StreamEvent::Item(chunk) => chunks.push(chunk),
            StreamEvent::Done => done = true,
        }
    }
    (chunks, done)
}

/// The answer a client assembles from a streamed body.
pub fn assemble(body: &[u8], choices: u32) -> ChatResponse {
    let (chunks, done) = decode(body);
    let mut accumulator = ChatAccumulator::with_expected_choices(choices);
    chunks.iter().for_each(|chunk| accumulator.push(chunk));
    if done {
        accumulator.push_done();
    }
    accumulator.finish().expect("a complete stream")
}
