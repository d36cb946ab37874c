//! Reads the raw HTTP exchanges recorded from the real Foundry Local runtimes.
//!
//! A file holds `>>> REQUEST`, the request bytes, `<<< RESPONSE ...`, and the response bytes as
//! received (status line, headers with duplicates, body; chunked bodies keep their size lines).

/// One recorded request and its response.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Vec<u8>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body with chunked framing removed.
    pub body: Vec<u8>,
    /// Whether a chunked body ended with its terminating zero-size chunk.
    pub body_complete: bool,
}

impl Exchange {
    /// Parses one recording.
    pub fn parse(raw: &[u8]) -> Exchange {
        let response_marker = find(raw, b"\n<<< RESPONSE").expect("response marker");
        let request = &raw[raw
            .iter()
            .position(|&b| b == b'\n')
            .expect("request marker line")
            + 1..response_marker];
        let response = &raw[response_marker + 1..];
        let response = &response[response
            .iter()
            .position(|&b| b == b'\n')
            .expect("marker line")
            + 1..];

        let (request_head, request_body) = split_head(request);
        let mut request_lines = request_head.lines();
        let request_line = request_lines.next().expect("request line");
        let mut parts = request_line.split(' ');
        let method = parts.next().expect("method").to_owned();
        let path = parts.next().expect("path").to_owned();
        let request_headers = request_lines.filter_map(header).collect();

        let (response_head, raw_body) = split_head(response);
        let mut response_lines = response_head.lines();
        let status = response_lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .expect("status code");
        let headers: Vec<(String, String)> = response_lines.filter_map(header).collect();
        let chunked = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        let (body, body_complete) = if chunked {
            dechunk(raw_body)
        } else {
            (raw_body.to_vec(), true)
        };
        Exchange {
            method,
            path,
            request_headers,
            request_body: request_body.to_vec(),
            status,
            headers,
            body,
            body_complete,
        }
    }

    /// Every value of a response header, in order (duplicates kept).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
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

    /// Parses a response as received on a socket (status line, headers, body).
    pub fn parse_response(raw: &[u8]) -> Response {
        let (head, raw_body) = split_head(raw);
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .expect("status code");
        let headers: Vec<(String, String)> = lines.filter_map(header).collect();
        let chunked = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
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

    /// Whether the request asked for a stream.
    pub fn is_stream_request(&self) -> bool {
        serde_json::from_slice::<serde_json::Value>(&self.request_body)
            .ok()
            .and_then(|body| body.get("stream").and_then(serde_json::Value::as_bool))
            .unwrap_or(false)
    }
}

/// A response: status, headers (duplicates kept), body without chunked framing.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub body_complete: bool,
}

impl Response {
    /// Every value of a header, in order (duplicates kept).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether the body was sent chunked.
    pub fn is_chunked(&self) -> bool {
        self.header_values("transfer-encoding")
            .iter()
            .any(|v| v.contains("chunked"))
    }
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
