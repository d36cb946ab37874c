//! The endpoint set over three emulators, one of them failing or slow: traffic moves away from
//! it within a bounded number of requests.

use std::sync::Arc;
use std::time::Duration;

use foundry_emulator::{
    Catalog, Dialect, Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultRule,
};
use foundry_health::{
    Endpoint, EndpointSet, FoundryCoreProbe, HealthChecker, HealthStatus, MonitorConfig,
};
use foundry_resilience::{JitterRng, ResilienceBuilder, RetryPolicy, TokioClock};
use foundry_transport::{ReqwestTransport, SharedTransport, Transport, TransportRequest};

const CHAT_ROUTE: &str = "POST /v1/chat/completions";
const CHAT: &str =
    r#"{"model":"tiny-chat-generic-cpu:1","messages":[{"role":"user","content":"hi"}]}"#;

async fn emulator(config: EmulatorConfig) -> EmulatorHandle {
    Emulator::start(
        config
            .catalog(Catalog::tiny())
            .loaded(["tiny-chat-generic-cpu:1"]),
    )
    .await
    .expect("emulator starts")
}

fn transport(emulator: &EmulatorHandle) -> SharedTransport {
    SharedTransport::new(
        ReqwestTransport::builder()
            .base_url(emulator.url())
            .build()
            .expect("transport"),
    )
}

/// Chat requests answered by each emulator.
fn chats(emulator: &EmulatorHandle) -> u64 {
    emulator
        .stats()
        .requests
        .get(CHAT_ROUTE)
        .copied()
        .unwrap_or(0)
}

/// Sends `n` chat requests one after the other; returns how many failed.
async fn send_chats(set: &EndpointSet, n: usize) -> usize {
    let mut failed = 0;
    for _ in 0..n {
        let ok = match set
            .send(TransportRequest::post_json("/v1/chat/completions", CHAT))
            .await
        {
            Ok(response) => {
                let status = response.status();
                response.bytes_limited(1 << 20).await.is_ok() && status.is_success()
            }
            Err(_) => false,
        };
        failed += usize::from(!ok);
    }
    failed
}

#[tokio::test]
async fn the_breaker_ejects_a_failing_emulator_after_five_failures() {
    let good = [
        emulator(EmulatorConfig::new(Dialect::Core2)).await,
        emulator(EmulatorConfig::new(Dialect::Core2)).await,
    ];
    let bad = emulator(EmulatorConfig::new(Dialect::Core2)).await;
    bad.faults()
        .push(FaultRule::always(Fault::status(500)).on_route("/v1/chat/completions"))
        .expect("fault");
    // Each endpoint behind its own breaker (default: open after 5 failures in a row); no retries,
    // so every failure is visible here.
    let stack = |emulator: &EmulatorHandle| {
        let stack = ResilienceBuilder::new()
            .retry(None::<RetryPolicy>)
            .limit(None)
            .build(transport(emulator));
        Endpoint::from_resilient(emulator.url(), &stack)
    };
    let set = EndpointSet::new([stack(&good[0]), stack(&good[1]), stack(&bad)])
        .with_rng(JitterRng::seeded(11));

    let failed = send_chats(&set, 300).await;

    // Five failures open the breaker for 5 s; a slow run may let one half-open probe through.
    assert!(
        chats(&bad) <= 6,
        "the failing emulator served {}",
        chats(&bad)
    );
    assert!(failed <= 6, "{failed} requests failed");
    assert!(!set.endpoints().nth(2).unwrap().is_available());
    let served = chats(&good[0]) + chats(&good[1]);
    assert_eq!(served + chats(&bad), 300);
    assert!(
        chats(&good[0]) > 100 && chats(&good[1]) > 100,
        "spread over both good ones"
    );
}

#[tokio::test]
async fn an_unhealthy_emulator_gets_no_traffic_and_comes_back_after_probes_pass() {
    let emulators = [
        emulator(EmulatorConfig::new(Dialect::Core2)).await,
        emulator(EmulatorConfig::new(Dialect::Core1)).await,
        emulator(EmulatorConfig::new(Dialect::Core2)).await,
    ];
    let checkers: Vec<HealthChecker> = emulators
        .iter()
        .map(|emulator| {
            HealthChecker::new(
                FoundryCoreProbe::new(transport(emulator)),
                MonitorConfig::default(),
                Arc::new(TokioClock),
            )
        })
        .collect();
    let set = EndpointSet::new(emulators.iter().zip(&checkers).map(|(emulator, checker)| {
        Endpoint::new(emulator.url(), transport(emulator)).with_health(checker.view())
    }))
    .with_rng(JitterRng::seeded(3));
    let check_all = || async {
        for checker in &checkers {
            checker.check().await;
        }
    };
    check_all().await;
    assert!(checkers.iter().all(|c| c.status() == HealthStatus::Healthy));

    // The third one breaks entirely: every route answers 503.
    let sick = &emulators[2];
    sick.faults()
        .push(FaultRule::always(Fault::status(503)))
        .expect("fault");
    for _ in 0..3 {
        check_all().await;
    }
    assert_eq!(checkers[2].status(), HealthStatus::Unhealthy);
    sick.reset_stats();
    assert_eq!(
        send_chats(&set, 100).await,
        0,
        "no request reached the sick one"
    );
    assert_eq!(chats(sick), 0);

    // It recovers: two passing probes bring it back into rotation.
    sick.faults().clear();
    check_all().await;
    assert_eq!(checkers[2].status(), HealthStatus::Unhealthy);
    check_all().await;
    assert_eq!(checkers[2].status(), HealthStatus::Healthy);
    assert_eq!(send_chats(&set, 150).await, 0);
    assert!(
        chats(sick) >= 20,
        "back in rotation: {} of 150",
        chats(sick)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_steer_load_away_from_a_slow_emulator() {
    let fast = [
        emulator(EmulatorConfig::new(Dialect::Core2)).await,
        emulator(EmulatorConfig::new(Dialect::Core2)).await,
    ];
    // Answers take 30 ms here, against well under a millisecond on the others.
    let slow = emulator(EmulatorConfig::new(Dialect::Core2).ttft(Duration::from_millis(30))).await;
    let set =
        EndpointSet::new([&fast[0], &fast[1], &slow].map(|e| Endpoint::new(e.url(), transport(e))))
            .with_rng(JitterRng::seeded(5));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let set = set.clone();
        workers.spawn(async move { send_chats(&set, 30).await });
    }
    let mut failed = 0;
    while let Some(result) = workers.join_next().await {
        failed += result.expect("worker");
    }
    assert_eq!(failed, 0);
    let total = chats(&fast[0]) + chats(&fast[1]) + chats(&slow);
    assert_eq!(total, 240);
    // Uniform choice would give it a third (80, give or take 7); power of two choices on
    // requests in flight gives it far less (about 35 in local runs).
    assert!(
        chats(&slow) < 60,
        "the slow emulator served {} of 240",
        chats(&slow)
    );
}
