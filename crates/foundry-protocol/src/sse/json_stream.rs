//! Typed JSON events on top of the SSE decoder: chunks, `[DONE]`, and mid-stream error events.

use std::marker::PhantomData;
use std::sync::LazyLock;

use memchr::memmem;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::decoder::SseDecoder;
use super::event::{EventRef, SseError};
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
/// Events after `[DONE]` are ignored; empty `data:` lines (keep-alives some servers send) are skipped.
#[derive(Debug, Clone)]
pub struct JsonStreamDecoder<T> {
    sse: SseDecoder,
    done: bool,
    expected: &'static str,
    /// Set by the chat constructors ([`Default`], [`with_max_event_size`](Self::with_max_event_size)):
    /// a [`ChatChunk`] fails to decode when its event has a non-null `error` member, so the
    /// error is looked for only when a decode fails. Otherwise (any `T`, through
    /// [`new`](Self::new) or [`with_sse`](Self::with_sse)) each event's text is searched for it
    /// before the decode.
    item_rejects_errors: bool,
    _item: PhantomData<fn() -> T>,
}

/// The decoder of streamed chat answers.
pub type ChatStreamDecoder = JsonStreamDecoder<ChatChunk>;
/// The decoder of streamed legacy completions.
pub type CompletionStreamDecoder = JsonStreamDecoder<CompletionResponse>;

impl Default for JsonStreamDecoder<ChatChunk> {
    fn default() -> Self {
        Self::with_max_event_size(crate::DEFAULT_MAX_EVENT_SIZE)
    }
}

impl JsonStreamDecoder<ChatChunk> {
    /// A chat decoder whose events may not exceed `max_event_size` bytes (see
    /// [`SseDecoder::with_max_event_size`]).
    pub fn with_max_event_size(max_event_size: usize) -> Self {
        Self {
            item_rejects_errors: true,
            ..Self::with_sse(
                "chat completion chunk",
                SseDecoder::with_max_event_size(max_event_size),
            )
        }
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
            item_rejects_errors: false,
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
    ///
    /// Each event is decoded straight from the decoder's buffer, without an owned copy.
    pub fn next_event(&mut self) -> Option<Result<StreamEvent<T>, StreamError>> {
        loop {
            let event = self.sse.next_ref()?;
            if let Some(typed) = typed(
                event,
                &mut self.done,
                self.expected,
                self.item_rejects_errors,
            ) {
                return Some(typed);
            }
        }
    }

    /// Whether `[DONE]` has arrived.
    pub fn saw_done(&self) -> bool {
        self.done
    }
}

fn typed<T: DeserializeOwned>(
    event: Result<EventRef<'_>, SseError>,
    done: &mut bool,
    expected: &'static str,
    item_rejects_errors: bool,
) -> Option<Result<StreamEvent<T>, StreamError>> {
    if *done {
        return None;
    }
    let event = match event {
        Ok(event) => event,
        Err(error) => return Some(Err(error.into())),
    };
    if event.is_done() {
        *done = true;
        return Some(Ok(StreamEvent::Done));
    }
    if event.event == Some("error") {
        return Some(Err(error_event(event.data)));
    }
    // JSON's whitespace is ASCII: a data line of nothing else is a keep-alive.
    if event.data.trim_ascii().is_empty() {
        return None;
    }
    if !item_rejects_errors
        && mentions_error(event.data)
        && let Some(error) = error_member(event.data)
    {
        return Some(Err(StreamError::Api(error)));
    }
    Some(
        serde_json::from_str(event.data)
            .map(StreamEvent::Item)
            .map_err(|source| undecodable(event.data, expected, source)),
    )
}

/// An event that is not a `T`: the server's error when it carries one, else a decode error.
#[cold]
#[inline(never)]
fn undecodable(data: &str, expected: &'static str, source: serde_json::Error) -> StreamError {
    match error_member(data) {
        Some(error) => StreamError::Api(error),
        None => DecodeError::json(expected, data.as_bytes(), source).into(),
    }
}

/// An `event: error` event: the server's error, whatever its data.
#[cold]
#[inline(never)]
fn error_event(data: &str) -> StreamError {
    StreamError::Api(ApiError::from_body(data.as_bytes()))
}

/// Whether `data` holds the text `"error"`. Most chunks never do, so the second parse in
/// [`error_member`] only happens for error events and for servers that send `"error": null`
/// on every chunk.
fn mentions_error(data: &str) -> bool {
    // Built once: a searcher made per call would cost more than the search.
    static ERROR_KEY: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"\"error\""));
    ERROR_KEY.find(data.as_bytes()).is_some()
}

/// A non-null top-level `error` member. Out of line: for the chat decoders it runs only for
/// events that fail to decode (for other decoders, also on every event of a server that sends
/// `"error": null` on each).
#[cold]
#[inline(never)]
fn error_member(data: &str) -> Option<ApiError> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        error: Option<Value>,
    }
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
    fn a_chunk_with_an_error_member_is_not_a_chunk() {
        assert!(ChatChunk::from_slice(b"{\"error\":{\"message\":\"boom\"}}").is_err());
        assert!(ChatChunk::from_slice(b"{\"error\":null,\"choices\":[]}").is_ok());
        let encoded = serde_json::to_string(&ChatChunk::default()).unwrap();
        assert!(!encoded.contains("error"), "{encoded}");
        let printed = format!("{:?}", ChatChunk::default());
        assert!(!printed.contains("error"), "{printed}");
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
