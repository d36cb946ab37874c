//! Answers to requests that ask for JSON (`response_format`), and the broken answers the
//! `structured_output` fault asks for.

use foundry_protocol::{ChatRequest, ResponseFormat};
use serde_json::{Value, json};

use super::keywords::{names, resolve};
use super::rng::SplitMix;
use super::schema::instance;
use crate::faults::StructuredDefect;

/// What shape of answer a request asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wanted<'r> {
    /// JSON matching this schema (`None`: the request gave none, anything goes).
    Schema(Option<&'r Value>),
    /// Any JSON object.
    Object,
}

/// The JSON shape the request asks for, if it asks for one.
pub(crate) fn wanted(request: &ChatRequest) -> Option<Wanted<'_>> {
    match request.response_format.as_ref()? {
        ResponseFormat::JsonSchema { json_schema } => {
            Some(Wanted::Schema(json_schema.schema.as_ref()))
        }
        ResponseFormat::JsonObject => Some(Wanted::Object),
        // A `json_schema` format without a name still carries a schema worth honouring.
        ResponseFormat::Other(value) => match value.get("type").and_then(Value::as_str) {
            Some("json_schema") => Some(Wanted::Schema(value.pointer("/json_schema/schema"))),
            Some("json_object") => Some(Wanted::Object),
            _ => None,
        },
        _ => None,
    }
}

/// The text the model writes, and whether it must be cut short (`finish_reason: "length"`).
#[derive(Debug)]
pub(crate) struct JsonAnswer {
    pub(crate) text: String,
    pub(crate) truncated: bool,
}

/// The answer for `wanted`, with `defect` if a fault asks for one.
pub(crate) fn answer(
    wanted: Wanted<'_>,
    rng: &mut SplitMix,
    defect: Option<StructuredDefect>,
) -> JsonAnswer {
    let any = Value::Bool(true);
    let value = match wanted {
        Wanted::Schema(schema) => instance(schema.unwrap_or(&any), rng),
        Wanted::Object => json!({ "answer": super::filler_text(rng) }),
    };
    let value = match (defect, wanted) {
        (Some(StructuredDefect::SchemaViolation), Wanted::Schema(Some(schema))) => {
            violate(schema, schema, &value).unwrap_or(value)
        }
        (Some(StructuredDefect::SchemaViolation), Wanted::Object) => json!([value]),
        _ => value,
    };
    let text = value.to_string();
    match defect {
        Some(StructuredDefect::InvalidJson) => JsonAnswer {
            text: break_syntax(text),
            truncated: false,
        },
        Some(StructuredDefect::Truncated) => JsonAnswer {
            text,
            truncated: true,
        },
        _ => JsonAnswer {
            text,
            truncated: false,
        },
    }
}

/// Valid JSON made invalid the way models get it wrong: a trailing comma in a container, prose
/// before a scalar.
fn break_syntax(mut text: String) -> String {
    match text.pop() {
        Some(close @ ('}' | ']')) => {
            text.push(',');
            text.push(close);
            text
        }
        Some(last) => {
            text.push(last);
            format!("Here is the JSON you asked for: {text}")
        }
        None => "Here is the JSON you asked for:".to_owned(),
    }
}

/// A value close to `value` that `schema` rejects, if the schema rejects anything: a required
/// property removed, else a value of a type the schema (or every `anyOf`/`oneOf` branch) does
/// not allow, else a value outside its `enum` or `const`. `None` for a schema that accepts
/// every value.
pub(crate) fn violate(root: &Value, schema: &Value, value: &Value) -> Option<Value> {
    let schema = resolve(root, schema);
    let object = schema.as_object()?;
    if let Value::Object(map) = value
        && let Some(name) = names(object.get("required"))
            .into_iter()
            .find(|name| map.contains_key(*name))
    {
        let mut broken = map.clone();
        broken.remove(name);
        return Some(Value::Object(broken));
    }
    if let Some(types) = allowed_types(object) {
        return wrong_type(&types);
    }
    if let Some(Value::Array(options)) = object.get("enum") {
        return outsider(options);
    }
    if let Some(constant) = object.get("const") {
        return outsider(std::slice::from_ref(constant));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = object.get(key).and_then(Value::as_array) {
            // A type no branch allows fails them all; a branch without a type allows any.
            let mut all = Vec::new();
            for branch in branches {
                all.extend(allowed_types(resolve(root, branch).as_object()?)?);
            }
            return wrong_type(&all);
        }
    }
    None
}

/// The types a schema's `type` keyword allows, if it has one.
fn allowed_types(object: &serde_json::Map<String, Value>) -> Option<Vec<String>> {
    match object.get("type")? {
        Value::String(kind) => Some(vec![kind.clone()]),
        Value::Array(kinds) => Some(
            kinds
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        _ => None,
    }
}

/// A value of a type not in `types` (an integer-only schema rejects `0.5`).
fn wrong_type(types: &[String]) -> Option<Value> {
    let allows = |kind: &str| types.iter().any(|t| t == kind);
    [
        (json!("not the expected type"), allows("string")),
        (json!(true), allows("boolean")),
        (Value::Null, allows("null")),
        (json!([]), allows("array")),
        (json!({}), allows("object")),
        (json!(0.5), allows("number")),
    ]
    .into_iter()
    .find(|(_, allowed)| !allowed)
    .map(|(value, _)| value)
}

/// A value equal to none of `options`.
fn outsider(options: &[Value]) -> Option<Value> {
    [
        json!("none of the options"),
        json!(-1),
        json!(null),
        json!({}),
    ]
    .into_iter()
    .find(|candidate| !options.contains(candidate))
}
