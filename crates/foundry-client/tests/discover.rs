//! Discovery through fake `foundry` executables that print the recorded CLI outputs.

use std::path::PathBuf;

use foundry_client::{Config, DiscoverOptions, ErrorKind, FoundryClient};

fn fixture(name: &str) -> String {
    let bytes = foundry_recordings::fixture(&format!("foundry-reconstructed/{name}"));
    String::from_utf8(bytes).unwrap()
}

/// Writes an executable `foundry` script into a fresh directory: `server status` prints
/// `server`, `service status` prints `service` (or exits 1 when `None`, as a CLI without that
/// command does).
fn fake_cli(server: Option<&str>, service: Option<&str>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fake-foundry-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let answer = |text: Option<&str>| match text {
        Some(text) => format!("cat <<'EOF'\n{text}\nEOF\n"),
        None => "echo 'unknown command' >&2; exit 1".to_owned(),
    };
    let script = format!(
        "#!/bin/sh\ncase \"$1 $2\" in\n  \"server status\") {} ;;\n  \"service status\") {} ;;\n  *) exit 1 ;;\nesac\n",
        answer(server),
        answer(service)
    );
    let path = dir.join("foundry");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn options(cli: PathBuf) -> DiscoverOptions {
    let mut options = DiscoverOptions::default();
    options.config = Some(Config::default());
    options.cli = cli.to_string_lossy().into_owned();
    options
}

#[tokio::test]
async fn the_current_cli_json_gives_the_endpoint() {
    let cli = fake_cli(Some(&fixture("cli_core_server_status_running.json")), None);
    let client = FoundryClient::discover_with(options(cli)).await.unwrap();
    assert_eq!(client.endpoint(), "http://127.0.0.1:48077");
}

#[tokio::test]
async fn the_legacy_cli_text_gives_the_endpoint_without_its_status_path() {
    let cli = fake_cli(
        None,
        Some(&fixture("cli_legacy_service_status_running.txt")),
    );
    let client = FoundryClient::discover_with(options(cli)).await.unwrap();
    assert_eq!(client.endpoint(), "http://127.0.0.1:55064");
}

#[tokio::test]
async fn nothing_running_is_a_clear_error() {
    let cli = fake_cli(
        Some(&fixture("cli_core_server_status_not_running.json")),
        Some(&fixture("cli_legacy_service_status_not_running.txt")),
    );
    let error = FoundryClient::discover_with(options(cli))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect);
    assert!(
        error.to_string().contains("no Foundry Local found"),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_cli_is_a_clear_error_and_the_endpoint_variable_wins() {
    let error = FoundryClient::discover_with(options(PathBuf::from("/nonexistent/foundry")))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect);
    let mut with_endpoint = options(PathBuf::from("/nonexistent/foundry"));
    with_endpoint.config = Some(
        Config::from_lookup(|name| {
            (name == "FOUNDRY_ENDPOINT").then(|| "http://127.0.0.1:9".to_owned())
        })
        .unwrap(),
    );
    let client = FoundryClient::discover_with(with_endpoint).await.unwrap();
    assert_eq!(client.endpoint(), "http://127.0.0.1:9");
}
