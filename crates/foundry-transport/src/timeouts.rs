//! The four timers of an HTTP exchange.

use std::time::Duration;

/// Timer settings for an exchange. `None` means "not set here".
///
/// A transport holds defaults; a [`TransportRequest`](crate::TransportRequest) may carry
/// overrides, and [`Timeouts::or`] merges the two (the request wins where it sets a value).
///
/// The timers are separate on purpose: a healthy stream that runs for minutes must not
/// be killed by a "whole request" timeout, so only `deadline` bounds the total time, and
/// `idle` starts again with every chunk: it bounds how long the reader waits for the next
/// chunk, counted from when it asks for one after taking the last (a reader slower than the
/// server is never cut off for its own pace).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Timeouts {
    connect: Option<Duration>,
    first_byte: Option<Duration>,
    idle: Option<Duration>,
    deadline: Option<Duration>,
}

impl Timeouts {
    /// No timer set.
    pub const fn new() -> Self {
        Self {
            connect: None,
            first_byte: None,
            idle: None,
            deadline: None,
        }
    }

    /// Sets the time allowed to establish a connection (TCP and TLS).
    ///
    /// A pooled transport applies the connect timeout when it opens a connection, which
    /// may serve many requests: `ReqwestTransport` reads it from its own settings only,
    /// and ignores it on a single request.
    #[must_use]
    pub const fn with_connect(mut self, timeout: Duration) -> Self {
        self.connect = Some(timeout);
        self
    }

    /// Sets the time allowed from sending the request until the response headers arrive.
    #[must_use]
    pub const fn with_first_byte(mut self, timeout: Duration) -> Self {
        self.first_byte = Some(timeout);
        self
    }

    /// Sets the longest wait allowed for the next chunk of the response body, counted from
    /// when the reader asks for it.
    #[must_use]
    pub const fn with_idle(mut self, timeout: Duration) -> Self {
        self.idle = Some(timeout);
        self
    }

    /// Sets the bound on the whole exchange, from sending to the end of the body.
    #[must_use]
    pub const fn with_deadline(mut self, timeout: Duration) -> Self {
        self.deadline = Some(timeout);
        self
    }

    /// The connect timeout, if set.
    pub const fn connect(&self) -> Option<Duration> {
        self.connect
    }

    /// The time-to-first-byte timeout, if set.
    pub const fn first_byte(&self) -> Option<Duration> {
        self.first_byte
    }

    /// The idle-between-chunks timeout, if set.
    pub const fn idle(&self) -> Option<Duration> {
        self.idle
    }

    /// The overall deadline, if set.
    pub const fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// Each timer of `self`, or the one of `defaults` where `self` does not set it.
    #[must_use]
    pub const fn or(self, defaults: Timeouts) -> Timeouts {
        // `Option::or` is not a `const fn`, hence the match.
        const fn pick(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
            match a {
                Some(_) => a,
                None => b,
            }
        }
        Timeouts {
            connect: pick(self.connect, defaults.connect),
            first_byte: pick(self.first_byte, defaults.first_byte),
            idle: pick(self.idle, defaults.idle),
            deadline: pick(self.deadline, defaults.deadline),
        }
    }

    /// True when no timer is set.
    pub const fn is_empty(&self) -> bool {
        self.connect.is_none()
            && self.first_byte.is_none()
            && self.idle.is_none()
            && self.deadline.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_values_win_over_defaults() {
        let defaults = Timeouts::new()
            .with_first_byte(Duration::from_secs(60))
            .with_idle(Duration::from_secs(30));
        let merged = Timeouts::new()
            .with_idle(Duration::from_secs(1))
            .or(defaults);
        assert_eq!(merged.first_byte(), Some(Duration::from_secs(60)));
        assert_eq!(merged.idle(), Some(Duration::from_secs(1)));
        assert_eq!(merged.deadline(), None);
        assert!(Timeouts::new().is_empty());
        assert!(!merged.is_empty());
    }
}
