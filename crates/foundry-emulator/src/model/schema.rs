//! A deterministic instance of a JSON Schema: what the emulated model answers for
//! `response_format: {"type": "json_schema", ...}`.
//!
//! Covers what schema generators (schemars, pydantic, zod) emit: `type` (one or several),
//! `properties`/`required`/`additionalProperties`/`minProperties`, `enum`, `const`, numeric
//! bounds (inclusive and exclusive) and `multipleOf`, `minLength`/`maxLength`, common `format`s,
//! `items`/`prefixItems`/`minItems`/`maxItems`/`uniqueItems`, `$ref` into the root document,
//! `allOf` (merged), `anyOf`/`oneOf` (a branch is chosen). `pattern` is not honoured.

use serde_json::{Map, Value};

use super::keywords::{integer, kind, merge, names, number, resolve};
use super::rng::SplitMix;
use super::tokens::WORDS;

/// From this depth on, instances are minimal (no optional properties, no optional items, `null`
/// where allowed), so recursive schemas end.
const MINIMAL_FROM: usize = 6;
/// Past this depth the generator gives up and writes `null`.
const MAX_DEPTH: usize = 48;

/// A value that satisfies `schema` (a schema document; its `$ref`s point into it).
pub(crate) fn instance(schema: &Value, rng: &mut SplitMix) -> Value {
    Generator { root: schema, rng }.value(schema, 0)
}

struct Generator<'a, 'r> {
    root: &'a Value,
    rng: &'r mut SplitMix,
}

impl Generator<'_, '_> {
    fn value(&mut self, schema: &Value, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let schema = resolve(self.root, schema);
        let Some(object) = schema.as_object() else {
            // `true` (or a schema that is not an object) accepts anything; `false` nothing.
            return match schema.as_ref() {
                Value::Bool(false) => Value::Null,
                _ => self.word(),
            };
        };
        if let Some(constant) = object.get("const") {
            return constant.clone();
        }
        if let Some(Value::Array(options)) = object.get("enum")
            && !options.is_empty()
        {
            return options[self.rng.below(options.len() as u64) as usize].clone();
        }
        let minimal = depth >= MINIMAL_FROM;
        if let Some(branch) = self.branch(object, minimal) {
            // The branch's own keywords join the schema's (as serde's flattened enums need).
            let mut merged = object.clone();
            merged.remove("anyOf");
            merged.remove("oneOf");
            merge(&mut merged, resolve(self.root, branch).as_ref());
            return self.value(&Value::Object(merged), depth + 1);
        }
        match kind(object, minimal) {
            "object" => self.object(object, depth, minimal),
            "array" => self.array(object, depth, minimal),
            "integer" => integer(object, self.rng),
            "number" => number(object, self.rng),
            "boolean" => Value::Bool(self.rng.below(2) == 1),
            "null" => Value::Null,
            _ => self.string(object),
        }
    }

    /// The `anyOf`/`oneOf` branch to follow, if the schema has one: the first branch of `oneOf`
    /// (later branches may overlap it), any non-null branch of `anyOf` (null at minimal depth).
    fn branch<'s>(&mut self, object: &'s Map<String, Value>, minimal: bool) -> Option<&'s Value> {
        if let Some(first) = object
            .get("oneOf")
            .and_then(Value::as_array)
            .and_then(|b| b.first())
        {
            return Some(first);
        }
        let branches = object.get("anyOf").and_then(Value::as_array)?;
        let is_null = |b: &&Value| resolve(self.root, b).get("type") == Some(&Value::from("null"));
        if minimal && let Some(null) = branches.iter().find(is_null) {
            return Some(null);
        }
        let useful: Vec<&Value> = branches.iter().filter(|b| !is_null(b)).collect();
        match useful.len() {
            0 => branches.first(),
            n => Some(useful[self.rng.below(n as u64) as usize]),
        }
    }

    fn object(&mut self, object: &Map<String, Value>, depth: usize, minimal: bool) -> Value {
        let empty = Map::new();
        let properties = object
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let required: Vec<&str> = names(object.get("required"));
        let additional = object.get("additionalProperties");
        let closed = additional == Some(&Value::Bool(false));
        let mut out = Map::new();
        for (name, property) in properties {
            if minimal && !required.contains(&name.as_str()) {
                continue;
            }
            out.insert(name.clone(), self.value(property, depth + 1));
        }
        let extra_schema = additional.filter(|a| a.is_object());
        for name in required {
            if !out.contains_key(name) {
                let value = match extra_schema {
                    Some(schema) => self.value(schema, depth + 1),
                    None => self.word(),
                };
                out.insert(name.to_owned(), value);
            }
        }
        let max = object.get("maxProperties").and_then(Value::as_u64);
        let mut min = object
            .get("minProperties")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        // A map (`additionalProperties` with a schema and nothing named) gets one entry.
        if !minimal && properties.is_empty() && extra_schema.is_some() {
            min = min.max(1);
        }
        if let Some(max) = max {
            min = min.min(max);
        }
        let mut n = 0;
        while !closed && (out.len() as u64) < min {
            n += 1;
            let name = format!("key{n}");
            if out.contains_key(&name) {
                continue;
            }
            let value = match extra_schema {
                Some(schema) => self.value(schema, depth + 1),
                None => self.word(),
            };
            out.insert(name, value);
        }
        Value::Object(out)
    }

    fn array(&mut self, object: &Map<String, Value>, depth: usize, minimal: bool) -> Value {
        // 2020-12 `prefixItems` + `items`, or draft-7 array-form `items` + `additionalItems`.
        let (prefix, rest): (&[Value], Option<&Value>) = match (
            object.get("prefixItems").and_then(Value::as_array),
            object.get("items"),
        ) {
            (Some(prefix), items) => (prefix, items),
            (None, Some(Value::Array(prefix))) => (prefix, object.get("additionalItems")),
            (None, items) => (&[], items),
        };
        let min = object.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = object
            .get("maxItems")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let mut count = if minimal {
            min
        } else {
            min.max(1).max(prefix.len())
        };
        if rest == Some(&Value::Bool(false)) {
            count = count.min(prefix.len());
        }
        let count = count.min(max).min(64);
        let unique = object.get("uniqueItems") == Some(&Value::Bool(true));
        let mut items: Vec<Value> = Vec::with_capacity(count);
        let any = Value::Bool(true);
        for i in 0..count {
            let schema = prefix.get(i).or(rest).unwrap_or(&any);
            let mut item = self.value(schema, depth + 1);
            // Draws differ: a few more tries usually give a new value.
            let mut tries = 0;
            while unique && items.contains(&item) && tries < 16 {
                item = self.value(schema, depth + 1);
                tries += 1;
            }
            if unique && items.contains(&item) {
                break;
            }
            items.push(item);
        }
        Value::Array(items)
    }

    fn string(&mut self, object: &Map<String, Value>) -> Value {
        let min = object.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = object
            .get("maxLength")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        if let Some(text) = object
            .get("format")
            .and_then(Value::as_str)
            .and_then(|format| self.formatted(format))
            && (min..=max).contains(&text.chars().count())
        {
            return Value::String(text);
        }
        let mut text = String::new();
        while text.len() < min.max(1) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(WORDS[self.rng.below(WORDS.len() as u64) as usize]);
        }
        // The words are ASCII: bytes are characters.
        text.truncate(max);
        while text.len() < min {
            text.push('x');
        }
        Value::String(text)
    }

    /// A plausible value for a common `format`.
    fn formatted(&mut self, format: &str) -> Option<String> {
        let word = WORDS[self.rng.below(WORDS.len() as u64) as usize];
        let n = self.rng.below(250) + 1;
        Some(match format {
            "date-time" => format!("2026-01-{:02}T12:00:00Z", n % 28 + 1),
            "date" => format!("2026-01-{:02}", n % 28 + 1),
            "time" => format!("12:{:02}:00Z", n % 60),
            "email" => format!("{word}@example.com"),
            "hostname" => format!("{word}.example.com"),
            "uri" | "url" | "iri" => format!("https://example.com/{word}"),
            "ipv4" => format!("192.0.2.{n}"),
            "ipv6" => format!("2001:db8::{n:x}"),
            "uuid" => {
                let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
                format!(
                    "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    b >> 52,
                    b & 0xffff_ffff_ffff
                )
            }
            "duration" => format!("PT{n}S"),
            _ => return None,
        })
    }

    fn word(&mut self) -> Value {
        Value::from(WORDS[self.rng.below(WORDS.len() as u64) as usize])
    }
}
