//! The C++ Core reads JSON with nlohmann::json; its parse errors are part of the wire answer
//! (`Invalid JSON: [json.exception.parse_error.101] ...`). This is a small replica of that
//! library's lexer and parser, kept only to word the first syntax error the same way.

/// Past this nesting the replica stops looking (the real parser would go on; nobody sends that).
const MAX_DEPTH: usize = 256;

mod lexer;

use lexer::{Lexer, Token, token_name};

/// The `what()` of the error nlohmann::json raises for `input`, or `None` if it parses.
pub(crate) fn parse_error(input: &[u8]) -> Option<String> {
    let mut lexer = Lexer {
        input,
        next: 0,
        current: None,
        unget: false,
        total: 0,
        column: 0,
        lines: 0,
        token_string: Vec::new(),
        error: String::new(),
    };
    let first = lexer.scan();
    match lexer.value(first, 0) {
        Err(message) => Some(message),
        Ok(()) => match lexer.scan() {
            Token::EndOfInput => None,
            last => Some(lexer.message(last, Token::EndOfInput, "value")),
        },
    }
}

impl Lexer<'_> {
    fn value(&mut self, token: Token, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        match token {
            Token::BeginObject => {
                let mut token = self.scan();
                if token == Token::EndObject {
                    return Ok(());
                }
                loop {
                    if token != Token::String {
                        return Err(self.message(token, Token::String, "object key"));
                    }
                    let separator = self.scan();
                    if separator != Token::NameSeparator {
                        return Err(self.message(
                            separator,
                            Token::NameSeparator,
                            "object separator",
                        ));
                    }
                    let next = self.scan();
                    self.value(next, depth + 1)?;
                    match self.scan() {
                        Token::ValueSeparator => token = self.scan(),
                        Token::EndObject => return Ok(()),
                        other => return Err(self.message(other, Token::EndObject, "object")),
                    }
                }
            }
            Token::BeginArray => {
                let mut token = self.scan();
                if token == Token::EndArray {
                    return Ok(());
                }
                loop {
                    self.value(token, depth + 1)?;
                    match self.scan() {
                        Token::ValueSeparator => token = self.scan(),
                        Token::EndArray => return Ok(()),
                        other => return Err(self.message(other, Token::EndArray, "array")),
                    }
                }
            }
            Token::True | Token::False | Token::Null | Token::String | Token::Number => Ok(()),
            Token::ParseError => Err(self.message(token, Token::Uninitialized, "value")),
            Token::EndOfInput if self.total == 1 => Err(format!(
                "{}attempting to parse an empty input; check that your input string or stream contains the expected JSON",
                self.prefix()
            )),
            other => Err(self.message(other, Token::LiteralOrValue, "value")),
        }
    }

    fn prefix(&self) -> String {
        format!(
            "[json.exception.parse_error.101] parse error at line {}, column {}: ",
            self.lines + 1,
            self.column
        )
    }

    fn message(&self, last: Token, expected: Token, context: &str) -> String {
        let mut text = format!("{}syntax error while parsing {context} - ", self.prefix());
        if last == Token::ParseError {
            let mut read = String::new();
            for &c in &self.token_string {
                if c <= 0x1f {
                    read.push_str(&format!("<U+{c:04X}>"));
                } else {
                    read.push(char::from(c));
                }
            }
            text.push_str(&format!("{}; last read: '{read}'", self.error));
        } else {
            text.push_str(&format!("unexpected {}", token_name(last)));
        }
        if expected != Token::Uninitialized {
            text.push_str(&format!("; expected {}", token_name(expected)));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::parse_error;

    #[test]
    fn recorded_messages_are_reproduced() {
        assert_eq!(
            parse_error(b"{not json").unwrap(),
            "[json.exception.parse_error.101] parse error at line 1, column 3: syntax error while parsing object key - invalid literal; last read: '{no'; expected string literal"
        );
        assert_eq!(
            parse_error(b"{x").unwrap(),
            "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error while parsing object key - invalid literal; last read: '{x'; expected string literal"
        );
    }

    #[test]
    fn valid_json_has_no_error_and_other_errors_are_worded() {
        assert_eq!(
            parse_error(br#" {"a": [1, -2.5e3, true, null, "x\n"]} "#),
            None
        );
        assert!(
            parse_error(br#"{"a" 1}"#).unwrap().contains(
                "while parsing object separator - unexpected number literal; expected ':'"
            )
        );
        assert!(
            parse_error(b"[1,]")
                .unwrap()
                .contains("while parsing value - unexpected ']'; expected '[', '{', or a literal")
        );
        assert!(
            parse_error(b"{} x")
                .unwrap()
                .contains("expected end of input")
        );
        assert!(
            parse_error(b"")
                .unwrap()
                .contains("attempting to parse an empty input")
        );
        assert!(
            parse_error(b"\"abc")
                .unwrap()
                .contains("missing closing quote; last read: '\"abc'")
        );
        assert!(
            parse_error(b"-x")
                .unwrap()
                .contains("expected digit after '-'")
        );
    }
}
