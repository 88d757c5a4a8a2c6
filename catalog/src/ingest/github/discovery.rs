//! Discovery: list the owner's repositories, keep the live ones the filter allows, and ask for each
//! catalog path on the branch read (a few repositories at a time).

use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use super::client::{Session, encode, encode_with};
use super::{DiscoveredRepo, DiscoveryFilter, IngestError};

/// More repositories than any organisation has; a larger listing is refused rather than read.
const MAX_REPOS: usize = 100_000;

/// The fields of GitHub's repository object that discovery needs.
#[derive(Deserialize)]
struct Repo {
    name: String,
    full_name: String,
    html_url: String,
    default_branch: Option<String>,
    #[serde(default)]
    archived: bool,
}

pub(super) async fn discover(
    session: &Session<'_>,
    owner: &str,
    catalog_paths: &[String],
    filter: &DiscoveryFilter,
) -> Result<Vec<DiscoveredRepo>, IngestError> {
    let paths = catalog_paths
        .iter()
        .map(|p| clean_path(p))
        .collect::<Result<Vec<_>, _>>()?;
    let pattern = filter.repository.as_deref().map(anchored).transpose()?;
    let repos = list_repos(session, owner).await?;
    let wanted = repos
        .into_iter()
        .filter(|r| !r.archived && pattern.as_ref().is_none_or(|p| p.is_match(&r.name)));
    let mut found: Vec<DiscoveredRepo> = futures::stream::iter(wanted)
        .map(|repo| check(session, repo, &paths, filter.branch.as_deref()))
        .buffer_unordered(session.concurrency)
        .try_filter_map(|found| async move { Ok(found) })
        .try_collect()
        .await?;
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The organisation's repositories, or the user's when no organisation has that name.
async fn list_repos(session: &Session<'_>, owner: &str) -> Result<Vec<Repo>, IngestError> {
    let owner_enc = encode(owner);
    let org = format!("/orgs/{owner_enc}/repos?per_page=100&type=all");
    if let Some(repos) = session.list(&org, MAX_REPOS).await? {
        return Ok(repos);
    }
    let user = format!("/users/{owner_enc}/repos?per_page=100&type=owner");
    session.list(&user, MAX_REPOS).await?.ok_or_else(|| {
        IngestError::Read(format!(
            "GitHub has no organisation or user named {owner} visible with these credentials (GET {user}: 404)"
        ))
    })
}

/// The repository with the catalog files found on its branch, or `None` without any (or when it
/// was deleted or renamed since it was listed: the next discovery sees it under its new name).
async fn check(
    session: &Session<'_>,
    repo: Repo,
    paths: &[String],
    branch: Option<&str>,
) -> Result<Option<DiscoveredRepo>, IngestError> {
    let Some(branch) = branch.map(str::to_string).or(repo.default_branch) else {
        return Ok(None);
    };
    let (owner, name) = repo.full_name.split_once('/').unwrap_or(("", &repo.full_name));
    let mut catalog_urls = Vec::new();
    for path in paths {
        let target = format!(
            "/repos/{}/{}/contents/{}?ref={}",
            encode(owner),
            encode(name),
            path.split('/').map(encode).collect::<Vec<_>>().join("/"),
            encode_with(&branch, true)
        );
        let reply = session.get(&target).await?;
        match reply.status {
            200 => {
                // A folder answers with a list; only a file counts.
                let content: serde_json::Value = reply.json(&target)?;
                if content.get("type").and_then(|t| t.as_str()) == Some("file") {
                    catalog_urls.push(format!("{}/blob/{branch}/{path}", repo.html_url));
                }
            }
            301 | 302 | 307 | 404 => {}
            _ => return Err(super::client::status_error(&target, reply.status, &reply.body)),
        }
    }
    if catalog_urls.is_empty() {
        return Ok(None);
    }
    Ok(Some(DiscoveredRepo {
        name: repo.name,
        html_url: repo.html_url,
        default_branch: branch,
        catalog_urls,
    }))
}

/// A catalog path inside the repository (Backstage writes it with a leading `/`).
fn clean_path(path: &str) -> Result<String, IngestError> {
    let trimmed = path.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.split('/').any(|s| s.is_empty() || s == "." || s == "..") || path.contains('*') {
        return Err(IngestError::Read(format!(
            "GitHub discovery: catalog path `{path}` must name one file inside the repository (no wildcards)"
        )));
    }
    Ok(trimmed.to_string())
}

/// Backstage anchors the repository filter at both ends, so `service-.*` does not match
/// `old-service-a`.
fn anchored(pattern: &str) -> Result<regex::Regex, IngestError> {
    let start = if pattern.starts_with('^') { "" } else { "^" };
    let end = if pattern.ends_with('$') { "" } else { "$" };
    regex::Regex::new(&format!("{start}(?:{pattern}){end}")).map_err(|e| {
        IngestError::Read(format!(
            "GitHub discovery: filters.repository `{pattern}` is not a valid regular expression: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_filter_matches_whole_names() {
        let p = anchored("service-.*").expect("valid");
        assert!(p.is_match("service-a"));
        assert!(!p.is_match("old-service-a"));
        assert!(anchored("^svc|api$").expect("valid").is_match("api"));
        assert!(anchored("(").is_err());
    }

    #[test]
    fn catalog_paths_stay_inside_the_repository() {
        assert_eq!(
            clean_path("/catalog-info.yaml").ok().as_deref(),
            Some("catalog-info.yaml")
        );
        assert!(clean_path("/../x.yaml").is_err());
        assert!(clean_path("/").is_err());
        assert!(clean_path("**/catalog-info.yaml").is_err());
    }
}
