//! Tool calls: which function the model calls, and arguments that fit its parameter schema.

use foundry_protocol::{ChatRequest, Tool, ToolCall, ToolChoice};
use serde_json::{Map, Value};

use super::rng::SplitMix;
use super::tokens::WORDS;

/// How deep a schema is followed before the generator gives up and writes `null`.
const MAX_DEPTH: usize = 8;

/// The function the request forces, if it forces one: `tool_choice` `required` (one of the
/// tools, drawn) or naming a function. `auto` and `none` get a text answer.
pub(crate) fn forced_tool<'a>(request: &'a ChatRequest, rng: &mut SplitMix) -> Option<&'a Tool> {
    if request.tools.is_empty() {
        return None;
    }
    let named = |name: &str| {
        request
            .tools
            .iter()
            .find(|tool| tool.function.name == name)
            .or(request.tools.first())
    };
    match request.tool_choice.as_ref()? {
        ToolChoice::Required => {
            let pick = rng.below(request.tools.len() as u64) as usize;
            request.tools.get(pick)
        }
        ToolChoice::Function(name) => named(name),
        // Foundry's SDKs send `{"type":"required"}` or `{"type":"function","name":...}`.
        ToolChoice::Other(value) => match value.get("type").and_then(Value::as_str) {
            Some("required") => request.tools.first(),
            Some("function") => named(value.get("name").and_then(Value::as_str).unwrap_or("")),
            _ => None,
        },
        _ => None,
    }
}

/// A call of `tool` with arguments drawn to fit its parameter schema.
pub(crate) fn call(tool: &Tool, rng: &mut SplitMix) -> ToolCall {
    let schema = tool.function.parameters.clone().unwrap_or(Value::Null);
    let arguments = match instance(&schema, rng, 0) {
        Value::Null if schema.is_null() => Value::Object(Map::new()),
        value => value,
    };
    ToolCall::function(
        format!("call_{:016x}", rng.next_u64()),
        tool.function.name.clone(),
        arguments.to_string(),
    )
}

/// A JSON value that satisfies the common parts of a JSON Schema: `type`, `properties`,
/// `items`, `enum`, `const`, numeric bounds, `anyOf`/`oneOf` (first branch).
fn instance(schema: &Value, rng: &mut SplitMix, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let Some(schema) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(constant) = schema.get("const") {
        return constant.clone();
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.is_empty()
    {
        return options[rng.below(options.len() as u64) as usize].clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|v| v.first())
        {
            return instance(first, rng, depth + 1);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        // `["string", "null"]`: the first non-null type.
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or("null"),
        _ if schema.contains_key("properties") => "object",
        _ => "string",
    };
    match kind {
        "object" => {
            let mut object = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    object.insert(name.clone(), instance(property, rng, depth + 1));
                }
            }
            Value::Object(object)
        }
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(Value::Null);
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(1);
            let count = min.clamp(1, 4);
            Value::Array(
                (0..count)
                    .map(|_| instance(&items, rng, depth + 1))
                    .collect(),
            )
        }
        "integer" => {
            let min = schema.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            let max = schema
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(min + 100);
            let span = (max - min).max(0) as u64 + 1;
            Value::from(min + rng.below(span) as i64)
        }
        "number" => {
            let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
            let max = schema
                .get("maximum")
                .and_then(Value::as_f64)
                .unwrap_or(min + 100.0);
            let value = min + (max - min) * rng.unit();
            Value::from((value * 100.0).round() / 100.0)
        }
        "boolean" => Value::Bool(rng.below(2) == 1),
        "null" => Value::Null,
        _ => Value::String(WORDS[rng.below(WORDS.len() as u64) as usize].to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arguments_fit_the_schema() {
        let tool = Tool::function(
            "get_weather",
            "Weather of a city",
            json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "exact": {"type": "boolean"},
                    "when": {"type": ["string", "null"]}
                },
                "required": ["city"]
            }),
        );
        let call = call(&tool, &mut SplitMix(3));
        let args: Value = serde_json::from_str(&call.function.arguments).unwrap();
        assert!(args["city"].is_string());
        assert!(["celsius", "fahrenheit"].contains(&args["unit"].as_str().unwrap()));
        assert!((1..=7).contains(&args["days"].as_i64().unwrap()));
        assert!(args["tags"].as_array().unwrap()[0].is_string());
        assert!(args["exact"].is_boolean());
        assert!(args["when"].is_string());
        assert!(call.id.starts_with("call_"));
    }

    #[test]
    fn only_required_or_named_choices_force_a_call() {
        let tool = Tool::function("f", "", json!({"type": "object"}));
        let mut request = ChatRequest::new("m", []).tools(vec![tool], Some(ToolChoice::Auto));
        assert!(forced_tool(&request, &mut SplitMix(1)).is_none());
        request.tool_choice = Some(ToolChoice::Required);
        assert!(forced_tool(&request, &mut SplitMix(1)).is_some());
        request.tool_choice = Some(ToolChoice::Function("f".into()));
        assert_eq!(
            forced_tool(&request, &mut SplitMix(1))
                .unwrap()
                .function
                .name,
            "f"
        );
        request.tool_choice = Some(ToolChoice::Other(json!({"type": "function", "name": "f"})));
        assert!(forced_tool(&request, &mut SplitMix(1)).is_some());
    }
}
