//! Which hosts and paths may be read: Backstage's `backend.reading.allow` patterns.

/// One entry of `backend.reading.allow` (Backstage's shape), or an integration's host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowRule {
    /// `example.com` (default port only), `example.com:8080`, or `*.example.com` (any subdomain,
    /// not the domain itself), as Backstage matches them against a URL's host and port.
    pub host: String,
    /// Path prefixes (`/org/`); empty allows every path.
    pub paths: Vec<String>,
}

impl AllowRule {
    /// Any path of `host`.
    pub fn host(host: impl Into<String>) -> AllowRule {
        AllowRule {
            host: host.into(),
            paths: Vec::new(),
        }
    }

    /// True when `authority` (`host` or `host:port`, the port only when not the scheme's
    /// default, lower case) is this rule's.
    pub fn matches_host(&self, authority: &str) -> bool {
        let host = self.host.to_ascii_lowercase();
        match host.strip_prefix('*') {
            Some(suffix) if suffix.starts_with('.') => authority.ends_with(suffix) && authority.len() > suffix.len(),
            _ => authority == host,
        }
    }

    /// True when the (normalised) `path` starts with one of the rule's paths, or when there are none.
    pub fn matches_path(&self, path: &str) -> bool {
        let path = normalize(path);
        self.paths.is_empty() || self.paths.iter().any(|p| path.starts_with(p.as_str()))
    }

    /// For a whole repository at `repo_path`: a rule path that contains it (`/org/` for
    /// `/org/repo`) or lies inside it (`/org/repo/blob/main/`, as written for `url` locations).
    pub fn matches_repository(&self, repo_path: &str) -> bool {
        let repo = normalize(repo_path);
        let repo = repo.trim_end_matches('/');
        self.paths.is_empty()
            || self.paths.iter().any(|p| {
                let inside = p
                    .strip_prefix(repo)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
                repo.starts_with(p.as_str()) || format!("{repo}/").starts_with(p.as_str()) || inside
            })
    }
}

/// `path` with `.` and `..` segments resolved (as Node's `path.posix.normalize`, which Backstage
/// applies before matching), so `/allowed/../secret` is not taken for `/allowed/`.
pub fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "." => {}
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(host: &str, paths: &[&str]) -> AllowRule {
        AllowRule {
            host: host.into(),
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn hosts_match_as_backstage_matches_them() {
        let exact = rule("example.com", &[]);
        assert!(exact.matches_host("example.com"));
        assert!(!exact.matches_host("example.com:8080"), "a port must be named");
        assert!(!exact.matches_host("sub.example.com"));
        assert!(!exact.matches_host("example.com.evil.net"));
        assert!(!exact.matches_host("notexample.com"));
        let port = rule("example.com:8080", &[]);
        assert!(port.matches_host("example.com:8080"));
        assert!(!port.matches_host("example.com"));
        let wildcard = rule("*.Example.com", &[]);
        assert!(wildcard.matches_host("git.example.com"));
        assert!(wildcard.matches_host("a.b.example.com"));
        assert!(
            !wildcard.matches_host("example.com"),
            "the domain itself is not a subdomain"
        );
        assert!(!wildcard.matches_host("evilexample.com"));
        assert!(!wildcard.matches_host("git.example.com:8080"));
    }

    #[test]
    fn paths_are_prefixes_of_the_normalised_path() {
        let r = rule("example.com", &["/acme/"]);
        assert!(r.matches_path("/acme/shop/blob/main/catalog-info.yaml"));
        assert!(!r.matches_path("/other/shop"));
        assert!(
            !r.matches_path("/acme/../other/shop"),
            "dot segments are resolved first"
        );
        assert!(r.matches_path("/x/../acme/shop"));
        assert!(!r.matches_path("/acmes/shop"));
        assert!(rule("example.com", &[]).matches_path("/anything"));
    }

    #[test]
    fn a_repository_matches_a_rule_around_or_inside_it() {
        let org = rule("example.com", &["/acme/"]);
        assert!(org.matches_repository("/acme/shop"));
        assert!(!org.matches_repository("/other/shop"));
        let file = rule("example.com", &["/acme/shop/blob/main/catalog-info.yaml"]);
        assert!(file.matches_repository("/acme/shop"));
        assert!(!file.matches_repository("/acme/shop.git"));
        assert!(!file.matches_repository("/acme/sho"), "not a prefix of a segment");
        let repo = rule("example.com", &["/acme/shop"]);
        assert!(repo.matches_repository("/acme/shop"));
        assert!(repo.matches_repository("/acme/shop/"));
    }

    #[test]
    fn normalising_stays_at_the_root() {
        assert_eq!(normalize("/a/./b/../c"), "/a/c");
        assert_eq!(normalize("/../../etc"), "/etc");
        assert_eq!(normalize("a/b"), "/a/b");
    }
}
