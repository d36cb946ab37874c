//! nlohmann::json's lexer, replicated: the characters it reads before an error decide the
//! reported column and the `last read` text.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    Uninitialized,
    True,
    False,
    Null,
    String,
    Number,
    BeginArray,
    BeginObject,
    EndArray,
    EndObject,
    NameSeparator,
    ValueSeparator,
    ParseError,
    EndOfInput,
    LiteralOrValue,
}

pub(super) fn token_name(token: Token) -> &'static str {
    match token {
        Token::Uninitialized => "<uninitialized>",
        Token::True => "true literal",
        Token::False => "false literal",
        Token::Null => "null literal",
        Token::String => "string literal",
        Token::Number => "number literal",
        Token::BeginArray => "'['",
        Token::BeginObject => "'{'",
        Token::EndArray => "']'",
        Token::EndObject => "'}'",
        Token::NameSeparator => "':'",
        Token::ValueSeparator => "','",
        Token::ParseError => "<parse error>",
        Token::EndOfInput => "end of input",
        Token::LiteralOrValue => "'[', '{', or a literal",
    }
}

/// The lexer state nlohmann::json keeps: position counters and the text read since the last
/// string or number began.
pub(super) struct Lexer<'a> {
    pub(super) input: &'a [u8],
    pub(super) next: usize,
    pub(super) current: Option<u8>,
    pub(super) unget: bool,
    pub(super) total: usize,
    pub(super) column: usize,
    pub(super) lines: usize,
    pub(super) token_string: Vec<u8>,
    pub(super) error: String,
}

impl Lexer<'_> {
    fn get(&mut self) -> Option<u8> {
        self.total += 1;
        self.column += 1;
        if self.unget {
            self.unget = false;
        } else {
            self.current = self.input.get(self.next).copied();
            self.next += usize::from(self.current.is_some());
        }
        if let Some(c) = self.current {
            self.token_string.push(c);
            if c == b'\n' {
                self.lines += 1;
                self.column = 0;
            }
        }
        self.current
    }

    fn unget(&mut self) {
        self.unget = true;
        self.total -= 1;
        if self.column == 0 {
            self.lines = self.lines.saturating_sub(1);
        } else {
            self.column -= 1;
        }
        if self.current.is_some() {
            self.token_string.pop();
        }
    }

    fn reset(&mut self) {
        self.token_string.clear();
        self.token_string.extend(self.current);
    }

    fn fail(&mut self, message: impl Into<String>) -> Token {
        self.error = message.into();
        Token::ParseError
    }

    pub(super) fn scan(&mut self) -> Token {
        while matches!(self.get(), Some(b' ' | b'\t' | b'\n' | b'\r')) {}
        match self.current {
            Some(b'[') => Token::BeginArray,
            Some(b']') => Token::EndArray,
            Some(b'{') => Token::BeginObject,
            Some(b'}') => Token::EndObject,
            Some(b':') => Token::NameSeparator,
            Some(b',') => Token::ValueSeparator,
            Some(b't') => self.literal(b"true", Token::True),
            Some(b'f') => self.literal(b"false", Token::False),
            Some(b'n') => self.literal(b"null", Token::Null),
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            None | Some(0) => Token::EndOfInput,
            Some(_) => self.fail("invalid literal"),
        }
    }

    fn literal(&mut self, text: &[u8], token: Token) -> Token {
        for &expected in &text[1..] {
            if self.get() != Some(expected) {
                return self.fail("invalid literal");
            }
        }
        token
    }

    fn string(&mut self) -> Token {
        self.reset();
        loop {
            match self.get() {
                None => return self.fail("invalid string: missing closing quote"),
                Some(b'"') => return Token::String,
                Some(b'\\') => match self.get() {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                    Some(b'u') => {
                        for _ in 0..4 {
                            if !self.get().is_some_and(|c| c.is_ascii_hexdigit()) {
                                return self.fail(
                                    "invalid string: '\\u' must be followed by 4 hex digits",
                                );
                            }
                        }
                    }
                    _ => return self.fail("invalid string: forbidden character after backslash"),
                },
                Some(c) if c < 0x20 => return self.fail(control_message(c)),
                Some(_) => {}
            }
        }
    }

    fn number(&mut self) -> Token {
        self.reset();
        let digit = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_digit());
        if self.current == Some(b'-') && !digit(self.get()) {
            return self.fail("invalid number; expected digit after '-'");
        }
        if self.current != Some(b'0') {
            while digit(self.get()) {}
        } else {
            self.get();
        }
        if self.current == Some(b'.') {
            if !digit(self.get()) {
                return self.fail("invalid number; expected digit after '.'");
            }
            while digit(self.get()) {}
        }
        if matches!(self.current, Some(b'e' | b'E')) {
            let sign = matches!(self.get(), Some(b'+' | b'-'));
            if sign && !digit(self.get()) {
                return self.fail("invalid number; expected digit after exponent sign");
            }
            if !sign && !digit(self.current) {
                return self.fail("invalid number; expected '+', '-', or digit after exponent");
            }
            while digit(self.get()) {}
        }
        self.unget();
        Token::Number
    }
}

fn control_message(c: u8) -> String {
    const NAMES: [&str; 32] = [
        "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
        "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB",
        "ESC", "FS", "GS", "RS", "US",
    ];
    let short = match c {
        0x08 => " or \\b",
        0x09 => " or \\t",
        0x0a => " or \\n",
        0x0c => " or \\f",
        0x0d => " or \\r",
        _ => "",
    };
    format!(
        "invalid string: control character U+{c:04X} ({}) must be escaped to \\u{c:04X}{short}",
        NAMES[usize::from(c & 0x1f)]
    )
}
