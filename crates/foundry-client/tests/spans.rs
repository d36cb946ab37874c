//! Every operation goes through one pipeline: each has a span with OpenTelemetry's GenAI
//! attributes, and each is counted in the metrics by its operation name.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use foundry_client::{
    ChatRequest, CompletionRequest, EmbeddingsRequest, FoundryClient, Message, ServerKind,
};
use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Subscriber, subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const CHAT: &str = "tiny-chat-generic-cpu:1";
const EMBED: &str = "tiny-embed-generic-cpu:1";

/// The fields of one span, as text.
type Fields = BTreeMap<String, String>;

/// Keeps the fields of every `gen_ai` span once it closes.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<Fields>>>);

struct FieldText<'a>(&'a mut Fields);

impl Visit for FieldText<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "gen_ai" {
            return;
        }
        let mut fields = Fields::new();
        attrs.record(&mut FieldText(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<Fields>()
        {
            values.record(&mut FieldText(fields));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && let Some(fields) = span.extensions_mut().remove::<Fields>()
        {
            self.0.lock().unwrap().push(fields);
        }
    }
}

impl Spans {
    /// The closed spans of `operation`.
    fn of(&self, operation: &str) -> Vec<Fields> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|fields| fields["gen_ai.operation.name"] == operation)
            .cloned()
            .collect()
    }
}

#[tokio::test]
async fn every_operation_has_a_span_with_the_gen_ai_attributes_and_is_counted() {
    let spans = Spans::default();
    let _guard = subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let emulator = Emulator::start(EmulatorConfig::new(Dialect::Core2).catalog(Catalog::tiny()))
        .await
        .unwrap();
    let client = FoundryClient::builder()
        .endpoint(emulator.url())
        .build()
        .unwrap();

    // The alias is loaded on demand: the load is part of the chat, not an operation of its own.
    let hello = |model: &str| ChatRequest::new(model, [Message::user("hi")]).max_tokens(4);
    let answer = client.chat(hello("tiny-chat")).await.unwrap();
    client
        .chat_stream(hello(CHAT))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    client.load("tiny-embed", None).await.unwrap();
    client
        .embeddings(EmbeddingsRequest::new(EMBED, vec!["a"]))
        .await
        .unwrap();
    let loaded = client.loaded_models().await.unwrap();
    assert!(loaded.iter().any(|id| id == CHAT), "{loaded:?}");

    let chats = spans.of("chat");
    assert_eq!(chats.len(), 2, "{chats:?}");
    let provider = ServerKind::FoundryCore2.as_str();
    for chat in &chats {
        assert_eq!(chat["gen_ai.provider.name"], provider);
        assert_eq!(chat["gen_ai.response.model"], CHAT);
        assert!(chat.contains_key("gen_ai.usage.input_tokens"), "{chat:?}");
        assert!(!chat.contains_key("error.type"), "{chat:?}");
    }
    let usage = answer.usage.unwrap();
    assert_eq!(chats[0]["gen_ai.request.model"], "tiny-chat");
    assert_eq!(chats[0]["gen_ai.request.stream"], "false");
    assert_eq!(
        chats[0]["gen_ai.usage.output_tokens"],
        usage.completion_tokens.to_string()
    );
    assert_eq!(chats[1]["gen_ai.request.stream"], "true");
    assert!(
        chats[1].contains_key("gen_ai.usage.output_tokens"),
        "{:?}",
        chats[1]
    );
    let embeddings = spans.of("embeddings");
    assert_eq!(embeddings.len(), 1);
    assert_eq!(embeddings[0]["gen_ai.request.model"], EMBED);
    assert_eq!(
        spans.of("load_model")[0]["gen_ai.request.model"],
        "tiny-embed"
    );
    assert_eq!(spans.of("list_loaded_models").len(), 1);

    let counted = client.metrics_snapshot().operations;
    assert_eq!(counted["chat"], 2);
    assert_eq!(counted["embeddings"], 1);
    assert_eq!(counted["load_model"], 1);
    assert_eq!(counted["list_loaded_models"], 1);
    assert_eq!(counted.len(), 4, "{counted:?}");
}

#[tokio::test]
async fn a_failed_text_completion_has_its_span_with_the_error_type() {
    let spans = Spans::default();
    let _guard = subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/v1/completions"))
        .respond_with(
            wiremock::ResponseTemplate::new(400)
                .set_body_string(r#"{"error":{"message":"prompt too long"}}"#),
        )
        .mount(&server)
        .await;
    let client = FoundryClient::builder()
        .endpoint(server.uri())
        .server_kind(ServerKind::OpenAiCompatible)
        .build()
        .unwrap();
    let error = client
        .text_completion(CompletionRequest::new("m", "Once"))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    let completions = spans.of("text_completion");
    assert_eq!(completions.len(), 1);
    assert_eq!(completions[0]["gen_ai.request.model"], "m");
    assert_eq!(completions[0]["gen_ai.provider.name"], "openai_compatible");
    assert_eq!(completions[0]["error.type"], "api");
    let snapshot = client.metrics_snapshot();
    assert_eq!(snapshot.operations["text_completion"], 1);
    assert_eq!(snapshot.errors["api"], 1);
}
