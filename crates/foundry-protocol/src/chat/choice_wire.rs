//! How a choice is read off the wire, for answers and stream chunks alike.
//!
//! Servers put the generated message under `message` (answers), `delta` (chunks), or both: the
//! legacy Foundry service sends `message` beside `delta` in chunks and `delta` alone in some
//! answers. One field is the choice's own, the other a fallback used when the first is absent
//! or `null`. The choice is read in one pass straight into its final type: a fallback that is
//! not needed is skipped unread, and no intermediate struct is built and moved (a chunk is
//! decoded hundreds of times per answer).
//!
//! Leniency, chosen on purpose: a fallback that arrives after the choice's own field is skipped
//! unread, so its shape is not checked (one that arrives before it is read and must be
//! well-formed, since the own field may never come). A repeated key keeps its last value, as
//! serde's derived readers do. A choice that is not a JSON object is a decode error.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::finish_reason::{FinishReason, deserialize_finish_reason};

/// The keys of a choice object; any other key is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    Index,
    Message,
    Delta,
    FinishReason,
    Logprobs,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "index" => Key::Index,
                    "message" => Key::Message,
                    "delta" => Key::Delta,
                    "finish_reason" => Key::FinishReason,
                    "logprobs" => Key::Logprobs,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// A choice type as read from the wire.
pub(super) trait WireChoice: Sized {
    /// What `message` or `delta` holds.
    type Body: for<'de> Deserialize<'de> + Default;
    /// The choice's own field; the other of `message` and `delta` is the fallback.
    const OWN: Key;
    /// Whether `logprobs` is kept (answers) or skipped (chunks).
    const KEEPS_LOGPROBS: bool;
    /// The choice from what was read.
    fn build(
        index: u32,
        body: Self::Body,
        finish_reason: Option<FinishReason>,
        logprobs: Option<Value>,
    ) -> Self;
}

/// Reads a choice of type `C`.
pub(super) fn read_choice<'de, D: Deserializer<'de>, C: WireChoice>(
    deserializer: D,
) -> Result<C, D::Error> {
    deserializer.deserialize_map(ChoiceVisitor(PhantomData))
}

struct ChoiceVisitor<C>(PhantomData<fn() -> C>);

impl<'de, C: WireChoice> Visitor<'de> for ChoiceVisitor<C> {
    type Value = C;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a choice object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<C, A::Error> {
        let mut index = 0;
        let mut body = None;
        let mut body_is_own = false;
        let mut finish_reason = None;
        let mut logprobs = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Index => index = map.next_value::<Option<u32>>()?.unwrap_or_default(),
                Key::Message | Key::Delta => {
                    let own = key == C::OWN;
                    if !own && body_is_own {
                        map.next_value::<IgnoredAny>()?;
                    } else if let Some(read) = map.next_value::<Option<C::Body>>()? {
                        body = Some(read);
                        body_is_own = own;
                    }
                }
                Key::FinishReason => finish_reason = map.next_value::<FinishReasonValue>()?.0,
                Key::Logprobs if C::KEEPS_LOGPROBS => {
                    logprobs = map.next_value::<Option<Value>>()?.filter(|v| !v.is_null());
                }
                Key::Logprobs | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(C::build(
            index,
            body.unwrap_or_default(),
            finish_reason,
            logprobs,
        ))
    }
}

/// A finish reason where `null`, a missing key and `""` all mean "not finished".
struct FinishReasonValue(Option<FinishReason>);

impl<'de> Deserialize<'de> for FinishReasonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_finish_reason(deserializer).map(Self)
    }
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
    fn a_choice_that_is_not_an_object_or_has_a_bad_field_is_an_error() {
        assert!(serde_json::from_str::<ChunkChoice>("[1]").is_err());
        assert!(serde_json::from_str::<ChunkChoice>(r#"{"index":"one"}"#).is_err());
        assert!(serde_json::from_str::<ChatChoice>(r#"{"message":7}"#).is_err());
    }
}
