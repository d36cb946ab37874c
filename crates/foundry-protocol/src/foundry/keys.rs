//! Case-insensitive keys for Foundry Local's management payloads.
//!
//! The same payload arrives as PascalCase (`ModelDirPath`, documented), camelCase (`modelDirPath`,
//! what the SDKs read) or snake_case. Every key is rewritten to snake_case before the typed decode,
//! so one struct with snake_case fields reads them all.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::decode_error::{DecodeError, from_json};

/// Decodes `raw` into `T` after rewriting every object key (recursively) to snake_case.
pub(crate) fn from_json_any_case<T: DeserializeOwned>(
    expected: &'static str,
    raw: &[u8],
) -> Result<T, DecodeError> {
    let value: Value = from_json(expected, raw)?;
    serde_json::from_value(normalize(value))
        .map_err(|source| DecodeError::json(expected, raw, source))
}

/// Rewrites every object key of `value` to snake_case.
pub(crate) fn normalize(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let normalized: Map<String, Value> = map
                .into_iter()
                .map(|(key, value)| (snake_case(&key), normalize(value)))
                .collect();
            Value::Object(normalized)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        other => other,
    }
}

/// `ModelDirPath`, `modelDirPath` and `model_dir_path` all become `model_dir_path`; acronyms stay
/// one word (`minFLVersion` → `min_fl_version`, `HTTPStatusCode` → `http_status_code`).
pub(crate) fn snake_case(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let previous = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let starts_word = match previous {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                Some(_) => false,
            };
            if starts_word {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_casing_becomes_snake_case() {
        for (key, expected) in [
            ("ModelDirPath", "model_dir_path"),
            ("modelDirPath", "model_dir_path"),
            ("model_dir_path", "model_dir_path"),
            ("minFLVersion", "min_fl_version"),
            ("HTTPStatusCode", "http_status_code"),
            ("IsDelta", "is_delta"),
            ("fileSizeMb", "file_size_mb"),
            ("Success", "success"),
            ("pid", "pid"),
            ("v2Name", "v2_name"),
        ] {
            assert_eq!(snake_case(key), expected, "{key}");
        }
    }

    #[test]
    fn nested_keys_are_rewritten() {
        let value = normalize(
            serde_json::json!({"Runtime": {"DeviceType": "CPU"}, "Items": [{"ErrorMessage": null}]}),
        );
        assert_eq!(
            value,
            serde_json::json!({"runtime": {"device_type": "CPU"}, "items": [{"error_message": null}]})
        );
    }
}
