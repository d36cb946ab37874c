//! The recorded and reconstructed payloads every crate's tests read, stored once, and the parser
//! of the raw HTTP exchanges recorded from the real Foundry Local runtimes.
//!
//! **Who should depend on this crate:** the workspace's own tests (protocol fixtures, emulator
//! replay, client replay, probes); it is not published. Panics on a missing fixture or a
//! malformed recording: they are test input the tests own.
//!
//! The folders under [`fixtures_dir`], one per server generation:
//! `foundry-core2` (raw exchanges with the real C++ Core 2.2.1), `foundry-core1` (with the real
//! C# Core 1.2.4), `llama-cpp` (llama.cpp's `llama-server`), and `foundry-reconstructed`
//! (payloads of the legacy service, `legacy_*`, and of the current Core, `core_*`, rebuilt from
//! documentation and SDK sources; `cli_*` are the CLI's outputs).
//!
//! A recording holds `>>> REQUEST`, the request bytes, `<<< RESPONSE ...`, and the response bytes
//! as received (status line, headers with duplicates, body; chunked bodies keep their size lines).

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

/// The folder that holds every fixture.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The bytes of one fixture, e.g. `fixture("llama-cpp/health.json")`.
pub fn fixture(relative: &str) -> Vec<u8> {
    let path = fixtures_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file name in a fixture folder except its README, sorted.
pub fn fixture_files(folder: &str) -> Vec<String> {
    let dir = fixtures_dir().join(folder);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| {
            entry
                .expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name != "README.md")
        .collect();
    names.sort();
    names
}

/// Every recorded exchange (`.txt` file) of a fixture folder, with its file name, in file order.
pub fn recordings(folder: &str) -> Vec<(String, Exchange)> {
    fixture_files(folder)
        .into_iter()
        .filter(|name| name.ends_with(".txt"))
        .map(|name| {
            let exchange = Exchange::parse(&fixture(&format!("{folder}/{name}")));
            (name, exchange)
        })
        .collect()
}

/// The parts of a JSON library's error wording that are compared, by message prefix: the real
/// Cores word a body they cannot parse in their JSON library's words (nlohmann::json on the
/// C++ Core, System.Text.Json on the C# Core), with positions the emulator does not imitate.
const PARSER_WORDINGS: [(&str, Option<&str>); 3] = [
    // C++ Core: the library's category, then a position and a description.
    (
        "Invalid JSON: [json.exception.parse_error.101] parse error",
        None,
    ),
    // C# Core, a value of the wrong type: the target type and path, then the position.
    (
        "Invalid OpenAI JSON request: The JSON value could not be converted to ",
        Some(" | LineNumber:"),
    ),
    // C# Core, a syntax error: the wrapper only.
    ("Invalid OpenAI JSON request: ", None),
];

/// Cuts every `message` string of `value` that is a JSON library's parse error down to the part
/// compared (see the prefixes above), so a recorded answer and the emulator's compare equal when
/// they say the same thing. Other messages are left whole.
pub fn mask_parser_wording(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match item {
                    serde_json::Value::String(text) if key == "message" => {
                        if let Some(cut) = parser_wording(text) {
                            text.truncate(cut);
                        }
                    }
                    other => mask_parser_wording(other),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_parser_wording),
        _ => {}
    }
}

/// Where a parse-error message is cut, if it is one.
fn parser_wording(text: &str) -> Option<usize> {
    PARSER_WORDINGS.iter().find_map(|(prefix, until)| {
        if !text.starts_with(prefix) {
            return None;
        }
        Some(match until {
            Some(until) => text.find(until).unwrap_or(text.len()),
            None => prefix.len(),
        })
    })
}

/// One recorded request and its response.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request method.
    pub method: String,
    /// The request target, as sent (nothing decoded).
    pub path: String,
    /// The request headers, in order.
    pub request_headers: Vec<(String, String)>,
    /// The request body.
    pub request_body: Vec<u8>,
    /// The response status code.
    pub status: u16,
    /// The response headers, in order, duplicates kept.
    pub headers: Vec<(String, String)>,
    /// The response body with chunked framing removed.
    pub body: Vec<u8>,
    /// Whether a chunked body ended with its terminating zero-size chunk.
    pub body_complete: bool,
    /// The response exactly as recorded: head and body, chunk framing kept.
    pub raw_response: Vec<u8>,
}

/// A response: status, headers (duplicates kept), body without chunked framing.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, in order, duplicates kept.
    pub headers: Vec<(String, String)>,
    /// The body with chunked framing removed.
    pub body: Vec<u8>,
    /// Whether a chunked body ended with its terminating zero-size chunk.
    pub body_complete: bool,
}

impl Exchange {
    /// Reads and parses the recording at `path`.
    ///
    /// # Panics
    /// When the file cannot be read or is not a recording.
    pub fn read(path: &Path) -> Exchange {
        let raw =
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Self::parse(&raw)
    }

    /// Parses one recording.
    ///
    /// # Panics
    /// When `raw` is not a recording.
    pub fn parse(raw: &[u8]) -> Exchange {
        let response_marker = find(raw, b"\n<<< RESPONSE").expect("response marker");
        let request = &raw[after_line(raw)..response_marker];
        let response = &raw[response_marker + 1..];
        let response = &response[after_line(response)..];

        let (request_head, request_body) = split_head(request);
        let mut request_lines = request_head.lines();
        let mut request_line = request_lines.next().expect("request line").split(' ');
        let method = request_line.next().expect("method").to_owned();
        let path = request_line.next().expect("path").to_owned();
        let request_headers = request_lines.filter_map(header).collect();

        let Response {
            status,
            headers,
            body,
            body_complete,
        } = Self::parse_response(response);
        Exchange {
            method,
            path,
            request_headers,
            request_body: request_body.to_vec(),
            status,
            headers,
            body,
            body_complete,
            raw_response: response.to_vec(),
        }
    }

    /// Parses a response as received on a socket (status line, headers, body).
    ///
    /// # Panics
    /// When the status line has no code.
    pub fn parse_response(raw: &[u8]) -> Response {
        let (head, raw_body) = split_head(raw);
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .expect("status code");
        let headers: Vec<(String, String)> = lines.filter_map(header).collect();
        let chunked = values(&headers, "transfer-encoding")
            .iter()
            .any(|v| v.contains("chunked"));
        let (body, body_complete) = if chunked {
            dechunk(raw_body)
        } else {
            (raw_body.to_vec(), true)
        };
        Response {
            status,
            headers,
            body,
            body_complete,
        }
    }

    /// The response part of the recording.
    pub fn response(&self) -> Response {
        Response {
            status: self.status,
            headers: self.headers.clone(),
            body: self.body.clone(),
            body_complete: self.body_complete,
        }
    }

    /// Every value of a response header, in order (duplicates kept).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        values(&self.headers, name)
    }

    /// The request as bytes to send again.
    pub fn request_bytes(&self) -> Vec<u8> {
        let mut raw = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        for (name, value) in &self.request_headers {
            raw.push_str(&format!("{name}: {value}\r\n"));
        }
        raw.push_str("\r\n");
        let mut raw = raw.into_bytes();
        raw.extend_from_slice(&self.request_body);
        raw
    }

    /// The recorded response bytes to serve again, with `Content-Length` fitted to the body (the
    /// recordings replaced local paths inside some bodies, changing their length).
    pub fn replayed_response(&self) -> Vec<u8> {
        let (head, body) = split_head(&self.raw_response);
        let mut out = String::new();
        for line in head.lines() {
            match line.split_once(':') {
                Some((name, _)) if name.eq_ignore_ascii_case("content-length") => {
                    out.push_str(&format!("Content-Length: {}", body.len()));
                }
                _ => out.push_str(line),
            }
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    /// Whether the request asked for a stream.
    pub fn is_stream_request(&self) -> bool {
        serde_json::from_slice::<serde_json::Value>(&self.request_body)
            .ok()
            .and_then(|body| body.get("stream").and_then(serde_json::Value::as_bool))
            .unwrap_or(false)
    }
}

impl Response {
    /// Every value of a header, in order (duplicates kept).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        values(&self.headers, name)
    }

    /// Whether the body was sent chunked.
    pub fn is_chunked(&self) -> bool {
        self.header_values("transfer-encoding")
            .iter()
            .any(|v| v.contains("chunked"))
    }
}

fn values<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The position after the first line end.
fn after_line(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| b == b'\n')
        .expect("a marker line")
        + 1
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn split_head(message: &[u8]) -> (String, &[u8]) {
    match find(message, b"\r\n\r\n") {
        Some(end) => (
            String::from_utf8_lossy(&message[..end]).into_owned(),
            &message[end + 4..],
        ),
        None => (String::from_utf8_lossy(message).into_owned(), &[][..]),
    }
}

fn header(line: &str) -> Option<(String, String)> {
    let (name, value) = line.split_once(':')?;
    Some((name.trim().to_owned(), value.trim().to_owned()))
}

/// Removes chunked framing; a body cut before its zero-size chunk is returned as far as it got.
fn dechunk(mut raw: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = find(raw, b"\r\n") else {
            return (body, false);
        };
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let Ok(size) = usize::from_str_radix(size_text.trim(), 16) else {
            return (body, false);
        };
        raw = &raw[line_end + 2..];
        if size == 0 {
            return (body, true);
        }
        let available = size.min(raw.len());
        body.extend_from_slice(&raw[..available]);
        if available < size {
            return (body, false);
        }
        raw = raw.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_recording_is_parsed_and_a_cut_body_is_incomplete() {
        let raw = b">>> REQUEST\nPOST /v1/x HTTP/1.1\r\nHost: h\r\n\r\n{\"stream\":true}\n<<< RESPONSE (0.1s)\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nA: 1\r\nA: 2\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        let exchange = Exchange::parse(raw);
        assert_eq!(
            (
                exchange.method.as_str(),
                exchange.path.as_str(),
                exchange.status
            ),
            ("POST", "/v1/x", 200)
        );
        assert!(exchange.is_stream_request());
        assert_eq!(exchange.header_values("a"), ["1", "2"]);
        assert_eq!(
            (exchange.body.as_slice(), exchange.body_complete),
            (&b"abc"[..], true)
        );
        let cut = Exchange::parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        );
        assert_eq!(
            (cut.body.as_slice(), cut.body_complete),
            (&b"ab"[..], false)
        );
    }

    #[test]
    fn a_replayed_response_fits_its_content_length() {
        let raw = b">>> REQUEST\nGET / HTTP/1.1\r\n\r\n\n<<< RESPONSE\nHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nhello";
        let replayed = Exchange::parse(raw).replayed_response();
        assert_eq!(
            replayed,
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        );
    }
}

#[cfg(test)]
mod wording_tests {
    use super::mask_parser_wording;
    use serde_json::json;

    #[test]
    fn parse_errors_compare_by_their_documented_prefix_and_nothing_else_is_cut() {
        let masked = |message: &str| {
            let mut value = json!({"error": {"message": message}});
            mask_parser_wording(&mut value);
            value["error"]["message"].as_str().unwrap().to_owned()
        };
        assert_eq!(
            masked(
                "Invalid JSON: [json.exception.parse_error.101] parse error at line 1, column 3: syntax error"
            ),
            masked(
                "Invalid JSON: [json.exception.parse_error.101] parse error: key must be a string at line 1 column 2"
            ),
        );
        assert_eq!(
            masked(
                "Invalid OpenAI JSON request: The JSON value could not be converted to System.String. Path: $.model | LineNumber: 0 | BytePositionInLine: 12."
            ),
            "Invalid OpenAI JSON request: The JSON value could not be converted to System.String. Path: $.model",
        );
        assert_eq!(
            masked("Invalid OpenAI JSON request: 'n' is an invalid start of a property name."),
            "Invalid OpenAI JSON request: ",
        );
        let other = "Model not loaded: Model 'x' must be loaded";
        assert_eq!(masked(other), other);
    }
}
