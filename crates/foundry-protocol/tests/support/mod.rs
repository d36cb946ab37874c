//! Helpers shared by the fixture tests: reading fixture files, raw HTTP exchanges, and streams.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::path::{Path, PathBuf};

use foundry_protocol::{ChatAccumulator, ChatChunk, ChatStreamDecoder, StreamError, StreamEvent};

/// The fixture directory of this crate.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The bytes of one fixture, e.g. `fixture("llama-server/health.json")`.
pub fn fixture(relative: &str) -> Vec<u8> {
    let path = fixtures_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file name in a fixture folder except its README, sorted.
pub fn fixture_files(folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join(folder))
        .expect("fixture folder exists")
        .map(|entry| {
            entry
                .expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name != "README.md")
        .collect();
    names.sort();
    names
}

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
