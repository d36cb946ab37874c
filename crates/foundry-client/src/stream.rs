//! Starting a streamed chat answer: the request, load-on-demand, and the checks before the first
//! chunk (the chunks themselves are read by [`ChatStream`]).

use foundry_protocol::{ChatAccumulator, ChatRequest, StreamOptions};
use foundry_transport::{Body, BodyStream};
use futures_util::StreamExt;

use crate::chat_stream::ChatStream;
use crate::client::FoundryClient;
use crate::error::{Error, ErrorKind};
use crate::pipeline::Operation;
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
        let model = self.model_or_default(&request.model);
        self.run(Operation::CHAT_STREAM, Some(&model), None, |name| {
            request.model = name.to_owned();
            let body = Self::post_json(routes::CHAT, &request);
            let accumulator = ChatAccumulator::for_request(&request);
            // Kept for the one case that sends again (see `core1_stream_body`).
            let again = self
                .may_refuse_with_empty_stream()
                .then(|| (model.clone(), request.clone()));
            async move {
                let response = require_event_stream(self.execute(body?, WHAT).await?)?;
                let body = match again {
                    Some((model, request)) => {
                        self.core1_stream_body(&model, &request, response.into_stream())
                            .await?
                    }
                    None => response.into_stream(),
                };
                Ok(ChatStream::new(body, accumulator))
            }
        })
        .await
    }
}

impl FoundryClient {
    /// Whether the server is a 1.x Core and load-on-demand is on: the case
    /// [`core1_stream_body`](Self::core1_stream_body) handles.
    fn may_refuse_with_empty_stream(&self) -> bool {
        self.settings().load_on_demand && self.known_kind() == Some(ServerKind::FoundryCore1)
    }

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
        let ready = self.ready(model).await?;
        let mut again = request.clone();
        again.model = ready.id;
        let response = self
            .execute(Self::post_json(routes::CHAT, &again)?, WHAT)
            .await?;
        Ok(require_event_stream(response)?.into_stream())
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
