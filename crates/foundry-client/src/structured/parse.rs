//! From an answer's text to a value: JSON, then the schema, then the Rust type. Each step that
//! fails says what is wrong, in words a log reader (or a model asked to repair) understands.

use std::any::type_name;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::schema::Compiled;

/// Schema violations listed at most; a badly wrong answer can break thousands of rules.
const MAX_PROBLEMS: usize = 20;

/// Parses `text` into a `T` that satisfies the schema, or lists the problems.
pub(crate) fn parse<T: DeserializeOwned>(
    compiled: &Compiled,
    text: &str,
) -> Result<T, Vec<String>> {
    let json = unfence(text);
    if json.is_empty() {
        return Err(vec!["the answer is empty".to_owned()]);
    }
    let value: Value = serde_json::from_str(json)
        .map_err(|e| vec![format!("the answer is not valid JSON: {e}")])?;
    let mut problems: Vec<String> = Vec::new();
    let mut extra = 0usize;
    for error in compiled.validator.iter_errors(&value) {
        if problems.len() == MAX_PROBLEMS {
            extra += 1;
            continue;
        }
        let path = error.instance_path().to_string();
        let at = if path.is_empty() { "/" } else { &path };
        problems.push(format!("at {at}: {error}"));
    }
    if extra > 0 {
        problems.push(format!("{extra} more schema violations"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_value(value).map_err(|e| {
        vec![format!(
            "the answer fits the schema but not the type {}: {e}",
            type_name::<T>()
        )]
    })
}

/// The JSON inside a Markdown code fence (```` ```json ... ``` ````), which models add even when
/// told not to; other text unchanged, less surrounding whitespace.
fn unfence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    // The info string (`json`) runs to the end of the first line.
    let body = rest.split_once('\n').map_or("", |(_, body)| body);
    body.strip_suffix("```").unwrap_or(body).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_and_whitespace_are_removed_and_nothing_else() {
        assert_eq!(unfence("  {\"a\": 1}\n"), "{\"a\": 1}");
        assert_eq!(unfence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(unfence("```\n[1]\n```\n"), "[1]");
        assert_eq!(unfence("```json\n{\"a\""), "{\"a\"");
        assert_eq!(unfence("Sure: {}"), "Sure: {}");
    }
}
