//! The routes each dialect serves, and matching a request to one.

use hyper::Method;

use crate::config::Dialect;

/// Every route of every dialect; the position is the stats slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Route {
    OpenaiStatus,
    FoundryList,
    OpenaiModels,
    OpenaiLoadedModels,
    OpenaiLoad,
    OpenaiUnload,
    OpenaiUnloadAll,
    OpenaiDownload,
    Status,
    Models,
    ModelById,
    ModelsLoaded,
    ModelsLoad,
    ModelsUnload,
    ChatCompletions,
    Embeddings,
    /// No route matched (or the method did not).
    Unmatched,
}

impl Route {
    pub(crate) const COUNT: usize = 17;

    pub(crate) const ALL: [Route; Self::COUNT] = [
        Self::OpenaiStatus,
        Self::FoundryList,
        Self::OpenaiModels,
        Self::OpenaiLoadedModels,
        Self::OpenaiLoad,
        Self::OpenaiUnload,
        Self::OpenaiUnloadAll,
        Self::OpenaiDownload,
        Self::Status,
        Self::Models,
        Self::ModelById,
        Self::ModelsLoaded,
        Self::ModelsLoad,
        Self::ModelsUnload,
        Self::ChatCompletions,
        Self::Embeddings,
        Self::Unmatched,
    ];

    /// Method and path template, e.g. `POST /v1/chat/completions`; `unmatched` for no route.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::OpenaiStatus => "GET /openai/status",
            Self::FoundryList => "GET /foundry/list",
            Self::OpenaiModels => "GET /openai/models",
            Self::OpenaiLoadedModels => "GET /openai/loadedmodels",
            Self::OpenaiLoad => "GET /openai/load/{name}",
            Self::OpenaiUnload => "GET /openai/unload/{name}",
            Self::OpenaiUnloadAll => "GET /openai/unloadall",
            Self::OpenaiDownload => "POST /openai/download",
            Self::Status => "GET /status",
            Self::Models => "GET /v1/models",
            Self::ModelById => "GET /v1/models/{name}",
            Self::ModelsLoaded => "GET /models/loaded",
            Self::ModelsLoad => "GET /models/load/{name}",
            Self::ModelsUnload => "GET /models/unload/{name}",
            Self::ChatCompletions => "POST /v1/chat/completions",
            Self::Embeddings => "POST /v1/embeddings",
            Self::Unmatched => "unmatched",
        }
    }

    /// The path template alone (`/models/load/{name}`).
    pub(crate) fn template(self) -> &'static str {
        let key = self.key();
        key.split_once(' ').map_or(key, |(_, path)| path)
    }

    fn method(self) -> Method {
        if self.key().starts_with("POST") {
            Method::POST
        } else {
            Method::GET
        }
    }

    fn routes(dialect: Dialect) -> &'static [Route] {
        match dialect {
            Dialect::Legacy => &[
                Self::OpenaiStatus,
                Self::FoundryList,
                Self::OpenaiModels,
                Self::OpenaiLoadedModels,
                Self::OpenaiLoad,
                Self::OpenaiUnload,
                Self::OpenaiUnloadAll,
                Self::OpenaiDownload,
                Self::Models,
                Self::ChatCompletions,
                Self::Embeddings,
            ],
            Dialect::Core1 | Dialect::Core2 => &[
                Self::Status,
                Self::Models,
                Self::ModelById,
                Self::ModelsLoaded,
                Self::ModelsLoad,
                Self::ModelsUnload,
                Self::ChatCompletions,
                Self::Embeddings,
            ],
        }
    }
}

/// What a request path and method matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matched<'a> {
    /// A route, with the `{name}` segment as it appeared in the path (not decoded).
    Found(Route, Option<&'a str>),
    /// The path exists for these other methods.
    WrongMethod(&'static str),
    NotFound,
}

/// Matches a raw (not percent-decoded) path against the dialect's routes.
pub(crate) fn match_route<'a>(dialect: Dialect, method: &Method, path: &'a str) -> Matched<'a> {
    let mut allowed: Option<&'static str> = None;
    for &route in Route::routes(dialect) {
        let template = route.template();
        let param = match template.strip_suffix("{name}") {
            Some(prefix) => match path.strip_prefix(prefix) {
                Some(name) if !name.is_empty() && !name.contains('/') => Some(name),
                _ => continue,
            },
            None if path == template => None,
            None => continue,
        };
        if route.method() == *method {
            return Matched::Found(route, param);
        }
        allowed = Some(if route.method() == Method::GET {
            "GET"
        } else {
            "POST"
        });
    }
    allowed.map_or(Matched::NotFound, Matched::WrongMethod)
}

/// Decodes `%XX` escapes (the Kestrel-hosted servers decode paths; the C++ Core does not).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of a query parameter, if present.
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_with_raw_names() {
        let core2 = Dialect::Core2;
        assert_eq!(
            match_route(
                core2,
                &Method::GET,
                "/models/load/tiny-chat-generic-cpu%3A1"
            ),
            Matched::Found(Route::ModelsLoad, Some("tiny-chat-generic-cpu%3A1"))
        );
        assert_eq!(
            match_route(core2, &Method::POST, "/v1/models"),
            Matched::WrongMethod("GET")
        );
        assert_eq!(
            match_route(core2, &Method::GET, "/v1/nothing"),
            Matched::NotFound
        );
        assert_eq!(
            match_route(core2, &Method::GET, "/openai/status"),
            Matched::NotFound
        );
        assert_eq!(
            match_route(Dialect::Legacy, &Method::GET, "/openai/load/a:1"),
            Matched::Found(Route::OpenaiLoad, Some("a:1"))
        );
        assert_eq!(Route::ALL.len(), Route::COUNT);
        assert!(Route::ALL.iter().enumerate().all(|(i, r)| *r as usize == i));
    }

    #[test]
    fn decoding_and_queries() {
        assert_eq!(percent_decode("a%3A1%zz%"), "a:1%zz%");
        assert_eq!(query_param(Some("ttl=5&ep=cpu&force"), "ep"), Some("cpu"));
        assert_eq!(query_param(Some("ttl=5&force"), "force"), Some(""));
        assert_eq!(query_param(None, "ttl"), None);
    }
}
