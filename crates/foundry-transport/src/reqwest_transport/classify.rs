//! Mapping reqwest's errors onto our kinds.
//!
//! reqwest reports *where* an error happened (connect, request, body) and whether a
//! timer fired; the finer cause (DNS, reset, parse error) is further down its source
//! chain, as hyper, hyper-util or I/O errors.

use std::error::Error as StdError;
use std::io;

use crate::{ErrorKind, TimeoutKind};

/// The kind of an error returned before the response headers arrived.
pub(super) fn before_headers(err: &reqwest::Error) -> ErrorKind {
    if err.is_builder() {
        return ErrorKind::InvalidInput;
    }
    if err.is_connect() {
        return if err.is_timeout() {
            ErrorKind::Timeout(TimeoutKind::Connect)
        } else if is_dns(err) {
            ErrorKind::Dns
        } else {
            ErrorKind::Connect
        };
    }
    if err.is_timeout() {
        // Only a client handed to `from_client` has reqwest timers of its own; before
        // the headers, its total or read timeout is a first-byte timeout for us.
        return ErrorKind::Timeout(TimeoutKind::FirstByte);
    }
    if err.is_redirect() {
        return ErrorKind::InvalidResponse;
    }
    from_chain(err).unwrap_or(ErrorKind::Other)
}

/// The kind of an error while reading the body. Whatever the cause, the server stopped
/// sending mid-body, so the default is `ConnectionClosed`; a socket timer that fired is an
/// idle body, a malformed one invalid.
pub(super) fn in_body(err: &reqwest::Error) -> ErrorKind {
    if err.is_timeout() || has_timed_out_io(err) {
        return ErrorKind::Timeout(TimeoutKind::Idle);
    }
    if err.is_decode() {
        return ErrorKind::InvalidResponse;
    }
    match from_chain(err) {
        Some(ErrorKind::InvalidResponse) => ErrorKind::InvalidResponse,
        _ => ErrorKind::ConnectionClosed,
    }
}

/// True when a link of the chain is hyper-util's DNS failure. hyper-util exposes no
/// type for it, only its message, which has been stable since its first release.
fn is_dns(err: &(dyn StdError + 'static)) -> bool {
    chain(err).any(|link| link.to_string().starts_with("dns error"))
}

/// True when a link of the chain is an I/O error that timed out (a connector's connect timer).
fn has_timed_out_io(err: &(dyn StdError + 'static)) -> bool {
    chain(err).any(|link| {
        link.downcast_ref::<io::Error>()
            .is_some_and(|io_err| io_err.kind() == io::ErrorKind::TimedOut)
    })
}

/// The kind implied by a hyper or I/O error in the chain, if any.
fn from_chain(err: &(dyn StdError + 'static)) -> Option<ErrorKind> {
    chain(err).find_map(|link| {
        if let Some(hyper_err) = link.downcast_ref::<hyper::Error>() {
            if hyper_err.is_parse() || hyper_err.is_parse_status() {
                return Some(ErrorKind::InvalidResponse);
            }
            if hyper_err.is_incomplete_message()
                || hyper_err.is_closed()
                || hyper_err.is_canceled()
                || hyper_err.is_body_write_aborted()
            {
                return Some(ErrorKind::ConnectionClosed);
            }
        }
        let io_err = link.downcast_ref::<io::Error>()?;
        match io_err.kind() {
            io::ErrorKind::ConnectionRefused => Some(ErrorKind::Connect),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => Some(ErrorKind::ConnectionClosed),
            io::ErrorKind::TimedOut => Some(ErrorKind::Timeout(TimeoutKind::FirstByte)),
            _ => None,
        }
    })
}

/// `err` and its sources, outermost first.
fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |link: &&'a (dyn StdError + 'static)| {
        (*link).source()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    /// An error with a message and an optional source, standing in for hyper-util's.
    #[derive(Debug)]
    struct Link(&'static str, Option<Box<dyn StdError + Send + Sync>>);

    impl fmt::Display for Link {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Link {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn StdError + 'static))
        }
    }

    #[test]
    fn dns_is_found_anywhere_in_the_chain() {
        let gai = io::Error::other("failed to lookup address information");
        let dns = Link("dns error", Some(Box::new(gai)));
        let outer = Link("client error (Connect)", Some(Box::new(dns)));
        assert!(is_dns(&outer));
        let refused = Link(
            "client error (Connect)",
            Some(Box::new(io::Error::from(io::ErrorKind::ConnectionRefused))),
        );
        assert!(!is_dns(&refused));
        assert_eq!(from_chain(&refused), Some(ErrorKind::Connect));
    }

    #[test]
    fn resets_and_eofs_are_connection_closed() {
        for kind in [io::ErrorKind::ConnectionReset, io::ErrorKind::UnexpectedEof] {
            let err = Link(
                "error reading a body",
                Some(Box::new(io::Error::from(kind))),
            );
            assert_eq!(from_chain(&err), Some(ErrorKind::ConnectionClosed));
        }
    }
}
