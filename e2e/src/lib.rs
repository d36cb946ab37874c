//! Shared helpers of the real-server suite.
//!
//! The suite's tests are `#[ignore]`d in a plain `cargo test`: they need servers that
//! `cargo xtask e2e` prepares, starts and passes in through environment variables
//! (`E2E_LLAMA_URL`, `E2E_CORE2_URL`, `E2E_CORE1_URL`, ...). Run under `cargo xtask e2e`, a missing
//! variable is a failure, never a skip.

#![forbid(unsafe_code)]

use foundry_client::FoundryClient;

/// The URL of a server started by `cargo xtask e2e`, from `variable`.
///
/// # Panics
/// When the variable is missing: the suite must fail, not skip, without its server.
pub fn server_url(variable: &str) -> String {
    match std::env::var(variable) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!("{variable} is not set: run the real-server suite with `cargo xtask e2e`"),
    }
}

/// A client for the server in `variable`, configured as a user would (through the endpoint).
pub fn client_for(variable: &str) -> FoundryClient {
    FoundryClient::builder()
        .endpoint(server_url(variable))
        .build()
        .expect("a valid endpoint")
}
