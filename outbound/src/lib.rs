//! The one rule for every URL the server fetches: the host must be allowed (an integration's, or
//! listed in Backstage's `backend.reading.allow`), and it must not resolve to a loopback, private,
//! link-local or cloud metadata address unless `backend.reading.allowPrivateNetworks` says so
//! (metadata addresses never). Refusals say what to configure and never whether anything listens.

mod address;
mod allow;
#[cfg(feature = "reqwest")]
pub mod client;

use std::net::IpAddr;
use std::time::Duration;

pub use address::{Blocked, classify};
pub use allow::{AllowRule, normalize};

/// How long a name may take to resolve before the target counts as unreachable.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server may read from (`backend.reading`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadingPolicy {
    /// `backend.reading.allow`, plus the hosts of configured integrations.
    pub allow: Vec<AllowRule>,
    /// `backend.reading.allowPrivateNetworks`: loopback and private addresses may be read
    /// (local development, a Git server inside the network). Metadata addresses stay refused.
    pub allow_private_networks: bool,
}

impl Default for ReadingPolicy {
    /// Backstage's default integrations (github.com, gitlab.com); no private networks.
    fn default() -> Self {
        ReadingPolicy {
            allow: vec![AllowRule::host("github.com"), AllowRule::host("gitlab.com")],
            allow_private_networks: false,
        }
    }
}

/// Which hosts a check accepts: the allow list, or any (for URLs an administrator configured,
/// such as an OIDC issuer, where only the address rule applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hosts {
    Allowed,
    Any,
}

/// Why a URL is not read. `Display` is safe to show callers: it names the URL (without
/// credentials) and the setting that would allow it, never whether anything listens there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0} is not a URL Cairn can read (write the host plainly, with a scheme)")]
    Invalid(String),
    #[error("{0} is not an allowed host: add it to backend.reading.allow or configure an integration for it")]
    NotAllowed(String),
    #[error(
        "{0} resolves to a private or loopback address, which Cairn does not read from unless backend.reading.allowPrivateNetworks is true"
    )]
    Private(String),
    #[error("{0} resolves to a cloud metadata address, which Cairn never reads from")]
    Metadata(String),
    /// The name does not resolve. Worded like every other failure to connect, so a caller cannot
    /// tell an unknown host from one that refuses or does not answer.
    #[error("{0} could not be reached, or did not answer in time")]
    Unreachable(String),
}

/// A target that passed: its host, port and the addresses vetted for it. Connect to these
/// addresses only (no second resolution that could answer differently).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The host as written in the URL (`[…]` around an IPv6 literal).
    pub host: String,
    pub port: u16,
    pub addrs: Vec<IpAddr>,
    /// The host is an IP address: nothing was resolved, nothing needs pinning.
    pub literal: bool,
    /// The URL as shown in messages: no user name or password.
    pub shown: String,
}

impl Resolved {
    /// `host:port:addr[,addr…]` for curl's `CURLOPT_RESOLVE` (Git's `http.curloptResolve`), or
    /// `None` for an IP literal.
    pub fn curl_resolve(&self) -> Option<String> {
        if self.literal {
            return None;
        }
        let addrs: Vec<String> = self
            .addrs
            .iter()
            .map(|a| match a {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            })
            .collect();
        Some(format!("{}:{}:{}", self.host, self.port, addrs.join(",")))
    }
}

/// A URL broken into what the rule looks at.
struct Parsed {
    url: url::Url,
    /// `host` or `host:port` (the port only when not the scheme's default), lower case.
    authority: String,
    port: u16,
    shown: String,
}

impl ReadingPolicy {
    /// This policy with `hosts` (integrations' hosts) allowed too, each once.
    pub fn with_hosts(mut self, hosts: impl IntoIterator<Item = String>) -> ReadingPolicy {
        for host in hosts {
            if !self.allow.iter().any(|r| r.host == host && r.paths.is_empty()) {
                self.allow.push(AllowRule::host(host));
            }
        }
        self
    }

    /// Checks a URL to read (Backstage's path patterns apply to its path), then resolves it.
    pub async fn check(&self, url: &str) -> Result<Resolved, Refused> {
        let parsed = parse(url)?;
        let path = parsed.url.path().to_string();
        if !self
            .allow
            .iter()
            .any(|r| r.matches_host(&parsed.authority) && r.matches_path(&path))
        {
            return Err(Refused::NotAllowed(parsed.shown));
        }
        self.resolve(&parsed).await
    }

    /// Checks a Git repository (`https://`, `ssh://` or scp-like `user@host:path`) before a
    /// command reaches it: a rule's paths may contain the repository or lie inside it (a `url`
    /// location's blob path), then resolves it.
    pub async fn check_repository(&self, repo: &str) -> Result<Resolved, Refused> {
        let parsed = parse(repo)?;
        let path = parsed.url.path().to_string();
        if !self
            .allow
            .iter()
            .any(|r| r.matches_host(&parsed.authority) && r.matches_repository(&path))
        {
            return Err(Refused::NotAllowed(parsed.shown));
        }
        self.resolve(&parsed).await
    }

    /// The checks that need no DNS: the host (unless `hosts` is `Any`) and an IP literal's
    /// address. For redirects and the first request of an HTTP client, whose resolver checks
    /// names (see [`client`]).
    pub fn check_without_dns(&self, url: &str, hosts: Hosts) -> Result<(), Refused> {
        let parsed = parse(url)?;
        if hosts == Hosts::Allowed
            && !self
                .allow
                .iter()
                .any(|r| r.matches_host(&parsed.authority) && r.matches_path(parsed.url.path()))
        {
            return Err(Refused::NotAllowed(parsed.shown));
        }
        match literal(&parsed.url) {
            Some(ip) => self.vet(&[ip], &parsed.shown),
            None => Ok(()),
        }
    }

    /// Refuses when any address is blocked for this policy.
    pub fn vet(&self, addrs: &[IpAddr], shown: &str) -> Result<(), Refused> {
        for ip in addrs {
            match classify(*ip) {
                Some(Blocked::Metadata) => return Err(Refused::Metadata(shown.to_string())),
                Some(Blocked::Private) if !self.allow_private_networks => {
                    return Err(Refused::Private(shown.to_string()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn resolve(&self, parsed: &Parsed) -> Result<Resolved, Refused> {
        let host = parsed.url.host_str().unwrap_or_default().to_string();
        let (addrs, is_literal) = match literal(&parsed.url) {
            Some(ip) => (vec![ip], true),
            None => (
                lookup(&host, parsed.port)
                    .await
                    .map_err(|()| Refused::Unreachable(parsed.shown.clone()))?,
                false,
            ),
        };
        self.vet(&addrs, &parsed.shown)?;
        Ok(Resolved {
            host,
            port: parsed.port,
            addrs,
            literal: is_literal,
            shown: parsed.shown.clone(),
        })
    }
}

/// Every address `host` resolves to; `Err` when none (unknown, or too slow).
pub async fn lookup(host: &str, port: u16) -> Result<Vec<IpAddr>, ()> {
    let found = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| ())?
        .map_err(|_| ())?;
    let mut addrs: Vec<IpAddr> = found.map(|a| a.ip()).collect();
    addrs.dedup();
    if addrs.is_empty() { Err(()) } else { Ok(addrs) }
}

fn literal(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        "ssh" | "git+ssh" => Some(22),
        "git" => Some(9418),
        _ => None,
    }
}

/// Parses `url` (an scp-like `user@host:path` counts as ssh), refusing hosts written in a form
/// other programs may read differently (`2130706433`, `0x7f.1`: the URL parser's reading must
/// be the one that connects).
fn parse(url: &str) -> Result<Parsed, Refused> {
    let invalid = || Refused::Invalid(without_credentials(url));
    let normalized;
    let text = if !url.contains("://") && url.contains('@') && url.contains(':') {
        let (user_host, path) = url.split_once(':').ok_or_else(invalid)?;
        normalized = format!("ssh://{user_host}/{}", path.trim_start_matches('/'));
        normalized.as_str()
    } else {
        url
    };
    let parsed = url::Url::parse(text).map_err(|_| invalid())?;
    let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(invalid)?;
    let written = text
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default())
        .map(|a| a.rsplit_once('@').map_or(a, |(_, h)| h))
        .map(|a| match a.rfind(']') {
            Some(end) => &a[..=end],
            None => a.split(':').next().unwrap_or_default(),
        })
        .unwrap_or_default()
        .to_ascii_lowercase();
    if written != host {
        return Err(invalid());
    }
    let default = default_port(parsed.scheme());
    let port = parsed.port().or(default).ok_or_else(invalid)?;
    let authority = if Some(port) == default {
        host.to_string()
    } else {
        format!("{host}:{port}")
    };
    let shown = format!("{}://{authority}{}", parsed.scheme(), parsed.path());
    Ok(Parsed {
        authority,
        port,
        shown,
        url: parsed,
    })
}

/// `url` without its `user:password@` part, for messages.
pub fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://{host}{}", &rest[end..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests;
