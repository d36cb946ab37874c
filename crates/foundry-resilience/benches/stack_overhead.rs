//! The cost of the full decorator stack (limit → retry → breaker) on a successful call, against
//! the bare mock transport in the same run. Target: under 2 µs per call.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use foundry_resilience::ResilienceBuilder;
use foundry_transport::mock::{MockResponse, MockTransport};
use foundry_transport::{
    Body, SharedTransport, Transport, TransportRequest, TransportResponse, async_trait,
};
use foundry_transport::{TransportError, http::HeaderMap, http::StatusCode};

/// A transport that answers 200 at once, so only the decorators' own cost is measured.
#[derive(Debug)]
struct Instant200;

#[async_trait]
impl Transport for Instant200 {
    async fn send(&self, _request: TransportRequest) -> Result<TransportResponse, TransportError> {
        Ok(TransportResponse::new(
            StatusCode::OK,
            HeaderMap::new(),
            Body::from_bytes(&b"{}"[..]),
        ))
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let bare = SharedTransport::new(Instant200);
    let stacked = ResilienceBuilder::new().build(bare.clone()).transport;
    let request = TransportRequest::post_json("/v1/chat/completions", &b"{\"model\":\"m\"}"[..])
        .idempotent(true);

    // The mock transport's own script also works through the stack (sanity check, not measured).
    let mock = MockTransport::new();
    mock.push(MockResponse::json("{}"));
    let through = ResilienceBuilder::new()
        .build(SharedTransport::new(mock))
        .transport;
    runtime.block_on(async {
        assert_eq!(
            through.send(request.clone()).await.expect("ok").status(),
            200
        )
    });

    let mut group = c.benchmark_group("resilience/successful_call");
    group.bench_function("bare_transport", |b| {
        b.iter(|| {
            runtime.block_on(async { black_box(bare.send(request.clone()).await.expect("ok")) })
        })
    });
    group.bench_function("full_stack", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let response = stacked.send(request.clone()).await.expect("ok");
                // Reading the body releases the concurrency slot, as a real caller does.
                black_box(response.bytes_limited(1024).await.expect("body"))
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
