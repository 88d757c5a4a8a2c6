//! The string formats Backstage enforces (object names, DNS labels, tags, prefixed keys, URLs).

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`, 1..=63 characters.
pub fn is_object_name(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=63).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `^[a-z0-9]+(?:-+[a-z0-9]+)*$`, 1..=63 characters.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (1..=63).contains(&b.len()) && alnum(&b[0]) && alnum(&b[b.len() - 1]) && b.iter().all(|c| alnum(c) || *c == b'-')
}

/// Dot-separated DNS labels, 1..=253 characters.
pub fn is_dns_subdomain(s: &str) -> bool {
    (1..=253).contains(&s.len()) && s.split('.').all(is_dns_label)
}

/// `^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`, 1..=63 characters.
pub fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let part = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b':' | b'+' | b'#');
    (1..=63).contains(&b.len())
        && part(&b[0])
        && part(&b[b.len() - 1])
        && !s.contains("--")
        && b.iter().all(|c| part(c) || *c == b'-')
}

/// `^[a-zA-Z][a-zA-Z0-9]*$`, 1..=63 characters.
pub fn is_kind(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=63).contains(&b.len()) && b[0].is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric)
}

/// `apiVersion`: `suffix` or `prefix/suffix`, the prefix a DNS subdomain, the suffix alphanumeric.
pub fn is_api_version(s: &str) -> bool {
    let alnum = |p: &str| (1..=63).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric());
    match s.split_once('/') {
        None => alnum(s),
        Some((prefix, suffix)) => !suffix.contains('/') && is_dns_subdomain(prefix) && alnum(suffix),
    }
}

/// Label and annotation keys: `name` or `prefix/name`, the prefix a DNS subdomain.
pub fn is_prefixed_key(s: &str) -> bool {
    match s.split_once('/') {
        None => is_object_name(s),
        Some((prefix, name)) => !name.contains('/') && is_dns_subdomain(prefix) && is_object_name(name),
    }
}

/// Label values: empty, or an object name.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_object_name(s)
}

/// An absolute URL, as the WHATWG parser accepts it: a scheme, then something; the special
/// schemes (http, https, ws, wss, ftp) need a host.
pub fn is_absolute_url(s: &str) -> bool {
    let s = s.trim_matches(|c: char| c <= ' ');
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" | "ws" | "wss" | "ftp" => {
            let host = rest
                .trim_start_matches(['/', '\\'])
                .split(['/', '\\', '?', '#'])
                .next()
                .unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or("");
            !host.is_empty() && !host.contains([' ', '<', '>', '^', '|', '%'])
        }
        _ => true,
    }
}

/// Not empty after JavaScript's `trim()` (which, unlike Rust's, also trims U+FEFF).
pub fn is_non_blank(s: &str) -> bool {
    s.chars()
        .any(|c| !(c.is_whitespace() || c == '\u{feff}') || c == '\u{85}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "a",
            "A1",
            "acme.webshop.account.db",
            "process_settings-gem",
            &"x".repeat(63),
        ] {
            assert!(is_object_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a b", "Custom MS SQL Docker", "a/b", &"x".repeat(64)] {
            assert!(!is_object_name(bad), "{bad}");
        }
    }

    #[test]
    fn namespaces_and_tags() {
        assert!(is_dns_label("a--b") && is_dns_label("devex") && !is_dns_label("Bad") && !is_dns_label("a_b"));
        assert!(is_tag("java") && is_tag("a:b") && is_tag("c++") && is_tag("c#"));
        assert!(!is_tag("Java") && !is_tag("a_b") && !is_tag("a.b") && !is_tag("a--b") && !is_tag("-a"));
    }

    #[test]
    fn api_versions_and_keys() {
        assert!(is_api_version("backstage.io/v1alpha1") && is_api_version("v1"));
        assert!(!is_api_version("a/b/c") && !is_api_version("Backstage.io/v1"));
        assert!(is_prefixed_key("backstage.io/techdocs-ref") && is_prefixed_key("k8s_type"));
        assert!(!is_prefixed_key("a/b/c") && !is_prefixed_key(""));
    }

    #[test]
    fn urls() {
        assert!(
            is_absolute_url("https://example.com/x") && is_absolute_url("foo:bar") && is_absolute_url("mailto:a@b")
        );
        assert!(!is_absolute_url("www.x.com") && !is_absolute_url("/path") && !is_absolute_url("https://"));
    }
}
