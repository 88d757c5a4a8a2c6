//! GitHub as locations: `github-discovery` (Backstage's type: every repository of an
//! organisation with a catalog file becomes a `url` location of its own) and `github-org` (the
//! organisation's teams and members as Group and User entities). Both are refreshed by the same
//! workers, claims and back-off as any location.

use std::collections::BTreeSet;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{DiscoveryFilter, GithubClient, GithubSettings};
use crate::hex::hex;
use crate::ingest::files::Provenance;
use crate::ingest::{IngestError, RefreshSettings, read_and_write};
use crate::store::{LocationRow, RefreshSummary, Store};

/// A GitHub host and how to reach its API (Backstage's `integrations.github[]`).
#[derive(Clone, Debug)]
pub struct GithubIntegration {
    pub host: String,
    pub settings: GithubSettings,
}

/// `https://github.com/ORG/REPOS/blob/BRANCH/PATH[?repository=REGEX]`: the repositories of ORG
/// whose names match the glob REPOS (and the regex, for Backstage's provider `filters.repository`),
/// read at BRANCH (`-`: each one's default branch), with a catalog file at PATH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryTarget {
    pub host: String,
    pub org: String,
    pub repos: String,
    pub branch: Option<String>,
    pub path: String,
    pub repository: Option<String>,
}

impl DiscoveryTarget {
    pub fn parse(target: &str) -> Result<DiscoveryTarget, IngestError> {
        let bad = |why: &str| {
            IngestError::Read(format!(
                "github-discovery target {target}: {why} (expected https://HOST/ORG/REPOS/blob/BRANCH/PATH, \
                 e.g. https://github.com/acme/*/blob/-/catalog-info.yaml)"
            ))
        };
        let (url, repository) = match target.split_once("?repository=") {
            Some((url, regex)) => (url, Some(regex.to_string())),
            None => (target, None),
        };
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| bad("not an http(s) URL"))?;
        let parts: Vec<&str> = rest.splitn(6, '/').collect();
        let [host, org, repos, "blob", branch, path] = parts[..] else {
            return Err(bad("missing parts"));
        };
        if host.is_empty() || org.is_empty() || repos.is_empty() || path.is_empty() || path.contains("..") {
            return Err(bad("empty or `..` parts"));
        }
        Ok(DiscoveryTarget {
            host: host.to_string(),
            org: org.to_string(),
            repos: repos.to_string(),
            branch: (branch != "-").then(|| branch.to_string()),
            path: path.to_string(),
            repository,
        })
    }
}

/// `https://github.com/ORG`: an organisation whose teams and members are read.
pub fn parse_org_target(target: &str) -> Result<(String, String), IngestError> {
    let rest = target
        .strip_prefix("https://")
        .or_else(|| target.strip_prefix("http://"))
        .unwrap_or_default();
    match rest.trim_end_matches('/').split_once('/') {
        Some((host, org)) if !host.is_empty() && !org.is_empty() && !org.contains('/') => {
            Ok((host.to_string(), org.to_string()))
        }
        _ => Err(IngestError::Read(format!(
            "github-org target {target}: expected https://HOST/ORG, e.g. https://github.com/acme"
        ))),
    }
}

/// The client for `host`: its configured integration, or github.com's public API without a token.
fn client_for(settings: &RefreshSettings, host: &str) -> Result<GithubClient, IngestError> {
    let integration = settings.github.iter().find(|i| i.host.eq_ignore_ascii_case(host));
    match integration {
        Some(i) => GithubClient::new(&i.settings),
        None if host == "github.com" => GithubClient::new(&GithubSettings::default()),
        None => Err(IngestError::Read(format!(
            "no integrations.github entry for {host}: add one with its apiBaseUrl and a token or app"
        ))),
    }
}

/// Installation tokens of GitHub Apps, per (host, owner), with when they were minted: they last
/// an hour, and minting one per fetch would spend the App's rate limit for nothing.
static APP_TOKENS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<(String, String), (std::time::Instant, crate::service::Secret)>>,
> = std::sync::LazyLock::new(Default::default);

/// Reused for this long (GitHub's tokens expire after an hour).
const APP_TOKEN_REUSE: std::time::Duration = std::time::Duration::from_secs(45 * 60);

/// The credential `git` fetches `repo` with when its host is reached through a GitHub App (and no
/// token is configured for it): the App's installation token for the repository's owner.
pub(crate) async fn app_credential(
    settings: &RefreshSettings,
    repo: &str,
) -> Result<Option<crate::ingest::git::Credential>, IngestError> {
    let Some(rest) = repo.split_once("://").map(|(_, rest)| rest) else {
        return Ok(None);
    };
    let mut parts = rest.split('/');
    let (Some(host), Some(owner)) = (parts.next(), parts.next()) else {
        return Ok(None);
    };
    let host = host.rsplit('@').next().unwrap_or(host);
    let app = settings
        .github
        .iter()
        .find(|i| i.host.eq_ignore_ascii_case(host) && matches!(i.settings.auth, super::GithubAuth::App { .. }));
    if app.is_none()
        || settings
            .git
            .credentials
            .iter()
            .any(|c| c.host.eq_ignore_ascii_case(host))
    {
        return Ok(None);
    }
    let key = (host.to_lowercase(), owner.to_lowercase());
    let cached = APP_TOKENS.lock().ok().and_then(|t| {
        t.get(&key)
            .filter(|(at, _)| at.elapsed() < APP_TOKEN_REUSE)
            .map(|(_, s)| s.clone())
    });
    let token = match cached {
        Some(token) => token,
        None => {
            let Some(token) = client_for(settings, host)?.installation_token(owner).await? else {
                return Ok(None);
            };
            if let Ok(mut tokens) = APP_TOKENS.lock() {
                tokens.insert(key, (std::time::Instant::now(), token.clone()));
            }
            token
        }
    };
    Ok(Some(crate::ingest::git::Credential {
        host: host.to_string(),
        token: token.0,
    }))
}

/// Discovers the organisation's repositories and keeps one `url` location per catalog file
/// found: new ones are registered (and read by the workers at once), those gone (deleted,
/// archived, renamed, file removed) are unregistered with their entities.
pub(crate) async fn refresh_discovery(
    store: &Store,
    location: &LocationRow,
    settings: &RefreshSettings,
    started: i64,
) -> Result<RefreshSummary, IngestError> {
    let target = DiscoveryTarget::parse(&location.target)?;
    let matcher = globset::Glob::new(&target.repos)
        .map_err(|e| IngestError::Read(format!("github-discovery target {}: {e}", location.target)))?
        .compile_matcher();
    let client = client_for(settings, &target.host)?;
    let filter = DiscoveryFilter {
        repository: target.repository.clone(),
        branch: target.branch.clone(),
    };
    let repos = client
        .discover(&target.org, std::slice::from_ref(&target.path), &filter)
        .await?;
    let urls: BTreeSet<String> = repos
        .into_iter()
        .filter(|r| matcher.is_match(&r.name))
        .flat_map(|r| r.catalog_urls)
        .collect();
    let (added, removed) = store.sync_discovered(&location.id, "url", &urls).await?;
    store
        .record_refresh_success(&location.id, started, Some(urls.len()))
        .await?;
    Ok(RefreshSummary {
        added,
        removed,
        unchanged: urls.len() - added,
        entities: urls.len(),
        ..RefreshSummary::default()
    })
}

/// Entities per file written for an organisation (each file stays well under the read limit).
const ENTITIES_PER_FILE: usize = 500;

/// Reads the organisation's teams and members and stores them as Group and User entities. They
/// are written as files of the Git cache and read like any location's files, so the same
/// validation, bounds and annotations apply; an unchanged organisation is not written again.
pub(crate) async fn refresh_org(
    store: &Store,
    location: &LocationRow,
    settings: &RefreshSettings,
    started: i64,
) -> Result<RefreshSummary, IngestError> {
    let (host, org) = parse_org_target(&location.target)?;
    let client = client_for(settings, &host)?;
    let entities = client.org_entities(&org, "default").await?;
    let parts: Vec<String> = entities
        .chunks(ENTITIES_PER_FILE)
        .map(|chunk| chunk.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n---\n"))
        .collect();
    let version = hex(&Sha256::digest(parts.join("\n---\n").as_bytes()));
    if store.source_version(&location.id).await?.as_deref() == Some(version.as_str()) {
        let entities = store.record_refresh_success(&location.id, started, None).await?;
        return Ok(RefreshSummary {
            source_unchanged: true,
            entities,
            ..RefreshSummary::default()
        });
    }
    let dir = std::path::absolute(
        settings
            .git
            .cache_dir
            .join("github-org")
            .join(&hex(&Sha256::digest(location.target.as_bytes()))[..20]),
    )
    .map_err(|e| IngestError::Read(format!("cannot use the cache for {}: {e}", location.target)))?;
    write_parts(&dir, &parts)?;
    let provenance = Provenance {
        origin: format!("github-org:{}", location.target),
        checkout: dir.clone(),
        base: location.target.clone(),
        location_type: "github-org".into(),
    };
    let glob = dir.join("*.yaml").display().to_string();
    read_and_write(
        store,
        location,
        (glob, Some(provenance), Some(version)),
        None,
        settings,
        started,
    )
    .await
}

fn write_parts(dir: &Path, parts: &[String]) -> Result<(), IngestError> {
    let failed = |e: std::io::Error| {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot write an organisation's documents to the cache");
        IngestError::Read(
            "the cache for the organisation's documents cannot be written (the server log has the detail)".into(),
        )
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(failed)?;
    }
    std::fs::create_dir_all(dir).map_err(failed)?;
    for (i, part) in parts.iter().enumerate() {
        std::fs::write(dir.join(format!("entities-{i:04}.yaml")), part).map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_targets_read_like_backstages() {
        let t = DiscoveryTarget::parse("https://github.com/acme/*/blob/-/catalog-info.yaml").expect("valid");
        assert_eq!(
            (
                t.host.as_str(),
                t.org.as_str(),
                t.repos.as_str(),
                t.branch,
                t.path.as_str()
            ),
            ("github.com", "acme", "*", None, "catalog-info.yaml")
        );
        let t = DiscoveryTarget::parse(
            "https://ghe.example/acme/svc-*/blob/main/docs/catalog-info.yaml?repository=svc-(a|b)",
        )
        .expect("valid");
        assert_eq!(t.branch.as_deref(), Some("main"));
        assert_eq!(t.path, "docs/catalog-info.yaml");
        assert_eq!(t.repository.as_deref(), Some("svc-(a|b)"));
        for bad in [
            "https://github.com/acme",
            "ftp://github.com/acme/*/blob/-/x.yaml",
            "https://github.com/acme/*/tree/-/x.yaml",
            "https://github.com/acme/*/blob/-/../x.yaml",
        ] {
            assert!(DiscoveryTarget::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_org_target("https://github.com/acme/").expect("valid"),
            ("github.com".into(), "acme".into())
        );
        assert!(parse_org_target("https://github.com/acme/repo").is_err());
    }
}
