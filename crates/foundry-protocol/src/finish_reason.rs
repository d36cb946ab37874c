//! Why a choice stopped generating.

use serde::{Deserialize, Deserializer};

use crate::serde_util::open_string_enum;

open_string_enum! {
    /// Why the model stopped. Unknown values are kept; an empty string reads as "not finished".
    pub enum FinishReason {
        /// A natural end or a stop sequence.
        Stop => "stop",
        /// The token budget (`max_tokens`) or the context ran out.
        Length => "length",
        /// The model called tools.
        ToolCalls => "tool_calls",
        /// Output was withheld by a content filter.
        ContentFilter => "content_filter",
        /// The deprecated single function call.
        FunctionCall => "function_call",
    }
}

/// Reads an optional finish reason where `null`, a missing key and `""` all mean "not finished".
pub(crate) fn deserialize_finish_reason<'de, D>(
    deserializer: D,
) -> Result<Option<FinishReason>, D::Error>
where
    D: Deserializer<'de>,
{
    let text = Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    Ok(text
        .filter(|t| !t.is_empty())
        .map(|t| FinishReason::from(t.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "deserialize_finish_reason")]
        reason: Option<FinishReason>,
    }

    fn read(json: &str) -> Option<FinishReason> {
        serde_json::from_str::<Holder>(json).unwrap().reason
    }

    #[test]
    fn empty_null_and_missing_mean_not_finished() {
        assert_eq!(read(r#"{"reason":""}"#), None);
        assert_eq!(read(r#"{"reason":null}"#), None);
        assert_eq!(read("{}"), None);
    }

    #[test]
    fn known_and_unknown_values_survive() {
        assert_eq!(read(r#"{"reason":"length"}"#), Some(FinishReason::Length));
        assert_eq!(
            read(r#"{"reason":"eos_token"}"#),
            Some(FinishReason::Other("eos_token".into()))
        );
        assert_eq!(
            serde_json::to_string(&FinishReason::Other("eos_token".into())).unwrap(),
            r#""eos_token""#
        );
    }
}
