//! Where to go after signing in: only a path of the portal itself, so a crafted link cannot use
//! the sign-in to send people to another site (an open redirect).

/// Longest `returnTo` kept.
const MAX_LEN: usize = 2048;

/// `candidate` if it is a path of this portal, else `/`.
pub fn safe_return_to(candidate: Option<&str>) -> String {
    // Not trimmed: a path with surrounding whitespace or a raw line break is no link of ours.
    let Some(path) = candidate else {
        return "/".into();
    };
    let ok = path.len() <= MAX_LEN
        && path.starts_with('/')
        // `//host` and `/\host` are read by browsers as another host.
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control() || c == '\\')
        // Never back into the sign-in machinery.
        && !path.starts_with("/api/auth/");
    if ok { path.to_string() } else { "/".into() }
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn only_portal_paths_are_kept() {
        assert_eq!(
            safe_return_to(Some("/catalog?kind=component#x")),
            "/catalog?kind=component#x"
        );
        assert_eq!(safe_return_to(None), "/");
        for evil in [
            "https://evil.example",
            "//evil.example/x",
            "/\\evil.example",
            "/%0d%0aLocation: x\r\n",
            "javascript:alert(1)",
            "evil.example",
            "/a\\b",
            "/api/auth/login",
            " //evil.example",
        ] {
            assert_eq!(safe_return_to(Some(evil)), "/", "{evil:?}");
        }
    }
}
