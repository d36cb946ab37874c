//! Assembles a streamed answer into the complete message, tool calls included.

use std::collections::BTreeMap;

use super::chunk::{ChatChunk, Delta, ToolCallDelta};
use super::message::{FunctionCall, Message, MessageContent, Role, ToolCall};
use super::response::{ChatChoice, ChatResponse};
use crate::finish_reason::FinishReason;
use crate::usage::Usage;

/// Builds the full [`ChatResponse`] from streamed chunks.
///
/// Text is concatenated, tool-call pieces are merged by their index into complete calls, the last
/// `usage` seen wins (some servers send a running total on every chunk), and a repeated `role`
/// is taken once. [`finish`](Self::finish) refuses a stream that did not end properly.
#[derive(Debug, Clone, Default)]
pub struct ChatAccumulator {
    expected_choices: u32,
    id: Option<String>,
    model: Option<String>,
    created: Option<u64>,
    system_fingerprint: Option<String>,
    choices: BTreeMap<u32, ChoiceState>,
    usage: Option<Usage>,
    chunks: usize,
    done: bool,
}

#[derive(Debug, Clone, Default)]
struct ChoiceState {
    role: Option<Role>,
    content: Option<String>,
    reasoning: Option<String>,
    refusal: Option<String>,
    tool_calls: Vec<ToolCall>,
    /// The wire index of each entry of `tool_calls` (`None` when the server sent none).
    tool_call_slots: Vec<Option<u32>>,
    finish_reason: Option<FinishReason>,
}

/// A stream that ended before the answer was complete, with what had arrived.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IncompleteStream {
    /// How many chunks had arrived.
    pub chunks: usize,
    /// The answer as far as it got (its choices may lack a finish reason). Boxed: the error
    /// travels up through `Result`s whose success value is much smaller.
    pub partial: Box<ChatResponse>,
}

impl IncompleteStream {
    /// An incomplete stream after `chunks` chunks, with the answer as far as it got.
    pub fn new(chunks: usize, partial: ChatResponse) -> Self {
        Self {
            chunks,
            partial: Box::new(partial),
        }
    }
}

impl ChatAccumulator {
    /// An accumulator for a request that asked for one choice.
    pub fn new() -> Self {
        Self::with_expected_choices(1)
    }

    /// An accumulator for a request that asked for `n` choices.
    ///
    /// With one choice expected, every delta extends choice 0 whatever its `index`: the legacy
    /// Foundry service numbers each chunk's choice 0, 1, 2, ... although there is only one.
    pub fn with_expected_choices(n: u32) -> Self {
        Self {
            expected_choices: n.max(1),
            ..Self::default()
        }
    }

    /// An accumulator sized for `request` (its `n`).
    pub fn for_request(request: &super::ChatRequest) -> Self {
        Self::with_expected_choices(request.choice_count())
    }

    /// Adds one chunk.
    pub fn push(&mut self, chunk: &ChatChunk) {
        self.chunks += 1;
        self.id = self.id.take().or_else(|| chunk.id.clone());
        self.model = self.model.take().or_else(|| chunk.model.clone());
        self.created = self.created.or(chunk.created);
        self.system_fingerprint = self
            .system_fingerprint
            .take()
            .or_else(|| chunk.system_fingerprint.clone());
        if let Some(usage) = &chunk.usage {
            self.usage = Some(usage.clone());
        }
        for choice in &chunk.choices {
            let index = if self.expected_choices == 1 {
                0
            } else {
                choice.index
            };
            let state = self.choices.entry(index).or_default();
            state.apply(&choice.delta);
            if choice.finish_reason.is_some() {
                state.finish_reason = choice.finish_reason.clone();
            }
        }
    }

    /// Records that the server sent `[DONE]`.
    pub fn push_done(&mut self) {
        self.done = true;
    }

    /// How many chunks were added.
    pub fn chunk_count(&self) -> usize {
        self.chunks
    }

    /// The text of choice 0 so far.
    pub fn text(&self) -> Option<&str> {
        self.choices
            .get(&0)
            .and_then(|state| state.content.as_deref())
    }

    /// Whether the stream has properly ended: `[DONE]` arrived, or every expected choice has a
    /// finish reason. A stream with no chunk at all is never complete.
    pub fn is_complete(&self) -> bool {
        let any_content = self.chunks > 0;
        let all_finished = self.choices.len() >= self.expected_choices as usize
            && self
                .choices
                .values()
                .all(|state| state.finish_reason.is_some());
        any_content && (self.done || all_finished)
    }

    /// The assembled answer, or [`IncompleteStream`] with the partial answer when the stream did
    /// not end properly (see [`is_complete`](Self::is_complete)).
    pub fn finish(self) -> Result<ChatResponse, IncompleteStream> {
        let complete = self.is_complete();
        let chunks = self.chunks;
        let response = self.into_response();
        if complete {
            Ok(response)
        } else {
            Err(IncompleteStream {
                chunks,
                partial: Box::new(response),
            })
        }
    }

    fn into_response(self) -> ChatResponse {
        ChatResponse {
            id: self.id,
            object: Some("chat.completion".to_owned()),
            created: self.created,
            model: self.model,
            choices: self
                .choices
                .into_iter()
                .map(|(index, state)| state.into_choice(index))
                .collect(),
            usage: self.usage,
            system_fingerprint: self.system_fingerprint,
        }
    }
}

impl ChoiceState {
    fn apply(&mut self, delta: &Delta) {
        if self.role.is_none() {
            self.role = delta.role.clone();
        }
        append(&mut self.content, delta.content.as_deref());
        append(&mut self.reasoning, delta.reasoning_content.as_deref());
        append(&mut self.refusal, delta.refusal.as_deref());
        for piece in &delta.tool_calls {
            self.merge_tool_call(piece);
        }
    }

    /// Merges a piece into the call it extends: by wire index when given, else by id, else the
    /// last call. Calls are kept in order of first appearance, so sparse or huge indices from a
    /// misbehaving server cost one slot each, never an allocation sized by the index.
    fn merge_tool_call(&mut self, piece: &ToolCallDelta) {
        let new_id = piece.id.as_deref().filter(|id| !id.is_empty());
        let existing = match piece.index {
            Some(index) => self
                .tool_call_slots
                .iter()
                .position(|slot| *slot == Some(index)),
            None => match (new_id, self.tool_calls.last()) {
                (Some(id), Some(last)) if last.id != id => None,
                (_, Some(_)) => Some(self.tool_calls.len() - 1),
                (_, None) => None,
            },
        };
        let position = existing.unwrap_or_else(|| {
            self.tool_calls.push(ToolCall::default());
            self.tool_call_slots.push(piece.index);
            self.tool_calls.len() - 1
        });
        let call = &mut self.tool_calls[position];
        if let Some(id) = new_id
            && call.id.is_empty()
        {
            call.id = id.to_owned();
        }
        if let Some(kind) = piece.kind.as_deref().filter(|kind| !kind.is_empty()) {
            call.kind = kind.to_owned();
        }
        if let Some(function) = &piece.function {
            merge_name(&mut call.function, function.name.as_deref());
            if let Some(arguments) = &function.arguments {
                call.function.arguments.push_str(arguments);
            }
        }
    }

    fn into_choice(self, index: u32) -> ChatChoice {
        let tool_calls = self
            .tool_calls
            .into_iter()
            .filter(|call| !call.id.is_empty() || !call.function.name.is_empty())
            .map(|mut call| {
                if call.kind.is_empty() {
                    call.kind = super::function_type();
                }
                call
            })
            .collect();
        let message = Message {
            role: self.role.unwrap_or_default(),
            content: self.content.map(MessageContent::Text),
            tool_calls,
            refusal: self.refusal,
            reasoning_content: self.reasoning,
            ..Message::default()
        };
        ChatChoice::new(index, message, self.finish_reason)
    }
}

fn append(target: &mut Option<String>, piece: Option<&str>) {
    if let Some(piece) = piece {
        target.get_or_insert_with(String::new).push_str(piece);
    }
}

/// Servers send the name once; a server that repeats it must not get it doubled.
fn merge_name(function: &mut FunctionCall, name: Option<&str>) {
    match name {
        Some(name) if !name.is_empty() && function.name != name => function.name.push_str(name),
        _ => {}
    }
}
