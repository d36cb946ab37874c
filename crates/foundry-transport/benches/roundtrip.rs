//! A 1 KiB JSON round trip over loopback: `ReqwestTransport` against a bare
//! `reqwest::Client` doing the same exchange, in the same run, against the same server.
//!
//! The server is hyper on its own runtime thread, so client and server do not share a
//! scheduler. Both clients keep their connection alive across iterations.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group};
use foundry_transport::{ReqwestTransport, SharedTransport, Transport, TransportRequest};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// A JSON document of exactly 1024 bytes.
fn json_1kib() -> Bytes {
    let head = r#"{"model":"phi-4-mini","messages":[{"role":"user","content":""#;
    let tail = r#""}]}"#;
    let filler = "x".repeat(1024 - head.len() - tail.len());
    let doc = format!("{head}{filler}{tail}");
    assert_eq!(doc.len(), 1024);
    Bytes::from(doc)
}

/// Starts the echo-ish server: reads the request body, answers 1 KiB of JSON.
fn start_server() -> SocketAddr {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let reply = json_1kib();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let _ = stream.set_nodelay(true);
                let reply = reply.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let reply = reply.clone();
                        async move {
                            let _ = request.into_body().collect().await;
                            let response = Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(reply))
                                .unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    addr_rx.recv().unwrap()
}

/// Both clients, pointed at one server, and the request payload.
struct Setup {
    runtime: tokio::runtime::Runtime,
    payload: Bytes,
    url: String,
    bare: reqwest::Client,
    ours: ReqwestTransport,
    shared: SharedTransport,
}

impl Setup {
    fn new() -> Self {
        let addr = start_server();
        // The bare client gets the settings our builder uses (the same `User-Agent`, so
        // the same bytes on the wire), so only our layer differs.
        let bare = reqwest::Client::builder()
            .user_agent(foundry_transport::USER_AGENT)
            .tcp_nodelay(true)
            .retry(reqwest::retry::never())
            .build()
            .unwrap();
        let ours = ReqwestTransport::builder()
            .base_url(format!("http://{addr}"))
            .build()
            .unwrap();
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            payload: json_1kib(),
            url: format!("http://{addr}/v1/chat/completions"),
            bare,
            shared: SharedTransport::new(ours.clone()),
            ours,
        }
    }

    async fn bare_once(&self) {
        let response = self
            .bare
            .post(&self.url)
            .header("content-type", "application/json")
            .body(self.payload.clone())
            .send()
            .await
            .unwrap();
        let body = response.bytes().await.unwrap();
        assert_eq!(body.len(), 1024);
    }

    async fn ours_once(&self, transport: &dyn Transport) {
        let request = TransportRequest::post_json("/v1/chat/completions", self.payload.clone());
        let response = transport.send(request).await.unwrap();
        let body = response.bytes_limited(1 << 20).await.unwrap();
        assert_eq!(body.len(), 1024);
    }
}

fn roundtrip(c: &mut Criterion) {
    let setup = Setup::new();
    let mut group = c.benchmark_group("roundtrip_1kib_json");
    group.bench_function("bare_reqwest", |b| {
        b.iter(|| setup.runtime.block_on(setup.bare_once()))
    });
    group.bench_function("reqwest_transport", |b| {
        b.iter(|| setup.runtime.block_on(setup.ours_once(&setup.ours)))
    });
    group.bench_function("shared_transport", |b| {
        b.iter(|| setup.runtime.block_on(setup.ours_once(&setup.shared)))
    });
    group.finish();
}

/// Alternates short blocks of both clients and prints the median of the per-round
/// time ratios: on a shared machine, load drifts between criterion's sequential
/// benchmarks, while a paired ratio cancels most of it.
fn paired_ratio() {
    const ROUNDS: usize = 41;
    const BLOCK: u32 = 1000;
    let setup = Setup::new();
    let time = |ours: bool| {
        let start = Instant::now();
        setup.runtime.block_on(async {
            for _ in 0..BLOCK {
                if ours {
                    setup.ours_once(&setup.shared).await;
                } else {
                    setup.bare_once().await;
                }
            }
        });
        start.elapsed()
    };
    time(false);
    time(true);
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            // Swap the order every round so neither side always runs first.
            let (bare, ours) = if round % 2 == 0 {
                let bare = time(false);
                (bare, time(true))
            } else {
                let ours = time(true);
                (time(false), ours)
            };
            ours.as_secs_f64() / bare.as_secs_f64()
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "paired ratio SharedTransport(ReqwestTransport) / bare reqwest, 1 KiB JSON round trip: \
         median {:.3} (quartiles {:.3}..{:.3}, {ROUNDS} rounds of {BLOCK})",
        ratios[ROUNDS / 2],
        ratios[ROUNDS / 4],
        ratios[3 * ROUNDS / 4],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6))
        .sample_size(60);
    targets = roundtrip
}

fn main() {
    benches();
    // `cargo test --benches` passes `--test`: run each benchmark once, skip the report;
    // so do listing and profiling runs.
    let quick = std::env::args().any(|arg| matches!(&*arg, "--test" | "--list" | "--profile-time"));
    if !quick {
        paired_ratio();
    }
    Criterion::default().configure_from_args().final_summary();
}
