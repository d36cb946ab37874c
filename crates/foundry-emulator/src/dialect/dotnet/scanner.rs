//! A minimal JSON scanner that stops at the first error the way System.Text.Json's reader does,
//! tracking the JSON path and byte position it reports.

/// Where the scan is, and the path to it.
pub(super) struct Scanner<'a> {
    pub(super) input: &'a [u8],
    pub(super) at: usize,
    /// Property names and array indexes down to the current value.
    pub(super) path: Vec<String>,
}

impl Scanner<'_> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    pub(super) fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    pub(super) fn locate(&self, message: &str) -> String {
        let (line, column) = line_and_column(self.input, self.at);
        let path: String = self.path.concat();
        format!("{message} Path: ${path} | LineNumber: {line} | BytePositionInLine: {column}.")
    }

    pub(super) fn value(&mut self) -> Result<(), String> {
        self.skip_space();
        match self.peek() {
            None => Err(open_error()),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string(),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => {
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.at += 1;
                }
                Ok(())
            }
            Some(c) => Err(format!(
                "'{}' is an invalid start of a value.",
                char::from(c)
            )),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), String> {
        for expected in word.bytes() {
            if self.peek() != Some(expected) {
                return Err(match self.peek() {
                    None => open_error(),
                    Some(c) => format!(
                        "'{}' is an invalid JSON literal. Expected the literal '{word}'.",
                        char::from(c)
                    ),
                });
            }
            self.at += 1;
        }
        Ok(())
    }

    fn string(&mut self) -> Result<(), String> {
        self.at += 1;
        loop {
            match self.peek() {
                None => return Err(open_error()),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => self.at += 2,
                Some(_) => self.at += 1,
            }
        }
    }

    fn object(&mut self) -> Result<(), String> {
        self.at += 1;
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            self.skip_space();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(open_error()),
                Some(c) => {
                    return Err(format!(
                        "'{}' is an invalid start of a property name. Expected a '\"'.",
                        char::from(c)
                    ));
                }
            }
            let start = self.at + 1;
            self.string()?;
            let name = String::from_utf8_lossy(&self.input[start..self.at - 1]).into_owned();
            self.skip_space();
            match self.peek() {
                Some(b':') => self.at += 1,
                None => return Err(open_error()),
                Some(c) => {
                    return Err(format!(
                        "'{}' is invalid after a property name. Expected a ':'.",
                        char::from(c)
                    ));
                }
            }
            self.path.push(format!(".{name}"));
            self.value()?;
            self.path.pop();
            if self.after_value(b'}')? {
                return Ok(());
            }
        }
    }

    fn array(&mut self) -> Result<(), String> {
        self.at += 1;
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        let mut index = 0;
        loop {
            self.path.push(format!("[{index}]"));
            self.value()?;
            self.path.pop();
            index += 1;
            if self.after_value(b']')? {
                return Ok(());
            }
        }
    }

    /// After a member: `true` at the closing bracket, `false` after a comma.
    fn after_value(&mut self, close: u8) -> Result<bool, String> {
        self.skip_space();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.at += 1;
                Ok(true)
            }
            None => Err(open_error()),
            Some(c) => Err(format!(
                "'{}' is invalid after a value. Expected either ',', '}}', or ']'.",
                char::from(c)
            )),
        }
    }
}

fn open_error() -> String {
    "Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed.".to_owned()
}

pub(super) fn line_and_column(input: &[u8], at: usize) -> (usize, usize) {
    let before = &input[..at.min(input.len())];
    let line = before.iter().filter(|&&c| c == b'\n').count();
    let column = before.iter().rev().take_while(|&&c| c != b'\n').count();
    (line, column)
}

/// The offset just past the value of top-level field `key`.
pub(super) fn value_end(input: &[u8], key: &str) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let mut scanner = Scanner {
        input,
        at: find(input, needle.as_bytes())? + needle.len(),
        path: Vec::new(),
    };
    scanner.skip_space();
    if scanner.peek() != Some(b':') {
        return None;
    }
    scanner.at += 1;
    scanner.value().ok()?;
    Some(scanner.at)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
