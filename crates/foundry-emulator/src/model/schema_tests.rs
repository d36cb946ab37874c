//! Instances of the schemas generators emit, and the defects of the `structured_output` fault.

use foundry_protocol::{ChatRequest, FinishReason, Message, ResponseFormat};
use serde_json::{Value, json};

use super::rng::SplitMix;
use super::schema::instance;
use super::structured::{answer, violate, wanted};
use crate::catalog::Catalog;
use crate::faults::StructuredDefect;

/// What schemars 1.x emits for a struct with a nested struct, an enum, an option and bounds.
fn city_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "City",
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 3, "maxLength": 12},
            "population": {"type": "integer", "format": "uint64", "minimum": 0},
            "lat": {"type": "number", "format": "double", "minimum": -90.0, "maximum": 90.0},
            "unit": {"$ref": "#/$defs/Unit"},
            "mayor": {"anyOf": [{"$ref": "#/$defs/Person"}, {"type": "null"}]},
            "districts": {"type": "array", "items": {"$ref": "#/$defs/Person"}, "minItems": 2, "maxItems": 3},
            "pair": {"type": "array", "prefixItems": [{"type": "integer", "maximum": 255, "minimum": 0}, {"type": "string"}], "minItems": 2, "maxItems": 2},
            "shape": {"oneOf": [
                {"type": "object", "properties": {"kind": {"type": "string", "const": "Circle"}, "r": {"type": "number"}}, "required": ["kind", "r"]},
                {"type": "object", "properties": {"kind": {"type": "string", "const": "Square"}}, "required": ["kind"]}
            ]}
        },
        "required": ["name", "population", "lat", "unit", "districts", "pair", "shape"],
        "$defs": {
            "Unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "Person": {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": ["integer", "null"], "minimum": 18, "exclusiveMaximum": 30}}, "required": ["name"]}
        }
    })
}

#[test]
fn an_instance_follows_types_bounds_refs_and_branches() {
    let value = instance(&city_schema(), &mut SplitMix(5));
    let name = value["name"].as_str().unwrap();
    assert!((3..=12).contains(&name.len()), "{name:?}");
    assert!(value["population"].as_u64().is_some());
    assert!((-90.0..=90.0).contains(&value["lat"].as_f64().unwrap()));
    assert!(["celsius", "fahrenheit"].contains(&value["unit"].as_str().unwrap()));
    assert!(value["mayor"]["name"].is_string());
    let districts = value["districts"].as_array().unwrap();
    assert_eq!(districts.len(), 2);
    let age = districts[0]["age"].as_i64().unwrap();
    assert!((18..30).contains(&age));
    assert!(value["pair"][0].as_u64().unwrap() <= 255 && value["pair"][1].is_string());
    assert_eq!(value["shape"]["kind"], "Circle");
    assert!(value["shape"]["r"].is_number());
    assert_eq!(
        value,
        instance(&city_schema(), &mut SplitMix(5)),
        "deterministic"
    );
}

#[test]
fn recursive_schemas_end() {
    let tree = json!({
        "$ref": "#/$defs/Node",
        "$defs": {"Node": {"type": "object", "properties": {
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
            "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}
        }, "required": ["children"]}}
    });
    let value = instance(&tree, &mut SplitMix(1));
    assert!(value["children"].is_array());
    let text = value.to_string();
    assert!(text.len() < 200_000, "{} bytes", text.len());
}

#[test]
fn violations_break_the_schema_where_it_can_be_broken() {
    let schema = city_schema();
    let valid = instance(&schema, &mut SplitMix(2));
    let broken = violate(&schema, &schema, &valid).unwrap();
    assert!(
        broken.get("name").is_none(),
        "the first required property is gone"
    );
    let enum_only = json!({"enum": ["a", "b"]});
    assert_eq!(
        violate(&enum_only, &enum_only, &json!("a")),
        Some(json!("none of the options"))
    );
    let integer = json!({"type": ["integer", "number"]});
    assert_eq!(
        violate(&integer, &integer, &json!(1)),
        Some(json!("not the expected type"))
    );
    assert_eq!(violate(&json!(true), &json!(true), &json!(1)), None);
    assert_eq!(violate(&json!({}), &json!({}), &json!(1)), None);
}

fn json_request(format: ResponseFormat) -> ChatRequest {
    ChatRequest::new("m", [Message::user("a city")]).response_format(format)
}

#[test]
fn requests_answer_json_and_defects_break_it() {
    let schema_request = json_request(ResponseFormat::json_schema("city", city_schema()));
    let object_request = json_request(ResponseFormat::JsonObject);
    let wanted_schema = wanted(&schema_request).unwrap();
    let valid = answer(wanted_schema, &mut SplitMix(3), None);
    assert!(serde_json::from_str::<Value>(&valid.text).is_ok());
    let invalid = answer(
        wanted_schema,
        &mut SplitMix(3),
        Some(StructuredDefect::InvalidJson),
    );
    assert!(invalid.text.ends_with(",}"), "{}", invalid.text);
    assert!(serde_json::from_str::<Value>(&invalid.text).is_err());
    let object = answer(wanted(&object_request).unwrap(), &mut SplitMix(3), None);
    assert!(
        serde_json::from_str::<Value>(&object.text)
            .unwrap()
            .is_object()
    );
    let not_object = answer(
        wanted(&object_request).unwrap(),
        &mut SplitMix(3),
        Some(StructuredDefect::SchemaViolation),
    );
    assert!(
        serde_json::from_str::<Value>(&not_object.text)
            .unwrap()
            .is_array()
    );
    assert!(wanted(&ChatRequest::new("m", [])).is_none());
}

#[test]
fn json_answers_stream_in_tokens_and_obey_the_budget() {
    let entry = Catalog::default().entries()[1].clone();
    let request = json_request(ResponseFormat::json_schema("city", city_schema()));
    let whole = super::generate(&entry, &request, 0, 1, None).remove(0);
    assert_eq!(whole.finish, FinishReason::Stop);
    assert_eq!(whole.pieces.concat(), whole.text);
    assert_eq!(whole.pieces.len() as u64, whole.completion_tokens);
    let cut = super::generate(&entry, &request.clone().max_tokens(5), 0, 1, None).remove(0);
    assert_eq!(
        (cut.finish, cut.completion_tokens),
        (FinishReason::Length, 5)
    );
    assert!(whole.text.starts_with(&cut.text));
    let truncated =
        super::generate(&entry, &request, 0, 1, Some(StructuredDefect::Truncated)).remove(0);
    assert_eq!(truncated.finish, FinishReason::Length);
    assert!(whole.text.starts_with(&truncated.text) && truncated.text.len() < whole.text.len());
    assert!(serde_json::from_str::<Value>(&truncated.text).is_err());
}
