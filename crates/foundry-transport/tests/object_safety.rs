//! Compile-time proofs: `Transport` is object-safe, its futures are `Send`, and the
//! types that cross tasks are `Send`/`Sync` as a multi-threaded runtime needs.

use std::future::Future;
use std::sync::Arc;

use foundry_transport::mock::{MockTransport, transport_fn};
use foundry_transport::{
    BodyStream, ReqwestTransport, SharedTransport, Transport, TransportError, TransportRequest,
    TransportResponse,
};
use futures_core::Stream;

fn assert_send<T: Send>(_: &T) {}
fn assert_send_sync<T: Send + Sync + 'static>() {}
fn assert_stream<T: Stream<Item = Result<bytes::Bytes, TransportError>> + Send + Unpin>() {}

/// Calling through `&dyn Transport` compiles, and the future is `Send`.
fn send_through_a_trait_object(transport: &dyn Transport) -> impl Future + Send + '_ {
    let future = transport.send(TransportRequest::get("/"));
    assert_send(&future);
    future
}

#[test]
fn transport_is_object_safe_and_its_futures_are_send() {
    // The futures are made and dropped unpolled: that this compiles is the test.
    let boxed: Box<dyn Transport> = Box::new(MockTransport::new());
    let arc: Arc<dyn Transport> = Arc::new(ReqwestTransport::builder().build().unwrap());
    drop(send_through_a_trait_object(&*boxed));
    drop(send_through_a_trait_object(&*arc));
    let shared = SharedTransport::from_arc(arc);
    drop(send_through_a_trait_object(&shared));
    // Wrappers are transports too, so decorators can hold any of them.
    drop(send_through_a_trait_object(&boxed));
    let closure = transport_fn(|_request| async { Err(TransportError::rejected("no", None)) });
    drop(send_through_a_trait_object(&closure));
}

#[test]
fn the_types_that_cross_tasks_are_send_and_sync() {
    assert_send_sync::<SharedTransport>();
    assert_send_sync::<ReqwestTransport>();
    assert_send_sync::<MockTransport>();
    assert_send_sync::<TransportRequest>();
    assert_send_sync::<TransportError>();
    assert_stream::<BodyStream>();
    fn assert_send_only<T: Send + 'static>() {}
    assert_send_only::<TransportResponse>();
}

#[test]
fn shared_transport_clones_share_one_transport() {
    let mock = MockTransport::new();
    let shared = SharedTransport::new(mock);
    let clone = shared.clone();
    assert!(Arc::ptr_eq(shared.as_arc(), clone.as_arc()));
}
