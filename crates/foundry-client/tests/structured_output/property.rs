//! The emulator's answer to any schema of a small grammar — types, `required`, enums, bounds,
//! string lengths and formats, arrays, nesting, `$ref`s into `$defs`, optional values — passes
//! the client's validator, over HTTP and through `structured_with`.

use foundry_client::{ChatRequest, FoundryClient, Message, StructuredSchema};
use foundry_emulator::{Dialect, Fault, FaultRule, StructuredDefect};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::{MODEL, client_of, emulator};

fn string_schema() -> impl Strategy<Value = Value> {
    let lengths = (any::<bool>(), 0u64..6, proptest::option::of(0u64..12));
    let plain = lengths.prop_map(|(has_min, min, extra)| {
        let mut schema = json!({"type": "string"});
        let min = if has_min { min } else { 0 };
        if has_min {
            schema["minLength"] = json!(min);
        }
        if let Some(extra) = extra {
            schema["maxLength"] = json!(min + extra);
        }
        schema
    });
    const FORMATS: [&str; 7] = ["date-time", "date", "time", "email", "uuid", "ipv4", "uri"];
    let formatted = proptest::sample::select(&FORMATS[..])
        .prop_map(|format| json!({"type": "string", "format": format}));
    prop_oneof![3 => plain, 1 => formatted]
}

fn integer_schema() -> impl Strategy<Value = Value> {
    (
        -1000i64..1000,
        0i64..500,
        0u8..4,
        proptest::option::of(1i64..7),
    )
        .prop_map(|(low, span, bounds, step)| {
            let mut schema = json!({"type": "integer"});
            // Room for a multiple of the step, even between exclusive bounds.
            let high = low + span + 2 + step.unwrap_or(1) * 2;
            match bounds {
                0 => {}
                1 => schema["minimum"] = json!(low),
                2 => schema["maximum"] = json!(high),
                _ => {
                    schema["exclusiveMinimum"] = json!(low);
                    schema["exclusiveMaximum"] = json!(high);
                }
            }
            if let Some(step) = step {
                schema["multipleOf"] = json!(step);
            }
            schema
        })
}

fn number_schema() -> impl Strategy<Value = Value> {
    (-400i64..400, 1i64..400, any::<bool>(), any::<bool>()).prop_map(
        |(low, span, exclusive, has_max)| {
            let (low, high) = (low as f64 / 4.0, (low + span) as f64 / 4.0 + 0.5);
            let mut schema = json!({"type": "number"});
            let (min_key, max_key) = match exclusive {
                true => ("exclusiveMinimum", "exclusiveMaximum"),
                false => ("minimum", "maximum"),
            };
            schema[min_key] = json!(low);
            if has_max {
                schema[max_key] = json!(high);
            }
            schema
        },
    )
}

fn enum_schema() -> impl Strategy<Value = Value> {
    let words = proptest::collection::btree_set("[a-z]{1,8}", 1..5);
    let numbers = proptest::collection::btree_set(-50i64..50, 1..5);
    prop_oneof![
        words.prop_map(|w| json!({"type": "string", "enum": w.into_iter().collect::<Vec<_>>()})),
        numbers.prop_map(|n| json!({"enum": n.into_iter().collect::<Vec<_>>()})),
        "[a-z]{0,6}".prop_map(|c| json!({"type": "string", "const": c})),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => string_schema(),
        3 => integer_schema(),
        2 => number_schema(),
        1 => Just(json!({"type": "boolean"})),
        1 => Just(json!({"type": "null"})),
        2 => enum_schema(),
        1 => Just(json!({"$ref": "#/$defs/Shared"})),
    ]
}

fn object_of(inner: impl Strategy<Value = Value> + Clone) -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec((inner, any::<bool>()), 0..5),
        any::<bool>(),
    )
        .prop_map(|(fields, closed)| {
            let mut properties = Map::new();
            let mut required = Vec::new();
            for (i, (schema, is_required)) in fields.into_iter().enumerate() {
                let name = format!("field_{i}");
                if is_required {
                    required.push(json!(name));
                }
                properties.insert(name, schema);
            }
            let mut schema =
                json!({"type": "object", "properties": properties, "required": required});
            if closed {
                schema["additionalProperties"] = json!(false);
            }
            schema
        })
}

fn schema() -> impl Strategy<Value = Value> {
    let nested = leaf().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            2 => object_of(inner.clone()),
            2 => (inner.clone(), 0u64..3, proptest::option::of(0u64..3)).prop_map(|(items, min, extra)| {
                let mut schema = json!({"type": "array", "items": items, "minItems": min});
                if let Some(extra) = extra {
                    schema["maxItems"] = json!(min + extra);
                }
                schema
            }),
            // `Option<T>` as schemars writes it.
            1 => inner.clone().prop_map(|some| json!({"anyOf": [some, {"type": "null"}]})),
            1 => proptest::collection::vec(leaf(), 1..3).prop_map(|v| {
                let mut kinds: Vec<Value> = v.into_iter().filter_map(|s| s.get("type").cloned()).filter(|t| t.is_string()).collect();
                kinds.sort_by_key(Value::to_string);
                kinds.dedup();
                json!({"type": if kinds.is_empty() { json!("string") } else { json!(kinds) }})
            }),
        ]
    });
    // The shared definition is itself a small object without references.
    let shared = object_of(prop_oneof![string_schema(), integer_schema()]);
    (object_of(nested), shared).prop_map(|(mut root, shared)| {
        root["$defs"] = json!({"Shared": shared});
        root
    })
}

/// Asks the emulator for an answer to `schema` and validates it.
fn ask(
    client: &FoundryClient,
    runtime: &tokio::runtime::Runtime,
    schema: Value,
) -> Result<(), String> {
    let structured = StructuredSchema::<Value>::with_schema("generated", schema.clone())
        .map_err(|e| format!("the schema does not compile: {e}"))?;
    let request = ChatRequest::new(MODEL, [Message::user(schema.to_string())]);
    runtime
        .block_on(client.structured_with(structured).chat(request))
        .map(drop)
        .map_err(|e| {
            format!(
                "{e}\nproblems: {:?}\nraw: {:?}",
                e.problems(),
                e.raw_output()
            )
        })
}

#[test]
fn the_emulators_instances_pass_the_validator_for_any_generated_schema() {
    let runtime = runtime();
    let emulator = runtime.block_on(emulator(Dialect::Core2));
    let client = client_of(&emulator);
    proptest!(config(), |(schema in schema())| {
        let outcome = ask(&client, &runtime, schema.clone());
        prop_assert!(outcome.is_ok(), "schema {}\n{}", schema, outcome.unwrap_err());
    });
}

#[test]
fn the_emulators_violations_never_pass_the_validator() {
    let runtime = runtime();
    let emulator = runtime.block_on(emulator(Dialect::Core2));
    let violation = Fault::structured(StructuredDefect::SchemaViolation);
    let rule = FaultRule::always(violation).on_route("POST /v1/chat/completions");
    emulator.faults().push(rule).unwrap();
    let client = client_of(&emulator);
    // Every generated root is an object schema: it can always be broken.
    proptest!(config(), |(schema in schema())| {
        let outcome = ask(&client, &runtime, schema.clone());
        prop_assert!(outcome.is_err(), "schema {} accepted a violation", schema);
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}
