//! What a server says about retrying: `retry-after-ms`, `Retry-After` and `x-should-retry`.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// The retry hints of one response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerHints {
    /// How long the server asks the client to wait, from `retry-after-ms` (preferred) or
    /// `Retry-After` (seconds or an HTTP date).
    pub retry_after: Option<Duration>,
    /// An explicit yes or no from `x-should-retry`.
    pub should_retry: Option<bool>,
}

impl ServerHints {
    /// Reads the hints; `now` dates a `Retry-After` given as an HTTP date. Values that are not
    /// finite, negative or unparsable are ignored, as if absent.
    pub fn from_headers(headers: &HeaderMap, now: SystemTime) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
        };
        let retry_after = text("retry-after-ms")
            .and_then(|ms| seconds(ms).map(|ms| ms / 1000.0))
            .or_else(|| {
                text("retry-after")
                    .and_then(|value| seconds(value).or_else(|| date_delay(value, now)))
            })
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok());
        let should_retry =
            text("x-should-retry").and_then(|value| match value.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            });
        Self {
            retry_after,
            should_retry,
        }
    }
}

/// A non-negative finite number of seconds.
fn seconds(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
}

/// Seconds from `now` until an HTTP date; a date in the past means "now".
fn date_delay(text: &str, now: SystemTime) -> Option<f64> {
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).map_or(0.0, |d| d.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn hints(pairs: &[(&'static str, &str)]) -> ServerHints {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let now = httpdate::parse_http_date("Wed, 25 Nov 2026 10:00:00 GMT").unwrap();
        ServerHints::from_headers(&headers, now)
    }

    #[test]
    fn header_table() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<f64>);
        let cases: &[Case<'_>] = &[
            (&[("retry-after", "2")], Some(2.0)),
            (&[("retry-after", "1.5")], Some(1.5)),
            (&[("retry-after", "0")], Some(0.0)),
            (&[("retry-after", "-1")], None),
            (&[("retry-after", "inf")], None),
            (&[("retry-after", "nan")], None),
            (&[("retry-after", "soon")], None),
            (&[("retry-after", "1e400")], None),
            (
                &[("retry-after", "Wed, 25 Nov 2026 10:00:05 GMT")],
                Some(5.0),
            ),
            (
                &[("retry-after", "Wed, 25 Nov 2026 09:59:00 GMT")],
                Some(0.0),
            ),
            (&[("retry-after-ms", "250")], Some(0.25)),
            (
                &[("retry-after-ms", "250"), ("retry-after", "9")],
                Some(0.25),
            ),
            (
                &[("retry-after-ms", "bad"), ("retry-after", "9")],
                Some(9.0),
            ),
            (&[], None),
        ];
        for (headers, expected) in cases {
            let got = hints(headers).retry_after.map(|d| d.as_secs_f64());
            assert_eq!(got, *expected, "{headers:?}");
        }
    }

    #[test]
    fn should_retry_is_read_in_any_case() {
        assert_eq!(
            hints(&[("x-should-retry", "false")]).should_retry,
            Some(false)
        );
        assert_eq!(
            hints(&[("x-should-retry", "TRUE")]).should_retry,
            Some(true)
        );
        assert_eq!(hints(&[("x-should-retry", "maybe")]).should_retry, None);
    }
}
