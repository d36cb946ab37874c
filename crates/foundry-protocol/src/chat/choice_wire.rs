//! How a choice is read off the wire, for answers and stream chunks alike.
//!
//! Servers put the generated message under `message` (answers), `delta` (chunks), or both: the
//! legacy Foundry service sends `message` beside `delta` in chunks and `delta` alone in some
//! non-streamed answers. Both are read; the choice's own field wins, the other is the fallback
//! when the own one is absent or `null`.

use serde::Deserialize;
use serde_json::Value;

use crate::finish_reason::{FinishReason, deserialize_finish_reason};
use crate::serde_util::null_as_default;

/// A choice as sent, before its message or delta is picked.
#[derive(Deserialize)]
pub(super) struct ChoiceWire<B> {
    #[serde(default, deserialize_with = "null_as_default")]
    pub(super) index: u32,
    #[serde(default)]
    pub(super) message: Option<B>,
    #[serde(default)]
    pub(super) delta: Option<B>,
    #[serde(default, deserialize_with = "deserialize_finish_reason")]
    pub(super) finish_reason: Option<FinishReason>,
    #[serde(default)]
    pub(super) logprobs: Option<Value>,
}

#[cfg(test)]
mod tests {
    use crate::{ChatChoice, ChunkChoice, FinishReason};

    fn chunk(json: &str) -> ChunkChoice {
        serde_json::from_str(json).unwrap()
    }

    fn answer(json: &str) -> ChatChoice {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_own_field_wins_in_either_order_and_the_other_is_a_fallback() {
        let both = r#"{"message":{"content":"m"},"delta":{"content":"d"}}"#;
        assert_eq!(chunk(both).delta.content.as_deref(), Some("d"));
        let both = r#"{"delta":{"content":"d"},"message":{"content":"m"}}"#;
        assert_eq!(chunk(both).delta.content.as_deref(), Some("d"));
        assert_eq!(answer(both).message.text().as_deref(), Some("m"));
        let fallback = r#"{"delta":null,"message":{"content":"m"}}"#;
        assert_eq!(chunk(fallback).delta.content.as_deref(), Some("m"));
        let fallback = r#"{"delta":{"content":"d"},"message":null}"#;
        assert_eq!(answer(fallback).message.text().as_deref(), Some("d"));
        assert_eq!(chunk("{}").delta, crate::Delta::default());
    }

    #[test]
    fn index_finish_reason_and_logprobs_read_leniently() {
        let choice = chunk(r#"{"index":null,"finish_reason":"","logprobs":{"x":1},"Extra":[1]}"#);
        assert_eq!((choice.index, choice.finish_reason), (0, None));
        let choice = answer(r#"{"index":2,"finish_reason":"length","logprobs":{"x":1}}"#);
        assert_eq!(choice.index, 2);
        assert_eq!(choice.finish_reason, Some(FinishReason::Length));
        assert_eq!(choice.logprobs, Some(serde_json::json!({"x": 1})));
        assert_eq!(answer(r#"{"logprobs":null}"#).logprobs, None);
    }

    #[test]
    fn a_choice_with_a_bad_field_is_an_error() {
        assert!(serde_json::from_str::<ChunkChoice>("7").is_err());
        assert!(serde_json::from_str::<ChunkChoice>(r#"{"index":"one"}"#).is_err());
        assert!(serde_json::from_str::<ChatChoice>(r#"{"message":7}"#).is_err());
        // Either field is read, so a malformed fallback is an error wherever it stands.
        assert!(
            serde_json::from_str::<ChunkChoice>(r#"{"delta":{"content":"a"},"message":7}"#)
                .is_err()
        );
        assert!(
            serde_json::from_str::<ChunkChoice>(r#"{"message":7,"delta":{"content":"a"}}"#)
                .is_err()
        );
    }
}
