//! Fuzzing with proptest (cargo-fuzz needs a nightly toolchain, which these machines do not have):
//! every decoder and parser meets arbitrary bytes and mutated recordings, split at random, and
//! must neither panic nor hold more than its bounds. Raise the case count with `PROPTEST_CASES`.

mod support;

use foundry_protocol::foundry::{
    CliServerStatus, DownloadProgressParser, parse_catalog, parse_model_ids,
    parse_service_status_text,
};
use foundry_protocol::{ApiError, ChatResponse, ChatStreamDecoder, ServiceStatus, SseDecoder};
use foundry_recordings::{fixture, fixture_files};
use proptest::prelude::*;

/// Every recorded payload: the corpus the mutations start from.
fn corpus() -> Vec<Vec<u8>> {
    [
        "llama-cpp",
        "foundry-reconstructed",
        "foundry-core2",
        "foundry-core1",
    ]
    .iter()
    .flat_map(|folder| {
        fixture_files(folder)
            .into_iter()
            .map(move |file| fixture(&format!("{folder}/{file}")))
    })
    .collect()
}

/// A recording with a few bytes flipped, inserted or removed — or plain random bytes.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let corpus = corpus();
    let mutated = (
        0..corpus.len(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..16),
    )
        .prop_map(move |(pick, edits)| {
            let mut bytes = corpus[pick].clone();
            for (at, byte, op) in edits {
                let at = at.index(bytes.len() + 1);
                match op {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => {}
                }
            }
            bytes
        });
    prop_oneof![3 => mutated, 1 => proptest::collection::vec(any::<u8>(), 0..2048)]
}

/// 512 cases per target by default; `PROPTEST_CASES` raises it for a long run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(512)
}

fn pieces(bytes: &[u8], cut: usize) -> impl Iterator<Item = &[u8]> {
    bytes.chunks(cut.max(1))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn sse_and_chat_chunk_decoders_never_panic_and_stay_bounded(bytes in input(), cut in 1usize..300) {
        let mut sse = SseDecoder::with_max_event_size(4096);
        let mut chat = ChatStreamDecoder::with_sse("chat completion chunk", SseDecoder::with_max_event_size(4096));
        for piece in pieces(&bytes, cut) {
            for event in sse.feed(piece).flatten() {
                prop_assert!(event.data.len() <= 4096);
            }
            prop_assert!(sse.buffered_len() <= 4096 + cut);
            let _ = chat.feed(piece).count();
        }
        let _ = sse.finish().count();
        let _ = chat.finish().count();
    }

    #[test]
    fn the_download_progress_parser_never_panics(bytes in input(), cut in 1usize..300) {
        let mut parser = DownloadProgressParser::new();
        for piece in pieces(&bytes, cut) {
            if parser.feed(piece).is_err() {
                return Ok(());
            }
        }
        let _ = parser.finish();
    }

    #[test]
    fn the_cli_and_management_parsers_never_panic(bytes in input()) {
        let text = String::from_utf8_lossy(&bytes);
        let status = parse_service_status_text(&text);
        prop_assert!(status.endpoint.is_none() || status.endpoint.as_deref().is_some_and(|e| e.starts_with("http")));
        let _ = CliServerStatus::from_json(&text);
        let _ = parse_catalog(&bytes);
        let _ = parse_model_ids(&bytes);
        let _ = ServiceStatus::from_slice(&bytes);
        let _ = ChatResponse::from_slice(&bytes);
        let error = ApiError::from_body(&bytes);
        prop_assert!(error.message.len() <= 4096 || error.message.len() <= bytes.len());
    }
}
