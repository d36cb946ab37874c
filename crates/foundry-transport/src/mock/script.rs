//! The state behind a `MockTransport`: routes, queue, record.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Arc;

use http::Method;

use super::MockReply;
use crate::{ErrorKind, Timeouts, TransportError, TransportRequest};

/// How a route makes its reply.
pub(super) enum Responder {
    Fixed(MockReply),
    Dynamic(Arc<dyn Fn(&TransportRequest) -> MockReply + Send + Sync>),
}

pub(super) struct Route {
    method: Method,
    path: String,
    /// Uses left; `None` for unlimited.
    remaining: Option<usize>,
    responder: Responder,
}

#[derive(Default)]
pub(super) struct Script {
    pub(super) routes: Vec<Route>,
    pub(super) queue: VecDeque<MockReply>,
    pub(super) requests: Vec<TransportRequest>,
    pub(super) timeouts: Timeouts,
}

impl Script {
    pub(super) fn add_route(
        &mut self,
        method: Method,
        path: String,
        remaining: Option<usize>,
        responder: Responder,
    ) {
        self.routes.push(Route {
            method,
            path,
            remaining,
            responder,
        });
    }

    /// Records `request` and picks its reply.
    pub(super) fn answer(
        &mut self,
        request: TransportRequest,
    ) -> Result<MockReply, TransportError> {
        let path = request.path();
        let route = self.routes.iter_mut().find(|route| {
            route.remaining != Some(0) && route.method == request.method() && route.path == path
        });
        let reply = match route {
            Some(route) => {
                if let Some(left) = route.remaining.as_mut() {
                    *left -= 1;
                }
                Some(match &route.responder {
                    Responder::Fixed(reply) => reply.clone(),
                    Responder::Dynamic(make) => make(&request),
                })
            }
            None => self.queue.pop_front(),
        };
        let reply = reply.ok_or_else(|| self.unmatched(&request));
        self.requests.push(request);
        reply
    }

    pub(super) fn pending(&self) -> usize {
        let routes: usize = self.routes.iter().filter_map(|route| route.remaining).sum();
        self.queue.len() + routes
    }

    /// The error for a request the script has no reply for, listing what it does have.
    fn unmatched(&self, request: &TransportRequest) -> TransportError {
        let mut message = format!(
            "MockTransport has no reply for {} {} (request #{}); ",
            request.method(),
            request.path(),
            self.requests.len() + 1
        );
        if self.routes.is_empty() {
            message.push_str("no routes");
        } else {
            message.push_str("routes:");
            for route in &self.routes {
                let uses = route.remaining.map_or("any".to_owned(), |n| n.to_string());
                let _ = write!(message, " {} {} ({uses} left);", route.method, route.path);
            }
        }
        message.push_str(" queue empty");
        TransportError::new(ErrorKind::Other, message)
    }
}
