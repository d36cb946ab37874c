//! Which server answers at an endpoint: the kind, told from what the server's own routes answer.

use foundry_protocol::foundry::CoreFlavour;
use foundry_protocol::{LlamaHealth, LlamaProps, ServerKind, ServiceStatus};
use foundry_transport::http::StatusCode;
use foundry_transport::{SharedTransport, Transport, TransportRequest};

/// What detection learned about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerInfo {
    /// The kind of server.
    pub kind: ServerKind,
    /// llama.cpp's slot count, when it reports one.
    pub slots: Option<u32>,
    /// The server's process id, when it reports one (Foundry Core 2.x).
    pub pid: Option<u32>,
    /// The model directory, when the server reports one.
    pub model_dir: Option<String>,
}

impl ServerInfo {
    /// Information of a server known to be of `kind`, with nothing else learned.
    pub fn of_kind(kind: ServerKind) -> Self {
        Self {
            kind,
            slots: None,
            pid: None,
            model_dir: None,
        }
    }
}

/// The largest probe body read during detection.
const PROBE_LIMIT: usize = 256 * 1024;

/// Probes the endpoint: Foundry's `/status` (which Core: the `Server` header, then the status
/// keys), the legacy `/openai/status`, llama.cpp's `/health` and `/props`, else a generic server.
/// A server that cannot be reached at all is an error; anything that answers gets a kind.
pub async fn detect(
    transport: &SharedTransport,
) -> Result<ServerInfo, foundry_transport::TransportError> {
    if let Some((headers, body)) = probe(transport, "/status").await?
        && let Ok(status) = ServiceStatus::from_slice(&body)
    {
        let by_header = headers
            .get("server")
            .and_then(|v| v.to_str().ok())
            .and_then(CoreFlavour::from_server_header);
        if let Some(flavour) = by_header.or_else(|| status.core_flavour()) {
            let kind = match flavour {
                CoreFlavour::Core1 => ServerKind::FoundryCore1,
                _ => ServerKind::FoundryCore2,
            };
            let model_dir = status.model_directory().map(str::to_owned);
            return Ok(ServerInfo {
                kind,
                slots: None,
                pid: status.pid,
                model_dir,
            });
        }
    }
    if let Some((_, body)) = probe(transport, "/openai/status").await? {
        let status = ServiceStatus::from_slice(&body).ok();
        return Ok(ServerInfo {
            kind: ServerKind::FoundryLegacy,
            slots: None,
            pid: None,
            model_dir: status.and_then(|s| s.model_directory().map(str::to_owned)),
        });
    }
    if let Some((_, body)) = probe(transport, "/props").await?
        && let Ok(props) = LlamaProps::from_slice(&body)
        && (props.total_slots.is_some() || props.default_generation_settings.is_some())
    {
        return Ok(ServerInfo {
            slots: props.total_slots,
            ..ServerInfo::of_kind(ServerKind::LlamaCpp)
        });
    }
    let health = transport.send(TransportRequest::get("/health")).await?;
    let status = health.status();
    if let Ok(body) = health.bytes_limited(PROBE_LIMIT).await {
        // A loading llama.cpp answers 503 "Loading model": starting, not another kind of server.
        let ready =
            status == StatusCode::OK && LlamaHealth::from_slice(&body).is_ok_and(|h| h.is_ok());
        let loading = status == StatusCode::SERVICE_UNAVAILABLE
            && foundry_protocol::ApiError::from_body(&body)
                .message
                .contains("Loading model");
        if ready || loading {
            return Ok(ServerInfo::of_kind(ServerKind::LlamaCpp));
        }
    }
    Ok(ServerInfo::of_kind(ServerKind::OpenAiCompatible))
}

/// GETs `path`; `Some` with headers and body for a 200, `None` for any other status.
async fn probe(
    transport: &SharedTransport,
    path: &str,
) -> Result<
    Option<(foundry_transport::http::HeaderMap, bytes::Bytes)>,
    foundry_transport::TransportError,
> {
    let response = transport.send(TransportRequest::get(path)).await?;
    if response.status() != StatusCode::OK {
        return Ok(None);
    }
    let (_, headers, body) = response.into_parts();
    Ok(body
        .bytes_limited(PROBE_LIMIT)
        .await
        .ok()
        .map(|body| (headers, body)))
}
