//! The v1 Core is a .NET program: its bad-request messages come from System.Text.Json and its
//! JSON escapes `'`, `"`, `+`, `<`, `>`, `&` and non-ASCII characters as `\uXXXX`. This module
//! words errors and escapes output the same way, for the common cases.

mod scanner;

use serde_json::Value;

use scanner::{Scanner, line_and_column, value_end};

const EMPTY: &str = "The input does not contain any JSON tokens. Expected the input to start with a valid JSON token, when isFinalBlock is true.";

/// System.Text.Json's message for the first syntax error in `input`, or `None` if it parses.
pub(crate) fn syntax_error(input: &[u8]) -> Option<String> {
    let mut scanner = Scanner {
        input,
        at: 0,
        path: Vec::new(),
    };
    scanner.skip_space();
    if scanner.at >= input.len() {
        return Some(format!(
            "{EMPTY} Path: $ | LineNumber: 0 | BytePositionInLine: 0."
        ));
    }
    let result = scanner.value().and_then(|()| {
        scanner.skip_space();
        match scanner.peek() {
            None => Ok(()),
            Some(c) => Err(format!(
                "'{}' is invalid after a single JSON value. Expected end of data.",
                char::from(c)
            )),
        }
    });
    result.err().map(|message| scanner.locate(&message))
}

/// The message of a value that has the wrong type for the request field `key`.
pub(crate) fn conversion_error(input: &[u8], key: &str) -> String {
    let target = match key {
        "messages" => {
            "System.Collections.Generic.IList`1[Betalgo.Ranul.OpenAI.ObjectModels.RequestModels.ChatMessage]"
        }
        "model" | "user" => "System.String",
        "stream" | "logprobs" | "parallel_tool_calls" => "System.Nullable`1[System.Boolean]",
        "max_tokens" | "max_completion_tokens" | "n" | "seed" | "top_logprobs" => {
            "System.Nullable`1[System.Int32]"
        }
        "temperature" | "top_p" | "presence_penalty" | "frequency_penalty" => {
            "System.Nullable`1[System.Single]"
        }
        _ => "System.Object",
    };
    let end = value_end(input, key).unwrap_or(0);
    let (line, column) = line_and_column(input, end);
    format!(
        "The JSON value could not be converted to {target}. Path: $.{key} | LineNumber: {line} | BytePositionInLine: {column}."
    )
}

/// The top-level field whose value does not fit the v1 Core's request type, if any.
pub(crate) fn mistyped_field(value: &Value) -> Option<&'static str> {
    let object = value.as_object()?;
    let is =
        |key: &str, ok: fn(&Value) -> bool| object.get(key).is_some_and(|v| !v.is_null() && !ok(v));
    [
        ("model", Value::is_string as fn(&Value) -> bool),
        ("messages", Value::is_array),
        ("stream", Value::is_boolean),
        ("max_tokens", Value::is_i64),
        ("max_completion_tokens", Value::is_i64),
        ("n", Value::is_i64),
        ("temperature", Value::is_number),
        ("top_p", Value::is_number),
    ]
    .into_iter()
    .find(|(key, ok)| is(key, *ok))
    .map(|(key, _)| key)
}

/// Rewrites serialized JSON with .NET's default escaping.
pub(crate) fn escape(json: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(json);
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if !in_string {
            in_string = c == '"';
            out.push(c);
            continue;
        }
        match c {
            '"' => {
                in_string = false;
                out.push(c);
            }
            '\\' => match chars.next() {
                Some('"') => out.push_str("\\u0022"),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            },
            '\'' | '+' | '<' | '>' | '&' | '`' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_messages_are_reproduced() {
        assert_eq!(
            syntax_error(b"{not json").unwrap(),
            "'n' is an invalid start of a property name. Expected a '\"'. Path: $ | LineNumber: 0 | BytePositionInLine: 1."
        );
        assert_eq!(
            conversion_error(
                br#"{"model":"tiny-chat-generic-cpu:1","messages":"hi","max_tokens":16}"#,
                "messages"
            ),
            "The JSON value could not be converted to System.Collections.Generic.IList`1[Betalgo.Ranul.OpenAI.ObjectModels.RequestModels.ChatMessage]. Path: $.messages | LineNumber: 0 | BytePositionInLine: 50."
        );
        assert_eq!(
            syntax_error(br#"{"a":[1,{"b":x}]}"#).unwrap(),
            "'x' is an invalid start of a value. Path: $.a[1].b | LineNumber: 0 | BytePositionInLine: 13."
        );
        assert!(
            syntax_error(b"")
                .unwrap()
                .starts_with("The input does not contain any JSON tokens")
        );
        assert!(
            syntax_error(b"{\"a\":1")
                .unwrap()
                .starts_with("Expected depth to be zero")
        );
        assert_eq!(syntax_error(br#"{"a":[true, "x\"y"]}"#), None);
    }

    #[test]
    fn escaping_follows_dotnet() {
        let json = serde_json::json!({"message": "Model 'x' \"y\" a+b <é>"}).to_string();
        assert_eq!(
            String::from_utf8(escape(json.as_bytes())).unwrap(),
            r#"{"message":"Model \u0027x\u0027 \u0022y\u0022 a\u002Bb \u003C\u00E9\u003E"}"#
        );
        assert_eq!(
            mistyped_field(&serde_json::json!({"messages": "hi"})),
            Some("messages")
        );
        assert_eq!(mistyped_field(&serde_json::json!({"messages": []})), None);
    }
}
