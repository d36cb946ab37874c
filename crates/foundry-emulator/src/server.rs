//! The HTTP/1.1 server: accepting connections, routing, faults, and handing bodies to hyper.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, RETRY_AFTER, SERVER};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::body::{Aborted, Body};
use crate::control;
use crate::dialect::{self, Call};
use crate::faults::{self, Fault};
use crate::reply::{Reply, ReplyBody};
use crate::routes::{Matched, Route, match_route};
use crate::shared::Shared;

/// The largest request body read; a larger one closes the connection.
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// Accepts connections until `stop` fires (or its sender is dropped), then drops every
/// connection: in-flight answers end abruptly, as when a real server is killed.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .title_case_headers(true)
        .auto_date_header(dialect::sends_date(shared.dialect));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Small answers must not wait for Nagle's algorithm.
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    let service = service_fn(move |request| respond(Arc::clone(&shared), request));
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    connections.spawn(async move {
                        let _ = connection.await;
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn respond(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Aborted> {
    let (parts, incoming) = request.into_parts();
    let path = parts.uri.path();
    if path.starts_with("/_emulator/") {
        let body = read_body(incoming).await?;
        let reply = control::handle(&shared, &parts.method, path, &body);
        return Ok(into_response(&shared, reply));
    }
    let (route, name, allowed) = match match_route(shared.dialect, &parts.method, path) {
        Matched::Found(route, name) => (route, name, None),
        Matched::WrongMethod(allowed) => (Route::Unmatched, None, Some(allowed)),
        Matched::NotFound => (Route::Unmatched, None, None),
    };
    shared.stats.count_request(route);
    let fault = shared.faults.pick(route, path);
    if let Some(fault) = &fault {
        shared.stats.count_fault(fault.kind());
        match fault {
            Fault::CloseBeforeHeaders => return Err(Aborted),
            Fault::Status { .. } => {
                return Ok(into_response(&shared, status_fault(&shared, fault)));
            }
            _ => {}
        }
    }
    let call = Call {
        method: &parts.method,
        path,
        query: parts.uri.query(),
        route,
        name,
        content_type: parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: read_body(incoming).await?,
        defect: fault.as_ref().and_then(Fault::structured_defect),
    };
    let mut reply = match route {
        Route::Unmatched => dialect::unmatched(shared.dialect, &call, allowed),
        _ => dialect::handle(&shared, &call),
    };
    if let Some(fault) = &fault {
        reply = faults::apply(fault, reply);
    }
    if !reply.wait.is_zero() {
        tokio::time::sleep(reply.wait).await;
    }
    Ok(into_response(&shared, reply))
}

async fn read_body(incoming: Incoming) -> Result<Bytes, Aborted> {
    Limited::new(incoming, MAX_REQUEST_BODY)
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .map_err(|_| Aborted)
}

fn status_fault(shared: &Shared, fault: &Fault) -> Reply {
    let Fault::Status {
        status,
        body,
        retry_after,
        retry_after_ms,
    } = fault
    else {
        return Reply::empty(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut reply = match body {
        Some(text) if serde_json::from_str::<serde_json::Value>(text).is_ok() => {
            Reply::json(status, text.clone())
        }
        Some(text) => Reply::text(status, text.clone()),
        None => dialect::fault_body(shared.dialect, status),
    };
    if let Some(seconds) = retry_after {
        reply
            .headers
            .insert(RETRY_AFTER, HeaderValue::from(*seconds));
    }
    if let Some(ms) = retry_after_ms {
        reply.headers.insert(
            HeaderName::from_static("retry-after-ms"),
            HeaderValue::from(*ms),
        );
    }
    reply
}

fn into_response(shared: &Shared, reply: Reply) -> Response<Body> {
    let streamed = matches!(reply.body, ReplyBody::Chunks(_))
        && reply
            .headers
            .get(http::header::CONTENT_TYPE)
            .is_some_and(|v| v == "text/event-stream");
    let body = match reply.body {
        ReplyBody::Full(bytes) => Body::full(bytes),
        ReplyBody::Chunks(plan) => Body::chunks(plan),
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers;
    if let Some(server) = dialect::server_header(shared.dialect) {
        response
            .headers_mut()
            .insert(SERVER, HeaderValue::from_static(server));
    }
    if shared.dialect == crate::Dialect::Core2 {
        // oatpp says keep-alive on every answer, and twice on streams (which repeat headers).
        let repeats = if streamed { 2 } else { 1 };
        for _ in 0..repeats {
            response.headers_mut().append(
                http::header::CONNECTION,
                HeaderValue::from_static("keep-alive"),
            );
        }
    }
    response
}
