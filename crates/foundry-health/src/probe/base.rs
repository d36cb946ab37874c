//! What every probe holds, and the one request helper they share.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use foundry_protocol::ApiError;
use foundry_resilience::{Clock, TokioClock};
use foundry_transport::http::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use foundry_transport::http::{Method, StatusCode};
use foundry_transport::{SharedTransport, Transport, TransportRequest};

use crate::memory::MemorySources;
use crate::report::{ProbeProblem, ProblemKind};

/// The largest body a probe reads: health documents are small, and a server that sends more
/// is not answering a health check.
const BODY_LIMIT: usize = 1024 * 1024;

/// The transport, clock, credentials and memory sources of a probe.
#[derive(Debug, Clone)]
pub(crate) struct ProbeBase {
    pub(crate) transport: SharedTransport,
    pub(crate) clock: Arc<dyn Clock>,
    /// Marked sensitive, so `Debug` shows `Sensitive` instead of the key.
    auth: Option<HeaderValue>,
    pub(crate) memory: MemorySources,
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Answer {
    /// The status as a problem of `check`, with the server's message.
    pub(crate) fn status_problem(&self, check: &str) -> ProbeProblem {
        ProbeProblem::new(
            check,
            ProblemKind::Status {
                status: self.status.as_u16(),
                message: ApiError::from_body(&self.body).message,
            },
        )
    }
}

impl ProbeBase {
    pub(crate) fn new(transport: SharedTransport) -> Self {
        Self {
            transport,
            clock: Arc::new(TokioClock),
            auth: None,
            memory: MemorySources::default(),
        }
    }

    pub(crate) fn set_api_key(&mut self, key: &str) {
        self.auth = HeaderValue::from_str(&format!("Bearer {key}"))
            .ok()
            .map(|mut value| {
                value.set_sensitive(true);
                value
            });
    }

    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    /// GETs `path` and reads the body; a failure to get or read an answer is a problem named
    /// after the check.
    pub(crate) async fn get(&self, path: &str) -> Result<Answer, ProbeProblem> {
        let mut request = TransportRequest::new(Method::GET, path);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let transport_problem = |error: foundry_transport::TransportError| {
            ProbeProblem::new(
                check_name(path),
                ProblemKind::Transport {
                    kind: error.kind(),
                    message: error.message().to_owned(),
                },
            )
        };
        let response = self
            .transport
            .send(request)
            .await
            .map_err(transport_problem)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes_limited(BODY_LIMIT)
            .await
            .map_err(transport_problem)?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// `GET /path`, the name of a check in problems.
pub(crate) fn check_name(path: &str) -> String {
    format!("GET {path}")
}

/// A decode failure of `path` as a problem; the message carries the error's sources too, since
/// the problem must be `Clone` and cannot keep them.
pub(crate) fn unreadable(path: &str, error: &(dyn std::error::Error + 'static)) -> ProbeProblem {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    ProbeProblem::new(check_name(path), ProblemKind::Unreadable { message })
}
