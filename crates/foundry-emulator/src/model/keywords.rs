//! Reading JSON Schema keywords: references, merged subschemas, the instance type, numeric
//! bounds. Shared by the instance generator and the defect maker.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::rng::SplitMix;

/// `$ref` hops followed before a reference chain counts as a cycle.
const MAX_HOPS: usize = 32;
/// The span drawn from when a schema gives one bound or none.
const DEFAULT_SPAN: i128 = 100;

/// The schema with its `$ref` followed (within the document: `#`, `#/$defs/X`,
/// `#/definitions/X`, any JSON pointer) and its `allOf` merged in.
pub(crate) fn resolve<'s>(root: &'s Value, schema: &'s Value) -> Cow<'s, Value> {
    let mut current = schema;
    for _ in 0..MAX_HOPS {
        let Some(target) = current.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let found = match target.strip_prefix('#') {
            Some("") => Some(root),
            Some(pointer) => root.pointer(pointer),
            None => None,
        };
        match found {
            Some(next) => current = next,
            // An outside reference cannot be followed: anything is allowed as far as we know.
            None => return Cow::Owned(Value::Bool(true)),
        }
    }
    let Some(parts) = current.get("allOf").and_then(Value::as_array) else {
        return Cow::Borrowed(current);
    };
    let mut merged = current.as_object().cloned().unwrap_or_default();
    merged.remove("allOf");
    for part in parts {
        merge(&mut merged, resolve(root, part).as_ref());
    }
    Cow::Owned(Value::Object(merged))
}

/// Adds `other`'s keywords to `base`: properties and `required` are joined, the rest taken from
/// `other` where `base` lacks them (a bound of `base` stays).
pub(crate) fn merge(base: &mut Map<String, Value>, other: &Value) {
    let Some(other) = other.as_object() else {
        return;
    };
    for (key, value) in other {
        match (key.as_str(), base.get_mut(key)) {
            ("properties", Some(Value::Object(mine))) => {
                if let Some(theirs) = value.as_object() {
                    for (name, schema) in theirs {
                        mine.entry(name.clone()).or_insert_with(|| schema.clone());
                    }
                }
            }
            ("required", Some(Value::Array(mine))) => {
                for name in value.as_array().into_iter().flatten() {
                    if !mine.contains(name) {
                        mine.push(name.clone());
                    }
                }
            }
            (_, Some(_)) => {}
            (_, None) => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The names in a `required` array.
pub(crate) fn names(required: Option<&Value>) -> Vec<&str> {
    required
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The instance type to generate: the schema's (the first non-null of several, or `null` at
/// minimal depth when allowed), else the one its keywords imply.
pub(crate) fn kind(object: &Map<String, Value>, minimal: bool) -> &str {
    match object.get("type") {
        Some(Value::String(kind)) => kind,
        Some(Value::Array(kinds)) => {
            let mut kinds = kinds.iter().filter_map(Value::as_str);
            if minimal && kinds.clone().any(|k| k == "null") {
                return "null";
            }
            kinds.find(|k| *k != "null").unwrap_or("null")
        }
        _ => {
            let has = |keys: &[&str]| keys.iter().any(|k| object.contains_key(*k));
            if has(&[
                "properties",
                "required",
                "additionalProperties",
                "minProperties",
            ]) {
                "object"
            } else if has(&["items", "prefixItems", "minItems", "maxItems"]) {
                "array"
            } else if has(&["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) {
                "number"
            } else {
                "string"
            }
        }
    }
}

/// The integer range a schema allows, as `(low, high)` (`low > high` when it allows none).
pub(crate) fn integer_range(object: &Map<String, Value>) -> (i128, i128) {
    let get = |key: &str| object.get(key).and_then(Value::as_f64);
    let low = [
        get("minimum").map(|m| m.ceil() as i128),
        get("exclusiveMinimum").map(|m| m.floor() as i128 + 1),
    ]
    .into_iter()
    .flatten()
    .max();
    let high = [
        get("maximum").map(|m| m.floor() as i128),
        get("exclusiveMaximum").map(|m| m.ceil() as i128 - 1),
    ]
    .into_iter()
    .flatten()
    .min();
    let (low, high) = match (low, high) {
        (Some(low), Some(high)) => (low, high),
        (Some(low), None) => (low, low.saturating_add(DEFAULT_SPAN)),
        (None, Some(high)) => (high.saturating_sub(DEFAULT_SPAN), high),
        (None, None) => (0, DEFAULT_SPAN),
    };
    // What JSON numbers of serde_json can carry exactly.
    (
        low.max(i128::from(i64::MIN)),
        high.min(i128::from(u64::MAX)),
    )
}

/// An integer within the schema's bounds (and a multiple of its integral `multipleOf`).
pub(crate) fn integer(object: &Map<String, Value>, rng: &mut SplitMix) -> Value {
    let (low, high) = integer_range(object);
    let step = object
        .get("multipleOf")
        .and_then(Value::as_f64)
        .filter(|m| *m >= 1.0 && m.fract() == 0.0)
        .map_or(1, |m| m as i128);
    let first = low.div_euclid(step) + i128::from(low.rem_euclid(step) != 0);
    let last = high.div_euclid(step);
    if first > last {
        return number_value(low as f64);
    }
    let span = (last - first).min(i128::from(u32::MAX)) as u64 + 1;
    let value = (first + i128::from(rng.below(span))) * step;
    match (i64::try_from(value), u64::try_from(value)) {
        (Ok(small), _) => Value::from(small),
        (_, Ok(large)) => Value::from(large),
        _ => Value::from(0),
    }
}

/// A number within the schema's bounds, with two decimals where they fit.
pub(crate) fn number(object: &Map<String, Value>, rng: &mut SplitMix) -> Value {
    let get = |key: &str| object.get(key).and_then(Value::as_f64);
    if get("multipleOf").is_some_and(|m| m >= 1.0 && m.fract() == 0.0) {
        return integer(object, rng);
    }
    let (min, exclusive_min) = match (get("minimum"), get("exclusiveMinimum")) {
        (Some(a), Some(b)) if b >= a => (Some(b), true),
        (Some(a), _) => (Some(a), false),
        (None, b) => (b, b.is_some()),
    };
    let (max, exclusive_max) = match (get("maximum"), get("exclusiveMaximum")) {
        (Some(a), Some(b)) if b <= a => (Some(b), true),
        (Some(a), _) => (Some(a), false),
        (None, b) => (b, b.is_some()),
    };
    let span = DEFAULT_SPAN as f64;
    let (low, high) = match (min, max) {
        (Some(low), Some(high)) => (low, high),
        (Some(low), None) => (low, low + span),
        (None, Some(high)) => (high - span, high),
        (None, None) => (0.0, span),
    };
    let fits = |v: f64| {
        (if exclusive_min { v > low } else { v >= low })
            && (if exclusive_max { v < high } else { v <= high })
    };
    let drawn = low + (high - low) * rng.unit();
    let rounded = (drawn * 100.0).round() / 100.0;
    let value = [rounded, drawn, (low + high) / 2.0]
        .into_iter()
        .find(|v| fits(*v))
        .unwrap_or(low);
    number_value(value)
}

fn number_value(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::from(0), Value::Number)
}
