//! Reading request bodies into the protocol's types, with the C++ Core's wording (nlohmann::json)
//! for a body of the wrong shape. A syntax error keeps the library's documented prefix and says
//! the rest in serde_json's words: the real Core's messages are compared by that prefix.

use foundry_protocol::{ChatRequest, EmbeddingInput, EmbeddingsRequest};
use serde_json::Value;

use super::json::type_name;

/// Why a body was refused, worded as nlohmann::json words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not JSON at all.
    Syntax(String),
    /// JSON, but a field is missing or has the wrong type.
    Shape(String),
}

impl Problem {
    pub(crate) fn message(&self) -> &str {
        match self {
            Self::Syntax(message) | Self::Shape(message) => message,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    String,
    Array,
    /// A string or an array of strings.
    Texts,
}

/// A required top-level field and the type it must have.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    name: &'static str,
    expect: Expect,
}

impl Field {
    pub(crate) fn string(name: &'static str) -> Self {
        Self {
            name,
            expect: Expect::String,
        }
    }

    pub(crate) fn array(name: &'static str) -> Self {
        Self {
            name,
            expect: Expect::Array,
        }
    }

    pub(crate) fn texts(name: &'static str) -> Self {
        Self {
            name,
            expect: Expect::Texts,
        }
    }
}

/// Parses JSON; a syntax error is worded with nlohmann's prefix.
pub(crate) fn json_value(body: &[u8]) -> Result<Value, Problem> {
    serde_json::from_slice(body).map_err(|error| {
        Problem::Syntax(format!(
            "[json.exception.parse_error.101] parse error: {error}"
        ))
    })
}

/// A chat request. The typed decode runs first: the common, valid case costs one parse.
pub(crate) fn chat(body: &[u8]) -> Result<ChatRequest, Problem> {
    let typed_error = match serde_json::from_slice::<ChatRequest>(body) {
        Ok(request) => return Ok(request),
        Err(error) => error,
    };
    let value = json_value(body)?;
    check(&value, &[Field::string("model"), Field::array("messages")])?;
    Err(Problem::Shape(typed_error.to_string()))
}

/// An embeddings request whose `fields` were checked first.
pub(crate) fn embeddings(body: &[u8], fields: &[Field]) -> Result<EmbeddingsRequest, Problem> {
    let value = json_value(body)?;
    check(&value, fields)?;
    serde_json::from_value(value).map_err(|error| Problem::Shape(error.to_string()))
}

/// Checks required fields in order, as `j.at(name).get<T>()` would.
pub(crate) fn check(value: &Value, fields: &[Field]) -> Result<(), Problem> {
    let Some(object) = value.as_object() else {
        return Err(Problem::Shape(format!(
            "[json.exception.type_error.304] cannot use at() with {}",
            type_name(value)
        )));
    };
    let wrong = |expected: &str, found: &Value| {
        Err(Problem::Shape(format!(
            "[json.exception.type_error.302] type must be {expected}, but is {}",
            type_name(found)
        )))
    };
    for field in fields {
        let Some(found) = object.get(field.name) else {
            return Err(Problem::Shape(format!(
                "[json.exception.out_of_range.403] key '{}' not found",
                field.name
            )));
        };
        match (field.expect, found) {
            (Expect::String, Value::String(_)) | (Expect::Array, Value::Array(_)) => {}
            (Expect::String, other) => return wrong("string", other),
            (Expect::Array, other) => return wrong("array", other),
            (Expect::Texts, Value::String(_)) => {}
            (Expect::Texts, Value::Array(items)) => {
                if let Some(item) = items.iter().find(|item| !item.is_string()) {
                    return wrong("string", item);
                }
            }
            (Expect::Texts, other) => return wrong("string", other),
        }
    }
    Ok(())
}

/// The texts to embed (token ids are embedded as their decimal text).
pub(crate) fn texts(input: &EmbeddingInput) -> Vec<String> {
    match input {
        EmbeddingInput::Text(text) => vec![text.clone()],
        EmbeddingInput::Texts(texts) => texts.clone(),
        EmbeddingInput::Tokens(tokens) => vec![
            tokens
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_worded_like_nlohmann() {
        let shape = |body: &str| chat(body.as_bytes()).unwrap_err();
        assert_eq!(
            shape(r#"{"model": "m", "messages": "hi"}"#),
            Problem::Shape(
                "[json.exception.type_error.302] type must be array, but is string".into()
            )
        );
        assert_eq!(
            shape(r#"{"model": "m"}"#),
            Problem::Shape("[json.exception.out_of_range.403] key 'messages' not found".into())
        );
        assert!(matches!(shape("{x"), Problem::Syntax(_)));
        let texts = [Field::string("model"), Field::texts("input")];
        assert_eq!(
            embeddings(br#"{"model": "m", "input": [1, 2]}"#, &texts).unwrap_err(),
            Problem::Shape(
                "[json.exception.type_error.302] type must be string, but is number".into()
            )
        );
        assert!(
            chat(br#"{"model": "m", "messages": [{"role": "user", "content": "hi"}]}"#).is_ok()
        );
    }
}
