//! `cargo xtask bench [ARGS]`: every crate's criterion micro-benches in quick mode, then the load
//! bench of the `benches` package, which writes its table into `docs/PERFORMANCE.md`. `ARGS` go
//! to the load bench (`--scale 0.5` halves the call counts, `--cpu 1` pins it to one CPU).
//!
//! With `--layers` among them, only the per-layer run happens: it prints what each layer of the
//! client adds and writes nothing, so neither the micro-benches nor the report are part of it.
//!
//! The load bench's peers (bare reqwest, async-openai) are behind that package's `peers` feature,
//! so the workspace's test and lint builds never compile them; only these steps turn it on.

use crate::minutes;
use crate::step::Step;

/// The steps of `cargo xtask bench`, with `extra` passed on to the load bench.
pub fn steps(extra: &[String]) -> Vec<Step> {
    let layers = extra.iter().any(|arg| arg == "--layers");
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
    ];
    if !layers {
        load.extend(["--report", "docs/PERFORMANCE.md"]);
    }
    load.extend(extra.iter().map(String::as_str));
    let build = Step::cargo(
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
    );
    if layers {
        return vec![
            build,
            Step::cargo(
                "per-layer bench: bare reqwest, then foundry-client one layer at a time",
                minutes(30),
                &load,
            ),
        ];
    }
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
        build,
        Step::cargo(
            "load bench: foundry-client, bare reqwest, async-openai, openai-python on the emulator",
            minutes(30),
            &load,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extra(args: &[&str]) -> Vec<String> {
        args.iter().map(|&arg| arg.to_owned()).collect()
    }

    #[test]
    fn a_full_run_writes_the_report_and_passes_extra_arguments_on() {
        let steps = steps(&extra(&["--cpu", "1"]));
        assert_eq!(steps.len(), 3);
        assert!(steps[0].name().starts_with("criterion"));
        let load = steps[2].args();
        assert!(
            load.windows(2)
                .any(|w| w == ["--report", "docs/PERFORMANCE.md"])
        );
        assert!(load.ends_with(&extra(&["--cpu", "1"])));
    }

    #[test]
    fn the_layer_run_skips_the_micro_benches_and_the_report() {
        let steps = steps(&extra(&["--layers", "--cpu", "1"]));
        assert_eq!(steps.len(), 2);
        assert!(steps[0].name().starts_with("build"));
        assert!(steps[1].name().starts_with("per-layer bench"));
        let load = steps[1].args();
        assert!(!load.iter().any(|arg| arg == "--report"));
        assert!(load.ends_with(&extra(&["--layers", "--cpu", "1"])));
    }
}
