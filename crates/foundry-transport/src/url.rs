//! Joining a request path to a base URL, by plain string rules.
//!
//! Deliberately not RFC 3986 reference resolution and not a URL parser: resolution would
//! drop a base path such as `/v1`, and parsers tempt one to normalise the path. Model
//! ids like `tiny-chat-generic-cpu:1` go into paths raw, and at least one real server
//! does not decode `%3A`, so the path is copied byte for byte.

use std::borrow::Cow;

/// True when `target` starts with `scheme://`.
pub(crate) fn is_absolute(target: &str) -> bool {
    let Some(colon) = target.find("://") else {
        return false;
    };
    let scheme = &target[..colon];
    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). A path like `/a://b`
    // therefore stays relative.
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `base` with `target` appended to its path, exactly one `/` between them.
pub(crate) fn join(base: &str, target: &str) -> String {
    let base = base.trim_end_matches('/');
    let mut url = String::with_capacity(base.len() + target.len() + 1);
    url.push_str(base);
    if !target.is_empty() && !target.starts_with(['/', '?', '#']) {
        url.push('/');
    }
    url.push_str(target);
    url
}

/// The path of `target` (absolute or relative), without query or fragment, starting
/// with `/`.
pub(crate) fn path_of(target: &str) -> Cow<'_, str> {
    let rest = if is_absolute(target) {
        let after_scheme = target.find("://").map_or(target, |i| &target[i + 3..]);
        // The authority ends at the first `/`, `?` or `#`.
        let path_start = after_scheme
            .find(['/', '?', '#'])
            .unwrap_or(after_scheme.len());
        &after_scheme[path_start..]
    } else {
        target
    };
    let path = rest.find(['?', '#']).map_or(rest, |end| &rest[..end]);
    if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("/{path}"))
    }
}

/// Whether `url`'s host is this machine: `localhost`, `127.0.0.0/8` or `[::1]`. Only then may an
/// API key go over plain `http`, and a process id the server reports name one of our processes.
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `url` with any `user:password@` replaced, for error messages and `Debug`.
#[cfg(any(feature = "reqwest", feature = "mock"))]
pub(crate) fn redact_userinfo(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return Cow::Borrowed(url);
    };
    let rest = &url[scheme_end..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => Cow::Owned(format!(
            "{}<redacted>@{}",
            &url[..scheme_end],
            &url[scheme_end + at + 1..]
        )),
        None => Cow::Borrowed(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognized() {
        for url in [
            "http://127.0.0.1:5272",
            "http://localhost",
            "http://[::1]:8080/v1",
            "http://user:pw@127.0.0.2:1",
            "http://127.0.0.1:5272/v1",
            "http://localhost:8080?x",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            "http://10.0.0.1:5272",
            "http://example.com",
            "http://127.0.0.1.example.com",
            "http://example.invalid/",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }

    #[test]
    fn absolute_needs_a_scheme() {
        assert!(is_absolute("http://127.0.0.1:5272/v1/models"));
        assert!(is_absolute("HTTPS://h/"));
        assert!(!is_absolute("/v1/models"));
        assert!(!is_absolute("/models/phi:1://x"));
        assert!(!is_absolute("tiny-chat-generic-cpu:1"));
        assert!(!is_absolute("://x"));
    }

    #[test]
    fn join_keeps_the_base_path_and_one_slash() {
        assert_eq!(join("http://h:1", "/v1/models"), "http://h:1/v1/models");
        assert_eq!(join("http://h:1/", "/v1/models"), "http://h:1/v1/models");
        assert_eq!(join("http://h:1/v1", "models"), "http://h:1/v1/models");
        assert_eq!(
            join("http://h:1/v1/", "/chat/completions"),
            "http://h:1/v1/chat/completions"
        );
        assert_eq!(join("http://h:1/v1", "?x=1"), "http://h:1/v1?x=1");
        assert_eq!(join("http://h:1/v1/", ""), "http://h:1/v1");
    }

    #[test]
    fn join_leaves_colons_and_escapes_alone() {
        assert_eq!(
            join("http://h:1", "/openai/load/tiny-chat-generic-cpu:1?ttl=60"),
            "http://h:1/openai/load/tiny-chat-generic-cpu:1?ttl=60"
        );
        assert_eq!(join("http://h:1", "/a%2Fb"), "http://h:1/a%2Fb");
    }

    #[test]
    fn path_strips_scheme_authority_query_and_fragment() {
        assert_eq!(path_of("http://h:1/v1/models?x=1"), "/v1/models");
        assert_eq!(path_of("http://h:1"), "/");
        assert_eq!(path_of("http://h:1?x"), "/");
        assert_eq!(path_of("/models/m:1#frag"), "/models/m:1");
        assert_eq!(path_of("v1/models"), "/v1/models");
    }

    #[test]
    #[cfg(any(feature = "reqwest", feature = "mock"))]
    fn userinfo_is_redacted() {
        assert_eq!(
            redact_userinfo("http://u:pw@h:1/p@x"),
            "http://<redacted>@h:1/p@x"
        );
        assert_eq!(redact_userinfo("http://h:1/p@x"), "http://h:1/p@x");
        assert_eq!(redact_userinfo("/relative"), "/relative");
    }
}
