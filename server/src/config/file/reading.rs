//! `backend.reading`: which hosts the server may read from. Backstage's `allow: [{host, paths}]`,
//! plus Cairn's `allowPrivateNetworks` (loopback and private addresses, refused by default). The
//! hosts of configured integrations (github.com and gitlab.com by default) are allowed too.

use serde::Deserialize;

use super::{FileConfig, value_error};
use crate::config::ConfigError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ReadingSection {
    #[serde(default)]
    allow: Vec<AllowEntry>,
    allow_private_networks: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowEntry {
    host: String,
    paths: Option<Vec<String>>,
}

impl FileConfig {
    /// The reading policy: `backend.reading.allow`, the integrations' hosts, and whether private
    /// networks may be read.
    pub(in crate::config) fn reading_policy(&self) -> Result<outbound::ReadingPolicy, ConfigError> {
        let section = self.backend.reading.as_ref();
        let mut allow = Vec::new();
        for entry in section.map(|s| s.allow.as_slice()).unwrap_or_default() {
            allow.push(rule(entry)?);
        }
        let integrations = self
            .integrations
            .github
            .iter()
            .map(|e| e.host.clone().unwrap_or_else(|| "github.com".into()))
            .chain(
                self.integrations
                    .gitlab
                    .iter()
                    .map(|e| e.host.clone().unwrap_or_else(|| "gitlab.com".into())),
            )
            .map(|h| h.to_ascii_lowercase());
        let mut policy = outbound::ReadingPolicy::default().with_hosts(integrations);
        policy.allow.extend(allow);
        policy.allow_private_networks = section.and_then(|s| s.allow_private_networks).unwrap_or(false);
        Ok(policy)
    }
}

/// One `allow` entry, checked: a host (`*.` only as a prefix, an optional port) and absolute paths.
fn rule(entry: &AllowEntry) -> Result<outbound::AllowRule, ConfigError> {
    let host = entry.host.trim().to_ascii_lowercase();
    let bare = host.strip_prefix("*.").unwrap_or(&host);
    let (name, port) = match bare.rsplit_once(':') {
        Some((name, port)) if !bare.ends_with(']') => (name, Some(port)),
        _ => (bare, None),
    };
    let name_ok = !name.is_empty()
        && !name.contains('*')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c));
    if !name_ok || port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(value_error(
            "backend.reading.allow.host",
            format!(
                "`{}` is not a host, host:port or *.domain (no scheme, path or other wildcard)",
                entry.host
            ),
        ));
    }
    let paths = entry.paths.clone().unwrap_or_default();
    if let Some(bad) = paths.iter().find(|p| !p.starts_with('/')) {
        return Err(value_error(
            "backend.reading.allow.paths",
            format!("`{bad}` (host {host}) must start with `/`"),
        ));
    }
    Ok(outbound::AllowRule { host, paths })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(yaml: &str) -> Result<outbound::ReadingPolicy, ConfigError> {
        FileConfig::parse(yaml).expect("parses").reading_policy()
    }

    #[test]
    fn integrations_and_allow_entries_make_the_policy() {
        let p = policy(
            "backend:\n  reading:\n    allow:\n      - host: '*.Example.com'\n      - host: git.internal:8443\n        paths: [/platform/]\n    allowPrivateNetworks: true\nintegrations:\n  github:\n    - host: ghe.acme.dev\n",
        )
        .expect("valid");
        let hosts: Vec<&str> = p.allow.iter().map(|r| r.host.as_str()).collect();
        assert_eq!(
            hosts,
            [
                "github.com",
                "gitlab.com",
                "ghe.acme.dev",
                "*.example.com",
                "git.internal:8443"
            ]
        );
        assert_eq!(p.allow[4].paths, ["/platform/"]);
        assert!(p.allow_private_networks);
        let default = policy("app:\n  title: x\n").expect("valid");
        assert_eq!(default, outbound::ReadingPolicy::default());
    }

    #[test]
    fn bad_entries_name_their_key() {
        for (yaml, key) in [
            (
                "backend:\n  reading:\n    allow:\n      - host: https://x.com\n",
                "backend.reading.allow.host",
            ),
            (
                "backend:\n  reading:\n    allow:\n      - host: 'a.*.com'\n",
                "backend.reading.allow.host",
            ),
            (
                "backend:\n  reading:\n    allow:\n      - host: x.com:http\n",
                "backend.reading.allow.host",
            ),
            (
                "backend:\n  reading:\n    allow:\n      - host: x.com\n        paths: [org/]\n",
                "backend.reading.allow.paths",
            ),
        ] {
            let err = policy(yaml).expect_err(yaml).to_string();
            assert!(err.starts_with(key), "{yaml}: {err}");
        }
        let unknown = FileConfig::parse("backend:\n  reading:\n    allowPrivateNetwork: true\n").expect_err("typo");
        assert!(
            unknown.contains("allowPrivateNetwork") && unknown.contains('3'),
            "{unknown}"
        );
    }
}
