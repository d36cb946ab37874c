//! Decoding speed of a recorded-shape 1,000-chunk chat stream: raw SSE events, typed chat
//! chunks, and chunks accumulated into the full answer. Targets: ≥ 1,000,000 raw events/s and
//! ≥ 300,000 typed chunks/s on one core.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use foundry_protocol::{ChatAccumulator, ChatStreamDecoder, SseDecoder, StreamEvent};

const CHUNKS: usize = 1000;
/// Bytes per feed: a typical read from a socket.
const READ_SIZE: usize = 4096;

/// A stream shaped like llama.cpp's recording: a role chunk, content chunks, a finish chunk,
/// a usage chunk and `[DONE]`, 1,000 chunk events in all.
fn recorded_stream() -> Vec<u8> {
    let head = r#"{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"created":1795547155,"id":"chatcmpl-V5YoTyCSj63O0DAg1j8QUSYVafOJkUzg","model":"smollm2","system_fingerprint":"b0-unknown","object":"chat.completion.chunk"}"#;
    let token = r#"{"choices":[{"finish_reason":null,"index":0,"delta":{"content":" French"}}],"created":1795547155,"id":"chatcmpl-V5YoTyCSj63O0DAg1j8QUSYVafOJkUzg","model":"smollm2","system_fingerprint":"b0-unknown","object":"chat.completion.chunk"}"#;
    let finish = r#"{"choices":[{"finish_reason":"length","index":0,"delta":{}}],"created":1795547155,"id":"chatcmpl-V5YoTyCSj63O0DAg1j8QUSYVafOJkUzg","model":"smollm2","system_fingerprint":"b0-unknown","object":"chat.completion.chunk"}"#;
    let usage = r#"{"choices":[],"created":1795547155,"id":"chatcmpl-V5YoTyCSj63O0DAg1j8QUSYVafOJkUzg","model":"smollm2","system_fingerprint":"b0-unknown","object":"chat.completion.chunk","usage":{"completion_tokens":997,"prompt_tokens":34,"total_tokens":1031}}"#;
    let mut body = String::new();
    let mut push = |data: &str| {
        body.push_str("data: ");
        body.push_str(data);
        body.push_str("\n\n");
    };
    push(head);
    for _ in 0..CHUNKS - 3 {
        push(token);
    }
    push(finish);
    push(usage);
    push("[DONE]");
    body.into_bytes()
}

fn raw_sse(body: &[u8]) -> usize {
    let mut decoder = SseDecoder::new();
    let mut events = 0;
    for piece in body.chunks(READ_SIZE) {
        for event in decoder.feed(piece) {
            black_box(event.expect("valid stream"));
            events += 1;
        }
    }
    events
}

fn typed_chunks(body: &[u8]) -> usize {
    let mut decoder = ChatStreamDecoder::default();
    let mut chunks = 0;
    for piece in body.chunks(READ_SIZE) {
        for event in decoder.feed(piece) {
            if let StreamEvent::Item(chunk) = event.expect("valid stream") {
                black_box(chunk);
                chunks += 1;
            }
        }
    }
    chunks
}

fn accumulated(body: &[u8]) -> usize {
    let mut decoder = ChatStreamDecoder::default();
    let mut answer = ChatAccumulator::new();
    for piece in body.chunks(READ_SIZE) {
        for event in decoder.feed(piece) {
            match event.expect("valid stream") {
                StreamEvent::Item(chunk) => answer.push(&chunk),
                StreamEvent::Done => answer.push_done(),
            }
        }
    }
    answer
        .finish()
        .expect("complete stream")
        .text()
        .map_or(0, |text| text.len())
}

fn bench(c: &mut Criterion) {
    let body = recorded_stream();
    assert_eq!(raw_sse(&body), CHUNKS + 1, "1,000 chunks and [DONE]");
    assert_eq!(typed_chunks(&body), CHUNKS);

    let mut events = c.benchmark_group("sse_decode/events");
    events.throughput(Throughput::Elements(CHUNKS as u64));
    events.bench_function("raw_sse", |b| b.iter(|| raw_sse(black_box(&body))));
    events.bench_function("typed_chat_chunks", |b| {
        b.iter(|| typed_chunks(black_box(&body)))
    });
    events.bench_function("typed_and_accumulated", |b| {
        b.iter(|| accumulated(black_box(&body)))
    });
    events.finish();

    // A 1 MiB line arriving in 256-byte pieces: each byte must be scanned once, not once per
    // piece (a hostile or slow server must not make decoding quadratic).
    let long_line = [b"data: ".as_slice(), &vec![b'x'; 1 << 20], b"\n\n"].concat();
    let mut long = c.benchmark_group("sse_decode/long_line_small_pieces");
    long.throughput(Throughput::Bytes(long_line.len() as u64));
    long.bench_function("1MiB_in_256B_feeds", |b| {
        b.iter(|| {
            let mut decoder = SseDecoder::new();
            let mut events = 0;
            for piece in long_line.chunks(256) {
                events += decoder.feed(piece).count();
            }
            assert_eq!(events, 1);
        })
    });
    long.finish();

    let mut bytes = c.benchmark_group("sse_decode/bytes");
    bytes.throughput(Throughput::Bytes(body.len() as u64));
    bytes.bench_function("raw_sse", |b| b.iter(|| raw_sse(black_box(&body))));
    bytes.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
