//! Streamed structured answers: the text as it arrives, then the validated value.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use foundry_protocol::{ChatAccumulator, ChatChunk};
use futures_core::Stream;
use serde::de::DeserializeOwned;

use super::call::{Check, validated};
use super::schema::StructuredSchema;
use super::{JsonMode, Structured};
use crate::chat_stream::ChatStream;
use crate::error::{Error, ErrorKind};

/// One item of a [`StructuredStream`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StructuredEvent<T> {
    /// The next piece of the answer's text (of the first choice), as the server sent it.
    Text(String),
    /// The last item: the whole answer, parsed, validated and checked (boxed: it is large
    /// beside a text piece).
    Done(Box<Structured<T>>),
}

/// A streamed structured answer; see [`FoundryClient::chat_json_stream`](crate::FoundryClient::chat_json_stream).
///
/// Implements `Stream<Item = Result<StructuredEvent<T>, Error>>`: [`Text`](StructuredEvent::Text)
/// pieces as they come, then either [`Done`](StructuredEvent::Done) with the value, or an error —
/// [`InvalidStructuredOutput`](ErrorKind::InvalidStructuredOutput) when the complete answer does
/// not fit, or the stream's own error (an interrupted stream, a timeout). Nothing follows. Dropping
/// it cancels the request.
pub struct StructuredStream<T> {
    inner: ChatStream,
    schema: StructuredSchema<T>,
    check: Option<Check<T>>,
    mode: JsonMode,
    answer: ChatAccumulator,
    ended: bool,
}

impl<T> fmt::Debug for StructuredStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StructuredStream")
            .field("schema", &self.schema)
            .field("mode", &self.mode)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> StructuredStream<T> {
    pub(crate) fn new(
        inner: ChatStream,
        schema: StructuredSchema<T>,
        check: Option<Check<T>>,
        mode: JsonMode,
    ) -> Self {
        Self {
            inner,
            schema,
            check,
            mode,
            answer: ChatAccumulator::new(),
            ended: false,
        }
    }

    /// How the server was asked for JSON.
    pub fn mode(&self) -> JsonMode {
        self.mode
    }

    /// The answer's text so far.
    pub fn text_so_far(&self) -> Option<&str> {
        self.answer.text()
    }

    /// Reads the rest of the stream and returns the validated value, or the first error.
    pub async fn collect(mut self) -> Result<Structured<T>, Error> {
        while let Some(event) = std::future::poll_fn(|cx| Pin::new(&mut self).poll_next(cx)).await {
            if let StructuredEvent::Done(done) = event? {
                return Ok(*done);
            }
        }
        Err(Error::new(
            ErrorKind::StreamInterrupted,
            "streamed structured output: the stream was already finished",
        ))
    }

    /// The body ended cleanly (the chat stream checked it was complete): validate the answer.
    fn conclude(&mut self) -> Result<Structured<T>, Error> {
        let mut answer = std::mem::take(&mut self.answer);
        answer.push_done();
        let response = answer.finish().map_err(|partial| {
            Error::stream_interrupted("streamed structured output", partial, None)
        })?;
        let value = validated(&self.schema, self.check.as_ref(), &response)?;
        Ok(Structured {
            value,
            response,
            mode: self.mode,
            attempts: 1,
        })
    }
}

/// The text a chunk adds to the first choice (index 0, wherever it sits in the chunk).
fn first_choice_text(chunk: &ChatChunk) -> Option<&str> {
    chunk
        .choices
        .iter()
        .find(|choice| choice.index == 0)
        .and_then(|choice| choice.delta.content.as_deref())
        .filter(|text| !text.is_empty())
}

impl<T: DeserializeOwned> Stream for StructuredStream<T> {
    type Item = Result<StructuredEvent<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.ended {
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    self.answer.push(&chunk);
                    if let Some(text) = first_choice_text(&chunk) {
                        return Poll::Ready(Some(Ok(StructuredEvent::Text(text.to_owned()))));
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    self.ended = true;
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(None) => {
                    self.ended = true;
                    return Poll::Ready(Some(
                        self.conclude()
                            .map(|done| StructuredEvent::Done(Box::new(done))),
                    ));
                }
            }
        }
    }
}
