//! The deterministic "model": answers, tool calls and embeddings drawn from a hash of the request.
//!
//! The same model, messages, request seed and emulator seed always give the same answer. Token
//! budgets, stop sequences and usage counts behave like a real server's: the answer is cut after
//! `max_tokens` tokens (`length`), or where a stop sequence appears (`stop`, the stop text
//! removed, its token counted), and usage counts what was generated. A request that asks for
//! JSON (`response_format`) is answered with JSON text under the same budget rules.

mod keywords;
mod rng;
mod schema;
#[cfg(test)]
mod schema_tests;
mod structured;
mod tokens;
mod tools;

use foundry_protocol::{ChatRequest, FinishReason, Message, ToolCall};

use crate::catalog::{CatalogEntry, Tokenizer};
use crate::faults::StructuredDefect;
pub(crate) use rng::{Hasher, SplitMix};
pub(crate) use tokens::tokenize;

/// One generated choice.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    /// The answer's text as it is streamed, one piece per token.
    pub(crate) pieces: Vec<String>,
    /// The whole text (the pieces joined).
    pub(crate) text: String,
    /// The tool call made instead of text.
    pub(crate) tool_call: Option<ToolCall>,
    pub(crate) finish: FinishReason,
    pub(crate) completion_tokens: u64,
}

/// Prompt tokens of a conversation, as the model's tokenizer counts them.
pub(crate) fn prompt_tokens(entry: &CatalogEntry, messages: &[Message]) -> u64 {
    let texts = messages.iter().map(|m| m.text().unwrap_or_default());
    match entry.tokenizer {
        Tokenizer::Words => texts.map(|text| tokenize(&text).len() as u64).sum(),
        // The tiny test tokenizer: `<|role|>` + bytes + `<|end|>` per message, then `<|assistant|>`.
        Tokenizer::Bytes => texts.map(|text| text.len() as u64 + 2).sum::<u64>() + 1,
    }
}

/// The generator's seed for one request and choice.
fn request_hash(entry: &CatalogEntry, request: &ChatRequest, seed: u64, choice: u32) -> SplitMix {
    let mut hasher = Hasher::new(seed);
    hasher.write(entry.id().as_bytes());
    for message in &request.messages {
        hasher.write(message.role.as_str().as_bytes());
        hasher.write(message.text().unwrap_or_default().as_bytes());
    }
    hasher.write(&request.seed.unwrap_or(0).to_le_bytes());
    hasher.write(&choice.to_le_bytes());
    hasher.rng()
}

/// Generates `count` choices for a request; `defect` breaks JSON answers (a fault's doing).
pub(crate) fn generate(
    entry: &CatalogEntry,
    request: &ChatRequest,
    seed: u64,
    count: u32,
    defect: Option<StructuredDefect>,
) -> Vec<Choice> {
    (0..count.max(1))
        .map(|index| {
            let mut rng = request_hash(entry, request, seed, index);
            match tools::forced_tool(request, &mut rng) {
                Some(tool) => tool_choice(tools::call(tool, &mut rng)),
                None => match structured::wanted(request) {
                    Some(wanted) => {
                        json_choice(request, structured::answer(wanted, &mut rng, defect))
                    }
                    None => text_choice(entry, request, &mut rng),
                },
            }
        })
        .collect()
}

/// A JSON answer: budget and stop sequences apply as to any text; a truncation defect cuts it
/// after half of its tokens.
fn json_choice(request: &ChatRequest, answer: structured::JsonAnswer) -> Choice {
    let tokens = tokenize(&answer.text);
    if answer.truncated {
        let kept = &tokens[..tokens.len() / 2];
        let pieces: Vec<String> = kept.iter().map(|t| (*t).to_owned()).collect();
        return finished(
            pieces,
            kept.concat(),
            FinishReason::Length,
            kept.len() as u64,
        );
    }
    within_budget(&tokens, request)
}

fn tool_choice(call: ToolCall) -> Choice {
    let completion_tokens = tokenize(&call.function.arguments).len() as u64 + 1;
    Choice {
        pieces: Vec::new(),
        text: String::new(),
        tool_call: Some(call),
        finish: FinishReason::ToolCalls,
        completion_tokens,
    }
}

fn text_choice(entry: &CatalogEntry, request: &ChatRequest, rng: &mut SplitMix) -> Choice {
    let filler;
    let natural: Vec<&str> = match &entry.fixed_answer {
        Some(answer) => tokenize(answer),
        None => {
            filler = filler_text(rng);
            tokenize(&filler)
        }
    };
    within_budget(&natural, request)
}

/// The natural answer's tokens as far as the request's budget and stop sequences let them go.
fn within_budget(natural: &[&str], request: &ChatRequest) -> Choice {
    let budget = request.token_budget().map_or(u64::MAX, u64::from);
    let stops: Vec<&str> = request
        .stop
        .as_ref()
        .map(|stop| {
            stop.sequences()
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();

    let mut text = String::new();
    let mut pieces: Vec<String> = Vec::new();
    let mut count = 0u64;
    for token in natural {
        if count == budget {
            return finished(pieces, text, FinishReason::Length, count);
        }
        count += 1;
        text.push_str(token);
        pieces.push((*token).to_owned());
        if let Some(at) = stops.iter().filter_map(|stop| text.find(stop)).min() {
            cut(&mut pieces, &mut text, at);
            return finished(pieces, text, FinishReason::Stop, count);
        }
    }
    // The end-of-text token needs room in the budget too: an answer that used it all is cut.
    let finish = if count >= budget {
        FinishReason::Length
    } else {
        FinishReason::Stop
    };
    finished(pieces, text, finish, count)
}

fn finished(pieces: Vec<String>, text: String, finish: FinishReason, count: u64) -> Choice {
    Choice {
        pieces,
        text,
        tool_call: None,
        finish,
        completion_tokens: count,
    }
}

/// Cuts the text (and the streamed pieces) at byte `at`, where a stop sequence begins.
fn cut(pieces: &mut Vec<String>, text: &mut String, at: usize) {
    text.truncate(at);
    let mut seen = 0;
    pieces.retain_mut(|piece| {
        let keep = at.saturating_sub(seen).min(piece.len());
        seen += piece.len();
        piece.truncate(keep);
        !piece.is_empty()
    });
}

/// A sentence or two of plain words: 12 to 35 tokens, ending with a full stop.
fn filler_text(rng: &mut SplitMix) -> String {
    let words = 10 + rng.below(24) as usize;
    let mut text = String::with_capacity(words * 8);
    for i in 0..words {
        let word = tokens::WORDS[rng.below(tokens::WORDS.len() as u64) as usize];
        if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                text.extend(first.to_uppercase());
                text.push_str(chars.as_str());
            }
        } else {
            text.push(' ');
            text.push_str(word);
            if i + 1 < words && rng.below(9) == 0 {
                text.push(',');
            }
        }
    }
    text.push('.');
    text
}

/// A unit-length embedding of `text`, stable for a model and seed.
pub(crate) fn embed(entry: &CatalogEntry, text: &str, seed: u64) -> Vec<f32> {
    let mut rng = Hasher::new(seed)
        .write(entry.id().as_bytes())
        .write(text.as_bytes())
        .rng();
    let raw: Vec<f64> = (0..entry.embedding_dimensions.max(1))
        .map(|_| rng.unit() * 2.0 - 1.0)
        .collect();
    let norm = raw
        .iter()
        .map(|x| x * x)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    raw.iter().map(|x| (x / norm) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use foundry_protocol::Stop;

    fn tiny_chat() -> CatalogEntry {
        Catalog::tiny().entries()[0].clone()
    }

    fn ask(entry: &CatalogEntry, edit: impl FnOnce(&mut ChatRequest)) -> Choice {
        let mut request = ChatRequest::new(entry.id(), [Message::user("hi")]);
        edit(&mut request);
        generate(entry, &request, 0, 1, None).remove(0)
    }

    #[test]
    fn the_tiny_model_answers_like_the_real_one() {
        let entry = tiny_chat();
        let full = ask(&entry, |_| {});
        assert_eq!(full.text, crate::catalog::TINY_ANSWER);
        assert_eq!(
            (full.completion_tokens, full.finish.clone()),
            (24, FinishReason::Stop)
        );
        let cut = ask(&entry, |r| r.max_tokens = Some(16));
        assert_eq!(
            cut.text,
            "Hello! I am a tiny test model served by Foundry Local: one two three"
        );
        assert_eq!(
            (cut.completion_tokens, cut.finish),
            (16, FinishReason::Length)
        );
        let stopped = ask(&entry, |r| r.stop = Some(Stop::Many(vec![" model".into()])));
        assert_eq!(stopped.text, "Hello! I am a tiny test");
        assert_eq!(stopped.pieces.concat(), stopped.text);
        assert_eq!(
            (stopped.completion_tokens, stopped.finish),
            (8, FinishReason::Stop)
        );
        let request = ChatRequest::new("x", [Message::system("be brief"), Message::user("hi")]);
        assert_eq!(prompt_tokens(&entry, &request.messages), 15);
    }

    #[test]
    fn a_stop_inside_a_token_cuts_the_piece() {
        let entry = tiny_chat();
        let stopped = ask(&entry, |r| r.stop = Some(Stop::One("ny t".into())));
        assert_eq!(stopped.text, "Hello! I am a ti");
        assert_eq!(stopped.pieces.last().map(String::as_str), Some(" ti"));
    }

    #[test]
    fn filler_answers_are_deterministic_and_seeded() {
        let entry = Catalog::default().entries()[1].clone();
        let a = ask(&entry, |_| {});
        let b = ask(&entry, |_| {});
        assert_eq!(a.text, b.text);
        assert_eq!(a.pieces.len() as u64, a.completion_tokens);
        assert!(a.text.ends_with('.'));
        let c = ask(&entry, |r| r.seed = Some(9));
        assert_ne!(a.text, c.text);
    }

    #[test]
    fn embeddings_are_unit_length_and_stable() {
        let entry = Catalog::tiny().entries()[1].clone();
        let v = embed(&entry, "hello", 0);
        assert_eq!(v.len(), 32);
        let norm: f32 = v.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        assert_eq!(v, embed(&entry, "hello", 0));
        assert_ne!(v, embed(&entry, "world", 0));
    }
}
