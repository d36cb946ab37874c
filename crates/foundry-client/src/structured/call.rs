//! The structured call: the options (caller's check, repair), one attempt with the fallback for
//! servers without `json_schema`, and the single repair.

use std::fmt;
use std::sync::Arc;

use foundry_protocol::{ChatRequest, ChatResponse, Message};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::schema::StructuredSchema;
use super::stream::StructuredStream;
use super::{JsonMode, Structured, fallback};
use crate::client::FoundryClient;
use crate::error::{Error, ErrorKind};

/// The caller's own check of a parsed value.
pub(crate) type Check<T> = Arc<dyn Fn(&T) -> Result<(), String> + Send + Sync>;

impl FoundryClient {
    /// Asks for an answer of type `T` and returns it validated: the schema derived from `T` is
    /// sent as `response_format` `json_schema` (strict), and the answer is parsed, validated
    /// against the schema and deserialized. Any failure is an
    /// [`InvalidStructuredOutput`](ErrorKind::InvalidStructuredOutput) error with the raw text,
    /// the finish reason and the problems. The request's own `response_format` is replaced.
    ///
    /// For a caller's check or a repair attempt, use [`structured`](Self::structured).
    ///
    /// ```no_run
    /// use foundry_client::{ChatRequest, FoundryClient, Message};
    /// use schemars::JsonSchema;
    /// use serde::Deserialize;
    ///
    /// #[derive(Debug, Deserialize, JsonSchema)]
    /// struct City {
    ///     name: String,
    ///     population: u64,
    /// }
    ///
    /// # async fn run(client: FoundryClient) -> Result<(), foundry_client::Error> {
    /// let request = ChatRequest::new("phi-4-mini", [Message::user("The largest city of France?")]);
    /// let city = client.chat_json::<City>(request).await?.value;
    /// println!("{} has {} inhabitants", city.name, city.population);
    /// # Ok(()) }
    /// ```
    pub async fn chat_json<T>(&self, request: ChatRequest) -> Result<Structured<T>, Error>
    where
        T: DeserializeOwned + JsonSchema,
    {
        self.structured::<T>().chat(request).await
    }

    /// [`chat_json`](Self::chat_json), streamed: the text as it comes, then the validated value
    /// (or the typed error) as the last item. See [`StructuredStream`].
    pub async fn chat_json_stream<T>(
        &self,
        request: ChatRequest,
    ) -> Result<StructuredStream<T>, Error>
    where
        T: DeserializeOwned + JsonSchema,
    {
        self.structured::<T>().stream(request).await
    }

    /// A structured call for answers of type `T` (schema derived from `T`), with options.
    pub fn structured<T>(&self) -> StructuredCall<'_, T>
    where
        T: DeserializeOwned + JsonSchema,
    {
        StructuredCall::new(self, StructuredSchema::derive())
    }

    /// A structured call with a schema of the caller's (see [`StructuredSchema::with_schema`]).
    pub fn structured_with<T: DeserializeOwned>(
        &self,
        schema: StructuredSchema<T>,
    ) -> StructuredCall<'_, T> {
        StructuredCall::new(self, Ok(schema))
    }
}

/// A structured chat call being set up; see [`FoundryClient::structured`].
///
/// ```no_run
/// # use foundry_client::{ChatRequest, FoundryClient, Message};
/// # #[derive(serde::Deserialize, schemars::JsonSchema)]
/// # struct City { name: String, population: u64 }
/// # async fn run(client: FoundryClient, request: ChatRequest) -> Result<(), foundry_client::Error> {
/// let city = client
///     .structured::<City>()
///     .check(|city| match city.population {
///         0 => Err("a city has inhabitants".to_owned()),
///         _ => Ok(()),
///     })
///     .repair(true) // one more request, quoting the problems, if the first answer does not fit
///     .chat(request)
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a structured call does nothing until `chat` or `stream` is awaited"]
pub struct StructuredCall<'c, T> {
    client: &'c FoundryClient,
    schema: Result<StructuredSchema<T>, Error>,
    check: Option<Check<T>>,
    repair: bool,
}

impl<T> fmt::Debug for StructuredCall<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StructuredCall")
            .field("schema", &self.schema)
            .field("check", &self.check.is_some())
            .field("repair", &self.repair)
            .finish_non_exhaustive()
    }
}

impl<'c, T: DeserializeOwned> StructuredCall<'c, T> {
    fn new(client: &'c FoundryClient, schema: Result<StructuredSchema<T>, Error>) -> Self {
        Self {
            client,
            schema,
            check: None,
            repair: false,
        }
    }

    /// The caller's own check, run last on the parsed value; an `Err` message becomes a problem
    /// of the [`InvalidStructuredOutput`](ErrorKind::InvalidStructuredOutput) error.
    pub fn check(
        mut self,
        check: impl Fn(&T) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.check = Some(Arc::new(check));
        self
    }

    /// When the answer does not fit, ask once more — the first answer and its problems quoted —
    /// and return that second result, whatever it is (off by default; never more than one
    /// repair). Streams are not repaired: their text is already out.
    pub fn repair(mut self, on: bool) -> Self {
        self.repair = on;
        self
    }

    /// Sends the request and returns the validated value with its answer.
    pub async fn chat(self, request: ChatRequest) -> Result<Structured<T>, Error> {
        let schema = self.schema?;
        let check = self.check.as_ref();
        let first = attempt(self.client, &schema, check, &request).await;
        let failure = match first {
            Err(error) if self.repair && error.kind() == ErrorKind::InvalidStructuredOutput => {
                error
            }
            other => return other,
        };
        tracing::info!(
            schema = schema.name(),
            problems = failure.problems().len(),
            "the answer did not fit its schema: asking once more"
        );
        let mut repaired = attempt(
            self.client,
            &schema,
            check,
            &repair_request(request, &failure),
        )
        .await?;
        repaired.attempts = 2;
        Ok(repaired)
    }

    /// Sends the request streamed: see [`StructuredStream`].
    pub async fn stream(self, request: ChatRequest) -> Result<StructuredStream<T>, Error> {
        let schema = self.schema?;
        let mode = fallback::mode_for(self.client);
        let shaped = fallback::shape(&request, schema.compiled(), mode);
        let (stream, mode) = match self.client.chat_stream(shaped).await {
            Err(error) if mode == JsonMode::JsonSchema && fallback::refuses_json_schema(&error) => {
                fallback::remember(self.client, &error);
                let shaped = fallback::shape(&request, schema.compiled(), JsonMode::JsonObject);
                (self.client.chat_stream(shaped).await?, JsonMode::JsonObject)
            }
            other => (other?, mode),
        };
        Ok(StructuredStream::new(stream, schema, self.check, mode))
    }
}

/// One request (two if the server refuses `json_schema`) and the validation of its answer.
async fn attempt<T: DeserializeOwned>(
    client: &FoundryClient,
    schema: &StructuredSchema<T>,
    check: Option<&Check<T>>,
    request: &ChatRequest,
) -> Result<Structured<T>, Error> {
    let mode = fallback::mode_for(client);
    let (response, mode) = match client
        .chat(fallback::shape(request, schema.compiled(), mode))
        .await
    {
        Err(error) if mode == JsonMode::JsonSchema && fallback::refuses_json_schema(&error) => {
            fallback::remember(client, &error);
            let shaped = fallback::shape(request, schema.compiled(), JsonMode::JsonObject);
            (client.chat(shaped).await?, JsonMode::JsonObject)
        }
        Err(error) => return Err(error),
        Ok(response) => (response, mode),
    };
    tracing::debug!(schema = schema.name(), ?mode, "structured answer received");
    let value = validated(schema, check, &response)?;
    Ok(Structured {
        value,
        response,
        mode,
        attempts: 1,
    })
}

/// The answer parsed, validated and checked.
pub(crate) fn validated<T: DeserializeOwned>(
    schema: &StructuredSchema<T>,
    check: Option<&Check<T>>,
    response: &ChatResponse,
) -> Result<T, Error> {
    let value = schema.parse_response(response)?;
    match check.map(|check| check(&value)) {
        Some(Err(problem)) => Err(schema.invalid(
            response.text().unwrap_or_default(),
            response.finish_reason().cloned(),
            vec![format!("the caller's check failed: {problem}")],
        )),
        _ => Ok(value),
    }
}

/// The request once more, with the failed answer and what was wrong with it.
fn repair_request(mut request: ChatRequest, failure: &Error) -> ChatRequest {
    if let Some(raw) = failure.raw_output().filter(|raw| !raw.is_empty()) {
        request.messages.push(Message::assistant(raw));
    }
    let mut problems = String::new();
    for problem in failure.problems() {
        problems.push_str("\n- ");
        problems.push_str(problem);
    }
    let cut = if failure.is_truncated() {
        "\nThe answer was also cut off by the length limit: keep it short."
    } else {
        ""
    };
    request.messages.push(Message::user(format!(
        "That answer is not valid:{problems}{cut}\nAnswer again with only the corrected JSON."
    )));
    request
}
