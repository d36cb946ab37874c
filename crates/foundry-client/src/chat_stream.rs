//! The stream a streamed chat answer is read from: chunks as they arrive, the whole answer on
//! the side, and a typed error — never a silent end — when the stream stops early.

use std::pin::Pin;
use std::task::{Context, Poll};

use foundry_protocol::{
    ChatAccumulator, ChatChunk, ChatResponse, ChatStreamDecoder, IncompleteStream, StreamError,
    StreamEvent, Usage,
};
use foundry_transport::BodyStream;
use futures_core::Stream;

use crate::error::{Error, ErrorKind};
use crate::pipeline::{Observation, Outcome};

const WHAT: &str = "streamed chat completion";

/// The chunks of a streamed chat answer; see [`FoundryClient::chat_stream`](crate::FoundryClient::chat_stream).
///
/// Implements `Stream<Item = Result<ChatChunk, Error>>`; [`collect`](Self::collect) gathers the
/// whole answer, tool calls merged.
#[derive(Debug)]
pub struct ChatStream {
    /// `None` once the body has ended (completely or not).
    body: Option<BodyStream>,
    /// Set once the end (complete, or an error) is decided: nothing more is decoded.
    stopped: bool,
    decoder: ChatStreamDecoder,
    progress: Progress,
}

/// What the stream has produced so far.
#[derive(Debug)]
struct Progress {
    /// The call's span and metrics, ended when the stream ends.
    observation: Option<Observation>,
    /// The model the server named, and the last usage seen, for the span and the metrics.
    model: Option<String>,
    last_usage: Option<Usage>,
    accumulator: ChatAccumulator,
    /// The error that ended the stream, until it is handed on.
    failure: Option<Error>,
}

impl ChatStream {
    pub(crate) fn new(body: BodyStream, accumulator: ChatAccumulator) -> Self {
        Self {
            body: Some(body),
            stopped: false,
            decoder: ChatStreamDecoder::default(),
            progress: Progress {
                observation: None,
                model: None,
                last_usage: None,
                accumulator,
                failure: None,
            },
        }
    }

    /// Reads the rest of the stream and returns the complete answer (content, tool calls, finish
    /// reasons, usage), or the first error.
    pub async fn collect(mut self) -> Result<ChatResponse, Error> {
        while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut self).poll_next(cx)).await {
            item?;
        }
        std::mem::take(&mut self.progress.accumulator)
            .finish()
            .map_err(|partial| Error::stream_interrupted(WHAT, partial, None))
    }

    /// The text of the first choice so far: the chunks already handed out, none still buffered.
    pub fn text_so_far(&self) -> Option<&str> {
        self.progress.accumulator.text()
    }

    /// The next thing to hand on from the bytes already received, if any: a chunk, or the end
    /// of the stream once the body has ended and its tail is decoded.
    fn next_buffered(&mut self) -> Option<Result<ChatChunk, Error>> {
        loop {
            if let Some(error) = self.progress.failure.take() {
                return Some(Err(error));
            }
            if self.stopped {
                return None;
            }
            match self.decoder.next_event() {
                Some(Ok(StreamEvent::Item(chunk))) => {
                    self.progress.note_chunk(&chunk);
                    return Some(Ok(chunk));
                }
                Some(Ok(StreamEvent::Done)) => self.progress.accumulator.push_done(),
                Some(Err(error)) => {
                    // Ended by an error event: nothing after it is handed on.
                    self.progress.end_with_stream_error(error);
                    self.stop();
                }
                None if self.body.is_none() => self.finish_body(),
                None => return None,
            }
        }
    }

    fn stop(&mut self) {
        self.body = None;
        self.stopped = true;
    }

    /// The body ended and every event in it was taken: complete, or an interruption.
    fn finish_body(&mut self) {
        self.stop();
        if self.progress.accumulator.is_complete() {
            self.progress.end_complete();
        } else {
            let partial = self.progress.take_partial();
            self.progress
                .end_with(Error::stream_interrupted(WHAT, partial, None));
        }
    }

    /// The body failed: an interruption, or a timeout when the body stalled.
    fn fail_body(&mut self, cause: foundry_transport::TransportError) {
        self.stop();
        let partial = self.progress.take_partial();
        let timed_out = cause.is_timeout();
        let mut error = Error::stream_interrupted(WHAT, partial, Some(Box::new(cause)));
        if timed_out {
            error = error.with_kind(ErrorKind::Timeout);
        }
        self.progress.end_with(error);
    }
}

impl Progress {
    fn note_chunk(&mut self, chunk: &ChatChunk) {
        if self.accumulator.chunk_count() == 0
            && let Some(observation) = self.observation.as_mut()
        {
            observation.first_chunk();
        }
        if self.model.is_none() {
            self.model.clone_from(&chunk.model);
        }
        if let Some(usage) = &chunk.usage {
            self.last_usage = Some(usage.clone());
        }
        self.accumulator.push(chunk);
    }

    /// The stream ended with an error event (the server's error) or undecodable bytes.
    fn end_with_stream_error(&mut self, error: StreamError) {
        let partial = self.take_partial();
        let error = match error {
            StreamError::Api(api) => Error::stream_interrupted(WHAT, partial, None).with_api(api),
            other => Error::stream_interrupted(WHAT, partial, Some(Box::new(other))),
        };
        self.end_with(error);
    }

    fn take_partial(&mut self) -> IncompleteStream {
        match std::mem::take(&mut self.accumulator).finish() {
            Err(incomplete) => incomplete,
            Ok(response) => IncompleteStream::new(0, response),
        }
    }

    fn end_with(&mut self, error: Error) {
        if let Some(observation) = self.observation.take() {
            observation.fail(&error);
        }
        self.failure = Some(error);
    }

    /// The stream ended complete: the call counts as a success with its generated tokens.
    fn end_complete(&mut self) {
        if let Some(observation) = self.observation.take() {
            observation.succeed(self.model.as_deref(), self.last_usage.as_ref());
        }
    }
}

// The stream keeps its call's span and metrics until it ends (dropped unfinished, the metrics
// count it as cancelled).
impl Outcome for ChatStream {
    fn observed(&mut self, observation: Observation) {
        self.progress.observation = Some(observation);
    }
}

impl Stream for ChatStream {
    type Item = Result<ChatChunk, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.next_buffered() {
                return Poll::Ready(Some(item));
            }
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            match Pin::new(body).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(bytes))) => this.decoder.push(&bytes),
                Poll::Ready(Some(Err(cause))) => this.fail_body(cause),
                Poll::Ready(None) => {
                    this.body = None;
                    this.decoder.end();
                }
            }
        }
    }
}
