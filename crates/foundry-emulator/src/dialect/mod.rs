//! The three servers an emulator can impersonate, each in its own module, sharing the answer
//! generation ([`chat`]) and the small JSON edits ([`json`]) that give each its exact key set.

mod chat;
mod core1;
mod core1_chat;
mod core2;
mod g1;
mod g1_chat;
mod g1_download;
mod json;
mod requests;

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};

use crate::config::Dialect;
use crate::faults::StructuredDefect;
use crate::reply::Reply;
use crate::routes::Route;
use crate::shared::Shared;

/// One request, as the route handlers see it.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) method: &'a Method,
    /// The raw path (not percent-decoded).
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) route: Route,
    /// The `{name}` segment, raw.
    pub(crate) name: Option<&'a str>,
    /// The request's `Content-Type`, when it sent one.
    pub(crate) content_type: Option<String>,
    pub(crate) body: Bytes,
    /// How a JSON answer must be broken, when a `structured_output` fault fired for this call.
    pub(crate) defect: Option<StructuredDefect>,
}

/// Runs a matched route.
pub(crate) fn handle(shared: &Arc<Shared>, call: &Call<'_>) -> Reply {
    match shared.dialect {
        Dialect::Legacy => g1::handle(shared, call),
        Dialect::Core1 => core1::handle(shared, call),
        Dialect::Core2 => core2::handle(shared, call),
    }
}

/// The answer for a path no route has, or a method the path does not take.
pub(crate) fn unmatched(dialect: Dialect, call: &Call<'_>, allowed: Option<&'static str>) -> Reply {
    match (dialect, allowed) {
        (Dialect::Core2, _) => core2::unmatched(call),
        (Dialect::Core1, Some(allowed)) => core1::wrong_method(allowed),
        (Dialect::Core1, None) => Reply::empty(StatusCode::NOT_FOUND),
        (Dialect::Legacy, Some(allowed)) => {
            let mut reply = Reply::empty(StatusCode::METHOD_NOT_ALLOWED);
            reply
                .headers
                .insert(http::header::ALLOW, http::HeaderValue::from_static(allowed));
            reply
        }
        (Dialect::Legacy, None) => Reply::empty(StatusCode::NOT_FOUND),
    }
}

/// The `Server` header each real server sends (the legacy service's is not known: none).
pub(crate) fn server_header(dialect: Dialect) -> Option<&'static str> {
    match dialect {
        Dialect::Legacy => None,
        Dialect::Core1 => Some("Kestrel"),
        Dialect::Core2 => Some("oatpp/1.3.0"),
    }
}

/// Whether responses carry a `Date` header (oatpp sends none).
pub(crate) fn sends_date(dialect: Dialect) -> bool {
    dialect != Dialect::Core2
}

/// The body of an injected error status when the fault gives none: the dialect's own error shape.
pub(crate) fn fault_body(dialect: Dialect, status: StatusCode) -> Reply {
    let message = format!(
        "Injected fault: {}",
        status.canonical_reason().unwrap_or("error")
    );
    match dialect {
        Dialect::Legacy => Reply::text(status, message),
        Dialect::Core1 => core1::envelope(status, &message, serde_json::Value::Null),
        Dialect::Core2 => core2::error(status, message),
    }
}
