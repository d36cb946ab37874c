//! Each probe against the emulator in all three dialects, over real HTTP.

use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig, EmulatorHandle};
use foundry_health::{
    FoundryCoreProbe, FoundryLegacyProbe, MemorySource, OpenAiProbe, Probe, ProbeOutcome,
    ProblemKind, ServerKind, probe_for,
};
use foundry_protocol::ModelInfo;
use foundry_transport::{ReqwestTransport, SharedTransport};

const PHI_CPU: &str = "Phi-4-mini-instruct-generic-cpu:4";
/// `fileSizeMb` of that model in the emulator's default catalog.
const PHI_CPU_MB: u64 = 4980;

async fn emulator(dialect: Dialect) -> EmulatorHandle {
    Emulator::start(
        EmulatorConfig::new(dialect)
            .catalog(Catalog::default())
            .loaded([PHI_CPU]),
    )
    .await
    .expect("emulator starts")
}

fn transport(emulator: &EmulatorHandle) -> SharedTransport {
    let transport = ReqwestTransport::builder()
        .base_url(emulator.url())
        .build()
        .expect("transport");
    SharedTransport::new(transport)
}

fn catalog() -> Vec<ModelInfo> {
    Catalog::default()
        .entries()
        .iter()
        .map(|entry| entry.info.clone())
        .collect()
}

#[tokio::test]
async fn core_probe_reads_both_cores_and_the_core2_process_memory() {
    for (dialect, kind) in [
        (Dialect::Core1, ServerKind::FoundryCore1),
        (Dialect::Core2, ServerKind::FoundryCore2),
    ] {
        let emulator = emulator(dialect).await;
        assert!(foundry_transport::is_loopback_url(emulator.url()));
        let probe = FoundryCoreProbe::new(transport(&emulator))
            .local_process(true)
            .catalog(catalog());
        let report = probe.probe().await;
        assert_eq!(report.outcome, ProbeOutcome::Ready, "{dialect}: {report:?}");
        assert!(report.reachable() && report.ready());
        assert_eq!(report.server, Some(kind), "{dialect}");
        assert_eq!(
            report.loaded_models.as_deref(),
            Some(&[PHI_CPU.to_owned()][..])
        );
        assert!(report.problems.is_empty());
        assert_eq!(report.memory.len(), 1, "{dialect}: {:?}", report.memory);
        let figure = &report.memory[0];
        match dialect {
            // Core 2.x reports its pid (the emulator reports this test process's).
            Dialect::Core2 => {
                assert_eq!(
                    figure.source,
                    MemorySource::ProcessRss {
                        pid: std::process::id()
                    }
                );
                assert!(figure.bytes > 1024 * 1024, "{figure:?}");
            }
            // Core 1.x reports no pid: the catalog's file size, labelled as such.
            _ => {
                assert_eq!(
                    figure.source,
                    MemorySource::CatalogFileSize {
                        models: vec![PHI_CPU.to_owned()]
                    }
                );
                assert_eq!(figure.bytes, PHI_CPU_MB * 1024 * 1024);
            }
        }
        emulator.shutdown().await;
    }
}

#[tokio::test]
async fn without_local_process_or_catalog_no_memory_figure_is_made_up() {
    let emulator = emulator(Dialect::Core2).await;
    let report = FoundryCoreProbe::new(transport(&emulator)).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Ready);
    assert!(report.memory.is_empty(), "{:?}", report.memory);
    assert_eq!(report.version, None);
    emulator.shutdown().await;
}

#[tokio::test]
async fn legacy_probe_reads_the_g1_service_with_its_own_catalog() {
    let emulator = emulator(Dialect::Legacy).await;
    let transport = transport(&emulator);
    // The legacy service publishes the catalog itself, with `fileSizeMb`.
    let list = reqwest_get(&emulator, "/foundry/list").await;
    let catalog = foundry_protocol::foundry::parse_catalog(&list).expect("catalog");
    let report = FoundryLegacyProbe::new(transport)
        .catalog(catalog)
        .probe()
        .await;
    assert_eq!(report.outcome, ProbeOutcome::Ready, "{report:?}");
    assert_eq!(report.server, Some(ServerKind::FoundryLegacy));
    assert_eq!(
        report.loaded_models.as_deref(),
        Some(&[PHI_CPU.to_owned()][..])
    );
    assert_eq!(report.memory[0].bytes, PHI_CPU_MB * 1024 * 1024);
    assert!(matches!(
        report.memory[0].source,
        MemorySource::CatalogFileSize { .. }
    ));
    emulator.shutdown().await;
}

#[tokio::test]
async fn openai_probe_works_on_every_dialect() {
    for dialect in [Dialect::Legacy, Dialect::Core1, Dialect::Core2] {
        let emulator = emulator(dialect).await;
        let report = OpenAiProbe::new(transport(&emulator)).probe().await;
        assert_eq!(report.outcome, ProbeOutcome::Ready, "{dialect}: {report:?}");
        assert_eq!(report.server, Some(ServerKind::OpenAiCompatible));
        let models = report.loaded_models.expect("a model list");
        assert!(!models.is_empty(), "{dialect}");
        emulator.shutdown().await;
    }
}

#[tokio::test]
async fn a_probe_of_the_wrong_generation_is_failing_not_ready() {
    let emulator = emulator(Dialect::Core2).await;
    let report = FoundryLegacyProbe::new(transport(&emulator)).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Failing);
    assert!(report.reachable());
    assert!(!report.ready());
    assert!(
        matches!(
            report.problems[0].kind,
            ProblemKind::Status { status: 404, .. }
        ),
        "{:?}",
        report.problems
    );
    assert_eq!(report.problems[0].check, "GET /openai/status");
    emulator.shutdown().await;
}

#[tokio::test]
async fn probe_for_picks_the_probe_of_each_kind() {
    for (dialect, kind) in [
        (Dialect::Legacy, ServerKind::FoundryLegacy),
        (Dialect::Core1, ServerKind::FoundryCore1),
        (Dialect::Core2, ServerKind::FoundryCore2),
    ] {
        let emulator = emulator(dialect).await;
        let report = probe_for(kind, transport(&emulator)).probe().await;
        assert_eq!(report.outcome, ProbeOutcome::Ready, "{dialect}");
        assert_eq!(report.server, Some(kind));
        emulator.shutdown().await;
    }
}

#[tokio::test]
async fn a_server_that_is_gone_is_unreachable() {
    let emulator = emulator(Dialect::Core2).await;
    let transport = transport(&emulator);
    emulator.shutdown().await;
    let report = FoundryCoreProbe::new(transport).probe().await;
    assert_eq!(report.outcome, ProbeOutcome::Unreachable);
    assert!(!report.reachable());
    assert!(matches!(
        report.problems[0].kind,
        ProblemKind::Transport { .. }
    ));
}

/// The body of a GET, through the same transport type the probes use.
async fn reqwest_get(emulator: &EmulatorHandle, path: &str) -> Vec<u8> {
    use foundry_transport::{Transport, TransportRequest};
    let response = transport(emulator)
        .send(TransportRequest::get(path))
        .await
        .expect("answer");
    response
        .bytes_limited(1 << 20)
        .await
        .expect("body")
        .to_vec()
}
