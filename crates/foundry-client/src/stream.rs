//! Streamed chat answers: chunks as they come, and a typed error — never a silent end — when the
//! stream stops early.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use foundry_health::InFlight;
use foundry_protocol::{
    ChatAccumulator, ChatChunk, ChatRequest, ChatResponse, ChatStreamDecoder, StreamError,
    StreamEvent, StreamOptions,
};
use foundry_transport::{Body, BodyStream};
use futures_core::Stream;
use futures_util::StreamExt;

use crate::client::FoundryClient;
use crate::error::{Error, ErrorKind};
use crate::routes;
use crate::server::ServerKind;

const WHAT: &str = "streamed chat completion";

impl FoundryClient {
    /// Sends a chat request with `stream: true` and returns the chunks as they arrive.
    ///
    /// Errors before the answer starts (unknown model, bad request, server down) are returned
    /// here; after that, the stream yields them. A stream that ends without `[DONE]` or a finish
    /// reason on every choice ends with a [`StreamInterrupted`](ErrorKind::StreamInterrupted)
    /// error carrying the partial answer. Dropping the stream cancels the request. A final usage
    /// chunk is asked for unless the request says otherwise.
    pub async fn chat_stream(&self, mut request: ChatRequest) -> Result<ChatStream, Error> {
        request.stream = Some(true);
        if request.stream_options.is_none() {
            request.stream_options = Some(StreamOptions::with_usage());
        }
        let accumulator = ChatAccumulator::for_request(&request);
        let flight = self.metrics().start();
        let model = self.model_or_default(&request.model);
        let response = self
            .with_model(&model, |name| {
                let mut request = request.clone();
                request.model = name;
                async move {
                    self.execute(Self::post_json(routes::CHAT, &request)?, WHAT)
                        .await
                }
            })
            .await;
        let body = match response.and_then(require_event_stream) {
            Ok(response) => {
                self.core1_stream_body(&model, &request, response.into_stream())
                    .await
            }
            Err(error) => Err(error),
        };
        let body = match body {
            Ok(body) => body,
            Err(error) => {
                flight.failure(error.kind().as_str());
                return Err(error);
            }
        };
        Ok(ChatStream {
            flight: Some(flight),
            last_usage: None,
            body: Some(body),
            decoder: ChatStreamDecoder::default(),
            accumulator,
            pending: VecDeque::new(),
        })
    }
}

impl FoundryClient {
    /// The 1.x Core answers a stream for a model it has not loaded (or does not know) with stream
    /// headers and a body that closes before a single byte: a refusal load-on-demand never sees.
    /// There, with load-on-demand on, the first bytes are awaited: if the body closed without any,
    /// the model is readied (a typed error if it cannot be) and the request sent once more —
    /// nothing had been handed to the caller yet. Elsewhere the body is passed on untouched.
    async fn core1_stream_body(
        &self,
        model: &str,
        request: &ChatRequest,
        mut body: BodyStream,
    ) -> Result<BodyStream, Error> {
        let kind = self.stack().await?.info.kind;
        if kind != ServerKind::FoundryCore1 || !self.settings().load_on_demand {
            return Ok(body);
        }
        let first = body.next().await;
        let refused = match &first {
            None => true,
            Some(Ok(_)) => false,
            // A stall is not a refusal: the stream reports it as usual.
            Some(Err(error)) => !error.is_timeout(),
        };
        if let Some(first) = first.filter(|_| !refused) {
            // Handed on as it came, the first bytes in front of the rest.
            let whole = futures_util::stream::once(std::future::ready(first)).chain(body);
            return Ok(Body::from_stream(whole).into_stream());
        }
        tracing::info!(model, "the stream closed before a byte: readying the model");
        let ready = self.ensure_ready(model).await?;
        let mut again = request.clone();
        again.model = ready.id;
        let response = self
            .execute(Self::post_json(routes::CHAT, &again)?, WHAT)
            .await?;
        Ok(require_event_stream(response)?.into_stream())
    }
}

/// The chunks of a streamed chat answer; see [`FoundryClient::chat_stream`].
///
/// Implements `Stream<Item = Result<ChatChunk, Error>>`; [`collect`](Self::collect) gathers the
/// whole answer, tool calls merged.
#[derive(Debug)]
pub struct ChatStream {
    /// Measures the call for the client's metrics; finished when the stream ends.
    flight: Option<InFlight>,
    /// The last usage seen, for the metrics' token count.
    last_usage: Option<foundry_protocol::Usage>,
    body: Option<BodyStream>,
    decoder: ChatStreamDecoder,
    accumulator: ChatAccumulator,
    pending: VecDeque<Result<ChatChunk, Error>>,
}

impl ChatStream {
    /// Reads the rest of the stream and returns the complete answer (content, tool calls, finish
    /// reasons, usage), or the first error.
    pub async fn collect(mut self) -> Result<ChatResponse, Error> {
        while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut self).poll_next(cx)).await {
            item?;
        }
        std::mem::take(&mut self.accumulator)
            .finish()
            .map_err(|partial| Error::stream_interrupted(WHAT, partial, None))
    }

    /// The text of the first choice so far.
    pub fn text_so_far(&self) -> Option<&str> {
        self.accumulator.text()
    }

    fn take_events(&mut self, bytes: &[u8]) {
        let events: Vec<_> = self.decoder.feed(bytes).collect();
        for event in events {
            self.take_event(event);
        }
    }

    fn take_event(&mut self, event: Result<StreamEvent<ChatChunk>, StreamError>) {
        match event {
            Ok(StreamEvent::Item(chunk)) => {
                if self.accumulator.chunk_count() == 0
                    && let Some(flight) = self.flight.as_mut()
                {
                    flight.first_token();
                }
                if let Some(usage) = &chunk.usage {
                    self.last_usage = Some(usage.clone());
                }
                self.accumulator.push(&chunk);
                self.pending.push_back(Ok(chunk));
            }
            Ok(StreamEvent::Done) => self.accumulator.push_done(),
            Err(StreamError::Api(api)) => {
                let partial = self.take_partial();
                let error = Error::stream_interrupted(WHAT, partial, None).with_api(api);
                self.end_with(error);
            }
            Err(other) => {
                let partial = self.take_partial();
                let error = Error::stream_interrupted(WHAT, partial, Some(Box::new(other)));
                self.end_with(error);
            }
        }
    }

    /// The body ended: complete, or an interruption.
    fn finish_body(&mut self) {
        let tail: Vec<_> = self.decoder.finish().collect();
        for event in tail {
            self.take_event(event);
        }
        if self.body.is_some() && !self.accumulator.is_complete() {
            let partial = self.take_partial();
            self.end_with(Error::stream_interrupted(WHAT, partial, None));
        } else if self.body.is_some() {
            self.end_complete();
        }
        self.body = None;
    }

    fn take_partial(&mut self) -> foundry_protocol::IncompleteStream {
        match std::mem::take(&mut self.accumulator).finish() {
            Err(incomplete) => incomplete,
            Ok(response) => foundry_protocol::IncompleteStream::new(0, response),
        }
    }

    fn end_with(&mut self, error: Error) {
        if let Some(flight) = self.flight.take() {
            flight.failure(error.kind().as_str());
        }
        self.pending.push_back(Err(error));
        self.body = None;
    }

    /// The stream ended complete: the call counts as a success with its generated tokens.
    fn end_complete(&mut self) {
        if let Some(flight) = self.flight.take() {
            flight.success(self.last_usage.as_ref().map(|u| u.completion_tokens));
        }
    }
}

impl Stream for ChatStream {
    type Item = Result<ChatChunk, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Poll::Ready(Some(item));
            }
            let Some(body) = self.body.as_mut() else {
                return Poll::Ready(None);
            };
            match Pin::new(body).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(bytes))) => self.take_events(&bytes),
                Poll::Ready(Some(Err(cause))) => {
                    let partial = self.take_partial();
                    let kind_timeout = cause.is_timeout();
                    let mut error = Error::stream_interrupted(WHAT, partial, Some(Box::new(cause)));
                    if kind_timeout {
                        error = error.with_kind(ErrorKind::Timeout);
                    }
                    self.end_with(error);
                }
                Poll::Ready(None) => self.finish_body(),
            }
        }
    }
}

/// A streamed answer must be `text/event-stream`; anything else (a JSON error page from a proxy,
/// HTML) is a typed error instead of an answer that never ends properly.
fn require_event_stream(
    response: foundry_transport::TransportResponse,
) -> Result<foundry_transport::TransportResponse, Error> {
    let content_type = response
        .headers()
        .get(foundry_transport::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // Servers that send no content type at all are given the benefit of the doubt.
    if content_type.is_empty() || content_type.starts_with("text/event-stream") {
        return Ok(response);
    }
    Err(Error::new(
        ErrorKind::Decode,
        format!("{WHAT}: expected an event stream, the server answered {content_type:?}"),
    ))
}
