//! Requests serialize to what servers accept (no `null`s, OpenAI shapes) and round-trip.

use foundry_protocol::{
    ChatRequest, CompletionRequest, ContentPart, EmbeddingsRequest, ImageUrl, Message,
    MessageContent, ResponseFormat, Stop, Tool, ToolCall, ToolChoice,
};
use serde_json::{Value, json};

fn no_nulls(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => items.iter().all(no_nulls),
        Value::Object(map) => map.values().all(no_nulls),
        _ => true,
    }
}

#[test]
fn a_minimal_chat_request_sends_only_model_and_messages() {
    let request = ChatRequest::new("phi-4-mini", [Message::user("hi")]);
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"model": "phi-4-mini", "messages": [{"role": "user", "content": "hi"}]})
    );
}

#[test]
fn a_full_chat_request_round_trips_without_nulls() {
    let mut request = ChatRequest::new(
        "m",
        [
            Message::system("be brief"),
            Message::user("weather?"),
            Message::assistant_tool_calls(vec![ToolCall::function("c1", "get_weather", "{}")]),
            Message::tool("c1", "sunny"),
        ],
    )
    .max_tokens(50)
    .temperature(0.0)
    .seed(7)
    .stop(Stop::Many(vec!["\n".into(), "END".into()]))
    .tools(
        vec![Tool::function(
            "get_weather",
            "Weather now",
            json!({"type": "object"}),
        )],
        Some(ToolChoice::Required),
    )
    .response_format(ResponseFormat::JsonObject)
    .streaming(true)
    .extra("ttl", 600);
    request.max_completion_tokens = Some(60);
    request.top_p = Some(0.9);
    request.n = Some(1);
    request.presence_penalty = Some(0.5);
    request.frequency_penalty = Some(0.25);
    request.logit_bias = Some([("50256".to_owned(), -100.0)].into());
    request.user = Some("u".into());
    request.metadata = Some([("top_k".to_owned(), "40".to_owned())].into());
    let value = serde_json::to_value(&request).unwrap();
    assert!(no_nulls(&value), "{value}");
    assert_eq!(value["stream_options"], json!({"include_usage": true}));
    assert_eq!(value["tool_choice"], json!("required"));
    assert_eq!(value["ttl"], json!(600), "extras go at the top level");
    assert_eq!(
        value["messages"][2],
        json!({"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]})
    );
    assert_eq!(
        value["messages"][3],
        json!({"role": "tool", "content": "sunny", "tool_call_id": "c1"})
    );
    let back: ChatRequest = serde_json::from_value(value).unwrap();
    assert_eq!(back, request);
}

#[test]
fn content_parts_serialize_with_their_type_tags() {
    let message = Message::parts(
        foundry_protocol::Role::User,
        vec![
            ContentPart::Text {
                text: "what is this?".into(),
            },
            ContentPart::ImageUrl {
                image_url: ImageUrl::new("data:image/png;base64,AAAA"),
            },
        ],
    );
    let value = serde_json::to_value(&message).unwrap();
    assert_eq!(
        value["content"][0],
        json!({"type": "text", "text": "what is this?"})
    );
    assert_eq!(
        value["content"][1],
        json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}})
    );
    assert_eq!(message.text().as_deref(), Some("what is this?"));
    let unknown: Message = serde_json::from_value(
        json!({"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}),
    )
    .unwrap();
    assert!(
        matches!(&unknown.content, Some(MessageContent::Parts(parts)) if matches!(parts[0], ContentPart::Other(_)))
    );
}

#[test]
fn content_decodes_from_text_or_parts_and_refuses_anything_else() {
    let parts = Message::parts(
        foundry_protocol::Role::User,
        vec![ContentPart::Text { text: "a".into() }],
    );
    let back: Message = serde_json::from_value(serde_json::to_value(&parts).unwrap()).unwrap();
    assert_eq!(back, parts);
    // Escaped text is decoded, not kept as written.
    let text: Message =
        serde_json::from_str(r#"{"role":"assistant","content":"line\nnext \u00e9"}"#).unwrap();
    assert_eq!(
        text.content,
        Some(MessageContent::Text("line\nnext é".into()))
    );
    let error = serde_json::from_value::<Message>(json!({"role": "user", "content": 5}))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("a string or a list of content parts"),
        "{error}"
    );
}

#[test]
fn unknown_roles_survive_a_round_trip() {
    let message: Message =
        serde_json::from_value(json!({"role": "critic", "content": "x"})).unwrap();
    assert_eq!(serde_json::to_value(&message).unwrap()["role"], "critic");
}

#[test]
fn completion_and_embedding_requests() {
    let completion = CompletionRequest::new("m", "Once upon").max_tokens(5);
    assert_eq!(
        serde_json::to_value(&completion).unwrap(),
        json!({"model": "m", "prompt": "Once upon", "max_tokens": 5})
    );
    let embeddings = EmbeddingsRequest::new("e", vec!["a", "b"]);
    assert_eq!(
        serde_json::to_value(&embeddings).unwrap(),
        json!({"model": "e", "input": ["a", "b"], "encoding_format": "float"})
    );
    let back: EmbeddingsRequest =
        serde_json::from_value(json!({"model": "e", "input": "a"})).unwrap();
    assert_eq!(
        back.encoding_format,
        foundry_protocol::EncodingFormat::Float,
        "float is the default"
    );
}
