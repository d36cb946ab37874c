//! Downloading a model with progress (legacy service only: the current web service has no
//! download API).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use foundry_protocol::DownloadProgress;
use foundry_protocol::ModelInfo;
use foundry_protocol::foundry::{DownloadEvent, DownloadProgressParser, DownloadRequest};
use foundry_transport::{BodyStream, TransportRequest};
use futures_core::Stream;

use crate::client::FoundryClient;
use crate::error::{Error, ErrorKind};
use crate::pipeline::{Observation, Operation, Outcome};
use crate::routes;
use crate::server::ServerKind;

impl FoundryClient {
    /// Downloads `model` (alias or id), yielding progress as it comes. The stream ends after the
    /// server confirmed success; a failure (including a 200 whose result says `success: false`)
    /// is its last item. A started download is never retried.
    ///
    /// Only the legacy service can download over REST; elsewhere this is an
    /// [`Unsupported`](ErrorKind::Unsupported) error naming the CLI command to use.
    pub async fn download(&self, model: &str) -> Result<DownloadStream, Error> {
        let operation = Operation::other("download_model");
        self.run(operation, Some(model), None, |_| self.download_named(model))
            .await
    }

    /// Downloads `model`, calling `progress` for each update; returns when it finished.
    pub async fn download_with(
        &self,
        model: &str,
        progress: impl FnMut(&DownloadProgress),
    ) -> Result<(), Error> {
        let stream = self.download(model).await?;
        self.follow(stream, progress).await
    }

    async fn download_named(&self, model: &str) -> Result<DownloadStream, Error> {
        let kind = self.stack().await?.info.kind;
        if kind != ServerKind::FoundryLegacy {
            let hint = if kind.is_foundry() {
                format!("run `foundry model download {model}`, then load it")
            } else {
                "models are files on the server's disk".to_owned()
            };
            return Err(Error::unsupported("downloading a model", kind, &hint));
        }
        let variant = self.legacy_variant(model).await?;
        self.start_download(&variant).await
    }

    pub(crate) async fn download_variant(
        &self,
        variant: &ModelInfo,
        progress: impl FnMut(&DownloadProgress),
    ) -> Result<(), Error> {
        let stream = self.start_download(variant).await?;
        self.follow(stream, progress).await
    }

    /// Reads a download to its end, telling `progress` of each update; the catalog is fetched
    /// anew afterwards (it says what is downloaded).
    async fn follow(
        &self,
        mut stream: DownloadStream,
        mut progress: impl FnMut(&DownloadProgress),
    ) -> Result<(), Error> {
        while let Some(update) =
            std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await
        {
            progress(&update?);
        }
        self.models().forget_catalog();
        Ok(())
    }

    async fn start_download(&self, variant: &ModelInfo) -> Result<DownloadStream, Error> {
        let body = serde_json::to_vec(&DownloadRequest::for_model(variant))
            .map_err(|e| Error::config("download request", e))?;
        // Not idempotent: once the server has the request, it is never sent again.
        let request = TransportRequest::post_json(routes::LEGACY_DOWNLOAD, body);
        let what = format!("downloading {}", variant.model_id());
        let response = self.execute(request, &what).await?;
        Ok(DownloadStream {
            body: Some(response.into_stream()),
            parser: DownloadProgressParser::new(),
            pending: VecDeque::new(),
            what,
            observation: None,
        })
    }
}

/// Progress of a download; see [`FoundryClient::download`].
#[derive(Debug)]
pub struct DownloadStream {
    body: Option<BodyStream>,
    parser: DownloadProgressParser,
    pending: VecDeque<Result<DownloadProgress, Error>>,
    what: String,
    /// The call's span and metrics, ended with the download.
    observation: Option<Observation>,
}

// The download keeps its call's span and metrics until it ends.
impl Outcome for DownloadStream {
    fn observed(&mut self, observation: Observation) {
        self.observation = Some(observation);
    }
}

impl DownloadStream {
    fn absorb(&mut self, events: Vec<DownloadEvent>) {
        for event in events {
            match event {
                DownloadEvent::Progress(progress) => self.pending.push_back(Ok(progress)),
                DownloadEvent::Finished(result) if result.success => {
                    self.body = None;
                    if let Some(observation) = self.observation.take() {
                        observation.succeed(None, None);
                    }
                }
                DownloadEvent::Finished(result) => {
                    let why = result
                        .error_message
                        .unwrap_or_else(|| "no reason given".to_owned());
                    self.fail(Error::new(
                        ErrorKind::Api,
                        format!("{}: the server reported failure: {why}", self.what),
                    ));
                }
                _ => {}
            }
        }
    }

    fn fail(&mut self, error: Error) {
        if let Some(observation) = self.observation.take() {
            observation.fail(&error);
        }
        self.pending.push_back(Err(error));
        self.body = None;
    }
}

impl Stream for DownloadStream {
    type Item = Result<DownloadProgress, Error>;

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
                Poll::Ready(Some(Ok(bytes))) => match self.parser.feed(&bytes) {
                    Ok(events) => self.absorb(events),
                    Err(e) => {
                        let error = Error::new(
                            ErrorKind::Decode,
                            format!("{}: unreadable progress", self.what),
                        )
                        .with_source(e);
                        self.fail(error);
                    }
                },
                Poll::Ready(Some(Err(e))) => {
                    let error = Error::transport(&self.what.clone(), e);
                    self.fail(error);
                }
                Poll::Ready(None) => match self.parser.finish() {
                    Ok(last) => {
                        self.absorb(last.into_iter().collect());
                        // A body that ended without confirming success is not a success.
                        if self.body.is_some() {
                            let error = Error::new(
                                ErrorKind::StreamInterrupted,
                                format!("{}: ended without a result", self.what),
                            );
                            self.fail(error);
                        }
                    }
                    Err(e) => {
                        let error = Error::new(
                            ErrorKind::StreamInterrupted,
                            format!("{}: ended without a result", self.what),
                        )
                        .with_source(e);
                        self.fail(error);
                    }
                },
            }
        }
    }
}
