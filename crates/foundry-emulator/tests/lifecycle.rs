//! Starting, stopping and dropping emulators; the standalone binary.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use foundry_emulator::{Dialect, Emulator, EmulatorConfig, StartError};
use support::raw;
use tokio::net::TcpStream;

#[tokio::test]
async fn it_binds_loopback_and_stops_on_shutdown_or_drop() {
    let emulator = Emulator::start(EmulatorConfig::new(Dialect::Core2))
        .await
        .expect("emulator");
    let addr = emulator.addr();
    assert!(addr.ip().is_loopback());
    assert_eq!(emulator.url(), format!("http://{addr}"));
    assert!(!emulator.url().ends_with('/'));
    // An idle keep-alive connection must not keep the server alive.
    let idle = TcpStream::connect(addr).await.expect("connect");
    emulator.shutdown().await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nothing listens after shutdown"
    );
    drop(idle);

    let emulator = Emulator::start(EmulatorConfig::new(Dialect::Legacy))
        .await
        .expect("emulator");
    let addr = emulator.addr();
    drop(emulator);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nothing listens after drop"
    );
}

#[tokio::test]
async fn a_thread_of_its_own_serves_too() {
    let emulator =
        Emulator::start_on_thread(EmulatorConfig::new(Dialect::Core1)).expect("emulator");
    assert_eq!(
        raw(emulator.addr(), "GET", "/models/loaded", None)
            .await
            .status,
        200
    );
    let addr = emulator.addr();
    emulator.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn bad_configurations_are_typed_errors() {
    let unknown = Emulator::start(EmulatorConfig::new(Dialect::Core2).loaded(["nope:1"])).await;
    assert!(matches!(unknown, Err(StartError::UnknownModel(id)) if id == "nope:1"));
    let taken = Emulator::start(EmulatorConfig::new(Dialect::Core2))
        .await
        .expect("emulator");
    let again = Emulator::start(EmulatorConfig::new(Dialect::Core2).bind(taken.addr())).await;
    assert!(matches!(again, Err(StartError::Bind { .. })));
}

#[test]
fn the_binary_prints_its_url_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_foundry-emulator"))
        .args(["--port", "0", "--dialect", "g1", "--quirks", "--seed", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a line");
    let url = line.trim();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let addr = url.trim_start_matches("http://").parse().expect("address");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let status = runtime
        .block_on(raw(addr, "GET", "/openai/status", None))
        .status;
    assert_eq!(status, 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            assert!(exit.success(), "clean exit: {exit:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the binary did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let bad = Command::new(env!("CARGO_BIN_EXE_foundry-emulator"))
        .args(["--dialect", "g3"])
        .stderr(Stdio::null())
        .status()
        .expect("runs");
    assert_eq!(bad.code(), Some(2));
}
