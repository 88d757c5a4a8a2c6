//! Addresses from outside as links: http(s), `mailto:` and paths of this site, nothing else.

/// `url` if a browser following it can only load a web page or open a mail client: `http://`,
/// `https://`, `mailto:`, or a path of this site (`/catalog/…`). Everything else is `None`:
/// `javascript:`, `data:`, `vbscript:`, any other scheme, `//host` and `/\host` (another host
/// behind a relative-looking path), and addresses with whitespace or control characters, which
/// browsers strip before reading the scheme (`java\tscript:`).
pub fn href(url: &str) -> Option<&str> {
    if url.is_empty() || url.len() > 8192 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let web = lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:");
    let own_path = url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\");
    (web || own_path).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::href;

    #[test]
    fn web_addresses_and_own_paths_are_links() {
        for ok in [
            "https://example.com/a?b#c",
            "HTTP://example.com",
            "mailto:team@example.com",
            "/catalog/default/component/x",
        ] {
            assert_eq!(href(ok), Some(ok), "{ok}");
        }
    }

    #[test]
    fn anything_a_browser_could_run_or_send_elsewhere_is_not() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "//evil.example/x",
            "/\\evil.example",
            "file:///etc/passwd",
            "relative/path",
            "https://exa mple.com",
            "",
        ] {
            assert_eq!(href(bad), None, "{bad:?}");
        }
    }
}
