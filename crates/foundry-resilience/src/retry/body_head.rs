//! Reading the head of an error answer so the retry policy can look at it, and handing the
//! whole body back afterwards.

use bytes::{Bytes, BytesMut};
use foundry_transport::{Body, BodyStream, TransportError};
use futures_core::Stream;

/// Reads up to `limit` bytes of `body`: the bytes, and the unread rest of the stream when the body
/// is longer.
pub(super) async fn read_head(
    body: Body,
    limit: usize,
) -> Result<(Bytes, Option<BodyStream>), TransportError> {
    let mut stream = body.into_stream();
    let mut head = BytesMut::new();
    while let Some(chunk) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await
    {
        head.extend_from_slice(&chunk?);
        if head.len() > limit {
            return Ok((head.freeze(), Some(stream)));
        }
    }
    Ok((head.freeze(), None))
}

/// A body made of `head` followed by `rest`.
pub(super) fn rejoin(head: Bytes, rest: Option<BodyStream>) -> Body {
    match rest {
        None => Body::from_bytes(head),
        Some(rest) => Body::from_stream(Chain {
            first: Some(head),
            rest,
        }),
    }
}

/// The already-read head, then the rest of the stream.
struct Chain {
    first: Option<Bytes>,
    rest: BodyStream,
}

impl Stream for Chain {
    type Item = Result<Bytes, TransportError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(first)));
        }
        std::pin::Pin::new(&mut self.rest).poll_next(cx)
    }
}
