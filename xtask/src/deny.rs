//! The supply-chain check: `cargo deny check licenses bans sources`, installing cargo-deny from
//! crates.io on first use (CI machines start without it).

use std::process::Command;

use crate::step::Step;

/// The steps of the check: install when missing, then run.
pub fn steps() -> Vec<Step> {
    let installed = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    let mut steps = Vec::new();
    if !installed {
        steps.push(Step::cargo(
            "install cargo-deny (once per machine)",
            crate::minutes(20),
            &["install", "--locked", "cargo-deny"],
        ));
    }
    steps.push(Step::cargo(
        "supply chain: licenses, bans, sources (cargo deny)",
        crate::minutes(5),
        &["deny", "check", "licenses", "bans", "sources"],
    ));
    steps
}
