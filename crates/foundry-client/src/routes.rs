//! The paths of each server kind. Model names go into paths raw: Foundry's C++ Core does not
//! decode paths, so `tiny-chat-generic-cpu:1` must never become `%3A1`.

use crate::server::ServerKind;

pub(crate) const CHAT: &str = "/v1/chat/completions";
pub(crate) const COMPLETIONS: &str = "/v1/completions";
pub(crate) const EMBEDDINGS: &str = "/v1/embeddings";
pub(crate) const MODELS: &str = "/v1/models";

/// The legacy service's catalog.
pub(crate) const LEGACY_CATALOG: &str = "/foundry/list";
/// The legacy service's downloaded models.
pub(crate) const LEGACY_CACHED: &str = "/openai/models";
/// The legacy service's download.
pub(crate) const LEGACY_DOWNLOAD: &str = "/openai/download";

/// The list of loaded models, where the server has one.
pub(crate) fn loaded(kind: ServerKind) -> Option<&'static str> {
    match kind {
        ServerKind::FoundryLegacy => Some("/openai/loadedmodels"),
        ServerKind::FoundryCore1 | ServerKind::FoundryCore2 => Some("/models/loaded"),
        _ => None,
    }
}

/// The load path of `name`, with a TTL where the server takes one.
pub(crate) fn load(
    kind: ServerKind,
    name: &str,
    ttl: Option<std::time::Duration>,
) -> Option<String> {
    match kind {
        ServerKind::FoundryLegacy => Some(match ttl {
            Some(ttl) => format!("/openai/load/{}?ttl={}", path_segment(name), ttl.as_secs()),
            None => format!("/openai/load/{}", path_segment(name)),
        }),
        ServerKind::FoundryCore1 | ServerKind::FoundryCore2 => {
            Some(format!("/models/load/{}", path_segment(name)))
        }
        _ => None,
    }
}

/// The unload path of `name`.
pub(crate) fn unload(kind: ServerKind, name: &str, force: bool) -> Option<String> {
    match kind {
        ServerKind::FoundryLegacy => Some(format!(
            "/openai/unload/{}?force={force}",
            path_segment(name)
        )),
        ServerKind::FoundryCore1 | ServerKind::FoundryCore2 => {
            Some(format!("/models/unload/{}", path_segment(name)))
        }
        _ => None,
    }
}

/// Escapes what a path segment cannot hold, and nothing else: `:` stays as it is.
pub(crate) fn path_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b':'
            | b'@'
            | b'!'
            | b'$'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'=' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colons_are_never_encoded_but_slashes_and_spaces_are() {
        assert_eq!(
            path_segment("tiny-chat-generic-cpu:1"),
            "tiny-chat-generic-cpu:1"
        );
        assert_eq!(path_segment("a/b c?"), "a%2Fb%20c%3F");
        assert_eq!(
            load(ServerKind::FoundryCore2, "phi-4-mini", None).unwrap(),
            "/models/load/phi-4-mini"
        );
        assert_eq!(
            load(
                ServerKind::FoundryLegacy,
                "Phi-4-mini-instruct-generic-cpu:4",
                Some(std::time::Duration::from_secs(600))
            )
            .unwrap(),
            "/openai/load/Phi-4-mini-instruct-generic-cpu:4?ttl=600"
        );
        assert_eq!(unload(ServerKind::LlamaCpp, "x", true), None);
    }
}
