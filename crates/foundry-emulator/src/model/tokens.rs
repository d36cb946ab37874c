//! Splitting text into tokens the way the real runtimes' tiny tokenizer does, and filler words.

/// Splits text into tokens: a word with the spaces before it, or one punctuation mark (with the
/// spaces before it). `"Hello! I am"` → `["Hello", "!", " I", " am"]`.
pub(crate) fn tokenize(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let end = if c.is_alphanumeric() || c == '\'' {
            let mut end = at + c.len_utf8();
            while let Some(&(next_at, next)) = chars.peek() {
                if next.is_alphanumeric() || next == '\'' {
                    end = next_at + next.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            end
        } else {
            at + c.len_utf8()
        };
        tokens.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        // Trailing spaces join the last token (or are one token on their own).
        match tokens.last_mut() {
            Some(last) => *last = &text[text.len() - last.len() - (text.len() - start)..],
            None => tokens.push(&text[start..]),
        }
    }
    tokens
}

/// Words of the filler answers: plain, short, and free of anything a JSON or SSE encoder would
/// have to escape, so byte counts stay predictable.
pub(crate) const WORDS: &[&str] = &[
    "local", "model", "answer", "token", "stream", "server", "client", "request", "quick",
    "steady", "bright", "calm", "river", "stone", "cloud", "signal", "garden", "paper", "window",
    "engine", "simple", "careful", "green", "silver", "small", "large", "early", "later", "north",
    "south", "light", "sound", "field", "forest", "ocean", "valley", "bridge", "market", "harbor",
    "orbit", "pixel", "vector", "matrix", "kernel", "buffer", "socket", "packet", "thread",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_their_leading_space_and_punctuation_stands_alone() {
        assert_eq!(
            tokenize("Hello! I am served by Foundry Local: one two."),
            vec![
                "Hello", "!", " I", " am", " served", " by", " Foundry", " Local", ":", " one",
                " two", "."
            ]
        );
        assert_eq!(tokenize(crate::catalog::TINY_ANSWER).len(), 24);
        assert_eq!(tokenize("a  "), vec!["a  "]);
        assert_eq!(tokenize("  "), vec!["  "]);
        assert_eq!(tokenize("").len(), 0);
        assert_eq!(tokenize("héllo wörld").concat(), "héllo wörld");
    }
}
