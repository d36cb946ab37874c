//! An incremental server-sent-events decoder that accepts bytes split anywhere.

use std::ops::Range;

use super::event::{EventRef, SseError, SseEvent};

/// The default bound on one line or one event's data: 4 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 4 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes a `text/event-stream` body fed in arbitrary pieces.
///
/// Handles LF, CR and CRLF line ends (a CRLF may be split across feeds), multi-line `data:`,
/// comments (`:` keep-alives), the `event:`, `id:` and `retry:` fields, UTF-8 characters split
/// across feeds, and a last event without its blank line (flushed by [`finish`](Self::finish)).
/// A line or event larger than the bound is an error, so a hostile server cannot make it buffer
/// without limit. After an error the decoder yields nothing more.
///
/// ```
/// use foundry_protocol::SseDecoder;
///
/// let mut decoder = SseDecoder::new();
/// let mut events = Vec::new();
/// for piece in [&b"data: hel"[..], b"lo\r", b"\n\r\ndata: [DONE]\n\n"] {
///     events.extend(decoder.feed(piece).map(Result::unwrap));
/// }
/// assert_eq!(events[0].data, "hello");
/// assert!(events[1].is_done());
/// ```
#[derive(Debug, Clone)]
pub struct SseDecoder {
    buffer: Vec<u8>,
    position: usize,
    /// Bytes after `position` already searched for a line end (none found): a long line that
    /// arrives in small pieces is scanned once, not once per piece.
    scanned: usize,
    /// `finish` was called: the last line without its line end is processed at the end.
    finishing: bool,
    /// The last byte consumed was a CR: an LF right after it belongs to the same line end.
    after_cr: bool,
    at_stream_start: bool,
    pending: PendingEvent,
    /// `pending` holds an event already handed out (borrowed): it is cleared on the next call,
    /// its buffer kept, so a stream of events reuses one allocation.
    dispatched: bool,
    max_event_size: usize,
    failed: bool,
}

/// The fields of the event being read. Data is checked as UTF-8 line by line (a line end is
/// ASCII, so a valid stream never splits a character across lines, and every data line reaches
/// the event). `event:` and `id:` keep their last raw value, checked only when an event with
/// data is dispatched: a value overwritten later, or on an event without data, is never used, so
/// it cannot fail the stream.
#[derive(Debug, Clone, Default)]
struct PendingEvent {
    data: String,
    has_data: bool,
    event: Option<Vec<u8>>,
    id: Option<Vec<u8>>,
    retry: Option<u64>,
    /// `event` and `id` as text, set when the event is dispatched.
    event_text: Option<String>,
    id_text: Option<String>,
}

/// Where the event [`SseDecoder::advance`] stopped at is.
enum Ready {
    /// In the decoder's pending fields.
    Pending,
    /// A lone `data:` line: its value in the buffer, not yet checked as UTF-8.
    InBuffer(Range<usize>),
}

impl PendingEvent {
    /// Nothing read of the next event yet.
    fn is_empty(&self) -> bool {
        !self.has_data && self.event.is_none() && self.id.is_none() && self.retry.is_none()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.has_data = false;
        self.event = None;
        self.id = None;
        self.retry = None;
        self.event_text = None;
        self.id_text = None;
    }

    /// Turns the raw `event:` and `id:` values into text (no copy: their bytes move).
    #[cold]
    #[inline(never)]
    fn check_text_fields(&mut self) -> Result<(), SseError> {
        let text = |raw: Option<Vec<u8>>| {
            raw.map(String::from_utf8)
                .transpose()
                .map_err(|_| SseError::InvalidUtf8)
        };
        self.event_text = text(self.event.take())?;
        self.id_text = text(self.id.take())?;
        Ok(())
    }
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    /// A decoder with the default size bound ([`DEFAULT_MAX_EVENT_SIZE`]).
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A decoder whose lines and event data may not exceed `max_event_size` bytes.
    pub fn with_max_event_size(max_event_size: usize) -> Self {
        Self {
            buffer: Vec::new(),
            position: 0,
            scanned: 0,
            finishing: false,
            after_cr: false,
            at_stream_start: true,
            pending: PendingEvent::default(),
            dispatched: false,
            max_event_size,
            failed: false,
        }
    }

    /// Adds bytes and returns the events they complete.
    pub fn feed<'a>(&'a mut self, bytes: &[u8]) -> Events<'a> {
        self.push(bytes);
        Events { decoder: self }
    }

    /// Ends the stream: returns the events still to come — complete ones not yet taken, then a
    /// last line without its line end, and an event without its closing blank line (returned
    /// rather than lost).
    pub fn finish(&mut self) -> Events<'_> {
        self.end();
        Events { decoder: self }
    }

    /// Adds bytes without taking the events they complete (see [`next_ref`](Self::next_ref)).
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if self.failed {
            // An event handed out from the buffer failed its check: let the memory go.
            self.buffer = Vec::new();
            self.position = 0;
        } else {
            self.buffer.drain(..self.position);
            self.position = 0;
            self.buffer.extend_from_slice(bytes);
        }
    }

    /// Marks the end of the stream: the unterminated tail is decoded once the complete events
    /// before it are taken.
    pub(crate) fn end(&mut self) {
        self.finishing = true;
    }

    /// The next complete event, borrowed from the decoder until the next call: no copy of its
    /// data and no allocation per event.
    pub(crate) fn next_ref(&mut self) -> Option<Result<EventRef<'_>, SseError>> {
        let ready = match self.advance()? {
            Ok(ready) => ready,
            Err(error) => return Some(Err(error)),
        };
        Some(match ready {
            Ready::Pending => {
                let pending = &self.pending;
                Ok(EventRef {
                    data: &pending.data,
                    event: pending.event_text.as_deref(),
                    id: pending.id_text.as_deref(),
                    retry: pending.retry,
                })
            }
            Ready::InBuffer(range) => {
                // The data is checked here, where it is handed out, so it is checked once.
                let failed = &mut self.failed;
                match std::str::from_utf8(&self.buffer[range]) {
                    Ok(data) => Ok(EventRef {
                        data,
                        event: None,
                        id: None,
                        retry: None,
                    }),
                    Err(_) => {
                        *failed = true;
                        Err(SseError::InvalidUtf8)
                    }
                }
            }
        })
    }

    /// The end of a finished stream: the unterminated last line, then the pending event.
    fn finish_tail(&mut self) -> Option<Result<Ready, SseError>> {
        self.finishing = false;
        if self.position < self.buffer.len() {
            let line_end = self.buffer.len();
            if let Err(error) = self.process_line(self.position, line_end) {
                return Some(Err(self.fail(error)));
            }
            self.position = line_end;
            self.scanned = 0;
        }
        match self.dispatch() {
            Ok(true) => Some(Ok(Ready::Pending)),
            Ok(false) => None,
            Err(error) => Some(Err(self.fail(error))),
        }
    }

    /// Bytes received but not yet part of a complete line.
    pub fn buffered_len(&self) -> usize {
        if self.failed {
            return 0;
        }
        let pending = if self.dispatched {
            0
        } else {
            self.pending.data.len()
        };
        self.buffer.len() - self.position + pending
    }

    fn fail(&mut self, error: SseError) -> SseError {
        self.failed = true;
        self.buffer = Vec::new();
        self.position = 0;
        self.scanned = 0;
        self.pending = PendingEvent::default();
        self.dispatched = false;
        error
    }

    /// Reads up to the next complete event, left in `pending` or in the buffer.
    fn advance(&mut self) -> Option<Result<Ready, SseError>> {
        if self.failed {
            return None;
        }
        if self.dispatched {
            self.pending.clear();
            self.dispatched = false;
        }
        loop {
            if self.at_stream_start {
                let rest = &self.buffer[self.position..];
                if rest.len() < BOM.len() && BOM.starts_with(rest) && !self.finishing {
                    return None; // Could still be a BOM: wait for more bytes.
                }
                if rest.starts_with(BOM) {
                    self.position += BOM.len();
                }
                self.at_stream_start = false;
            }
            if self.after_cr && self.position < self.buffer.len() {
                if self.buffer[self.position] == b'\n' {
                    self.position += 1;
                }
                self.after_cr = false;
            }
            if self.scanned == 0
                && self.pending.is_empty()
                && let Some(data) = self.lone_data_line()
            {
                return Some(Ok(Ready::InBuffer(data)));
            }
            let unscanned = &self.buffer[self.position + self.scanned..];
            let Some(offset) = memchr::memchr2(b'\n', b'\r', unscanned) else {
                self.scanned = self.buffer.len() - self.position;
                if self.scanned + self.pending.data.len() > self.max_event_size {
                    return Some(Err(self.fail(SseError::EventTooLarge {
                        limit: self.max_event_size,
                    })));
                }
                return if self.finishing {
                    self.finish_tail()
                } else {
                    None
                };
            };
            let line_start = self.position;
            let line_end = line_start + self.scanned + offset;
            self.scanned = 0;
            self.after_cr = self.buffer[line_end] == b'\r';
            self.position = line_end + 1;
            let outcome = if line_end == line_start {
                self.dispatch()
            } else {
                self.process_line(line_start, line_end).map(|()| false)
            };
            match outcome {
                Ok(true) => return Some(Ok(Ready::Pending)),
                Ok(false) => {}
                Err(error) => return Some(Err(self.fail(error))),
            }
        }
    }

    /// The event most streams are made of — one `data:` line and its blank line, LF-ended —
    /// when it is next in the buffer: its value's place, the event consumed. The value stays
    /// in the buffer, not copied into `pending`. Any other shape is left to the line by line
    /// path, which reports its errors too, and starts its search for the line end where this
    /// one stopped: no byte is searched twice.
    fn lone_data_line(&mut self) -> Option<Range<usize>> {
        let value = self.buffer[self.position..].strip_prefix(b"data:")?;
        let Some(end) = memchr::memchr2(b'\n', b'\r', value) else {
            self.scanned = self.buffer.len() - self.position;
            return None;
        };
        let skip = usize::from(value.first() == Some(&b' '));
        if value.get(end..end + 2) != Some(b"\n\n") || end - skip + 1 > self.max_event_size {
            self.scanned = "data:".len() + end;
            return None;
        }
        let start = self.position + "data:".len() + skip;
        self.position += "data:".len() + end + 2;
        Some(start..start + end - skip)
    }

    fn process_line(&mut self, start: usize, end: usize) -> Result<(), SseError> {
        let line = &self.buffer[start..end];
        if line.first() == Some(&b':') {
            return Ok(()); // A comment, e.g. a keep-alive.
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                let pending = &mut self.pending;
                if pending.data.len() + value.len() + 1 > self.max_event_size {
                    return Err(SseError::EventTooLarge {
                        limit: self.max_event_size,
                    });
                }
                if pending.has_data {
                    pending.data.push('\n');
                }
                let value = std::str::from_utf8(value).map_err(|_| SseError::InvalidUtf8)?;
                pending.data.push_str(value);
                pending.has_data = true;
            }
            b"event" => self.pending.event = Some(value.to_vec()),
            b"id" if !value.contains(&0) => self.pending.id = Some(value.to_vec()),
            b"retry" => {
                if let Some(retry) = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                    self.pending.retry = Some(retry);
                }
            }
            _ => {} // Unknown fields are ignored, as the specification says.
        }
        Ok(())
    }

    /// Whether the pending fields make an event (kept in `pending` until the next call); an
    /// event without data is dropped, as specified.
    fn dispatch(&mut self) -> Result<bool, SseError> {
        if self.pending.has_data {
            // Most events carry data only: their `event` and `id` need no check.
            if self.pending.event.is_some() || self.pending.id.is_some() {
                self.pending.check_text_fields()?;
            }
            self.dispatched = true;
        } else {
            self.pending.clear();
        }
        Ok(self.dispatched)
    }
}

/// The events completed by one [`SseDecoder::feed`] (or left at [`SseDecoder::finish`]).
/// Take them all: events not taken stay queued for the next call.
#[derive(Debug)]
#[must_use = "events not taken are not lost, but arrive only with the next feed"]
pub struct Events<'a> {
    decoder: &'a mut SseDecoder,
}

impl Iterator for Events<'_> {
    type Item = Result<SseEvent, SseError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.decoder
            .next_ref()
            .map(|event| event.map(EventRef::to_owned))
    }
}
