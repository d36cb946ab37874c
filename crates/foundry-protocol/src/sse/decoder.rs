//! An incremental server-sent-events decoder that accepts bytes split anywhere.

use super::event::{SseError, SseEvent};

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
    /// Bytes received and not yet consumed start at `position`.
    buffer: Vec<u8>,
    position: usize,
    /// Bytes after `position` already searched for a line end (none found): a long line that
    /// arrives in small pieces is searched once, not once per piece.
    scanned: usize,
    /// `finish` was called: the last line without its line end is processed at the end.
    finishing: bool,
    /// The last byte consumed was a CR: an LF right after it belongs to the same line end.
    after_cr: bool,
    at_stream_start: bool,
    pending: PendingEvent,
    max_event_size: usize,
    failed: bool,
}

/// The fields of the event being read. Data is checked as UTF-8 line by line (a line end is
/// ASCII, so a valid stream never splits a character across lines). `event:` and `id:` keep
/// their last raw value, checked only when an event with data is dispatched: a value overwritten
/// later, or on an event without data, is never used, so it cannot fail the stream.
#[derive(Debug, Clone, Default)]
struct PendingEvent {
    data: String,
    has_data: bool,
    event: Option<Vec<u8>>,
    id: Option<Vec<u8>>,
    retry: Option<u64>,
}

impl PendingEvent {
    /// The event these fields make, and the fields cleared for the next one; `None` (and the
    /// fields cleared) for an event without data, which the specification drops.
    fn dispatch(&mut self) -> Result<Option<SseEvent>, SseError> {
        let pending = std::mem::take(self);
        if !pending.has_data {
            return Ok(None);
        }
        let text = |raw: Option<Vec<u8>>| {
            raw.map(String::from_utf8)
                .transpose()
                .map_err(|_| SseError::InvalidUtf8)
        };
        Ok(Some(SseEvent {
            event: text(pending.event)?,
            data: pending.data,
            id: text(pending.id)?,
            retry: pending.retry,
        }))
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

    /// Adds bytes without taking the events they complete (see [`next_event`](Self::next_event)).
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed {
            return;
        }
        self.buffer.drain(..self.position);
        self.position = 0;
        self.buffer.extend_from_slice(bytes);
    }

    /// Marks the end of the stream: the unterminated tail is decoded once the complete events
    /// before it are taken.
    pub fn end(&mut self) {
        self.finishing = true;
    }

    /// Bytes received but not yet part of a complete event.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len() - self.position + self.pending.data.len()
    }

    /// The next complete event, or `None` until more bytes are pushed (or, after
    /// [`end`](Self::end), when nothing is left).
    pub fn next_event(&mut self) -> Option<Result<SseEvent, SseError>> {
        if self.failed {
            return None;
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
                self.pending.dispatch()
            } else {
                self.process_line(line_start, line_end).map(|()| None)
            };
            match outcome {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) => {}
                Err(error) => return Some(Err(self.fail(error))),
            }
        }
    }

    /// The end of a finished stream: the unterminated last line, then the pending event.
    fn finish_tail(&mut self) -> Option<Result<SseEvent, SseError>> {
        self.finishing = false;
        if self.position < self.buffer.len() {
            let line_end = self.buffer.len();
            if let Err(error) = self.process_line(self.position, line_end) {
                return Some(Err(self.fail(error)));
            }
            self.position = line_end;
            self.scanned = 0;
        }
        match self.pending.dispatch() {
            Ok(event) => event.map(Ok),
            Err(error) => Some(Err(self.fail(error))),
        }
    }

    /// Stops decoding for good and lets the buffered bytes go.
    fn fail(&mut self, error: SseError) -> SseError {
        self.failed = true;
        self.buffer = Vec::new();
        self.position = 0;
        self.scanned = 0;
        self.pending = PendingEvent::default();
        error
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
        self.decoder.next_event()
    }
}
