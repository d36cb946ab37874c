//! Small edits of serialized protocol values, for the key sets each server really sends.

use serde::Serialize;
use serde_json::Value;

/// Serializes a protocol value. Protocol types always serialize; `Null` covers the impossible.
pub(crate) fn value_of<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Sets `key` on an object value.
pub(crate) fn set(value: &mut Value, key: &str, new: Value) {
    if let Some(map) = value.as_object_mut() {
        map.insert(key.to_owned(), new);
    }
}

/// Sets `key` only when it is missing.
pub(crate) fn set_default(value: &mut Value, key: &str, new: Value) {
    if let Some(map) = value.as_object_mut() {
        map.entry(key.to_owned()).or_insert(new);
    }
}

/// Runs `edit` on every element of the array at `key`.
pub(crate) fn each(value: &mut Value, key: &str, mut edit: impl FnMut(&mut Value)) {
    if let Some(items) = value.get_mut(key).and_then(Value::as_array_mut) {
        items.iter_mut().for_each(&mut edit);
    }
}

/// The key casings the servers use for the protocol's snake_case fields.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Case {
    Camel,
    Pascal,
}

/// Renames every key (recursively) from snake_case; `min_fl_version` keeps Foundry's `FL`.
pub(crate) fn recase(value: Value, case: Case) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (recase_key(&key, case), recase(value, case)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| recase(v, case)).collect()),
        other => other,
    }
}

fn recase_key(key: &str, case: Case) -> String {
    if key == "min_fl_version" {
        return match case {
            Case::Camel => "minFLVersion",
            Case::Pascal => "MinFLVersion",
        }
        .to_owned();
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = matches!(case, Case::Pascal);
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The value as JSON bytes.
pub(crate) fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// nlohmann's (and so the C++ Core's) name of a JSON value's type.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_recased_recursively() {
        let value =
            json!({"model_dir_path": 1, "runtime": {"device_type": "CPU"}, "min_fl_version": null});
        assert_eq!(
            recase(value.clone(), Case::Camel),
            json!({"modelDirPath": 1, "runtime": {"deviceType": "CPU"}, "minFLVersion": null})
        );
        assert_eq!(
            recase(value, Case::Pascal),
            json!({"ModelDirPath": 1, "Runtime": {"DeviceType": "CPU"}, "MinFLVersion": null})
        );
    }
}
