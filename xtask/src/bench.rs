//! `cargo xtask bench [ARGS]`: every crate's criterion micro-benches in quick mode, then the load
//! bench of the `benches` package, which writes its table into `docs/PERFORMANCE.md`. `ARGS` go
//! to the load bench (`--scale 0.5` halves the call counts).
//!
//! The load bench's peers (bare reqwest, async-openai) are behind that package's `peers` feature,
//! so the workspace's test and lint builds never compile them; only these steps turn it on.

use crate::minutes;
use crate::step::Step;

/// The steps of `cargo xtask bench`, with `extra` passed on to the load bench.
pub fn steps(extra: &[String]) -> Vec<Step> {
    let mut load = vec![
        "run",
        "--release",
        "--locked",
        "--quiet",
        "-p",
        "benches",
        "--features",
        "peers",
        "--bin",
        "bench-load",
        "--",
        "--report",
        "docs/PERFORMANCE.md",
    ];
    load.extend(extra.iter().map(String::as_str));
    vec![
        // `--bench '*'` selects the bench targets only: the libraries' own harnesses would
        // reject criterion's `--quick`.
        Step::cargo(
            "criterion micro-benches of every crate (quick mode)",
            minutes(15),
            &[
                "bench",
                "--workspace",
                "--exclude",
                "benches",
                "--locked",
                "--bench",
                "*",
                "--",
                "--quick",
            ],
        ),
        Step::cargo(
            "build the load bench, its emulator and its clients (release, peers on)",
            minutes(20),
            &[
                "build",
                "--release",
                "--locked",
                "-p",
                "benches",
                "--features",
                "peers",
                "--bins",
            ],
        ),
        Step::cargo(
            "load bench: foundry-client, bare reqwest, async-openai, openai-python on the emulator",
            minutes(30),
            &load,
        ),
    ]
}
