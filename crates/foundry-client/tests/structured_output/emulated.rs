//! The schema a type derives, and typed answers from every emulated dialect.

use foundry_client::{ErrorKind, FinishReason, JsonMode, ResponseFormat, StructuredSchema};
use foundry_emulator::Dialect;
use serde_json::json;

use super::{Trip, client_of, emulator, plan_a_trip};

#[test]
fn the_derived_schema_describes_nested_structs_and_enums() {
    let schema = StructuredSchema::<Trip>::derive().unwrap();
    assert_eq!(schema.name(), "Trip");
    let value = schema.schema();
    assert_eq!(value["type"], "object");
    let required = value["required"].as_array().unwrap();
    for name in ["title", "transport", "stops", "budget_eur", "payment"] {
        assert!(required.contains(&json!(name)), "{name} is required");
    }
    assert_eq!(value["properties"]["title"]["minLength"], 3);
    assert_eq!(value["properties"]["stops"]["maxItems"], 4);
    let defs = &value["$defs"];
    assert_eq!(
        defs["Transport"]["enum"],
        json!(["train", "plane", "bicycle"])
    );
    assert_eq!(defs["Stop"]["properties"]["nights"]["maximum"], 14);
    assert_eq!(
        value["properties"]["stops"]["items"]["$ref"],
        "#/$defs/Stop"
    );
    // The optional nested struct: a reference or null.
    let hotel = &defs["Stop"]["properties"]["hotel"]["anyOf"];
    assert_eq!(hotel[0]["$ref"], "#/$defs/Hotel");
    assert_eq!(hotel[1]["type"], "null");
    // The tagged enum: one branch per variant, told apart by a constant tag.
    let payment = defs["Payment"]["oneOf"].as_array().unwrap();
    assert_eq!(payment.len(), 2);
    assert_eq!(payment[0]["properties"]["kind"]["const"], "card");

    let format = serde_json::to_value(schema.response_format()).unwrap();
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "Trip");
    assert_eq!(format["json_schema"]["strict"], true);
    assert_eq!(&format["json_schema"]["schema"], value);
    assert!(matches!(
        schema.response_format(),
        ResponseFormat::JsonSchema { .. }
    ));
}

#[test]
fn parsing_checks_the_schema_before_the_type() {
    let schema = StructuredSchema::<Trip>::derive().unwrap();
    let error = schema
        .parse(r#"{"title": "Go", "transport": "boat", "stops": [], "budget_eur": -1, "payment": {"kind": "cash"}}"#)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidStructuredOutput);
    let problems = error.problems().join("\n");
    for path in ["/title", "/transport", "/stops", "/budget_eur"] {
        assert!(problems.contains(path), "{path} in {problems}");
    }
    let fenced = "```json\n{\"title\": \"Rome\", \"transport\": \"train\", \"stops\": [{\"city\": \"Roma\", \"nights\": 2, \"hotel\": null}], \"budget_eur\": 900.5, \"payment\": {\"kind\": \"card\", \"last_digits\": 1234}}\n```";
    let trip = schema.parse(fenced).unwrap();
    assert_eq!(trip.stops[0].city, "Roma");
}

#[tokio::test]
async fn every_dialect_answers_a_valid_typed_value() {
    for dialect in [Dialect::Legacy, Dialect::Core1, Dialect::Core2] {
        let emulator = emulator(dialect).await;
        let client = client_of(&emulator);
        let trip = client.chat_json::<Trip>(plan_a_trip()).await.unwrap();
        assert_eq!(trip.mode, JsonMode::JsonSchema, "{dialect}");
        assert_eq!(trip.attempts, 1);
        assert_eq!(trip.response.finish_reason(), Some(&FinishReason::Stop));
        assert!(
            (1..=4).contains(&trip.value.stops.len()),
            "{dialect}: {trip:?}"
        );
        assert!((3..=40).contains(&trip.value.title.chars().count()));
        // The same request gets the same answer.
        let again = client.chat_json::<Trip>(plan_a_trip()).await.unwrap();
        assert_eq!(again.value, trip.value, "{dialect}");
    }
}

#[tokio::test]
async fn a_json_object_request_gets_an_object() {
    let emulator = emulator(Dialect::Core2).await;
    let answer = client_of(&emulator)
        .chat(plan_a_trip().response_format(ResponseFormat::JsonObject))
        .await
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&answer.text().unwrap()).unwrap();
    assert!(value.is_object(), "{value}");
}

#[tokio::test]
async fn the_callers_check_runs_last_and_its_refusal_is_a_problem() {
    let emulator = emulator(Dialect::Core2).await;
    let client = client_of(&emulator);
    let error = client
        .structured::<Trip>()
        .check(|trip| Err(format!("{} stops are too many", trip.stops.len())))
        .chat(plan_a_trip())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidStructuredOutput);
    assert_eq!(error.problems().len(), 1);
    assert!(error.problems()[0].starts_with("the caller's check failed: "));
    assert!(error.problems()[0].ends_with("stops are too many"));
    assert!(serde_json::from_str::<serde_json::Value>(error.raw_output().unwrap()).is_ok());
    let accepted = client
        .structured::<Trip>()
        .check(|trip| match trip.stops.is_empty() {
            true => Err("no stop".to_owned()),
            false => Ok(()),
        })
        .chat(plan_a_trip())
        .await;
    assert!(accepted.is_ok());
}
