//! The schema of an answer: derived from a Rust type (or given), compiled once into a validator,
//! and used to check answers.

use std::any::type_name;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

use foundry_protocol::{ChatResponse, ResponseFormat};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::parse;
use crate::error::Error;

/// The longest schema name servers take (OpenAI's limit; others are laxer).
const NAME_LIMIT: usize = 64;

/// The JSON Schema of the answers of type `T`, compiled into a validator.
///
/// Cheap to clone. [`derive`](Self::derive) builds it from `T`'s [`JsonSchema`] implementation
/// (compiled once per type and process); [`with_schema`](Self::with_schema) takes a schema
/// given at run time.
///
/// ```
/// use foundry_client::StructuredSchema;
/// use schemars::JsonSchema;
/// use serde::Deserialize;
///
/// #[derive(Debug, Deserialize, JsonSchema)]
/// struct City {
///     name: String,
///     population: u64,
/// }
///
/// let schema = StructuredSchema::<City>::derive()?;
/// let city = schema.parse(r#"{"name": "Lyon", "population": 522000}"#)?;
/// assert_eq!(city.population, 522_000);
/// let error = schema.parse(r#"{"name": "Lyon", "population": -1}"#).unwrap_err();
/// assert!(error.problems()[0].contains("/population"));
/// # Ok::<(), foundry_client::Error>(())
/// ```
pub struct StructuredSchema<T> {
    compiled: Arc<Compiled>,
    _answer: PhantomData<fn() -> T>,
}

/// A schema, its name and its validator.
pub(crate) struct Compiled {
    pub(crate) name: String,
    pub(crate) schema: Value,
    pub(crate) validator: jsonschema::Validator,
}

impl<T> Clone for StructuredSchema<T> {
    fn clone(&self) -> Self {
        Self {
            compiled: Arc::clone(&self.compiled),
            _answer: PhantomData,
        }
    }
}

impl<T> fmt::Debug for StructuredSchema<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StructuredSchema")
            .field("type", &type_name::<T>())
            .field("name", &self.compiled.name)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + JsonSchema> StructuredSchema<T> {
    /// The schema of `T`, as `schemars` derives it (JSON Schema 2020-12, shared definitions
    /// under `$defs`). Compiled on first use, then reused for the life of the process.
    ///
    /// Fails (as [`Config`](crate::ErrorKind::Config)) only when a hand-written `JsonSchema`
    /// implementation produces a schema the validator cannot compile.
    pub fn derive() -> Result<Self, Error> {
        static COMPILED: OnceLock<Mutex<HashMap<String, Arc<Compiled>>>> = OnceLock::new();
        let id = T::schema_id().into_owned();
        let cache = COMPILED.get_or_init(Mutex::default);
        if let Some(compiled) = lock(cache).get(&id) {
            return Ok(Self::from_compiled(Arc::clone(compiled)));
        }
        let schema = schemars::schema_for!(T).to_value();
        let compiled = Arc::new(Compiled::new(&T::schema_name(), schema)?);
        lock(cache).insert(id, Arc::clone(&compiled));
        Ok(Self::from_compiled(compiled))
    }
}

impl<T: DeserializeOwned> StructuredSchema<T> {
    /// A schema given at run time, named `name` for the server (characters other than letters,
    /// digits, `_` and `-` become `_`). Fails (as [`Config`](crate::ErrorKind::Config)) when the
    /// validator cannot compile it.
    pub fn with_schema(name: &str, schema: Value) -> Result<Self, Error> {
        Ok(Self::from_compiled(Arc::new(Compiled::new(name, schema)?)))
    }

    fn from_compiled(compiled: Arc<Compiled>) -> Self {
        Self {
            compiled,
            _answer: PhantomData,
        }
    }

    /// The name sent with the schema.
    pub fn name(&self) -> &str {
        &self.compiled.name
    }

    /// The JSON Schema itself.
    pub fn schema(&self) -> &Value {
        &self.compiled.schema
    }

    /// The `response_format` that asks a server for such answers:
    /// `{"type": "json_schema", "json_schema": {"name", "strict": true, "schema"}}`.
    pub fn response_format(&self) -> ResponseFormat {
        ResponseFormat::json_schema(self.compiled.name.clone(), self.compiled.schema.clone())
    }

    /// Parses an answer's text: JSON (a surrounding Markdown code fence is tolerated), valid
    /// against the schema, then deserialized into `T`. Anything else is an
    /// [`InvalidStructuredOutput`](crate::ErrorKind::InvalidStructuredOutput) error listing
    /// the problems.
    pub fn parse(&self, text: &str) -> Result<T, Error> {
        parse::parse::<T>(&self.compiled, text)
            .map_err(|problems| self.invalid(text.to_owned(), None, problems))
    }

    /// Parses the first choice of a chat answer, as [`parse`](Self::parse) does; the error also
    /// carries the finish reason (`length` when `max_tokens` cut the value short).
    pub fn parse_response(&self, response: &ChatResponse) -> Result<T, Error> {
        let raw = response.text().unwrap_or_default();
        let problems = match response.choices.first() {
            None => vec!["the answer has no choice".to_owned()],
            Some(choice) => match &choice.message.refusal {
                Some(refusal) => vec![format!("the model refused: {refusal}")],
                None => match parse::parse::<T>(&self.compiled, &raw) {
                    Ok(value) => return Ok(value),
                    Err(problems) => problems,
                },
            },
        };
        Err(self.invalid(raw, response.finish_reason().cloned(), problems))
    }

    /// The typed error for an answer that does not fit.
    pub(crate) fn invalid(
        &self,
        raw: String,
        finish_reason: Option<foundry_protocol::FinishReason>,
        problems: Vec<String>,
    ) -> Error {
        let what = format!("structured output `{}`", self.compiled.name);
        Error::invalid_structured_output(&what, raw, finish_reason, problems)
    }

    pub(crate) fn compiled(&self) -> &Compiled {
        &self.compiled
    }
}

impl Compiled {
    fn new(name: &str, schema: Value) -> Result<Self, Error> {
        // Formats (`date-time`, `email`, `uuid`, ...) are checked whatever the draft says: a
        // typed answer wants them right. Formats the validator does not know are ignored.
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| Error::config("JSON Schema of a structured answer", e.to_string()))?;
        Ok(Self {
            name: sanitize(name),
            schema,
            validator,
        })
    }
}

/// A name servers accept: letters, digits, `_` and `-`, at most 64 characters, never empty.
fn sanitize(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(NAME_LIMIT)
        .collect();
    if clean.is_empty() {
        "answer".to_owned()
    } else {
        clean
    }
}

fn lock<V>(mutex: &Mutex<V>) -> std::sync::MutexGuard<'_, V> {
    // The map is never left half-changed by a panic: recover it.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn names_are_made_acceptable() {
        assert_eq!(sanitize("Wrapper<City>"), "Wrapper_City_");
        assert_eq!(sanitize(""), "answer");
        assert_eq!(sanitize(&"x".repeat(100)).len(), 64);
    }
}
