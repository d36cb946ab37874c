//! Typed JSON events on top of the SSE decoder: chunks, `[DONE]`, and mid-stream error events.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::decoder::SseDecoder;
use super::event::{SseError, SseEvent};
use crate::api_error::ApiError;
use crate::chat::ChatChunk;
use crate::completions::CompletionResponse;
use crate::decode_error::DecodeError;

/// One typed event of an OpenAI-style stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent<T> {
    /// A decoded chunk.
    Item(T),
    /// The `[DONE]` marker: the server ended the stream properly.
    Done,
}

/// Why a stream event could not be turned into a chunk.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The bytes were not valid server-sent events.
    #[error("invalid event stream")]
    Sse(#[from] SseError),
    /// The server sent an error event (`data: {"error":...}` or `event: error`) in the stream.
    #[error("the server reported an error in the stream: {0}")]
    Api(ApiError),
    /// An event's data was not the expected JSON.
    #[error("malformed event in the stream")]
    Decode(#[from] DecodeError),
}

/// Decodes a stream of JSON events of type `T`, ending at `[DONE]`.
///
/// Events after `[DONE]` are ignored; empty `data:` lines (keep-alives some servers send) are
/// skipped. An event whose JSON has a non-null top-level `error` member, or an `event: error`,
/// is the server's error ([`StreamError::Api`]), whatever `T` is.
#[derive(Debug, Clone)]
pub struct JsonStreamDecoder<T> {
    sse: SseDecoder,
    done: bool,
    expected: &'static str,
    _item: PhantomData<fn() -> T>,
}

/// The decoder of streamed chat answers.
pub type ChatStreamDecoder = JsonStreamDecoder<ChatChunk>;
/// The decoder of streamed legacy completions.
pub type CompletionStreamDecoder = JsonStreamDecoder<CompletionResponse>;

impl Default for JsonStreamDecoder<ChatChunk> {
    fn default() -> Self {
        Self::new("chat completion chunk")
    }
}

impl<T: DeserializeOwned> JsonStreamDecoder<T> {
    /// A decoder whose decode errors name `expected` (e.g. `"chat completion chunk"`).
    pub fn new(expected: &'static str) -> Self {
        Self::with_sse(expected, SseDecoder::new())
    }

    /// A decoder over a configured SSE decoder (for another size bound).
    pub fn with_sse(expected: &'static str, sse: SseDecoder) -> Self {
        Self {
            sse,
            done: false,
            expected,
            _item: PhantomData,
        }
    }

    /// Adds bytes and returns the typed events they complete.
    pub fn feed<'a>(
        &'a mut self,
        bytes: &[u8],
    ) -> impl Iterator<Item = Result<StreamEvent<T>, StreamError>> + 'a {
        self.push(bytes);
        std::iter::from_fn(move || self.next_event())
    }

    /// Ends the stream: the typed events still to come, a last event without its closing blank
    /// line included.
    pub fn finish<'a>(
        &'a mut self,
    ) -> impl Iterator<Item = Result<StreamEvent<T>, StreamError>> + 'a {
        self.end();
        std::iter::from_fn(move || self.next_event())
    }

    /// Adds bytes without decoding them: a reader that takes one event at a time pushes the
    /// bytes it receives and calls [`next_event`](Self::next_event) until it returns `None`.
    pub fn push(&mut self, bytes: &[u8]) {
        self.sse.push(bytes);
    }

    /// Marks the end of the body: [`next_event`](Self::next_event) then also returns a last
    /// event without its closing blank line.
    pub fn end(&mut self) {
        self.sse.end();
    }

    /// The next complete typed event, or `None` until more bytes are pushed (or, after
    /// [`end`](Self::end), when nothing is left).
    pub fn next_event(&mut self) -> Option<Result<StreamEvent<T>, StreamError>> {
        loop {
            if self.done {
                return None;
            }
            let event = match self.sse.next_event()? {
                Ok(event) => event,
                Err(error) => return Some(Err(error.into())),
            };
            if let Some(typed) = self.typed(event) {
                return Some(typed);
            }
        }
    }

    /// Whether `[DONE]` has arrived.
    pub fn saw_done(&self) -> bool {
        self.done
    }

    /// What one event is: `[DONE]`, the server's error, a `T`, or nothing (a keep-alive).
    fn typed(&mut self, event: SseEvent) -> Option<Result<StreamEvent<T>, StreamError>> {
        if event.is_done() {
            self.done = true;
            return Some(Ok(StreamEvent::Done));
        }
        if event.event.as_deref() == Some("error") {
            return Some(Err(StreamError::Api(ApiError::from_body(
                event.data.as_bytes(),
            ))));
        }
        // JSON's whitespace is ASCII: a data line of nothing else is a keep-alive.
        if event.data.trim_ascii().is_empty() {
            return None;
        }
        if let Some(error) = error_member(&event.data) {
            return Some(Err(StreamError::Api(error)));
        }
        Some(
            serde_json::from_str(&event.data)
                .map(StreamEvent::Item)
                .map_err(|source| {
                    DecodeError::json(self.expected, event.data.as_bytes(), source).into()
                }),
        )
    }
}

/// The server's error, when `data` is a JSON object with a non-null top-level `error` member.
/// Only events that mention `"error"` at all are parsed for it: a chunk's text cannot, since
/// quotes inside a JSON string are escaped.
fn error_member(data: &str) -> Option<ApiError> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        error: Option<Value>,
    }
    memchr::memmem::find(data.as_bytes(), b"\"error\"")?;
    let probe: Probe = serde_json::from_str(data).ok()?;
    probe
        .error
        .filter(|error| !error.is_null())
        .map(|error| ApiError::from_value(&error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Vec<Result<StreamEvent<ChatChunk>, StreamError>> {
        let mut decoder = ChatStreamDecoder::default();
        let mut out: Vec<_> = decoder.feed(bytes).collect();
        out.extend(decoder.finish());
        out
    }

    #[test]
    fn error_events_become_api_errors() {
        let events =
            decode(b"data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n");
        assert!(matches!(&events[0], Err(StreamError::Api(e)) if e.message == "boom"));
        let events = decode(b"event: error\ndata: overloaded\n\n");
        assert!(matches!(&events[0], Err(StreamError::Api(e)) if e.message == "overloaded"));
    }

    #[test]
    fn an_error_member_is_found_wherever_it_stands_and_whatever_surrounds_it() {
        for body in [
            &b"data: {\"choices\":[],\"error\":{\"message\":\"late\"}}\n\n"[..],
            b"data: {\"choices\":\"not a list\",\"error\":{\"message\":\"late\"}}\n\n",
            b"data: {\"error\":\"late\",\"id\":7}\n\n",
        ] {
            let events = decode(body);
            assert!(
                matches!(&events[0], Err(StreamError::Api(e)) if e.message == "late"),
                "{events:?}"
            );
        }
    }

    #[test]
    fn decoders_of_other_types_find_error_members_too() {
        let mut decoder = CompletionStreamDecoder::new("completion chunk");
        let mut events: Vec<_> = decoder
            .feed(b"data: {\"choices\":[],\"error\":{\"message\":\"boom\"}}\n\ndata: {\"choices\":[],\"error\":null}\n\n")
            .collect();
        events.extend(decoder.finish());
        assert!(matches!(&events[0], Err(StreamError::Api(e)) if e.message == "boom"));
        assert!(matches!(events[1], Ok(StreamEvent::Item(_))));
    }

    #[test]
    fn text_that_mentions_an_error_is_a_chunk() {
        let events =
            decode(b"data: {\"choices\":[{\"delta\":{\"content\":\"an \\\"error\\\": no\"}}]}\n\n");
        assert!(
            matches!(&events[0], Ok(StreamEvent::Item(chunk)) if chunk.text() == Some("an \"error\": no")),
            "{events:?}"
        );
    }

    #[test]
    fn null_error_members_are_not_errors() {
        let events = decode(b"data: {\"error\":null,\"choices\":[]}\n\n");
        assert!(matches!(events[0], Ok(StreamEvent::Item(_))));
    }

    #[test]
    fn malformed_json_is_a_decode_error_and_done_ends_the_stream() {
        let events = decode(b"data: {\"choices\":[\n\ndata: [DONE]\n\ndata: {}\n\n");
        assert!(matches!(events[0], Err(StreamError::Decode(_))));
        assert!(matches!(events[1], Ok(StreamEvent::Done)));
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn pulling_one_event_at_a_time_from_any_split_matches_feeding_the_whole_body() {
        let body: &[u8] = b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n: ping\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\ndata: [DONE]\n\ndata: {}";
        let whole = decode(body);
        assert_eq!(
            whole.len(),
            3,
            "two chunks and [DONE]; nothing after [DONE]"
        );
        for split in 0..=body.len() {
            let mut decoder = ChatStreamDecoder::default();
            let mut pulled = Vec::new();
            for piece in [&body[..split], &body[split..]] {
                decoder.push(piece);
                pulled.extend(std::iter::from_fn(|| decoder.next_event()));
            }
            decoder.end();
            pulled.extend(std::iter::from_fn(|| decoder.next_event()));
            let texts = |events: &[Result<StreamEvent<ChatChunk>, StreamError>]| {
                events
                    .iter()
                    .map(|event| match event {
                        Ok(StreamEvent::Item(chunk)) => chunk.text().unwrap_or_default().to_owned(),
                        Ok(StreamEvent::Done) => "[DONE]".to_owned(),
                        Err(error) => format!("error: {error}"),
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(texts(&pulled), texts(&whole), "split at {split}");
            assert!(decoder.saw_done());
        }
    }

    #[test]
    fn an_unterminated_last_event_arrives_after_end() {
        let mut decoder = ChatStreamDecoder::default();
        decoder.push(b"data: {\"choices\":[]}");
        assert!(
            decoder.next_event().is_none(),
            "not complete before the end"
        );
        decoder.end();
        assert!(matches!(
            decoder.next_event(),
            Some(Ok(StreamEvent::Item(_)))
        ));
        assert!(decoder.next_event().is_none());
    }

    #[test]
    fn empty_keep_alive_data_is_skipped() {
        assert!(decode(b"data:\n\n: ping\n\n").is_empty());
    }
}
