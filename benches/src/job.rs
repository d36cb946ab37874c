//! What one client process is asked to do, read from its command line.
//!
//! `--url URL --kind chat|stream --model ID --count N --in-flight K [--chunks C] [--workload NAME]`
//! — the same flags for every client, the Python one included.

use std::fmt;

/// The two kinds of call a workload is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A non-streamed chat completion.
    Chat,
    /// A streamed chat completion read to its end.
    Stream,
}

impl Kind {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Stream => "stream",
        }
    }
}

/// One workload for one client.
#[derive(Debug, Clone)]
pub struct Job {
    /// The emulator's base URL (`http://127.0.0.1:PORT`, no trailing slash).
    pub url: String,
    /// Chats or streams.
    pub kind: Kind,
    /// The model id to send.
    pub model: String,
    /// Calls to measure (after one warm-up call).
    pub count: u64,
    /// Calls in flight at once.
    pub in_flight: usize,
    /// Chunks each stream must yield; a stream with another count is an error.
    pub chunks: u64,
    /// The workload's name, echoed in the figures.
    pub workload: String,
}

/// A command line that is not a valid job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError(pub String);

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\nusage: --url URL --kind chat|stream --model ID --count N --in-flight K [--chunks C] [--workload NAME]",
            self.0
        )
    }
}

impl std::error::Error for JobError {}

impl Job {
    /// Reads a job from the process's arguments.
    pub fn from_args() -> Result<Self, JobError> {
        Self::parse(std::env::args().skip(1))
    }

    /// Reads a job from `--flag value` pairs.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, JobError> {
        let mut url = None;
        let mut kind = None;
        let mut model = None;
        let mut count = None;
        let mut in_flight = None;
        let mut chunks = 0;
        let mut workload = None;
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .ok_or_else(|| JobError(format!("{flag} needs a value")))?;
            match flag.as_str() {
                "--url" => url = Some(value.trim_end_matches('/').to_owned()),
                "--kind" => {
                    kind = Some(match value.as_str() {
                        "chat" => Kind::Chat,
                        "stream" => Kind::Stream,
                        other => return Err(JobError(format!("--kind: unknown kind {other:?}"))),
                    });
                }
                "--model" => model = Some(value),
                "--count" => count = Some(number(&flag, &value)?),
                "--in-flight" => in_flight = Some(number(&flag, &value)?),
                "--chunks" => chunks = number(&flag, &value)?,
                "--workload" => workload = Some(value),
                other => return Err(JobError(format!("unknown flag {other:?}"))),
            }
        }
        let missing = |name: &str| JobError(format!("{name} is required"));
        let kind = kind.ok_or_else(|| missing("--kind"))?;
        let in_flight = in_flight.ok_or_else(|| missing("--in-flight"))?;
        if in_flight == 0 {
            return Err(JobError("--in-flight must be at least 1".to_owned()));
        }
        Ok(Self {
            url: url.ok_or_else(|| missing("--url"))?,
            kind,
            model: model.ok_or_else(|| missing("--model"))?,
            count: count.ok_or_else(|| missing("--count"))?,
            in_flight: usize::try_from(in_flight)
                .map_err(|_| JobError("--in-flight is too large".to_owned()))?,
            chunks,
            workload: workload.unwrap_or_else(|| kind.as_str().to_owned()),
        })
    }
}

fn number(flag: &str, value: &str) -> Result<u64, JobError> {
    value
        .parse()
        .map_err(|_| JobError(format!("{flag}: {value:?} is not a number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn a_full_command_line_is_read() {
        let job = Job::parse(args(
            "--url http://127.0.0.1:9/ --kind stream --model m --count 5 --in-flight 2 --chunks 10 --workload s",
        ))
        .unwrap();
        assert_eq!(job.url, "http://127.0.0.1:9");
        assert_eq!(job.kind, Kind::Stream);
        assert_eq!((job.count, job.in_flight, job.chunks), (5, 2, 10));
        assert_eq!(job.workload, "s");
    }

    #[test]
    fn missing_or_bad_flags_are_named() {
        let error = Job::parse(args("--kind chat --model m --count 1 --in-flight 1")).unwrap_err();
        assert!(error.0.contains("--url"));
        let error = Job::parse(args(
            "--url u --kind chat --model m --count x --in-flight 1",
        ))
        .unwrap_err();
        assert!(error.0.contains("--count"));
        let error = Job::parse(args(
            "--url u --kind chat --model m --count 1 --in-flight 0",
        ))
        .unwrap_err();
        assert!(error.0.contains("at least 1"));
    }
}
