//! `bench-load`'s command line.

use std::path::{Path, PathBuf};

/// Runs of every client on every workload, unless `--rounds` says otherwise: on a shared
/// machine one run can be off by a third; the median of three rarely is.
const DEFAULT_ROUNDS: usize = 3;

/// What a run was asked to do.
#[derive(Debug, PartialEq)]
pub struct Args {
    /// The file whose load-bench section the table replaces (not with `--layers`).
    pub report: Option<PathBuf>,
    /// Multiplies every workload's call count.
    pub scale: f64,
    /// Runs of every client on every workload.
    pub rounds: usize,
    /// Where the Python SDK's venv lives.
    pub venv: PathBuf,
    /// The Python client.
    pub script: PathBuf,
    /// The one CPU every process runs on, if pinned.
    pub cpu: Option<usize>,
    /// Measure our client one layer at a time instead of against the peers.
    pub layers: bool,
}

impl Args {
    /// Reads the flags in `argv` (the program's name left out); `root` is the workspace, where
    /// the venv and the Python client are by default.
    pub fn parse(root: &Path, argv: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut args = Self {
            report: None,
            scale: 1.0,
            rounds: DEFAULT_ROUNDS,
            venv: root.join("target").join("bench-venv"),
            script: root.join("benches").join("python").join("peer.py"),
            cpu: None,
            layers: false,
        };
        let mut argv = argv.into_iter();
        while let Some(flag) = argv.next() {
            // The flag is named before its value is taken, so a misspelt flag is reported as
            // unknown and a flag is never taken for another's value.
            let mut value = || {
                argv.next()
                    .filter(|value| !value.starts_with("--"))
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--layers" => args.layers = true,
                "--report" => args.report = Some(PathBuf::from(value()?)),
                "--venv" => args.venv = PathBuf::from(value()?),
                "--python-script" => args.script = PathBuf::from(value()?),
                "--scale" => {
                    let value = value()?;
                    args.scale = value
                        .parse()
                        .ok()
                        .filter(|scale: &f64| *scale > 0.0 && scale.is_finite())
                        .ok_or_else(|| format!("--scale: {value:?} is not a positive number"))?;
                }
                "--rounds" => {
                    let value = value()?;
                    args.rounds = value
                        .parse()
                        .ok()
                        .filter(|rounds| *rounds > 0)
                        .ok_or_else(|| format!("--rounds: {value:?} is not a positive count"))?;
                }
                "--cpu" => {
                    let value = value()?;
                    args.cpu = Some(
                        value
                            .parse()
                            .map_err(|_| format!("--cpu: {value:?} is not a CPU number"))?,
                    );
                }
                other => return Err(format!("unknown flag {other:?}")),
            }
        }
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<Args, String> {
        Args::parse(Path::new("/ws"), argv.iter().map(|&arg| arg.to_owned()))
    }

    #[test]
    fn no_flags_give_the_full_bench_without_a_report() {
        let args = parse(&[]).expect("no flags are fine");
        assert_eq!(args.report, None);
        assert_eq!(
            (args.scale, args.rounds, args.cpu, args.layers),
            (1.0, 3, None, false)
        );
        assert_eq!(args.venv, Path::new("/ws/target/bench-venv"));
        assert_eq!(args.script, Path::new("/ws/benches/python/peer.py"));
    }

    #[test]
    fn every_flag_is_read() {
        let args = parse(&[
            "--layers", "--cpu", "1", "--rounds", "10", "--scale", "0.5", "--report", "r.md",
        ])
        .expect("valid flags");
        assert!(args.layers);
        assert_eq!(args.cpu, Some(1));
        assert_eq!((args.rounds, args.scale), (10, 0.5));
        assert_eq!(args.report.as_deref(), Some(Path::new("r.md")));
    }

    #[test]
    fn bad_values_and_unknown_flags_are_refused_with_their_name() {
        for (argv, expected) in [
            (&["--cpu", "x"][..], "--cpu: \"x\" is not a CPU number"),
            (&["--cpu", "-1"][..], "--cpu: \"-1\" is not a CPU number"),
            (
                &["--rounds", "0"][..],
                "--rounds: \"0\" is not a positive count",
            ),
            (
                &["--scale", "inf"][..],
                "--scale: \"inf\" is not a positive number",
            ),
            (&["--layer"][..], "unknown flag \"--layer\""),
            (&["--report"][..], "--report needs a value"),
            // A flag is never taken for another flag's value.
            (&["--report", "--layers"][..], "--report needs a value"),
        ] {
            assert_eq!(
                parse(argv).expect_err("refused").as_str(),
                expected,
                "{argv:?}"
            );
        }
    }
}
