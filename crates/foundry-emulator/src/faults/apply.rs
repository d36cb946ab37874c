//! Turning a built answer into a faulty one. Faults that replace the answer (`status`,
//! `close_before_headers`) are handled before the route runs, in the server.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::CONTENT_LENGTH;

use super::Fault;
use crate::reply::{ChunkPlan, Reply, ReplyBody, StreamEnd, sse_event};

/// How long a stall lasts when the rule does not say.
const DEFAULT_STALL: Duration = Duration::from_secs(600);
/// Pieces a whole body is cut into for a slow trickle.
const TRICKLE_PIECES: usize = 16;

/// Applies a body fault to `reply`.
pub(crate) fn apply(fault: &Fault, mut reply: Reply) -> Reply {
    // Shapes the generated answer itself (see `Call::defect`): the wire stays intact.
    if let Fault::StructuredOutput { .. } = fault {
        return reply;
    }
    let mut plan = match reply.body {
        ReplyBody::Full(bytes) => {
            let length = bytes.len() as u64;
            let mut plan = ChunkPlan::new([bytes], false);
            plan.content_length = Some(length);
            plan
        }
        ReplyBody::Chunks(plan) => plan,
    };
    match fault {
        Fault::ResetMidBody { after_bytes } => {
            let total: usize = plan.chunks.iter().map(Bytes::len).sum();
            let keep = after_bytes
                .unwrap_or(total / 2)
                .min(total.saturating_sub(1));
            plan.chunks = keep_bytes(&plan.chunks, keep);
            plan.end = StreamEnd::Abort;
            plan.on_complete = None;
        }
        Fault::TruncateStream { after_chunks } => {
            // Event streams and line streams (downloads) lose their last chunks; a sized body
            // is cut in half but stays well framed.
            if plan.sse || plan.content_length.is_none() {
                let keep = events_before_end(&plan, *after_chunks);
                plan.chunks.truncate(keep);
            } else {
                let whole = concat(&plan.chunks);
                let half = whole.slice(..whole.len() / 2);
                plan.content_length = plan.content_length.map(|_| half.len() as u64);
                plan.chunks = VecDeque::from([half]);
            }
            plan.on_complete = None;
        }
        Fault::MalformedChunk { at } => {
            const BROKEN: &[u8] = br#"{"choices":[{"index":0,"delta":{"content":"#;
            if plan.sse && !plan.chunks.is_empty() {
                let at = at.unwrap_or(1).min(plan.chunks.len() - 1);
                plan.chunks[at] = sse_event(BROKEN);
            } else {
                plan.content_length = plan.content_length.map(|_| BROKEN.len() as u64);
                plan.chunks = VecDeque::from([Bytes::from_static(BROKEN)]);
            }
        }
        Fault::ErrorEvent {
            after_chunks,
            message,
        } => {
            let message = message
                .as_deref()
                .unwrap_or("Inference failed: injected fault");
            let error = serde_json::json!({"error": {
                "code": null, "message": message, "param": null, "type": "server_error"
            }});
            let error = Bytes::from(error.to_string());
            if plan.sse {
                let keep = events_before_end(&plan, *after_chunks);
                plan.chunks.truncate(keep);
                plan.chunks.push_back(sse_event(&error));
            } else {
                plan.content_length = plan.content_length.map(|_| error.len() as u64);
                plan.chunks = VecDeque::from([error]);
            }
            plan.on_complete = None;
        }
        Fault::Stall { ms } => {
            plan.chunks.clear();
            plan.on_complete = None;
            plan.end = StreamEnd::Stall(ms.map_or(DEFAULT_STALL, Duration::from_millis));
        }
        Fault::SlowTrickle { chunk_delay_ms } => {
            if !plan.sse && plan.chunks.len() == 1 {
                let whole = concat(&plan.chunks);
                let piece = whole.len().div_ceil(TRICKLE_PIECES).max(1);
                plan.chunks = (0..whole.len())
                    .step_by(piece)
                    .map(|start| whole.slice(start..(start + piece).min(whole.len())))
                    .collect();
            }
            let delay = Duration::from_millis(*chunk_delay_ms);
            plan.first_delay = plan.first_delay.max(delay);
            plan.delay = plan.delay.max(delay);
        }
        Fault::Oversized { bytes } => {
            if plan.sse {
                let prefix = br#"{"choices":[{"index":0,"delta":{"content":""#;
                let suffix = br#""},"finish_reason":null}],"object":"chat.completion.chunk"}"#;
                let fill = bytes.saturating_sub(prefix.len() + suffix.len() + 8);
                let mut data = Vec::with_capacity(*bytes);
                data.extend_from_slice(prefix);
                data.resize(prefix.len() + fill, b'x');
                data.extend_from_slice(suffix);
                plan.chunks.push_front(sse_event(&data));
            } else {
                let fill = bytes.saturating_sub(14);
                let mut data = Vec::with_capacity(*bytes);
                data.extend_from_slice(br#"{"padding":""#);
                data.resize(12 + fill, b'x');
                data.extend_from_slice(br#""}"#);
                plan.content_length = plan.content_length.map(|_| data.len() as u64);
                plan.chunks = VecDeque::from([Bytes::from(data)]);
            }
        }
        // Handled before the route runs, or while the answer is generated.
        Fault::Status { .. } | Fault::CloseBeforeHeaders | Fault::StructuredOutput { .. } => {}
    }
    if let Some(length) = plan.content_length {
        reply.headers.insert(CONTENT_LENGTH, length.into());
    }
    reply.body = ReplyBody::Chunks(plan);
    reply
}

/// How many events to keep so that no finish, usage or `[DONE]` event is among them.
fn events_before_end(plan: &ChunkPlan, wanted: Option<usize>) -> usize {
    let limit = plan
        .chunks
        .iter()
        .position(|event| {
            let text = String::from_utf8_lossy(event);
            text.contains("[DONE]")
                || text.contains(r#""choices":[]"#)
                || text.contains(r#""finish_reason":""#)
        })
        .unwrap_or(plan.chunks.len());
    wanted.unwrap_or((limit / 2).max(1)).min(limit)
}

fn concat(chunks: &VecDeque<Bytes>) -> Bytes {
    let mut whole = BytesMut::new();
    chunks
        .iter()
        .for_each(|chunk| whole.extend_from_slice(chunk));
    whole.freeze()
}

/// The first `keep` bytes of the chunks, chunk boundaries kept.
fn keep_bytes(chunks: &VecDeque<Bytes>, keep: usize) -> VecDeque<Bytes> {
    let mut left = keep;
    let mut kept = VecDeque::new();
    for chunk in chunks {
        if left == 0 {
            break;
        }
        let take = chunk.len().min(left);
        kept.push_back(chunk.slice(..take));
        left -= take;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn stream() -> Reply {
        let events = [
            r#"{"choices":[{"delta":{"role":"assistant"},"finish_reason":null}]}"#,
            r#"{"choices":[{"delta":{"content":"a"},"finish_reason":null}]}"#,
            r#"{"choices":[{"delta":{"content":"b"},"finish_reason":null}]}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#,
        ]
        .map(|e| sse_event(e.as_bytes()));
        let mut plan = ChunkPlan::new(events, true);
        plan.chunks.push_back(crate::reply::sse_done());
        Reply::new(StatusCode::OK, ReplyBody::Chunks(plan))
    }

    fn plan_of(reply: Reply) -> ChunkPlan {
        match reply.body {
            ReplyBody::Chunks(plan) => plan,
            ReplyBody::Full(_) => panic!("a fault always yields a chunk plan"),
        }
    }

    #[test]
    fn truncation_and_error_events_stop_before_the_finish() {
        let plan = plan_of(apply(
            &Fault::TruncateStream { after_chunks: None },
            stream(),
        ));
        assert_eq!(plan.chunks.len(), 1);
        let plan = plan_of(apply(
            &Fault::TruncateStream {
                after_chunks: Some(9),
            },
            stream(),
        ));
        assert_eq!(plan.chunks.len(), 3);
        let plan = plan_of(apply(
            &Fault::ErrorEvent {
                after_chunks: Some(2),
                message: None,
            },
            stream(),
        ));
        assert_eq!(plan.chunks.len(), 3);
        assert!(String::from_utf8_lossy(&plan.chunks[2]).starts_with(r#"data: {"error""#));
    }

    #[test]
    fn whole_bodies_are_cut_and_framed() {
        let reply = Reply::json(StatusCode::OK, Bytes::from_static(b"0123456789"));
        let reset = apply(&Fault::ResetMidBody { after_bytes: None }, reply);
        assert_eq!(reset.headers[CONTENT_LENGTH], "10");
        let plan = plan_of(reset);
        assert_eq!(
            (plan.chunks.len(), plan.chunks[0].len(), plan.end),
            (1, 5, StreamEnd::Abort)
        );
        let big = apply(
            &Fault::Oversized { bytes: 1000 },
            Reply::json(StatusCode::OK, "{}"),
        );
        assert_eq!(big.headers[CONTENT_LENGTH], "1000");
        let slow = plan_of(apply(
            &Fault::SlowTrickle { chunk_delay_ms: 5 },
            Reply::json(StatusCode::OK, vec![b'x'; 100]),
        ));
        assert_eq!(slow.chunks.len(), 15);
        assert_eq!(slow.delay, Duration::from_millis(5));
    }
}
