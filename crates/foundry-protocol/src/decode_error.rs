//! The error for a payload that does not have the expected shape.

use std::fmt;

/// How much of an undecodable payload is kept for the error message.
const EXCERPT_LIMIT: usize = 512;

/// A payload from a server could not be decoded into the expected type.
///
/// Keeps what was expected, an excerpt of the raw text, and the parser's own error as
/// [`source`](std::error::Error::source).
#[derive(Debug)]
pub struct DecodeError {
    expected: &'static str,
    excerpt: String,
    source: serde_json::Error,
}

impl DecodeError {
    /// A JSON payload that failed to parse as `expected`.
    pub(crate) fn json(expected: &'static str, raw: &[u8], source: serde_json::Error) -> Self {
        Self {
            expected,
            excerpt: excerpt(raw),
            source,
        }
    }

    /// What the payload was expected to be, e.g. `"chat completion"`.
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// The start of the raw payload (at most 512 bytes, lossily decoded as UTF-8).
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not decode {}", self.expected)
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Decodes JSON into any type, wrapping a failure with what was expected (e.g. `"model list"`)
/// and an excerpt of the input.
pub fn decode_json<T: serde::de::DeserializeOwned>(
    expected: &'static str,
    raw: &[u8],
) -> Result<T, DecodeError> {
    from_json(expected, raw)
}

/// Decodes JSON, wrapping a failure with what was expected and an excerpt of the input.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    expected: &'static str,
    raw: &[u8],
) -> Result<T, DecodeError> {
    // Checked as UTF-8 once, the body then decodes as a `str`: serde_json validates each string
    // of a byte slice on its own, which costs more than one pass over the whole body.
    let decoded = match std::str::from_utf8(raw) {
        Ok(text) => serde_json::from_str(text),
        // The byte decoder reports where the invalid byte is.
        Err(_) => serde_json::from_slice(raw),
    };
    decoded.map_err(|source| DecodeError::json(expected, raw, source))
}

fn excerpt(raw: &[u8]) -> String {
    let cut = raw.len().min(EXCERPT_LIMIT);
    let mut text = String::from_utf8_lossy(&raw[..cut]).into_owned();
    if raw.len() > EXCERPT_LIMIT {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_an_excerpt_and_the_parser_error_as_source() {
        let raw = vec![b'x'; 2000];
        let err = from_json::<serde_json::Value>("chat completion", &raw).unwrap_err();
        assert_eq!(err.expected(), "chat completion");
        assert!(err.excerpt().len() <= EXCERPT_LIMIT + '…'.len_utf8());
        assert!(std::error::Error::source(&err).is_some());
        assert_eq!(err.to_string(), "could not decode chat completion");
    }

    #[test]
    fn invalid_utf8_is_a_decode_error_that_says_where() {
        let raw = b"{\"content\":\"ok \xff\"}";
        let err = from_json::<serde_json::Value>("chat completion", raw).unwrap_err();
        let source = std::error::Error::source(&err)
            .expect("the parser's error")
            .to_string();
        assert!(source.contains("invalid unicode"), "{source}");
        assert!(source.contains("column"), "{source}");
        // Valid text decodes the same through either path, escapes included.
        let value: serde_json::Value = from_json("x", "{\"a\":\"\\u00e9\\n\"}".as_bytes()).unwrap();
        assert_eq!(value["a"], "é\n");
    }
}
