//! The sliding window of recent outcomes behind the failure-ratio rule.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

const BUCKETS: u32 = 10;

/// Outcome counts over the last `length`, in 10 buckets so old outcomes fall out gradually.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    length: Duration,
    buckets: VecDeque<Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    start: Instant,
    successes: u32,
    failures: u32,
}

impl Window {
    pub(crate) fn new(length: Duration) -> Self {
        Self {
            length,
            buckets: VecDeque::with_capacity(BUCKETS as usize + 1),
        }
    }

    pub(crate) fn record(&mut self, failed: bool, now: Instant) {
        self.expire(now);
        let bucket_length = self.length / BUCKETS;
        let needs_new = self
            .buckets
            .back()
            .is_none_or(|last| now.saturating_duration_since(last.start) >= bucket_length);
        if needs_new {
            self.buckets.push_back(Bucket {
                start: now,
                successes: 0,
                failures: 0,
            });
        }
        if let Some(bucket) = self.buckets.back_mut() {
            if failed {
                bucket.failures = bucket.failures.saturating_add(1);
            } else {
                bucket.successes = bucket.successes.saturating_add(1);
            }
        }
    }

    /// (calls, failures) in the window.
    pub(crate) fn totals(&mut self, now: Instant) -> (u32, u32) {
        self.expire(now);
        self.buckets.iter().fold((0, 0), |(calls, failures), b| {
            (
                calls.saturating_add(b.successes).saturating_add(b.failures),
                failures.saturating_add(b.failures),
            )
        })
    }

    pub(crate) fn clear(&mut self) {
        self.buckets.clear();
    }

    fn expire(&mut self, now: Instant) {
        while self
            .buckets
            .front()
            .is_some_and(|b| now.saturating_duration_since(b.start) >= self.length)
        {
            self.buckets.pop_front();
        }
    }
}
