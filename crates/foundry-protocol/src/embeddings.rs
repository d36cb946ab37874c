//! Embeddings (`POST /v1/embeddings`).

use serde::{Deserialize, Serialize};

use crate::decode_error::{DecodeError, from_json};
use crate::serde_util::null_as_default;
use crate::usage::Usage;

/// A request to `POST /v1/embeddings`.
///
/// `encoding_format` is always sent and defaults to `float`: some clients default to base64, and a
/// server that honours it would then answer in a form the caller did not ask for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmbeddingsRequest {
    /// The embedding model.
    pub model: String,
    /// The texts (or token arrays) to embed.
    pub input: EmbeddingInput,
    /// How vectors are encoded in the answer.
    #[serde(default)]
    pub encoding_format: EncodingFormat,
    /// Truncate vectors to this many dimensions, where the model supports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// An end-user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

impl EmbeddingsRequest {
    /// A request embedding `input` with `model`, as floats.
    pub fn new(model: impl Into<String>, input: impl Into<EmbeddingInput>) -> Self {
        Self {
            model: model.into(),
            input: input.into(),
            encoding_format: EncodingFormat::Float,
            dimensions: None,
            user: None,
        }
    }
}

/// What to embed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingInput {
    /// One text.
    Text(String),
    /// Several texts.
    Texts(Vec<String>),
    /// Token ids (not every server accepts them: Foundry Local answers 400).
    Tokens(Vec<u32>),
}

impl From<&str> for EmbeddingInput {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for EmbeddingInput {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<Vec<String>> for EmbeddingInput {
    fn from(texts: Vec<String>) -> Self {
        Self::Texts(texts)
    }
}

impl From<Vec<&str>> for EmbeddingInput {
    fn from(texts: Vec<&str>) -> Self {
        Self::Texts(texts.into_iter().map(str::to_owned).collect())
    }
}

/// The encoding of returned vectors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncodingFormat {
    /// JSON arrays of numbers.
    #[default]
    Float,
    /// Base64 of little-endian `f32`s.
    Base64,
}

/// The answer of `POST /v1/embeddings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmbeddingsResponse {
    /// `list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// One vector per input, by index.
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<Embedding>,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Token counts (absent on some servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

impl EmbeddingsResponse {
    /// Decodes an embeddings body.
    pub fn from_slice(body: &[u8]) -> Result<Self, DecodeError> {
        from_json("embeddings", body)
    }
}

/// One embedding vector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Embedding {
    /// Which input it belongs to.
    #[serde(default, deserialize_with = "null_as_default")]
    pub index: u32,
    /// The vector, as floats (a base64 answer is decoded on reading).
    #[serde(deserialize_with = "vector::deserialize")]
    pub embedding: Vec<f32>,
}

mod vector {
    use serde::{Deserialize, Deserializer, de::Error};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Floats(Vec<f32>),
        Base64(String),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<f32>, D::Error> {
        match Wire::deserialize(deserializer)? {
            Wire::Floats(floats) => Ok(floats),
            Wire::Base64(text) => {
                decode_base64_f32(&text).ok_or_else(|| D::Error::custom("invalid base64 embedding"))
            }
        }
    }

    /// Decodes standard base64 of little-endian `f32`s.
    pub(super) fn decode_base64_f32(text: &str) -> Option<Vec<f32>> {
        let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
        let mut accumulator = 0u32;
        let mut bits = 0;
        for c in text
            .bytes()
            .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        {
            let value = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' | b'-' => 62,
                b'/' | b'_' => 63,
                _ => return None,
            };
            accumulator = (accumulator << 6) | u32::from(value);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                bytes.push((accumulator >> bits) as u8);
            }
        }
        if bytes.len() % 4 != 0 {
            return None;
        }
        Some(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_send_float_encoding_by_default() {
        let body = serde_json::to_value(EmbeddingsRequest::new("m", "hi")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"model": "m", "input": "hi", "encoding_format": "float"})
        );
    }

    #[test]
    fn base64_vectors_decode_to_floats() {
        // [1.0, -2.5] as little-endian f32: 00 00 80 3f 00 00 20 c0.
        let body = br#"{"data":[{"index":0,"embedding":"AACAPwAAIMA="}]}"#;
        assert_eq!(
            EmbeddingsResponse::from_slice(body).unwrap().data[0].embedding,
            vec![1.0, -2.5]
        );
        assert!(EmbeddingsResponse::from_slice(br#"{"data":[{"embedding":"!!"}]}"#).is_err());
        assert!(EmbeddingsResponse::from_slice(br#"{"data":[{"embedding":"AAA="}]}"#).is_err());
    }
}
