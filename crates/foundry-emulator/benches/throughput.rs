//! Non-streamed chat requests per second the emulator serves on one core over loopback.
//!
//! The emulator runs on a thread of its own with a single-threaded runtime (one core); the
//! client is a minimal HTTP/1.1 keep-alive client on another single-threaded runtime, with
//! `CONNECTIONS` connections each sending one request at a time, so the client costs little and
//! the figure is the server's. Criterion reports the rate as elements (requests) per second.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig, EmulatorHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

const CONNECTIONS: usize = 32;
const REQUESTS_PER_BATCH: u64 = 4_000;

fn request(addr: SocketAddr, model: &str) -> Vec<u8> {
    let body = format!(
        r#"{{"model":"{model}","messages":[{{"role":"system","content":"be brief"}},{{"role":"user","content":"Say hello to the world"}}],"max_tokens":16}}"#
    );
    format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one response with a `Content-Length` body; panics on anything else (a bench bug).
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) {
    buffer.clear();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            assert!(head.starts_with("http/1.1 200"), "{head}");
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse().ok())
                .expect("content-length");
            while buffer.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.expect("read");
                assert!(n > 0, "short body");
                buffer.extend_from_slice(&chunk[..n]);
            }
            return;
        }
    }
}

/// Sends `total` requests over `CONNECTIONS` keep-alive connections; returns the elapsed time.
async fn run(connections: &mut [TcpStream], request: &[u8], total: u64) -> Duration {
    let per_connection = total / connections.len() as u64;
    let started = Instant::now();
    let tasks = connections.iter_mut().map(|stream| async move {
        let mut buffer = Vec::with_capacity(2048);
        for _ in 0..per_connection {
            stream.write_all(request).await.expect("write");
            read_response(stream, &mut buffer).await;
        }
    });
    futures_util::future::join_all(tasks).await;
    started.elapsed()
}

fn emulator(dialect: Dialect) -> (EmulatorHandle, &'static str) {
    let (catalog, model) = match dialect {
        Dialect::Core2 => (Catalog::tiny(), "tiny-chat-generic-cpu:1"),
        _ => (Catalog::default(), "Phi-4-mini-instruct-generic-cpu:4"),
    };
    let handle = Emulator::start_on_thread(
        EmulatorConfig::new(dialect)
            .catalog(catalog)
            .loaded([model]),
    )
    .expect("emulator");
    (handle, model)
}

fn throughput(c: &mut Criterion) {
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("chat_nonstream");
    group.throughput(Throughput::Elements(REQUESTS_PER_BATCH));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for dialect in [Dialect::Core2, Dialect::Core1, Dialect::Legacy] {
        let (handle, model) = emulator(dialect);
        let request = request(handle.addr(), model);
        let mut connections = connect(&client, handle.addr());
        // A direct figure besides criterion's, for the report.
        let warm = client.block_on(run(&mut connections, &request, 20_000));
        println!(
            "{dialect}: {:.0} non-stream chat requests/s ({CONNECTIONS} keep-alive connections)",
            20_000.0 / warm.as_secs_f64()
        );
        group.bench_function(dialect.as_str(), |b| {
            b.iter_custom(|iterations| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    elapsed += client.block_on(run(&mut connections, &request, REQUESTS_PER_BATCH));
                }
                elapsed
            });
        });
        drop(connections);
        drop(handle);
    }
    group.finish();
}

fn connect(client: &Runtime, addr: SocketAddr) -> Vec<TcpStream> {
    client.block_on(async {
        let mut connections = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let stream = TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            connections.push(stream);
        }
        connections
    })
}

criterion_group!(benches, throughput);
criterion_main!(benches);
