//! One chat answer, generated once and rendered by each dialect in its own wire shape.

use std::time::Duration;

use foundry_protocol::{
    ChatChoice, ChatChunk, ChatRequest, ChatResponse, ChunkChoice, CompletionTokensDetails, Delta,
    Message, PromptTokensDetails, Role, ToolCallDelta, Usage,
};

use crate::catalog::CatalogEntry;
use crate::faults::StructuredDefect;
use crate::model::{self, Choice};
use crate::shared::{Shared, unix_now};

/// How many pieces a tool call's arguments are streamed in (at most).
const ARGUMENT_PIECES: usize = 4;

/// A generated answer with everything a renderer needs.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) id: String,
    pub(crate) created: u64,
    /// The `model` the answer names (the id, or what the request said on the v1 Core).
    pub(crate) model: String,
    pub(crate) choices: Vec<Choice>,
    pub(crate) prompt_tokens: u64,
    pub(crate) include_usage: bool,
}

impl Answer {
    /// Generates the answer: `n` choices where the dialect honours `n`, else one. `defect`
    /// breaks a JSON answer (a `structured_output` fault).
    pub(crate) fn generate(
        shared: &Shared,
        entry: &CatalogEntry,
        request: &ChatRequest,
        model: String,
        honour_n: bool,
        defect: Option<StructuredDefect>,
    ) -> Self {
        let count = if honour_n {
            request.choice_count().min(16)
        } else {
            1
        };
        Self {
            id: format!(
                "chatcmpl-{:x}",
                model::SplitMix(shared.next_number()).next_u64()
            ),
            created: unix_now(),
            model,
            choices: model::generate(entry, request, shared.seed, count, defect),
            prompt_tokens: model::prompt_tokens(entry, &request.messages),
            include_usage: request
                .stream_options
                .as_ref()
                .and_then(|options| options.include_usage)
                .unwrap_or(false),
        }
    }

    pub(crate) fn completion_tokens(&self) -> u64 {
        self.choices.iter().map(|c| c.completion_tokens).sum()
    }

    /// Usage with only the three counts.
    pub(crate) fn usage(&self) -> Usage {
        Usage::new(self.prompt_tokens, self.completion_tokens())
    }

    /// Usage with the zero detail counts the C++ Core adds.
    pub(crate) fn detailed_usage(&self) -> Usage {
        let mut usage = self.usage();
        let mut prompt = PromptTokensDetails::default();
        prompt.cached_tokens = Some(0);
        let mut completion = CompletionTokensDetails::default();
        completion.reasoning_tokens = Some(0);
        usage.prompt_tokens_details = Some(prompt);
        usage.completion_tokens_details = Some(completion);
        usage
    }

    /// How long a non-streamed answer takes: first token plus one delay per further token.
    pub(crate) fn duration(&self, shared: &Shared) -> Duration {
        let tokens = self
            .choices
            .iter()
            .map(|c| c.completion_tokens)
            .max()
            .unwrap_or(0);
        let per_token = u32::try_from(tokens)
            .ok()
            .and_then(|tokens| shared.token_delay.checked_mul(tokens))
            .unwrap_or(Duration::MAX);
        shared.ttft.saturating_add(per_token)
    }

    /// The OpenAI non-streamed answer.
    pub(crate) fn response(&self) -> ChatResponse {
        let mut response = ChatResponse::default();
        response.id = Some(self.id.clone());
        response.object = Some("chat.completion".to_owned());
        response.created = Some(self.created);
        response.model = Some(self.model.clone());
        response.choices = self
            .choices
            .iter()
            .enumerate()
            .map(|(i, c)| ChatChoice::new(i as u32, message(c), Some(c.finish.clone())))
            .collect();
        response.usage = Some(self.usage());
        response
    }

    /// A chunk of this answer with the given choices.
    pub(crate) fn chunk(&self, choices: Vec<ChunkChoice>) -> ChatChunk {
        let mut chunk = ChatChunk::new(choices);
        chunk.id = Some(self.id.clone());
        chunk.object = Some("chat.completion.chunk".to_owned());
        chunk.created = Some(self.created);
        chunk.model = Some(self.model.clone());
        chunk
    }

    /// The deltas of every choice, one per token (tool calls: the head, then argument pieces).
    pub(crate) fn deltas(&self) -> Vec<Vec<Delta>> {
        self.choices.iter().map(deltas).collect()
    }

    /// The OpenAI stream: a role chunk, one chunk per token (choices interleaved), a finish
    /// chunk per choice with an empty delta, and a usage chunk when asked for.
    pub(crate) fn standard_chunks(&self) -> Vec<ChatChunk> {
        let mut chunks = Vec::new();
        let mut role = Delta::text("");
        role.role = Some(Role::Assistant);
        chunks.push(
            self.chunk(
                (0..self.choices.len())
                    .map(|i| ChunkChoice::new(i as u32, role.clone(), None))
                    .collect(),
            ),
        );
        let deltas = self.deltas();
        let longest = deltas.iter().map(Vec::len).max().unwrap_or(0);
        for step in 0..longest {
            for (i, choice) in deltas.iter().enumerate() {
                if let Some(delta) = choice.get(step) {
                    chunks.push(self.chunk(vec![ChunkChoice::new(i as u32, delta.clone(), None)]));
                }
            }
        }
        for (i, choice) in self.choices.iter().enumerate() {
            let finish = Some(choice.finish.clone());
            chunks.push(self.chunk(vec![ChunkChoice::new(i as u32, Delta::default(), finish)]));
        }
        if self.include_usage {
            let mut usage = self.chunk(Vec::new());
            usage.usage = Some(self.usage());
            chunks.push(usage);
        }
        chunks
    }
}

/// The assistant message of a choice.
pub(crate) fn message(choice: &Choice) -> Message {
    match &choice.tool_call {
        Some(call) => Message::assistant_tool_calls(vec![call.clone()]),
        None => Message::assistant(choice.text.clone()),
    }
}

fn deltas(choice: &Choice) -> Vec<Delta> {
    let Some(call) = &choice.tool_call else {
        return choice
            .pieces
            .iter()
            .map(|piece| Delta::text(piece.clone()))
            .collect();
    };
    let head = ToolCallDelta::new(
        0,
        Some(call.id.clone()),
        Some(call.function.name.clone()),
        Some(String::new()),
    );
    let mut out = vec![Delta::tool_calls(vec![head])];
    out.extend(
        split(&call.function.arguments, ARGUMENT_PIECES)
            .into_iter()
            .map(|piece| Delta::tool_calls(vec![ToolCallDelta::new(0, None, None, Some(piece))])),
    );
    out
}

/// Cuts text into at most `parts` pieces on character boundaries.
fn split(text: &str, parts: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(parts.max(1)).max(1);
    chars
        .chunks(size)
        .map(|piece| piece.iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_into_pieces_that_join_back() {
        let pieces = split(r#"{"city":"Zürich","days":3}"#, 4);
        assert_eq!(pieces.len(), 4);
        assert_eq!(pieces.concat(), r#"{"city":"Zürich","days":3}"#);
        assert_eq!(split("", 4).len(), 0);
    }
}
