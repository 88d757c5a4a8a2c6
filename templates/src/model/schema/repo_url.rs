//! `RepoUrlPicker` values: `github.com?owner=acme&repo=svc` (Backstage's shape, also read by the
//! `parseRepoUrl` filter and the publish actions), parsed and checked against the picker's options.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A repository named by a `RepoUrlPicker`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoUrl {
    pub host: String,
    pub owner: Option<String>,
    pub repo: String,
    /// Other query parameters (`organization`, `workspace`, `project` for other providers).
    pub extra: Vec<(String, String)>,
}

impl RepoUrl {
    /// Parses `host?owner=o&repo=r`; `None` when the host or the repository is missing.
    pub fn parse(text: &str) -> Option<RepoUrl> {
        let (host, query) = text.split_once('?')?;
        if host.is_empty() || host.contains(['/', ' ']) {
            return None;
        }
        let mut url = RepoUrl {
            host: host.to_string(),
            ..RepoUrl::default()
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            match key {
                "owner" if !value.is_empty() => url.owner = Some(value),
                "repo" => url.repo = value,
                _ => url.extra.push((key.to_string(), value)),
            }
        }
        (!url.repo.is_empty()).then_some(url)
    }
}

impl RepoUrl {
    /// The part Backstage's picker requires that the value lacks: Bitbucket names a `project`
    /// (and on bitbucket.org a `workspace`), every other host an `owner`.
    pub fn missing_part(&self) -> Option<&'static str> {
        let has = |key: &str| self.extra.iter().any(|(k, v)| k == key && !v.is_empty());
        if self.host.contains("bitbucket") {
            if self.host == "bitbucket.org" && !has("workspace") {
                return Some("workspace");
            }
            return (!has("project")).then_some("project");
        }
        self.owner.is_none().then_some("owner")
    }
}

/// Percent-decoding of a query value (`+` is a space); malformed escapes are kept as written.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' => match (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            ) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What is wrong with a picker's value given its `ui:options` (`allowedHosts`, `allowedOwners`,
/// `allowedRepos`), or `None`.
pub(super) fn problem(text: &str, options: Option<&Value>) -> Option<String> {
    let Some(url) = RepoUrl::parse(text) else {
        return Some("must name a host and a repository (such as github.com?owner=acme&repo=service)".into());
    };
    if let Some(missing) = url.missing_part() {
        return Some(format!("must name the repository's {missing} ({} needs it)", url.host));
    }
    let allowed = |key: &str| -> Option<Vec<String>> {
        let list = options?.get(key)?.as_array()?;
        let list: Vec<String> = list.iter().filter_map(Value::as_str).map(str::to_string).collect();
        (!list.is_empty()).then_some(list)
    };
    if let Some(hosts) = allowed("allowedHosts")
        && !hosts.contains(&url.host)
    {
        return Some(format!(
            "host {} is not one of the allowed hosts: {}",
            url.host,
            hosts.join(", ")
        ));
    }
    if let Some(owners) = allowed("allowedOwners")
        && !url.owner.as_ref().is_some_and(|o| owners.contains(o))
    {
        return Some(format!("owner must be one of {}", owners.join(", ")));
    }
    if let Some(repos) = allowed("allowedRepos")
        && !repos.contains(&url.repo)
    {
        return Some(format!("repository must be one of {}", repos.join(", ")));
    }
    None
}
